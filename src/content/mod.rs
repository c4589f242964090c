//! Content: the `Entry` envelope, its immutable `Revision`s, the kinds, categories and
//! slugs. An entry keeps its working revision and its published revision apart, so an
//! edit never changes what citizens see until it is published.

pub mod accessibility;
pub mod deadlines;
pub mod editorial;
pub mod legal;
pub mod procedure;
pub mod record;
pub mod sanitize;
pub mod schedule;
pub mod slug;

use std::fmt;

use jiff::Timestamp;
use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{self, BlobHash, BlobMeta, Tx};

/// The kinds of entry. Later kinds (legal documents, procedures, …) join this enum;
/// everything that varies by kind is a method here, so adding one is a local change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// News, direction, orientation, plan status: dated items in categories.
    Article,
    /// Standing pages: introduction, functions and tasks, organisation, leadership.
    Page,
    /// Legal and administrative documents (văn bản), with their metadata.
    LegalDocument,
    /// Administrative procedures (thủ tục hành chính).
    Procedure,
    /// S&T programmes, projects and research tasks (nhiệm vụ KH&CN).
    Task,
    /// Strategies, master plans and plans.
    Plan,
    /// Projects, investment, bidding and public procurement.
    Project,
    /// Magazine and bulletin issues.
    Magazine,
    /// Leaders and the staff directory.
    Person,
    /// The leaders' work schedule, one entry per week.
    ScheduleWeek,
    /// An answer to a citizen's question (C17); listed publicly only when it is of
    /// general interest.
    Answer,
    /// A draft open for public comment (C8), between its opening and closing dates.
    Consultation,
    /// A page in English (C18): the introduction and the like, under `/en/`.
    EnglishPage,
}

impl Kind {
    pub const ALL: &[Kind] = &[
        Kind::Article,
        Kind::Page,
        Kind::LegalDocument,
        Kind::Procedure,
        Kind::Task,
        Kind::Plan,
        Kind::Project,
        Kind::Magazine,
        Kind::Person,
        Kind::ScheduleWeek,
        Kind::Answer,
        Kind::Consultation,
        Kind::EnglishPage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Article => "article",
            Kind::Page => "page",
            Kind::LegalDocument => "legal_document",
            Kind::Procedure => "procedure",
            Kind::Task => "task",
            Kind::Plan => "plan",
            Kind::Project => "project",
            Kind::Magazine => "magazine",
            Kind::Person => "person",
            Kind::ScheduleWeek => "schedule_week",
            Kind::Answer => "answer",
            Kind::Consultation => "consultation",
            Kind::EnglishPage => "english_page",
        }
    }

    /// The public URL prefix; entry URLs are `{prefix}/{slug}`.
    pub fn url_prefix(self) -> &'static str {
        match self {
            Kind::Article => "/tin-tuc",
            Kind::Page => "/trang",
            Kind::LegalDocument => "/van-ban",
            Kind::Procedure => "/thu-tuc",
            Kind::Task => "/nhiem-vu",
            Kind::Plan => "/ke-hoach",
            Kind::Project => "/du-an",
            Kind::Magazine => "/tap-chi",
            Kind::Person => "/can-bo",
            Kind::ScheduleWeek => "/lich-cong-tac",
            Kind::Answer => "/hoi-dap",
            Kind::Consultation => "/lay-y-kien",
            Kind::EnglishPage => "/en",
        }
    }

    /// Where the list of this kind lives (the English tree's index ends in a slash).
    pub fn list_url(self) -> &'static str {
        match self {
            Kind::EnglishPage => "/en/",
            other => other.url_prefix(),
        }
    }

    /// The Vietnamese name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Article => "Tin bài",
            Kind::Page => "Trang",
            Kind::LegalDocument => "Văn bản",
            Kind::Procedure => "Thủ tục hành chính",
            Kind::Task => "Nhiệm vụ khoa học và công nghệ",
            Kind::Plan => "Chiến lược, quy hoạch, kế hoạch",
            Kind::Project => "Dự án, đấu thầu, mua sắm công",
            Kind::Magazine => "Tạp chí, bản tin",
            Kind::Person => "Lãnh đạo, cán bộ",
            Kind::ScheduleWeek => "Lịch công tác lãnh đạo",
            Kind::Answer => "Hỏi – đáp",
            Kind::Consultation => "Lấy ý kiến dự thảo",
            Kind::EnglishPage => "Trang tiếng Anh",
        }
    }

    /// Whether entries of this kind appear in dated lists and carry a category.
    pub fn is_dated(self) -> bool {
        matches!(self, Kind::Article)
    }

    pub fn url(self, slug: &str) -> String {
        format!("{}/{}", self.url_prefix(), slug)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EntryId(pub u64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RevisionId(pub u64);

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Editorial state (DESIGN section 6); the workflow module owns the transitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Draft,
    Submitted,
    InReview,
    Returned,
    Approved,
    Scheduled,
    Published,
    Withdrawn,
}

/// The envelope every publishable thing shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: EntryId,
    pub kind: Kind,
    pub slug: String,
    #[serde(default)]
    pub category: Option<String>,
    /// The unit (phòng, đơn vị) that owns the entry.
    #[serde(default)]
    pub unit: Option<u64>,
    /// The account that created it (none for seeded content).
    #[serde(default)]
    pub created_by: Option<u64>,
    pub state: State,
    /// The revision editors work on.
    pub working: RevisionId,
    /// The revision citizens see, if any.
    #[serde(default)]
    pub published: Option<RevisionId>,
    #[serde(default)]
    pub featured: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When it was first published; lists are ordered by it.
    #[serde(default)]
    pub published_at: Option<Timestamp>,
    /// When someone last confirmed the live page is still accurate without changing it
    /// (D1: pages reviewed regularly).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_at: Option<Timestamp>,
    /// The approval of the pending revision: publishing serves exactly that revision.
    #[serde(default)]
    pub approval: Option<Approval>,
    /// The approval of the revision that is live, kept for the integrity check.
    #[serde(default)]
    pub live_approval: Option<Approval>,
    /// When a scheduled entry goes live.
    #[serde(default)]
    pub scheduled_for: Option<Timestamp>,
}

/// An approval binds one revision by its hash (regulation Art. 8.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub revision: RevisionId,
    pub hash: String,
    pub by: u64,
    pub by_name: String,
    /// The Board head a delegate approved for ("thay mặt").
    #[serde(default)]
    pub on_behalf_of: Option<String>,
    pub at: Timestamp,
}

/// One immutable version of an entry's fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    pub id: RevisionId,
    pub entry: EntryId,
    #[serde(default)]
    pub parent: Option<RevisionId>,
    /// Who saved it (a login, or "demo" for seeded content).
    pub saved_by: String,
    pub created_at: Timestamp,
    pub fields: Fields,
    /// SHA-256 over the canonical encoding of (entry, parent, fields).
    pub hash: String,
}

/// The fields common to every kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fields {
    pub title: String,
    #[serde(default)]
    pub summary: String,
    /// Sanitised HTML.
    #[serde(default)]
    pub body_html: String,
    /// Tác giả (F18).
    #[serde(default)]
    pub author: String,
    /// Nguồn (F18).
    #[serde(default)]
    pub source: String,
    /// The date the source document was issued or approved, from which the legal
    /// deadline to publish is counted (A2, D2–D6). Skipped when empty so the hash of
    /// revisions that predate it is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_date: Option<jiff::civil::Date>,
    #[serde(default)]
    pub cover: Option<Image>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// The category and home-page flag this revision asks for. They take effect when it
    /// goes live, so they are approved with it. Skipped when empty so the encoding (and
    /// the hash) of revisions that predate them is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub featured: bool,
    /// A legal document's metadata; its full-text files are the attachments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal: Option<legal::LegalDoc>,
    /// An administrative procedure's fields; its forms are the attachments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub procedure: Option<procedure::Procedure>,
    /// The fields of the kinds described in `record` (tasks, plans, projects, …).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub record: record::Record,
    /// A week of the leaders' schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<schedule::Week>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Image {
    pub blob: BlobHash,
    pub alt: String,
    /// Smaller copies for `srcset`, copied from the library when chosen.
    #[serde(default)]
    pub variants: Vec<crate::media::Variant>,
    #[serde(default)]
    pub width: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub blob: BlobHash,
    /// The file name offered on download.
    pub name: String,
    pub size: u64,
    pub content_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Position in menus and on the home page.
    #[serde(default)]
    pub order: u32,
}

/// One step in an entry's editorial record: who did what, in which capacity, to which
/// exact revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at: Timestamp,
    pub user: u64,
    pub user_name: String,
    pub role: crate::workflow::Role,
    /// The Board head a delegate acted for ("thay mặt").
    #[serde(default)]
    pub on_behalf_of: Option<String>,
    pub action: crate::workflow::Action,
    pub from: State,
    pub to: State,
    #[serde(default)]
    pub comment: String,
    pub revision: RevisionId,
    pub revision_hash: String,
    /// For scheduling: when it is to go live.
    #[serde(default)]
    pub scheduled_for: Option<Timestamp>,
}

/// A field that failed validation, with the message shown to editors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("invalid {}: {}", .0.field, .0.message)]
    Invalid(Invalid),
    #[error("entry {0} does not exist")]
    NoSuchEntry(EntryId),
    /// Several fields to correct, for a form.
    #[error("{} invalid fields", .0.len())]
    Invalids(Vec<Invalid>),
    #[error("the step is not allowed: {0}")]
    Denied(#[from] crate::workflow::Denied),
    /// Someone saved a newer revision since the editor loaded `base`.
    #[error("conflict: the entry changed since revision {}", .base.0)]
    Conflict {
        base: RevisionId,
        current: Box<Revision>,
    },
    /// A stored revision no longer hashes to what was approved.
    #[error("integrity: {0}")]
    Integrity(String),
}

fn invalid(field: &'static str, message: &str) -> Error {
    Error::Invalid(Invalid {
        field,
        message: message.to_string(),
    })
}

/// An entry as citizens see it: the envelope and its published revision.
#[derive(Debug, Clone)]
pub struct Published {
    pub entry: Entry,
    pub revision: Revision,
}

impl Published {
    pub fn url(&self) -> String {
        self.entry.kind.url(&self.entry.slug)
    }
}

/// A slice of a list, with what pagination needs.
#[derive(Debug, Clone)]
pub struct PageOf<T> {
    pub items: Vec<T>,
    pub page: usize,
    pub per_page: usize,
    pub total: usize,
}

impl<T> PageOf<T> {
    pub fn page_count(&self) -> usize {
        self.total.div_ceil(self.per_page).max(1)
    }
}

/// The published lists the public site shows.
#[derive(Debug, Clone, Copy)]
pub enum List<'a> {
    Kind(Kind),
    Category(&'a str),
    Featured,
}

impl List<'_> {
    fn key(&self) -> String {
        match self {
            List::Kind(kind) => format!("kind:{}", kind.as_str()),
            List::Category(slug) => format!("cat:{slug}"),
            List::Featured => "featured".to_string(),
        }
    }
}

/// What a new entry starts with.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub kind: Kind,
    pub slug: String,
    pub category: Option<String>,
    pub unit: Option<u64>,
    pub featured: bool,
}

/// Creates an entry in the draft state with its first revision.
pub fn create(
    tx: &WriteTransaction,
    new: NewEntry,
    fields: Fields,
    saved_by: &str,
    now: Timestamp,
) -> Result<Entry, Error> {
    if !slug::is_valid(&new.slug) {
        return Err(invalid(
            "slug",
            "Đường dẫn chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang.",
        ));
    }
    if fields.title.trim().is_empty() {
        return Err(invalid("title", "Vui lòng nhập tiêu đề."));
    }
    let mut slugs = tx.open_table(tables::SLUGS).map_err(store::Error::from)?;
    if slugs
        .get((new.kind.as_str(), new.slug.as_str()))
        .map_err(store::Error::from)?
        .is_some()
    {
        return Err(invalid(
            "slug",
            "Đường dẫn này đã được dùng cho một mục khác.",
        ));
    }
    match (&new.category, new.kind.is_dated()) {
        (Some(cat), _) if tables::CATEGORIES.get(tx, cat.as_str())?.is_none() => {
            return Err(invalid("category", "Chuyên mục không tồn tại."));
        }
        (None, true) => return Err(invalid("category", "Vui lòng chọn chuyên mục.")),
        _ => {}
    }
    let id = EntryId(store::next_id(tx, "entries")?);
    let revision = new_revision(tx, id, None, fields, saved_by, now)?;
    let entry = Entry {
        id,
        kind: new.kind,
        slug: new.slug,
        category: new.category,
        unit: new.unit,
        created_by: None,
        state: State::Draft,
        working: revision.id,
        published: None,
        featured: new.featured,
        created_at: now,
        updated_at: now,
        published_at: None,
        reviewed_at: None,
        approval: None,
        live_approval: None,
        scheduled_for: None,
    };
    slugs
        .insert((entry.kind.as_str(), entry.slug.as_str()), id.0)
        .map_err(store::Error::from)?;
    tables::ENTRIES.insert(tx, id.0, &entry)?;
    Ok(entry)
}

pub(crate) fn new_revision(
    tx: &WriteTransaction,
    entry: EntryId,
    parent: Option<RevisionId>,
    fields: Fields,
    saved_by: &str,
    now: Timestamp,
) -> Result<Revision, Error> {
    let id = RevisionId(store::next_id(tx, "revisions")?);
    let mut fields = fields;
    fields.body_html = sanitize::clean(&fields.body_html);
    let hash = revision_hash(entry, parent, &fields);
    let revision = Revision {
        id,
        entry,
        parent,
        saved_by: saved_by.to_string(),
        created_at: now,
        fields,
        hash,
    };
    tables::REVISIONS.insert(tx, id.0, &revision)?;
    Ok(revision)
}

/// The hash approval binds to: over the entry, the parent and the fields, in the
/// field order of their declarations (`serde_json` keeps it), so it is stable.
pub fn revision_hash(entry: EntryId, parent: Option<RevisionId>, fields: &Fields) -> String {
    let canonical = serde_json::to_vec(&(entry, parent, fields)).unwrap_or_default();
    hex::encode(Sha256::digest(canonical))
}

/// Makes the entry's working revision the live one and lists it. The workflow decides
/// who may call this; the function itself only keeps the indexes right.
pub fn publish(tx: &WriteTransaction, id: EntryId, now: Timestamp) -> Result<Entry, Error> {
    let mut entry = tables::ENTRIES
        .get(tx, id.0)?
        .ok_or(Error::NoSuchEntry(id))?;
    unlist(tx, &entry)?;
    entry.published = Some(entry.working);
    entry.state = State::Published;
    entry.published_at = Some(entry.published_at.unwrap_or(now));
    entry.updated_at = now;
    list(tx, &entry)?;
    tables::ENTRIES.insert(tx, id.0, &entry)?;
    Ok(entry)
}

fn list_keys(tx: &WriteTransaction, entry: &Entry) -> Result<Vec<(String, i64)>, Error> {
    // Only what is live is listed; `published_at` outlives a withdrawal.
    let (Some(at), Some(live)) = (entry.published_at, entry.published) else {
        return Ok(Vec::new());
    };
    if entry.kind == Kind::Answer {
        let listed = tables::REVISIONS
            .get(tx, live.0)?
            .is_some_and(|r| is_listed(entry.kind, &r.fields));
        if !listed {
            return Ok(Vec::new());
        }
    }
    let at = at.as_second();
    let mut keys = vec![(List::Kind(entry.kind).key(), at)];
    if let Some(cat) = &entry.category {
        keys.push((List::Category(cat).key(), at));
    }
    if entry.featured {
        keys.push((List::Featured.key(), at));
    }
    Ok(keys)
}

pub(crate) fn list(tx: &WriteTransaction, entry: &Entry) -> Result<(), Error> {
    let mut index = tx
        .open_table(tables::PUBLISHED)
        .map_err(store::Error::from)?;
    for (list, at) in list_keys(tx, entry)? {
        index
            .insert((list.as_str(), at, entry.id.0), ())
            .map_err(store::Error::from)?;
    }
    Ok(())
}

pub(crate) fn unlist(tx: &WriteTransaction, entry: &Entry) -> Result<(), Error> {
    let mut index = tx
        .open_table(tables::PUBLISHED)
        .map_err(store::Error::from)?;
    for (list, at) in list_keys(tx, entry)? {
        index
            .remove((list.as_str(), at, entry.id.0))
            .map_err(store::Error::from)?;
    }
    Ok(())
}

/// The live version of the entry of `kind` at `slug`, if it is published and listed.
pub fn find_published(tx: &impl Tx, kind: Kind, slug: &str) -> Result<Option<Published>, Error> {
    let Some(id) = store::get_plain(tx, tables::SLUGS, (kind.as_str(), slug), |v| v)? else {
        return Ok(None);
    };
    Ok(published(tx, EntryId(id))?.filter(Published::is_listed))
}

pub fn published(tx: &impl Tx, id: EntryId) -> Result<Option<Published>, Error> {
    let Some(entry) = tables::ENTRIES.get(tx, id.0)? else {
        return Ok(None);
    };
    let Some(rev) = entry.published else {
        return Ok(None);
    };
    // While the live revision is one the integrity check found altered, citizens see
    // its last good published revision, or a notice.
    let revision = match crate::integrity::shown(tx, id, rev)? {
        crate::integrity::Show::UnderReview => crate::integrity::notice_revision(&entry, rev),
        crate::integrity::Show::Revision { revision } => tables::REVISIONS
            .get(tx, revision)?
            .ok_or_else(|| store::Error::Decode {
                table: tables::REVISIONS.name(),
                message: format!("entry {id} names missing revision {revision}"),
            })?,
    };
    Ok(Some(Published { entry, revision }))
}

/// Whether citizens may find a published revision: everything, except answers to
/// questions that are not of general interest, which reach only the person who asked
/// (through the status page) and stay out of lists, search, feeds and sitemaps.
pub fn is_listed(kind: Kind, fields: &Fields) -> bool {
    kind != Kind::Answer
        || fields
            .record
            .get(record::PUBLIC_ANSWER)
            .is_some_and(|v| v == "true")
}

impl Published {
    pub fn is_listed(&self) -> bool {
        is_listed(self.entry.kind, &self.revision.fields)
    }
}

/// One page (1-based) of a published list, newest first.
pub fn list_published(
    tx: &impl Tx,
    list: List<'_>,
    page: usize,
    per_page: usize,
) -> Result<PageOf<Published>, Error> {
    let page = page.max(1);
    let (ids, total) = index_page(tx, &list.key(), (page - 1) * per_page, per_page)?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(p) = published(tx, EntryId(id))? {
            items.push(p);
        }
    }
    Ok(PageOf {
        items,
        page,
        per_page,
        total,
    })
}

/// Every published entry of a kind, in slug order (sitemaps, page menus).
pub fn all_published(tx: &impl Tx, kind: Kind) -> Result<Vec<Published>, Error> {
    let mut out = Vec::new();
    for entry in tables::ENTRIES.values(tx)? {
        if entry.kind == kind
            && entry.published.is_some()
            && let Some(p) = published(tx, entry.id)?
            && p.is_listed()
        {
            out.push(p);
        }
    }
    out.sort_by(|a, b| a.entry.slug.cmp(&b.entry.slug));
    Ok(out)
}

/// What the store knows about an uploaded file.
pub fn blob(tx: &impl Tx, hash: &BlobHash) -> Result<Option<BlobMeta>, Error> {
    Ok(crate::store::BLOBS.get(tx, hash.as_str())?)
}

/// Stores a file's bytes and records its metadata; returns the metadata.
pub fn put_blob(
    tx: &WriteTransaction,
    blobs: &store::Blobs,
    bytes: &[u8],
    content_type: &str,
    original_name: &str,
    uploaded_by: &str,
    now: Timestamp,
) -> Result<BlobMeta, Error> {
    // The file lands before the transaction commits; if it then aborts, an unreferenced
    // blob stays behind, which is harmless (content-addressed) and never half-written.
    let hash = blobs.put(bytes).map_err(store::Error::from)?;
    let meta = BlobMeta {
        hash: hash.clone(),
        size: bytes.len() as u64,
        content_type: content_type.to_string(),
        original_name: original_name.to_string(),
        alt: String::new(),
        uploaded_by: uploaded_by.to_string(),
        uploaded_at: now,
        width: 0,
        height: 0,
        variants: Vec::new(),
    };
    crate::store::BLOBS.insert(tx, hash.as_str(), &meta)?;
    Ok(meta)
}

pub fn put_category(
    tx: &WriteTransaction,
    category: &Category,
    now: Timestamp,
) -> Result<(), Error> {
    if !slug::is_valid(&category.slug) {
        return Err(invalid("slug", "Đường dẫn chuyên mục không hợp lệ."));
    }
    if category.name.trim().is_empty() {
        return Err(invalid("name", "Vui lòng nhập tên chuyên mục."));
    }
    tables::CATEGORIES.insert(tx, category.slug.as_str(), category)?;
    // The categories and their order are the home page's layout: approved settings.
    crate::integrity::approve_settings(tx, "categories", now)?;
    Ok(())
}

pub fn category(tx: &impl Tx, slug: &str) -> Result<Option<Category>, Error> {
    Ok(tables::CATEGORIES.get(tx, slug)?)
}

/// Categories in display order.
pub fn categories(tx: &impl Tx) -> Result<Vec<Category>, Error> {
    let mut all = tables::CATEGORIES.values(tx)?;
    all.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.name.cmp(&b.name)));
    Ok(all)
}

/// The tables of entries and their revisions, lists and schedule.
pub mod tables {
    use redb::TableDefinition;

    use super::{Category, Entry, Event, Revision};
    use crate::store::Table;

    /// Entries by id: the envelope (kind, slug, state, working and published revision).
    pub const ENTRIES: Table<u64, Entry> = Table::new("entries_v1");
    /// Immutable revisions by id.
    pub const REVISIONS: Table<u64, Revision> = Table::new("revisions_v1");
    /// (kind, slug) → entry id; a slug is unique within its kind.
    pub const SLUGS: TableDefinition<(&str, &str), u64> = TableDefinition::new("slugs_v1");
    /// Published lists, newest first: (list name, published unix seconds, entry id).
    /// List names: `kind:article`, `cat:<category slug>`, `featured`.
    pub const PUBLISHED: TableDefinition<(&str, i64, u64), ()> =
        TableDefinition::new("published_v1");
    /// Categories by slug.
    pub const CATEGORIES: Table<&str, Category> = Table::new("categories_v1");
    /// Each entry's editorial record: (entry id, sequence) → event.
    pub const EVENTS: Table<(u64, u64), Event> = Table::new("events_v1");
    /// Scheduled publications: (unix seconds, entry id).
    pub const SCHEDULE: TableDefinition<(i64, u64), ()> = TableDefinition::new("schedule_v1");
}

/// A page of a list index, newest first: the entry ids and the total count.
pub fn index_page(
    tx: &impl Tx,
    list: &str,
    skip: usize,
    take: usize,
) -> Result<(Vec<u64>, usize), store::Error> {
    fn page(
        table: &impl ReadableTable<(&'static str, i64, u64), ()>,
        list: &str,
        skip: usize,
        take: usize,
    ) -> Result<(Vec<u64>, usize), store::Error> {
        let range = table.range((list, i64::MIN, 0)..=(list, i64::MAX, u64::MAX))?;
        let mut ids = Vec::with_capacity(take);
        let mut total = 0;
        for item in range.rev() {
            let (key, _) = item?;
            if total >= skip && ids.len() < take {
                ids.push(key.value().2);
            }
            total += 1;
        }
        Ok((ids, total))
    }
    match tx.reader() {
        store::Reader::Read(t) => page(&t.open_table(tables::PUBLISHED)?, list, skip, take),
        store::Reader::Write(t) => page(&t.open_table(tables::PUBLISHED)?, list, skip, take),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_pages_are_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        store
            .write_blocking(|tx| -> Result<(), store::Error> {
                let mut t = tx.open_table(tables::PUBLISHED)?;
                for (at, id) in [(10, 1), (30, 2), (20, 3)] {
                    t.insert(("all", at, id), ())?;
                }
                t.insert(("other", 99, 9), ())?;
                Ok(())
            })
            .unwrap();
        let (ids, total) = store
            .read_blocking(|tx| index_page(tx, "all", 0, 2))
            .unwrap();
        assert_eq!((ids, total), (vec![2, 3], 3));
        let (ids, _) = store
            .read_blocking(|tx| index_page(tx, "all", 2, 2))
            .unwrap();
        assert_eq!(ids, vec![1]);
    }
    use crate::store::Store;

    fn fields(title: &str) -> Fields {
        Fields {
            title: title.into(),
            ..Fields::default()
        }
    }

    fn new_article(slug: &str) -> NewEntry {
        NewEntry {
            kind: Kind::Article,
            slug: slug.into(),
            category: Some("tin".into()),
            unit: None,
            featured: false,
        }
    }

    fn store_with_category() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        store
            .write_blocking(|tx| {
                put_category(
                    tx,
                    &Category {
                        slug: "tin".into(),
                        name: "Tin".into(),
                        description: String::new(),
                        order: 0,
                    },
                    jiff::Timestamp::UNIX_EPOCH,
                )
            })
            .unwrap();
        (dir, store)
    }

    #[test]
    fn drafts_are_not_public_until_published() {
        let (_dir, store) = store_with_category();
        let t0 = Timestamp::from_second(1_700_000_000).unwrap();
        let entry = store
            .write_blocking(|tx| create(tx, new_article("mot"), fields("Một"), "demo", t0))
            .unwrap();
        assert_eq!(entry.state, State::Draft);
        let found = store
            .read_blocking(|tx| find_published(tx, Kind::Article, "mot"))
            .unwrap();
        assert!(found.is_none());
        store
            .write_blocking(|tx| publish(tx, entry.id, t0))
            .unwrap();
        let found = store
            .read_blocking(|tx| find_published(tx, Kind::Article, "mot"))
            .unwrap()
            .unwrap();
        assert_eq!(found.revision.fields.title, "Một");
        assert_eq!(found.url(), "/tin-tuc/mot");
        let page = store
            .read_blocking(|tx| list_published(tx, List::Category("tin"), 1, 10))
            .unwrap();
        assert_eq!(page.total, 1);
    }

    #[test]
    fn slugs_are_unique_per_kind_and_categories_must_exist() {
        let (_dir, store) = store_with_category();
        let now = Timestamp::now();
        store
            .write_blocking(|tx| create(tx, new_article("a"), fields("A"), "demo", now))
            .unwrap();
        let err = store
            .write_blocking(|tx| create(tx, new_article("a"), fields("B"), "demo", now))
            .unwrap_err();
        assert!(matches!(err, Error::Invalid(Invalid { field: "slug", .. })));
        let mut other = new_article("b");
        other.category = Some("khong-co".into());
        let err = store
            .write_blocking(|tx| create(tx, other, fields("B"), "demo", now))
            .unwrap_err();
        assert!(matches!(
            err,
            Error::Invalid(Invalid {
                field: "category",
                ..
            })
        ));
        let page = NewEntry {
            kind: Kind::Page,
            slug: "a".into(),
            category: None,
            unit: None,
            featured: false,
        };
        store
            .write_blocking(|tx| create(tx, page, fields("Trang A"), "demo", now))
            .unwrap();
    }

    #[test]
    fn the_revision_hash_covers_every_field() {
        let a = fields("A");
        let mut b = a.clone();
        b.source = "Nguồn".into();
        assert_ne!(
            revision_hash(EntryId(1), None, &a),
            revision_hash(EntryId(1), None, &b)
        );
        assert_eq!(
            revision_hash(EntryId(1), None, &a),
            revision_hash(EntryId(1), None, &a.clone())
        );
    }
}

//! Content: the `Entry` envelope, its immutable `Revision`s, the kinds, categories and
//! slugs. An entry keeps its working revision and its published revision apart, so an
//! edit never changes what citizens see until it is published.

pub mod accessibility;
pub mod cards;
pub mod days;
pub mod deadlines;
pub mod docx;
pub mod editorial;
mod keyed;
pub mod legal;
mod ops;

pub mod procedure;
pub mod record;
pub mod record_list;
pub mod register;
pub mod sanitize;
pub mod schedule;
pub mod sections;
pub mod sitemap;
pub mod slug;
pub mod withdrawn;

pub use ops::{
    Window, all_published, blob, categories, category, create, find_published, index_page,
    index_page_within, is_listed, list_len, list_published, list_published_oldest_first,
    list_published_within, listed_count, publish, published, put_blob, put_category,
    remove_unpublished, revision_hash, set_first_published, slug_taken,
};
pub(crate) use ops::{change_slug, list, new_revision, published_day, recount_lists, unlist};

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::store::{self, BlobHash};

/// The kinds of entry. Adding one takes: a variant here with its methods (name, label,
/// URL prefix); its fields, either a `record::spec` (a described kind) or a module of
/// its own like `legal` and `procedure`; and its public templates. The public routes,
/// feeds, sitemap and the editor's kind choice follow from `Kind::ALL`.
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
    /// Statistics (C12): data and reports with their method and period.
    Statistic,
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
        Kind::Statistic,
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
            Kind::Statistic => "statistic",
        }
    }

    /// Slugs no entry of this kind may take: the addresses of fixed pages under its
    /// prefix (`/en/organisation`, `/en/contacts`), which its entries' pages would
    /// otherwise share a cache key with.
    pub fn reserved_slugs(self) -> &'static [&'static str] {
        match self {
            Kind::EnglishPage => &["organisation", "contacts"],
            _ => &[],
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
            Kind::Statistic => "/thong-ke",
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
            Kind::Statistic => "Thống kê",
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
    /// Từ khóa: what an old site's tags said of the entry (searchable, shown under it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// For a page: the slug of the page it sits under (an old site's page tree).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
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

/// A section (chuyên mục): a place in the site's structure that citizens navigate and
/// editors publish into. `sections` manages the tree; the fields the law asks for have
/// defaults that read the rows of folders older than them as they were.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Position among its siblings, in menus and on the home page.
    #[serde(default)]
    pub order: u32,
    /// The section it sits under (two levels at most).
    #[serde(default)]
    pub parent: Option<String>,
    /// The kinds of entry it holds; none: a heading over its children.
    #[serde(default = "articles")]
    pub kinds: Vec<Kind>,
    /// A fixed address it leads to instead of its own list (a form, the sitemap).
    #[serde(default)]
    pub href: Option<String>,
    #[serde(default)]
    pub in_menu: bool,
    #[serde(default = "yes")]
    pub on_home: bool,
    /// Working days from the source document's date to publication (D1–D7); none: the
    /// kind's rule in `[deadlines]`.
    #[serde(default)]
    pub deadline_days: Option<u32>,
    /// How, when and for how long its information is disclosed (C13, O6, O8).
    #[serde(default)]
    pub disclosure: Disclosure,
    /// Years its items stay online at least (O6, O7); none: while in force.
    #[serde(default)]
    pub retention_years: Option<u32>,
    /// Set when the section was retired: its entries moved there, and its addresses
    /// answer 301 to that section's.
    #[serde(default)]
    pub retired_into: Option<String>,
}

/// What the generated list of disclosed information says of a section; an empty text
/// is worked out from the section's other settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Disclosure {
    pub form: String,
    pub timing: String,
    pub period: String,
}

fn articles() -> Vec<Kind> {
    vec![Kind::Article]
}

fn yes() -> bool {
    true
}

impl Category {
    /// A section of articles with every other setting at its default.
    pub fn new(slug: &str, name: &str) -> Category {
        Category {
            slug: slug.to_string(),
            name: name.to_string(),
            description: String::new(),
            order: 0,
            parent: None,
            kinds: articles(),
            href: None,
            in_menu: false,
            on_home: true,
            deadline_days: None,
            disclosure: Disclosure::default(),
            retention_years: None,
            retired_into: None,
        }
    }

    /// Items published before this moment have outlived the section's online period
    /// (`retention_years`, O6): they leave its list and the home page for the public
    /// archive ("Lưu trữ"), where they stay, at the same address and in search.
    pub fn archived_before(&self, now: Timestamp) -> Option<Timestamp> {
        use jiff::ToSpan;
        let years = self.retention_years?;
        now.to_zoned_datetime(crate::format::vietnam())
            .checked_sub(i64::from(years).years())
            .ok()
            .map(|z| z.timestamp())
    }

    /// The span of publication times the section's own list shows now.
    pub fn live_window(&self, now: Timestamp) -> Window {
        self.archived_before(now).map_or(Window::ALL, Window::since)
    }
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

    /// The date that belongs to the item itself, with what it is: a document's issue
    /// date, a task's start, a bulletin's issue, a question's day, a week's Monday; for
    /// news and pages, the day they were published. None for kinds without one (a
    /// procedure, a person), rather than the day the item happened to be entered.
    pub fn own_date(&self) -> Option<(&'static str, jiff::civil::Date)> {
        own_date(&self.entry, &self.revision.fields)
    }
}

/// `Published::own_date` for an entry shown with `fields` (a list's card row is made
/// with it when the entry is listed).
pub fn own_date(entry: &Entry, f: &Fields) -> Option<(&'static str, jiff::civil::Date)> {
    let published = || {
        entry.published_at.map(|t| {
            (
                "Ngày đăng",
                t.to_zoned_datetime(crate::format::vietnam()).date(),
            )
        })
    };
    match entry.kind {
        Kind::LegalDocument => f.legal.as_ref().map(|d| ("Ngày ban hành", d.issued)),
        Kind::ScheduleWeek => f.schedule.as_ref().map(|w| ("Tuần từ", w.start)),
        Kind::Procedure | Kind::Person => None,
        Kind::Article | Kind::Page | Kind::EnglishPage => published(),
        kind => {
            let spec = record::spec(kind)?;
            let field = spec
                .fields
                .iter()
                .find(|x| x.key == spec.sort_by && x.ty == record::FieldType::Date)
                .or_else(|| {
                    spec.fields
                        .iter()
                        .find(|x| x.ty == record::FieldType::Date && x.required)
                })?;
            let date = f.record.get(field.key)?.trim().parse().ok()?;
            Some((field.label, date))
        }
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
    /// How many entries each published list holds: list pages count without reading
    /// the list.
    pub const COUNTS: TableDefinition<&str, u64> = TableDefinition::new("list_counts_v1");
    /// How many entries of each published list fall on each day (UTC): a deep page
    /// finds its first key without walking the keys before it.
    pub const DAYS: super::days::Days = TableDefinition::new("list_days_v1");
    /// Categories by slug.
    pub const CATEGORIES: Table<&str, Category> = Table::new("categories_v1");
    /// Each entry's editorial record: (entry id, sequence) → event.
    pub const EVENTS: Table<(u64, u64), Event> = Table::new("events_v1");
    /// Scheduled publications: (unix seconds, entry id).
    pub const SCHEDULE: TableDefinition<(i64, u64), ()> = TableDefinition::new("schedule_v1");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_pages_are_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        store
            .write_blocking(|tx| -> Result<(), Error> {
                {
                    let mut t = tx
                        .open_table(tables::PUBLISHED)
                        .map_err(store::Error::from)?;
                    for (at, id) in [(10, 1), (30, 2), (20, 3), (40, 4), (50, 5)] {
                        t.insert(("all", at, id), ()).map_err(store::Error::from)?;
                    }
                    t.insert(("other", 99, 9), ()).map_err(store::Error::from)?;
                }
                recount_lists(tx)
            })
            .unwrap();
        let page = |skip, take| {
            store
                .read_blocking(|tx| index_page(tx, "all", skip, take))
                .unwrap()
        };
        assert_eq!(page(0, 2), (vec![5, 4], 5));
        // Past the middle, the page is read from the oldest end, still newest first.
        assert_eq!(page(2, 2), (vec![2, 3], 5));
        assert_eq!(page(4, 2), (vec![1], 5));
        assert_eq!(page(3, 10), (vec![3, 1], 5));
        assert_eq!(page(5, 2), (vec![], 5));
        // A window is counted as it is read.
        let (ids, total) = store
            .read_blocking(|tx| {
                index_page_within(
                    tx,
                    "all",
                    Window::since(Timestamp::from_second(20).unwrap()),
                    1,
                    2,
                )
            })
            .unwrap();
        assert_eq!((ids, total), (vec![4, 2], 4));
    }
    #[test]
    fn deep_pages_start_on_the_right_day() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        // 7,000 items over about 300 days, several per second on some days and none on
        // others, plus a second list, so that pages cross days and lists.
        let mut items: Vec<(i64, u64)> = (0..7_000u64)
            .map(|id| {
                let at = 1_700_000_000 + ((id * id * 7_919) % 26_000_000) as i64;
                (at, id)
            })
            .collect();
        store
            .write_blocking(|tx| -> Result<(), Error> {
                {
                    let mut t = tx
                        .open_table(tables::PUBLISHED)
                        .map_err(store::Error::from)?;
                    for (at, id) in &items {
                        t.insert(("all", *at, *id), ())
                            .map_err(store::Error::from)?;
                        t.insert(("other", *at, *id), ())
                            .map_err(store::Error::from)?;
                    }
                }
                recount_lists(tx)?;
                days::rebuild(
                    tx,
                    tables::PUBLISHED,
                    tables::DAYS,
                    |l| l == "all",
                    published_day,
                )?;
                Ok(())
            })
            .unwrap();
        items.sort_unstable();
        items.reverse();
        let expected = |skip: usize, take: usize| -> Vec<u64> {
            items
                .iter()
                .skip(skip)
                .take(take)
                .map(|(_, id)| *id)
                .collect()
        };
        for skip in [
            0, 1_999, 2_001, 2_345, 3_490, 3_500, 3_510, 4_999, 6_990, 6_999, 7_000,
        ] {
            let (ids, total) = store
                .read_blocking(|tx| index_page(tx, "all", skip, 12))
                .unwrap();
            assert_eq!((ids, total), (expected(skip, 12), 7_000), "skip {skip}");
        }
        // A window's count comes from the day counts and its two cut days' keys.
        for (from, to) in [
            (1_700_000_000 + 86_400 * 40 + 3_000, i64::MAX),
            (i64::MIN, 1_700_000_000 + 86_400 * 200 + 77),
            (
                1_700_000_000 + 86_400 * 10 + 5,
                1_700_000_000 + 86_400 * 11 + 9,
            ),
            (
                1_700_000_000 + 86_400 * 30,
                1_700_000_000 + 86_400 * 30 + 4_000,
            ),
            (1_800_000_000, i64::MAX),
        ] {
            let window = Window { from, to };
            let inside: Vec<u64> = items
                .iter()
                .filter(|(at, _)| (from..=to).contains(at))
                .map(|(_, id)| *id)
                .collect();
            for skip in [0, 3, inside.len().saturating_sub(2)] {
                let (ids, total) = store
                    .read_blocking(|tx| index_page_within(tx, "all", window, skip, 4))
                    .unwrap();
                let want: Vec<u64> = inside.iter().skip(skip).take(4).copied().collect();
                assert_eq!(
                    (ids, total),
                    (want, inside.len()),
                    "{from}..={to} skip {skip}"
                );
            }
        }
        // Removing items keeps the day counts exact.
        store
            .write_blocking(|tx| -> Result<(), Error> {
                let mut t = tx
                    .open_table(tables::PUBLISHED)
                    .map_err(store::Error::from)?;
                let mut counts = tx.open_table(tables::COUNTS).map_err(store::Error::from)?;
                for (at, id) in items.iter().step_by(3) {
                    t.remove(("all", *at, *id)).map_err(store::Error::from)?;
                    days::change(tx, tables::DAYS, "all", published_day(*at), -1)?;
                }
                counts
                    .insert("all", items.len() as u64 - items.len().div_ceil(3) as u64)
                    .map_err(store::Error::from)?;
                Ok(())
            })
            .unwrap();
        let kept: Vec<(i64, u64)> = items
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 3 != 0)
            .map(|(_, item)| *item)
            .collect();
        for skip in [2_100, 2_500, 4_600] {
            let (ids, _) = store
                .read_blocking(|tx| index_page(tx, "all", skip, 5))
                .unwrap();
            let want: Vec<u64> = kept.iter().skip(skip).take(5).map(|(_, id)| *id).collect();
            assert_eq!(ids, want, "skip {skip} after removals");
        }
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
                    &Category::new("tin", "Tin"),
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
    fn counts_and_sitemap_rows_follow_publication_and_can_be_rebuilt() {
        let (_dir, store) = store_with_category();
        let t0 = Timestamp::from_second(1_700_000_000).unwrap();
        let t1 = Timestamp::from_second(1_700_000_100).unwrap();
        let ids: Vec<EntryId> = ["mot", "hai", "ba"]
            .iter()
            .map(|slug| {
                store
                    .write_blocking(|tx| {
                        let e = create(tx, new_article(slug), fields(slug), "demo", t0)?;
                        publish(tx, e.id, t0)
                    })
                    .unwrap()
                    .id
            })
            .collect();
        let state = |store: &Store| {
            store
                .read_blocking(|tx| -> Result<_, Error> {
                    let parts = sitemap::parts(tx)?;
                    let rows = sitemap::part(tx, Kind::Article, 1)?.unwrap_or_default();
                    Ok((
                        list_len(tx, "kind:article")?,
                        list_len(tx, "cat:tin")?,
                        parts
                            .iter()
                            .map(|p| (p.name(), p.count))
                            .collect::<Vec<_>>(),
                        rows.iter().map(|r| r.slug.clone()).collect::<Vec<_>>(),
                    ))
                })
                .unwrap()
        };
        assert_eq!(
            state(&store),
            (
                3,
                3,
                vec![("tin-tuc-1".to_string(), 3)],
                vec!["mot".into(), "hai".into(), "ba".into()]
            )
        );
        // Publishing again counts once; a withdrawal leaves the lists and the part.
        store.write_blocking(|tx| publish(tx, ids[0], t1)).unwrap();
        store
            .write_blocking(|tx| -> Result<(), Error> {
                let mut entry = tables::ENTRIES.get(tx, ids[1].0)?.unwrap();
                unlist(tx, &entry)?;
                entry.published = None;
                tables::ENTRIES.insert(tx, ids[1].0, &entry)?;
                Ok(())
            })
            .unwrap();
        let after = state(&store);
        assert_eq!(
            after,
            (
                2,
                2,
                vec![("tin-tuc-1".to_string(), 2)],
                vec!["mot".into(), "ba".into()]
            )
        );
        // The migration's rebuild, from nothing, finds the same.
        store
            .write_blocking(|tx| -> Result<(), Error> {
                for name in [sitemap::ROWS.name(), sitemap::PARTS.name()] {
                    tx.delete_table(redb::TableDefinition::<&str, u64>::new(name))
                        .map_err(store::Error::from)?;
                }
                tx.open_table(sitemap::PARTS.definition())
                    .map_err(store::Error::from)?;
                tx.open_table(sitemap::ROWS.definition())
                    .map_err(store::Error::from)?;
                recount_lists(tx)?;
                sitemap::rebuild(tx)
            })
            .unwrap();
        assert_eq!(state(&store), after);
        let page = store
            .read_blocking(|tx| list_published(tx, List::Kind(Kind::Article), 1, 10))
            .unwrap();
        assert_eq!(page.total, 2);
        assert_eq!(page.items.len(), 2);
    }

    #[test]
    fn cards_show_what_the_entries_show_through_every_change_and_can_be_rebuilt() {
        let (_dir, store) = store_with_category();
        let at = |n: i64| Timestamp::from_second(1_700_000_000 + n * 60).unwrap();
        let ids: Vec<EntryId> = (0..4)
            .map(|n| {
                store
                    .write_blocking(|tx| {
                        let mut f = fields(&format!("Tin số {n}"));
                        f.summary = format!("Tóm tắt {n}");
                        let e = create(tx, new_article(&format!("tin-{n}")), f, "demo", at(n))?;
                        publish(tx, e.id, at(n))
                    })
                    .unwrap()
                    .id
            })
            .collect();
        // What a list shows, both ways: its cards, and cards made from the entries.
        let both = |store: &Store| {
            store
                .read_blocking(|tx| -> Result<_, Error> {
                    let shown = |p: PageOf<cards::CardRow>| -> Vec<String> {
                        p.items
                            .iter()
                            .map(|c| format!("{} {} {} {:?}", c.slug, c.title, c.summary, c.date))
                            .collect()
                    };
                    let long = list_published(tx, List::Category("tin"), 1, 10)?;
                    let long = PageOf {
                        items: long
                            .items
                            .iter()
                            .map(|p| cards::CardRow::of(&p.entry, &p.revision))
                            .collect(),
                        page: long.page,
                        per_page: long.per_page,
                        total: long.total,
                    };
                    let quick = cards::page(tx, List::Category("tin"), Window::ALL, 1, 10)?;
                    Ok((shown(quick), shown(long)))
                })
                .unwrap()
        };
        let (quick, long) = both(&store);
        assert_eq!(quick, long);
        assert_eq!(quick.len(), 4);
        assert!(
            quick[0].starts_with("tin-3 Tin số 3 Tóm tắt 3 Some(2023-11-"),
            "{quick:?}"
        );
        // A new version goes live, an address changes, one is withdrawn.
        store
            .write_blocking(|tx| -> Result<(), Error> {
                let mut f = fields("Tin số 1, bản sửa");
                f.summary = "Tóm tắt mới".into();
                let revision = new_revision(tx, ids[1], None, f, "demo", at(9))?;
                let mut entry = tables::ENTRIES.get(tx, ids[1].0)?.unwrap();
                entry.working = revision.id;
                tables::ENTRIES.insert(tx, ids[1].0, &entry)?;
                publish(tx, ids[1], at(9))?;
                let mut entry = tables::ENTRIES.get(tx, ids[2].0)?.unwrap();
                change_slug(tx, &mut entry, "tin-hai-moi", "demo", at(9))?;
                tables::ENTRIES.insert(tx, ids[2].0, &entry)?;
                let mut entry = tables::ENTRIES.get(tx, ids[0].0)?.unwrap();
                unlist(tx, &entry)?;
                entry.published = None;
                tables::ENTRIES.insert(tx, ids[0].0, &entry)?;
                Ok(())
            })
            .unwrap();
        let (quick, long) = both(&store);
        assert_eq!(quick, long);
        assert_eq!(quick.len(), 3);
        assert!(
            quick
                .iter()
                .any(|c| c.starts_with("tin-1 Tin số 1, bản sửa Tóm tắt mới"))
        );
        assert!(quick.iter().any(|c| c.starts_with("tin-hai-moi ")));
        // A held entry shows what its page shows (here the notice), not its card.
        store
            .write_blocking(|tx| {
                let live = tables::ENTRIES
                    .get(tx, ids[3].0)?
                    .unwrap()
                    .published
                    .unwrap();
                let hold = crate::integrity::Hold {
                    flagged: live.0,
                    show: crate::integrity::Show::UnderReview,
                };
                store::meta_put(
                    tx,
                    "integrity_holds",
                    &[(ids[3].0, hold)]
                        .into_iter()
                        .collect::<std::collections::BTreeMap<_, _>>(),
                )
            })
            .unwrap();
        let (quick, long) = both(&store);
        assert_eq!(quick, long);
        assert!(
            quick[0].starts_with("tin-3 Nội dung đang được kiểm tra"),
            "{quick:?}"
        );
        // A card that does not decode, or is missing, is read from its entry instead.
        store
            .write_blocking(|tx| -> Result<(), Error> {
                let mut rows = tx
                    .open_table(cards::ROWS.definition())
                    .map_err(store::Error::from)?;
                rows.insert(ids[1].0, b"{not json".as_slice())
                    .map_err(store::Error::from)?;
                rows.remove(ids[2].0).map_err(store::Error::from)?;
                Ok(())
            })
            .unwrap();
        let (quick, long) = both(&store);
        assert_eq!(quick, long);
        assert_eq!(quick.len(), 3);
        // The integrity check finds both, and makes them again.
        let as_listed = |store: &Store| {
            store
                .read_blocking(|tx| -> Result<Vec<bool>, Error> {
                    let mut out = Vec::new();
                    for id in &ids[1..] {
                        let entry = tables::ENTRIES.get(tx, id.0)?.unwrap();
                        let live = tables::REVISIONS.get(tx, entry.published.unwrap().0)?;
                        out.push(cards::is_as_listed(tx, &entry, &live.unwrap())?);
                    }
                    Ok(out)
                })
                .unwrap()
        };
        assert_eq!(as_listed(&store), [false, false, true]);
        store
            .write_blocking(|tx| -> Result<(), Error> {
                cards::remake(tx, ids[1])?;
                cards::remake(tx, ids[2])
            })
            .unwrap();
        assert_eq!(as_listed(&store), [true, true, true]);
        // The migration's rebuild, from nothing, makes the same cards.
        let rows = |store: &Store| {
            store
                .read_blocking(|tx| cards::ROWS.values(tx))
                .unwrap()
                .iter()
                .map(|c| serde_json::to_string(c).unwrap())
                .collect::<Vec<_>>()
        };
        let before = rows(&store);
        assert_eq!(before.len(), 3);
        store
            .write_blocking(|tx| -> Result<(), Error> {
                tx.delete_table(cards::ROWS.definition())
                    .map_err(store::Error::from)?;
                tx.open_table(cards::ROWS.definition())
                    .map_err(store::Error::from)?;
                cards::rebuild(tx)
            })
            .unwrap();
        assert_eq!(rows(&store), before);
    }

    #[test]
    fn oldest_first_pages_keep_their_items_as_new_ones_come() {
        let (_dir, store) = store_with_category();
        let publish_at = |n: i64| {
            store
                .write_blocking(|tx| -> Result<(), Error> {
                    let at = Timestamp::from_second(1_700_000_000 + n * 3_600).unwrap();
                    let e = create(
                        tx,
                        new_article(&format!("tin-{n}")),
                        fields("T"),
                        "demo",
                        at,
                    )?;
                    publish(tx, e.id, at)?;
                    Ok(())
                })
                .unwrap();
        };
        let slugs = |page: usize| -> (Vec<String>, usize) {
            let p = store
                .read_blocking(|tx| {
                    list_published_oldest_first(tx, List::Kind(Kind::Article), page, 3)
                })
                .unwrap();
            (p.items.into_iter().map(|p| p.entry.slug).collect(), p.total)
        };
        for n in 0..7 {
            publish_at(n);
        }
        assert_eq!(
            slugs(1),
            (vec!["tin-0".into(), "tin-1".into(), "tin-2".into()], 7)
        );
        assert_eq!(slugs(3), (vec!["tin-6".into()], 7));
        assert_eq!(slugs(4), (vec![], 7));
        publish_at(7);
        assert_eq!(slugs(2).0, vec!["tin-3", "tin-4", "tin-5"]);
        assert_eq!(slugs(3).0, vec!["tin-6", "tin-7"]);
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

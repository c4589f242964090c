//! Content in the store: creating and publishing entries, finding what is live, the
//! published lists, categories and files. The types they work on are in `content`.

use jiff::Timestamp;
use redb::{ReadableTable, WriteTransaction};
use sha2::{Digest, Sha256};

use crate::store::{self, BlobHash, BlobMeta, Tx};

use super::{
    Category, Entry, EntryId, Error, Fields, Kind, List, NewEntry, PageOf, Published, Revision,
    RevisionId, State, invalid, record, sanitize, slug, tables,
};

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
    if new.kind.reserved_slugs().contains(&new.slug.as_str())
        || slugs
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

/// Whether an entry of `kind` uses `slug`, or a fixed page has its address.
pub fn slug_taken(tx: &impl Tx, kind: Kind, slug: &str) -> Result<bool, Error> {
    Ok(kind.reserved_slugs().contains(&slug)
        || store::get_plain(tx, tables::SLUGS, (kind.as_str(), slug), |v| v)?.is_some())
}

/// Removes an entry that was never public (a discarded import's draft): its envelope,
/// revisions, record and address. False if it is or was live, or does not exist.
pub fn remove_unpublished(tx: &WriteTransaction, id: EntryId) -> Result<bool, Error> {
    let Some(entry) = tables::ENTRIES.get(tx, id.0)? else {
        return Ok(false);
    };
    // Only a draft nobody took further: not one approved, scheduled, live or once live.
    if entry.state != State::Draft
        || entry.approval.is_some()
        || entry.scheduled_for.is_some()
        || entry.published.is_some()
        || entry.published_at.is_some()
    {
        return Ok(false);
    }
    let mut revision = Some(entry.working);
    while let Some(r) = revision {
        revision = tables::REVISIONS.remove(tx, r.0)?.and_then(|r| r.parent);
    }
    let mut events = tx
        .open_table(tables::EVENTS.definition())
        .map_err(store::Error::from)?;
    let mut keys = Vec::new();
    for row in events
        .range((id.0, 0)..=(id.0, u64::MAX))
        .map_err(store::Error::from)?
    {
        keys.push(row.map_err(store::Error::from)?.0.value());
    }
    for key in keys {
        events.remove(key).map_err(store::Error::from)?;
    }
    drop(events);
    tx.open_table(tables::SLUGS)
        .map_err(store::Error::from)?
        .remove((entry.kind.as_str(), entry.slug.as_str()))
        .map_err(store::Error::from)?;
    tables::ENTRIES.remove(tx, id.0)?;
    Ok(true)
}

/// Gives entry `entry` the address `slug` (its kind's prefix stays). The old address of
/// a live entry keeps working: it answers 301 with the new one (`redirects`).
pub(crate) fn change_slug(
    tx: &WriteTransaction,
    entry: &mut Entry,
    slug: &str,
    by: &str,
    now: Timestamp,
) -> Result<(), Error> {
    if !super::slug::is_valid(slug) {
        return Err(invalid(
            "slug",
            "Đường dẫn chỉ được gồm chữ thường không dấu, số và dấu gạch ngang.",
        ));
    }
    if slug_taken(tx, entry.kind, slug)? {
        return Err(invalid("slug", "Đường dẫn này đã được dùng cho bài khác."));
    }
    // The lists, sitemap and registers keep the slug in their rows: a live entry is
    // taken out under its old one and listed again under its new one.
    let live = entry.published.is_some();
    if live {
        unlist(tx, entry)?;
    }
    let kind = entry.kind.as_str();
    let mut slugs = tx.open_table(tables::SLUGS).map_err(store::Error::from)?;
    slugs
        .remove((kind, entry.slug.as_str()))
        .map_err(store::Error::from)?;
    slugs
        .insert((kind, slug), entry.id.0)
        .map_err(store::Error::from)?;
    drop(slugs);
    if entry.published.is_some() {
        let (from, to) = (entry.kind.url(&entry.slug), entry.kind.url(slug));
        crate::redirects::add(tx, &from, &to, "đổi đường dẫn", by, now).map_err(|e| match e {
            crate::redirects::Error::Store(e) => Error::Store(e),
            crate::redirects::Error::Invalid(message) => invalid("slug", &message),
        })?;
    }
    entry.slug = slug.to_string();
    if live {
        list(tx, entry)?;
    }
    Ok(())
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

/// Sets when a live entry was first published, for content that was public before it
/// came here (an older site, the demo): lists, feeds and the page show that date. Only
/// an earlier date is taken; the change is audited.
pub fn set_first_published(
    tx: &WriteTransaction,
    id: EntryId,
    at: Timestamp,
    by: &str,
    now: Timestamp,
) -> Result<Entry, Error> {
    let mut entry = tables::ENTRIES
        .get(tx, id.0)?
        .ok_or(Error::NoSuchEntry(id))?;
    let Some(current) = entry.published_at.filter(|current| at < *current) else {
        return Ok(entry);
    };
    unlist(tx, &entry)?;
    entry.published_at = Some(at);
    list(tx, &entry)?;
    tables::ENTRIES.insert(tx, id.0, &entry)?;
    crate::audit::append(
        tx,
        crate::audit::Event::new(by, "first_published_set", format!("entry {id}"))
            .detail(format!("{current} → {at}")),
        now,
    )?;
    Ok(entry)
}

pub(super) fn list_keys(tx: &WriteTransaction, entry: &Entry) -> Result<Vec<(String, i64)>, Error> {
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
    let keys = list_keys(tx, entry)?;
    update_lists(tx, entry, &keys, Change::Add)?;
    if let (false, Some(live)) = (keys.is_empty(), entry.published) {
        let shown = tables::REVISIONS.get(tx, live.0)?;
        let lastmod = shown.as_ref().map_or(entry.updated_at, |r| r.created_at);
        super::sitemap::add(tx, entry, lastmod)?;
        if let Some(shown) = &shown {
            super::cards::add(tx, entry, shown)?;
            super::register::add(tx, entry, shown)?;
            super::record_list::add(tx, entry, shown)?;
            super::schedule::add(tx, entry, shown)?;
        }
    }
    Ok(())
}

pub(crate) fn unlist(tx: &WriteTransaction, entry: &Entry) -> Result<(), Error> {
    // Asked before its keys go: a listed entry's list rows should be there.
    let listed = super::cards::is_listed(tx, entry)?;
    let keys = list_keys(tx, entry)?;
    update_lists(tx, entry, &keys, Change::Remove)?;
    super::sitemap::remove(tx, entry)?;
    super::cards::remove(tx, entry)?;
    super::register::remove(tx, entry, listed)?;
    super::record_list::remove(tx, entry, listed)?;
    super::schedule::remove(tx, entry)
}

#[derive(Clone, Copy)]
enum Change {
    Add,
    Remove,
}

/// Puts `entry` into, or takes it out of, the lists `keys` names, keeping each list's
/// count: a key already there (or already gone) is not counted twice.
fn update_lists(
    tx: &WriteTransaction,
    entry: &Entry,
    keys: &[(String, i64)],
    change: Change,
) -> Result<(), Error> {
    let mut index = tx
        .open_table(tables::PUBLISHED)
        .map_err(store::Error::from)?;
    let mut counts = tx.open_table(tables::COUNTS).map_err(store::Error::from)?;
    for (list, at) in keys {
        let key = (list.as_str(), *at, entry.id.0);
        let changed = match change {
            Change::Add => index.insert(key, ()).map_err(store::Error::from)?.is_none(),
            Change::Remove => index.remove(key).map_err(store::Error::from)?.is_some(),
        };
        if changed {
            let delta = match change {
                Change::Add => 1,
                Change::Remove => -1,
            };
            super::days::change(tx, tables::DAYS, list, published_day(*at), delta)?;
            let count = counts
                .get(list.as_str())
                .map_err(store::Error::from)?
                .map_or(0, |v| v.value());
            let count = match change {
                Change::Add => count + 1,
                Change::Remove => count.saturating_sub(1),
            };
            counts
                .insert(list.as_str(), count)
                .map_err(store::Error::from)?;
        }
    }
    Ok(())
}

/// How many entries a published list holds, kept as they come and go.
pub fn list_len(tx: &impl Tx, list: &str) -> Result<usize, store::Error> {
    Ok(store::get_plain(tx, tables::COUNTS, list, |v| v)?.unwrap_or(0) as usize)
}

/// How many entries are published and listed, of every kind: from the kept counts,
/// without reading the entries.
pub fn listed_count(tx: &impl Tx) -> Result<usize, store::Error> {
    Kind::ALL.iter().try_fold(0, |sum, kind| {
        Ok(sum + list_len(tx, &List::Kind(*kind).key())?)
    })
}

/// Counts every published list again from the lists themselves (the migration that
/// added the counts).
pub(crate) fn recount_lists(tx: &WriteTransaction) -> Result<(), Error> {
    let mut totals: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    {
        let index = tx
            .open_table(tables::PUBLISHED)
            .map_err(store::Error::from)?;
        for item in index.iter().map_err(store::Error::from)? {
            let (key, ()) = item
                .map(|(k, v)| (k, v.value()))
                .map_err(store::Error::from)?;
            *totals.entry(key.value().0.to_string()).or_default() += 1;
        }
    }
    let mut counts = tx.open_table(tables::COUNTS).map_err(store::Error::from)?;
    counts.retain(|_, _| false).map_err(store::Error::from)?;
    for (list, n) in totals {
        counts
            .insert(list.as_str(), n)
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
    list_published_within(tx, list, Window::ALL, page, per_page)
}

/// One page (1-based) of a published list, first published first. Reads the page's
/// keys from the nearer end of the list, like `list_published`.
pub fn list_published_oldest_first(
    tx: &impl Tx,
    list: List<'_>,
    page: usize,
    per_page: usize,
) -> Result<PageOf<Published>, Error> {
    let page = page.max(1);
    let key = list.key();
    let total = list_len(tx, &key)?;
    let before = (page - 1).saturating_mul(per_page);
    // Counted from the newest end, the page ends `skip` items in.
    let take = total.saturating_sub(before).min(per_page);
    let skip = total.saturating_sub(before.saturating_add(take));
    let (mut ids, _) = index_page(tx, &key, skip, take)?;
    ids.reverse();
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        items.extend(published(tx, EntryId(id))?);
    }
    Ok(PageOf {
        items,
        page,
        per_page,
        total,
    })
}

/// As `list_published`, for the items published within `window` (a section's live
/// list, or its archive).
pub fn list_published_within(
    tx: &impl Tx,
    list: List<'_>,
    window: Window,
    page: usize,
    per_page: usize,
) -> Result<PageOf<Published>, Error> {
    let page = page.max(1);
    let (ids, total) = index_page_within(tx, &list.key(), window, (page - 1) * per_page, per_page)?;
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

/// Every published entry of a kind, in slug order (registers, page menus). Reads the
/// kind's list, not every entry of every kind.
pub fn all_published(tx: &impl Tx, kind: Kind) -> Result<Vec<Published>, Error> {
    let list = List::Kind(kind).key();
    let (ids, _) = index_page(tx, &list, 0, usize::MAX)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(p) = published(tx, EntryId(id))?
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

/// The sections in use (not retired), in tree order.
pub fn categories(tx: &impl Tx) -> Result<Vec<Category>, Error> {
    let mut all = super::sections::all(tx)?;
    all.retain(|c| c.retired_into.is_none());
    Ok(all)
}

/// A page of a list index, newest first: the entry ids and the total count.
pub fn index_page(
    tx: &impl Tx,
    list: &str,
    skip: usize,
    take: usize,
) -> Result<(Vec<u64>, usize), store::Error> {
    index_page_within(tx, list, Window::ALL, skip, take)
}

/// A span of publication times (unix seconds, both ends included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: i64,
    pub to: i64,
}

impl Window {
    pub const ALL: Window = Window {
        from: i64::MIN,
        to: i64::MAX,
    };

    /// Published at `at` or later.
    pub fn since(at: Timestamp) -> Window {
        Window {
            from: at.as_second(),
            to: i64::MAX,
        }
    }

    /// Published before `at`.
    pub fn before(at: Timestamp) -> Window {
        Window {
            from: i64::MIN,
            to: at.as_second().saturating_sub(1),
        }
    }
}

/// As `index_page`, for the items published within `window`.
pub fn index_page_within(
    tx: &impl Tx,
    list: &str,
    window: Window,
    skip: usize,
    take: usize,
) -> Result<(Vec<u64>, usize), store::Error> {
    /// Where a page starts reading when its count is known: from which end, past how
    /// many keys, and within which span of publication times.
    struct Start {
        from_newest: bool,
        skip: usize,
        window: Window,
    }
    pub(super) fn page(
        table: &impl ReadableTable<(&'static str, i64, u64), ()>,
        list: &str,
        window: Window,
        skip: usize,
        take: usize,
        known: Option<(usize, Start)>,
    ) -> Result<(Vec<u64>, usize), store::Error> {
        if window.from > window.to {
            return Ok((Vec::new(), 0));
        }
        let mut ids = Vec::with_capacity(take.min(1024));
        // With the count known, read only up to the page, from whichever end is nearer:
        // a deep page of a long list costs as little as a shallow one from the other end.
        if let Some((total, start)) = known {
            let end = skip.saturating_add(take).min(total);
            if skip >= end {
                return Ok((ids, total));
            }
            let w = start.window;
            let range = table.range((list, w.from, 0)..=(list, w.to, u64::MAX))?;
            if start.from_newest {
                for item in range.rev().skip(start.skip).take(end - skip) {
                    ids.push(item?.0.value().2);
                }
            } else {
                for item in range.skip(start.skip).take(end - skip) {
                    ids.push(item?.0.value().2);
                }
                ids.reverse();
            }
            return Ok((ids, total));
        }
        let range = table.range((list, window.from, 0)..=(list, window.to, u64::MAX))?;
        let mut total = 0;
        for item in range.rev() {
            let (key, ()) = item.map(|(k, v)| (k, v.value()))?;
            if total >= skip && ids.len() < take {
                ids.push(key.value().2);
            }
            total += 1;
        }
        Ok((ids, total))
    }
    let total = if window == Window::ALL {
        Some(list_len(tx, list)?)
    } else {
        count_within(tx, list, window)?
    };
    let known = if let Some(total) = total {
        let end = skip.saturating_add(take).min(total);
        let from_newest = skip <= total.saturating_sub(end);
        let past = if from_newest { skip } else { total - end };
        let mut start = Start {
            from_newest,
            skip: past,
            window,
        };
        // Deep in a long list, the day counts say on which day the page starts.
        if window == Window::ALL
            && past > DAY_SEEK_FROM
            && let Some((day, within)) =
                super::days::seek(tx, tables::DAYS, list, past, from_newest)?
        {
            let (first, last) = (day * DAY, day * DAY + DAY - 1);
            start.skip = within;
            start.window = if from_newest {
                Window {
                    from: i64::MIN,
                    to: last,
                }
            } else {
                Window {
                    from: first,
                    to: i64::MAX,
                }
            };
        }
        Some((total, start))
    } else {
        None
    };
    match tx.reader() {
        store::Reader::Read(t) => page(
            &t.open_table(tables::PUBLISHED)?,
            list,
            window,
            skip,
            take,
            known,
        ),
        store::Reader::Write(t) => page(
            &t.open_table(tables::PUBLISHED)?,
            list,
            window,
            skip,
            take,
            known,
        ),
    }
}

/// Seconds in a day: the span of one day count of a published list.
const DAY: i64 = 86_400;
/// Below this many keys to pass, walking them is as quick as reading day counts.
const DAY_SEEK_FROM: usize = 2_000;

/// How many items of `list` were published within `window`: the day counts of the whole
/// days inside it, and the keys of the (at most two) days its ends cut through. A live
/// section's window on a large site holds tens of thousands of items; this reads a day
/// count per day and two days' keys. `None` without day counts.
fn count_within(tx: &impl Tx, list: &str, window: Window) -> Result<Option<usize>, store::Error> {
    fn keys(
        table: &impl ReadableTable<(&'static str, i64, u64), ()>,
        list: &str,
        from: i64,
        to: i64,
    ) -> Result<usize, store::Error> {
        if from > to {
            return Ok(0);
        }
        let mut n = 0;
        for item in table.range((list, from, 0)..=(list, to, u64::MAX))? {
            item?;
            n += 1;
        }
        Ok(n)
    }
    let count = |from: i64, to: i64| -> Result<usize, store::Error> {
        match tx.reader() {
            store::Reader::Read(t) => match t.open_table(tables::PUBLISHED) {
                Ok(table) => keys(&table, list, from, to),
                Err(redb::TableError::TableDoesNotExist(_)) => Ok(0),
                Err(e) => Err(e.into()),
            },
            store::Reader::Write(t) => keys(&t.open_table(tables::PUBLISHED)?, list, from, to),
        }
    };
    if window.from > window.to {
        return Ok(Some(0));
    }
    let (first, last) = (published_day(window.from), published_day(window.to));
    if first == last {
        return count(window.from, window.to).map(Some);
    }
    let Some(middle) = super::days::count_between(tx, tables::DAYS, list, first + 1, last - 1)?
    else {
        return Ok(None);
    };
    // `first < last`, so the day after `first` starts at a representable time.
    let first_ends = (first + 1) * DAY - 1;
    let last_starts = last.saturating_mul(DAY);
    let cut = count(window.from, first_ends)? + count(last_starts, window.to)?;
    Ok(Some(cut + usize::try_from(middle).unwrap_or(usize::MAX)))
}

/// The day count a publication time falls in.
pub(crate) fn published_day(at: i64) -> i64 {
    at.div_euclid(DAY)
}

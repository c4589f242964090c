//! Bringing an old site in: a WordPress export (`wordpress`) or a crawl of a portal
//! that exports nothing (`crawl`). Both turn what they read into `Incoming` items, and
//! `Staging` stores them as one **batch** (regulation Art. 8.3): the items are drafts
//! until the Board head approves the batch, in one step that puts the published ones
//! live and turns on every old address's redirect.
//!
//! A map from each source id (a WordPress post id, a crawled address) to what it
//! became makes a second run change nothing and a killed run resume where it stopped:
//! each item commits with its map row, in its own transaction.

pub mod crawl;
pub mod fetch;
pub mod markup;
pub mod sample;
pub mod vietnamese;
pub mod wordpress;
pub mod wp_markup;
pub mod wxr;

use std::collections::HashSet;

use jiff::Timestamp;
use redb::WriteTransaction;
use serde::{Deserialize, Serialize};

use crate::content::{self, EntryId, Fields, Kind, NewEntry};
use crate::store::{self, Store, Tx};
use crate::workflow::Actor;

/// Where a batch came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Wordpress,
    Crawl,
}

impl SourceKind {
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Wordpress => "tệp xuất WordPress",
            SourceKind::Crawl => "thu thập từ trang cũ",
        }
    }
}

/// The old site: what kind of source and its address (the key of its id map).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub kind: SourceKind,
    /// The old site's address (`http://old.example`), as the export or the map names it.
    pub site: String,
    /// The file or the start address this run read.
    pub input: String,
}

impl Source {
    fn key(&self, source_id: &str) -> String {
        let kind = match self.kind {
            SourceKind::Wordpress => "wordpress",
            SourceKind::Crawl => "crawl",
        };
        format!("{kind}\u{1f}{}\u{1f}{source_id}", self.site)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchState {
    /// Staged: drafts and a preview, waiting for the Board head.
    Draft,
    /// Approved: the published items went live and their redirects answer.
    Approved,
    /// Discarded by the Board head: its drafts were removed.
    Discarded,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub id: u64,
    pub source: Source,
    pub state: BatchState,
    pub started_at: Timestamp,
    pub started_by: String,
    #[serde(default)]
    pub items: u64,
    #[serde(default)]
    pub files: u64,
    #[serde(default)]
    pub decided_by: Option<String>,
    #[serde(default)]
    pub decided_at: Option<Timestamp>,
    /// Why it was discarded.
    #[serde(default)]
    pub reason: String,
    /// The report of the last run that added to it.
    #[serde(default)]
    pub report: Report,
}

/// What a batch holds, for the preview and for the approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Staged {
    pub source_id: String,
    pub title: String,
    /// An entry (`Some`) or a file (`None`, with `file` set).
    #[serde(default)]
    pub entry: Option<EntryId>,
    #[serde(default)]
    pub kind: Option<Kind>,
    #[serde(default)]
    pub section: Option<String>,
    /// Goes live when the batch is approved (it was published on the old site).
    pub go_live: bool,
    /// Its address here.
    pub address: String,
    /// The old site's addresses that will answer 301 with `address`.
    pub old_addresses: Vec<String>,
    /// When it was first published on the old site.
    #[serde(default)]
    pub published_at: Option<Timestamp>,
    /// What the editor should look at (missing files, what the sanitiser removed, …).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// What one run did, for the terminal, `--report FILE` and the batch page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub source: String,
    pub dry_run: bool,
    #[serde(default)]
    pub batch: Option<u64>,
    /// New items staged (entries).
    pub imported: u64,
    /// Of which drafts on the old site, staged as drafts here.
    pub drafts: u64,
    /// Files stored (images and documents).
    pub files: u64,
    /// Already imported by an earlier run: left as they are.
    pub unchanged: u64,
    /// Not imported on purpose (private, trash, revisions, menus…), with why.
    pub skipped: Vec<Skipped>,
    /// Could not be imported, with why.
    pub failed: Vec<Failed>,
    /// Redirects the batch will turn on.
    pub redirects: u64,
    /// Comments on the old site (not published: news here has no comments).
    pub comments: u64,
    #[serde(default)]
    pub spam_comments: u64,
    /// Old categories no section was mapped to, with how many posts they hold.
    pub unmapped_categories: Vec<(String, u64)>,
    /// Files the items name that were not found.
    pub missing_files: Vec<String>,
    /// Bodies the sanitiser changed: item and what it removed.
    pub sanitised: Vec<(String, String)>,
    /// Images imported without alt text (flagged, not refused).
    pub images_without_alt: Vec<String>,
    /// Pages whose text was converted from a legacy encoding.
    #[serde(default)]
    pub converted: Vec<(String, String)>,
    /// The staged items of a dry run (a real run keeps them in the batch).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plan: Vec<Staged>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub source_id: String,
    pub title: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failed {
    pub source_id: String,
    pub reason: String,
}

impl Report {
    /// The text report for the terminal (English, for the operator).
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mode = if self.dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        };
        out.push_str(&format!("import from {}{mode}\n", self.source));
        if let Some(batch) = self.batch {
            out.push_str(&format!(
                "batch {batch}: waiting for the Board head's approval at /quan-tri/nhap/{batch}\n"
            ));
        }
        out.push_str(&format!(
            "imported {} items ({} as drafts), {} files, {} redirects; unchanged {}; skipped {}; failed {}\n",
            self.imported,
            self.drafts,
            self.files,
            self.redirects,
            self.unchanged,
            self.skipped.len(),
            self.failed.len()
        ));
        if self.comments > 0 || self.spam_comments > 0 {
            out.push_str(&format!(
                "comments on the old site: {} (not published), spam: {}\n",
                self.comments, self.spam_comments
            ));
        }
        for (name, posts) in &self.unmapped_categories {
            out.push_str(&format!(
                "unmapped category: {name} ({posts} posts; add it to the map file)\n"
            ));
        }
        for s in &self.skipped {
            out.push_str(&format!(
                "skipped {} {:?}: {}\n",
                s.source_id, s.title, s.reason
            ));
        }
        for f in &self.failed {
            out.push_str(&format!("FAILED {}: {}\n", f.source_id, f.reason));
        }
        for m in &self.missing_files {
            out.push_str(&format!("missing file: {m}\n"));
        }
        for (item, removed) in &self.sanitised {
            out.push_str(&format!("sanitiser changed {item}: removed {removed}\n"));
        }
        for item in &self.images_without_alt {
            out.push_str(&format!("image without alt text: {item}\n"));
        }
        for (page, encoding) in &self.converted {
            out.push_str(&format!("converted from {encoding}: {page}\n"));
        }
        out
    }
}

/// Progress, for the terminal's bar.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// What is being done ("reading", "files", "items").
    pub phase: String,
    pub done: u64,
    /// How many in all, when known.
    pub total: Option<u64>,
    pub files: u64,
    pub errors: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Content(#[from] content::Error),
    #[error(transparent)]
    Wxr(#[from] wxr::Error),
    /// The map file or the options, with what to fix.
    #[error("{0}")]
    Setup(String),
    #[error("batch {0} does not exist")]
    NoSuchBatch(u64),
    #[error("batch {0} was already decided")]
    AlreadyDecided(u64),
    #[error(transparent)]
    Redirect(#[from] crate::redirects::Error),
}

/// What a source id became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapped {
    pub batch: u64,
    #[serde(default)]
    pub entry: Option<EntryId>,
    /// Its address here.
    pub address: String,
    #[serde(default)]
    pub file: Option<(store::BlobHash, String)>,
}

/// An item ready to stage.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub source_id: String,
    pub kind: Kind,
    /// The slug it asks for; a free one is found if it is taken.
    pub slug: String,
    pub section: Option<String>,
    pub fields: Fields,
    pub published_at: Option<Timestamp>,
    pub go_live: bool,
    pub old_addresses: Vec<String>,
    pub created_by: Option<u64>,
    pub unit: Option<u64>,
    pub notes: Vec<String>,
}

/// A file ready to stage.
pub struct IncomingFile {
    pub source_id: String,
    pub upload: crate::media::Upload,
    pub old_addresses: Vec<String>,
}

/// The one place an import writes: a batch being filled, or (for a dry run) only a
/// report. Each item commits on its own with its id-map row.
pub struct Staging<'a> {
    /// Read for the id map and free addresses, written only when `write`.
    reads: Option<&'a Store>,
    /// `None` for a dry run.
    store: Option<&'a Store>,
    pub source: Source,
    pub report: Report,
    batch: Option<u64>,
    by: String,
    now: Timestamp,
    /// Slugs handed out in this run (a dry run has no store to remember them).
    taken: HashSet<(Kind, String)>,
    /// Commits since the last one that reached the disk.
    deferred: u32,
    /// The next suffix to try for a slug asked for again (`tin-2`, `tin-3`, …), so a
    /// thousand items titled "Thông báo" do not probe from 2 each time.
    next_suffix: std::collections::HashMap<(Kind, String), u32>,
}

impl Drop for Staging<'_> {
    /// A run that stops early (an error, a store that fails) still puts what it
    /// committed on the disk.
    fn drop(&mut self) {
        if self.deferred > 0
            && let Some(store) = self.store
        {
            let _ = store.write_blocking(|_| Ok::<(), store::Error>(()));
        }
    }
}

/// Deferred commits between two that wait for the disk: what a crash can cost a run
/// (redone by the next, which the id map lets skip the rest).
const DURABLE_EVERY: u32 = 250;

impl<'a> Staging<'a> {
    /// A dry run (`write` false) reads `store` but never writes it.
    pub fn new(
        store: Option<&'a Store>,
        write: bool,
        source: Source,
        by: &str,
        now: Timestamp,
    ) -> Self {
        let report = Report {
            source: format!("{} {}", source.kind.label(), source.input),
            dry_run: !write,
            ..Report::default()
        };
        Staging {
            reads: store,
            store: store.filter(|_| write),
            source,
            report,
            batch: None,
            by: by.to_string(),
            now,
            taken: HashSet::new(),
            deferred: 0,
            next_suffix: std::collections::HashMap::new(),
        }
    }

    /// Counts a deferred commit; every `DURABLE_EVERY`, waits for the disk.
    fn settle(&mut self) -> Result<(), Error> {
        self.deferred += 1;
        if self.deferred >= DURABLE_EVERY
            && let Some(store) = self.store
        {
            store.write_blocking(|_| Ok::<(), store::Error>(()))?;
            self.deferred = 0;
        }
        Ok(())
    }

    pub fn dry_run(&self) -> bool {
        self.store.is_none()
    }

    /// The store this run reads (a dry run's too).
    pub fn reads(&self) -> Option<&'a Store> {
        self.reads
    }

    /// Stages a second old address of an item already staged (the same article under
    /// two addresses): it leads to `address` once the batch is approved.
    pub fn stage_alias(
        &mut self,
        source_id: &str,
        title: &str,
        address: &str,
        old_addresses: Vec<String>,
    ) -> Result<(), Error> {
        let staged = Staged {
            source_id: source_id.to_string(),
            title: title.to_string(),
            entry: None,
            kind: None,
            section: None,
            go_live: true,
            address: address.to_string(),
            old_addresses,
            published_at: None,
            notes: vec!["Địa chỉ thứ hai của cùng một bài.".into()],
        };
        self.report.redirects += staged.old_addresses.len() as u64;
        let Some(store) = self.store else {
            self.report.plan.push(staged);
            return Ok(());
        };
        let key = self.source.key(source_id);
        let batch = store.write_blocking_deferred(|tx| -> Result<u64, Error> {
            let batch = self.batch(tx)?;
            add_staged(tx, batch, &staged, true)?;
            tables::SOURCES.insert(
                tx,
                key.as_str(),
                &Mapped {
                    batch,
                    entry: None,
                    address: staged.address.clone(),
                    file: None,
                },
            )?;
            Ok(batch)
        })?;
        self.remember(batch);
        self.settle()
    }

    /// What `source_id` became in an earlier run, if anything.
    pub fn mapped(&self, source_id: &str) -> Result<Option<Mapped>, Error> {
        let Some(store) = self.reads else {
            return Ok(None);
        };
        let key = self.source.key(source_id);
        Ok(store.read_blocking(|tx| tables::SOURCES.get(tx, key.as_str()))?)
    }

    /// The batch new items go into: the source's draft batch if a run was interrupted
    /// or is repeated before approval, else a new one (made on the first new item).
    fn batch(&self, tx: &WriteTransaction) -> Result<u64, Error> {
        if let Some(id) = self.batch {
            return Ok(id);
        }
        let open = tables::BATCHES.values(tx)?.into_iter().rev().find(|b| {
            b.state == BatchState::Draft
                && b.source.kind == self.source.kind
                && b.source.site == self.source.site
        });
        let id = if let Some(batch) = open {
            batch.id
        } else {
            let id = store::next_id(tx, "import_batches")?;
            let batch = Batch {
                id,
                source: self.source.clone(),
                state: BatchState::Draft,
                started_at: self.now,
                started_by: self.by.clone(),
                items: 0,
                files: 0,
                decided_by: None,
                decided_at: None,
                reason: String::new(),
                report: Report::default(),
            };
            tables::BATCHES.insert(tx, id, &batch)?;
            crate::audit::append(
                tx,
                crate::audit::Event::new(&self.by, "import_started", format!("batch {id}")).detail(
                    format!("{} {}", self.source.kind.label(), self.source.input),
                ),
                self.now,
            )?;
            id
        };
        // Remembered once the transaction that made it commits (`remember`).
        Ok(id)
    }

    /// Notes the batch a committed write went into.
    fn remember(&mut self, batch: u64) {
        self.batch = Some(batch);
        self.report.batch = Some(batch);
    }

    /// Stages one file: stored through the same pipeline as an upload (images
    /// re-encoded, EXIF dropped, smaller copies made). Returns its address here.
    pub fn stage_file(&mut self, file: IncomingFile) -> Result<(store::BlobHash, String), Error> {
        let name = file.upload.name.clone();
        let alt_missing = file.upload.alt.trim().is_empty();
        let prepared = crate::media::prepare_imported(file.upload)
            .map_err(|e| Error::Setup(media_reason(&e)))?;
        if alt_missing && prepared.is_image() {
            self.report.images_without_alt.push(name.clone());
        }
        self.report.files += 1;
        let Some(store) = self.store else {
            let address = crate::paths::blob(&prepared.preview_hash(), prepared.name());
            self.report.redirects += file.old_addresses.len() as u64;
            self.report.plan.push(Staged {
                source_id: file.source_id,
                title: name,
                entry: None,
                kind: None,
                section: None,
                go_live: true,
                address: address.clone(),
                old_addresses: file.old_addresses,
                published_at: None,
                notes: Vec::new(),
            });
            return Ok((prepared.preview_hash(), address));
        };
        let blobs = store.blobs.clone();
        let (by, now) = (self.by.clone(), self.now);
        let key = self.source.key(&file.source_id);
        let mut redirects = 0;
        let result = store.write_blocking_deferred(|tx| -> Result<_, Error> {
            let batch = self.batch(tx)?;
            // A disk that fails is the store's error (the run stops), not this file's.
            let meta =
                crate::media::store(tx, &blobs, prepared, &by, now).map_err(|e| match e {
                    crate::media::Error::Store(e) => Error::Store(e),
                    refused @ crate::media::Error::Refused(_) => {
                        Error::Setup(media_reason(&refused))
                    }
                })?;
            let address = crate::paths::blob(&meta.hash, &meta.original_name);
            redirects = file.old_addresses.len() as u64;
            add_staged(
                tx,
                batch,
                &Staged {
                    source_id: file.source_id.clone(),
                    title: meta.original_name.clone(),
                    entry: None,
                    kind: None,
                    section: None,
                    go_live: true,
                    address: address.clone(),
                    old_addresses: file.old_addresses.clone(),
                    published_at: None,
                    notes: Vec::new(),
                },
                true,
            )?;
            tables::SOURCES.insert(
                tx,
                key.as_str(),
                &Mapped {
                    batch,
                    entry: None,
                    address: address.clone(),
                    file: Some((meta.hash.clone(), meta.original_name.clone())),
                },
            )?;
            Ok((batch, meta.hash, address))
        });
        let (batch, hash, address) = result?;
        self.remember(batch);
        self.report.redirects += redirects;
        self.settle()?;
        Ok((hash, address))
    }

    /// A free slug for `kind`: `wanted`, or `wanted-2`, … (in the store and this run).
    fn free_slug(
        &mut self,
        kind: Kind,
        wanted: &str,
        used: &dyn Fn(&str) -> Result<bool, Error>,
    ) -> Result<String, Error> {
        let base = if content::slug::is_valid(wanted) {
            wanted.to_string()
        } else {
            let made = content::slug::slugify(wanted);
            if made.is_empty() {
                "bai-viet".to_string()
            } else {
                made
            }
        };
        let first = self
            .next_suffix
            .get(&(kind, base.clone()))
            .copied()
            .unwrap_or(1);
        for n in first..100_000u32 {
            let candidate = if n == 1 {
                base.clone()
            } else {
                let keep = base.len().min(content::slug::MAX_LEN - 7);
                format!("{}-{n}", base[..keep].trim_end_matches('-'))
            };
            if self.taken.contains(&(kind, candidate.clone())) || used(&candidate)? {
                continue;
            }
            self.taken.insert((kind, candidate.clone()));
            self.next_suffix.insert((kind, base), n + 1);
            return Ok(candidate);
        }
        Err(Error::Setup(format!("no free address for {base}")))
    }

    /// A free slug for an item of `kind` asking for `wanted`, reserved for this run, so
    /// links between items can be planned before they are stored.
    pub fn reserve(&mut self, kind: Kind, wanted: &str) -> Result<String, Error> {
        match self.reads {
            None => self.free_slug(kind, wanted, &|_| Ok(false)),
            Some(store) => {
                let mut out = Err(Error::Setup(String::new()));
                store.read_blocking(|tx| -> Result<(), store::Error> {
                    // An address that answers 301 (a renamed entry's old one) is
                    // not free either: the redirect would hide the new item.
                    out = self.free_slug(kind, wanted, &|slug| {
                        Ok(content::slug_taken(tx, kind, slug)?
                            || crate::redirects::get(tx, &kind.url(slug))?.is_some())
                    });
                    Ok(())
                })?;
                out
            }
        }
    }

    /// Stages one item as a draft entry, its history saying where it came from.
    /// `slug` must come from `reserve` (or be free).
    pub fn stage(&mut self, item: Incoming) -> Result<EntryId, Error> {
        let before = item.fields.body_html.clone();
        let mut fields = item.fields;
        fields.body_html = content::sanitize::clean(&before);
        let mut notes = item.notes;
        let removed = markup::removed_by_sanitiser(&before, &fields.body_html);
        if !removed.is_empty() {
            self.report.sanitised.push((
                format!("{} {:?}", item.source_id, fields.title),
                removed.clone(),
            ));
            notes.push(format!("Bộ lọc an toàn đã bỏ: {removed}."));
        }
        if content::sanitize::images_without_alt(&fields.body_html) > 0
            || fields
                .cover
                .as_ref()
                .is_some_and(|c| c.alt.trim().is_empty())
        {
            self.report
                .images_without_alt
                .push(format!("{} {:?}", item.source_id, fields.title));
            notes.push("Có ảnh chưa có mô tả thay thế (alt).".to_string());
        }
        let address = item.kind.url(&item.slug);
        let staged = Staged {
            source_id: item.source_id.clone(),
            title: fields.title.clone(),
            entry: None,
            kind: Some(item.kind),
            section: item.section.clone(),
            go_live: item.go_live,
            address,
            old_addresses: item.old_addresses.clone(),
            published_at: item.published_at,
            notes: notes.clone(),
        };
        self.report.imported += 1;
        if !item.go_live {
            self.report.drafts += 1;
        }
        if item.go_live {
            self.report.redirects += item.old_addresses.len() as u64;
        }
        let Some(store) = self.store else {
            self.report.plan.push(staged);
            return Ok(EntryId(0));
        };
        let key = self.source.key(&item.source_id);
        let (by, now) = (self.by.clone(), self.now);
        let origin = format!(
            "Nhập từ {} {} (mục {}).",
            self.source.kind.label(),
            self.source.site,
            item.source_id
        );
        let (batch, id) = store.write_blocking_deferred(|tx| -> Result<(u64, EntryId), Error> {
            let batch = self.batch(tx)?;
            let new = NewEntry {
                kind: item.kind,
                slug: item.slug.clone(),
                category: item.section.clone(),
                unit: item.unit,
                featured: false,
            };
            let mut entry = content::create(tx, new, fields, &by, now)?;
            entry.created_by = item.created_by;
            content::tables::ENTRIES.insert(tx, entry.id.0, &entry)?;
            let mut comment = format!("{origin} Lô nhập số {batch}.");
            for note in &notes {
                comment.push(' ');
                comment.push_str(note);
            }
            content::editorial::record_import(tx, &entry, &comment, now)?;
            let mut staged = staged;
            staged.entry = Some(entry.id);
            add_staged(tx, batch, &staged, false)?;
            tables::SOURCES.insert(
                tx,
                key.as_str(),
                &Mapped {
                    batch,
                    entry: Some(entry.id),
                    address: staged.address.clone(),
                    file: None,
                },
            )?;
            Ok((batch, entry.id))
        })?;
        self.remember(batch);
        self.settle()?;
        Ok(id)
    }

    /// Records the report in the batch (if this run made or added to one).
    pub fn finish(mut self) -> Result<Report, Error> {
        self.report.unmapped_categories.sort();
        if let (Some(store), Some(batch)) = (self.store, self.batch) {
            let report = Report {
                plan: Vec::new(),
                ..self.report.clone()
            };
            store.write_blocking(|tx| -> Result<(), Error> {
                let mut b = tables::BATCHES
                    .get(tx, batch)?
                    .ok_or(Error::NoSuchBatch(batch))?;
                b.report = report;
                tables::BATCHES.insert(tx, batch, &b)?;
                Ok(())
            })?;
            self.deferred = 0;
        }
        Ok(std::mem::take(&mut self.report))
    }
}

fn media_reason(e: &crate::media::Error) -> String {
    match e {
        crate::media::Error::Refused(why) => (*why).to_string(),
        crate::media::Error::Store(e) => e.to_string(),
    }
}

fn add_staged(tx: &WriteTransaction, batch: u64, staged: &Staged, file: bool) -> Result<(), Error> {
    let mut b = tables::BATCHES
        .get(tx, batch)?
        .ok_or(Error::NoSuchBatch(batch))?;
    // Approved or discarded while this run went on: nothing more goes into it.
    if b.state != BatchState::Draft {
        return Err(Error::AlreadyDecided(batch));
    }
    let seq = store::next_id(tx, &format!("import_items:{batch}"))?;
    tables::ITEMS.insert(tx, (batch, seq), staged)?;
    if file {
        b.files += 1;
    } else {
        b.items += 1;
    }
    tables::BATCHES.insert(tx, batch, &b)?;
    Ok(())
}

/// What to import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum Job {
    Wordpress {
        export: std::path::PathBuf,
        #[serde(default)]
        uploads: Option<std::path::PathBuf>,
        #[serde(default)]
        map: Option<std::path::PathBuf>,
    },
    Crawl {
        url: String,
        map: std::path::PathBuf,
    },
}

/// Runs an import into a batch (or, for a dry run, only its report). `by` names the
/// operator in the audit trail.
pub fn run(
    store: &Store,
    job: &Job,
    dry_run: bool,
    by: &str,
    now: Timestamp,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Report, Error> {
    match job {
        Job::Wordpress {
            export,
            uploads,
            map,
        } => {
            let map = match map {
                Some(path) => wordpress::Map::load(path)?,
                None => wordpress::Map::default(),
            };
            if let Some(dir) = uploads
                && !dir.is_dir()
            {
                return Err(Error::Setup(format!(
                    "the uploads folder {} does not exist or cannot be read",
                    dir.display()
                )));
            }
            let source = Source {
                kind: SourceKind::Wordpress,
                site: String::new(),
                input: export.display().to_string(),
            };
            let mut staging = Staging::new(Some(store), !dry_run, source, by, now);
            let options = wordpress::Options {
                export: export.clone(),
                uploads: uploads.clone(),
                map,
            };
            wordpress::run(&mut staging, Some(store), &options, progress)?;
            staging.finish()
        }
        Job::Crawl { url, map } => {
            let map = crawl::Map::load(map)?;
            let source = Source {
                kind: SourceKind::Crawl,
                site: crawl::site_of(url).map_err(Error::Setup)?,
                input: url.clone(),
            };
            let mut staging = Staging::new(Some(store), !dry_run, source, by, now);
            crawl::run(&mut staging, store, url, &map, progress)?;
            staging.finish()
        }
    }
}

/// Every batch, newest first.
pub fn batches(tx: &impl Tx) -> Result<Vec<Batch>, store::Error> {
    let mut all = tables::BATCHES.values(tx)?;
    all.reverse();
    Ok(all)
}

pub fn batch(tx: &impl Tx, id: u64) -> Result<Option<Batch>, store::Error> {
    tables::BATCHES.get(tx, id)
}

/// A batch's items, in the order they were staged.
pub fn items(tx: &impl Tx, id: u64) -> Result<Vec<Staged>, store::Error> {
    tables::ITEMS.range_values(tx, (id, 0)..=(id, u64::MAX))
}

/// What an approval did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Approved {
    pub published: Vec<EntryId>,
    pub redirects: u64,
    /// Old addresses not redirected: they would have made a loop.
    pub skipped_redirects: u64,
}

/// The Board head approves batch `id` in one step: every item that was published on
/// the old site goes live (with its old date), and every old address of those items
/// and of the files answers 301. One transaction: all or nothing.
pub fn approve(
    tx: &WriteTransaction,
    actor: &Actor,
    id: u64,
    now: Timestamp,
) -> Result<Approved, Error> {
    let mut batch = tables::BATCHES.get(tx, id)?.ok_or(Error::NoSuchBatch(id))?;
    if batch.state != BatchState::Draft {
        return Err(Error::AlreadyDecided(id));
    }
    let comment = format!("Phê duyệt lô nhập số {id} ({}).", batch.source.site);
    let mut done = Approved::default();
    let note = format!("nhập trang cũ, lô {id}");
    for staged in items(tx, id)? {
        if !staged.go_live {
            continue;
        }
        let mut target = staged.address.clone();
        if let Some(entry) = staged.entry {
            let Ok(current) = content::editorial::entry(tx, entry) else {
                continue; // removed by an editor meanwhile
            };
            // One an editor took into the workflow meanwhile goes its own way.
            let untouched = current.state == content::State::Draft
                && current.approval.is_none()
                && current.scheduled_for.is_none();
            let current = if untouched {
                let live = content::editorial::approve_imported(tx, actor, entry, &comment, now)?;
                done.published.push(entry);
                match staged.published_at {
                    Some(at) => content::set_first_published(tx, entry, at, &actor.login, now)?,
                    None => live,
                }
            } else {
                current
            };
            // Old addresses lead to it only if it is live, at its address now (an
            // editor may have changed it).
            if current.published.is_none() {
                continue;
            }
            target = current.kind.url(&current.slug);
        }
        for old in &staged.old_addresses {
            let Some(from) = crate::redirects::normalize(old) else {
                continue;
            };
            if from == target {
                continue;
            }
            match crate::redirects::add_quietly(tx, &from, &target, &note, &actor.login, now) {
                Ok(_) => done.redirects += 1,
                // A loop with a redirect made since: skipped, the rest goes on.
                Err(crate::redirects::Error::Invalid(_)) => done.skipped_redirects += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }
    batch.state = BatchState::Approved;
    batch.decided_by = Some(actor.name.clone());
    batch.decided_at = Some(now);
    tables::BATCHES.insert(tx, id, &batch)?;
    crate::audit::append(
        tx,
        crate::audit::Event::new(&actor.login, "import_approved", format!("batch {id}")).detail(
            format!(
                "{} {}: {} published, {} redirects ({} skipped: loops)",
                batch.source.kind.label(),
                batch.source.input,
                done.published.len(),
                done.redirects,
                done.skipped_redirects
            ),
        ),
        now,
    )?;
    Ok(done)
}

/// The Board head discards batch `id`: its entries (none of them ever public) are
/// removed, and the id map forgets them so a corrected run can stage them again.
pub fn discard(
    tx: &WriteTransaction,
    actor: &Actor,
    id: u64,
    reason: &str,
    now: Timestamp,
) -> Result<u64, Error> {
    let mut batch = tables::BATCHES.get(tx, id)?.ok_or(Error::NoSuchBatch(id))?;
    if batch.state != BatchState::Draft {
        return Err(Error::AlreadyDecided(id));
    }
    let mut removed = 0;
    for staged in items(tx, id)? {
        // An entry an editor took into the workflow stays, and so does its id-map row
        // (a rerun must not stage it twice).
        let kept = match staged.entry {
            Some(entry) if content::remove_unpublished(tx, entry)? => {
                removed += 1;
                false
            }
            Some(_) => true,
            None => false,
        };
        if !kept {
            tables::SOURCES.remove(tx, batch.source.key(&staged.source_id).as_str())?;
        }
    }
    batch.state = BatchState::Discarded;
    batch.decided_by = Some(actor.name.clone());
    batch.decided_at = Some(now);
    batch.reason = reason.trim().to_string();
    tables::BATCHES.insert(tx, id, &batch)?;
    crate::audit::append(
        tx,
        crate::audit::Event::new(&actor.login, "import_discarded", format!("batch {id}"))
            .detail(format!("{removed} drafts removed: {}", batch.reason)),
        now,
    )?;
    Ok(removed)
}

/// The import tables.
pub mod tables {
    use super::{Batch, Mapped, Staged};
    use crate::store::Table;

    /// Batches by id.
    pub const BATCHES: Table<u64, Batch> = Table::new("import_batches_v1");
    /// (batch, sequence) → a staged item or file.
    pub const ITEMS: Table<(u64, u64), Staged> = Table::new("import_items_v1");
    /// "source kind \x1f old site \x1f source id" → what it became.
    pub const SOURCES: Table<&str, Mapped> = Table::new("import_sources_v1");
}

/// Import batches staged and waiting for the Board head.
pub fn waiting_for(
    tx: &impl Tx,
    actor: &crate::workflow::Actor,
) -> Result<Vec<crate::inbox::Waiting>, store::Error> {
    if !actor.has(crate::workflow::Role::BoardHead) {
        return Ok(Vec::new());
    }
    Ok(batches(tx)?
        .into_iter()
        .filter(|b| b.state == BatchState::Draft)
        .map(|b| {
            crate::inbox::Waiting::new(
                "/quan-tri/nhap",
                "Lô nhập nội dung chờ duyệt",
                format!("Lô nhập số {} ({} mục)", b.id, b.items),
                format!("/quan-tri/nhap/{}", b.id),
            )
        })
        .collect())
}

//! The integrity check (Art. 6.1): proof that what the site serves is what was
//! approved. It checks that every published revision still hashes to the hash recorded
//! when it was approved, that every blob file's bytes match its name and every referenced
//! blob exists, that the audit chain is unbroken, and that the live site settings are the
//! approved ones. Each run is stored as a report; a mismatch names what differs and since
//! when, and an altered entry is held back from the public site: citizens see its last
//! good approved revision, or an "under review" notice (`[integrity] on_mismatch`).

pub mod review;

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use redb::WriteTransaction;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::content::{self, EntryId, Revision, RevisionId};
use crate::store::{self, BlobHash, Store, Tx};

/// What citizens see of an entry whose live revision fails the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnMismatch {
    /// The newest earlier approved revision that still verifies (else the notice).
    #[default]
    LastGood,
    /// A "đang kiểm tra" notice in place of the entry.
    UnderReview,
}

/// `[integrity]` in the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Run the check daily inside the server (off when `trangtin verify` runs from cron).
    pub daily: bool,
    /// Local time of the daily check.
    pub at: jiff::civil::Time,
    pub on_mismatch: OnMismatch,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            daily: true,
            at: jiff::civil::time(6, 0, 0, 0),
            on_mismatch: OnMismatch::LastGood,
        }
    }
}

/// One thing that is not as approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// A published revision's content no longer hashes to its recorded hash.
    RevisionAltered {
        entry: u64,
        slug: String,
        revision: u64,
    },
    /// A published revision is not the one, or not the content, that was approved.
    NotAsApproved {
        entry: u64,
        slug: String,
        revision: u64,
    },
    /// A blob file's bytes do not hash to its name.
    BlobAltered { hash: String },
    /// A blob the store refers to is not on disk.
    BlobMissing { hash: String, referenced_by: String },
    /// The audit chain does not verify.
    AuditBroken { detail: String },
    /// The live settings differ from the approved ones.
    SettingsChanged { approved_at: Option<Timestamp> },
    /// The database file itself is damaged (`Store::examine`).
    StorageDamaged { problem: String },
    /// redb's own check of the file could not run (it needs room for a copy of the
    /// file): the file is not known to be damaged, only not proved sound.
    StorageUnchecked { problem: String, disk_full: bool },
    /// What the lists show of a verified live entry (its card, its row in the legal
    /// document register or in its kind's list) is not what its revision says: changed
    /// in the database file. The check makes it again.
    CardAltered { entry: u64, slug: String },
    /// More cards than the report names one by one (`CARDS_NAMED`) were altered; all
    /// were made again.
    MoreCardsAltered { more: u64 },
}

/// How many altered cards a report names; past it, one finding counts the rest (a
/// store whose every card is wrong would otherwise make a report of a million lines).
const CARDS_NAMED: usize = 20;

impl Finding {
    /// Whether the check made cards again for it (what the lists show changed).
    pub fn remade_cards(&self) -> bool {
        matches!(
            self,
            Finding::CardAltered { .. } | Finding::MoreCardsAltered { .. }
        )
    }

    /// A stable key, so a finding seen in consecutive reports keeps its first date.
    fn key(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The entry to hold back from the public site, if it is about one.
    pub fn entry(&self) -> Option<u64> {
        match self {
            Finding::RevisionAltered { entry, .. } | Finding::NotAsApproved { entry, .. } => {
                Some(*entry)
            }
            _ => None,
        }
    }

    /// For operators (the CLI and logs).
    pub fn english(&self) -> String {
        match self {
            Finding::RevisionAltered {
                entry,
                slug,
                revision,
            } => format!(
                "entry {entry} ({slug}): published revision {revision} no longer hashes to its recorded hash"
            ),
            Finding::NotAsApproved {
                entry,
                slug,
                revision,
            } => format!(
                "entry {entry} ({slug}): published revision {revision} is not what was approved"
            ),
            Finding::BlobAltered { hash } => {
                format!("file {hash}: its bytes no longer match its SHA-256 name")
            }
            Finding::BlobMissing {
                hash,
                referenced_by,
            } => format!("file {hash}, used by {referenced_by}, is missing"),
            Finding::AuditBroken { detail } => format!("the audit chain is broken: {detail}"),
            Finding::SettingsChanged { .. } => {
                "the live site settings differ from the approved ones".to_string()
            }
            Finding::StorageDamaged { problem } => format!("the database file: {problem}"),
            Finding::StorageUnchecked { problem, disk_full } => format!(
                "the database file was not checked: {problem}; {}",
                if *disk_full {
                    "free space on the disk holding the data folder and run the check again"
                } else {
                    "run the check again; if it fails again, see the log"
                }
            ),
            Finding::CardAltered { entry, slug } => format!(
                "entry {entry} ({slug}): what the lists show of it differed from its published revision; made again from the revision"
            ),
            Finding::MoreCardsAltered { more } => format!(
                "{more} more entries: what the lists show of them differed from their published revisions; made again"
            ),
        }
    }

    /// For the admin pages.
    pub fn vietnamese(&self) -> String {
        match self {
            Finding::RevisionAltered {
                entry,
                slug,
                revision,
            } => format!(
                "Bài số {entry} ({slug}): nội dung phiên bản đang đăng ({revision}) đã bị thay đổi so với mã băm đã ghi."
            ),
            Finding::NotAsApproved {
                entry,
                slug,
                revision,
            } => format!(
                "Bài số {entry} ({slug}): phiên bản đang đăng ({revision}) không phải phiên bản đã được duyệt."
            ),
            Finding::BlobAltered { hash } => {
                format!("Tệp {hash}: nội dung tệp không còn khớp với mã băm.")
            }
            Finding::BlobMissing {
                hash,
                referenced_by,
            } => format!("Tệp {hash} (dùng trong {referenced_by}) bị mất."),
            Finding::AuditBroken { .. } => {
                "Nhật ký hệ thống bị đứt chuỗi; xem chi tiết ở trang Nhật ký hệ thống.".to_string()
            }
            Finding::SettingsChanged { .. } => {
                "Cấu hình trang (trình đơn, chân trang, thông tin cơ quan) khác với bản đã duyệt."
                    .to_string()
            }
            Finding::StorageDamaged { .. } => {
                "Tệp cơ sở dữ liệu bị hỏng ở một phần; cần khôi phục từ bản sao lưu gần nhất (chi tiết trong nhật ký máy chủ)."
                    .to_string()
            }
            Finding::StorageUnchecked { disk_full: true, .. } => {
                "Chưa kiểm tra được tệp cơ sở dữ liệu vì ổ đĩa chứa thư mục dữ liệu đã đầy (việc kiểm tra cần chỗ cho một bản sao của tệp). Tệp không bị xác định là hỏng; hãy giải phóng dung lượng ổ đĩa rồi bấm “Kiểm tra ngay”."
                    .to_string()
            }
            Finding::StorageUnchecked { .. } => {
                "Chưa kiểm tra được tệp cơ sở dữ liệu (không tạo được bản sao để kiểm tra; chi tiết trong nhật ký máy chủ). Tệp không bị xác định là hỏng; hãy bấm “Kiểm tra ngay” để kiểm tra lại."
                    .to_string()
            }
            Finding::CardAltered { entry, slug } => format!(
                "Bài số {entry} ({slug}): thông tin hiển thị ở trang chủ, các danh sách hoặc danh mục văn bản (tiêu đề, tóm tắt, ảnh, số hiệu, ngày ban hành…) đã bị sửa trực tiếp trong cơ sở dữ liệu, khác với phiên bản đang đăng; hệ thống đã hiển thị lại đúng theo phiên bản đang đăng."
            ),
            Finding::MoreCardsAltered { more } => format!(
                "Thêm {more} bài khác cũng bị sửa phần hiển thị ở trang chủ, các danh sách hoặc danh mục văn bản; hệ thống đã hiển thị lại đúng theo phiên bản đang đăng."
            ),
        }
    }
}

/// A finding and when it was first seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    #[serde(flatten)]
    pub finding: Finding,
    pub since: Timestamp,
    /// The same, in words (English).
    pub message: String,
}

/// One run of the check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub seq: u64,
    pub at: Timestamp,
    /// Who ran it: a login, `cli` or `schedule`.
    pub by: String,
    pub ok: bool,
    pub revisions_checked: u64,
    pub blobs_checked: u64,
    pub audit_records: u64,
    pub mismatches: Vec<Mismatch>,
}

impl Report {
    /// What a check that did not pass found, as a phrase ("phát hiện 2 điểm không
    /// khớp với nội dung đã duyệt"). A database file the check could not read (a full
    /// disk) is said as such: counted among the mismatches with approved content, it
    /// told every editor that content had been changed.
    pub fn found_in_vietnamese(&self) -> String {
        let unchecked: Vec<bool> = self
            .mismatches
            .iter()
            .filter_map(|m| match m.finding {
                Finding::StorageUnchecked { disk_full, .. } => Some(disk_full),
                _ => None,
            })
            .collect();
        let mismatched = self.mismatches.len() - unchecked.len();
        let mut found = Vec::new();
        if mismatched > 0 {
            found.push(format!(
                "phát hiện {mismatched} điểm không khớp với nội dung đã duyệt"
            ));
        }
        if unchecked.contains(&true) {
            found.push("chưa kiểm tra được tệp cơ sở dữ liệu vì ổ đĩa chứa dữ liệu đã đầy".into());
        } else if !unchecked.is_empty() {
            found.push("chưa kiểm tra được tệp cơ sở dữ liệu".into());
        }
        found.join("; ")
    }
}

/// How an entry is held back from the public site: only while `flagged`, the revision
/// the check found altered, is still the live one; a new publication replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub flagged: u64,
    #[serde(flatten)]
    pub show: Show,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "show", rename_all = "snake_case")]
pub enum Show {
    /// Serve this earlier published revision instead.
    Revision { revision: u64 },
    /// Serve the "under review" notice.
    UnderReview,
}

const HOLDS_KEY: &str = "integrity_holds";
/// The blobs the last check found altered, which are not served.
const HELD_BLOBS_KEY: &str = "integrity_held_blobs";
const SETTINGS_APPROVED_KEY: &str = "settings_approved";

/// The approved state of the site settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SettingsApproval {
    hash: String,
    at: Timestamp,
    by: String,
}

/// SHA-256 over every site setting (identity, menus, footer) and the categories with
/// their order (the home page's layout), in key order.
pub fn settings_hash(tx: &impl Tx) -> Result<String, store::Error> {
    let settings = crate::site::tables::SETTINGS.entries(tx)?;
    let categories = crate::content::tables::CATEGORIES.entries(tx)?;
    let canonical = serde_json::to_vec(&(settings, categories)).unwrap_or_default();
    Ok(hex::encode(Sha256::digest(canonical)))
}

/// Records the settings as they are now as the approved ones. Called by every change
/// made through the program (`site::save`), in the same transaction.
pub fn approve_settings(
    tx: &WriteTransaction,
    by: &str,
    now: Timestamp,
) -> Result<(), store::Error> {
    let approval = SettingsApproval {
        hash: settings_hash(tx)?,
        at: now,
        by: by.to_string(),
    };
    store::meta_put(tx, SETTINGS_APPROVED_KEY, &approval)
}

fn settings_approval(tx: &impl Tx) -> Result<Option<SettingsApproval>, store::Error> {
    store::meta_get(tx, SETTINGS_APPROVED_KEY)
}

/// The entries held back from the public site now. A holds row that does not decode is
/// an error: the caller decides what is safe (the check rewrites it; pages hide).
pub fn holds(tx: &impl Tx) -> Result<BTreeMap<u64, Hold>, store::Error> {
    Ok(store::meta_get(tx, HOLDS_KEY)?.unwrap_or_default())
}

/// Whether the blob `hash` is held back because the last check found its bytes
/// altered. Fails closed: while the list cannot be read, every blob is held.
pub fn blob_held(tx: &impl Tx, hash: &BlobHash) -> Result<bool, store::Error> {
    match store::meta_get::<BTreeSet<String>>(tx, HELD_BLOBS_KEY) {
        Ok(held) => Ok(held.is_some_and(|h| h.contains(hash.as_str()))),
        Err(e @ store::Error::Decode { .. }) => {
            tracing::error!("{e}; every file is held until the integrity check runs again");
            Ok(true)
        }
        Err(e) => Err(e),
    }
}

/// The hold on one entry, if any.
pub fn hold(tx: &impl Tx, entry: EntryId) -> Result<Option<Hold>, store::Error> {
    Ok(holds(tx)?.get(&entry.0).copied())
}

/// What citizens see of entry `id`, whose live revision is `live` (public pages ask
/// this for every entry they show). It fails closed: while the holds cannot be read,
/// every entry shows the "under review" notice rather than content that may be held.
pub fn shown(tx: &impl Tx, id: EntryId, live: RevisionId) -> Result<Show, store::Error> {
    // The common case, no holds at all, costs one lookup of an absent key.
    match store::meta_get::<BTreeMap<u64, Hold>>(tx, HOLDS_KEY) {
        Ok(holds) => Ok(match holds.and_then(|h| h.get(&id.0).copied()) {
            Some(hold) if hold.flagged == live.0 => hold.show,
            _ => Show::Revision { revision: live.0 },
        }),
        Err(e @ store::Error::Decode { .. }) => {
            tracing::error!("{e}; every entry is held until the integrity check runs again");
            Ok(Show::UnderReview)
        }
        Err(e) => Err(e),
    }
}

/// What damaged holds amounted to: every published entry under the notice.
fn all_held(tx: &impl Tx) -> Result<BTreeMap<u64, Hold>, store::Error> {
    Ok(crate::content::tables::ENTRIES
        .values(tx)?
        .into_iter()
        .filter_map(|entry| {
            let live = entry.published?;
            Some((
                entry.id.0,
                Hold {
                    flagged: live.0,
                    show: Show::UnderReview,
                },
            ))
        })
        .collect())
}

/// The newest report, if any check has run.
pub fn latest(tx: &impl Tx) -> Result<Option<Report>, store::Error> {
    tables::INTEGRITY.last(tx)
}

/// The newest reports, newest first.
pub fn recent(tx: &impl Tx, limit: usize) -> Result<Vec<Report>, store::Error> {
    let mut all = tables::INTEGRITY.values(tx)?;
    all.reverse();
    all.truncate(limit);
    Ok(all)
}

/// What the read-only part of the check found.
struct Findings {
    found: Vec<Finding>,
    revisions: u64,
    audit_records: u64,
    /// For each altered entry: the live revision found altered, and an earlier
    /// published revision that still verifies.
    last_good: BTreeMap<u64, (RevisionId, Option<RevisionId>)>,
    /// Entries whose list rows are not as listed, to be made again.
    cards: Vec<u64>,
    referenced: BTreeMap<String, String>,
}

fn examine(tx: &impl Tx) -> Result<Findings, store::Error> {
    let mut found = Vec::new();
    let mut revisions = 0;
    let mut last_good = BTreeMap::new();
    let mut cards = Vec::new();
    let mut referenced: BTreeMap<String, String> = BTreeMap::new();
    for meta in crate::store::BLOBS.values(tx)? {
        referenced
            .entry(meta.hash.to_string())
            .or_insert_with(|| format!("thư viện tệp ({})", meta.original_name));
    }
    // One entry at a time: a site of a million entries is checked in flat memory.
    crate::content::tables::ENTRIES.try_scan(
        tx,
        0u64..,
        |entry| -> Result<bool, store::Error> {
            let Some(live) = entry.published else {
                return Ok(true);
            };
            revisions += 1;
            let Some(revision) = crate::content::tables::REVISIONS.get(tx, live.0)? else {
                found.push(Finding::RevisionAltered {
                    entry: entry.id.0,
                    slug: entry.slug.clone(),
                    revision: live.0,
                });
                return Ok(true);
            };
            let place = format!("bài {} ({})", entry.id.0, entry.slug);
            for blob in blobs_of(&revision) {
                referenced
                    .entry(blob.to_string())
                    .or_insert_with(|| place.clone());
            }
            let actual = content::revision_hash(revision.entry, revision.parent, &revision.fields);
            let finding = if actual != revision.hash || revision.entry != entry.id {
                Some(Finding::RevisionAltered {
                    entry: entry.id.0,
                    slug: entry.slug.clone(),
                    revision: live.0,
                })
            } else if entry
                .live_approval
                .as_ref()
                .is_some_and(|a| a.revision != live || a.hash != actual)
            {
                Some(Finding::NotAsApproved {
                    entry: entry.id.0,
                    slug: entry.slug.clone(),
                    revision: live.0,
                })
            } else {
                None
            };
            if let Some(finding) = finding {
                last_good.insert(entry.id.0, (live, last_good_revision(tx, entry.id, live)?));
                found.push(finding);
            } else if !content::cards::is_as_listed(tx, &entry, &revision)? {
                if cards.len() < CARDS_NAMED {
                    found.push(Finding::CardAltered {
                        entry: entry.id.0,
                        slug: entry.slug.clone(),
                    });
                }
                cards.push(entry.id.0);
            }
            Ok(true)
        },
    )?;
    let audit_records = match crate::audit::verify(tx)? {
        Ok(n) => n as u64,
        Err(b) => {
            found.push(Finding::AuditBroken {
                detail: b.to_string(),
            });
            0
        }
    };
    match settings_approval(tx)? {
        Some(approval) if approval.hash != settings_hash(tx)? => {
            found.push(Finding::SettingsChanged {
                approved_at: Some(approval.at),
            });
        }
        _ => {}
    }
    if cards.len() > CARDS_NAMED {
        found.push(Finding::MoreCardsAltered {
            more: (cards.len() - CARDS_NAMED) as u64,
        });
    }
    Ok(Findings {
        found,
        revisions,
        audit_records,
        last_good,
        cards,
        referenced,
    })
}

/// The blobs a revision shows: its cover (and variants) and attachments.
fn blobs_of(revision: &Revision) -> Vec<BlobHash> {
    let fields = &revision.fields;
    let mut out: Vec<BlobHash> = fields.attachments.iter().map(|a| a.blob.clone()).collect();
    if let Some(cover) = &fields.cover {
        out.push(cover.blob.clone());
        out.extend(cover.variants.iter().map(|v| v.hash.clone()));
    }
    out
}

/// The newest revision of `entry`, other than `live`, that was published (so never an
/// approved revision still waiting for its date) and whose content still hashes to
/// what its publication recorded.
fn last_good_revision(
    tx: &impl Tx,
    entry: EntryId,
    live: RevisionId,
) -> Result<Option<RevisionId>, store::Error> {
    let events =
        crate::content::tables::EVENTS.range_values(tx, (entry.0, 0)..=(entry.0, u64::MAX))?;
    for event in events.iter().rev() {
        if event.action != crate::workflow::Action::Publish || event.revision == live {
            continue;
        }
        if let Some(revision) = crate::content::tables::REVISIONS.get(tx, event.revision.0)?
            && content::revision_hash(revision.entry, revision.parent, &revision.fields)
                == event.revision_hash
            && revision.hash == event.revision_hash
        {
            return Ok(Some(event.revision));
        }
    }
    Ok(None)
}

/// Hashes every file in the blob folder against its name, and lists the referenced
/// blobs that are missing.
fn examine_blobs(store: &Store, referenced: &BTreeMap<String, String>) -> (Vec<Finding>, u64) {
    let mut found = Vec::new();
    let mut checked = 0;
    let mut present = BTreeSet::new();
    let root = store.data_dir().join("blobs");
    for shard in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(shard.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = file.file_name().to_string_lossy().into_owned();
            if name.len() != 64 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
                continue; // a temporary file of an upload in progress
            }
            checked += 1;
            let matches = hash_file(&file.path()).is_ok_and(|h| h == name);
            if !matches {
                found.push(Finding::BlobAltered { hash: name.clone() });
            }
            present.insert(name);
        }
    }
    for (hash, place) in referenced {
        if !present.contains(hash) {
            found.push(Finding::BlobMissing {
                hash: hash.clone(),
                referenced_by: place.clone(),
            });
        }
    }
    (found, checked)
}

fn hash_file(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hash = Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hash.update(&buffer[..n]);
    }
    Ok(hex::encode(hash.finalize()))
}

/// Runs the check, stores its report, sets the holds on altered entries (lifting those
/// no longer needed), makes altered cards again, and records the run in the audit
/// trail. Returns the report and the entries whose hold changed (the caller drops
/// cached pages and reindexes them; it drops them too when cards were made again).
pub fn check(
    store: &Store,
    policy: OnMismatch,
    by: &str,
    now: Timestamp,
) -> Result<(Report, Vec<EntryId>), store::Error> {
    // The file first: redb's own check and a read of every table.
    let examined = store.examine();
    // The copy, made under a lock every request waits for, is done. What follows reads
    // every revision and blob, and waits for nobody: it yields to the pages (the server
    // runs the check on a thread of its own, `background::run_as_is`).
    crate::background::lower_priority("integrity-check");
    let damaged = !examined.problems.is_empty();
    let mut storage: Vec<Finding> = examined
        .problems
        .into_iter()
        .map(|problem| Finding::StorageDamaged { problem })
        .collect();
    storage.extend(
        examined
            .unchecked
            .map(|unchecked| Finding::StorageUnchecked {
                problem: unchecked.why,
                disk_full: unchecked.disk_full,
            }),
    );
    match check_content(store, policy, by, now, storage.clone()) {
        // Only damage turns a check that could not finish into a report: a full disk
        // that also stops the report being stored is an error, "could not run".
        Err(e) if damaged => {
            // A damaged file may not let the rest run, or the report be stored: the
            // caller still gets what was found.
            tracing::error!("the integrity check could not finish on the damaged database: {e}");
            let mut found = storage;
            found.push(Finding::StorageDamaged {
                problem: format!("the check could not finish: {e}"),
            });
            let mismatches = found
                .into_iter()
                .map(|finding| Mismatch {
                    since: now,
                    message: finding.english(),
                    finding,
                })
                .collect();
            let report = Report {
                seq: 0,
                at: now,
                by: by.to_string(),
                ok: false,
                revisions_checked: 0,
                blobs_checked: 0,
                audit_records: 0,
                mismatches,
            };
            Ok((report, Vec::new()))
        }
        outcome => outcome,
    }
}

fn check_content(
    store: &Store,
    policy: OnMismatch,
    by: &str,
    now: Timestamp,
    storage: Vec<Finding>,
) -> Result<(Report, Vec<EntryId>), store::Error> {
    let examined = store.read_blocking(examine)?;
    let (blob_findings, blobs_checked) = examine_blobs(store, &examined.referenced);
    let mut found = storage;
    found.extend(examined.found);
    found.extend(blob_findings);
    let by = by.to_string();
    store.write_blocking(move |tx| {
        // A settings approval is first recorded by the first check of an older folder.
        if settings_approval(tx)?.is_none() {
            approve_settings(tx, "integrity check (first run)", now)?;
        }
        let previous = latest(tx)?;
        let first_seen: BTreeMap<String, Timestamp> = previous
            .map(|r| {
                r.mismatches
                    .into_iter()
                    .map(|m| (m.finding.key(), m.since))
                    .collect()
            })
            .unwrap_or_default();
        let mismatches: Vec<Mismatch> = found
            .into_iter()
            .map(|finding| Mismatch {
                since: first_seen.get(&finding.key()).copied().unwrap_or(now),
                message: finding.english(),
                finding,
            })
            .collect();
        let mut new_holds = BTreeMap::new();
        for m in &mismatches {
            let (Some(entry), Some((flagged, last_good))) = (
                m.finding.entry(),
                m.finding
                    .entry()
                    .and_then(|e| examined.last_good.get(&e).copied()),
            ) else {
                continue;
            };
            let show = match (policy, last_good) {
                (OnMismatch::LastGood, Some(revision)) => Show::Revision {
                    revision: revision.0,
                },
                _ => Show::UnderReview,
            };
            new_holds.insert(
                entry,
                Hold {
                    flagged: flagged.0,
                    show,
                },
            );
        }
        // Damaged holds held everything (see `shown`); this check rewrites them.
        let old_holds = match holds(tx) {
            Ok(holds) => holds,
            Err(e @ store::Error::Decode { .. }) => {
                tracing::warn!("{e}; the check replaces them");
                all_held(tx)?
            }
            Err(e) => return Err(e),
        };
        // List rows are made from the revisions: those found altered are made again.
        let remade = &examined.cards;
        if !remade.is_empty() {
            tracing::warn!(entries = remade.len(), "making altered list rows again");
        }
        let failed = |e: content::Error| match e {
            content::Error::Store(e) => e,
            other => store::Error::Task(format!("making list rows again: {other}")),
        };
        if remade.len() > CARDS_NAMED {
            // Many at once (a shape changed, a table overwritten): all made again in one
            // pass, rather than one index read per row that no longer decodes.
            content::cards::remake_all(tx).map_err(failed)?;
        } else {
            for entry in remade {
                content::cards::remake(tx, EntryId(*entry)).map_err(failed)?;
            }
        }
        // Entries newly held, released, or held differently.
        let changed: Vec<EntryId> = old_holds
            .keys()
            .chain(new_holds.keys())
            .filter(|id| old_holds.get(id) != new_holds.get(id))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(|id| EntryId(*id))
            .collect();
        if new_holds.is_empty() {
            crate::store::META.remove(tx, HOLDS_KEY)?;
        } else {
            store::meta_put(tx, HOLDS_KEY, &new_holds)?;
        }
        let held_blobs: BTreeSet<&str> = mismatches
            .iter()
            .filter_map(|m| match &m.finding {
                Finding::BlobAltered { hash } => Some(hash.as_str()),
                _ => None,
            })
            .collect();
        if held_blobs.is_empty() {
            crate::store::META.remove(tx, HELD_BLOBS_KEY)?;
        } else {
            store::meta_put(tx, HELD_BLOBS_KEY, &held_blobs)?;
        }
        let report = Report {
            seq: store::next_id(tx, "integrity")?,
            at: now,
            by: by.clone(),
            ok: mismatches.is_empty(),
            revisions_checked: examined.revisions,
            blobs_checked,
            audit_records: examined.audit_records,
            mismatches,
        };
        tables::INTEGRITY.insert(tx, report.seq, &report)?;
        let detail = if report.ok {
            "all as approved".to_string()
        } else {
            format!("{} mismatches", report.mismatches.len())
        };
        crate::audit::append(
            tx,
            crate::audit::Event::new(&by, "integrity_check", report.seq).detail(detail),
            now,
        )?;
        Ok((report, changed))
    })
}

/// What citizens are shown in place of a held entry: a notice, not the altered content.
pub fn notice_revision(entry: &content::Entry, id: RevisionId) -> Revision {
    Revision {
        id,
        entry: entry.id,
        parent: None,
        saved_by: String::new(),
        created_at: entry.updated_at,
        fields: content::Fields {
            title: "Nội dung đang được kiểm tra".into(),
            summary: "Nội dung này tạm thời không hiển thị trong khi cơ quan kiểm tra tính toàn vẹn.".into(),
            body_html: "<p>Nội dung này đang được kiểm tra và sẽ hiển thị lại khi hoàn tất. Xin cảm ơn bạn đọc.</p>".into(),
            ..content::Fields::default()
        },
        hash: String::new(),
    }
}

/// Reports of the check and the daily review.
pub mod tables {
    use crate::store::Table;

    /// Integrity check reports by sequence number.
    pub const INTEGRITY: Table<u64, super::Report> = Table::new("integrity_v1");
    /// The daily review of what was published or changed: by sequence number.
    pub const REVIEWS: Table<u64, super::review::Review> = Table::new("reviews_v1");
}

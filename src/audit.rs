//! The audit trail: append-only and hash-chained. Each record carries the hash of the
//! one before it, so altering or deleting any record breaks the chain from there on,
//! and `verify` finds where. Records are written in the same transaction as the change
//! they describe.

use jiff::Timestamp;
use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{self, Tx};

/// Where the request being served came from, so that every record written while
/// serving it carries the address (S3), however deep the code that writes it. The
/// address travels with the request's task, and into the blocking thread that runs its
/// store transactions (`Store::write`).
pub mod source {
    use std::cell::RefCell;
    use std::future::Future;

    tokio::task_local! {
        // The address, kept unformatted: most requests write no record.
        static REQUEST: Option<std::net::IpAddr>;
    }

    thread_local! {
        static TRANSACTION: RefCell<Option<String>> = const { RefCell::new(None) };
    }

    /// Runs `serve` as the request from `address`.
    pub async fn serving<F: Future>(address: Option<std::net::IpAddr>, serve: F) -> F::Output {
        REQUEST.scope(address, serve).await
    }

    /// The address of the request this task serves, if it serves one.
    pub fn of_this_task() -> Option<String> {
        REQUEST
            .try_with(|address| address.map(|ip| ip.to_string()).unwrap_or_default())
            .ok()
    }

    /// As `of_this_task`, unformatted: `None` outside a request's task, `Some(None)`
    /// for a request whose address is unknown. For handing on to a spawned task.
    pub fn task_address() -> Option<Option<std::net::IpAddr>> {
        REQUEST.try_with(|address| *address).ok()
    }

    /// Runs `work` (a transaction on a blocking thread) on behalf of `address`.
    pub fn acting_for<R>(address: Option<String>, work: impl FnOnce() -> R) -> R {
        /// Puts the earlier address back however `work` ends, a panic included, so a
        /// pooled thread never lends one request's address to the next.
        struct Restore(Option<String>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let earlier = self.0.take();
                TRANSACTION.with(|t| *t.borrow_mut() = earlier);
            }
        }
        let _restore = Restore(TRANSACTION.with(|t| t.replace(address)));
        work()
    }

    /// The address a record written now should carry: the transaction's, else the
    /// task's (a write made on the request's own thread).
    pub fn current() -> Option<String> {
        TRANSACTION
            .with(|t| t.borrow().clone())
            .or_else(of_this_task)
    }
}

/// The hash the first record chains from.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub seq: u64,
    pub at: Timestamp,
    /// The login of who acted ("" for the system, or an unknown login for failures).
    pub actor: String,
    /// The remote address, when known.
    #[serde(default)]
    pub ip: String,
    /// What happened: `login`, `login_failed`, `locked`, `user_created`, `step:approve`, …
    pub action: String,
    /// What it happened to: an entry id, a login, a delegation id.
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub detail: String,
    pub prev: String,
    pub hash: String,
}

/// What a caller supplies; the sequence, time and hashes are added here.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub actor: String,
    pub ip: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

impl Event {
    pub fn new(actor: &str, action: &str, target: impl ToString) -> Event {
        Event {
            actor: actor.to_string(),
            action: action.to_string(),
            target: target.to_string(),
            ..Event::default()
        }
    }

    pub fn ip(mut self, ip: impl ToString) -> Event {
        self.ip = ip.to_string();
        self
    }

    pub fn detail(mut self, detail: impl ToString) -> Event {
        self.detail = detail.to_string();
        self
    }
}

fn hash_of(r: &Record) -> String {
    let canonical = serde_json::to_vec(&(
        r.seq, r.at, &r.actor, &r.ip, &r.action, &r.target, &r.detail, &r.prev,
    ))
    .unwrap_or_default();
    hex::encode(Sha256::digest(canonical))
}

/// Appends `event` to the chain inside the caller's transaction.
pub fn append(tx: &WriteTransaction, event: Event, now: Timestamp) -> Result<Record, store::Error> {
    let last = {
        let table = tx.open_table(tables::AUDIT.definition())?;
        let last = table.last()?;
        last.map(|(_, v)| v.value().to_vec())
    };
    let prev = match last {
        Some(bytes) => {
            serde_json::from_slice::<Record>(&bytes)
                .map_err(|e| store::Error::Decode {
                    table: tables::AUDIT.name(),
                    message: e.to_string(),
                })?
                .hash
        }
        None => GENESIS.to_string(),
    };
    let mut record = Record {
        seq: store::next_id(tx, "audit")?,
        at: now,
        actor: event.actor,
        ip: if event.ip.is_empty() {
            source::current().unwrap_or_default()
        } else {
            event.ip
        },
        action: event.action,
        target: event.target,
        detail: event.detail,
        prev,
        hash: String::new(),
    };
    record.hash = hash_of(&record);
    tables::AUDIT.insert(tx, record.seq, &record)?;
    Ok(record)
}

/// The newest record, if any.
pub fn newest(tx: &impl Tx) -> Result<Option<Record>, store::Error> {
    tables::AUDIT.last(tx)
}

/// Where the chain breaks, if it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The record's own hash does not match its content.
    Altered(u64),
    /// The record does not chain from the one before (one was removed or reordered).
    Unchained(u64),
    /// The newest records are gone: the trail ends before the last number issued.
    Truncated { last_issued: u64 },
    /// Where the kept chain starts after pruning cannot be read, so the chain cannot be
    /// checked from its first kept record.
    AnchorUnreadable(String),
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::Altered(seq) => write!(f, "record {seq} was altered"),
            Break::Unchained(seq) => write!(f, "the chain breaks before record {seq}"),
            Break::Truncated { last_issued } => {
                write!(
                    f,
                    "the newest records are gone (the last should be {last_issued})"
                )
            }
            Break::AnchorUnreadable(why) => write!(f, "the chain's anchor is unreadable: {why}"),
        }
    }
}

impl Break {
    /// For the administrators' pages.
    pub fn vietnamese(&self) -> String {
        match self {
            Break::Altered(seq) => format!("bản ghi số {seq} đã bị sửa"),
            Break::Unchained(seq) => {
                format!("chuỗi bị đứt trước bản ghi số {seq} (có bản ghi bị xóa hoặc chèn)")
            }
            Break::Truncated { last_issued } => format!(
                "các bản ghi mới nhất đã bị xóa (bản ghi cuối cùng phải là số {last_issued})"
            ),
            Break::AnchorUnreadable(_) => "không đọc được điểm bắt đầu của chuỗi (sau lần dọn bản ghi cũ), nên không kiểm tra được chuỗi".to_string(),
        }
    }
}

/// Where the kept chain starts after old records were pruned: the last pruned
/// record's sequence number and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Anchor {
    seq: u64,
    hash: String,
}

const ANCHOR_KEY: &str = "audit_anchor";

/// Where the chain starts: the anchor of the last pruning, or genesis when nothing was
/// ever pruned. A damaged anchor is an error, never genesis: falling back would make a
/// pruned trail look broken, or hide an altered one.
fn anchor(tx: &impl Tx) -> Result<Anchor, store::Error> {
    Ok(store::meta_get(tx, ANCHOR_KEY)?.unwrap_or(Anchor {
        seq: 0,
        hash: GENESIS.to_string(),
    }))
}

/// Checks the whole chain, one record at a time (memory stays flat however long the
/// trail); returns the number of records, or the first break.
pub fn verify(tx: &impl Tx) -> Result<Result<usize, Break>, store::Error> {
    let last_issued = store::get_plain(tx, crate::store::COUNTERS, "audit", |v| v)?.unwrap_or(0);
    let start = match anchor(tx) {
        Ok(start) => start,
        Err(store::Error::Decode { message, .. }) => {
            return Ok(Err(Break::AnchorUnreadable(message)));
        }
        Err(e) => return Err(e),
    };
    let mut chain = Chain::from(start);
    tables::AUDIT.scan(tx, 0u64.., false, |r| chain.add(&r))?;
    Ok(chain.end(last_issued))
}

/// The chain checked so far.
struct Chain {
    prev: String,
    expected_seq: u64,
    count: usize,
    broken: Option<Break>,
}

impl Chain {
    fn from(start: Anchor) -> Chain {
        Chain {
            prev: start.hash,
            expected_seq: start.seq + 1,
            count: 0,
            broken: None,
        }
    }

    /// Takes the next record; false once the chain is broken.
    fn add(&mut self, r: &Record) -> bool {
        if r.prev != self.prev || r.seq != self.expected_seq {
            self.broken = Some(Break::Unchained(r.seq));
        } else if hash_of(r) != r.hash {
            self.broken = Some(Break::Altered(r.seq));
        } else {
            self.prev.clone_from(&r.hash);
            self.expected_seq = r.seq + 1;
            self.count += 1;
        }
        self.broken.is_none()
    }

    /// `last_issued` is the audit counter: the sequence number of the newest record
    /// ever written, so removing the newest records (which breaks no link) is caught too.
    fn end(self, last_issued: u64) -> Result<usize, Break> {
        if let Some(broken) = self.broken {
            return Err(broken);
        }
        if self.expected_seq - 1 != last_issued {
            return Err(Break::Truncated { last_issued });
        }
        Ok(self.count)
    }
}

/// The sequence numbers that can hold records of `filter`'s time range. Records are
/// appended in time order, so the range is found by bisection, without reading the
/// rest; `Filter::matches` still checks each record read.
fn seq_range(
    tx: &impl Tx,
    filter: &Filter,
) -> Result<Option<std::ops::RangeInclusive<u64>>, store::Error> {
    let (Some(first), Some(last)) = (first_record(tx)?, tables::AUDIT.last(tx)?) else {
        return Ok(None);
    };
    // The first sequence number whose record is at or after `t`.
    let first_at = |t: Timestamp| -> Result<u64, store::Error> {
        let (mut lo, mut hi) = (first.seq, last.seq + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match tables::AUDIT.get(tx, mid)? {
                Some(r) if r.at < t => lo = mid + 1,
                Some(_) => hi = mid,
                // A gap (never written by this code): read from the start instead.
                None => return Ok(first.seq),
            }
        }
        Ok(lo)
    };
    let from = match filter.from {
        Some(t) => first_at(t)?,
        None => first.seq,
    };
    let to = match filter.until {
        Some(t) => first_at(t)?.saturating_sub(1),
        None => last.seq,
    };
    Ok((from <= to).then_some(from..=to))
}

fn first_record(tx: &impl Tx) -> Result<Option<Record>, store::Error> {
    let mut first = None;
    tables::AUDIT.scan(tx, 0u64.., false, |r| {
        first = Some(r);
        false
    })?;
    Ok(first)
}

/// Rows reserved up front for a page; a caller asking for everything grows from here.
const PAGE_ROOM: usize = 256;

/// One page of the records `filter` selects, newest first, and how many it selects:
/// only the filter's time range is read, and only the page is kept.
pub fn page(
    tx: &impl Tx,
    filter: &Filter,
    skip: usize,
    take: usize,
) -> Result<(Vec<Record>, usize), store::Error> {
    let mut rows = Vec::with_capacity(take.min(PAGE_ROOM));
    let mut total = 0;
    let Some(range) = seq_range(tx, filter)? else {
        return Ok((rows, total));
    };
    tables::AUDIT.scan(tx, range, true, |r| {
        if filter.matches(&r) {
            if total >= skip && rows.len() < take {
                rows.push(r);
            }
            total += 1;
        }
        true
    })?;
    Ok((rows, total))
}

/// Up to `limit` records `filter` selects after sequence number `after`, oldest first:
/// the export reads the trail in such batches, each in its own short transaction.
pub fn batch_after(
    tx: &impl Tx,
    filter: &Filter,
    after: u64,
    limit: usize,
) -> Result<Vec<Record>, store::Error> {
    let mut rows = Vec::new();
    let Some(range) = seq_range(tx, filter)? else {
        return Ok(rows);
    };
    let start = (*range.start()).max(after.saturating_add(1));
    if start > *range.end() {
        return Ok(rows);
    }
    tables::AUDIT.scan(tx, start..=*range.end(), false, |r| {
        if filter.matches(&r) {
            rows.push(r);
        }
        rows.len() < limit
    })?;
    Ok(rows)
}

/// Removes records older than `before` (the retention period), keeping the chain
/// verifiable from the first kept record; returns how many went.
pub fn prune(tx: &WriteTransaction, before: Timestamp) -> Result<usize, store::Error> {
    let old: Vec<Record> = tables::AUDIT
        .values(tx)?
        .into_iter()
        .take_while(|r| r.at < before)
        .collect();
    let Some(last) = old.last() else {
        return Ok(0);
    };
    let new_anchor = Anchor {
        seq: last.seq,
        hash: last.hash.clone(),
    };
    {
        let mut table = tx.open_table(tables::AUDIT.definition())?;
        for r in &old {
            table.remove(r.seq)?;
        }
    }
    store::meta_put(tx, ANCHOR_KEY, &new_anchor)?;
    Ok(old.len())
}

/// `records`, in the order given, one JSON object per line, hashes included so the
/// chain can be checked elsewhere (the export).
pub fn json_lines(records: &[Record]) -> String {
    let mut out = String::new();
    for r in records {
        // A record is plain strings and numbers: it always serialises.
        out.push_str(&serde_json::to_string(r).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// What the admin page and the export select.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Who acted, or whom it concerned (exact login).
    pub person: Option<String>,
    /// An action or its prefix: `login`, `step:`, `locked`.
    pub action: Option<String>,
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

impl Filter {
    pub fn matches(&self, r: &Record) -> bool {
        self.person
            .as_deref()
            .is_none_or(|p| r.actor == p || r.target == p)
            && self
                .action
                .as_deref()
                .is_none_or(|a| r.action.starts_with(a))
            && self.from.is_none_or(|from| r.at >= from)
            && self.until.is_none_or(|until| r.at < until)
    }
}

/// The trail.
pub mod tables {
    use crate::store::Table;

    /// The audit trail, hash-chained, by sequence number.
    pub const AUDIT: Table<u64, super::Record> = Table::new("audit_v1");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn the_chain_detects_alteration_and_deletion() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let now = Timestamp::now();
        store
            .write_blocking(|tx| -> Result<(), store::Error> {
                for i in 0..5 {
                    append(
                        tx,
                        Event::new("tonghop", "step:submit", i).ip("127.0.0.1"),
                        now,
                    )?;
                }
                Ok(())
            })
            .unwrap();
        assert_eq!(store.read_blocking(verify).unwrap(), Ok(5));

        // Alter record 3's detail without fixing its hash.
        store
            .write_blocking(|tx| -> Result<(), store::Error> {
                let mut r = tables::AUDIT.get(tx, 3)?.unwrap();
                r.detail = "sửa lén".into();
                tables::AUDIT.insert(tx, 3, &r)
            })
            .unwrap();
        assert_eq!(store.read_blocking(verify).unwrap(), Err(Break::Altered(3)));

        // Delete record 2 (and put 3 back as it was, rehashed): the chain is cut.
        store
            .write_blocking(|tx| -> Result<(), store::Error> {
                let mut r = tables::AUDIT.get(tx, 3)?.unwrap();
                r.detail = String::new();
                r.hash = hash_of(&r);
                tables::AUDIT.insert(tx, 3, &r)?;
                tx.open_table(tables::AUDIT.definition())?.remove(2)?;
                Ok(())
            })
            .unwrap();
        assert_eq!(
            store.read_blocking(verify).unwrap(),
            Err(Break::Unchained(3))
        );
    }

    #[test]
    fn pruning_old_records_keeps_the_rest_verifiable() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let at = |days: i64| {
            t0.checked_add(jiff::SignedDuration::from_hours(24 * days))
                .unwrap()
        };
        store
            .write_blocking(|tx| -> Result<(), store::Error> {
                for day in 0..6 {
                    append(tx, Event::new("admin", "login", "admin"), at(day * 100))?;
                }
                Ok(())
            })
            .unwrap();
        let pruned = store.write_blocking(|tx| prune(tx, at(250))).unwrap();
        assert_eq!(pruned, 3);
        assert_eq!(store.read_blocking(verify).unwrap(), Ok(3));
        // Removing the first kept record is still caught.
        store
            .write_blocking(|tx| -> Result<(), store::Error> {
                tx.open_table(tables::AUDIT.definition())?.remove(4)?;
                Ok(())
            })
            .unwrap();
        assert_eq!(
            store.read_blocking(verify).unwrap(),
            Err(Break::Unchained(5))
        );
    }

    #[test]
    fn a_time_range_reads_only_its_records_in_pages_and_batches() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let at = |hour: i64| {
            t0.checked_add(jiff::SignedDuration::from_hours(hour))
                .unwrap()
        };
        store
            .write_blocking(|tx| -> Result<(), store::Error> {
                for hour in 0..50 {
                    let who = if hour % 2 == 0 { "an" } else { "binh" };
                    append(tx, Event::new(who, "login", who), at(hour))?;
                }
                Ok(())
            })
            .unwrap();
        let hours = |records: &[Record]| -> Vec<i64> {
            records
                .iter()
                .map(|r| r.at.duration_since(t0).as_hours())
                .collect()
        };
        let range = Filter {
            from: Some(at(10)),
            until: Some(at(20)),
            ..Filter::default()
        };
        let (rows, total) = store.read_blocking(|tx| page(tx, &range, 0, 4)).unwrap();
        assert_eq!(total, 10);
        assert_eq!(hours(&rows), vec![19, 18, 17, 16]);
        let (rows, _) = store.read_blocking(|tx| page(tx, &range, 8, 4)).unwrap();
        assert_eq!(hours(&rows), vec![11, 10]);
        // With a person too, and an open end.
        let mine = Filter {
            person: Some("an".into()),
            from: Some(at(45)),
            ..Filter::default()
        };
        let (rows, total) = store
            .read_blocking(|tx| page(tx, &mine, 0, usize::MAX))
            .unwrap();
        assert_eq!((hours(&rows), total), (vec![48, 46], 2));
        // A range with nothing in it, and one before the trail began.
        let empty = Filter {
            from: Some(at(100)),
            ..Filter::default()
        };
        assert_eq!(
            store.read_blocking(|tx| page(tx, &empty, 0, 9)).unwrap().1,
            0
        );
        let before = Filter {
            until: Some(at(-5)),
            ..Filter::default()
        };
        assert_eq!(
            store.read_blocking(|tx| page(tx, &before, 0, 9)).unwrap().1,
            0
        );
        // The export's batches, oldest first, cover the range once.
        let mut seen = Vec::new();
        let mut after = 0;
        loop {
            let batch = store
                .read_blocking(|tx| batch_after(tx, &range, after, 3))
                .unwrap();
            let Some(last) = batch.last() else { break };
            after = last.seq;
            seen.extend(hours(&batch));
        }
        assert_eq!(seen, (10..20).collect::<Vec<_>>());
        assert_eq!(store.read_blocking(verify).unwrap(), Ok(50));
    }
}

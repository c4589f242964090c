//! The index folder, read range by range instead of mapped whole.
//!
//! tantivy's `MmapDirectory` maps every segment file for as long as the segment is
//! open. Each page a query touches then stays counted in the process's resident memory
//! until the kernel needs it back: on a million entries, a few hundred searches left
//! over 500 MB of the index mapped. Here each read gets its own bytes, which live only
//! as long as tantivy holds them (a query's postings and field norms, a block of stored
//! documents), so the process holds what its queries are reading, not what they once
//! read.
//!
//! - A small range (a term's dictionary block, a stored document's block) is copied
//!   out with `pread`.
//! - A large one (a common word's postings, a field's norms: a megabyte each at a
//!   million entries, read by every query) is mapped for just that range and unmapped
//!   when tantivy drops it. Copying those cost a search more than scoring did: the
//!   copy itself, zeroing the buffer, and a page fault for each fresh page of it.
//!   Mapped, they come straight from the OS page cache, and only the pages a query
//!   touches are faulted in.
//!
//! - The large ranges read most recently stay mapped, up to `KEEP_MAPPED` bytes, until
//!   they have not been read for `KEEP_IDLE` (`RecentMaps`). Every query reads the same
//!   field norms of every segment, and the postings of the common words: a
//!   million-entry search mapped and unmapped about 48 ranges of about 500 KB, and each
//!   unmapping interrupted the other core to flush its TLB. They are named by path, so
//!   a searcher reopened after a publish finds them kept.
//!
//! Writing, locking and watching stay with `MmapDirectory`.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tantivy::HasLen;
use tantivy::directory::error::{
    DeleteError, LockError, OpenDirectoryError, OpenReadError, OpenWriteError,
};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, OwnedBytes, WatchCallback,
    WatchHandle, WritePtr,
};

#[derive(Debug, Clone)]
pub struct ReadDirectory {
    root: PathBuf,
    inner: MmapDirectory,
    recent: Arc<RecentMaps>,
}

impl ReadDirectory {
    pub fn open(root: &Path) -> Result<ReadDirectory, OpenDirectoryError> {
        Ok(ReadDirectory {
            root: root.to_path_buf(),
            inner: MmapDirectory::open(root)?,
            recent: Arc::default(),
        })
    }

    /// The large ranges kept mapped, for `RecentMaps::release_idle`.
    pub fn recent(&self) -> Arc<RecentMaps> {
        self.recent.clone()
    }
}

/// One open segment file. Unix keeps a deleted file readable while it is open, as a
/// merge may delete what a searcher still reads.
#[derive(Debug)]
struct ReadFile {
    file: File,
    len: usize,
    /// Its path, which names its ranges among those kept mapped: tantivy never writes
    /// a segment file twice, and names each new one afresh.
    path: Arc<Path>,
    recent: Arc<RecentMaps>,
}

/// At most this many bytes of large ranges stay mapped after their reader is done.
/// Only the pages queries touched count in the process's memory.
const KEEP_MAPPED: usize = 16 * 1024 * 1024;

/// A range kept mapped and not read again for this long is unmapped (at the next
/// mapping, or by the scheduler within half a minute more): an idle server holds none
/// of the index, and a segment merged away lets its file go.
const KEEP_IDLE: Duration = Duration::from_secs(30);

/// A range read this recently is never evicted for a new one: when one query reads
/// more than the budget, the ranges kept stay kept and the new one is not, where a
/// plain least-recently-used rule would evict each range just before it is read again.
const IN_USE: Duration = Duration::from_secs(1);

/// The large ranges read most recently, kept mapped for the next query.
#[derive(Debug)]
pub struct RecentMaps {
    kept: Mutex<Vec<Kept>>,
    /// `KEEP_MAPPED`, but for tests.
    budget: usize,
}

impl Default for RecentMaps {
    fn default() -> RecentMaps {
        RecentMaps {
            kept: Mutex::default(),
            budget: KEEP_MAPPED,
        }
    }
}

#[derive(Debug)]
struct Kept {
    path: Arc<Path>,
    range: Range<usize>,
    map: Arc<Mapped>,
    used: Instant,
}

impl Kept {
    fn is(&self, path: &Path, range: &Range<usize>) -> bool {
        self.range == *range && *self.path == *path
    }
}

impl RecentMaps {
    /// The mapping of `range` of `file`, kept or made now.
    fn map(&self, file: &ReadFile, range: Range<usize>) -> io::Result<Arc<Mapped>> {
        self.map_at(file, range, Instant::now())
    }

    fn map_at(
        &self,
        file: &ReadFile,
        range: Range<usize>,
        now: Instant,
    ) -> io::Result<Arc<Mapped>> {
        if let Some(found) = self.lock().iter_mut().find(|k| k.is(&file.path, &range)) {
            found.used = now;
            return Ok(found.map.clone());
        }
        // A file cut short since it was opened (a disk fault, a copy gone wrong) would
        // raise SIGBUS where the mapping passes its end: an error instead, which
        // rebuilds the index (`app::SearchRepair`).
        let now_len = file.file.metadata()?.len();
        if range.end as u64 > now_len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{} is {now_len} bytes, shorter than when it was opened ({} bytes)",
                    file.path.display(),
                    file.len
                ),
            ));
        }
        // SAFETY: segment files are written once, then only read and deleted; none is
        // truncated or rewritten while open (a merge writes new files), so the mapped
        // bytes cannot change or vanish under a reader. The range is within the file,
        // checked just above; only a file cut short while mapped, by something other
        // than this program, could still fault.
        let map = Arc::new(Mapped(unsafe {
            memmap2::MmapOptions::new()
                .offset(range.start as u64)
                .len(range.len())
                .map(&file.file)?
        }));
        // Unmapping interrupts the other cores: done after the lock is let go.
        let mut dropped = Vec::new();
        let map = {
            let mut kept = self.lock();
            if let Some(found) = kept.iter_mut().find(|k| k.is(&file.path, &range)) {
                // Another thread mapped it meanwhile: the kept one serves both.
                found.used = now;
                dropped.push(map);
                found.map.clone()
            } else if range.len() <= self.budget {
                self.make_room(&mut kept, range.len(), now, &mut dropped);
                if kept.iter().map(|k| k.range.len()).sum::<usize>() + range.len() <= self.budget {
                    kept.push(Kept {
                        path: file.path.clone(),
                        range,
                        map: map.clone(),
                        used: now,
                    });
                }
                map
            } else {
                map
            }
        };
        drop(dropped);
        Ok(map)
    }

    /// Moves to `dropped` what was idle too long, then the least recently read ranges
    /// not `IN_USE`, until `wanted` more bytes fit the budget (or nothing more can go).
    fn make_room(
        &self,
        kept: &mut Vec<Kept>,
        wanted: usize,
        now: Instant,
        dropped: &mut Vec<Arc<Mapped>>,
    ) {
        let mut i = 0;
        while i < kept.len() {
            if now.saturating_duration_since(kept[i].used) >= KEEP_IDLE {
                dropped.push(kept.swap_remove(i).map);
            } else {
                i += 1;
            }
        }
        while kept.iter().map(|k| k.range.len()).sum::<usize>() + wanted > self.budget {
            let oldest = (0..kept.len())
                .filter(|&i| now.saturating_duration_since(kept[i].used) >= IN_USE)
                .min_by_key(|&i| kept[i].used);
            let Some(oldest) = oldest else { break };
            dropped.push(kept.swap_remove(oldest).map);
        }
    }

    /// Unmaps what no query has read for `KEEP_IDLE` (the scheduler calls this every
    /// half minute, so that a quiet server holds none of the index).
    pub fn release_idle(&self) {
        if let Some(since) = Instant::now().checked_sub(KEEP_IDLE) {
            self.release_unread_since(since);
        }
    }

    fn release_unread_since(&self, since: Instant) {
        let mut dropped = Vec::new();
        self.lock().retain_mut(|k| {
            let keep = k.used >= since;
            if !keep {
                dropped.push(k.map.clone());
            }
            keep
        });
        drop(dropped);
    }

    /// How many bytes are kept mapped.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.lock().iter().map(|k| k.range.len()).sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Kept>> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl HasLen for ReadFile {
    fn len(&self) -> usize {
        self.len
    }
}

impl FileHandle for ReadFile {
    fn read_bytes(&self, range: Range<usize>) -> io::Result<OwnedBytes> {
        if range.start > range.end || range.end > self.len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("read {range:?} past the end of a {}-byte file", self.len),
            ));
        }
        if range.len() < MAP_FROM {
            let mut buffer = vec![0; range.len()];
            self.file.read_exact_at(&mut buffer, range.start as u64)?;
            return Ok(OwnedBytes::new(buffer));
        }
        Ok(OwnedBytes::new(Shared(self.recent.map(self, range)?)))
    }
}

/// Ranges at least this long are mapped rather than copied: below it a copy costs less
/// than a map and its unmap.
const MAP_FROM: usize = 64 * 1024;

/// One mapped range, unmapped when the last of tantivy's handles on it drops and
/// `RecentMaps` no longer keeps it.
struct Mapped(memmap2::Mmap);

impl std::ops::Deref for Mapped {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// A mapped range as tantivy holds it: it stays mapped while this or `RecentMaps` has it.
struct Shared(Arc<Mapped>);

impl std::ops::Deref for Shared {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Mapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mapped({} bytes)", self.0.len())
    }
}

// SAFETY: the bytes live at the mapping's address, which moving `Shared` (or cloning
// its `Arc`) does not change; they stay there until the last `Arc` drops and unmaps.
unsafe impl stable_deref_trait::StableDeref for Shared {}

impl Directory for ReadDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        let full = self.root.join(path);
        let opened = File::open(&full).and_then(|file| {
            let len = usize::try_from(file.metadata()?.len())
                .map_err(|_| io::Error::other("file too large"))?;
            Ok(ReadFile {
                file,
                len,
                path: full.as_path().into(),
                recent: self.recent.clone(),
            })
        });
        match opened {
            Ok(file) => Ok(Arc::new(file)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err(OpenReadError::FileDoesNotExist(path.to_path_buf()))
            }
            Err(e) => Err(OpenReadError::wrap_io_error(e, path.to_path_buf())),
        }
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.inner.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.inner.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.inner.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.inner.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(watch_callback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ranges_and_refuses_past_the_end() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), b"0123456789").unwrap();
        let files = ReadDirectory::open(dir.path()).unwrap();
        let a = files.get_file_handle(Path::new("a")).unwrap();
        assert_eq!(a.len(), 10);
        assert_eq!(a.read_bytes(2..5).unwrap().as_slice(), b"234");
        assert!(a.read_bytes(3..3).unwrap().is_empty());
        // A range long enough to be mapped, starting off a page boundary.
        let long: Vec<u8> = (0..3 * MAP_FROM).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.path().join("b"), &long).unwrap();
        let b = files.get_file_handle(Path::new("b")).unwrap();
        let range = 1001..1001 + 2 * MAP_FROM;
        assert_eq!(
            b.read_bytes(range.clone()).unwrap().as_slice(),
            &long[range]
        );
        assert!(b.read_bytes(MAP_FROM..3 * MAP_FROM + 1).is_err());
        assert!(a.read_bytes(8..11).is_err());
        assert!(matches!(
            files.get_file_handle(Path::new("missing")),
            Err(OpenReadError::FileDoesNotExist(_))
        ));
    }

    /// A file cut short after it was opened gives an error for a range past its new
    /// end, where a mapping would have raised SIGBUS on the first read; both a large
    /// range (mapped) and a small one (copied).
    #[test]
    fn a_file_cut_short_while_open_gives_an_error_not_a_fault() {
        let dir = tempfile::tempdir().unwrap();
        let long: Vec<u8> = (0..4 * MAP_FROM).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.path().join("d"), &long).unwrap();
        let files = ReadDirectory::open(dir.path()).unwrap();
        let d = files.get_file_handle(Path::new("d")).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(dir.path().join("d"))
            .unwrap()
            .set_len(4096)
            .unwrap();
        let large = d.read_bytes(MAP_FROM..3 * MAP_FROM).unwrap_err();
        assert_eq!(large.kind(), io::ErrorKind::UnexpectedEof, "{large}");
        assert!(
            large
                .to_string()
                .contains("shorter than when it was opened"),
            "{large}"
        );
        assert!(d.read_bytes(8192..9000).is_err());
        // What is still there reads as before.
        assert_eq!(d.read_bytes(0..100).unwrap().as_slice(), &long[..100]);
    }

    #[test]
    fn large_ranges_stay_mapped_within_the_budget_until_idle() {
        let dir = tempfile::tempdir().unwrap();
        let long: Vec<u8> = (0..8 * MAP_FROM).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.path().join("c"), &long).unwrap();
        let mut files = ReadDirectory::open(dir.path()).unwrap();
        files.recent = Arc::new(RecentMaps {
            kept: Mutex::default(),
            budget: 3 * MAP_FROM,
        });
        let recent = files.recent();
        let handle = files.get_file_handle(Path::new("c")).unwrap();
        let c = ReadFile {
            file: File::open(dir.path().join("c")).unwrap(),
            len: long.len(),
            path: dir.path().join("c").into(),
            recent: recent.clone(),
        };
        let at = |seconds: u64| Instant::now() + Duration::from_secs(seconds);
        let read = |range: Range<usize>, when: Instant| c.recent.map_at(&c, range, when).unwrap();
        // Read twice, one mapping: the same bytes at the same address. Another handle
        // on the same file (a searcher reopened) finds it too.
        let first = read(0..2 * MAP_FROM, at(0));
        assert_eq!(first.as_ptr(), read(0..2 * MAP_FROM, at(0)).as_ptr());
        assert_eq!(
            handle
                .read_bytes(0..2 * MAP_FROM)
                .unwrap()
                .as_slice()
                .as_ptr(),
            first.as_ptr()
        );
        assert_eq!(&first[..], &long[..2 * MAP_FROM]);
        assert_eq!(recent.bytes(), 2 * MAP_FROM);
        // Past the budget, a range read within the last second is not evicted: the new
        // one is not kept instead...
        let other = read(4 * MAP_FROM..6 * MAP_FROM, at(0));
        assert_eq!(&other[..], &long[4 * MAP_FROM..6 * MAP_FROM]);
        assert_ne!(
            read(4 * MAP_FROM..6 * MAP_FROM, at(0)).as_ptr(),
            other.as_ptr()
        );
        assert_eq!(read(0..2 * MAP_FROM, at(0)).as_ptr(), first.as_ptr());
        // ...and later the least recently read goes, while its reader keeps its bytes.
        let other = read(4 * MAP_FROM..6 * MAP_FROM, at(2));
        assert_eq!(
            read(4 * MAP_FROM..6 * MAP_FROM, at(2)).as_ptr(),
            other.as_ptr()
        );
        assert_ne!(read(0..2 * MAP_FROM, at(3)).as_ptr(), first.as_ptr());
        assert_eq!(&first[..], &long[..2 * MAP_FROM]);
        assert_eq!(recent.bytes(), 2 * MAP_FROM);
        // A range the size of the budget is kept; a larger one never.
        let whole = read(0..3 * MAP_FROM, at(10));
        assert_eq!(recent.bytes(), 3 * MAP_FROM);
        assert_eq!(read(0..3 * MAP_FROM, at(10)).as_ptr(), whole.as_ptr());
        let _ = read(0..8 * MAP_FROM, at(20));
        assert_eq!(recent.bytes(), 3 * MAP_FROM);
        // Idle ranges are released, at the next mapping or when the scheduler asks.
        let _ = read(MAP_FROM..2 * MAP_FROM, at(45));
        assert_eq!(recent.bytes(), MAP_FROM);
        recent.release_unread_since(at(46));
        assert_eq!(recent.bytes(), 0);
    }
}

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
//! Writing, locking and watching stay with `MmapDirectory`.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
}

impl ReadDirectory {
    pub fn open(root: &Path) -> Result<ReadDirectory, OpenDirectoryError> {
        Ok(ReadDirectory {
            root: root.to_path_buf(),
            inner: MmapDirectory::open(root)?,
        })
    }
}

/// One open segment file. Unix keeps a deleted file readable while it is open, as a
/// merge may delete what a searcher still reads.
#[derive(Debug)]
struct ReadFile {
    file: File,
    len: usize,
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
        // SAFETY: segment files are written once, then only read and deleted; none is
        // truncated or rewritten while open (a merge writes new files), so the mapped
        // bytes cannot change or vanish under a reader. The range is within the file.
        let map = unsafe {
            memmap2::MmapOptions::new()
                .offset(range.start as u64)
                .len(range.len())
                .map(&self.file)?
        };
        Ok(OwnedBytes::new(Mapped(map)))
    }
}

/// Ranges at least this long are mapped rather than copied: below it a copy costs less
/// than a map and its unmap.
const MAP_FROM: usize = 64 * 1024;

/// One mapped range, unmapped when the last of tantivy's handles on it drops.
struct Mapped(memmap2::Mmap);

impl std::ops::Deref for Mapped {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

// SAFETY: the bytes live at the mapping's address, which moving `Mapped` does not
// change; they stay there until the mapping is dropped.
unsafe impl stable_deref_trait::StableDeref for Mapped {}

impl Directory for ReadDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        let full = self.root.join(path);
        let opened = File::open(&full).and_then(|file| {
            let len = usize::try_from(file.metadata()?.len())
                .map_err(|_| io::Error::other("file too large"))?;
            Ok(ReadFile { file, len })
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
}

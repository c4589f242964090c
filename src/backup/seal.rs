//! Encrypted backups for copies kept off the server: the archive stream is cut into
//! 64 KiB chunks, each sealed with ChaCha20-Poly1305 under a key derived from a
//! passphrase with argon2id (64 MiB, 3 passes) and a random salt. Chunk nonces count
//! up and the last chunk is flagged in its nonce, so chunks cannot be reordered,
//! dropped or the file cut short without the opening failing.
//!
//! Layout: `MAGIC`, `m_cost`, `t_cost`, `p_cost` (u32, big-endian), salt (16 bytes), then
//! the sealed chunks (each 64 KiB + 16-byte tag, the last one shorter). The header is
//! the associated data of every chunk.

use std::io::{self, Read, Write};

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};

pub const MAGIC: &[u8; 8] = b"TTBKENC1";
const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;
const SALT: usize = 16;
const HEADER: usize = MAGIC.len() + 12 + SALT;
const M_COST_KIB: u32 = 64 * 1024;
const T_COST: u32 = 3;
/// The shortest passphrase accepted for a new encrypted backup.
pub const MIN_PASSPHRASE: usize = 12;

fn derive(passphrase: &str, m: u32, t: u32, p: u32, salt: &[u8]) -> io::Result<LessSafeKey> {
    // Bounds keep a forged header from asking for gigabytes of memory.
    if !(8 * 1024..=1024 * 1024).contains(&m) || !(1..=10).contains(&t) || !(1..=4).contains(&p) {
        return Err(invalid("the archive's key parameters are out of range"));
    }
    let params = argon2::Params::new(m, t, p, Some(32)).map_err(|e| invalid(&e.to_string()))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = [0u8; 32];
    argon
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .map_err(|e| invalid(&e.to_string()))?;
    let key = UnboundKey::new(&CHACHA20_POLY1305, &key).map_err(|_| invalid("bad key"))?;
    Ok(LessSafeKey::new(key))
}

fn nonce(counter: u64, last: bool) -> Nonce {
    let mut bytes = [0u8; 12];
    bytes[3..11].copy_from_slice(&counter.to_be_bytes());
    bytes[11] = u8::from(last);
    Nonce::assume_unique_for_key(bytes)
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}

/// Whether a file starts like an encrypted backup.
pub fn is_sealed(first_bytes: &[u8]) -> bool {
    first_bytes.starts_with(MAGIC)
}

/// Encrypts everything written to it; `finish` seals the last chunk.
pub struct SealWriter<W: Write> {
    inner: W,
    key: LessSafeKey,
    aad: Vec<u8>,
    buffer: Vec<u8>,
    counter: u64,
}

impl<W: Write> SealWriter<W> {
    pub fn new(mut inner: W, passphrase: &str) -> io::Result<SealWriter<W>> {
        let mut salt = [0u8; SALT];
        crate::random::fill(&mut salt).map_err(|e| io::Error::other(e.to_string()))?;
        let mut header = MAGIC.to_vec();
        for n in [M_COST_KIB, T_COST, 1] {
            header.extend_from_slice(&n.to_be_bytes());
        }
        header.extend_from_slice(&salt);
        let key = derive(passphrase, M_COST_KIB, T_COST, 1, &salt)?;
        inner.write_all(&header)?;
        Ok(SealWriter {
            inner,
            key,
            aad: header,
            buffer: Vec::with_capacity(CHUNK + TAG),
            counter: 0,
        })
    }

    fn seal_chunk(&mut self, last: bool) -> io::Result<()> {
        let mut chunk = std::mem::take(&mut self.buffer);
        self.key
            .seal_in_place_append_tag(
                nonce(self.counter, last),
                Aad::from(&self.aad[..]),
                &mut chunk,
            )
            .map_err(|_| io::Error::other("sealing failed"))?;
        self.inner.write_all(&chunk)?;
        self.counter += 1;
        chunk.clear();
        self.buffer = chunk;
        Ok(())
    }

    /// Seals what is left as the last chunk and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.seal_chunk(true)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for SealWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.buffer.len();
        let taken = room.min(data.len());
        self.buffer.extend_from_slice(&data[..taken]);
        if self.buffer.len() == CHUNK {
            self.seal_chunk(false)?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Decrypts an encrypted backup as it is read; fails on a wrong passphrase or any
/// change to the file.
pub struct OpenReader<R: Read> {
    inner: R,
    key: LessSafeKey,
    aad: Vec<u8>,
    plain: Vec<u8>,
    position: usize,
    counter: u64,
    done: bool,
    /// A byte read ahead to tell whether a full chunk was the last one.
    pending: Option<u8>,
}

impl<R: Read> OpenReader<R> {
    pub fn new(mut inner: R, passphrase: &str) -> io::Result<OpenReader<R>> {
        let mut header = [0u8; HEADER];
        inner
            .read_exact(&mut header)
            .map_err(|_| invalid("the archive is too short to be an encrypted backup"))?;
        if !is_sealed(&header) {
            return Err(invalid("not an encrypted trangtin backup"));
        }
        let number = |i: usize| {
            let at = MAGIC.len() + 4 * i;
            u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
        };
        let key = derive(
            passphrase,
            number(0),
            number(1),
            number(2),
            &header[MAGIC.len() + 12..],
        )?;
        Ok(OpenReader {
            inner,
            key,
            aad: header.to_vec(),
            plain: Vec::new(),
            position: 0,
            counter: 0,
            done: false,
            pending: None,
        })
    }

    /// Reads and opens the next chunk into `plain`.
    fn next_chunk(&mut self) -> io::Result<()> {
        let mut sealed = vec![0u8; CHUNK + TAG + 1];
        let mut filled = 0;
        if let Some(byte) = self.pending.take() {
            sealed[0] = byte;
            filled = 1;
        }
        while filled < sealed.len() {
            let n = self.inner.read(&mut sealed[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        // One byte beyond a full chunk means more follow; it belongs to the next one.
        let last = filled <= CHUNK + TAG;
        if !last {
            self.pending = Some(sealed[CHUNK + TAG]);
        }
        sealed.truncate(filled.min(CHUNK + TAG));
        if sealed.len() < TAG {
            return Err(invalid(
                "the encrypted archive is cut short (wrong file or incomplete copy)",
            ));
        }
        let plain = self
            .key
            .open_in_place(nonce(self.counter, last), Aad::from(&self.aad[..]), &mut sealed)
            .map_err(|_| {
                invalid("cannot decrypt the archive: wrong passphrase, or the file was changed or cut short")
            })?
            .len();
        sealed.truncate(plain);
        self.plain = sealed;
        self.position = 0;
        self.counter += 1;
        self.done = last;
        Ok(())
    }
}

impl<R: Read> Read for OpenReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.position == self.plain.len() {
            if self.done {
                return Ok(0);
            }
            self.next_chunk()?;
        }
        let n = out.len().min(self.plain.len() - self.position);
        out[..n].copy_from_slice(&self.plain[self.position..self.position + n]);
        self.position += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal(plain: &[u8], passphrase: &str) -> Vec<u8> {
        let mut writer = SealWriter::new(Vec::new(), passphrase).unwrap();
        writer.write_all(plain).unwrap();
        writer.finish().unwrap()
    }

    fn open(sealed: &[u8], passphrase: &str) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        OpenReader::new(sealed, passphrase)?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn round_trips_at_every_chunk_boundary_and_refuses_changes() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let sealed = seal(&plain, "một cụm mật khẩu dài");
            assert!(is_sealed(&sealed));
            assert_eq!(
                open(&sealed, "một cụm mật khẩu dài").unwrap(),
                plain,
                "{len}"
            );
            assert!(open(&sealed, "sai cụm mật khẩu").is_err());
            if len > 0 {
                let mut flipped = sealed.clone();
                flipped[HEADER + len / 2] ^= 1;
                assert!(open(&flipped, "một cụm mật khẩu dài").is_err());
            }
            if len >= CHUNK {
                // Cut after a whole chunk: that chunk was not sealed as the last one.
                let cut = &sealed[..HEADER + CHUNK + TAG];
                assert!(open(cut, "một cụm mật khẩu dài").is_err(), "{len}");
            }
        }
    }
}

//! Randomness from the operating system, for keys, tokens, salts and temporary names.
//! A failure is an error the caller passes on, never a zero-filled key.

#[derive(Debug, thiserror::Error)]
#[error("the operating system gave no randomness: {0}")]
pub struct Error(String);

/// Fills `buffer` with random bytes.
pub fn fill(buffer: &mut [u8]) -> Result<(), Error> {
    getrandom::fill(buffer).map_err(|e| Error(e.to_string()))
}

/// `N` random bytes.
pub fn bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}

/// `len` characters drawn from `alphabet` (of at most 256 symbols). The small bias of
/// the modulo is irrelevant for alphabets of a few dozen symbols and these lengths.
pub fn text(alphabet: &[u8], len: usize) -> Result<String, Error> {
    let mut random = vec![0u8; len];
    fill(&mut random)?;
    Ok(random
        .iter()
        .map(|b| char::from(alphabet[usize::from(*b) % alphabet.len()]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_differ_and_stay_in_the_alphabet() {
        let (a, b) = (text(b"abc", 32).unwrap(), text(b"abc", 32).unwrap());
        assert_ne!(a, b);
        assert!(a.chars().all(|c| "abc".contains(c)));
        assert_ne!(bytes::<16>().unwrap(), [0u8; 16]);
    }
}

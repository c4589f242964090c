//! Passwords: argon2id hashes (m = 19 MiB, t = 2, p = 1, OWASP's minimum), random
//! one-time passwords, and the length rule. Hashing takes tens of milliseconds; callers
//! run it on the blocking pool behind `App::hashing`, which bounds how many run at once.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

pub const MIN_LEN: usize = 12;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) for `password`.
pub fn hash(password: &str) -> Result<String, String> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches `phc`. A malformed stored hash matches nothing.
pub fn verify(password: &str, phc: &str) -> bool {
    argon2().verify_password(password.as_bytes(), phc).is_ok()
}

/// A hash of a random password nobody knows, to spend the same time on unknown logins.
pub fn decoy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$pM1R6Kc6EH2kRqkYbKu7W6m7vC5T5yJbJmGQbPmz1Mw"
}

/// The Vietnamese reason a new password is refused, if it is.
pub fn policy(password: &str, login: &str) -> Result<(), &'static str> {
    if password.chars().count() < MIN_LEN {
        return Err("Mật khẩu phải có ít nhất 12 ký tự.");
    }
    if !login.is_empty() && password.to_lowercase().contains(&login.to_lowercase()) {
        return Err("Mật khẩu không được chứa tên đăng nhập.");
    }
    Ok(())
}

/// A random password of 16 characters from an alphabet without look-alikes.
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    let _ = getrandom::fill(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let h = hash("mật khẩu đủ dài 2026").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("mật khẩu đủ dài 2026", &h));
        assert!(!verify("mật khẩu sai", &h));
        assert!(!verify("x", "not a hash"));
        assert!(!verify("x", decoy_hash()));
    }

    #[test]
    fn the_policy_refuses_short_passwords_and_the_login() {
        assert!(policy("ngắn", "a").is_err());
        assert!(policy("tonghop-2026-abc", "tonghop").is_err());
        assert!(policy("một câu đủ dài", "tonghop").is_ok());
    }

    #[test]
    fn generated_passwords_are_long_and_differ() {
        let a = generate();
        assert_eq!(a.len(), 16);
        assert_ne!(a, generate());
        assert!(policy(&a, "admin").is_ok());
    }
}

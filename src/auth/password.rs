//! Passwords: argon2id hashes (m = 19 MiB, t = 2, p = 1, OWASP's minimum), random
//! one-time passwords, and the policy new passwords must meet. Hashing takes tens of
//! milliseconds; callers run it on the blocking pool behind `App::hashing`, which bounds
//! how many run at once.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// The shortest password accepted from someone with a second factor…
pub const MIN_LEN: usize = 12;
/// …and from someone without one.
pub const MIN_LEN_WITHOUT_2FA: usize = 14;
/// How many earlier passwords a new one must differ from, besides the current one:
/// with it, the last ten (Decree 85/2016 level 3, S2).
pub const REMEMBERED: usize = 9;

const M_COST_KIB: u32 = 19 * 1024;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Whether a stored hash was made with other parameters than today's, so a successful
/// login should replace it.
pub fn needs_rehash(phc: &str) -> bool {
    let current = format!("$argon2id$v=19$m={M_COST_KIB},t={T_COST},p={P_COST}$");
    !phc.starts_with(&current)
}

const COMMON: &str = include_str!("../../assets/security/common-passwords.txt");

/// Whether `password` is a common one, or a common word dressed up with digits,
/// punctuation, spaces or repetition ("Matkhau@2026", "qwerty qwerty").
fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    let squeezed: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    let core = squeezed.trim_matches(|c: char| !c.is_alphabetic());
    // No letters at all (digit runs, dates, keyboard symbols), or very few distinct
    // characters: guessed early by any cracking tool.
    let distinct: std::collections::HashSet<char> = squeezed.chars().collect();
    if core.is_empty() || distinct.len() < 5 {
        return true;
    }
    let candidates = [lower.trim(), squeezed.as_str(), core];
    COMMON
        .lines()
        .map(str::trim)
        .filter(|w| !w.is_empty() && !w.starts_with('#'))
        .any(|word| {
            let word_squeezed: String = word.chars().filter(|c| !c.is_whitespace()).collect();
            candidates.iter().any(|c| {
                *c == word
                    || *c == word_squeezed
                    || (!c.is_empty()
                        && c.len() % word_squeezed.len() == 0
                        && *c == word_squeezed.repeat(c.len() / word_squeezed.len()))
            })
        })
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

/// The shortest password the policy accepts.
pub fn min_length(has_second_factor: bool) -> usize {
    if has_second_factor {
        MIN_LEN
    } else {
        MIN_LEN_WITHOUT_2FA
    }
}

/// The Vietnamese reason a new password is refused, if it is. Reuse of earlier
/// passwords is checked separately (`reused`), since it needs the stored hashes.
pub fn policy(password: &str, login: &str, has_second_factor: bool) -> Result<(), &'static str> {
    let length = password.chars().count();
    if has_second_factor && length < MIN_LEN {
        return Err("Mật khẩu phải có ít nhất 12 ký tự.");
    }
    if !has_second_factor && length < MIN_LEN_WITHOUT_2FA {
        return Err("Mật khẩu phải có ít nhất 14 ký tự (12 ký tự khi đã bật xác thực hai bước).");
    }
    if !login.is_empty() && password.to_lowercase().contains(&login.to_lowercase()) {
        return Err("Mật khẩu không được chứa tên đăng nhập.");
    }
    if is_common(password) {
        return Err("Mật khẩu này quá phổ biến, dễ bị đoán. Hãy chọn một câu dài mà chỉ bạn nhớ.");
    }
    Ok(())
}

/// Whether `password` matches the current hash or one of the remembered ones.
pub fn reused(password: &str, current: &str, previous: &[String]) -> bool {
    std::iter::once(current)
        .chain(previous.iter().map(String::as_str))
        .any(|phc| verify(password, phc))
}

/// A random password of 16 characters from an alphabet without look-alikes.
pub fn generate() -> Result<String, crate::random::Error> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    crate::random::text(ALPHABET, 16)
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
    fn the_policy_refuses_short_common_and_login_passwords() {
        assert!(policy("ngắn", "a", true).is_err());
        assert!(policy("mây trôi lững", "tonghop", true).is_ok());
        assert!(
            policy("mây trôi lững", "tonghop", false).is_err(),
            "13 < 14"
        );
        assert!(policy("một câu đủ dài nhé", "tonghop", false).is_ok());
        assert!(policy("tonghop-2026-abcdef", "tonghop", false).is_err());
        for common in [
            "12345678901234",
            "Matkhau@2026!!!!",
            "mat khau 123456789",
            "qwertyqwertyqwerty",
            "P@ssw0rd12345678",
            "SoKHCN#20262026",
            "aaaaaaaaaaaaaaaaaa",
            "2026-11-28 / 09:30",
        ] {
            assert_eq!(
                policy(common, "donvi", false),
                Err("Mật khẩu này quá phổ biến, dễ bị đoán. Hãy chọn một câu dài mà chỉ bạn nhớ."),
                "{common}"
            );
        }
    }

    #[test]
    fn reuse_is_found_among_the_current_and_remembered_hashes() {
        let old = hash("câu mật khẩu cũ thứ nhất").unwrap();
        let current = hash("câu mật khẩu đang dùng").unwrap();
        assert!(reused(
            "câu mật khẩu đang dùng",
            &current,
            std::slice::from_ref(&old)
        ));
        assert!(reused(
            "câu mật khẩu cũ thứ nhất",
            &current,
            std::slice::from_ref(&old)
        ));
        assert!(!reused("một câu hoàn toàn mới", &current, &[old]));
    }

    #[test]
    fn hashes_with_other_parameters_need_a_rehash() {
        assert!(!needs_rehash(&hash("một câu đủ dài nhé").unwrap()));
        assert!(needs_rehash(
            "$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHQ$abc"
        ));
        assert!(needs_rehash(
            "$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$abc"
        ));
    }

    #[test]
    fn generated_passwords_are_long_and_differ() {
        let a = generate().unwrap();
        assert_eq!(a.len(), 16);
        assert_ne!(a, generate().unwrap());
        assert!(policy(&a, "admin", true).is_ok());
    }
}

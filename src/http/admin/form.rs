//! Form bodies and cookies, parsed by hand: forms here repeat fields (attachments) and
//! must be read before the handler to check the CSRF token.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::http::error::HttpError;

/// Fields whose values are secrets compared as typed (passwords), never normalised.
const SECRETS: &[&str] = &["password", "xac_nhan", "old", "new", "confirm"];

/// A parsed `application/x-www-form-urlencoded` body (fields in order, repeats kept).
#[derive(Debug, Clone, Default)]
pub struct FormData {
    pairs: Vec<(String, String)>,
}

impl FormData {
    /// Parses a body; `None` if it is not valid percent-encoded UTF-8. Every value is
    /// normalised to NFC here (regulation F11), the one place all form input passes,
    /// so a title typed in decomposed Unicode is stored composed. Passwords are the
    /// exception: they are compared as typed.
    pub fn parse(body: &[u8]) -> Option<FormData> {
        use unicode_normalization::UnicodeNormalization;
        let text = std::str::from_utf8(body).ok()?;
        let mut pairs = Vec::new();
        for part in text.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            let (key, value) = (decode(key)?, decode(value)?);
            let value = if SECRETS.contains(&key.as_str()) {
                value
            } else {
                value.nfc().collect()
            };
            pairs.push((key, value));
        }
        Some(FormData { pairs })
    }

    /// The first value of each name, as a JSON object of strings (for `http::form::Form`).
    pub fn first_values(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for (key, value) in &self.pairs {
            map.entry(key.clone())
                .or_insert_with(|| serde_json::Value::String(value.clone()));
        }
        serde_json::Value::Object(map)
    }

    /// The first value of `name`, trimmed of nothing (editors' text is kept as typed).
    pub fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == name)
    }
}

/// Handlers take the form the CSRF guard already read and checked.
impl<S: Send + Sync> FromRequestParts<S> for FormData {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<FormData>()
            .cloned()
            .ok_or(HttpError::BadRequest("expected a form body"))
    }
}

/// Decodes `+` and `%XX`; `None` on a malformed escape or invalid UTF-8.
pub fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes for a query value or form field.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `__Host-` cookie: Secure, `HttpOnly`, SameSite=Strict, whole site, no Domain.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>) -> String {
    let mut cookie = format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    cookie
}

/// Equal in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The reason a settings draft is returned with (`ly_do`), or the form's error when
/// it is empty (the look and the sections ask the same).
pub fn return_reason(form: &FormData) -> Result<String, super::views::FieldError> {
    let reason = form.get("ly_do").trim();
    if reason.is_empty() {
        return Err(super::views::FieldError {
            field: "ly_do",
            message: "Vui lòng ghi lý do trả lại bản nháp.".into(),
        });
    }
    Ok(reason.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_repeats_and_vietnamese() {
        let f = FormData::parse(b"title=H%E1%BB%99i+th%E1%BA%A3o&tep=a&tep=b&empty=").unwrap();
        assert_eq!(f.get("title"), "Hội thảo");
        assert_eq!(f.all("tep"), vec!["a", "b"]);
        assert!(f.has("empty"));
        assert_eq!(f.get("missing"), "");
        assert!(FormData::parse(b"x=%zz").is_none());
    }

    #[test]
    fn cookies_are_found() {
        let mut h = HeaderMap::new();
        h.insert("cookie", "a=1; __Host-trangtin=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&h, "__Host-trangtin"), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn comparison() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}

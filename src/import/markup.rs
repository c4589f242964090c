//! Small passes over imported HTML that both importers share: pointing links at their
//! new addresses, and saying what the sanitiser took out of a body.

use std::collections::BTreeMap;

/// Rewrites every `href` and `src` value that `map` knows (an old post, page or file)
/// to what it returns; everything else is left as it was.
pub fn rewrite_links(html: &str, map: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = find_attribute(rest) {
        let (name_len, quote) = at.1;
        let value_start = at.0 + name_len;
        out.push_str(&rest[..value_start]);
        let after = &rest[value_start..];
        let end = match quote {
            Some(q) => after.find(q).unwrap_or(after.len()),
            None => after
                .find(|c: char| c.is_whitespace() || c == '>')
                .unwrap_or(after.len()),
        };
        let value = &after[..end];
        let decoded = value.replace("&amp;", "&");
        match map(&decoded) {
            Some(new) => out.push_str(&new.replace('&', "&amp;").replace('"', "&quot;")),
            None => out.push_str(value),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The next ` href=` / ` src=` in `text`: where its value starts (offset of the
/// attribute, length up to the value) and its quote.
fn find_attribute(text: &str) -> Option<(usize, (usize, Option<char>))> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    loop {
        let candidates = [lower[from..].find("href="), lower[from..].find("src=")];
        let (offset, len) = candidates
            .iter()
            .zip([5usize, 4])
            .filter_map(|(found, len)| found.map(|f| (f, len)))
            .min_by_key(|(f, _)| *f)?;
        let at = from + offset;
        // An attribute, not "srcset=" or "data-src=" or text.
        let before = lower[..at].chars().next_back();
        if before.is_some_and(char::is_whitespace) {
            let value_at = at + len;
            let quote = text[value_at..]
                .chars()
                .next()
                .filter(|c| *c == '"' || *c == '\'');
            let name_len = len + quote.map_or(0, char::len_utf8);
            return Some((at, (name_len, quote)));
        }
        from = at + len;
    }
}

/// `%XX` sequences decoded (a WordPress slug, a file name in an address); invalid
/// UTF-8 is replaced, never refused.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Attributes an old site's markup carries that mean nothing here; their loss is not
/// worth an editor's attention.
const UNREMARKABLE: &[&str] = &[
    "class", "id", "loading", "decoding", "rel", "target", "srcset", "sizes", "width", "height",
    "title", "align", "border", "lang", "dir",
];

/// What the sanitiser removed from `before` to make `after`, as "<iframe> ×1, style ×3",
/// or empty if nothing worth saying went.
pub fn removed_by_sanitiser(before: &str, after: &str) -> String {
    let (tags_before, attrs_before) = census(before);
    let (tags_after, attrs_after) = census(after);
    let mut parts = Vec::new();
    for (tag, n) in &tags_before {
        let kept = tags_after.get(tag).copied().unwrap_or(0);
        if *n > kept {
            parts.push(format!("<{tag}> ×{}", n - kept));
        }
    }
    for (attr, n) in &attrs_before {
        if UNREMARKABLE.contains(&attr.as_str())
            || attr.starts_with("data-")
            || attr.starts_with("aria-")
        {
            continue;
        }
        let kept = attrs_after.get(attr).copied().unwrap_or(0);
        if *n > kept {
            parts.push(format!("{attr} ×{}", n - kept));
        }
    }
    parts.join(", ")
}

type Counts = BTreeMap<String, usize>;

/// Opening tags and attribute names, counted.
fn census(html: &str) -> (Counts, Counts) {
    let mut tags = Counts::new();
    let mut attrs = Counts::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        if after.starts_with("!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        let close = after.find('>').unwrap_or(after.len());
        let inside = &after[..close];
        rest = after.get(close + 1..).unwrap_or("");
        if inside.starts_with('/') || inside.starts_with('!') || inside.starts_with('?') {
            continue;
        }
        let mut words = inside.split_whitespace();
        let Some(name) = words.next() else { continue };
        let name = name.trim_end_matches('/').to_ascii_lowercase();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        *tags.entry(name).or_default() += 1;
        for attribute in attribute_names(inside) {
            *attrs.entry(attribute).or_default() += 1;
        }
    }
    (tags, attrs)
}

/// The attribute names in a tag's text (`img src="…" alt='…' hidden`).
fn attribute_names(tag: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut chars = tag.char_indices().peekable();
    // Skip the tag name.
    while chars.peek().is_some_and(|(_, c)| !c.is_whitespace()) {
        chars.next();
    }
    loop {
        while chars
            .peek()
            .is_some_and(|(_, c)| c.is_whitespace() || *c == '/')
        {
            chars.next();
        }
        let Some(&(start, _)) = chars.peek() else {
            break;
        };
        while chars
            .peek()
            .is_some_and(|(_, c)| !c.is_whitespace() && *c != '=' && *c != '/')
        {
            chars.next();
        }
        let end = chars.peek().map_or(tag.len(), |(i, _)| *i);
        let name = tag[start..end].to_ascii_lowercase();
        if !name.is_empty() {
            names.push(name);
        }
        if chars.peek().is_some_and(|(_, c)| *c == '=') {
            chars.next();
            match chars.peek().map(|(_, c)| *c) {
                Some(q @ ('"' | '\'')) => {
                    chars.next();
                    for (_, c) in chars.by_ref() {
                        if c == q {
                            break;
                        }
                    }
                }
                _ => {
                    while chars.peek().is_some_and(|(_, c)| !c.is_whitespace()) {
                        chars.next();
                    }
                }
            }
        } else if chars.peek().is_none() {
            break;
        } else if end == start {
            chars.next();
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_to_known_addresses_are_rewritten() {
        let html = r#"<p><a href="http://old/a/">a</a> <img class="x" src='http://old/up/b.jpg' srcset="http://old/up/b.jpg 1x"> <a href=http://else/>c</a> data-src="http://old/a/"</p>"#;
        let out = rewrite_links(html, &|v| match v {
            "http://old/a/" => Some("/tin-tuc/a".into()),
            "http://old/up/b.jpg" => Some("/tep/h/b.jpg".into()),
            _ => None,
        });
        assert!(out.contains(r#"href="/tin-tuc/a""#), "{out}");
        assert!(out.contains("src='/tep/h/b.jpg'"), "{out}");
        assert!(out.contains("href=http://else/"), "{out}");
        assert!(out.contains(r#"srcset="http://old/up/b.jpg 1x""#), "{out}");
        assert!(out.contains(r#"data-src="http://old/a/""#), "{out}");
    }

    #[test]
    fn what_the_sanitiser_took_is_named() {
        let before = r#"<p style="color:red" class="x">Chữ</p><iframe src="https://youtube.com/x"></iframe><script>alert(1)</script><img src="a" alt="b" onerror="x()">"#;
        let after = crate::content::sanitize::clean(before);
        let removed = removed_by_sanitiser(before, &after);
        assert!(removed.contains("<iframe> ×1"), "{removed}");
        assert!(removed.contains("<script> ×1"), "{removed}");
        assert!(removed.contains("style ×1"), "{removed}");
        assert!(removed.contains("onerror ×1"), "{removed}");
        assert!(!removed.contains("class"), "{removed}");
        assert_eq!(removed_by_sanitiser("<p>a</p>", "<p>a</p>"), "");
    }
}

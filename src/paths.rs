//! Every public URL the site makes, in one place, so templates, handlers and the
//! sitemap agree.

use crate::content::slug::slugify;
use crate::store::BlobHash;

pub const HOME: &str = "/";
pub const NEWS: &str = "/tin-tuc";
pub const SITEMAP: &str = "/so-do-trang";
pub const SEARCH: &str = "/tim-kiem";
/// The list of disclosed information (C13, O8).
pub const DISCLOSURE: &str = "/cong-khai";
/// The accessibility statement: shortcuts and display preferences.
pub const ACCESSIBILITY: &str = "/tro-nang";
/// The public archive: items past their section's online period (O6).
pub const ARCHIVE: &str = "/luu-tru";
/// The query parameter that carries a page number.
pub const PAGE_PARAM: &str = "trang";

/// Whether `path` is a path on this site and nothing else: it starts with one `/`, is
/// not followed by another `/` or `\\`, and holds no control character (browsers drop
/// tabs and newlines from a `Location`, so `/\t/evil.example` would leave the site).
pub fn is_local_path(path: &str) -> bool {
    let mut chars = path.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !path.chars().any(|c| c.is_control() || c == '\\')
}

pub fn category(slug: &str) -> String {
    format!("/chuyen-muc/{slug}")
}

/// A section's part of the archive.
pub fn archive(slug: &str) -> String {
    format!("{ARCHIVE}/{slug}")
}

/// `/tep/{hash}/{name}`: the name is for people and downloads; the hash finds the file.
pub fn blob(hash: &BlobHash, name: &str) -> String {
    format!("/tep/{hash}/{}", file_name(name))
}

/// A page of a list: page 1 is the bare URL, so each page has one address. A base with
/// a query (a filtered list) keeps it.
pub fn list_page(base: &str, page: usize) -> String {
    let joint = if base.contains('?') { '&' } else { '?' };
    if page <= 1 {
        base.to_string()
    } else {
        format!("{base}{joint}{PAGE_PARAM}={page}")
    }
}

/// A file name safe in a URL path: the stem as a slug, the extension kept.
pub fn file_name(name: &str) -> String {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && (1..=5).contains(&ext.len())
                && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            (stem, Some(ext))
        }
        _ => (name, None),
    };
    let stem = match slugify(stem) {
        s if s.is_empty() => "tep".to_string(),
        s => s,
    };
    match ext.map(slugify) {
        Some(ext) if !ext.is_empty() => format!("{stem}.{ext}"),
        _ => stem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_their_extension() {
        assert_eq!(file_name("Kế hoạch 2027.PDF"), "ke-hoach-2027.pdf");
        assert_eq!(file_name("../../x"), "x");
        assert_eq!(file_name("ảnh"), "anh");
        assert_eq!(file_name("???"), "tep");
    }

    #[test]
    fn page_one_has_no_query() {
        assert_eq!(list_page(NEWS, 1), "/tin-tuc");
        assert_eq!(list_page(NEWS, 3), "/tin-tuc?trang=3");
        assert_eq!(
            list_page("/nhiem-vu?status=approved", 1),
            "/nhiem-vu?status=approved"
        );
        assert_eq!(
            list_page("/nhiem-vu?status=approved", 2),
            "/nhiem-vu?status=approved&trang=2"
        );
    }
}

#[cfg(test)]
mod local_path_tests {
    use super::is_local_path;

    #[test]
    fn only_paths_on_this_site_pass() {
        for good in ["/", "/tin-tuc?trang=2", "/thu-tuc"] {
            assert!(is_local_path(good), "{good}");
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/x",
            "https://evil.example",
            "evil",
            "",
            "/a\\b",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }
}

//! Vietnamese ASCII slugs: "Hội thảo chuyển đổi số" → "hoi-thao-chuyen-doi-so".

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

pub const MAX_LEN: usize = 80;

/// Makes a URL slug: diacritics dropped (đ → d), lowercase ASCII letters and digits
/// joined by single hyphens, at most `MAX_LEN` bytes, cut at a word boundary.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.nfd().filter(|c| !is_combining_mark(*c)) {
        let c = match c {
            'đ' | 'Đ' => 'd',
            c => c.to_ascii_lowercase(),
        };
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.len() > MAX_LEN {
        let cut = slug[..MAX_LEN].rfind('-').unwrap_or(MAX_LEN);
        slug.truncate(cut);
    }
    slug
}

/// Whether `slug` is one `slugify` could have produced.
pub fn is_valid(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= MAX_LEN
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_titles_become_ascii_slugs() {
        assert_eq!(slugify("Hội thảo chuyển đổi số"), "hoi-thao-chuyen-doi-so");
        assert_eq!(
            slugify("ĐỔI MỚI sáng tạo – Khởi nghiệp!"),
            "doi-moi-sang-tao-khoi-nghiep"
        );
        assert_eq!(
            slugify("  Quyết định số 242/QĐ-SKHCN  "),
            "quyet-dinh-so-242-qd-skhcn"
        );
        assert_eq!(slugify("Ưu tiên ươm tạo"), "uu-tien-uom-tao");
        assert_eq!(slugify("!!!"), "");
    }

    #[test]
    fn decomposed_input_gives_the_same_slug() {
        let nfd: String = "Khoa học".nfd().collect();
        assert_eq!(slugify(&nfd), "khoa-hoc");
    }

    #[test]
    fn long_titles_are_cut_at_a_word() {
        let slug = slugify(&"nghiên cứu ".repeat(20));
        assert!(slug.len() <= MAX_LEN);
        assert!(is_valid(&slug));
        assert!(slug.ends_with("cuu"));
    }

    #[test]
    fn validity() {
        assert!(is_valid("tin-tuc-2026"));
        assert!(!is_valid("Tin"));
        assert!(!is_valid("a--b"));
        assert!(!is_valid("-a"));
        assert!(!is_valid("../x"));
        assert!(!is_valid(""));
    }
}

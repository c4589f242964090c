//! The one HTML sanitiser. Every body that enters the store passes through it, whatever
//! the editor (or a forged request) sent: an allow-list of tags, attributes and URL
//! schemes, no scripts, no styles, no event handlers.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use ammonia::{Builder, UrlRelative};

const TAGS: &[&str] = &[
    "p",
    "br",
    "h2",
    "h3",
    "h4",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "sub",
    "sup",
    "ul",
    "ol",
    "li",
    "a",
    "blockquote",
    "table",
    "caption",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "img",
    "figure",
    "figcaption",
    "hr",
    "pre",
    "code",
];

fn builder() -> &'static Builder<'static> {
    static BUILDER: OnceLock<Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut attributes: HashMap<&str, HashSet<&str>> = HashMap::new();
        attributes.insert("a", ["href", "title"].into());
        attributes.insert(
            "img",
            ["src", "alt", "width", "height", "srcset", "sizes"].into(),
        );
        attributes.insert("th", ["scope", "colspan", "rowspan"].into());
        attributes.insert("td", ["colspan", "rowspan"].into());
        attributes.insert("ol", ["start"].into());
        let mut b = Builder::default();
        b.tags(TAGS.iter().copied().collect())
            .tag_attributes(attributes)
            .generic_attributes(HashSet::new())
            .url_schemes(["http", "https", "mailto", "tel"].into())
            .url_relative(UrlRelative::PassThrough)
            .link_rel(Some("noopener noreferrer"));
        b
    })
}

pub fn clean(html: &str) -> String {
    builder().clean(html).to_string()
}

/// Text made safe to put in HTML, between tags or in a double-quoted attribute.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The words of some HTML: tags become spaces, entities are decoded.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// How many `<img>` in sanitised HTML lack a non-empty `alt`.
pub fn images_without_alt(clean_html: &str) -> usize {
    clean_html
        .split("<img")
        .skip(1)
        .filter(|rest| {
            let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
            match tag.find(" alt=\"") {
                Some(at) => tag[at + 6..].starts_with('"'),
                None => true,
            }
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_javascript_urls_go() {
        let dirty = r#"<p onclick="x()">Xin chào<script>alert(1)</script></p>
<a href="javascript:alert(1)">a</a><img src="x" onerror="alert(1)" alt="ảnh">
<iframe src="https://evil"></iframe><style>p{}</style><p style="color:red">đỏ</p>"#;
        let clean = clean(dirty);
        for bad in [
            "script",
            "onclick",
            "javascript:",
            "onerror",
            "iframe",
            "style",
        ] {
            assert!(!clean.contains(bad), "{bad} survived: {clean}");
        }
        assert!(clean.contains("Xin chào"));
        assert!(clean.contains(r#"alt="ảnh""#));
    }

    #[test]
    fn images_need_alt_text() {
        assert_eq!(images_without_alt(&clean(r#"<img src="/a.jpg">"#)), 1);
        assert_eq!(
            images_without_alt(&clean(r#"<img src="/a.jpg" alt="">"#)),
            1
        );
        assert_eq!(
            images_without_alt(&clean(r#"<img src="/a.jpg" alt="Hội thảo">"#)),
            0
        );
    }

    #[test]
    fn editorial_markup_stays() {
        let html = r#"<h2>Mục tiêu</h2><table><caption>Kết quả</caption><thead><tr><th scope="col">Năm</th></tr></thead><tbody><tr><td>2026</td></tr></tbody></table><a href="/tin-tuc/a">liên kết</a>"#;
        let cleaned = clean(html);
        assert!(cleaned.contains(r#"<th scope="col">"#), "{cleaned}");
        assert!(cleaned.contains("<caption>"));
        assert!(cleaned.contains(r#"href="/tin-tuc/a""#));
    }
}

//! Accessibility warnings for an entry's body (F9–F10), shown in the editor and beside
//! the approval step so they are fixed before publication: images without alt text,
//! skipped heading levels, link text that says nothing ("bấm vào đây"), and tables
//! without header cells or a caption. They warn; they do not block.
//!
//! The body is the sanitizer's output (html5ever serialization), so tags are lowercase
//! and attribute values double-quoted; a small scanner is enough.

use unicode_normalization::UnicodeNormalization;

/// Link texts that do not say where a link goes (WCAG 2.4.4).
const VAGUE_LINK_TEXTS: &[&str] = &[
    "bấm vào đây",
    "nhấn vào đây",
    "click vào đây",
    "kích vào đây",
    "bấm đây",
    "tại đây",
    "ở đây",
    "đây",
    "xem tại đây",
    "click here",
    "here",
    "link",
];

/// One tag: its name (lowercase, without `/`), whether it closes, and its attributes.
struct Tag<'a> {
    name: &'a str,
    closing: bool,
    text: &'a str,
}

impl Tag<'_> {
    fn attribute(&self, name: &str) -> Option<String> {
        let needle = format!(" {name}=\"");
        let start = self.text.find(&needle)? + needle.len();
        let rest = &self.text[start..];
        Some(rest[..rest.find('"')?].to_string())
    }
}

/// Tags in order, each with the text that follows it up to the next tag.
fn scan(html: &str) -> Vec<(Tag<'_>, &str)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else { break };
        let text = &after[..close];
        let closing = text.starts_with('/');
        let name = text
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        let following = &after[close + 1..];
        let until = following.find('<').unwrap_or(following.len());
        out.push((
            Tag {
                name,
                closing,
                text,
            },
            &following[..until],
        ));
        rest = following;
    }
    out
}

fn heading_level(name: &str) -> Option<u8> {
    match name.as_bytes() {
        [b'h', digit @ b'1'..=b'6'] => Some(digit - b'0'),
        _ => None,
    }
}

fn plain(text: &str) -> String {
    let decoded = text
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The warnings for a body, in Vietnamese, in document order.
pub fn warnings(body_html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let tags = scan(body_html);
    let mut images = 0;
    let mut tables = 0;
    // (has a th, has a caption) of the table being read.
    let mut table: Option<(bool, bool)> = None;
    let mut previous_heading: u8 = 1; // the page's own title is the h1
    let mut link_text: Option<String> = None;
    let mut heading_text: Option<(u8, String)> = None;
    for (tag, following) in &tags {
        if let Some(text) = link_text.as_mut()
            && !(tag.name == "a" && tag.closing)
        {
            text.push_str(following);
        }
        if let Some((_, text)) = heading_text.as_mut() {
            text.push_str(following);
        }
        match (tag.name, tag.closing) {
            ("img", false) => {
                images += 1;
                if tag.attribute("alt").is_none_or(|alt| alt.trim().is_empty()) {
                    out.push(format!(
                        "Ảnh thứ {images} trong nội dung chưa có mô tả thay thế (alt): người dùng trình đọc màn hình sẽ không biết ảnh nói gì."
                    ));
                }
            }
            ("a", false) => link_text = Some(following.to_string()),
            ("a", true) => {
                if let Some(text) = link_text.take() {
                    let text: String = plain(&text).nfc().collect::<String>().to_lowercase();
                    let text = text.trim_end_matches(['.', ':', '!', '…']).trim();
                    if VAGUE_LINK_TEXTS.contains(&text) {
                        out.push(format!(
                            "Liên kết “{text}” không cho biết nó dẫn tới đâu; hãy dùng chữ mô tả đích đến (ví dụ “Tải Quyết định 242/QĐ-SKHCN”)."
                        ));
                    }
                }
            }
            (name, false) if heading_level(name).is_some() => {
                heading_text = heading_level(name).map(|level| (level, following.to_string()));
            }
            (name, true) if heading_level(name).is_some() => {
                if let Some((level, text)) = heading_text.take() {
                    let text = plain(&text);
                    if level == 1 {
                        out.push(format!(
                            "Tiêu đề “{text}” dùng cấp h1, cấp của tên bài; tiêu đề trong nội dung bắt đầu từ h2."
                        ));
                    } else if level > previous_heading + 1 {
                        out.push(format!(
                            "Tiêu đề “{text}” nhảy từ cấp h{previous_heading} xuống h{level}; hãy dùng h{}.",
                            previous_heading + 1
                        ));
                    }
                    previous_heading = level.max(2);
                }
            }
            ("table", false) => {
                tables += 1;
                table = Some((false, false));
            }
            ("th", false) => {
                if let Some(t) = table.as_mut() {
                    t.0 = true;
                }
            }
            ("caption", false) => {
                if let Some(t) = table.as_mut() {
                    t.1 = true;
                }
            }
            ("table", true) => {
                if let Some((has_header, has_caption)) = table.take() {
                    if !has_header {
                        out.push(format!(
                            "Bảng thứ {tables} không có ô tiêu đề (th): trình đọc màn hình không đọc được tên cột, hàng."
                        ));
                    }
                    if !has_caption {
                        out.push(format!(
                            "Bảng thứ {tables} chưa có chú thích (caption) nói bảng về gì."
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_body_has_no_warnings() {
        let body = r#"<h2>Mục tiêu</h2><p>Xem <a href="/van-ban/qd-242">Quyết định 242/QĐ-SKHCN</a>.</p><h3>Chi tiết</h3><img src="/tep/a/b.jpg" alt="Hội thảo"><h2>Kết quả</h2><table><caption>Số liệu</caption><thead><tr><th scope="col">Năm</th></tr></thead><tbody><tr><td>2026</td></tr></tbody></table>"#;
        assert_eq!(warnings(body), Vec::<String>::new());
    }

    #[test]
    fn each_problem_is_named() {
        let body = "<h2>Một</h2><h4>Bốn</h4><h1>Tên</h1><img src=\"/a.jpg\"><img src=\"/b.jpg\" alt=\" \">\
                    <p><a href=\"/x\">Bấm vào đây</a> hoặc <a href=\"/y\"><strong>tại đây</strong>.</a></p>\
                    <table><tr><td>1</td></tr></table>";
        let found = warnings(body);
        let all = found.join("\n");
        assert!(all.contains("“Bốn” nhảy từ cấp h2 xuống h4"), "{all}");
        assert!(all.contains("“Tên” dùng cấp h1"), "{all}");
        assert!(
            all.contains("Ảnh thứ 1") && all.contains("Ảnh thứ 2"),
            "{all}"
        );
        assert!(
            all.contains("“bấm vào đây”") && all.contains("“tại đây”"),
            "{all}"
        );
        assert!(all.contains("Bảng thứ 1 không có ô tiêu đề"), "{all}");
        assert!(all.contains("Bảng thứ 1 chưa có chú thích"), "{all}");
        assert_eq!(found.len(), 8, "{all}");
    }

    #[test]
    fn decomposed_vietnamese_is_recognised() {
        let decomposed: String = "Bấm vào đây".nfd().collect();
        let body = format!("<a href=\"/x\">{decomposed}</a>");
        assert_eq!(warnings(&body).len(), 1);
    }
}

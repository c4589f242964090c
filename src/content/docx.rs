//! A Word document (`.docx`) as a draft: its text in the editor's schema (the
//! sanitiser's allowed set), its images for the media library, and its footnotes as
//! endnotes. Fonts, colours and Word styles are dropped; what they meant is kept:
//! headings by their style (or, in the civil-service layout, a bold centred "QUYẾT
//! ĐỊNH" line and "Điều N." lines), lists with their nesting and numbering, tables
//! with a header row, bold, italic and links.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::NsReader;

use super::sanitize::escape;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const WP: &str = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing";
const A: &str = "http://schemas.openxmlformats.org/drawingml/2006/main";

/// Larger documents are refused (a zip bomb, or not a document at all).
const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not a Word document, with the Vietnamese reason for the editor.
    #[error("not a usable .docx: {0}")]
    Unreadable(&'static str),
}

/// An image of the document, to store in the library.
#[derive(Debug, Clone)]
pub struct Picture {
    pub name: String,
    pub bytes: Vec<u8>,
    /// The document's own description (Word's alt text), if it has one.
    pub alt: String,
    /// Where it goes in `html`: replace this marker with the stored file's address.
    pub marker: String,
}

#[derive(Debug, Clone, Default)]
pub struct Converted {
    pub title: String,
    pub html: String,
    pub pictures: Vec<Picture>,
}

/// Reads a `.docx`.
pub fn convert(bytes: &[u8]) -> Result<Converted, Error> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|_| Error::Unreadable("Tệp không phải tài liệu Word (.docx)."))?;
    let mut part = |name: &str| -> Option<Vec<u8>> {
        let file = zip.by_name(name).ok()?;
        let mut out = Vec::new();
        file.take(MAX_PART_BYTES).read_to_end(&mut out).ok()?;
        Some(out)
    };
    let document = part("word/document.xml").ok_or(Error::Unreadable(
        "Tệp Word không có nội dung (thiếu word/document.xml).",
    ))?;
    let relations = part("word/_rels/document.xml.rels")
        .map(|x| relationships(&x))
        .unwrap_or_default();
    let numbering = part("word/numbering.xml")
        .map(|x| numbering(&x))
        .unwrap_or_default();
    let footnotes = part("word/footnotes.xml")
        .map(|x| footnotes(&x))
        .unwrap_or_default();
    let mut media = HashMap::new();
    for target in relations.values().filter(|t| t.starts_with("media/")) {
        if let Some(bytes) = part(&format!("word/{target}")) {
            media.insert(target.clone(), bytes);
        }
    }
    let mut converter = Converter::new(&relations, &numbering, &media);
    converter
        .body(&document)
        .map_err(|_| Error::Unreadable("Nội dung tệp Word bị hỏng, không đọc được."))?;
    let mut html = converter.out;
    close_lists(&mut html, &mut converter.lists, 0);
    let used: Vec<&(String, String)> = converter
        .footnote_refs
        .iter()
        .filter_map(|id| footnotes.iter().find(|(fid, _)| fid == id))
        .collect();
    if !used.is_empty() {
        html.push_str("<h2>Chú thích</h2><ol>");
        for (_, text) in used {
            html.push_str(&format!("<li>{text}</li>"));
        }
        html.push_str("</ol>");
    }
    Ok(Converted {
        title: converter.title.unwrap_or_default(),
        html,
        pictures: converter.pictures,
    })
}

fn ns_is(resolved: &ResolveResult, uri: &str) -> bool {
    matches!(resolved, ResolveResult::Bound(Namespace(u)) if *u == uri)
}

fn attr(e: &BytesStart, local: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == local).then(|| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(std::borrow::Cow::into_owned)
                .unwrap_or_default()
        })
    })
}

/// Relationship id → target (`media/image1.png`, `https://…`).
fn relationships(xml: &[u8]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut reader = NsReader::from_reader(xml);
    let mut buf = Vec::new();
    while let Ok(event) = reader.read_event_into(&mut buf) {
        match event {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                if let (Some(id), Some(target)) = (attr(&e, "Id"), attr(&e, "Target")) {
                    out.insert(id, target.trim_start_matches("./").to_string());
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

/// numId → (level → numbered?), from `numbering.xml`.
fn numbering(xml: &[u8]) -> HashMap<String, HashMap<String, bool>> {
    let mut abstracts: HashMap<String, HashMap<String, bool>> = HashMap::new();
    let mut nums: HashMap<String, String> = HashMap::new();
    let mut reader = NsReader::from_reader(xml);
    let mut buf = Vec::new();
    let (mut abstract_id, mut level, mut num_id) = (String::new(), String::new(), String::new());
    while let Ok(event) = reader.read_event_into(&mut buf) {
        match event {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "abstractNum" => abstract_id = attr(&e, "abstractNumId").unwrap_or_default(),
                "lvl" => level = attr(&e, "ilvl").unwrap_or_default(),
                "numFmt" => {
                    let numbered = attr(&e, "val").is_some_and(|v| v != "bullet" && v != "none");
                    abstracts
                        .entry(abstract_id.clone())
                        .or_default()
                        .insert(level.clone(), numbered);
                }
                "num" => num_id = attr(&e, "numId").unwrap_or_default(),
                "abstractNumId" => {
                    nums.insert(num_id.clone(), attr(&e, "val").unwrap_or_default());
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    nums.into_iter()
        .map(|(num, abs)| (num, abstracts.get(&abs).cloned().unwrap_or_default()))
        .collect()
}

/// Footnote id → its text, from `footnotes.xml`.
fn footnotes(xml: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut reader = NsReader::from_reader(xml);
    let mut buf = Vec::new();
    // The footnote being read: its id, its text, and whether a `w:t` is open.
    let mut current: Option<(String, String, bool)> = None;
    while let Ok(event) = reader.read_event_into(&mut buf) {
        match event {
            Event::Start(e) if e.local_name().as_ref() == "footnote" => {
                current = Some((attr(&e, "id").unwrap_or_default(), String::new(), false));
            }
            Event::End(e) if e.local_name().as_ref() == "footnote" => {
                if let Some((id, text, _)) = current.take() {
                    let text = text.trim().to_string();
                    if !text.is_empty() {
                        out.push((id, text));
                    }
                }
            }
            Event::Start(e) if e.local_name().as_ref() == "t" => {
                if let Some(c) = current.as_mut() {
                    c.2 = true;
                }
            }
            Event::End(e) if e.local_name().as_ref() == "t" => {
                if let Some(c) = current.as_mut() {
                    c.2 = false;
                }
            }
            Event::End(e) if e.local_name().as_ref() == "p" => {
                if let Some(c) = current.as_mut()
                    && !c.1.is_empty()
                {
                    c.1.push(' ');
                }
            }
            Event::Text(t) => {
                if let Some((_, text, true)) = current.as_mut() {
                    text.push_str(&escape(&t.xml10_content()));
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, text, true)) = current.as_mut() {
                    text.push_str(&entity(&r));
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

fn entity(r: &quick_xml::events::BytesRef) -> String {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return escape(&c.to_string());
    }
    quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
        .map(escape)
        .unwrap_or_default()
}

/// Where the reader is in a paragraph: its style, alignment, list place, and the
/// text made so far.
struct Converter<'a> {
    relations: &'a HashMap<String, String>,
    numbering: &'a HashMap<String, HashMap<String, bool>>,
    media: &'a HashMap<String, Vec<u8>>,
    out: String,
    title: Option<String>,
    pictures: Vec<Picture>,
    footnote_refs: Vec<String>,
    /// Open lists, outermost first: numbered or not.
    lists: Vec<bool>,
    // The paragraph being read.
    inline: String,
    style: String,
    centred: bool,
    list: Option<(String, usize)>,
    all_bold: bool,
    any_text: bool,
    // The run being read.
    bold: bool,
    italic: bool,
    in_text: bool,
    link: Option<String>,
    // Tables: rows of cells of inline HTML.
    tables: Vec<Vec<Vec<String>>>,
    header_row: bool,
    header_rows: Vec<bool>,
    picture_alt: String,
}

fn close_lists(out: &mut String, lists: &mut Vec<bool>, keep: usize) {
    while lists.len() > keep {
        let numbered = lists.pop().unwrap_or(false);
        out.push_str(if numbered { "</li></ol>" } else { "</li></ul>" });
    }
}

impl<'a> Converter<'a> {
    fn new(
        relations: &'a HashMap<String, String>,
        numbering: &'a HashMap<String, HashMap<String, bool>>,
        media: &'a HashMap<String, Vec<u8>>,
    ) -> Self {
        Converter {
            relations,
            numbering,
            media,
            out: String::new(),
            title: None,
            pictures: Vec::new(),
            footnote_refs: Vec::new(),
            lists: Vec::new(),
            inline: String::new(),
            style: String::new(),
            centred: false,
            list: None,
            all_bold: true,
            any_text: false,
            bold: false,
            italic: false,
            in_text: false,
            link: None,
            tables: Vec::new(),
            header_row: false,
            header_rows: Vec::new(),
            picture_alt: String::new(),
        }
    }

    fn body(&mut self, xml: &[u8]) -> Result<(), quick_xml::Error> {
        let mut reader = NsReader::from_reader(xml);
        let mut buf = Vec::new();
        loop {
            let (resolved, event) = reader.read_resolved_event_into(&mut buf)?;
            let w = ns_is(&resolved, W);
            match event {
                Event::Start(e) => self.open(&e, w, &resolved, false),
                Event::Empty(e) => self.open(&e, w, &resolved, true),
                Event::End(e) => {
                    let local = e.local_name();
                    self.close(local.as_ref(), w);
                }
                Event::Text(t) if self.in_text => self.text(&escape(&t.xml10_content())),
                Event::GeneralRef(r) if self.in_text => self.text(&entity(&r)),
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
        Ok(())
    }

    fn text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.any_text |= !text.trim().is_empty();
        if !self.bold && !text.trim().is_empty() {
            self.all_bold = false;
        }
        let mut piece = text.to_string();
        if self.italic {
            piece = format!("<em>{piece}</em>");
        }
        if self.bold {
            piece = format!("<strong>{piece}</strong>");
        }
        if let Some(href) = &self.link {
            piece = format!("<a href=\"{}\">{piece}</a>", escape(href));
        }
        self.inline.push_str(&piece);
    }

    fn open(&mut self, e: &BytesStart, w: bool, resolved: &ResolveResult, empty: bool) {
        let local = e.local_name();
        let local = local.as_ref();
        if ns_is(resolved, WP) && local == "docPr" {
            self.picture_alt = attr(e, "descr").unwrap_or_default();
            return;
        }
        if ns_is(resolved, A) && local == "blip" {
            let id = e
                .attributes()
                .flatten()
                .find(|a| a.key.local_name().as_ref() == "embed")
                .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok())
                .map(std::borrow::Cow::into_owned);
            if let Some(target) = id.and_then(|id| self.relations.get(&id))
                && let Some(bytes) = self.media.get(target)
            {
                let marker = format!("docx-image-{}", self.pictures.len() + 1);
                self.inline.push_str(&format!(
                    "<img src=\"{marker}\" alt=\"{}\">",
                    escape(&self.picture_alt)
                ));
                self.any_text = true;
                self.all_bold = false;
                self.pictures.push(Picture {
                    name: target.rsplit('/').next().unwrap_or(target).to_string(),
                    bytes: bytes.clone(),
                    alt: std::mem::take(&mut self.picture_alt),
                    marker,
                });
            }
            return;
        }
        if !w {
            return;
        }
        match local {
            "p" if !empty => {
                self.inline.clear();
                self.style.clear();
                self.centred = false;
                self.list = None;
                self.all_bold = true;
                self.any_text = false;
            }
            "pStyle" => self.style = attr(e, "val").unwrap_or_default(),
            "jc" => self.centred = attr(e, "val").is_some_and(|v| v == "center"),
            "ilvl" => {
                let level = attr(e, "val").and_then(|v| v.parse().ok()).unwrap_or(0);
                let num = self.list.take().map(|(n, _)| n).unwrap_or_default();
                self.list = Some((num, level));
            }
            "numId" => {
                let num = attr(e, "val").unwrap_or_default();
                let level = self.list.take().map_or(0, |(_, l)| l);
                // numId 0 means "no list".
                self.list = (num != "0").then_some((num, level));
            }
            "r" if !empty => {
                self.bold = false;
                self.italic = false;
            }
            "b" => self.bold = attr(e, "val").is_none_or(|v| v != "0" && v != "false"),
            "i" => self.italic = attr(e, "val").is_none_or(|v| v != "0" && v != "false"),
            "t" if !empty => self.in_text = true,
            "tab" => self.text(" "),
            "br" => self.inline.push_str("<br>"),
            "hyperlink" if !empty => {
                self.link = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.local_name().as_ref() == "id")
                    .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok())
                    .and_then(|id| self.relations.get(id.as_ref()).cloned())
                    .filter(|t| {
                        t.starts_with("http://")
                            || t.starts_with("https://")
                            || t.starts_with("mailto:")
                    });
            }
            "footnoteReference" => {
                let id = attr(e, "id").unwrap_or_default();
                self.footnote_refs.push(id);
                let n = self.footnote_refs.len();
                self.inline.push_str(&format!("<sup>[{n}]</sup>"));
            }
            "tbl" if !empty => {
                close_lists(&mut self.out, &mut self.lists, 0);
                self.tables.push(Vec::new());
                self.header_rows.push(false);
            }
            "tr" if !empty => {
                self.header_row = false;
                if let Some(t) = self.tables.last_mut() {
                    t.push(Vec::new());
                }
            }
            "tblHeader" => self.header_row = true,
            "tc" if !empty => {
                if let Some(row) = self.tables.last_mut().and_then(|t| t.last_mut()) {
                    row.push(String::new());
                }
            }
            _ => {}
        }
    }

    fn close(&mut self, local: &str, w: bool) {
        if !w {
            return;
        }
        match local {
            "t" => self.in_text = false,
            "r" => {
                self.bold = false;
                self.italic = false;
            }
            "hyperlink" => self.link = None,
            "p" => self.paragraph(),
            "tr" => {
                if self.header_row
                    && let (Some(t), Some(h)) = (self.tables.last(), self.header_rows.last_mut())
                    && t.len() == 1
                {
                    *h = true;
                }
            }
            "tbl" => {
                let Some(rows) = self.tables.pop() else {
                    return;
                };
                let marked = self.header_rows.pop().unwrap_or(false);
                // The first row heads the columns (Word marks it, or a table of
                // several rows starts with it).
                let header = marked || rows.len() > 1;
                let mut html = String::from("<table>");
                for (i, row) in rows.iter().enumerate() {
                    if i == 0 && header {
                        html.push_str("<thead><tr>");
                        for cell in row {
                            html.push_str(&format!("<th scope=\"col\">{cell}</th>"));
                        }
                        html.push_str("</tr></thead><tbody>");
                        continue;
                    }
                    if i == 0 {
                        html.push_str("<tbody>");
                    }
                    html.push_str("<tr>");
                    for cell in row {
                        html.push_str(&format!("<td>{cell}</td>"));
                    }
                    html.push_str("</tr>");
                }
                html.push_str("</tbody></table>");
                self.emit(&html);
            }
            _ => {}
        }
    }

    /// Where finished HTML goes: the open table cell, or the document.
    fn emit(&mut self, html: &str) {
        if let Some(cell) = self
            .tables
            .last_mut()
            .and_then(|t| t.last_mut())
            .and_then(|r| r.last_mut())
        {
            if !cell.is_empty() {
                cell.push_str("<br>");
            }
            cell.push_str(html);
        } else {
            self.out.push_str(html);
        }
    }

    fn paragraph(&mut self) {
        let inline = std::mem::take(&mut self.inline);
        let inline = inline.trim();
        if inline.is_empty() || !self.any_text {
            return;
        }
        let plain = strip(inline);
        if !self.tables.is_empty() {
            // In a cell: text only, paragraphs as lines.
            self.emit(inline);
            return;
        }
        let heading = heading_level(&self.style)
            .or_else(|| civil_service_heading(&plain, self.centred, self.all_bold));
        if let Some(level) = heading {
            close_lists(&mut self.out, &mut self.lists, 0);
            if self.title.is_none() {
                self.title = Some(plain.clone());
            }
            let inner = strip_strong(inline);
            self.out.push_str(&format!("<h{level}>{inner}</h{level}>"));
            return;
        }
        if let Some((num, level)) = self.list.clone() {
            let numbered = self
                .numbering
                .get(&num)
                .and_then(|levels| levels.get(&level.to_string()).copied())
                .unwrap_or(false);
            let depth = level + 1;
            if self.lists.len() >= depth {
                close_lists(&mut self.out, &mut self.lists, depth);
                self.out.push_str("</li><li>");
            } else {
                while self.lists.len() < depth {
                    let tag = if numbered { "<ol><li>" } else { "<ul><li>" };
                    self.out.push_str(tag);
                    self.lists.push(numbered);
                }
            }
            self.out.push_str(inline);
            return;
        }
        close_lists(&mut self.out, &mut self.lists, 0);
        if self.title.is_none() && self.style == "Title" {
            self.title = Some(plain);
        }
        self.out.push_str(&format!("<p>{inline}</p>"));
    }
}

/// h2–h4 for Word's heading styles (`Title`, `Heading1` …, and their localised ids).
fn heading_level(style: &str) -> Option<u8> {
    let s = style.to_ascii_lowercase();
    if s == "title" {
        return Some(2);
    }
    let n: u8 = s
        .strip_prefix("heading")
        .or_else(|| s.strip_prefix("u1ee"))
        .and_then(|n| n.trim().parse().ok())?;
    Some(match n {
        1 => 2,
        2 => 3,
        _ => 4,
    })
}

/// The civil-service layout: a bold centred line in capitals ("QUYẾT ĐỊNH", "KẾ
/// HOẠCH") heads the document; "Điều N." heads an article.
fn civil_service_heading(text: &str, centred: bool, all_bold: bool) -> Option<u8> {
    let text = text.trim();
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let capitals = !letters.is_empty() && letters.iter().all(|c| c.is_uppercase());
    if centred && all_bold && capitals && text.chars().count() <= 80 {
        return Some(2);
    }
    if let Some(rest) = text.strip_prefix("Điều ") {
        let number: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if !number.is_empty() && rest[number.len()..].starts_with('.') {
            return Some(3);
        }
    }
    None
}

/// A paragraph's text, for telling headings and titles. Unlike
/// `sanitize::plain_text`, tags leave no space: Word splits a word into runs wherever
/// its formatting changes ("Q" bold, "UYẾT" bold).
fn strip(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// A heading's text without the bold every run of it carried.
fn strip_strong(html: &str) -> String {
    html.replace("<strong>", "").replace("</strong>", "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_come_from_styles_and_the_civil_service_layout() {
        assert_eq!(heading_level("Heading1"), Some(2));
        assert_eq!(heading_level("Heading2"), Some(3));
        assert_eq!(heading_level("Heading3"), Some(4));
        assert_eq!(heading_level("BodyText"), None);
        assert_eq!(civil_service_heading("QUYẾT ĐỊNH", true, true), Some(2));
        assert_eq!(civil_service_heading("QUYẾT ĐỊNH", false, true), None);
        assert_eq!(
            civil_service_heading("Điều 1. Phạm vi điều chỉnh", false, false),
            Some(3)
        );
        assert_eq!(
            civil_service_heading("Điều chỉnh kế hoạch", false, false),
            None
        );
    }

    #[test]
    fn what_is_not_a_docx_is_refused() {
        assert!(convert(b"not a zip").is_err());
        assert!(convert(&[]).is_err());
    }
}

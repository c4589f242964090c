//! The words inside attached documents. A decision's full text is usually a PDF
//! attached to its entry: its text is read once, when the file enters the library, and
//! searched with the entry. A PDF with no text layer (a scan) cannot be searched; the
//! library and the edit page say so, in words an editor understands.

use std::panic::AssertUnwindSafe;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::store::{self, BlobHash, Store, Table, Tx};

/// The text kept per file: enough for any decision or plan, bounded for a 500-page
/// annual report.
const MAX_TEXT_BYTES: usize = 512 * 1024;
/// Fewer letters than this in a whole PDF: a scan (page numbers and stamps aside).
const MIN_LETTERS: usize = 40;

const PDF: &str = "application/pdf";
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

pub const DOCUMENT_TEXTS: Table<&str, DocumentText> = Table::new("document_texts_v1");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Readable {
    /// The words were read.
    Text,
    /// A PDF without a text layer: a scanned paper.
    Scanned,
    /// A file that could not be opened (damaged, encrypted).
    Unreadable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentText {
    pub readable: Readable,
    /// NFC, whitespace collapsed; empty unless `readable` is `Text`.
    pub text: String,
}

impl DocumentText {
    /// What editors are told of a file whose words cannot be searched.
    pub fn warning(&self) -> Option<&'static str> {
        match self.readable {
            Readable::Text => None,
            Readable::Scanned => Some("Không tìm kiếm được: tệp là bản quét, không có chữ."),
            Readable::Unreadable => Some("Không tìm kiếm được: không đọc được nội dung tệp."),
        }
    }
}

/// The text of a PDF or DOCX file; `None` for the kinds whose words are not read
/// (images, old Word and Excel files, spreadsheets).
pub fn extract(content_type: &str, bytes: &[u8]) -> Option<DocumentText> {
    let text = match content_type {
        PDF => pdf_text(bytes),
        DOCX => crate::content::docx::convert(bytes)
            .ok()
            .map(|c| crate::content::sanitize::plain_text(&c.html)),
        _ => return None,
    };
    Some(match text {
        None => DocumentText {
            readable: Readable::Unreadable,
            text: String::new(),
        },
        Some(text) => {
            let text = tidy(&text);
            if text.chars().filter(|c| c.is_alphabetic()).count() < MIN_LETTERS {
                DocumentText {
                    readable: Readable::Scanned,
                    text: String::new(),
                }
            } else {
                DocumentText {
                    readable: Readable::Text,
                    text,
                }
            }
        }
    })
}

/// A PDF's text, page by page (lopdf decodes each font's `ToUnicode` map, which is how
/// Word, `LibreOffice` and browsers write Vietnamese). The PDF reader is a large parser
/// of untrusted bytes: a panic inside it is a file it could not read, never a crash of
/// the upload.
fn pdf_text(bytes: &[u8]) -> Option<String> {
    std::panic::catch_unwind(AssertUnwindSafe(|| {
        let document = lopdf::Document::load_mem(bytes).ok()?;
        let pages: Vec<u32> = document.get_pages().keys().copied().collect();
        let mut text = String::new();
        for page in pages {
            // A page that cannot be read does not lose the others.
            if let Ok(words) = document.extract_text(&[page]) {
                text.push_str(&words);
                text.push('\n');
            }
        }
        Some(text)
    }))
    .ok()
    .flatten()
}

/// NFC, one space between words, cut at `MAX_TEXT_BYTES` on a character boundary.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEXT_BYTES));
    for word in text.split_whitespace() {
        if out.len() + word.len() + 1 > MAX_TEXT_BYTES {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.nfc());
    }
    out
}

/// The stored text of a file, if it has been read.
pub fn of(tx: &impl Tx, hash: &BlobHash) -> Result<Option<DocumentText>, store::Error> {
    DOCUMENT_TEXTS.get(tx, hash.as_str())
}

/// Why each of `files` cannot be searched, for those that cannot (by hash).
pub fn warnings(
    tx: &impl Tx,
    files: &[BlobHash],
) -> Result<std::collections::HashMap<String, &'static str>, store::Error> {
    let mut out = std::collections::HashMap::new();
    for hash in files {
        if let Some(warning) = of(tx, hash)?.as_ref().and_then(DocumentText::warning) {
            out.insert(hash.to_string(), warning);
        }
    }
    Ok(out)
}

/// Reads the files stored before their words were kept (an upgrade, an import that
/// stopped): every PDF and DOCX in the library without a text row. Returns how many
/// were read.
pub fn fill_missing(store: &Store) -> Result<usize, store::Error> {
    let missing: Vec<store::BlobMeta> = store.read_blocking(|tx| {
        let mut missing = Vec::new();
        for meta in store::BLOBS.values(tx)? {
            let readable = matches!(meta.content_type.as_str(), PDF | DOCX);
            if !readable || DOCUMENT_TEXTS.get(tx, meta.hash.as_str())?.is_some() {
                continue;
            }
            missing.push(meta);
        }
        Ok::<_, store::Error>(missing)
    })?;
    let mut read = 0;
    for meta in missing {
        let Ok(bytes) = std::fs::read(store.blobs.path(&meta.hash)) else {
            continue;
        };
        let Some(text) = extract(&meta.content_type, &bytes) else {
            continue;
        };
        store.write_blocking(|tx| DOCUMENT_TEXTS.insert(tx, meta.hash.as_str(), &text))?;
        read += 1;
    }
    if read > 0 {
        tracing::info!(files = read, "read the text of library documents");
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = include_bytes!("../tests/fixtures/pdf/quyet-dinh.pdf");
    const SCAN: &[u8] = include_bytes!("../tests/fixtures/pdf/ban-quet.pdf");

    #[test]
    fn a_pdf_with_vietnamese_text_is_read_in_nfc() {
        let text = extract("application/pdf", PDF).unwrap();
        assert_eq!(text.readable, Readable::Text);
        assert!(
            text.text.contains("hoa lan rừng Kon Ka Kinh"),
            "{}",
            text.text
        );
        assert_eq!(text.text, text.text.nfc().collect::<String>());
    }

    #[test]
    fn a_scan_is_flagged_and_a_damaged_file_is_unreadable() {
        assert_eq!(
            extract("application/pdf", SCAN).unwrap().readable,
            Readable::Scanned
        );
        let damaged = &PDF[..PDF.len() / 3];
        assert_ne!(
            extract("application/pdf", damaged).unwrap().readable,
            Readable::Text
        );
        assert_eq!(
            extract("application/pdf", b"%PDF-1.4 garbage")
                .unwrap()
                .readable,
            Readable::Unreadable
        );
        assert!(extract("image/jpeg", PDF).is_none());
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        let long = "ường ".repeat(MAX_TEXT_BYTES);
        let out = tidy(&long);
        assert!(out.len() <= MAX_TEXT_BYTES);
        assert!(out.ends_with("ường"));
    }
}

//! Uploads: the type is read from the bytes, never trusted from the name; images are
//! decoded and re-encoded (which drops EXIF, GPS and anything hidden in the file) into
//! resized JPEG variants for `srcset`; documents are stored as they are and always
//! served as downloads.

use std::io::Cursor;

use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use jiff::Timestamp;
use redb::WriteTransaction;
use serde::{Deserialize, Serialize};

use crate::store::{self, BlobHash, BlobMeta, Blobs, Tx};

/// Widths of the image variants (never upscaled).
pub const WIDTHS: &[u32] = &[320, 640, 1280];
/// The largest image kept (its longest side).
const MAX_SIDE: u32 = 2048;
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sniffed {
    Jpeg,
    Png,
    Webp,
    Pdf,
    /// Word 97–2003 or Excel 97–2003 (OLE compound file); the name decides which.
    Ole,
    Docx,
    Xlsx,
    Odt,
}

impl Sniffed {
    pub fn is_image(self) -> bool {
        matches!(self, Sniffed::Jpeg | Sniffed::Png | Sniffed::Webp)
    }

    /// The file-name extensions this content may carry.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Sniffed::Jpeg => &["jpg", "jpeg"],
            Sniffed::Png => &["png"],
            Sniffed::Webp => &["webp"],
            Sniffed::Pdf => &["pdf"],
            Sniffed::Ole => &["doc", "xls"],
            Sniffed::Docx => &["docx"],
            Sniffed::Xlsx => &["xlsx"],
            Sniffed::Odt => &["odt"],
        }
    }

    fn content_type(self, ext: &str) -> &'static str {
        match (self, ext) {
            (Sniffed::Pdf, _) => "application/pdf",
            (Sniffed::Ole, "xls") => "application/vnd.ms-excel",
            (Sniffed::Ole, _) => "application/msword",
            (Sniffed::Docx, _) => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            (Sniffed::Xlsx, _) => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            (Sniffed::Odt, _) => "application/vnd.oasis.opendocument.text",
            // Images are re-encoded as JPEG.
            _ => "image/jpeg",
        }
    }
}

/// What the bytes are, from their first bytes (and, for zip-based formats, the names
/// inside).
pub fn sniff(bytes: &[u8]) -> Option<Sniffed> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        Some(Sniffed::Jpeg)
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some(Sniffed::Png)
    } else if bytes.len() > 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some(Sniffed::Webp)
    } else if starts(b"%PDF-") {
        Some(Sniffed::Pdf)
    } else if starts(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Some(Sniffed::Ole)
    } else if starts(b"PK\x03\x04") {
        let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        // ODF puts an uncompressed `mimetype` entry first.
        if contains(b"mimetypeapplication/vnd.oasis.opendocument.text") {
            Some(Sniffed::Odt)
        } else if contains(b"word/document.xml") {
            Some(Sniffed::Docx)
        } else if contains(b"xl/workbook.xml") {
            Some(Sniffed::Xlsx)
        } else {
            None
        }
    } else {
        None
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    /// Refused, with the Vietnamese message for the editor.
    #[error("upload refused: {0}")]
    Refused(&'static str),
}

pub use crate::store::Variant;

/// An upload as received.
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
    pub alt: String,
}

/// An upload checked and, for images, re-encoded; ready to store.
pub struct Prepared {
    name: String,
    alt: String,
    content_type: &'static str,
    /// The main file: the re-encoded image (longest side ≤ 2048) or the document.
    main: Vec<u8>,
    size: (u32, u32),
    variants: Vec<(u32, Vec<u8>)>,
    /// The words of a PDF or DOCX, for search.
    text: Option<crate::document_text::DocumentText>,
}

/// Checks and prepares an upload. CPU-heavy for images: call off the async threads.
pub fn prepare(upload: Upload) -> Result<Prepared, Error> {
    prepare_with(upload, true)
}

/// As `prepare`, for a file brought from an old site: an image without alt text is
/// taken (and flagged by the importer), not refused.
pub fn prepare_imported(upload: Upload) -> Result<Prepared, Error> {
    prepare_with(upload, false)
}

impl Prepared {
    pub fn is_image(&self) -> bool {
        self.content_type.starts_with("image/")
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The hash the main file will be stored under.
    pub fn preview_hash(&self) -> BlobHash {
        BlobHash::of(&self.main)
    }
}

fn prepare_with(upload: Upload, require_alt: bool) -> Result<Prepared, Error> {
    let ext = upload
        .name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let kind = sniff(&upload.bytes).ok_or(Error::Refused(
        "Định dạng tệp không được hỗ trợ. Chỉ nhận ảnh JPEG, PNG, WebP và tài liệu PDF, DOC, DOCX, XLS, XLSX, ODT.",
    ))?;
    if !kind.extensions().contains(&ext.as_str()) {
        return Err(Error::Refused(
            "Nội dung tệp không khớp với phần mở rộng của tên tệp.",
        ));
    }
    // An upload's text, from a form or an import, is stored composed (NFC).
    let alt: String = unicode_normalization::UnicodeNormalization::nfc(upload.alt.trim()).collect();
    let upload = Upload {
        name: unicode_normalization::UnicodeNormalization::nfc(upload.name.as_str()).collect(),
        ..upload
    };
    if kind.is_image() {
        if upload.bytes.len() > MAX_IMAGE_BYTES {
            return Err(Error::Refused("Ảnh lớn quá 10 MB."));
        }
        if alt.is_empty() && require_alt {
            return Err(Error::Refused(
                "Vui lòng nhập mô tả thay thế (alt) cho ảnh: người khiếm thị cần nó.",
            ));
        }
        let image = decode(&upload.bytes)?;
        let image = if image.width().max(image.height()) > MAX_SIDE {
            image.resize(MAX_SIDE, MAX_SIDE, FilterType::Lanczos3)
        } else {
            image
        };
        let mut variants = Vec::new();
        for &width in WIDTHS {
            if width < image.width() {
                let scaled = image.resize(width, u32::MAX, FilterType::Lanczos3);
                variants.push((width, encode_jpeg(&scaled)?));
            }
        }
        let stem = upload
            .name
            .rsplit_once('.')
            .map_or(upload.name.as_str(), |(s, _)| s);
        Ok(Prepared {
            name: format!("{stem}.jpg"),
            alt,
            content_type: "image/jpeg",
            size: (image.width(), image.height()),
            main: encode_jpeg(&image)?,
            variants,
            text: None,
        })
    } else {
        if upload.bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(Error::Refused("Tài liệu lớn quá 20 MB."));
        }
        let content_type = kind.content_type(&ext);
        Ok(Prepared {
            text: crate::document_text::extract(content_type, &upload.bytes),
            content_type,
            name: upload.name,
            alt,
            size: (0, 0),
            main: upload.bytes,
            variants: Vec::new(),
        })
    }
}

/// A square PNG icon `side` pixels wide of the image in `bytes` (the site's logo),
/// fitted and centred on white: what phones put on a home screen.
pub fn square_icon(bytes: &[u8], side: u32) -> Result<Vec<u8>, Error> {
    let image = decode(bytes)?;
    let fitted = image.resize(side, side, FilterType::Lanczos3).to_rgba8();
    let mut canvas = image::RgbaImage::from_pixel(side, side, image::Rgba([255, 255, 255, 255]));
    let x = i64::from((side - fitted.width()) / 2);
    let y = i64::from((side - fitted.height()) / 2);
    image::imageops::overlay(&mut canvas, &fitted, x, y);
    let mut out = Vec::new();
    DynamicImage::ImageRgba8(canvas)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .map_err(|_| Error::Refused("Không tạo được biểu tượng từ ảnh."))?;
    Ok(out)
}

fn decode(bytes: &[u8]) -> Result<DynamicImage, Error> {
    let unreadable = || Error::Refused("Không đọc được ảnh: tệp hỏng hoặc không đúng định dạng.");
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| unreadable())?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(16_000);
    limits.max_image_height = Some(16_000);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| unreadable())?;
    // Turn the pixels as the camera meant before the EXIF that says so is dropped.
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| unreadable())?;
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    Ok(image)
}

fn encode_jpeg(image: &DynamicImage) -> Result<Vec<u8>, Error> {
    // JPEG has no alpha: flatten onto white.
    let rgba = image.to_rgba8();
    let mut rgb = image::RgbImage::new(rgba.width(), rgba.height());
    for (x, y, p) in rgba.enumerate_pixels() {
        let a = u32::from(p[3]);
        let blend = |c: u8| ((u32::from(c) * a + 255 * (255 - a)) / 255) as u8;
        rgb.put_pixel(x, y, image::Rgb([blend(p[0]), blend(p[1]), blend(p[2])]));
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82)
        .encode_image(&rgb)
        .map_err(|_| Error::Refused("Không mã hóa lại được ảnh."))?;
    Ok(out)
}

/// Stores a prepared upload: its blobs and its metadata.
pub fn store(
    tx: &WriteTransaction,
    blobs: &Blobs,
    prepared: Prepared,
    by: &str,
    now: Timestamp,
) -> Result<BlobMeta, Error> {
    let mut variants = Vec::new();
    for (width, bytes) in &prepared.variants {
        let hash = blobs.put(bytes).map_err(store::Error::from)?;
        // Each variant is servable on its own; an empty name keeps it out of the library.
        let variant = BlobMeta {
            hash: hash.clone(),
            size: bytes.len() as u64,
            content_type: "image/jpeg".to_string(),
            original_name: String::new(),
            alt: prepared.alt.clone(),
            uploaded_by: by.to_string(),
            uploaded_at: now,
            width: *width,
            height: 0,
            variants: Vec::new(),
        };
        crate::store::BLOBS.insert(tx, hash.as_str(), &variant)?;
        variants.push(Variant {
            width: *width,
            hash,
        });
    }
    let hash = blobs.put(&prepared.main).map_err(store::Error::from)?;
    let meta = BlobMeta {
        hash: hash.clone(),
        size: prepared.main.len() as u64,
        content_type: prepared.content_type.to_string(),
        original_name: prepared.name,
        alt: prepared.alt,
        uploaded_by: by.to_string(),
        uploaded_at: now,
        width: prepared.size.0,
        height: prepared.size.1,
        variants,
    };
    crate::store::BLOBS.insert(tx, hash.as_str(), &meta)?;
    if let Some(text) = &prepared.text {
        crate::document_text::DOCUMENT_TEXTS.insert(tx, hash.as_str(), text)?;
    }
    Ok(meta)
}

/// Whether an upload of `incoming` bytes leaves the disk its reserve: `reserve`, or by
/// default 5% of the disk but at most 1 GiB. An image is counted twice, for its
/// smaller copies.
pub fn leaves_reserve(free: u64, total: u64, incoming: u64, reserve: Option<u64>) -> bool {
    const GIB: u64 = 1024 * 1024 * 1024;
    let reserve = reserve.unwrap_or_else(|| (total / 20).min(GIB));
    free.saturating_sub(incoming.saturating_mul(2)) >= reserve
}

/// What citizens may be given of a stored file.
#[derive(Debug)]
pub enum Servable {
    Absent,
    /// The last integrity check found its bytes altered: not served.
    Held,
    File(BlobMeta),
}

/// The file `hash`, if it may be served (`GET /tep/{hash}/{name}`).
pub fn servable(tx: &impl Tx, hash: &BlobHash) -> Result<Servable, store::Error> {
    let Some(meta) = crate::store::BLOBS.get(tx, hash.as_str())? else {
        return Ok(Servable::Absent);
    };
    if crate::integrity::blob_held(tx, hash)? {
        return Ok(Servable::Held);
    }
    Ok(Servable::File(meta))
}

/// The `sizes` of an image in an article's body: full width on a phone, the text
/// column's width on a desktop.
pub const BODY_SIZES: &str = "(max-width: 800px) 100vw, 800px";

/// `url 320w, url 640w, …, url {width}w`: the smaller copies and the image itself, or
/// "" when the library made no smaller copies.
pub fn srcset(main: &BlobHash, width: u32, variants: &[Variant], name: &str) -> String {
    if variants.is_empty() || width == 0 {
        return String::new();
    }
    let mut out: Vec<String> = variants
        .iter()
        .map(|v| format!("{} {}w", crate::paths::blob(&v.hash, name), v.width))
        .collect();
    out.push(format!("{} {width}w", crate::paths::blob(main, name)));
    out.join(", ")
}

/// Every `<img>` of a sanitised body that shows a library image gets the library's
/// smaller copies (`srcset`, `sizes`) and its pixel size, however it got there: the
/// editor, a Word document, an import or a hand-typed tag. Other images are left as
/// they are.
pub fn responsive_images(tx: &impl Tx, clean_html: &str) -> Result<String, store::Error> {
    let mut out = String::with_capacity(clean_html.len());
    let mut rest = clean_html;
    while let Some(at) = rest.find("<img ") {
        out.push_str(&rest[..at]);
        let Some(len) = rest[at..].find('>') else {
            break;
        };
        let tag = &rest[at..=at + len];
        rest = &rest[at + len + 1..];
        let mut attributes = tag_attributes(tag);
        let meta = attributes
            .iter()
            .find(|(name, _)| *name == "src")
            .and_then(|(_, src)| library_hash(src))
            .map(|hash| crate::store::BLOBS.get(tx, hash.as_str()))
            .transpose()?
            .flatten()
            .filter(|m| m.content_type.starts_with("image/") && m.width > 0);
        let Some(meta) = meta else {
            out.push_str(tag);
            continue;
        };
        let name = if meta.original_name.is_empty() {
            "anh.jpg"
        } else {
            meta.original_name.as_str()
        };
        let set = srcset(&meta.hash, meta.width, &meta.variants, name);
        attributes.retain(|(n, _)| !matches!(*n, "srcset" | "sizes" | "width" | "height"));
        let (width, height) = (meta.width.to_string(), meta.height.to_string());
        if !set.is_empty() {
            attributes.push(("srcset", set.clone()));
            attributes.push(("sizes", BODY_SIZES.to_string()));
        }
        attributes.push(("width", width));
        attributes.push(("height", height));
        out.push_str("<img");
        for (name, value) in attributes {
            out.push_str(&format!(" {name}=\"{value}\""));
        }
        out.push('>');
    }
    out.push_str(rest);
    Ok(out)
}

/// The attributes of a tag as the sanitiser writes them (`name="value"`, values
/// escaped), in order.
fn tag_attributes(tag: &str) -> Vec<(&str, String)> {
    let mut out = Vec::new();
    let mut rest = tag
        .trim_start_matches("<img")
        .trim_end_matches('>')
        .trim_end_matches('/');
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].trim();
        let after = &rest[eq + 2..];
        let Some(end) = after.find('"') else { break };
        if let Some(known) = ["src", "alt", "width", "height", "srcset", "sizes"]
            .into_iter()
            .find(|k| *k == name)
        {
            out.push((known, after[..end].to_string()));
        }
        rest = &after[end + 1..];
    }
    out
}

/// The library file an address of ours points at (`/tep/{hash}/{name}`).
fn library_hash(src: &str) -> Option<BlobHash> {
    let rest = src.strip_prefix("/tep/")?;
    let hash = rest.split('/').next()?;
    BlobHash::try_from(hash.to_string()).ok()
}

/// The library files among `hashes`, in their order; unknown ones are skipped.
pub fn files(tx: &impl Tx, hashes: &[BlobHash]) -> Result<Vec<BlobMeta>, store::Error> {
    let mut found = Vec::new();
    for hash in hashes {
        found.extend(crate::store::BLOBS.get(tx, hash.as_str())?);
    }
    Ok(found)
}

/// Gives each image its alt text where the library has none yet (images that came
/// without one, from a Word document).
pub fn describe_if_undescribed(
    tx: &WriteTransaction,
    described: &[(BlobHash, String)],
) -> Result<(), store::Error> {
    for (hash, alt) in described {
        if let Some(mut meta) = crate::store::BLOBS.get(tx, hash.as_str())?
            && meta.alt.is_empty()
        {
            meta.alt.clone_from(alt);
            crate::store::BLOBS.insert(tx, hash.as_str(), &meta)?;
        }
    }
    Ok(())
}

/// The library, newest first; `images` picks images or documents.
pub fn library(tx: &impl Tx, images: Option<bool>) -> Result<Vec<BlobMeta>, store::Error> {
    let mut all: Vec<BlobMeta> = crate::store::BLOBS
        .values(tx)?
        .into_iter()
        .filter(|m| images.is_none_or(|want| m.content_type.starts_with("image/") == want))
        // Variants are blobs too, but not library items: only files someone named.
        .filter(|m| !m.original_name.is_empty())
        .collect();
    all.sort_by_key(|m| std::cmp::Reverse(m.uploaded_at));
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_must_leave_the_reserve() {
        const GIB: u64 = 1024 * 1024 * 1024;
        // 5% of a 10 GiB disk is the default reserve.
        assert!(leaves_reserve(GIB, 10 * GIB, 1024, None));
        assert!(!leaves_reserve(GIB / 2, 10 * GIB, 1024, None));
        // At most 1 GiB on a big disk; images count twice.
        assert!(leaves_reserve(2 * GIB, 1000 * GIB, GIB / 4, None));
        assert!(!leaves_reserve(2 * GIB, 1000 * GIB, GIB / 2 + 1, None));
        assert!(!leaves_reserve(GIB, 10 * GIB, 0, Some(2 * GIB)));
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(width, height, image::Rgba([200, 30, 30, 255]));
        let mut out = Vec::new();
        DynamicImage::ImageRgba8(img)
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(&png(2, 2)), Some(Sniffed::Png));
        assert_eq!(sniff(b"%PDF-1.7 ..."), Some(Sniffed::Pdf));
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(
            sniff(b"PK\x03\x04....word/document.xml"),
            Some(Sniffed::Docx)
        );
    }

    #[test]
    fn a_mislabelled_file_is_refused() {
        let upload = Upload {
            name: "bao-cao.pdf".into(),
            bytes: png(4, 4),
            alt: "x".into(),
        };
        assert!(matches!(prepare(upload), Err(Error::Refused(m)) if m.contains("không khớp")));
        let upload = Upload {
            name: "anh.png".into(),
            bytes: b"MZ\x90\x00 not an image".to_vec(),
            alt: "x".into(),
        };
        assert!(matches!(prepare(upload), Err(Error::Refused(_))));
    }

    #[test]
    fn images_need_alt_text_and_get_variants_without_upscaling() {
        let no_alt = Upload {
            name: "a.png".into(),
            bytes: png(800, 400),
            alt: " ".into(),
        };
        assert!(prepare(no_alt).is_err());
        let prepared = prepare(Upload {
            name: "Ảnh hội thảo.png".into(),
            bytes: png(800, 400),
            alt: "Hội thảo".into(),
        })
        .unwrap();
        assert_eq!(prepared.content_type, "image/jpeg");
        assert_eq!(prepared.name, "Ảnh hội thảo.jpg");
        assert_eq!(prepared.size, (800, 400));
        let widths: Vec<u32> = prepared.variants.iter().map(|(w, _)| *w).collect();
        assert_eq!(widths, vec![320, 640]);
        assert_eq!(sniff(&prepared.main), Some(Sniffed::Jpeg));
    }

    #[test]
    fn exif_is_gone_after_re_encoding() {
        // A JPEG carrying an EXIF segment with a GPS tag name in it.
        let mut jpeg = Vec::new();
        DynamicImage::ImageRgb8(image::RgbImage::from_pixel(64, 64, image::Rgb([1, 2, 3])))
            .write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
            .unwrap();
        let exif = b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08GPSLatitude-secret";
        let mut with_exif = jpeg[..2].to_vec();
        with_exif.extend_from_slice(&[0xFF, 0xE1]);
        with_exif.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
        with_exif.extend_from_slice(exif);
        with_exif.extend_from_slice(&jpeg[2..]);
        let prepared = prepare(Upload {
            name: "gps.jpg".into(),
            bytes: with_exif,
            alt: "Ảnh".into(),
        })
        .unwrap();
        let main = &prepared.main;
        assert!(!main.windows(6).any(|w| w == b"secret"));
        assert!(!main.windows(4).any(|w| w == b"Exif"));
    }
}

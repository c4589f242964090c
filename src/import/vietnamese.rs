//! Text from old Vietnamese web portals, turned into UTF-8 NFC.
//!
//! Old government sites used one of four ways of writing Vietnamese:
//!
//! - Unicode in UTF-8, sometimes decomposed (a base letter followed by combining marks);
//! - Windows-1258, a code page that writes a tone as a combining byte after the letter;
//! - TCVN3 (the "ABC" fonts `.VnTime`, `.VnArial`, …) and VNI (`VNI-Times`, …): 8-bit
//!   *font* encodings. The page declares ISO-8859-1 or Windows-1252 (or UTF-8, after a
//!   careless conversion of such a page) and the Vietnamese letters are Latin-1
//!   characters that only look right in the special font: TCVN3 "Së Khoa häc" and VNI
//!   "Sôû Khoa hoïc" both mean "Sở Khoa học".
//!
//! [`decode_page`] finds the character set of a page, decodes it, looks for font text
//! with [`detect_font_encoding`], converts it with [`from_font_encoding`] and returns
//! NFC text.
//!
//! # The tables
//!
//! Both tables are those of the `UniKey` converter (`vnconv`, by Pham Kim Long), checked
//! against two other converters that agree with it on every letter: the tables of the
//! `xvnkb` keyboard (Dao Hai Lam, `tcvn.h` and `vni.h`) and the `vietnamese-conversion`
//! library (`src/charsets.ts`).
//!
//! - TCVN3 is a single-byte code: 74 byte values in 0xA1–0xFE stand for the 67
//!   lowercase letters with diacritics and the seven capitals Ă Â Ê Ô Ơ Ư Đ. The ABC
//!   fonts have no other capitals: a capital with a tone is written with the lowercase
//!   byte and shown in a capital font (`.VnTimeH`). Such letters therefore decode to
//!   lowercase, except inside a word written in capitals (at least two capital letters
//!   and no lowercase one, like "VIÖT") or a lone-capital word next to one ("Hå" beside
//!   "CHÝ"), where they are raised to capitals: `CéNG HOµ` gives "CỘNG HOÀ".
//! - VNI writes a letter as a base letter followed by at most one mark character that
//!   carries the hat or horn and the tone together ("aá" = ấ, "oï" = ọ, "ôø" = ờ), with
//!   separate capital marks ("AÁ" = Ấ; a mark of the other case than its base letter is
//!   read all the same). Some letters take one character: "ñ" = đ,
//!   "ô" = ơ, "ö" = ư, "ó" = ĩ, "ò" = ị, "æ" = ỉ, "î" = ỵ (and capitals).
//!
//! Bytes 0x80–0x9F (which a Windows-1252 decoder turns into '€', '‚', '“', '…', …) are
//! western symbols in both codes, as in `UniKey`, and come out as those symbols.

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// The text encodings old Vietnamese sites use.
///
/// Serialised as `utf8`, `windows1258`, `windows1252`, `tcvn3` and `vni`; names written
/// by people are better read with [`Encoding::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// Unicode in UTF-8 (also how UTF-16 pages are reported).
    Utf8,
    /// Windows-1258: Vietnamese with combining tone bytes.
    Windows1258,
    /// Windows-1252, which also stands for ISO-8859-1 and US-ASCII (as in browsers).
    Windows1252,
    /// The TCVN3 (ABC) font encoding.
    Tcvn3,
    /// The VNI Windows font encoding.
    Vni,
}

impl Encoding {
    /// Parses a name from a map file or a charset label: "utf-8", "windows-1258",
    /// "cp1258", "tcvn3", "abc", "vni", "windows-1252", "iso-8859-1", "latin1" …
    /// (case-insensitive; spaces, dashes, dots and underscores are ignored). `None` if
    /// unknown.
    #[must_use]
    pub fn parse(name: &str) -> Option<Encoding> {
        let key: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let encoding = match key.as_str() {
            "utf8" | "unicode" | "unicode11utf8" | "unicode20utf8" | "xunicode20utf8" => {
                Encoding::Utf8
            }
            "windows1258" | "cp1258" | "xcp1258" | "win1258" | "wincp1258" => Encoding::Windows1258,
            "windows1252" | "cp1252" | "xcp1252" | "win1252" | "iso88591" | "iso885911987"
            | "88591" | "latin1" | "l1" | "ibm819" | "cp819" | "csisolatin1" | "isoir100"
            | "usascii" | "ascii" | "ansix341968" => Encoding::Windows1252,
            "tcvn3" | "tcvn" | "tcvn5712" | "abc" | "vn3" | "vntime" => Encoding::Tcvn3,
            "vni" | "vniwin" | "vniwindows" | "vnitimes" => Encoding::Vni,
            _ => return None,
        };
        Some(encoding)
    }

    /// Its name for reports: "UTF-8", "Windows-1258", "Windows-1252", "TCVN3", "VNI".
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Windows1258 => "Windows-1258",
            Encoding::Windows1252 => "Windows-1252",
            Encoding::Tcvn3 => "TCVN3",
            Encoding::Vni => "VNI",
        }
    }

    fn is_font(self) -> bool {
        matches!(self, Encoding::Tcvn3 | Encoding::Vni)
    }
}

/// Decodes an HTML page's bytes to NFC UTF-8 text.
///
/// `declared`: the charset from the HTTP Content-Type header, if any (either the bare
/// label or the whole header value). `forced`: an override from the operator's map file;
/// when `Some`, it is used and nothing is detected (a UTF-8 byte order mark is dropped; a
/// forced TCVN3 or VNI page is read as UTF-8 if its bytes are valid UTF-8 with non-ASCII
/// characters, else as Windows-1252).
///
/// Without an override the charset is taken from (1) a UTF-8 or UTF-16 byte order mark,
/// (2) `declared`, (3) a `<meta charset=…>` or `<meta http-equiv="Content-Type"
/// content="…charset=…">` within the first 2048 bytes, (4) whether the bytes are valid
/// UTF-8, else Windows-1252. Labels naming other character sets are ignored; a label
/// naming TCVN3 or VNI is obeyed like an override. A label
/// naming Windows-1252/ISO-8859-1 or Windows-1258 loses to UTF-8 when the bytes are valid
/// UTF-8 and hold multi-byte characters (a server default that was never true of the
/// page; legacy text is practically never valid UTF-8).
///
/// Then, whatever the charset, the text is checked for TCVN3 and VNI font text (see
/// [`detect_font_encoding`]) and converted when found (for a single-byte charset, from the
/// page's bytes read as Windows-1252, so that each byte keeps its font meaning). The
/// result is NFC.
///
/// Returns the text and the encoding finally applied (TCVN3 or VNI if font text was
/// found; UTF-16 is reported as UTF-8). Never panics.
#[must_use]
pub fn decode_page(
    bytes: &[u8],
    declared: Option<&str>,
    forced: Option<Encoding>,
) -> (String, Encoding) {
    if let Some(encoding) = forced {
        return (decode_as(bytes, encoding), encoding);
    }
    let (charset, body) = sniff_charset(bytes, declared);
    if let Charset::Known(encoding) = charset
        && encoding.is_font()
    {
        // A page that names its font encoding in its own labels.
        return (decode_as(body, encoding), encoding);
    }
    let text = nfc(&charset.decode(body));
    match detect_font_encoding(&text) {
        Some(font) => {
            let source = if charset.is_single_byte() {
                windows_1252(body)
            } else {
                text
            };
            (from_font_encoding(&source, font), font)
        }
        None => (text, charset.reported()),
    }
}

/// Converts text (already decoded to Unicode) that is in a legacy font encoding to proper
/// Unicode NFC.
///
/// Only characters in the Latin-1 range (U+0080–U+00FF) are remapped; ASCII stays. Bytes
/// 0x80–0x9F are western symbols in both font codes (as in `UniKey`): the Windows-1252
/// characters a decoder makes of them ('€', '‚', '“', '…', …) stay as they are, and the
/// C1 controls U+0080–U+009F that an ISO-8859-1 conversion leaves become those same
/// Windows-1252 characters.
///
/// The text may be a whole HTML page: markup is never converted. Tags with their
/// attributes, comments, declarations and the contents of `<script>` and `<style>` are
/// copied unchanged; only the text between tags is converted. HTML entities are left
/// alone: they are ASCII, so they come through intact and the caller need not decode them
/// first (an entity that spells a font byte, like `&laquo;` in a TCVN3 page, stays an
/// entity). A stretch of text between two tags that already holds Unicode Vietnamese
/// letters (ơ, ư, ă, đ, ĩ, ũ, U+1EA0–U+1EF9 or combining marks) is Unicode, not font
/// text, and is kept, which protects a Unicode site template around an old article.
///
/// For `Utf8`, `Windows1258` and `Windows1252` the text is only NFC-normalised.
#[must_use]
pub fn from_font_encoding(text: &str, encoding: Encoding) -> String {
    if !encoding.is_font() {
        return nfc(text);
    }
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for (kind, part) in split_markup(text) {
        if kind != Part::Text || part.chars().any(is_unicode_vietnamese) {
            out.push_str(part);
        } else if encoding == Encoding::Tcvn3 {
            convert_tcvn3(part, &mut out);
        } else {
            convert_vni(part, &mut out);
        }
    }
    nfc(&out)
}

/// Fewest words with typical characters before text is taken for font text.
const MIN_HITS: usize = 3;
/// And the least number of such words, as a share of the letters, in thousandths (2 %).
const MIN_HITS_PER_MILLE: usize = 20;

/// Guesses whether decoded text is TCVN3 or VNI font text (`Some`) or ordinary Unicode
/// (`None`).
///
/// Only text outside markup counts (as in [`from_font_encoding`]). The text is cut into
/// words (runs of letters and Latin-1 characters), and a word scores for a code when it
/// holds something typical of that code, practically absent from Unicode Vietnamese and
/// western text, *and* reads, in that code, as one Vietnamese syllable of two letters or
/// more (initial consonant, vowel group, final consonant, one tone at most):
///
/// - TCVN3: one of the symbols that stand for letters (¸ µ ¶ · ¹ ¨ © ª ¬ ® ¢ £ ¤ ¥ ¦ §
///   ¼ ½ ¾ × ÷) next to a letter; « or » between two letters; ¡ after a letter; a soft
///   hyphen (ư) between a letter and one of ¬ í ê ë ì î (ơ and its tones); a Latin-1
///   capital that TCVN3 uses for a lowercase letter (Ö Õ Ò Ó Ô Ë Ê Ç È É Æ Ì Ð Ñ Î Ï Ý
///   Ø Ü Þ) right after a lowercase letter, as in "nghÖ".
/// - VNI: a base letter (a e o u y, or ô ö for ơ ư) followed by a VNI mark that fits it,
///   in the same case ("aø", "eä", "ôû", "AÙ"); "öô" (ươ); ñ or Ñ (đ) opening a word.
///   The pairs o+á, o+à, o+ã do not count, since Unicode writes "hoà", "khoá", "ngoãn"
///   with them.
///
/// The code with more such words wins if it has at least 3, at least one per 50 letters
/// (2 %), more than the other code and more than there are Unicode Vietnamese letters in
/// the text (ơ ư ă đ ĩ ũ, U+1EA0–U+1EF9 and combining marks, which font text cannot hold).
/// Font text scores on a third to a half of its words; Unicode Vietnamese scores nothing;
/// a French or Spanish page scores only on rare words that happen to read as a syllable
/// ("coût" as VNI "cỏt", Spanish "aún" as "ẳn"), far under 2 % of its letters.
#[must_use]
pub fn detect_font_encoding(text: &str) -> Option<Encoding> {
    let mut score = Score::default();
    for (kind, part) in split_markup(text) {
        if kind == Part::Text {
            score.add(part);
        }
    }
    let (encoding, hits, other) = if score.tcvn3 >= score.vni {
        (Encoding::Tcvn3, score.tcvn3, score.vni)
    } else {
        (Encoding::Vni, score.vni, score.tcvn3)
    };
    let enough = hits >= MIN_HITS
        && hits.saturating_mul(1000) >= score.letters.saturating_mul(MIN_HITS_PER_MILLE)
        && hits > other
        && hits > score.vietnamese;
    enough.then_some(encoding)
}

/// NFC-normalises text (for UTF-8 input that may be decomposed).
#[must_use]
pub fn nfc(text: &str) -> String {
    if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        text.to_owned()
    } else {
        text.nfc().collect()
    }
}

// ---------------------------------------------------------------------------------------
// Character sets

/// A character set found for a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Charset {
    Known(Encoding),
    Utf16Le,
    Utf16Be,
}

impl Charset {
    fn decode(self, bytes: &[u8]) -> String {
        let encoding = match self {
            Charset::Known(Encoding::Utf8) => encoding_rs::UTF_8,
            Charset::Known(Encoding::Windows1258) => encoding_rs::WINDOWS_1258,
            Charset::Known(_) => encoding_rs::WINDOWS_1252,
            Charset::Utf16Le => encoding_rs::UTF_16LE,
            Charset::Utf16Be => encoding_rs::UTF_16BE,
        };
        encoding.decode_without_bom_handling(bytes).0.into_owned()
    }

    fn is_single_byte(self) -> bool {
        matches!(
            self,
            Charset::Known(Encoding::Windows1252 | Encoding::Windows1258)
        )
    }

    fn reported(self) -> Encoding {
        match self {
            Charset::Known(encoding) => encoding,
            Charset::Utf16Le | Charset::Utf16Be => Encoding::Utf8,
        }
    }
}

/// Decodes bytes as the operator (or the page) says, with no detection.
fn decode_as(bytes: &[u8], encoding: Encoding) -> String {
    let bytes = bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(bytes);
    match encoding {
        Encoding::Utf8 | Encoding::Windows1258 | Encoding::Windows1252 => {
            nfc(&Charset::Known(encoding).decode(bytes))
        }
        Encoding::Tcvn3 | Encoding::Vni => {
            let text = if is_multibyte_utf8(bytes) {
                Charset::Known(Encoding::Utf8).decode(bytes)
            } else {
                windows_1252(bytes)
            };
            from_font_encoding(&text, encoding)
        }
    }
}

fn windows_1252(bytes: &[u8]) -> String {
    Charset::Known(Encoding::Windows1252).decode(bytes)
}

/// Valid UTF-8 with at least one non-ASCII character.
fn is_multibyte_utf8(bytes: &[u8]) -> bool {
    !bytes.is_ascii() && std::str::from_utf8(bytes).is_ok()
}

/// Finds the charset of a page; returns it with the bytes that follow any byte order mark.
fn sniff_charset<'a>(bytes: &'a [u8], declared: Option<&str>) -> (Charset, &'a [u8]) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()) {
        return (Charset::Known(Encoding::Utf8), rest);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE".as_slice()) {
        return (Charset::Utf16Le, rest);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF".as_slice()) {
        return (Charset::Utf16Be, rest);
    }
    let labelled = declared
        .and_then(|value| charset_for_label(header_charset(value), true))
        .or_else(|| meta_charset(bytes));
    let charset = match labelled {
        Some(charset) if charset.is_single_byte() && is_multibyte_utf8(bytes) => {
            Charset::Known(Encoding::Utf8)
        }
        Some(charset) => charset,
        None if std::str::from_utf8(bytes).is_ok() => Charset::Known(Encoding::Utf8),
        None => Charset::Known(Encoding::Windows1252),
    };
    (charset, bytes)
}

/// The label in a Content-Type value ("text/html; charset=UTF-8") or a bare label.
fn header_charset(value: &str) -> &str {
    let bytes = value.as_bytes();
    let mut pos = 0;
    while let Some(found) = find_ascii_ci(bytes, pos, b"charset") {
        pos = found + b"charset".len();
        if let Some(label) = attribute_value(bytes.get(pos..).unwrap_or_default()) {
            return label;
        }
    }
    value.trim().trim_matches(|c| c == '"' || c == '\'').trim()
}

/// What a charset label means here. In a `<meta>` tag a UTF-16 label means UTF-8 (as in
/// browsers: a page whose `<meta>` could be read as ASCII is not UTF-16).
fn charset_for_label(label: &str, from_header: bool) -> Option<Charset> {
    if let Some(encoding) = Encoding::parse(label) {
        return Some(Charset::Known(encoding));
    }
    let found = encoding_rs::Encoding::for_label(label.as_bytes())?;
    if found == encoding_rs::UTF_16LE {
        Some(if from_header {
            Charset::Utf16Le
        } else {
            Charset::Known(Encoding::Utf8)
        })
    } else if found == encoding_rs::UTF_16BE {
        Some(if from_header {
            Charset::Utf16Be
        } else {
            Charset::Known(Encoding::Utf8)
        })
    } else {
        None
    }
}

/// How far into a page `<meta>` charsets are looked for.
const META_SCAN: usize = 2048;

/// The first recognised charset of a `<meta>` tag in the page's first 2048 bytes.
fn meta_charset(bytes: &[u8]) -> Option<Charset> {
    let head = bytes.get(..META_SCAN).unwrap_or(bytes);
    let mut from = 0;
    while let Some(at) = find_ascii_ci(head, from, b"<meta") {
        let attrs_start = at + b"<meta".len();
        let attrs_end = head
            .get(attrs_start..)
            .and_then(|rest| rest.iter().position(|&b| b == b'>'))
            .map_or(head.len(), |p| attrs_start + p);
        let attrs = head.get(attrs_start..attrs_end).unwrap_or_default();
        let mut pos = 0;
        while let Some(found) = find_ascii_ci(attrs, pos, b"charset") {
            pos = found + b"charset".len();
            if let Some(label) = attribute_value(attrs.get(pos..).unwrap_or_default())
                && let Some(charset) = charset_for_label(label, false)
            {
                return Some(charset);
            }
        }
        from = attrs_end;
    }
    None
}

/// The value after `=` in `charset = "label"` (quotes optional), as text.
fn attribute_value(rest: &[u8]) -> Option<&str> {
    let rest = trim_ascii_start(rest).strip_prefix(b"=".as_slice())?;
    let rest = trim_ascii_start(rest);
    let rest = rest
        .strip_prefix(b"\"".as_slice())
        .or_else(|| rest.strip_prefix(b"'".as_slice()))
        .unwrap_or(rest);
    let end = rest
        .iter()
        .position(|&b| matches!(b, b'"' | b'\'' | b';' | b'>' | b'/') || b.is_ascii_whitespace())
        .unwrap_or(rest.len());
    let label = std::str::from_utf8(rest.get(..end)?).ok()?;
    (!label.is_empty()).then_some(label)
}

fn trim_ascii_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

/// Position of `needle` (lowercase ASCII) in `hay` at or after `from`, ignoring ASCII case.
fn find_ascii_ci(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let rest = hay.get(from..)?;
    rest.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| from + p)
}

// ---------------------------------------------------------------------------------------
// Markup

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Text between tags: what a reader sees.
    Text,
    /// A tag, comment or declaration, or the contents of `<script>` or `<style>`.
    Markup,
}

/// Splits HTML into text and markup; the parts, joined, give back the input. A `<` opens
/// markup only when a letter, `/`, `!` or `?` follows (so "a < b" is text). Quoted
/// attribute values may hold `>`; a quote that never closes is not honoured.
fn split_markup(text: &str) -> Vec<(Part, &str)> {
    let bytes = text.as_bytes();
    let mut parts = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let opens = bytes[i] == b'<'
            && bytes
                .get(i + 1)
                .is_some_and(|&b| b.is_ascii_alphabetic() || matches!(b, b'/' | b'!' | b'?'));
        if !opens {
            i += 1;
            continue;
        }
        push_part(&mut parts, text, Part::Text, text_start, i);
        let end = markup_end(bytes, i);
        push_part(&mut parts, text, Part::Markup, i, end);
        let tag = bytes.get(i..end).unwrap_or_default();
        i = end;
        if let Some(name) = raw_text_element(tag) {
            let close = find_closing(bytes, end, name);
            push_part(&mut parts, text, Part::Markup, end, close);
            i = close;
        }
        text_start = i;
    }
    push_part(&mut parts, text, Part::Text, text_start, bytes.len());
    parts
}

fn push_part<'a>(
    parts: &mut Vec<(Part, &'a str)>,
    text: &'a str,
    kind: Part,
    start: usize,
    end: usize,
) {
    if start < end
        && let Some(part) = text.get(start..end)
    {
        parts.push((kind, part));
    }
}

/// The index just past the markup that starts with `<` at `start`.
fn markup_end(bytes: &[u8], start: usize) -> usize {
    let rest = bytes.get(start..).unwrap_or_default();
    if rest.starts_with(b"<!--") {
        return find_ascii_ci(bytes, start + 4, b"-->").map_or(bytes.len(), |p| p + 3);
    }
    // With quoted attribute values first; a quote left open falls back to the first '>'.
    let mut quote: Option<u8> = None;
    let mut last_significant = b'<';
    for (offset, &b) in rest.iter().enumerate().skip(1) {
        if let Some(q) = quote {
            if b == q {
                quote = None;
                last_significant = q;
            }
        } else if b == b'>' {
            return start + offset + 1;
        } else if (b == b'"' || b == b'\'') && last_significant == b'=' {
            quote = Some(b);
        } else if !b.is_ascii_whitespace() {
            last_significant = b;
        }
    }
    rest.iter()
        .position(|&b| b == b'>')
        .map_or(bytes.len(), |p| start + p + 1)
}

/// `script` or `style` if `tag` opens one of those elements (whose contents are not text).
fn raw_text_element(tag: &[u8]) -> Option<&'static [u8]> {
    let name_start = tag.get(1..)?;
    let len = name_start
        .iter()
        .position(|b| !b.is_ascii_alphanumeric())
        .unwrap_or(name_start.len());
    let name = name_start.get(..len)?;
    if tag.ends_with(b"/>") {
        return None;
    }
    [b"script".as_slice(), b"style".as_slice()]
        .into_iter()
        .find(|known| name.eq_ignore_ascii_case(known))
}

/// Where `</name` starts at or after `from`, or the end of the input.
fn find_closing(bytes: &[u8], from: usize, name: &[u8]) -> usize {
    let mut pos = from;
    while let Some(at) = find_ascii_ci(bytes, pos, b"</") {
        let after = at + 2;
        if bytes
            .get(after..after + name.len())
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
        {
            return at;
        }
        pos = after;
    }
    bytes.len()
}

// ---------------------------------------------------------------------------------------
// Character classes

/// A letter as font text counts them: any alphabetic character and every Latin-1
/// character from U+00A1 (the font codes use the symbols there for letters).
fn is_letterish(c: char) -> bool {
    c.is_alphabetic() || ('\u{A1}'..='\u{FF}').contains(&c)
}

/// A lowercase letter, or a TCVN3 symbol that stands for one.
fn is_lowerish(c: char) -> bool {
    c.is_lowercase() || TCVN3_LOWER_SYMBOLS.contains(&c)
}

/// A character that Unicode Vietnamese has and font text (Latin-1) cannot: ă đ ĩ ũ ơ ư
/// and their capitals, U+1EA0–U+1EF9, and combining marks.
fn is_unicode_vietnamese(c: char) -> bool {
    matches!(
        c,
        'ă' | 'Ă' | 'đ' | 'Đ' | 'ĩ' | 'Ĩ' | 'ũ' | 'Ũ' | 'ơ' | 'Ơ' | 'ư' | 'Ư'
            | '\u{1EA0}'..='\u{1EF9}'
            | '\u{0300}'..='\u{036F}'
    )
}

/// The Windows-1252 character for a C1 control U+0080–U+009F (what bytes 0x80–0x9F mean
/// in both font codes); any other character as it is.
fn western_symbol(c: char) -> char {
    match u8::try_from(u32::from(c)) {
        Ok(byte @ 0x80..=0x9F) => {
            let one = [byte];
            let (decoded, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&one);
            decoded.chars().next().unwrap_or(c)
        }
        _ => c,
    }
}

// ---------------------------------------------------------------------------------------
// TCVN3

/// TCVN3 (ABC): each byte used for a Vietnamese letter, and the letter. Bytes not listed
/// mean what they mean in Windows-1252. Source: `UniKey`'s `vnconv` table, checked
/// against `xvnkb` and `vietnamese-conversion` (see the module documentation).
const TCVN3_TABLE: [(u8, char); 74] = [
    (0xA1, 'Ă'),
    (0xA2, 'Â'),
    (0xA3, 'Ê'),
    (0xA4, 'Ô'),
    (0xA5, 'Ơ'),
    (0xA6, 'Ư'),
    (0xA7, 'Đ'),
    (0xA8, 'ă'),
    (0xA9, 'â'),
    (0xAA, 'ê'),
    (0xAB, 'ô'),
    (0xAC, 'ơ'),
    (0xAD, 'ư'),
    (0xAE, 'đ'),
    (0xB5, 'à'),
    (0xB6, 'ả'),
    (0xB7, 'ã'),
    (0xB8, 'á'),
    (0xB9, 'ạ'),
    (0xBB, 'ằ'),
    (0xBC, 'ẳ'),
    (0xBD, 'ẵ'),
    (0xBE, 'ắ'),
    (0xC6, 'ặ'),
    (0xC7, 'ầ'),
    (0xC8, 'ẩ'),
    (0xC9, 'ẫ'),
    (0xCA, 'ấ'),
    (0xCB, 'ậ'),
    (0xCC, 'è'),
    (0xCE, 'ẻ'),
    (0xCF, 'ẽ'),
    (0xD0, 'é'),
    (0xD1, 'ẹ'),
    (0xD2, 'ề'),
    (0xD3, 'ể'),
    (0xD4, 'ễ'),
    (0xD5, 'ế'),
    (0xD6, 'ệ'),
    (0xD7, 'ì'),
    (0xD8, 'ỉ'),
    (0xDC, 'ĩ'),
    (0xDD, 'í'),
    (0xDE, 'ị'),
    (0xDF, 'ò'),
    (0xE1, 'ỏ'),
    (0xE2, 'õ'),
    (0xE3, 'ó'),
    (0xE4, 'ọ'),
    (0xE5, 'ồ'),
    (0xE6, 'ổ'),
    (0xE7, 'ỗ'),
    (0xE8, 'ố'),
    (0xE9, 'ộ'),
    (0xEA, 'ờ'),
    (0xEB, 'ở'),
    (0xEC, 'ỡ'),
    (0xED, 'ớ'),
    (0xEE, 'ợ'),
    (0xEF, 'ù'),
    (0xF1, 'ủ'),
    (0xF2, 'ũ'),
    (0xF3, 'ú'),
    (0xF4, 'ụ'),
    (0xF5, 'ừ'),
    (0xF6, 'ử'),
    (0xF7, 'ữ'),
    (0xF8, 'ứ'),
    (0xF9, 'ự'),
    (0xFA, 'ỳ'),
    (0xFB, 'ỷ'),
    (0xFC, 'ỹ'),
    (0xFD, 'ý'),
    (0xFE, 'ỵ'),
];

/// TCVN3 by Latin-1 position (U+00A0 + index); '\0' where the byte is not a letter.
const TCVN3_LOOKUP: [char; 96] = tcvn3_lookup_table();

const fn tcvn3_lookup_table() -> [char; 96] {
    let mut table = ['\0'; 96];
    let mut i = 0;
    while i < TCVN3_TABLE.len() {
        let (byte, letter) = TCVN3_TABLE[i];
        table[(byte - 0xA0) as usize] = letter;
        i += 1;
    }
    table
}

/// The letter a TCVN3 character stands for.
fn tcvn3_letter(c: char) -> Option<char> {
    let index = usize::try_from(u32::from(c).checked_sub(0xA0)?).ok()?;
    TCVN3_LOOKUP
        .get(index)
        .copied()
        .filter(|&letter| letter != '\0')
}

/// TCVN3 capitals (the only ones the ABC fonts have): Ă Â Ê Ô Ơ Ư Đ.
fn is_tcvn3_capital(c: char) -> bool {
    ('\u{A1}'..='\u{A7}').contains(&c)
}

/// TCVN3 symbols that stand for lowercase letters.
const TCVN3_LOWER_SYMBOLS: [char; 16] = [
    '¨', '©', 'ª', '«', '¬', '\u{AD}', '®', 'µ', '¶', '·', '¸', '¹', '»', '¼', '½', '¾',
];

/// TCVN3 symbols that are typical whenever they touch a letter.
const TCVN3_SYMBOLS: [char; 21] = [
    '¢', '£', '¤', '¥', '¦', '§', '¨', '©', 'ª', '¬', '®', 'µ', '¶', '·', '¸', '¹', '¼', '½', '¾',
    '×', '÷',
];

/// Latin-1 capitals that TCVN3 uses for lowercase letters.
const TCVN3_CAPITAL_LOOKALIKES: [char; 20] = [
    'Æ', 'Ç', 'È', 'É', 'Ê', 'Ë', 'Ì', 'Î', 'Ï', 'Ð', 'Ñ', 'Ò', 'Ó', 'Ô', 'Õ', 'Ö', 'Ø', 'Ü', 'Ý',
    'Þ',
];

/// Whether `c`, between `prev` and `next`, is typical of TCVN3.
fn tcvn3_hit(prev: Option<char>, c: char, next: Option<char>) -> bool {
    let prev_letter = prev.is_some_and(is_letterish);
    let next_letter = next.is_some_and(is_letterish);
    match c {
        '«' | '»' => prev_letter && next_letter,
        '¡' => prev_letter,
        '\u{AD}' => {
            prev_letter && next.is_some_and(|n| matches!(n, '¬' | 'í' | 'ê' | 'ë' | 'ì' | 'î'))
        }
        _ if TCVN3_SYMBOLS.contains(&c) => prev_letter || next_letter,
        _ if TCVN3_CAPITAL_LOOKALIKES.contains(&c) => prev.is_some_and(is_lowerish),
        _ => false,
    }
}

/// How a character of a TCVN3 word bears on whether the word is in capitals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CaseHint {
    Upper,
    Lower,
    /// A TCVN3 letter whose case the byte does not tell.
    Either,
    None,
}

fn tcvn3_case_hint(c: char) -> CaseHint {
    if is_tcvn3_capital(c) {
        CaseHint::Upper
    } else if tcvn3_letter(c).is_some() {
        CaseHint::Either
    } else if c.is_uppercase() {
        CaseHint::Upper
    } else if c.is_lowercase() {
        CaseHint::Lower
    } else {
        CaseHint::None
    }
}

/// A word of TCVN3 text: its character range and case evidence.
#[derive(Debug, Clone, Copy, Default)]
struct Word {
    start: usize,
    end: usize,
    upper: usize,
    lower: usize,
    either: usize,
}

impl Word {
    /// Written in capitals, with letters whose case must be raised.
    fn is_capitals_with_tones(&self) -> bool {
        self.upper >= 2 && self.lower == 0 && self.either > 0
    }
}

/// Converts one stretch of TCVN3 text (no markup).
fn convert_tcvn3(text: &str, out: &mut String) {
    let chars: Vec<char> = text.chars().collect();
    let mut words: Vec<Word> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !is_letterish(chars[i]) {
            i += 1;
            continue;
        }
        let mut word = Word {
            start: i,
            ..Word::default()
        };
        while i < chars.len() && is_letterish(chars[i]) {
            match tcvn3_case_hint(chars[i]) {
                CaseHint::Upper => word.upper += 1,
                CaseHint::Lower => word.lower += 1,
                CaseHint::Either => word.either += 1,
                CaseHint::None => {}
            }
            i += 1;
        }
        word.end = i;
        words.push(word);
    }
    let mut raise = vec![false; chars.len()];
    for (index, word) in words.iter().enumerate() {
        let beside_capitals = index
            .checked_sub(1)
            .and_then(|p| words.get(p))
            .is_some_and(Word::is_capitals_with_tones)
            || words
                .get(index + 1)
                .is_some_and(Word::is_capitals_with_tones);
        let capitals = word.lower == 0 && word.either > 0 && (word.upper >= 2 || beside_capitals);
        if capitals {
            for flag in raise.get_mut(word.start..word.end).unwrap_or_default() {
                *flag = true;
            }
        }
    }
    for (&c, &up) in chars.iter().zip(&raise) {
        match tcvn3_letter(c) {
            Some(letter) if up && !is_tcvn3_capital(c) => out.extend(letter.to_uppercase()),
            Some(letter) => out.push(letter),
            None => out.push(western_symbol(c)),
        }
    }
}

// ---------------------------------------------------------------------------------------
// VNI

/// What a VNI base letter accepts after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BaseKind {
    /// a: tones, circumflex and breve.
    A,
    /// e, o: tones and circumflex.
    EO,
    /// u, ơ, ư: tones only.
    Plain,
    /// y: tones except the dot below (ỵ is a character of its own).
    Y,
}

/// The hat a VNI mark carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    None,
    Circumflex,
    Breve,
}

const ACUTE: char = '\u{0301}';
const GRAVE: char = '\u{0300}';
const HOOK: char = '\u{0309}';
const TILDE: char = '\u{0303}';
const DOT: char = '\u{0323}';

/// A VNI base letter: the Unicode letter it gives and what may follow it.
fn vni_base(c: char) -> Option<(char, BaseKind)> {
    Some(match c {
        'a' | 'A' => (c, BaseKind::A),
        'e' | 'E' | 'o' | 'O' => (c, BaseKind::EO),
        'u' | 'U' => (c, BaseKind::Plain),
        'ô' => ('ơ', BaseKind::Plain),
        'Ô' => ('Ơ', BaseKind::Plain),
        'ö' => ('ư', BaseKind::Plain),
        'Ö' => ('Ư', BaseKind::Plain),
        'y' | 'Y' => (c, BaseKind::Y),
        _ => return None,
    })
}

/// VNI marks, lowercase form: the hat and the tone (a combining character) each carries.
/// The capital marks are the Latin-1 capitals of the same letters.
const VNI_MARKS: [(char, Shape, Option<char>); 17] = [
    ('ù', Shape::None, Some(ACUTE)),
    ('ø', Shape::None, Some(GRAVE)),
    ('û', Shape::None, Some(HOOK)),
    ('õ', Shape::None, Some(TILDE)),
    ('ï', Shape::None, Some(DOT)),
    ('â', Shape::Circumflex, None),
    ('á', Shape::Circumflex, Some(ACUTE)),
    ('à', Shape::Circumflex, Some(GRAVE)),
    ('å', Shape::Circumflex, Some(HOOK)),
    ('ã', Shape::Circumflex, Some(TILDE)),
    ('ä', Shape::Circumflex, Some(DOT)),
    ('ê', Shape::Breve, None),
    ('é', Shape::Breve, Some(ACUTE)),
    ('è', Shape::Breve, Some(GRAVE)),
    ('ú', Shape::Breve, Some(HOOK)),
    ('ü', Shape::Breve, Some(TILDE)),
    ('ë', Shape::Breve, Some(DOT)),
];

/// A VNI mark (either case): its hat, its tone, and whether it is a capital mark.
fn vni_mark(c: char) -> Option<(Shape, Option<char>, bool)> {
    let lower = c.to_lowercase().next()?;
    let upper = c != lower;
    VNI_MARKS
        .iter()
        .find(|(mark, _, _)| *mark == lower)
        .map(|&(_, shape, tone)| (shape, tone, upper))
}

/// The letter that `base` followed by `mark` makes, as a base letter and combining marks
/// (composed later by NFC), and whether base and mark are of the same case.
fn vni_pair(base: char, mark: char) -> Option<(char, Option<char>, Option<char>, bool)> {
    let (letter, kind) = vni_base(base)?;
    let (shape, tone, upper_mark) = vni_mark(mark)?;
    let fits = match kind {
        BaseKind::A => true,
        BaseKind::EO => shape != Shape::Breve,
        BaseKind::Plain => shape == Shape::None,
        BaseKind::Y => shape == Shape::None && tone != Some(DOT),
    };
    if !fits {
        return None;
    }
    let hat = match shape {
        Shape::None => None,
        Shape::Circumflex => Some('\u{0302}'),
        Shape::Breve => Some('\u{0306}'),
    };
    Some((letter, hat, tone, base.is_uppercase() == upper_mark))
}

/// The letter a single VNI character stands for.
fn vni_single(c: char) -> Option<char> {
    Some(match c {
        'Ñ' => 'Đ',
        'ñ' => 'đ',
        'Ô' => 'Ơ',
        'ô' => 'ơ',
        'Ö' => 'Ư',
        'ö' => 'ư',
        'Æ' => 'Ỉ',
        'æ' => 'ỉ',
        'Ó' => 'Ĩ',
        'ó' => 'ĩ',
        'Ò' => 'Ị',
        'ò' => 'ị',
        'Î' => 'Ỵ',
        'î' => 'ỵ',
        _ => return None,
    })
}

/// Converts one stretch of VNI text (no markup). A mark of the other case than its base
/// letter is accepted; the letter takes the base's case.
fn convert_vni(text: &str, out: &mut String) {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if let Some(&mark) = chars.get(i + 1)
            && let Some((letter, hat, tone, _)) = vni_pair(c, mark)
        {
            out.push(letter);
            out.extend(hat);
            out.extend(tone);
            i += 2;
            continue;
        }
        out.push(vni_single(c).unwrap_or_else(|| western_symbol(c)));
        i += 1;
    }
}

/// Whether `c`, after `prev` and before `next`, is typical of VNI.
fn vni_hit(prev: Option<char>, c: char, next: Option<char>) -> bool {
    if let Some(p) = prev {
        // Unicode writes "hoà", "khoá", "ngoãn": these pairs prove nothing.
        let unicode_too = matches!(p, 'o' | 'O') && matches!(c, 'á' | 'à' | 'ã' | 'Á' | 'À' | 'Ã');
        if !unicode_too && vni_pair(p, c).is_some_and(|(_, _, _, same_case)| same_case) {
            return true;
        }
        if matches!((p, c), ('ö', 'ô') | ('Ö', 'Ô')) {
            return true;
        }
    }
    matches!(c, 'ñ' | 'Ñ') && !prev.is_some_and(is_letterish) && next.is_some_and(is_letterish)
}

// ---------------------------------------------------------------------------------------
// Detection

#[derive(Debug, Default)]
struct Score {
    /// Letters (see `is_letterish`).
    letters: usize,
    /// Unicode Vietnamese letters and marks (see `is_unicode_vietnamese`).
    vietnamese: usize,
    /// Words with a TCVN3 hit that decode, as TCVN3, to a Vietnamese syllable.
    tcvn3: usize,
    /// Words with a VNI hit that decode, as VNI, to a Vietnamese syllable.
    vni: usize,
}

type HitRule = fn(Option<char>, char, Option<char>) -> bool;

impl Score {
    fn add(&mut self, text: &str) {
        let chars: Vec<char> = text.chars().collect();
        for &c in &chars {
            if is_letterish(c) {
                self.letters += 1;
            }
            if is_unicode_vietnamese(c) {
                self.vietnamese += 1;
            }
        }
        let mut i = 0;
        while i < chars.len() {
            if !is_letterish(chars[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < chars.len() && is_letterish(chars[i]) {
                i += 1;
            }
            let word = chars.get(start..i).unwrap_or_default();
            if has_hit(word, tcvn3_hit) && decodes_to_syllable(word, Encoding::Tcvn3) {
                self.tcvn3 += 1;
            }
            if has_hit(word, vni_hit) && decodes_to_syllable(word, Encoding::Vni) {
                self.vni += 1;
            }
        }
    }
}

fn has_hit(word: &[char], rule: HitRule) -> bool {
    word.iter().enumerate().any(|(i, &c)| {
        let prev = i.checked_sub(1).and_then(|p| word.get(p)).copied();
        rule(prev, c, word.get(i + 1).copied())
    })
}

/// Whether a word, read in a font encoding, is a Vietnamese syllable of two letters or
/// more (a lone vowel proves too little: French "où" reads as VNI "ó").
fn decodes_to_syllable(word: &[char], encoding: Encoding) -> bool {
    let text: String = word.iter().collect();
    let mut decoded = String::with_capacity(text.len());
    if encoding == Encoding::Tcvn3 {
        convert_tcvn3(&text, &mut decoded);
    } else {
        convert_vni(&text, &mut decoded);
    }
    let decoded = nfc(&decoded);
    decoded.chars().count() >= 2 && is_vietnamese_syllable(&decoded)
}

/// Initial consonants, longest first.
const INITIALS: [&str; 27] = [
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "th", "tr", "qu", "b", "c", "d", "đ", "g",
    "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x",
];
/// Final consonants.
const FINALS: [&str; 8] = ["ng", "nh", "ch", "c", "m", "n", "p", "t"];
/// Vowel groups (without tone) that may take a final consonant.
const OPEN_NUCLEI: [&str; 25] = [
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "iê", "yê", "oa", "oă", "oe", "oo",
    "uâ", "uê", "uô", "uơ", "uy", "uyê", "ươ",
];
/// Vowel groups ending in a glide, or otherwise closed: no final consonant.
const CLOSED_NUCLEI: [&str; 30] = [
    "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia", "iu", "oi", "ôi", "ơi", "ua", "ui", "ưa",
    "ưi", "ưu", "oai", "oao", "oay", "oeo", "uây", "uôi", "uya", "uyu", "ươi", "ươu", "iêu", "yêu",
];

/// Whether `word` has the shape of one Vietnamese syllable: an optional initial
/// consonant, a vowel group, an optional final consonant, and at most one tone.
fn is_vietnamese_syllable(word: &str) -> bool {
    let lower: String = word.chars().flat_map(char::to_lowercase).collect();
    let mut tones = 0;
    let mut toneless = String::with_capacity(lower.len());
    for c in lower.nfd() {
        if matches!(c, ACUTE | GRAVE | HOOK | TILDE | DOT) {
            tones += 1;
        } else {
            toneless.push(c);
        }
    }
    if tones > 1 {
        return false;
    }
    let base: String = toneless.nfc().collect();
    let initials = INITIALS
        .iter()
        .copied()
        .filter(|i| base.starts_with(i))
        .chain([""]);
    for initial in initials {
        let rest = base.get(initial.len()..).unwrap_or_default();
        if initial == "gi" && FINALS.iter().chain(&[""]).any(|f| rest == *f) {
            return true; // "gì", "gìn": the i of gi is the vowel
        }
        if CLOSED_NUCLEI.contains(&rest) {
            return true;
        }
        for final_consonant in FINALS.iter().chain(&[""]) {
            if let Some(nucleus) = rest.strip_suffix(final_consonant)
                && (OPEN_NUCLEI.contains(&nucleus)
                    || (final_consonant.is_empty() && CLOSED_NUCLEI.contains(&nucleus)))
            {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The 67 lowercase Vietnamese letters that are not plain ASCII, in the order
    /// a, â, ă, đ, e, ê, i, o, ô, ơ, u, ư, y; tones: acute, grave, hook, tilde, dot.
    const LOWER_LETTERS: &str =
        "áàảãạâấầẩẫậăắằẳẵặđéèẻẽẹêếềểễệíìỉĩịóòỏõọôốồổỗộơớờởỡợúùủũụưứừửữựýỳỷỹỵ";

    /// `UniKey`'s TCVN3 bytes for `LOWER_LETTERS`, typed from its table in the other order
    /// (by letter, not by byte) as a check on `TCVN3_TABLE`.
    const TCVN3_REFERENCE: [u8; 67] = [
        0xB8, 0xB5, 0xB6, 0xB7, 0xB9, // á à ả ã ạ
        0xA9, 0xCA, 0xC7, 0xC8, 0xC9, 0xCB, // â ấ ầ ẩ ẫ ậ
        0xA8, 0xBE, 0xBB, 0xBC, 0xBD, 0xC6, // ă ắ ằ ẳ ẵ ặ
        0xAE, // đ
        0xD0, 0xCC, 0xCE, 0xCF, 0xD1, // é è ẻ ẽ ẹ
        0xAA, 0xD5, 0xD2, 0xD3, 0xD4, 0xD6, // ê ế ề ể ễ ệ
        0xDD, 0xD7, 0xD8, 0xDC, 0xDE, // í ì ỉ ĩ ị
        0xE3, 0xDF, 0xE1, 0xE2, 0xE4, // ó ò ỏ õ ọ
        0xAB, 0xE8, 0xE5, 0xE6, 0xE7, 0xE9, // ô ố ồ ổ ỗ ộ
        0xAC, 0xED, 0xEA, 0xEB, 0xEC, 0xEE, // ơ ớ ờ ở ỡ ợ
        0xF3, 0xEF, 0xF1, 0xF2, 0xF4, // ú ù ủ ũ ụ
        0xAD, 0xF8, 0xF5, 0xF6, 0xF7, 0xF9, // ư ứ ừ ử ữ ự
        0xFD, 0xFA, 0xFB, 0xFC, 0xFE, // ý ỳ ỷ ỹ ỵ
    ];

    /// VNI spellings of `LOWER_LETTERS`, as in `xvnkb`'s `vni.h`.
    const VNI_REFERENCE: [&str; 67] = [
        "aù", "aø", "aû", "aõ", "aï", "aâ", "aá", "aà", "aå", "aã", "aä", "aê", "aé", "aè", "aú",
        "aü", "aë", "ñ", "eù", "eø", "eû", "eõ", "eï", "eâ", "eá", "eà", "eå", "eã", "eä", "í",
        "ì", "æ", "ó", "ò", "où", "oø", "oû", "oõ", "oï", "oâ", "oá", "oà", "oå", "oã", "oä", "ô",
        "ôù", "ôø", "ôû", "ôõ", "ôï", "uù", "uø", "uû", "uõ", "uï", "ö", "öù", "öø", "öû", "öõ",
        "öï", "yù", "yø", "yû", "yõ", "î",
    ];

    fn all_letters() -> Vec<char> {
        let lower: Vec<char> = LOWER_LETTERS.chars().collect();
        let upper = lower.iter().flat_map(|c| c.to_uppercase());
        lower.iter().copied().chain(upper).collect()
    }

    /// Unicode to TCVN3 bytes, from the module's table (capitals with tones take the
    /// lowercase byte, as in the ABC fonts).
    fn tcvn3_encode(text: &str) -> Vec<u8> {
        let reverse: HashMap<char, u8> = TCVN3_TABLE.iter().map(|&(b, c)| (c, b)).collect();
        text.chars()
            .map(|c| {
                if c.is_ascii() {
                    return u8::try_from(c).unwrap();
                }
                let lower = c.to_lowercase().next().unwrap();
                *reverse
                    .get(&c)
                    .or_else(|| reverse.get(&lower))
                    .unwrap_or_else(|| panic!("no TCVN3 byte for {c}"))
            })
            .collect()
    }

    /// Unicode letter to VNI characters, built from the module's decoding rules.
    fn vni_reverse() -> HashMap<char, String> {
        let mut reverse = HashMap::new();
        let bases = [
            'a', 'A', 'e', 'E', 'o', 'O', 'u', 'U', 'y', 'Y', 'ô', 'Ô', 'ö', 'Ö',
        ];
        for base in bases {
            for &(mark, _, _) in &VNI_MARKS {
                let mark = if base.is_uppercase() {
                    mark.to_uppercase().next().unwrap()
                } else {
                    mark
                };
                if let Some((letter, hat, tone, true)) = vni_pair(base, mark) {
                    let composed: String = std::iter::once(letter)
                        .chain(hat)
                        .chain(tone)
                        .collect::<String>()
                        .nfc()
                        .collect();
                    let mut it = composed.chars();
                    let one = it.next().unwrap();
                    assert!(it.next().is_none(), "{base}{mark} does not compose");
                    reverse.insert(one, format!("{base}{mark}"));
                }
            }
        }
        for c in '\u{A0}'..='\u{FF}' {
            if let Some(letter) = vni_single(c) {
                reverse.insert(letter, c.to_string());
            }
        }
        for c in ['í', 'Í', 'ì', 'Ì'] {
            reverse.insert(c, c.to_string());
        }
        reverse
    }

    fn vni_encode(text: &str) -> Vec<u8> {
        let reverse = vni_reverse();
        let mut out = Vec::new();
        for c in text.chars() {
            let spelled = if c.is_ascii() {
                c.to_string()
            } else {
                reverse
                    .get(&c)
                    .unwrap_or_else(|| panic!("no VNI spelling for {c}"))
                    .clone()
            };
            out.extend(
                spelled
                    .chars()
                    .map(|ch| u8::try_from(u32::from(ch)).unwrap()),
            );
        }
        out
    }

    /// Unicode to Windows-1258 the way Vietnamese Windows writes it: the letter without
    /// its tone (precomposed when the code page has it), then the tone as a combining byte.
    fn windows_1258_encode(text: &str) -> Vec<u8> {
        let tones = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];
        let mut prepared = String::new();
        for c in text.chars() {
            let one = c.to_string();
            let (_, _, unmappable) = encoding_rs::WINDOWS_1258.encode(&one);
            if !unmappable {
                prepared.push(c);
                continue;
            }
            let decomposed: Vec<char> = c.to_string().nfd().collect();
            let tone: Vec<char> = decomposed
                .iter()
                .copied()
                .filter(|d| tones.contains(d))
                .collect();
            let base: String = decomposed
                .iter()
                .copied()
                .filter(|d| !tones.contains(d))
                .collect::<String>()
                .nfc()
                .collect();
            prepared.push_str(&base);
            prepared.extend(tone);
        }
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1258.encode(&prepared);
        assert!(!unmappable, "not encodable in Windows-1258: {text}");
        bytes.into_owned()
    }

    fn page(title: &str, body: &str) -> String {
        format!(
            "<!DOCTYPE html>\n<html><head>\
             <meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\">\
             <title>{title}</title>\
             <style>p {{ font-family: \".VnTime\"; }} /* Së µ */</style></head>\
             <body><!-- Së Khoa häc --><p class=\"noi-dung\" title=\"Së Khoa häc\" data-x='a>b'>{body}</p>\
             <script>var s = \"µ¸¶·¹\"; if (a < b) {{}}</script>\
             <p><font face=\".VnTime\">&nbsp;{body}</font></p></body></html>"
        )
    }

    fn latin1_bytes(text: &str) -> Vec<u8> {
        text.chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect()
    }

    const SENTENCE: &str = "Sở Khoa học và Công nghệ tỉnh Bình Định thông báo tuyển dụng năm 2024: Ưu tiên người có bằng cấp";

    #[test]
    fn tcvn3_table_matches_reference() {
        assert_eq!(TCVN3_TABLE.len(), 74);
        for (letter, &byte) in LOWER_LETTERS.chars().zip(&TCVN3_REFERENCE) {
            assert_eq!(
                tcvn3_letter(char::from(byte)),
                Some(letter),
                "byte {byte:#X}"
            );
        }
        for (letter, byte) in "ĂÂÊÔƠƯĐ".chars().zip(0xA1u8..=0xA7) {
            assert_eq!(tcvn3_letter(char::from(byte)), Some(letter));
        }
        let mut bytes: Vec<u8> = TCVN3_TABLE.iter().map(|&(b, _)| b).collect();
        bytes.dedup();
        assert_eq!(bytes.len(), 74, "bytes sorted and unique");
        assert!(bytes.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn vni_table_matches_reference() {
        for (letter, spelled) in LOWER_LETTERS.chars().zip(VNI_REFERENCE) {
            assert_eq!(
                from_font_encoding(spelled, Encoding::Vni),
                letter.to_string(),
                "{spelled}"
            );
            let upper_spelled: String = spelled.chars().flat_map(char::to_uppercase).collect();
            let upper: String = letter.to_uppercase().collect();
            assert_eq!(
                from_font_encoding(&upper_spelled, Encoding::Vni),
                upper,
                "{upper_spelled}"
            );
        }
    }

    #[test]
    fn all_134_letters_round_trip() {
        let letters = all_letters();
        assert_eq!(letters.len(), 134);
        let vni = vni_reverse();
        for &letter in &letters {
            let spelled = vni
                .get(&letter)
                .unwrap_or_else(|| panic!("no VNI for {letter}"));
            assert_eq!(
                from_font_encoding(spelled, Encoding::Vni),
                letter.to_string()
            );
        }
        // TCVN3: all 67 lowercase letters and the 7 capitals come back exactly.
        let tcvn3_text: String = LOWER_LETTERS
            .chars()
            .chain("ĂÂÊÔƠƯĐ".chars())
            .flat_map(|c| [c, ' '])
            .collect();
        let latin1: String = tcvn3_encode(&tcvn3_text)
            .into_iter()
            .map(char::from)
            .collect();
        assert_eq!(from_font_encoding(&latin1, Encoding::Tcvn3), tcvn3_text);
    }

    #[test]
    fn known_phrases() {
        assert_eq!(
            from_font_encoding("Së Khoa häc vµ C«ng nghÖ", Encoding::Tcvn3),
            "Sở Khoa học và Công nghệ"
        );
        assert_eq!(
            from_font_encoding("Sôû Khoa hoïc vaø Coâng ngheä", Encoding::Vni),
            "Sở Khoa học và Công nghệ"
        );
        assert_eq!(
            from_font_encoding("Xin chaøo caùc baïn", Encoding::Vni),
            "Xin chào các bạn"
        );
        assert_eq!(
            from_font_encoding(
                "B¶o Th¾ng, B¸t X¸t, M\u{AD}êng Kh\u{AD}¬ng",
                Encoding::Tcvn3
            ),
            "Bảo Thắng, Bát Xát, Mường Khương"
        );
        assert_eq!(
            from_font_encoding(
                "COÄNG HOØA XAÕ HOÄI CHUÛ NGHÓA VIEÄT NAM - Ñoäc laäp - Töï do - Haïnh phuùc",
                Encoding::Vni
            ),
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM - Độc lập - Tự do - Hạnh phúc"
        );
    }

    #[test]
    fn tcvn3_capitals() {
        assert_eq!(
            from_font_encoding("CéNG HOµ X· HéI CHñ NGHÜA VIÖT NAM", Encoding::Tcvn3),
            "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"
        );
        assert_eq!(
            from_font_encoding("Tp. Hå ChÝ Minh, Hå CHÝ MINH", Encoding::Tcvn3),
            "Tp. Hồ Chí Minh, HỒ CHÍ MINH"
        );
        // An abbreviation beside a title-case word leaves it alone.
        assert_eq!(
            from_font_encoding("Së GD-§T vµ UBND tØnh", Encoding::Tcvn3),
            "Sở GD-ĐT và UBND tỉnh"
        );
        assert_eq!(
            from_font_encoding("§IÒU 1. §Þnh nghÜa", Encoding::Tcvn3),
            "ĐIỀU 1. Định nghĩa"
        );
    }

    #[test]
    fn tcvn3_page_round_trip() {
        let title = "Sở Khoa học và Công nghệ";
        let tcvn3 = |s: &str| -> String { tcvn3_encode(s).into_iter().map(char::from).collect() };
        let source = page(&tcvn3(title), &tcvn3(SENTENCE));
        let bytes = latin1_bytes(&source);
        let (text, encoding) = decode_page(&bytes, Some("iso-8859-1"), None);
        assert_eq!(encoding, Encoding::Tcvn3);
        assert_eq!(text, page(title, SENTENCE));
        // Markup untouched: attributes, comments, style and script keep their bytes.
        assert!(text.contains("title=\"Së Khoa häc\""));
        assert!(text.contains("<!-- Së Khoa häc -->"));
        assert!(text.contains("var s = \"µ¸¶·¹\""));
        assert!(text.contains("/* Së µ */"));
        assert!(text.contains("&nbsp;"));
        // Also when the page came through a careless Latin-1 to UTF-8 conversion.
        let (text, encoding) =
            decode_page(source.as_bytes(), Some("text/html; charset=UTF-8"), None);
        assert_eq!(encoding, Encoding::Tcvn3);
        assert_eq!(text, page(title, SENTENCE));
    }

    #[test]
    fn vni_page_round_trip() {
        let title = "Đoàn Thanh niên Cộng sản Hồ Chí Minh";
        let body = "Ủy ban nhân dân tỉnh Đắk Lắk quyết định: Điều 1. Phê duyệt đề án phát triển \
                    nguồn nhân lực, đường giao thông nông thôn, thuỷ lợi và trường học; \
                    ƯU TIÊN những người đã được khen thưởng, ông Nguyễn Văn Ẩn và bà Trần Thị Ỷ Lan.";
        let vni = |s: &str| -> String { vni_encode(s).into_iter().map(char::from).collect() };
        let source = page(&vni(title), &vni(body));
        let (text, encoding) = decode_page(&latin1_bytes(&source), Some("ISO-8859-1"), None);
        assert_eq!(encoding, Encoding::Vni);
        assert_eq!(text, page(title, body));
        assert!(text.contains("title=\"Së Khoa häc\""));
        // Without any label: not UTF-8, so Windows-1252, then VNI.
        let (text, encoding) = decode_page(&latin1_bytes(&source), None, None);
        assert_eq!(
            (text.as_str(), encoding),
            (page(title, body).as_str(), Encoding::Vni)
        );
    }

    #[test]
    fn windows_1258_declared() {
        let literal = "Quyết định số 41/2026/QĐ-UBND về khoa học";
        let bytes = windows_1258_encode(literal);
        assert!(std::str::from_utf8(&bytes).is_err());
        let (text, encoding) = decode_page(&bytes, Some("windows-1258"), None);
        assert_eq!(encoding, Encoding::Windows1258);
        assert_eq!(text, nfc(literal));
        assert_eq!(text.chars().count(), nfc(literal).chars().count());
        assert_eq!(text.chars().count(), 41);
    }

    #[test]
    fn windows_1258_meta_charset() {
        let body = "Thông báo về việc tuyển dụng viên chức năm 2026 của Sở Nội vụ tỉnh Quảng Ngãi";
        for meta in [
            "<meta charset=\"windows-1258\">",
            "<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=Windows-1258\">",
            "<meta charset=cp1258 />",
        ] {
            let html = format!(
                "<html><head>{meta}<title>x</title></head><body><p>{body}</p></body></html>"
            );
            let bytes = windows_1258_encode(&html);
            let (text, encoding) = decode_page(&bytes, None, None);
            assert_eq!(encoding, Encoding::Windows1258, "{meta}");
            assert_eq!(text, nfc(&html));
        }
    }

    #[test]
    fn nfd_utf8_becomes_nfc() {
        let decomposed =
            "Vie\u{302}\u{323}t Nam: Ca\u{301}c đo\u{31B}n vi\u{323} ha\u{300}nh chi\u{301}nh";
        let (text, encoding) = decode_page(decomposed.as_bytes(), None, None);
        assert_eq!(encoding, Encoding::Utf8);
        assert_eq!(text, "Việt Nam: Các đơn vị hành chính");
        assert_eq!(nfc("e\u{301}"), "é");
        // A byte order mark is dropped.
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), decomposed.as_bytes()].concat();
        assert_eq!(
            decode_page(&with_bom, Some("iso-8859-1"), None),
            (text, Encoding::Utf8)
        );
    }

    const UNICODE_PARAGRAPH: &str = "Thực hiện Kế hoạch số 15/KH-UBND ngày 20/01/2026 của Ủy ban nhân dân tỉnh \
        về việc triển khai chương trình chuyển đổi số, Sở Khoa học và Công nghệ đã phối hợp với các sở, \
        ban, ngành hoàn thành việc xây dựng cơ sở dữ liệu toàn tỉnh. Ngoài ra, Sở đã tổ chức khoá đào tạo \
        cho cán bộ, công chức; hoà giải ở cơ sở được đẩy mạnh; đoàn công tác đã đến thăm các hộ nghèo. \
        Ông Nguyễn Văn Thoả, Giám đốc Sở, nhấn mạnh: “Đây là nhiệm vụ trọng tâm, cần được quan tâm thường xuyên, \
        ngoan ngoãn chấp hành quy định.” HOÀN THÀNH TOÀN BỘ KẾ HOẠCH NĂM 2026. Hòa, hoà, thuý, thuỷ, khuyến, \
        quà, Huế, tiên, yên, uống, người, được, Đồng Nai, Bà Rịa – Vũng Tàu, Đắk Lắk.";

    #[test]
    fn unicode_vietnamese_is_not_font_text() {
        assert_eq!(detect_font_encoding(UNICODE_PARAGRAPH), None);
        let html = format!(
            "<html><head><title>Tin tức</title></head><body><p>{UNICODE_PARAGRAPH}</p></body></html>"
        );
        assert_eq!(
            decode_page(html.as_bytes(), Some("utf-8"), None),
            (html.clone(), Encoding::Utf8)
        );
        assert_eq!(
            decode_page(html.as_bytes(), None, None),
            (html.clone(), Encoding::Utf8)
        );
        // Decomposed Unicode too.
        let nfd: String = UNICODE_PARAGRAPH.nfd().collect();
        assert_eq!(detect_font_encoding(&nfd), None);
        // Upper case Unicode too.
        assert_eq!(
            detect_font_encoding(&UNICODE_PARAGRAPH.to_uppercase()),
            None
        );
    }

    #[test]
    fn western_text_is_not_converted() {
        let french = "Le café est très élégant à Paris, où l'été est doux. À Noël, Moïse, naïf, lit un \
            poème sur l'aéroport d'Israël, où il goûte un gâteau; août, coût, où, où… « Très bien », dit-il.";
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(french);
        assert!(!unmappable);
        assert_eq!(detect_font_encoding(french), None);
        assert_eq!(
            decode_page(&bytes, Some("windows-1252"), None),
            (french.to_owned(), Encoding::Windows1252)
        );
        assert_eq!(
            decode_page(&bytes, None, None),
            (french.to_owned(), Encoding::Windows1252)
        );
        let short = "Le café est très élégant à Paris, où l'été…";
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(short);
        assert_eq!(
            decode_page(&bytes, Some("iso-8859-1"), None),
            (short.to_owned(), Encoding::Windows1252)
        );
        for other in [
            "El señor Raúl reúne a su familia en el país; ¡Hola! ¿Qué tal? La niña baila en España. Saúde, aún.",
            "Die Straße führt über die Brücke; Größe, Übung, Äpfel, Öl. Microsoft® Windows© 2000 µm 3×4 ½.",
            "Rødgrød med fløde på Ærø; Ålborg, Åland, Vänern.",
        ] {
            assert_eq!(detect_font_encoding(other), None, "{other}");
        }
    }

    #[test]
    fn forced_encoding_overrides_detection() {
        // Too short to be detected, but the operator knows.
        let bytes = latin1_bytes("<p>Trang chñ</p>");
        assert_eq!(
            decode_page(&bytes, None, None),
            ("<p>Trang chñ</p>".to_owned(), Encoding::Windows1252)
        );
        assert_eq!(
            decode_page(&bytes, None, Some(Encoding::Tcvn3)),
            ("<p>Trang chủ</p>".to_owned(), Encoding::Tcvn3)
        );
        let bytes = latin1_bytes("<p>Trang chuû</p>");
        assert_eq!(
            decode_page(&bytes, None, None),
            ("<p>Trang chuû</p>".to_owned(), Encoding::Windows1252)
        );
        assert_eq!(
            decode_page(&bytes, None, Some(Encoding::Vni)),
            ("<p>Trang chủ</p>".to_owned(), Encoding::Vni)
        );
        // A detected TCVN3 page read as the operator says.
        let source: String = tcvn3_encode(SENTENCE).into_iter().map(char::from).collect();
        let bytes = latin1_bytes(&source);
        assert_eq!(
            decode_page(&bytes, None, None),
            (SENTENCE.to_owned(), Encoding::Tcvn3)
        );
        assert_eq!(
            decode_page(&bytes, None, Some(Encoding::Windows1252)),
            (source.clone(), Encoding::Windows1252)
        );
        // UTF-8 forced on Windows-1258 bytes: replacement characters, no panic.
        let bytes = windows_1258_encode("Quyết định");
        let (text, encoding) = decode_page(&bytes, Some("windows-1258"), Some(Encoding::Utf8));
        assert_eq!(encoding, Encoding::Utf8);
        assert!(text.contains('\u{FFFD}'));
    }

    #[test]
    fn mixed_page_keeps_unicode_template() {
        let body: String = tcvn3_encode(SENTENCE).into_iter().map(char::from).collect();
        let html = format!(
            "<nav>Trang chủ | Giới thiệu | Liên hệ</nav><article><p>{body}</p><p>{body}</p></article>"
        );
        let (text, encoding) = decode_page(html.as_bytes(), Some("utf-8"), None);
        assert_eq!(encoding, Encoding::Tcvn3);
        assert_eq!(
            text,
            format!(
                "<nav>Trang chủ | Giới thiệu | Liên hệ</nav><article><p>{SENTENCE}</p><p>{SENTENCE}</p></article>"
            )
        );
    }

    #[test]
    fn labels() {
        for (name, encoding) in [
            ("UTF-8", Encoding::Utf8),
            ("utf8", Encoding::Utf8),
            ("windows-1258", Encoding::Windows1258),
            ("CP1258", Encoding::Windows1258),
            ("windows-1252", Encoding::Windows1252),
            ("ISO-8859-1", Encoding::Windows1252),
            ("iso_8859-1", Encoding::Windows1252),
            ("latin1", Encoding::Windows1252),
            ("us-ascii", Encoding::Windows1252),
            ("TCVN3", Encoding::Tcvn3),
            ("abc", Encoding::Tcvn3),
            (".VnTime", Encoding::Tcvn3),
            ("vni", Encoding::Vni),
            ("VNI-Windows", Encoding::Vni),
        ] {
            assert_eq!(Encoding::parse(name), Some(encoding), "{name}");
        }
        assert_eq!(Encoding::parse("shift_jis"), None);
        assert_eq!(Encoding::parse(""), None);
        assert_eq!(Encoding::parse("iso-8859-15"), None);
        let labels: Vec<&str> = [
            Encoding::Utf8,
            Encoding::Windows1258,
            Encoding::Windows1252,
            Encoding::Tcvn3,
            Encoding::Vni,
        ]
        .into_iter()
        .map(Encoding::label)
        .collect();
        assert_eq!(
            labels,
            ["UTF-8", "Windows-1258", "Windows-1252", "TCVN3", "VNI"]
        );
        assert_eq!(
            header_charset("text/html; charset=\"UTF-8\"; foo=bar"),
            "UTF-8"
        );
        assert_eq!(header_charset(" windows-1258 "), "windows-1258");
        assert_eq!(header_charset("text/html;charset = 'cp1258'"), "cp1258");
        assert_eq!(header_charset("text/html"), "text/html");
    }

    #[test]
    fn header_wins_over_meta_and_utf8_wins_over_a_false_latin1_label() {
        let html = "<meta charset=\"windows-1258\"><p>Việt Nam</p>";
        // UTF-8 bytes under a Latin-1 header: the header is false, the bytes are UTF-8.
        assert_eq!(
            decode_page(html.as_bytes(), Some("iso-8859-1"), None),
            (html.to_owned(), Encoding::Utf8)
        );
        let bytes = windows_1258_encode(html);
        assert_eq!(
            decode_page(&bytes, Some("windows-1258"), None),
            (html.to_owned(), Encoding::Windows1258)
        );
        // UTF-16 with a byte order mark.
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(html.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(
            decode_page(&utf16, None, None),
            (html.to_owned(), Encoding::Utf8)
        );
    }

    #[test]
    fn markup_split_is_lossless() {
        for html in [
            "",
            "<",
            "a < b",
            "<p",
            "<p title=\"unterminated>text",
            "<!-- open comment",
            "<script>never closed",
            "<style></style><SCRIPT type='x'>a</ScRiPt>b",
            "<br/><img src=x alt='>'>t",
        ] {
            let joined: String = split_markup(html).iter().map(|(_, s)| *s).collect();
            assert_eq!(joined, html);
        }
        let parts = split_markup("<p title=\"a>b\">Së</p><script>µ</script>x");
        assert_eq!(
            parts,
            vec![
                (Part::Markup, "<p title=\"a>b\">"),
                (Part::Text, "Së"),
                (Part::Markup, "</p>"),
                (Part::Markup, "<script>"),
                (Part::Markup, "µ"),
                (Part::Markup, "</script>"),
                (Part::Text, "x"),
            ]
        );
    }

    #[test]
    fn no_panic_on_arbitrary_bytes() {
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut inputs: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"<".to_vec(),
            b"<<<>>>".to_vec(),
            b"\xFF\xFE".to_vec(),
            b"\xFE\xFF\x00".to_vec(),
            b"\xEF\xBB".to_vec(),
            b"\xC3\x28\xA0\xA1\xE2\x28\xA1".to_vec(),
            b"<meta charset=".to_vec(),
            b"<meta charset=\"".to_vec(),
            b"<meta charset='x".to_vec(),
            b"<META".to_vec(),
            b"<script".to_vec(),
            b"<!--".to_vec(),
            (0u8..=255).collect(),
            (0u8..=255).rev().cycle().take(5000).collect(),
        ];
        for _ in 0..300 {
            let len = usize::try_from(next() % 600).unwrap();
            let alphabet = b"<>/!?=\"' metacharsetscriptstyleaeouy\xA1\xB5\xB8\xD6\xF9\xFB\xE2\xD1\xF1\xC3\xEF\xBB\xBF\xFF\xFE";
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if r % 3 == 0 {
                        r.to_le_bytes()[1]
                    } else {
                        alphabet[usize::try_from(r % alphabet.len() as u64).unwrap()]
                    }
                })
                .collect();
            inputs.push(bytes);
        }
        let declared = [
            None,
            Some("utf-8"),
            Some("windows-1258"),
            Some("iso-8859-1"),
            Some("utf-16"),
            Some("bogus"),
            Some(""),
        ];
        let forced = [
            None,
            Some(Encoding::Tcvn3),
            Some(Encoding::Vni),
            Some(Encoding::Utf8),
            Some(Encoding::Windows1258),
        ];
        for (n, bytes) in inputs.iter().enumerate() {
            let (text, _) = decode_page(
                bytes,
                declared[n % declared.len()],
                forced[n % forced.len()],
            );
            assert!(unicode_normalization::is_nfc(&text));
            let (text, _) = decode_page(bytes, declared[(n + 1) % declared.len()], None);
            assert!(unicode_normalization::is_nfc(&text));
            let lossy = String::from_utf8_lossy(bytes);
            let _ = detect_font_encoding(&lossy);
            assert!(unicode_normalization::is_nfc(&from_font_encoding(
                &lossy,
                Encoding::Tcvn3
            )));
            assert!(unicode_normalization::is_nfc(&from_font_encoding(
                &lossy,
                Encoding::Vni
            )));
        }
    }

    #[test]
    fn western_symbols_in_font_text() {
        // “…” as Windows-1252 characters stay; as C1 controls they become the same.
        assert_eq!(
            from_font_encoding("\u{201C}Së\u{201D}\u{2026}", Encoding::Tcvn3),
            "\u{201C}Sở\u{201D}\u{2026}"
        );
        assert_eq!(
            from_font_encoding("\u{93}Së\u{94}\u{85}", Encoding::Tcvn3),
            "\u{201C}Sở\u{201D}\u{2026}"
        );
        assert_eq!(
            from_font_encoding("\u{93}Sôû\u{94}\u{80}\u{81}", Encoding::Vni),
            "\u{201C}Sở\u{201D}\u{20AC}\u{81}"
        );
    }

    #[test]
    fn syllables() {
        for word in [
            "nghiêng", "người", "quyết", "gì", "gìn", "giêng", "khuỷu", "ngoèo", "oắt", "uống",
            "yêu", "tuyển", "Định", "ếch", "THUỞ", "khuya", "hoà", "nghĩa", "ăn", "ở",
        ] {
            assert!(is_vietnamese_syllable(word), "{word}");
        }
        for word in [
            "nạf",
            "mọse",
            "ắroport",
            "isrặl",
            "gỏte",
            "aỏt",
            "rẳl",
            "microsoftđ",
            "việtt",
            "áà",
            "bcd",
        ] {
            assert!(!is_vietnamese_syllable(word), "{word}");
        }
    }

    #[test]
    fn serde_names() {
        let names = serde_json::to_string(&[
            Encoding::Utf8,
            Encoding::Windows1258,
            Encoding::Windows1252,
            Encoding::Tcvn3,
            Encoding::Vni,
        ])
        .unwrap();
        assert_eq!(
            names,
            r#"["utf8","windows1258","windows1252","tcvn3","vni"]"#
        );
        let back: Encoding = serde_json::from_str("\"vni\"").unwrap();
        assert_eq!(back, Encoding::Vni);
    }
}

//! `WordPress` post content (`content:encoded` in an export) to HTML our sanitiser keeps.
//!
//! `WordPress` stores a post body as "autop" text: paragraphs separated by blank lines
//! with no `<p>` tags, single newlines meaning `<br>`, mixed with block HTML,
//! shortcodes (`[caption]`, `[gallery]`, `[embed]`, …) and, from the block editor,
//! Gutenberg block comments. [`convert`] turns that into HTML made only of what the
//! sanitiser allows, in this order:
//!
//! 1. HTML comments out: Gutenberg block comments (`<!-- wp:… -->`, `<!-- /wp:… -->`,
//!    `<!-- wp:… /-->`, keeping the HTML between them) and every other comment.
//! 2. Shortcodes: `[caption]` to `<figure>`/`<figcaption>`, `[gallery]` to one figure
//!    per image, `[embed]`/`[video]`/`[audio]` to a link paragraph, any other one
//!    removed with its inner content kept. `[[foo]]` is the literal text `[foo]`.
//! 3. What the sanitiser would otherwise lose or merge: an address alone on its line
//!    (which `WordPress` would auto-embed) and `<iframe>`, `<video>`, `<audio>`,
//!    `<object>`, `<embed>` become a link paragraph; `<div>` and other wrappers become
//!    paragraph boundaries; `<h1>` becomes `<h2>`, `<h5>`/`<h6>` become `<h4>`;
//!    `<script>` and `<style>` go.
//! 4. [`autop`] (classic content only: block-editor content already has its `<p>`s,
//!    and `WordPress` skips it there too), then a tidy that leaves no empty or nested
//!    `<p>`.
//!
//! Nothing here panics on any input: the scanners only cut the text at ASCII bytes
//! (`<`, `>`, `[`, `]`, quotes, white space), which are always character boundaries in
//! UTF-8, and anything they cannot parse stays as text.

use std::collections::{HashMap, HashSet};

/// What the converter knows of one attachment (from the export), for galleries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRef {
    /// The file's address, as plain text (it is HTML-escaped on output).
    pub src: String,
    /// The image's alternative text, as plain text (escaped on output).
    pub alt: String,
    /// The attachment's caption as `WordPress` stores it (HTML, inserted as is for the
    /// sanitiser to clean); empty when it has none.
    pub caption: String,
}

/// The converted HTML and what the conversion could not keep, for the import report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Converted {
    /// The body, ready for the sanitiser.
    pub html: String,
    /// What was dropped or changed, one sentence each in Vietnamese for the editors;
    /// each said once.
    pub notes: Vec<String>,
}

/// Converts `WordPress` post content to HTML. `media(id)` looks up an attachment by its
/// `WordPress` post id.
pub fn convert(content: &str, media: &dyn Fn(u64) -> Option<MediaRef>) -> Converted {
    let text = normalise_newlines(content);
    // WordPress's `has_blocks`: such content already carries its `<p>` tags.
    let gutenberg = text.contains("<!-- wp:");
    let mut ctx = Ctx {
        media,
        notes: Vec::new(),
        said: HashSet::new(),
        embed_closes: HashMap::new(),
    };
    let text = ctx.strip_comments(&text);
    let text = ctx.shortcodes(&text, 0);
    let text = ctx.fixups(&text);
    let html = if gutenberg { tidy(&text) } else { autop(&text) };
    Converted {
        html: html.trim().to_owned(),
        notes: ctx.notes,
    }
}

/// The `wpautop` of `WordPress`: blank-line-separated text → `<p>` paragraphs, single
/// newlines → `<br>`, without wrapping block-level elements in `<p>` and without
/// touching the inside of `<pre>`.
///
/// Text directly in `<li>`, `<td>`, `<th>`, `<dd>`, `<dt>` or `<figure>` is left
/// unwrapped unless a blank line splits it into several paragraphs; text in a
/// `<blockquote>` (or at the top level) is always paragraphed. Two `<br>`s in a row
/// end a paragraph like a blank line does. No `<br>` is put next to a block tag and
/// no empty `<p>` is produced.
pub fn autop(text: &str) -> String {
    let text = normalise_newlines(text);
    if text.trim().is_empty() {
        return String::new();
    }
    let tokens = tokenize(&text);
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut stack: Vec<String> = Vec::new();
    let mut run: Vec<&Token<'_>> = Vec::new();
    for tok in &tokens {
        if !tok.is_block() {
            run.push(tok);
            continue;
        }
        flush_run(&mut out, &run, container(&stack));
        run.clear();
        out.push_str(tok.raw);
        match tok.kind {
            Kind::Open => {
                let void = tok.self_closing || VOID_BLOCKS.contains(&tok.name.as_str());
                if !void {
                    open_block(&mut stack, &tok.name);
                }
                if void
                    || STRUCTURAL.contains(&tok.name.as_str())
                    || class_of(&tok.name) == Container::Flow
                {
                    out.push('\n');
                }
            }
            Kind::Close => {
                // A stray end tag changes nothing (and `tidy` drops a stray `</p>`).
                let Some(at) = stack.iter().rposition(|open| *open == tok.name) else {
                    continue;
                };
                stack.truncate(at);
                // A newline between blocks, none before the end of a caption or a cell.
                if container(&stack) == Container::Flow
                    || stack
                        .last()
                        .is_some_and(|top| STRUCTURAL.contains(&top.as_str()))
                {
                    out.push('\n');
                }
            }
            Kind::Raw | Kind::Text | Kind::Comment => out.push('\n'),
        }
    }
    flush_run(&mut out, &run, container(&stack));
    tidy(&out).trim().to_owned()
}

// ---------------------------------------------------------------------------------
// Element classes

/// `wpautop`'s `$allblocks`: never wrapped in `<p>`, and they end a paragraph.
const BLOCKS: &[&str] = &[
    "address",
    "area",
    "article",
    "aside",
    "blockquote",
    "caption",
    "col",
    "colgroup",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "legend",
    "li",
    "map",
    "math",
    "menu",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "style",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Block elements without an end tag.
const VOID_BLOCKS: &[&str] = &["area", "col", "hr"];

/// Elements whose content is copied untouched, as one token; the first ones are
/// blocks, the others inline.
const RAW_BLOCKS: &[&str] = &["math", "pre", "style"];
const RAW_INLINE: &[&str] = &["script", "svg", "textarea"];

/// Blocks that hold other blocks, not text: a newline follows their opening tag.
const STRUCTURAL: &[&str] = &[
    "colgroup", "dl", "hgroup", "map", "menu", "ol", "table", "tbody", "tfoot", "thead", "tr", "ul",
];

/// Wrappers the sanitiser strips (keeping their text): they become paragraph
/// boundaries so that what they held does not run into its neighbours.
const WRAPPERS: &[&str] = &[
    "address", "article", "aside", "center", "dd", "details", "div", "dl", "dt", "fieldset",
    "footer", "form", "header", "hgroup", "legend", "main", "nav", "section", "summary",
];

/// Inline elements that show nothing by themselves: a paragraph holding only these
/// and white space is empty.
const BLANK_INLINE: &[&str] = &[
    "a", "abbr", "b", "big", "br", "cite", "del", "em", "font", "i", "ins", "label", "mark", "s",
    "small", "span", "strike", "strong", "sub", "sup", "u",
];

/// Elements the sanitiser drops whose address is worth a link.
const EMBEDS: &[&str] = &["audio", "embed", "iframe", "object", "video"];

/// How deep shortcodes are expanded inside one another; deeper ones stay as text.
const MAX_DEPTH: usize = 16;

/// How many unclosed Gutenberg blocks are followed (to notice one left empty).
const MAX_OPEN_BLOCKS: usize = 256;

/// What text directly inside an element becomes in `autop`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    /// Every paragraph wrapped in `<p>` (the top level, `<blockquote>`, `<div>`…).
    Flow,
    /// Left unwrapped unless a blank line splits it (`<li>`, `<td>`, `<figure>`…).
    Mixed,
    /// Inside a `<p>`: a blank line closes it and opens another.
    Para,
    /// Anything else (headings, captions, lists, tables): a blank line is a `<br>`.
    Phrasing,
}

fn class_of(name: &str) -> Container {
    match name {
        "address" | "article" | "aside" | "blockquote" | "details" | "div" | "fieldset"
        | "footer" | "form" | "header" | "nav" | "section" => Container::Flow,
        "dd" | "dt" | "figure" | "li" | "td" | "th" => Container::Mixed,
        "p" => Container::Para,
        _ => Container::Phrasing,
    }
}

fn container(stack: &[String]) -> Container {
    stack.last().map_or(Container::Flow, |name| class_of(name))
}

/// Pushes an opened block, first closing what HTML closes implicitly.
fn open_block(stack: &mut Vec<String>, name: &str) {
    let top_is = |stack: &Vec<String>, names: &[&str]| {
        stack
            .last()
            .is_some_and(|top| names.contains(&top.as_str()))
    };
    // A paragraph cannot hold a block.
    if top_is(stack, &["p"]) {
        stack.pop();
    }
    let implied: &[&[&str]] = match name {
        "li" => &[&["li"]],
        "td" | "th" => &[&["td", "th"]],
        "tr" => &[&["td", "th"], &["tr"]],
        "dd" | "dt" => &[&["dd", "dt"]],
        _ => &[],
    };
    for names in implied {
        if top_is(stack, names) {
            stack.pop();
        }
    }
    stack.push(name.to_owned());
}

// ---------------------------------------------------------------------------------
// Tokens

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Open,
    Close,
    /// A comment, or a `<!…>` / `<?…>` declaration.
    Comment,
    /// A `RAW_BLOCKS` or `RAW_INLINE` element, start tag to end tag.
    Raw,
}

#[derive(Debug)]
struct Token<'a> {
    kind: Kind,
    raw: &'a str,
    /// The lower-case element name (empty for text and comments).
    name: String,
    self_closing: bool,
}

impl Token<'_> {
    fn is(&self, kind: Kind, name: &str) -> bool {
        self.kind == kind && self.name == name
    }

    fn is_tag(&self, name: &str) -> bool {
        matches!(self.kind, Kind::Open | Kind::Close) && self.name == name
    }

    fn is_block(&self) -> bool {
        match self.kind {
            Kind::Open | Kind::Close => BLOCKS.contains(&self.name.as_str()),
            Kind::Raw => RAW_BLOCKS.contains(&self.name.as_str()),
            Kind::Text | Kind::Comment => false,
        }
    }
}

struct Markup {
    end: usize,
    kind: Kind,
    name: String,
    self_closing: bool,
}

/// Splits `s` into text, tags, comments and raw elements. A `<` that starts no
/// well-formed markup is text.
fn tokenize(s: &str) -> Vec<Token<'_>> {
    let b = s.as_bytes();
    let mut scanner = Scanner::new(s);
    let mut tokens = Vec::new();
    let (mut i, mut text_start) = (0, 0);
    while let Some(at) = find_byte(b, i, b'<') {
        if let Some(m) = scanner.markup_at(at) {
            if text_start < at {
                tokens.push(Token {
                    kind: Kind::Text,
                    raw: &s[text_start..at],
                    name: String::new(),
                    self_closing: false,
                });
            }
            tokens.push(Token {
                kind: m.kind,
                raw: &s[at..m.end],
                name: m.name,
                self_closing: m.self_closing,
            });
            i = m.end;
            text_start = m.end;
        } else {
            i = at + 1;
        }
    }
    if text_start < s.len() {
        tokens.push(Token {
            kind: Kind::Text,
            raw: &s[text_start..],
            name: String::new(),
            self_closing: false,
        });
    }
    tokens
}

/// The last search for one pattern: where it started and what it found. A later
/// search from a position between the two has the same answer, so scanning a text full
/// of unterminated comments or elements stays linear.
#[derive(Debug, Clone, Copy, Default)]
struct Memo {
    searched: Option<(usize, Option<usize>)>,
}

impl Memo {
    fn find(&mut self, from: usize, search: impl FnOnce() -> Option<usize>) -> Option<usize> {
        if let Some((start, found)) = self.searched
            && from >= start
            && found.is_none_or(|at| from <= at)
        {
            return found;
        }
        let found = search();
        self.searched = Some((from, found));
        found
    }
}

/// Finds markup in one text.
struct Scanner<'a> {
    s: &'a str,
    comment_end: Memo,
    gt: Memo,
    /// Per raw element name, the search for its end tag.
    end_tags: HashMap<String, Memo>,
}

impl<'a> Scanner<'a> {
    fn new(s: &'a str) -> Self {
        Scanner {
            s,
            comment_end: Memo::default(),
            gt: Memo::default(),
            end_tags: HashMap::new(),
        }
    }

    fn find_gt(&mut self, from: usize) -> Option<usize> {
        let b = self.s.as_bytes();
        self.gt.find(from, || find_byte(b, from, b'>'))
    }

    /// The markup starting at the `<` at `i`, if there is one. `end` is just past its
    /// last `>` (or the end of the text for a raw element whose end tag has no `>`).
    fn markup_at(&mut self, i: usize) -> Option<Markup> {
        let s = self.s;
        let b = s.as_bytes();
        if b.get(i) != Some(&b'<') {
            return None;
        }
        let next = *b.get(i + 1)?;
        if next == b'!' || next == b'?' {
            let end = if b[i..].starts_with(b"<!--") {
                self.comment_end.find(i + 4, || find_str(s, i + 4, "-->"))? + 3
            } else {
                self.find_gt(i + 2)? + 1
            };
            return Some(Markup {
                end,
                kind: Kind::Comment,
                name: String::new(),
                self_closing: false,
            });
        }
        let closing = next == b'/';
        let name_start = i + 1 + usize::from(closing);
        if !b.get(name_start)?.is_ascii_alphabetic() {
            return None;
        }
        let mut name_end = name_start + 1;
        while b
            .get(name_end)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b':')
        {
            name_end += 1;
        }
        if b.get(name_end)
            .is_some_and(|c| !c.is_ascii_whitespace() && *c != b'/' && *c != b'>')
        {
            return None;
        }
        let end = self.tag_end(name_end)?;
        let name = s[name_start..name_end].to_ascii_lowercase();
        let self_closing = !closing && end >= 2 && b.get(end - 2) == Some(&b'/');
        if !closing
            && !self_closing
            && (RAW_BLOCKS.contains(&name.as_str()) || RAW_INLINE.contains(&name.as_str()))
        {
            let found = self
                .end_tags
                .entry(name.clone())
                .or_default()
                .find(end, || end_tag_start(s, end, &name));
            // Unterminated, it is an ordinary start tag (as `wpautop` treats an
            // unterminated `<pre>`).
            if let Some(close) = found {
                return Some(Markup {
                    end: find_byte(b, close, b'>').map_or(b.len(), |gt| gt + 1),
                    kind: Kind::Raw,
                    name,
                    self_closing,
                });
            }
        }
        Some(Markup {
            end,
            kind: if closing { Kind::Close } else { Kind::Open },
            name,
            self_closing,
        })
    }

    /// Just past the `>` that ends a tag whose name ends at `from`; quotes around
    /// attribute values are respected. `None` if there is no `>`.
    fn tag_end(&mut self, from: usize) -> Option<usize> {
        let first_gt = self.find_gt(from)?;
        let b = self.s.as_bytes();
        let mut prev = 0u8;
        let mut j = from;
        while let Some(&c) = b.get(j) {
            if c == b'>' {
                return Some(j + 1);
            }
            if (c == b'"' || c == b'\'') && prev == b'=' {
                // A quote that never closes: the first `>` ends the tag after all.
                let Some(close) = find_byte(b, j + 1, c) else {
                    return Some(first_gt + 1);
                };
                j = close;
            }
            if !c.is_ascii_whitespace() {
                prev = c;
            }
            j += 1;
        }
        None
    }
}

/// Where the end tag `</name` (any case, then white space or `>`) found from `from`
/// starts.
fn end_tag_start(s: &str, from: usize, name: &str) -> Option<usize> {
    let b = s.as_bytes();
    let n = name.as_bytes();
    let mut j = from;
    while let Some(at) = find_byte(b, j, b'<') {
        let name_at = at + 2;
        if b.get(at + 1) == Some(&b'/')
            && b.get(name_at..name_at + n.len())
                .is_some_and(|x| x.eq_ignore_ascii_case(n))
            && b.get(name_at + n.len())
                .is_none_or(|c| c.is_ascii_whitespace() || *c == b'>')
        {
            return Some(at);
        }
        j = at + 1;
    }
    None
}

/// The value of attribute `name` in the start tag `raw`, undecoded.
fn tag_attr<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    let b = raw.as_bytes();
    let mut j = 1;
    while b
        .get(j)
        .is_some_and(|c| !c.is_ascii_whitespace() && *c != b'>' && *c != b'/')
    {
        j += 1;
    }
    loop {
        while b
            .get(j)
            .is_some_and(|c| c.is_ascii_whitespace() || *c == b'/')
        {
            j += 1;
        }
        match b.get(j) {
            None | Some(b'>') => return None,
            Some(_) => {}
        }
        let name_start = j;
        while b
            .get(j)
            .is_some_and(|c| !c.is_ascii_whitespace() && !matches!(c, b'=' | b'>' | b'/'))
        {
            j += 1;
        }
        let attr = &raw[name_start..j];
        while b.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        let mut value = "";
        if b.get(j) == Some(&b'=') {
            j += 1;
            while b.get(j).is_some_and(u8::is_ascii_whitespace) {
                j += 1;
            }
            match b.get(j) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let end = find_byte(b, j + 1, q).unwrap_or(b.len());
                    value = &raw[j + 1..end];
                    j = end + 1;
                }
                _ => {
                    let start = j;
                    while b
                        .get(j)
                        .is_some_and(|c| !c.is_ascii_whitespace() && *c != b'>')
                    {
                        j += 1;
                    }
                    value = &raw[start..j];
                }
            }
        }
        if attr.eq_ignore_ascii_case(name) {
            return Some(value);
        }
        if j == name_start {
            // A lone `=` or the like: step over it.
            j += 1;
        }
    }
}

// ---------------------------------------------------------------------------------
// autop

/// One piece of an inline run.
#[derive(Debug, Clone, Copy)]
enum Seg<'a> {
    Text(&'a str),
    Br(&'a str),
    /// Any other markup, and whether it shows something (a comment does not).
    Other(&'a str, bool),
}

/// Writes a run of inline tokens as the paragraphs `container` calls for.
fn flush_run(out: &mut String, run: &[&Token<'_>], container: Container) {
    if run.is_empty() {
        return;
    }
    let rendered: Vec<(String, bool)> = paragraphs(run)
        .iter()
        .filter_map(|segs| render_paragraph(segs))
        .collect();
    if rendered.is_empty() {
        return;
    }
    let shown = rendered.iter().filter(|(_, visible)| *visible).count();
    match container {
        Container::Flow | Container::Mixed if container == Container::Flow || shown > 1 => {
            for (html, visible) in &rendered {
                if *visible {
                    out.push_str("<p>");
                    out.push_str(html);
                    out.push_str("</p>\n");
                } else {
                    out.push_str(html);
                    out.push('\n');
                }
            }
        }
        Container::Flow | Container::Mixed => {
            for (html, _) in &rendered {
                out.push_str(html);
            }
        }
        Container::Para | Container::Phrasing => {
            let glue = if container == Container::Para {
                "</p>\n<p>"
            } else {
                "<br>\n"
            };
            for (n, (html, _)) in rendered.iter().enumerate() {
                if n > 0 {
                    out.push_str(glue);
                }
                out.push_str(html);
            }
        }
    }
}

/// Splits an inline run at blank lines and at two or more `<br>`s in a row.
fn paragraphs<'a>(run: &[&Token<'a>]) -> Vec<Vec<Seg<'a>>> {
    let mut paras: Vec<Vec<Seg<'a>>> = vec![Vec::new()];
    let push = |paras: &mut Vec<Vec<Seg<'a>>>, seg: Seg<'a>| {
        if let Some(last) = paras.last_mut() {
            last.push(seg);
        }
    };
    let mut k = 0;
    while let Some(tok) = run.get(k) {
        match tok.kind {
            Kind::Text => {
                let mut rest = tok.raw;
                while let Some((before, after)) = split_blank_line(rest) {
                    push(&mut paras, Seg::Text(before));
                    paras.push(Vec::new());
                    rest = after;
                }
                push(&mut paras, Seg::Text(rest));
            }
            Kind::Open | Kind::Close if tok.name == "br" => {
                let (mut j, mut brs, mut last_br) = (k + 1, 1, k);
                while let Some(next) = run.get(j) {
                    if next.kind == Kind::Text && next.raw.trim_ascii().is_empty() {
                        j += 1;
                    } else if next.is_tag("br") {
                        brs += 1;
                        last_br = j;
                        j += 1;
                    } else {
                        break;
                    }
                }
                if brs >= 2 {
                    paras.push(Vec::new());
                    k = last_br + 1;
                    continue;
                }
                push(&mut paras, Seg::Br(tok.raw));
            }
            Kind::Comment => push(&mut paras, Seg::Other(tok.raw, false)),
            Kind::Open | Kind::Close | Kind::Raw => push(&mut paras, Seg::Other(tok.raw, true)),
        }
        k += 1;
    }
    paras
}

/// `s` cut around its first blank line (a newline, white space, a newline), the white
/// space dropped.
fn split_blank_line(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(at) = find_byte(b, from, b'\n') {
        let (mut j, mut newlines) = (at + 1, 1);
        while let Some(&c) = b.get(j) {
            if c == b'\n' {
                newlines += 1;
            } else if !matches!(c, b' ' | b'\t' | b'\r' | 0x0b | 0x0c) {
                break;
            }
            j += 1;
        }
        if newlines >= 2 {
            return Some((&s[..at], &s[j..]));
        }
        from = at + 1;
    }
    None
}

/// One paragraph's HTML, trimmed, with `<br>` for its newlines, and whether it shows
/// anything; `None` if it is only white space and `<br>`s.
fn render_paragraph(segs: &[Seg<'_>]) -> Option<(String, bool)> {
    let meaningful = |seg: &Seg<'_>| match seg {
        Seg::Text(t) => !t.trim_ascii().is_empty(),
        Seg::Br(_) => false,
        Seg::Other(..) => true,
    };
    let first = segs.iter().position(meaningful)?;
    let last = segs.iter().rposition(meaningful)?;
    let mut out = String::new();
    let (mut visible, mut after_br) = (false, false);
    for (n, seg) in segs
        .get(first..=last)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        match *seg {
            Seg::Text(text) => {
                let mut text = text;
                if n == 0 {
                    text = text.trim_ascii_start();
                }
                if n == last - first {
                    text = text.trim_ascii_end();
                }
                for (m, line) in text.split('\n').enumerate() {
                    if m > 0 {
                        let kept = out.trim_end_matches([' ', '\t']).len();
                        out.truncate(kept);
                        if !after_br {
                            out.push_str("<br>");
                        }
                        out.push('\n');
                        after_br = true;
                    }
                    out.push_str(line);
                    if !line.trim_ascii().is_empty() {
                        after_br = false;
                        visible = true;
                    }
                }
            }
            Seg::Br(raw) => {
                out.push_str(raw);
                after_br = true;
            }
            Seg::Other(raw, shows) => {
                out.push_str(raw);
                after_br = false;
                visible |= shows;
            }
        }
    }
    Some((out, visible))
}

// ---------------------------------------------------------------------------------
// Tidy

/// Leaves no empty `<p>` (white space, `&nbsp;`, `<br>` and empty inline elements only),
/// no `<p>` inside a `<p>`, no `<p>` left open across a block and no stray `</p>`, and
/// collapses blank lines between tags.
fn tidy(html: &str) -> String {
    let tokens = tokenize(html);
    let mut out = String::with_capacity(html.len());
    // Where the open paragraph's `<p>` and its content start in `out`.
    let mut open: Option<(usize, usize)> = None;
    // After a paragraph dropped for being empty, the white space that followed it goes too.
    let mut dropped = false;
    for tok in &tokens {
        let was_dropped = std::mem::replace(&mut dropped, false);
        match tok.kind {
            Kind::Open if tok.name == "p" => {
                dropped = close_paragraph(&mut out, &mut open);
                if !tok.self_closing {
                    let start = out.len();
                    out.push_str(tok.raw);
                    open = Some((start, out.len()));
                }
            }
            Kind::Close if tok.name == "p" => dropped = close_paragraph(&mut out, &mut open),
            Kind::Text => {
                let mut rest = if was_dropped {
                    tok.raw.trim_ascii_start()
                } else {
                    tok.raw
                };
                while let Some((before, after)) = split_blank_line(rest) {
                    out.push_str(before);
                    out.push('\n');
                    rest = after;
                }
                out.push_str(rest);
            }
            _ => {
                if tok.is_block() {
                    dropped = close_paragraph(&mut out, &mut open);
                }
                out.push_str(tok.raw);
            }
        }
    }
    close_paragraph(&mut out, &mut open);
    out
}

/// Closes the open paragraph, dropping it if it shows nothing; `true` if it was dropped.
fn close_paragraph(out: &mut String, open: &mut Option<(usize, usize)>) -> bool {
    let Some((start, content)) = open.take() else {
        return false;
    };
    let trimmed = out
        .trim_end_matches(|c: char| c.is_ascii_whitespace())
        .len();
    if out.get(content..trimmed).is_none_or(is_blank_html) {
        out.truncate(start);
        true
    } else {
        out.truncate(trimmed.max(content));
        out.push_str("</p>");
        false
    }
}

/// Whether `html` shows nothing: white space (with `&nbsp;`), comments, `<br>` and
/// inline elements holding no more than that.
fn is_blank_html(html: &str) -> bool {
    tokenize(html).iter().all(|tok| match tok.kind {
        Kind::Text => {
            let mut text = tok.raw.to_owned();
            for entity in ["&nbsp;", "&#160;", "&#xa0;", "&#xA0;"] {
                text = text.replace(entity, " ");
            }
            text.trim().is_empty()
        }
        Kind::Comment => true,
        Kind::Open | Kind::Close => BLANK_INLINE.contains(&tok.name.as_str()),
        Kind::Raw => false,
    })
}

// ---------------------------------------------------------------------------------
// convert's passes

/// A shortcode's opening tag.
struct Opener {
    name: String,
    atts: Vec<(Option<String>, String)>,
    self_closing: bool,
    /// Just past its `]`.
    end: usize,
}

impl Opener {
    fn att(&self, key: &str) -> Option<&str> {
        self.atts
            .iter()
            .find(|(k, _)| k.as_deref() == Some(key))
            .map(|(_, v)| v.as_str())
    }
}

struct Ctx<'m> {
    media: &'m dyn Fn(u64) -> Option<MediaRef>,
    notes: Vec<String>,
    /// Keys of what was already noted.
    said: HashSet<String>,
    /// In `fixups`, per embed element name, the indices of its end tags.
    embed_closes: HashMap<String, Vec<usize>>,
}

impl Ctx<'_> {
    /// Notes `text` unless a note with `key` was already made.
    fn note_once(&mut self, key: &str, text: String) {
        if self.said.insert(key.to_owned()) {
            self.notes.push(text);
        }
    }

    fn note(&mut self, text: String) {
        if self.said.insert(text.clone()) {
            self.notes.push(text);
        }
    }

    /// Step 1: every complete HTML comment out; Gutenberg's noted when a block had no
    /// HTML of its own. An unterminated block comment loses its opening only; any other
    /// unterminated `<!--` is escaped so that the sanitiser keeps the text after it.
    fn strip_comments(&mut self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let (mut i, mut copied) = (0, 0);
        // Open blocks: name and where their content starts in `out`.
        let mut blocks: Vec<(String, usize)> = Vec::new();
        let mut comment_end = Memo::default();
        while let Some(at) = find_str(s, i, "<!--") {
            out.push_str(&s[copied..at]);
            let body_start = at + 4;
            if let Some(close) = comment_end.find(body_start, || find_str(s, body_start, "-->")) {
                if let Some(block) = block_comment(&s[body_start..close]) {
                    if block.closer {
                        if let Some(pos) = blocks.iter().rposition(|(n, _)| *n == block.name) {
                            let mark = blocks[pos].1;
                            blocks.truncate(pos);
                            if out.get(mark..).is_none_or(|inner| inner.trim().is_empty()) {
                                self.dynamic_block(&block.name);
                            }
                        }
                    } else if block.self_closing {
                        self.dynamic_block(&block.name);
                    } else if blocks.len() < MAX_OPEN_BLOCKS {
                        blocks.push((block.name, out.len()));
                    }
                }
                i = close + 3;
            } else if let Some((used, name)) = unterminated_block(&s[body_start..]) {
                self.note_once(
                    &format!("unterminated:{name}"),
                    format!(
                        "Chú thích khối Gutenberg wp:{name} không được đóng (thiếu “-->”), \
                         đã bỏ phần mở đầu, giữ lại nội dung phía sau."
                    ),
                );
                i = body_start + used;
            } else {
                out.push_str("&lt;!--");
                i = body_start;
            }
            copied = i;
        }
        out.push_str(s.get(copied..).unwrap_or_default());
        out
    }

    fn dynamic_block(&mut self, name: &str) {
        self.note_once(
            &format!("block:{name}"),
            format!("Khối động {name} bị bỏ (không có nội dung HTML để nhập)."),
        );
    }

    /// Step 2: shortcodes, outside tags and raw elements (`<pre>`…).
    fn shortcodes(&mut self, s: &str, depth: usize) -> String {
        if depth > MAX_DEPTH || !s.contains('[') {
            return s.to_owned();
        }
        let b = s.as_bytes();
        let mut out = String::with_capacity(s.len());
        let mut scanner = Scanner::new(s);
        let mut closers: HashMap<String, Vec<usize>> = HashMap::new();
        let (mut i, mut copied) = (0, 0);
        while let Some(&c) = b.get(i) {
            match c {
                b'<' => i = scanner.markup_at(i).map_or(i + 1, |m| m.end),
                b'[' => {
                    if let Some((end, html)) = self.shortcode_at(s, i, depth, &mut closers) {
                        out.push_str(&s[copied..i]);
                        out.push_str(&html);
                        i = end;
                        copied = end;
                    } else {
                        i += 1;
                    }
                }
                _ => i += 1,
            }
        }
        out.push_str(s.get(copied..).unwrap_or_default());
        out
    }

    /// The shortcode at the `[` at `i`: where it ends and its HTML.
    fn shortcode_at(
        &mut self,
        s: &str,
        i: usize,
        depth: usize,
        closers: &mut HashMap<String, Vec<usize>>,
    ) -> Option<(usize, String)> {
        let b = s.as_bytes();
        let escaped = b.get(i + 1) == Some(&b'[');
        let start = i + usize::from(escaped);
        if b.get(start + 1) == Some(&b'/') {
            let (name, end) = parse_closer(s, start)?;
            if escaped {
                return (b.get(end) == Some(&b']')).then(|| (end + 1, s[start..end].to_owned()));
            }
            self.note_once(
                &format!("stray:{name}"),
                format!("Thẻ đóng mã ngắn [/{name}] không có thẻ mở, đã bỏ."),
            );
            return Some((end, String::new()));
        }
        let op = parse_opener(s, start)?;
        let closer = if op.self_closing {
            None
        } else {
            closer_after(closers, s, &op.name, op.end)
        };
        let closer_end = closer.map(|at| at + op.name.len() + 3);
        if escaped {
            // `[[foo]…[/foo]]` and `[[foo]]` are the literal text without the outer
            // brackets; `[[foo]` is `[` then the shortcode, from the next position.
            if let Some(end) = closer_end
                && b.get(end) == Some(&b']')
            {
                return Some((end + 1, s[start..end].to_owned()));
            }
            return (b.get(op.end) == Some(&b']'))
                .then(|| (op.end + 1, s[start..op.end].to_owned()));
        }
        let known = matches!(
            op.name.as_str(),
            "caption" | "wp_caption" | "gallery" | "embed" | "video" | "audio"
        );
        // An unknown name with positional words and no closing tag is more likely
        // bracketed text than a shortcode: left alone.
        if !known && closer.is_none() && op.atts.iter().any(|(k, _)| k.is_none()) {
            return None;
        }
        let (content, end) = match (closer, closer_end) {
            (Some(at), Some(end)) => (s.get(op.end..at), end),
            _ => (None, op.end),
        };
        let html = match op.name.as_str() {
            "caption" | "wp_caption" => self.caption(&op, content.unwrap_or_default(), depth),
            "gallery" => {
                let mut html = self.gallery(&op);
                if let Some(inner) = content {
                    html.push_str(&self.shortcodes(inner, depth + 1));
                }
                html
            }
            "embed" => self.embed(content, depth),
            "video" | "audio" => self.media_link(&op, content, depth),
            _ => self.unknown(&op.name, content, depth),
        };
        Some((end, html))
    }

    /// `[caption …]<img …/> text[/caption]` (the image possibly in a link, or the text in
    /// a `caption` attribute) → `<figure>` with a `<figcaption>`; without a caption,
    /// the content as is (as `WordPress` does).
    fn caption(&mut self, op: &Opener, content: &str, depth: usize) -> String {
        let attr_caption = op.att("caption").map(str::trim).filter(|c| !c.is_empty());
        let Some((img_start, img_end)) = find_image(content) else {
            let mut html = self.shortcodes(content, depth + 1);
            if let Some(caption) = attr_caption {
                html.push_str("\n\n");
                html.push_str(&self.shortcodes(caption, depth + 1));
            }
            return html;
        };
        let before = content.get(..img_start).unwrap_or_default();
        let image = content.get(img_start..img_end).unwrap_or_default();
        let after = content.get(img_end..).unwrap_or_default();
        let (caption, rest) = match attr_caption {
            Some(caption) => (caption, after),
            None => (after.trim(), ""),
        };
        let mut html = self.shortcodes(before, depth + 1);
        if caption.is_empty() {
            html.push_str(image);
        } else {
            html.push_str("<figure>");
            html.push_str(image);
            html.push_str("<figcaption>");
            html.push_str(&self.shortcodes(caption, depth + 1));
            html.push_str("</figcaption></figure>");
        }
        html.push_str(&self.shortcodes(rest, depth + 1));
        html
    }

    /// `[gallery ids="1,2"]` → one `<figure>` per image the export has.
    fn gallery(&mut self, op: &Opener) -> String {
        let ids = op
            .att("ids")
            .or_else(|| op.att("include"))
            .unwrap_or_default();
        if ids.trim().is_empty() {
            self.note_once(
                "gallery:no-ids",
                "Mã ngắn [gallery] không ghi danh sách ảnh (ids) nên không chuyển được, đã bỏ; \
                 hãy chèn lại ảnh bằng tay."
                    .to_owned(),
            );
            return String::new();
        }
        let mut html = String::new();
        let mut missing = Vec::new();
        for id in ids.split(',').map(str::trim).filter(|id| !id.is_empty()) {
            let found = id
                .parse::<u64>()
                .ok()
                .and_then(|n| (self.media)(n))
                .filter(|m| !m.src.trim().is_empty());
            let Some(m) = found else {
                missing.push(id);
                continue;
            };
            if !html.is_empty() {
                html.push('\n');
            }
            html.push_str(&format!(
                "<figure><img src=\"{}\" alt=\"{}\">",
                escape_html(m.src.trim()),
                escape_html(&m.alt)
            ));
            if !m.caption.trim().is_empty() {
                html.push_str("<figcaption>");
                html.push_str(m.caption.trim());
                html.push_str("</figcaption>");
            }
            html.push_str("</figure>");
        }
        if !missing.is_empty() {
            self.note(format!(
                "Thư viện ảnh [gallery]: không tìm thấy ảnh mã {} trong tệp xuất, đã bỏ các ảnh này.",
                missing.join(", ")
            ));
        }
        html
    }

    /// `[embed]URL[/embed]` → a link paragraph.
    fn embed(&mut self, content: Option<&str>, depth: usize) -> String {
        let content = content.unwrap_or_default();
        let url = media_url(&decode_entities(content.trim()));
        if is_url(&url) {
            self.note(format!("Nội dung nhúng {url} được thay bằng liên kết."));
            return link_paragraph(&url);
        }
        self.note_once(
            "embed:bad",
            "Mã ngắn [embed] không chứa địa chỉ hợp lệ, đã bỏ mã ngắn, giữ lại nội dung bên trong."
                .to_owned(),
        );
        self.shortcodes(content, depth + 1)
    }

    /// `[video src="URL"]`, `[audio mp3="URL"]`… → a link paragraph.
    fn media_link(&mut self, op: &Opener, content: Option<&str>, depth: usize) -> String {
        let (keys, what): (&[&str], &str) = if op.name == "video" {
            (&["src", "mp4", "m4v", "webm", "ogv", "wmv", "flv"], "video")
        } else {
            (
                &["src", "mp3", "m4a", "ogg", "wav", "wma", "flac"],
                "âm thanh",
            )
        };
        let url = keys
            .iter()
            .find_map(|key| op.att(key).filter(|v| !v.trim().is_empty()))
            .map(|v| media_url(&decode_entities(v.trim())))
            .filter(|u| is_url(u));
        let mut html = if let Some(url) = url {
            self.note(format!("Tệp {what} {url} được thay bằng liên kết."));
            link_paragraph(&url)
        } else {
            self.note_once(
                &format!("media:{}", op.name),
                format!(
                    "Mã ngắn [{}] không ghi địa chỉ tệp nên không chuyển được, đã bỏ.",
                    op.name
                ),
            );
            String::new()
        };
        if let Some(inner) = content {
            let inner = self.shortcodes(inner, depth + 1);
            if !inner.trim().is_empty() {
                html.push_str(&inner);
            }
        }
        html
    }

    /// Any other shortcode: removed, its content kept.
    fn unknown(&mut self, name: &str, content: Option<&str>, depth: usize) -> String {
        let inner = content
            .map(|c| self.shortcodes(c, depth + 1))
            .unwrap_or_default();
        let text = if inner.trim().is_empty() {
            format!("Mã ngắn [{name}] không được hỗ trợ, đã bỏ.")
        } else {
            format!("Mã ngắn [{name}] không được hỗ trợ, đã bỏ, giữ lại nội dung bên trong.")
        };
        self.note_once(&format!("shortcode:{name}"), text);
        // Content over several lines or with blocks was a block of its own.
        if inner.contains('\n') || tokenize(&inner).iter().any(Token::is_block) {
            format!("\n\n{}\n\n", inner.trim())
        } else {
            inner
        }
    }

    /// Step 3: what the sanitiser would drop or merge, made to survive it.
    fn fixups(&mut self, s: &str) -> String {
        let tokens = tokenize(s);
        self.embed_closes.clear();
        let mut out = String::with_capacity(s.len());
        let mut in_link = 0usize;
        let mut k = 0;
        while let Some(tok) = tokens.get(k) {
            let name = tok.name.as_str();
            match tok.kind {
                Kind::Text if in_link == 0 => {
                    // As `WordPress`'s `autoembed`: a line of its own, or all of a `<p>`.
                    let before = k == 0 || tokens.get(k - 1).is_some_and(|t| t.is(Kind::Open, "p"));
                    let after = tokens.get(k + 1).is_none_or(|t| t.is(Kind::Close, "p"));
                    self.url_lines(&mut out, tok.raw, before, after);
                }
                Kind::Raw if matches!(name, "script" | "style") => self.note_once(
                    "script",
                    "Đã bỏ mã <script>/<style> trong bài (không được phép trong nội dung)."
                        .to_owned(),
                ),
                Kind::Open | Kind::Close if WRAPPERS.contains(&name) => out.push_str("\n\n"),
                Kind::Open | Kind::Close if name == "h1" => out.push_str(&rename(tok, "h2")),
                Kind::Open | Kind::Close if matches!(name, "h5" | "h6") => {
                    out.push_str(&rename(tok, "h4"));
                }
                Kind::Open if EMBEDS.contains(&name) => {
                    k = self.embed_element(&tokens, k, &mut out);
                }
                // A stray end tag of an embed, or what goes only inside one.
                Kind::Close if EMBEDS.contains(&name) => {}
                Kind::Open | Kind::Close if matches!(name, "source" | "track" | "param") => {}
                Kind::Open if name == "a" && !tok.self_closing => {
                    in_link += 1;
                    out.push_str(tok.raw);
                }
                Kind::Close if name == "a" => {
                    in_link = in_link.saturating_sub(1);
                    out.push_str(tok.raw);
                }
                _ => out.push_str(tok.raw),
            }
            k += 1;
        }
        out
    }

    /// Copies `text`, replacing each line that is only an address with a link paragraph:
    /// `WordPress` would auto-embed it. `before`/`after`: whether the start/end of `text`
    /// bounds a line (the start or end of the content, or of a `<p>`).
    fn url_lines(&mut self, out: &mut String, text: &str, before: bool, after: bool) {
        let lines: Vec<&str> = text.split('\n').collect();
        let last = lines.len().saturating_sub(1);
        for (n, line) in lines.iter().enumerate() {
            if n > 0 {
                out.push('\n');
            }
            let bounded = (n > 0 || before) && (n < last || after);
            let url = if bounded {
                media_url(&decode_entities(line.trim()))
            } else {
                String::new()
            };
            if is_url(&url) {
                self.note(format!(
                    "Địa chỉ {url} đứng riêng một dòng (WordPress tự nhúng) được chuyển thành liên kết."
                ));
                out.push_str(&link_paragraph(&url));
            } else {
                out.push_str(line);
            }
        }
    }

    /// An `<iframe>`, `<video>`, `<audio>`, `<object>` or `<embed>` element (the start
    /// tag at `k`) → a link paragraph to its address. Returns the index of its last token.
    fn embed_element(&mut self, tokens: &[Token<'_>], k: usize, out: &mut String) -> usize {
        let Some(open) = tokens.get(k) else { return k };
        let name = open.name.as_str();
        // These elements do not nest: the first end tag after the start tag ends it.
        let end = if name == "embed" || open.self_closing {
            k
        } else {
            let closes = self.embed_closes.entry(name.to_owned()).or_insert_with(|| {
                tokens
                    .iter()
                    .enumerate()
                    .filter(|(_, tok)| tok.is(Kind::Close, name))
                    .map(|(j, _)| j)
                    .collect()
            });
            closes
                .get(closes.partition_point(|&j| j <= k))
                .copied()
                .unwrap_or(k)
        };
        let own = tag_attr(open.raw, if name == "object" { "data" } else { "src" });
        let inner = || {
            tokens
                .get(k + 1..=end)
                .unwrap_or_default()
                .iter()
                .filter(|tok| tok.kind == Kind::Open)
                .find_map(|tok| match tok.name.as_str() {
                    "source" | "embed" => tag_attr(tok.raw, "src"),
                    "param" => tag_attr(tok.raw, "name")
                        .filter(|n| {
                            n.eq_ignore_ascii_case("movie") || n.eq_ignore_ascii_case("src")
                        })
                        .and_then(|_| tag_attr(tok.raw, "value")),
                    _ => None,
                })
        };
        let url = own
            .filter(|u| !u.trim().is_empty())
            .or_else(inner)
            .map(|u| media_url(&decode_entities(u.trim())))
            .filter(|u| is_url(u));
        if let Some(url) = url {
            self.note(format!(
                "Khung nhúng <{name}> {url} được thay bằng liên kết."
            ));
            out.push_str("\n\n");
            out.push_str(&link_paragraph(&url));
            out.push_str("\n\n");
        } else {
            self.note_once(
                &format!("embed-element:{name}"),
                format!("Phần tử <{name}> không có địa chỉ hợp lệ, đã bỏ."),
            );
        }
        end
    }
}

/// A Gutenberg block comment's body (between `<!--` and `-->`).
struct BlockComment {
    /// `wp:` and the block name.
    name: String,
    closer: bool,
    self_closing: bool,
}

fn block_comment(body: &str) -> Option<BlockComment> {
    let trimmed = body.trim_ascii_start();
    let (closer, rest) = trimmed
        .strip_prefix('/')
        .map_or((false, trimmed), |rest| (true, rest));
    let rest = rest.strip_prefix("wp:")?;
    let len = block_name_len(rest.as_bytes());
    if len == 0 {
        return None;
    }
    Some(BlockComment {
        name: format!("wp:{}", &rest[..len]),
        closer,
        self_closing: body.trim_ascii_end().ends_with('/'),
    })
}

fn block_name_len(b: &[u8]) -> usize {
    b.iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'_' | b'-'))
        .count()
}

/// An opening block comment with no `-->` (`rest` follows its `<!--`): how many bytes
/// its opening takes (`wp:name`, a JSON object, a `/`) and the block name.
fn unterminated_block(rest: &str) -> Option<(usize, &str)> {
    let b = rest.as_bytes();
    let mut j = skip_ascii_ws(b, 0);
    if b.get(j) == Some(&b'/') {
        j += 1;
    }
    if !b.get(j..).is_some_and(|x| x.starts_with(b"wp:")) {
        return None;
    }
    j += 3;
    let name_start = j;
    j += block_name_len(b.get(j..).unwrap_or_default());
    let name = &rest[name_start..j];
    j = skip_ascii_ws(b, j);
    if b.get(j) == Some(&b'{')
        && let Some(end) = json_object_end(b, j)
    {
        j = skip_ascii_ws(b, end);
    }
    if b.get(j) == Some(&b'/') {
        j += 1;
    }
    Some((j, name))
}

/// Just past the `}` closing the JSON object that starts at `from`.
fn json_object_end(b: &[u8], from: usize) -> Option<usize> {
    let (mut depth, mut in_string, mut j) = (0usize, false, from);
    while let Some(&c) = b.get(j) {
        if in_string {
            match c {
                b'\\' => j += 1,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match c {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return (c == b'}').then_some(j + 1);
                    }
                }
                _ => {}
            }
        }
        j += 1;
    }
    None
}

/// A shortcode opening `[name attrs]`, `[name attrs /]` at `start`. Names are lower
/// case ASCII letters, digits, `_` and `-`, starting with a letter.
fn parse_opener(s: &str, start: usize) -> Option<Opener> {
    let b = s.as_bytes();
    let name_start = start + 1;
    if !b.get(name_start)?.is_ascii_lowercase() {
        return None;
    }
    let mut name_end = name_start + 1;
    while b
        .get(name_end)
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'_' | b'-'))
    {
        name_end += 1;
    }
    let after = *b.get(name_end)?;
    if !(after.is_ascii_whitespace() || after == b']' || after == b'/') {
        return None;
    }
    // The attributes run to the first `]`; a `[` before it means this is no shortcode.
    let mut close = name_end;
    loop {
        match b.get(close) {
            Some(b']') => break,
            Some(b'[') | None => return None,
            Some(_) => close += 1,
        }
    }
    let raw = s[name_end..close].trim_end();
    let (raw, self_closing) = raw.strip_suffix('/').map_or((raw, false), |a| (a, true));
    Some(Opener {
        name: s[name_start..name_end].to_owned(),
        atts: parse_atts(raw),
        self_closing,
        end: close + 1,
    })
}

/// A closing tag `[/name]` at `start`: its name and just past it.
fn parse_closer(s: &str, start: usize) -> Option<(&str, usize)> {
    let b = s.as_bytes();
    let name_start = start + 2;
    if !b.get(name_start)?.is_ascii_lowercase() {
        return None;
    }
    let mut name_end = name_start + 1;
    while b
        .get(name_end)
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'_' | b'-'))
    {
        name_end += 1;
    }
    (b.get(name_end) == Some(&b']')).then(|| (&s[name_start..name_end], name_end + 1))
}

/// Where the first `[/name]` at or after `from` starts (positions found once per name).
fn closer_after(
    closers: &mut HashMap<String, Vec<usize>>,
    s: &str,
    name: &str,
    from: usize,
) -> Option<usize> {
    let found = closers.entry(name.to_owned()).or_insert_with(|| {
        let tag = format!("[/{name}]");
        s.match_indices(&tag).map(|(at, _)| at).collect()
    });
    let idx = found.partition_point(|&at| at < from);
    found.get(idx).copied()
}

/// `shortcode_parse_atts`: `key="v"`, `key='v'`, `key=v`, `"v"`, `'v'`, `v`;
/// keys lower-cased, positional values with no key.
fn parse_atts(text: &str) -> Vec<(Option<String>, String)> {
    let text = text.replace(['\u{a0}', '\u{200b}'], " ");
    let bytes = text.as_bytes();
    let bare_end = |from: usize| {
        let mut end = from;
        while bytes.get(end).is_some_and(|c| !c.is_ascii_whitespace()) {
            end += 1;
        }
        end
    };
    let mut atts = Vec::new();
    let mut at = 0;
    loop {
        at = skip_ascii_ws(bytes, at);
        let Some(&first) = bytes.get(at) else { break };
        if (first == b'"' || first == b'\'')
            && let Some(close) = find_byte(bytes, at + 1, first)
        {
            atts.push((None, text[at + 1..close].to_owned()));
            at = close + 1;
            continue;
        }
        let key_start = at;
        let mut key_end = at;
        while bytes
            .get(key_end)
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-'))
        {
            key_end += 1;
        }
        let mut value = skip_ascii_ws(bytes, key_end);
        if key_end > key_start && bytes.get(value) == Some(&b'=') {
            value = skip_ascii_ws(bytes, value + 1);
            let key = Some(text[key_start..key_end].to_ascii_lowercase());
            if let Some(&quote) = bytes.get(value)
                && (quote == b'"' || quote == b'\'')
                && let Some(close) = find_byte(bytes, value + 1, quote)
            {
                atts.push((key, text[value + 1..close].to_owned()));
                at = close + 1;
                continue;
            }
            let end = bare_end(value);
            atts.push((key, text[value..end].to_owned()));
            at = end;
            continue;
        }
        let end = bare_end(key_start);
        atts.push((None, text[key_start..end].to_owned()));
        at = end.max(key_start + 1);
    }
    atts
}

/// The `<img>` in a caption's content, with the `<a>` around it if there is one, as a
/// byte range.
fn find_image(content: &str) -> Option<(usize, usize)> {
    let b = content.as_bytes();
    let mut scanner = Scanner::new(content);
    let mut last_link: Option<(usize, usize)> = None;
    let mut i = 0;
    while let Some(at) = find_byte(b, i, b'<') {
        let Some(m) = scanner.markup_at(at) else {
            i = at + 1;
            continue;
        };
        if m.kind == Kind::Open && m.name == "img" {
            if let Some((link_start, link_end)) = last_link
                && content
                    .get(link_end..at)
                    .is_some_and(|gap| gap.trim().is_empty())
            {
                let rest = content.get(m.end..).unwrap_or_default();
                let close_at = m.end + (rest.len() - rest.trim_start().len());
                if let Some(close) = scanner.markup_at(close_at)
                    && close.kind == Kind::Close
                    && close.name == "a"
                {
                    return Some((link_start, close.end));
                }
            }
            return Some((at, m.end));
        }
        last_link = (m.kind == Kind::Open && m.name == "a").then_some((at, m.end));
        i = m.end;
    }
    None
}

// ---------------------------------------------------------------------------------
// Small helpers

fn normalise_newlines(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

fn find_byte(b: &[u8], from: usize, byte: u8) -> Option<usize> {
    b.get(from..)?
        .iter()
        .position(|&c| c == byte)
        .map(|at| at + from)
}

fn find_str(s: &str, from: usize, pat: &str) -> Option<usize> {
    s.get(from..)?.find(pat).map(|at| at + from)
}

fn skip_ascii_ws(b: &[u8], mut j: usize) -> usize {
    while b.get(j).is_some_and(u8::is_ascii_whitespace) {
        j += 1;
    }
    j
}

/// `<h1 …>` → `<h2 …>` and the like (the tag's name swapped, its attributes kept).
fn rename(tok: &Token<'_>, new: &str) -> String {
    let closing = tok.kind == Kind::Close;
    let skip = 1 + usize::from(closing) + tok.name.len();
    let rest = tok.raw.get(skip..).unwrap_or(">");
    format!("<{}{new}{rest}", if closing { "/" } else { "" })
}

/// An absolute `http(s)` address with nothing in it that could not be one.
fn is_url(u: &str) -> bool {
    let b = u.as_bytes();
    let scheme = if b
        .get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"https://"))
    {
        8
    } else if b
        .get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"http://"))
    {
        7
    } else {
        return false;
    };
    let rest = u.get(scheme..).unwrap_or_default();
    !rest.is_empty()
        && !rest.starts_with('/')
        && !u
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`' | '[' | ']'))
}

/// A protocol-relative address made `https:`, and a `YouTube` player address made the
/// video's page.
fn media_url(u: &str) -> String {
    let u = if u.starts_with("//") {
        format!("https:{u}")
    } else {
        u.to_owned()
    };
    for prefix in [
        "https://www.youtube.com/embed/",
        "http://www.youtube.com/embed/",
        "https://youtube.com/embed/",
        "http://youtube.com/embed/",
        "https://www.youtube-nocookie.com/embed/",
    ] {
        if let Some(rest) = u.strip_prefix(prefix) {
            let id = rest.split(['?', '&', '/', '#']).next().unwrap_or_default();
            if !id.is_empty() {
                return format!("https://www.youtube.com/watch?v={id}");
            }
        }
    }
    u
}

fn link_paragraph(url: &str) -> String {
    let url = escape_html(url);
    format!("<p><a href=\"{url}\">{url}</a></p>")
}

/// The few entities an address or attribute carries, decoded (`&amp;` last, so that
/// `&amp;lt;` stays `&lt;`).
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = s.to_owned();
    for (entity, c) in [
        ("&quot;", "\""),
        ("&#034;", "\""),
        ("&#34;", "\""),
        ("&#039;", "'"),
        ("&#39;", "'"),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&#038;", "&"),
        ("&#38;", "&"),
        ("&amp;", "&"),
    ] {
        out = out.replace(entity, c);
    }
    out
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(id: u64) -> Option<MediaRef> {
        match id {
            207 => Some(MediaRef {
                src: "http://127.0.0.1:8082/wp-content/uploads/2024/07/hoi-thao-lua.jpg".into(),
                alt: "Đại biểu dự hội thảo giống lúa chịu hạn tại hội trường Sở".into(),
                caption: "Quang cảnh hội thảo".into(),
            }),
            208 => Some(MediaRef {
                src: "http://127.0.0.1:8082/wp-content/uploads/2024/07/ruong-lua.jpg".into(),
                alt: "Ruộng lúa thử nghiệm \"chịu hạn\"".into(),
                caption: String::new(),
            }),
            _ => None,
        }
    }

    fn conv(content: &str) -> Converted {
        convert(content, &lookup)
    }

    const EXAMPLE: &str = r#"Sáng ngày 19/7, Sở Khoa học và Công nghệ tổ chức hội thảo khoa học về giống lúa chịu hạn.

[caption id="attachment_207" align="aligncenter" width="1024"]<img class="size-large wp-image-207" src="http://127.0.0.1:8082/wp-content/uploads/2024/07/hoi-thao-lua-1024x576.jpg" alt="Đại biểu dự hội thảo giống lúa chịu hạn tại hội trường Sở" width="1024" height="576" /> Quang cảnh hội thảo. Ảnh: KL[/caption]

<h2>Kết quả nghiên cứu</h2>
Giống lúa mới cho năng suất cao hơn 15%&nbsp;so với giống đối chứng. Xem thêm <a href="http://127.0.0.1:8082/bac-ninh-canh-bao/">bài viết trước</a>.

<img class="alignnone wp-image-208" src="http://127.0.0.1:8082/wp-content/uploads/2024/07/ruong-lua.jpg" alt="Ruộng lúa thử nghiệm giống chịu hạn ở huyện Tây Sơn" />

<ul>
<li>Năng suất: 6,2 tấn/ha</li>
<li>Thời gian sinh trưởng: 95 ngày</li>
</ul>

[gallery ids="207,208"]
"#;

    #[test]
    fn example_end_to_end() {
        let out = conv(EXAMPLE);
        let html = &out.html;
        assert!(
            html.starts_with(
                "<p>Sáng ngày 19/7, Sở Khoa học và Công nghệ tổ chức hội thảo khoa học về giống lúa chịu hạn.</p>\n"
            ),
            "{html}"
        );
        assert!(html.contains(
            "<figure><img class=\"size-large wp-image-207\" src=\"http://127.0.0.1:8082/wp-content/uploads/2024/07/hoi-thao-lua-1024x576.jpg\" alt=\"Đại biểu dự hội thảo giống lúa chịu hạn tại hội trường Sở\" width=\"1024\" height=\"576\" /><figcaption>Quang cảnh hội thảo. Ảnh: KL</figcaption>"
        ), "{html}");
        assert!(html.contains("\n<h2>Kết quả nghiên cứu</h2>\n"), "{html}");
        assert!(!html.contains("<p><h2>"), "{html}");
        assert!(html.contains(
            "<p>Giống lúa mới cho năng suất cao hơn 15%&nbsp;so với giống đối chứng. Xem thêm <a href=\"http://127.0.0.1:8082/bac-ninh-canh-bao/\">bài viết trước</a>.</p>"
        ), "{html}");
        assert!(
            html.contains("<p><img class=\"alignnone wp-image-208\""),
            "{html}"
        );
        assert!(html.contains(
            "<ul>\n<li>Năng suất: 6,2 tấn/ha</li>\n<li>Thời gian sinh trưởng: 95 ngày</li>\n</ul>"
        ), "{html}");
        // The gallery: one figure per image, alts from the lookup.
        assert!(html.contains(
            "<figure><img src=\"http://127.0.0.1:8082/wp-content/uploads/2024/07/hoi-thao-lua.jpg\" alt=\"Đại biểu dự hội thảo giống lúa chịu hạn tại hội trường Sở\"><figcaption>Quang cảnh hội thảo</figcaption></figure>"
        ), "{html}");
        assert!(html.contains(
            "<figure><img src=\"http://127.0.0.1:8082/wp-content/uploads/2024/07/ruong-lua.jpg\" alt=\"Ruộng lúa thử nghiệm &quot;chịu hạn&quot;\"></figure>"
        ), "{html}");
        assert_eq!(html.matches("<figure>").count(), 3, "{html}");
        assert!(!html.contains('['), "{html}");
        assert!(!html.contains("<p></p>"), "{html}");
        assert!(!html.contains("<br"), "{html}");
        assert!(out.notes.is_empty(), "{:?}", out.notes);
    }

    #[test]
    fn gutenberg_keeps_html_and_drops_comments() {
        let content = r#"<!-- wp:paragraph -->
<p>Đoạn văn <strong>đậm</strong> đầu tiên.</p>
<!-- /wp:paragraph -->

<!-- wp:heading {"level":3} -->
<h3 class="wp-block-heading">Tiêu đề phụ</h3>
<!-- /wp:heading -->

<!-- wp:image {"id":207,"sizeSlug":"large","linkDestination":"none"} -->
<figure class="wp-block-image size-large"><img src="http://x.vn/a.jpg" alt="Ảnh" class="wp-image-207"/><figcaption class="wp-element-caption">Chú thích ảnh</figcaption></figure>
<!-- /wp:image -->

<!-- wp:list -->
<ul><!-- wp:list-item -->
<li>Một</li>
<!-- /wp:list-item -->

<!-- wp:list-item -->
<li>Hai</li>
<!-- /wp:list-item --></ul>
<!-- /wp:list -->

<!-- wp:latest-posts {"postsToShow":3,
  "displayPostDate":true} /-->

<!-- wp:paragraph -->
<p>Dòng một<br>dòng hai</p>
<!-- /wp:paragraph -->"#;
        let out = conv(content);
        let html = &out.html;
        assert!(!html.contains("<!--"), "{html}");
        assert!(!html.contains("wp:"), "{html}");
        assert!(
            html.starts_with("<p>Đoạn văn <strong>đậm</strong> đầu tiên.</p>"),
            "{html}"
        );
        assert!(
            html.contains("<h3 class=\"wp-block-heading\">Tiêu đề phụ</h3>"),
            "{html}"
        );
        assert!(html.contains(
            "<figure class=\"wp-block-image size-large\"><img src=\"http://x.vn/a.jpg\" alt=\"Ảnh\" class=\"wp-image-207\"/><figcaption class=\"wp-element-caption\">Chú thích ảnh</figcaption></figure>"
        ), "{html}");
        assert!(
            html.contains("<li>Một</li>") && html.contains("<li>Hai</li>"),
            "{html}"
        );
        // No autop: no paragraphs added, no <br> for newlines.
        assert!(
            !html.contains("<p><h3") && !html.contains("<p><figure"),
            "{html}"
        );
        assert_eq!(html.matches("<br").count(), 1, "{html}");
        assert!(html.ends_with("<p>Dòng một<br>dòng hai</p>"), "{html}");
        assert_eq!(
            out.notes,
            vec!["Khối động wp:latest-posts bị bỏ (không có nội dung HTML để nhập).".to_owned()]
        );
    }

    #[test]
    fn unknown_shortcode_is_removed_with_its_content_kept() {
        let out = conv(
            "Trước [su_highlight color=\"#ff0\"]chữ nổi bật[/su_highlight] sau.\n\n[contact-form-7 id=\"12\" title='Liên hệ']",
        );
        assert_eq!(out.html, "<p>Trước chữ nổi bật sau.</p>");
        assert_eq!(
            out.notes,
            vec![
                "Mã ngắn [su_highlight] không được hỗ trợ, đã bỏ, giữ lại nội dung bên trong."
                    .to_owned(),
                "Mã ngắn [contact-form-7] không được hỗ trợ, đã bỏ.".to_owned(),
            ]
        );
        // Once per name.
        let out = conv("[foo]a[/foo] [foo]b[/foo] [foo /]");
        assert_eq!(out.html, "<p>a b</p>");
        assert_eq!(out.notes.len(), 1);
    }

    #[test]
    fn block_shortcode_content_becomes_its_own_paragraphs() {
        let out = conv("Mở đầu [su_box title=\"Lưu ý\"]\nDòng một\n\nDòng hai\n[/su_box] kết.");
        assert_eq!(
            out.html,
            "<p>Mở đầu</p>\n<p>Dòng một</p>\n<p>Dòng hai</p>\n<p>kết.</p>"
        );
    }

    #[test]
    fn bracketed_text_is_not_a_shortcode() {
        let text = "Theo [1] và [Xem thêm] hoặc [và/hoặc], [xem them] [...] […] [Đ] [ ] [] [[";
        let out = conv(text);
        assert_eq!(out.html, format!("<p>{text}</p>"));
        assert!(out.notes.is_empty(), "{:?}", out.notes);
    }

    #[test]
    fn escaped_shortcodes_stay_literal() {
        let out = conv(
            "Dùng [[caption]] để chú thích, [[gallery ids=\"1\"]] cho thư viện, [[foo]x[/foo]] nguyên văn.",
        );
        assert_eq!(
            out.html,
            "<p>Dùng [caption] để chú thích, [gallery ids=\"1\"] cho thư viện, [foo]x[/foo] nguyên văn.</p>"
        );
        assert!(out.notes.is_empty(), "{:?}", out.notes);
        // `[[foo]` is a `[` and then the shortcode.
        let out = conv("[[foo]x[/foo]");
        assert_eq!(out.html, "<p>[x</p>");
    }

    #[test]
    fn embeds_become_links() {
        let out = conv(
            "Xem video:\n\n[embed]https://www.youtube.com/watch?v=abc&amp;t=10[/embed]\n\n[embed width=\"640\" height=\"360\"]https://vimeo.com/123[/embed]\n\n[video width=\"640\" mp4=\"http://x.vn/v.mp4\"][/video]\n[audio src='http://x.vn/a.mp3']",
        );
        assert_eq!(
            out.html,
            "<p>Xem video:</p>\n\
             <p><a href=\"https://www.youtube.com/watch?v=abc&amp;t=10\">https://www.youtube.com/watch?v=abc&amp;t=10</a></p>\n\
             <p><a href=\"https://vimeo.com/123\">https://vimeo.com/123</a></p>\n\
             <p><a href=\"http://x.vn/v.mp4\">http://x.vn/v.mp4</a></p>\n\
             <p><a href=\"http://x.vn/a.mp3\">http://x.vn/a.mp3</a></p>"
        );
        assert_eq!(out.notes.len(), 4, "{:?}", out.notes);
        // Without an address there is nothing to link to.
        let out = conv("Trước [video width=\"640\"] sau");
        assert_eq!(out.html, "<p>Trước  sau</p>");
        assert_eq!(
            out.notes,
            vec!["Mã ngắn [video] không ghi địa chỉ tệp nên không chuyển được, đã bỏ.".to_owned()]
        );
    }

    #[test]
    fn url_alone_on_its_line_becomes_a_link() {
        let out = conv(
            "Mời xem:\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ\nvà đọc https://x.vn/bai giữa dòng.",
        );
        assert_eq!(
            out.html,
            "<p>Mời xem:</p>\n<p><a href=\"https://www.youtube.com/watch?v=dQw4w9WgXcQ\">https://www.youtube.com/watch?v=dQw4w9WgXcQ</a></p>\n<p>và đọc https://x.vn/bai giữa dòng.</p>"
        );
        // Gutenberg embed block: the address inside the wrapper div.
        let out = conv(
            "<!-- wp:embed {\"url\":\"https://youtu.be/x1\",\"type\":\"video\"} -->\n<figure class=\"wp-block-embed is-type-video\"><div class=\"wp-block-embed__wrapper\">\nhttps://youtu.be/x1\n</div></figure>\n<!-- /wp:embed -->",
        );
        assert!(
            out.html
                .contains("<p><a href=\"https://youtu.be/x1\">https://youtu.be/x1</a></p>"),
            "{}",
            out.html
        );
        // All of a block-editor paragraph, or all of a classic one.
        let out = conv(
            "<!-- wp:paragraph -->\n<p>https://x.vn/a?b=1&amp;c=2</p>\n<!-- /wp:paragraph -->",
        );
        assert_eq!(
            out.html,
            "<p><a href=\"https://x.vn/a?b=1&amp;c=2\">https://x.vn/a?b=1&amp;c=2</a></p>"
        );
        let out = conv("HTTP://đường.vn/a\n\nhttp://\n\nhttps:///x");
        assert_eq!(
            out.html,
            "<p><a href=\"HTTP://đường.vn/a\">HTTP://đường.vn/a</a></p>\n<p>http://</p>\n<p>https:///x</p>"
        );
        let out = conv("<p>https://x.vn/a</p>\nSau");
        assert_eq!(
            out.html,
            "<p><a href=\"https://x.vn/a\">https://x.vn/a</a></p>\n<p>Sau</p>"
        );
        // Not in a list item or a table cell (`WordPress` does not embed those either).
        let out = conv("<ul>\n<li>https://x.vn/a.pdf</li>\n</ul>");
        assert_eq!(out.html, "<ul>\n<li>https://x.vn/a.pdf</li>\n</ul>");
        // An address as a link's text stays as it is.
        let out = conv("<a href=\"https://x.vn\">\nhttps://x.vn\n</a>");
        assert_eq!(out.html.matches("<a ").count(), 1, "{}", out.html);
    }

    #[test]
    fn iframes_and_video_elements_become_links() {
        let out = conv(
            "Trước\n<iframe width=\"560\" src=\"//www.youtube.com/embed/abc?rel=0\" frameborder=\"0\"></iframe>\nSau\n\n<video controls><source src=\"http://x.vn/v.mp4\" type=\"video/mp4\">Trình duyệt không hỗ trợ.</video>",
        );
        assert_eq!(
            out.html,
            "<p>Trước</p>\n<p><a href=\"https://www.youtube.com/watch?v=abc\">https://www.youtube.com/watch?v=abc</a></p>\n<p>Sau</p>\n<p><a href=\"http://x.vn/v.mp4\">http://x.vn/v.mp4</a></p>"
        );
        assert_eq!(out.notes.len(), 2, "{:?}", out.notes);
    }

    #[test]
    fn pre_is_untouched() {
        let pre = "<pre class=\"code\">dòng 1\n\n  dòng 2 [caption]x[/caption]\n<div>y</div> https://x.vn\n</pre>";
        let out = conv(&format!("Mã:\n{pre}\nHết."));
        assert_eq!(out.html, format!("<p>Mã:</p>\n{pre}\n<p>Hết.</p>"));
        assert_eq!(
            autop(&format!("a\n\n{pre}\n\nb")),
            format!("<p>a</p>\n{pre}\n<p>b</p>")
        );
    }

    #[test]
    fn crlf_input_is_normalised() {
        let out = conv("Dòng một\r\nDòng hai\r\n\r\nĐoạn hai\r\n<ul>\r\n<li>Mục</li>\r\n</ul>\r\n");
        assert_eq!(
            out.html,
            "<p>Dòng một<br>\nDòng hai</p>\n<p>Đoạn hai</p>\n<ul>\n<li>Mục</li>\n</ul>"
        );
        assert!(!out.html.contains('\r'));
    }

    #[test]
    fn malformed_input_keeps_its_text() {
        let out = conv("Mở đầu [caption id=\"1\" align=\"x\" ảnh Đ[ lẻ loi [ và ]");
        assert_eq!(
            out.html,
            "<p>Mở đầu [caption id=\"1\" align=\"x\" ảnh Đ[ lẻ loi [ và ]</p>"
        );

        let out = conv(
            "Đầu\n\n<!-- wp:paragraph {\"align\":\"center\", \"x\":\"}\"}\n<p>Nội dung giữ lại</p>",
        );
        assert!(out.html.contains("Đầu"), "{}", out.html);
        assert!(out.html.contains("<p>Nội dung giữ lại</p>"), "{}", out.html);
        assert!(
            !out.html.contains("wp:") && !out.html.contains("center"),
            "{}",
            out.html
        );
        assert_eq!(out.notes.len(), 1, "{:?}", out.notes);

        let out = conv("Chữ Đ[ <!-- wp:");
        assert_eq!(out.html, "Chữ Đ[");
        assert_eq!(out.notes.len(), 1, "{:?}", out.notes);

        let out = conv("Chữ <!-- chú thích không đóng và chữ sau");
        assert_eq!(
            out.html,
            "<p>Chữ &lt;!-- chú thích không đóng và chữ sau</p>"
        );

        let out = conv("[caption]<img src=\"a.jpg\"> Ảnh Đ");
        assert!(out.html.contains("Ảnh Đ"), "{}", out.html);
        let out = conv("Đ[/caption] [gallery ids=\"99,abc\"] <a href=\"x");
        assert!(out.html.starts_with("<p>Đ"), "{}", out.html);
        assert!(out.html.contains("<a href=\"x"), "{}", out.html);
        assert_eq!(out.notes.len(), 2, "{:?}", out.notes);
        assert!(out.notes[1].contains("99, abc"), "{:?}", out.notes);
    }

    fn has_empty_paragraph(html: &str) -> bool {
        let tokens = tokenize(html);
        tokens
            .windows(2)
            .any(|w| w[0].is(Kind::Open, "p") && w[1].is(Kind::Close, "p"))
    }

    #[test]
    fn nothing_panics_on_fragments_and_cut_text() {
        const FRAGMENTS: &[&str] = &[
            "[caption id=\"1\" width=\"2\"]",
            "[/caption]",
            "<img src=\"a.jpg\" alt=\"Đ\"/>",
            "[gallery ids=\"1,x,207\"]",
            "[[",
            "]]",
            "[",
            "]",
            "<!-- wp:paragraph {\"a\":\"b\"} -->",
            "<!-- /wp:paragraph -->",
            "<!-- wp:x /-->",
            "<!--",
            "-->",
            "<p>",
            "</p>",
            "<pre>",
            "</pre>",
            "\n",
            "\n\n",
            "\r\n",
            "Đ",
            "ữ",
            "🙂",
            "<div>",
            "</div>",
            "<h1>",
            "</h1>",
            "<ul><li>",
            "</li></ul>",
            "<blockquote>",
            "</blockquote>",
            "https://youtu.be/x",
            "[embed]",
            "[/embed]",
            "[video src='https://a.vn/b.mp4']",
            "<a href=\"",
            "\"",
            "'",
            "<",
            ">",
            "=",
            "/",
            "{",
            "}",
            "&nbsp;",
            "<br>",
            "<br />",
            "<iframe src=\"//www.youtube.com/embed/abc\">",
            "</iframe>",
            "[foo bar=\"1\"]",
            "[/foo]",
            "<table><tr><td>",
            "</td></tr></table>",
            "<script>",
            "</script>",
            "<figure>",
            "<figcaption>",
            " ",
            "chữ",
            "[a",
            "<!-- wp:",
            "<p",
            "</",
            "<svg>",
            "<object data=\"x\">",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..4000 {
            let len = next() % 24 + 1;
            let mut text = String::new();
            for _ in 0..len {
                let at = usize::try_from(next() % FRAGMENTS.len() as u64).unwrap_or(0);
                text.push_str(FRAGMENTS[at]);
            }
            let out = conv(&text);
            let again = autop(&text);
            assert!(!has_empty_paragraph(&out.html), "{text:?} → {:?}", out.html);
            assert!(!has_empty_paragraph(&again), "{text:?} → {again:?}");
        }
        // Every cut of a real text at a character boundary.
        let text = format!(
            "{EXAMPLE}<!-- wp:quote {{\"x\":1}} --><blockquote><p>Trích dẫn</p></blockquote><!-- /wp:quote -->[[caption]] Đ[ [embed]https://a.vn[/embed]"
        );
        for (at, _) in text.char_indices() {
            let _ = conv(&text[..at]);
            let _ = conv(&text[at..]);
            let _ = autop(&text[..at]);
        }
    }

    #[test]
    fn autop_paragraphs_and_line_breaks() {
        assert_eq!(autop(""), "");
        assert_eq!(autop(" \n\n "), "");
        assert_eq!(
            autop("Một\nhai\n\n\n\nBa"),
            "<p>Một<br>\nhai</p>\n<p>Ba</p>"
        );
        assert_eq!(autop("Một<br />\nhai"), "<p>Một<br />\nhai</p>");
        assert_eq!(autop("Một<br><br>Hai"), "<p>Một</p>\n<p>Hai</p>");
        assert_eq!(
            autop("Chữ <h2>Tiêu đề</h2> tiếp"),
            "<p>Chữ</p>\n<h2>Tiêu đề</h2>\n<p>tiếp</p>"
        );
        assert_eq!(autop("<hr />\nSau"), "<hr />\n<p>Sau</p>");
        assert_eq!(
            autop("<p>Đã có</p>\n\nChưa có"),
            "<p>Đã có</p>\n<p>Chưa có</p>"
        );
        assert_eq!(autop("<p>Một\n\nHai</p>"), "<p>Một</p>\n<p>Hai</p>");
        assert_eq!(autop("&nbsp;\n\nChữ\n\n<p>&nbsp;</p>"), "<p>Chữ</p>");
        assert_eq!(
            autop("<blockquote>Trích\n\ndẫn</blockquote>"),
            "<blockquote>\n<p>Trích</p>\n<p>dẫn</p>\n</blockquote>"
        );
    }

    #[test]
    fn autop_lists_and_tables() {
        assert_eq!(
            autop("<ul>\n<li>Một\nhai</li>\n<li>\nBa\n</li>\n</ul>"),
            "<ul>\n<li>Một<br>\nhai</li>\n<li>Ba</li>\n</ul>"
        );
        assert_eq!(
            autop("<ol>\n<li>Mục\n<ul>\n<li>Con</li>\n</ul>\n</li>\n</ol>"),
            "<ol>\n<li>Mục<ul>\n<li>Con</li>\n</ul></li>\n</ol>"
        );
        assert_eq!(
            autop("<table>\n<tr>\n<td>a\nb</td>\n<td>Đoạn 1\n\nĐoạn 2</td>\n</tr>\n</table>"),
            "<table>\n<tr>\n<td>a<br>\nb</td>\n<td><p>Đoạn 1</p>\n<p>Đoạn 2</p>\n</td>\n</tr>\n</table>"
        );
    }

    #[test]
    fn captions_with_links_and_old_caption_attribute() {
        let out = conv(
            "[caption id=\"a\" align=\"alignleft\" width=\"300\"]<a href=\"http://x.vn/lon.jpg\"><img src=\"http://x.vn/nho.jpg\" alt=\"\" /></a> Ảnh <em>lớn</em>[/caption]",
        );
        assert_eq!(
            out.html,
            "<figure><a href=\"http://x.vn/lon.jpg\"><img src=\"http://x.vn/nho.jpg\" alt=\"\" /></a><figcaption>Ảnh <em>lớn</em></figcaption></figure>"
        );
        let out = conv(
            "[caption id='b' width=300 caption='Chú thích cũ']<img src=\"http://x.vn/c.jpg\" />[/caption]",
        );
        assert_eq!(
            out.html,
            "<figure><img src=\"http://x.vn/c.jpg\" /><figcaption>Chú thích cũ</figcaption></figure>"
        );
        // No caption: just the image, paragraphed.
        let out = conv("[caption width=\"1\"]<img src=\"http://x.vn/d.jpg\" />[/caption]");
        assert_eq!(out.html, "<p><img src=\"http://x.vn/d.jpg\" /></p>");
    }

    #[test]
    fn galleries_note_what_they_cannot_show() {
        let out = conv("[gallery columns=\"3\"]\n\n[gallery ids=\"208, 300\" link=\"file\"]");
        assert_eq!(
            out.html,
            "<figure><img src=\"http://127.0.0.1:8082/wp-content/uploads/2024/07/ruong-lua.jpg\" alt=\"Ruộng lúa thử nghiệm &quot;chịu hạn&quot;\"></figure>"
        );
        assert_eq!(out.notes.len(), 2, "{:?}", out.notes);
        assert!(out.notes[0].contains("[gallery]") && out.notes[0].contains("ids"));
        assert!(out.notes[1].contains("300"));
    }

    #[test]
    fn headings_and_divs_survive_the_sanitiser() {
        let out = conv(
            "<h1 class=\"t\">Lớn</h1>\n<div class=\"a\">Khối một</div><div>Khối hai<div>lồng</div></div>\n<h6>Nhỏ</h6>",
        );
        assert_eq!(
            out.html,
            "<h2 class=\"t\">Lớn</h2>\n<p>Khối một</p>\n<p>Khối hai</p>\n<p>lồng</p>\n<h4>Nhỏ</h4>"
        );
    }

    #[test]
    fn scripts_go_with_a_note() {
        let out = conv("Chữ<script>alert('x')</script>\n\n<style>p{}</style>");
        assert_eq!(out.html, "<p>Chữ</p>");
        assert_eq!(out.notes.len(), 1);
    }

    #[test]
    fn shortcode_attributes_in_all_quotings() {
        let atts = parse_atts("a=\"1 2\" B='3' c=4 \"pos\" 'p2' bare d = \"5\" e=");
        assert_eq!(
            atts,
            vec![
                (Some("a".to_owned()), "1 2".to_owned()),
                (Some("b".to_owned()), "3".to_owned()),
                (Some("c".to_owned()), "4".to_owned()),
                (None, "pos".to_owned()),
                (None, "p2".to_owned()),
                (None, "bare".to_owned()),
                (Some("d".to_owned()), "5".to_owned()),
                (Some("e".to_owned()), String::new()),
            ]
        );
        let out = conv("[gallery ids=208]");
        assert!(out.html.contains("ruong-lua.jpg"), "{}", out.html);
        let out = conv("[gallery ids='207']");
        assert!(out.html.contains("hoi-thao-lua.jpg"), "{}", out.html);
    }
}

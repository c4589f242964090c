//! A streaming reader of WordPress eXtended RSS (WXR 1.0–1.2), the file WordPress's
//! "Tools → Export" writes. Elements are matched by namespace URI, not by prefix, so an
//! export whose prefixes differ still reads. The file is read once from start to end
//! and each author, term and item is handed over as soon as it is complete: memory
//! stays flat however many posts the export holds.

use std::io::BufRead;
use std::path::Path;

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};

/// The namespaces WXR uses, whatever their prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    /// No namespace: RSS's own elements (`item`, `title`, `link`, `category`, …).
    Rss,
    /// `http://wordpress.org/export/1.x/`.
    Wp,
    /// `http://wordpress.org/export/1.x/excerpt/`.
    Excerpt,
    /// `http://purl.org/rss/1.0/modules/content/`.
    Content,
    /// `http://purl.org/dc/elements/1.1/`.
    Dc,
    Other,
}

fn ns_of(resolved: &ResolveResult) -> Ns {
    match resolved {
        ResolveResult::Unbound => Ns::Rss,
        ResolveResult::Bound(Namespace(uri)) => {
            let uri: &str = uri;
            if let Some(rest) = uri.strip_prefix("http://wordpress.org/export/") {
                if rest.ends_with("/excerpt/") {
                    Ns::Excerpt
                } else {
                    Ns::Wp
                }
            } else if uri == "http://purl.org/rss/1.0/modules/content/" {
                Ns::Content
            } else if uri == "http://purl.org/dc/elements/1.1/" {
                Ns::Dc
            } else {
                Ns::Other
            }
        }
        ResolveResult::Unknown(_) => Ns::Other,
    }
}

/// The site the export came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Site {
    pub title: String,
    pub link: String,
    pub base_site_url: String,
    pub base_blog_url: String,
    pub wxr_version: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Author {
    pub id: u64,
    pub login: String,
    pub email: String,
    pub display_name: String,
}

/// A category or a tag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Term {
    pub id: u64,
    pub slug: String,
    /// The parent's slug (categories only).
    pub parent: String,
    pub name: String,
}

/// One `<category>` of an item: a category (`domain="category"`) or a tag (`post_tag`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemTerm {
    pub domain: String,
    pub nicename: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comment {
    pub approved: String,
    pub kind: String,
}

/// A post, page, attachment or any other post type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Item {
    pub title: String,
    pub link: String,
    pub guid: String,
    /// The author's login.
    pub creator: String,
    pub content: String,
    pub excerpt: String,
    pub post_id: u64,
    /// Local time on the old site, `YYYY-MM-DD HH:MM:SS`.
    pub post_date: String,
    /// UTC, or `0000-00-00 00:00:00` for a draft never published.
    pub post_date_gmt: String,
    pub post_name: String,
    pub status: String,
    pub post_type: String,
    pub post_parent: u64,
    pub menu_order: i64,
    pub attachment_url: String,
    pub terms: Vec<ItemTerm>,
    pub meta: Vec<(String, String)>,
    pub comments: Vec<Comment>,
}

impl Item {
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// What the reader hands over, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// Once the channel's own fields are read (before the first item).
    Site(Site),
    Author(Author),
    Category(Term),
    Tag(Term),
    Item(Box<Item>),
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// Not well-formed XML, where the parser stopped.
    #[error("the export is not well-formed XML at line {line}, column {column}: {message}")]
    Malformed {
        line: u64,
        column: u64,
        message: String,
    },
    #[error("this is not a WordPress export (WXR): {0}")]
    NotWxr(String),
    /// The caller's handler stopped the reading.
    #[error("{0}")]
    Stopped(String),
}

/// Reads the export at `path`, handing each record to `on`. A handler error stops the
/// reading and comes back as `Error::Stopped`.
pub fn read_file(
    path: &Path,
    on: &mut dyn FnMut(Record) -> Result<(), String>,
) -> Result<Site, Error> {
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    read(std::io::BufReader::with_capacity(64 * 1024, file), on).map_err(|e| match e {
        // The parser knows a byte offset; people need a line and a column.
        Error::Malformed {
            line: offset,
            message,
            ..
        } => {
            let (line, column) = line_and_column(path, offset).unwrap_or((0, 0));
            Error::Malformed {
                line,
                column,
                message,
            }
        }
        other => other,
    })
}

/// The 1-based line and column (in characters) of byte `offset` of the file.
fn line_and_column(path: &Path, offset: u64) -> Option<(u64, u64)> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(offset).read_to_end(&mut bytes).ok()?;
    let line = bytes.split(|b| *b == b'\n').count() as u64;
    let start = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&bytes[start..]).chars().count() as u64 + 1;
    Some((line, column))
}

/// What is being read inside the channel.
enum Open {
    None,
    Author(Author),
    Category(Term),
    Tag(Term),
    Item(Box<Item>),
}

/// Reads WXR from `input`. `Error::Malformed` carries the byte offset in `line` (and
/// column 0); `read_file` turns it into a line and column.
pub fn read(
    input: impl BufRead,
    on: &mut dyn FnMut(Record) -> Result<(), String>,
) -> Result<Site, Error> {
    let mut reader = NsReader::from_reader(input);
    reader.config_mut().check_end_names = true;
    let mut buf = Vec::new();
    // The open elements, innermost last.
    let mut path: Vec<(Ns, String)> = Vec::new();
    let mut text = String::new();
    let mut site = Site::default();
    let mut site_sent = false;
    let mut seen_rss = false;
    let mut open = Open::None;
    let mut meta: (String, String) = Default::default();
    let mut comment = Comment::default();
    let mut term = ItemTerm::default();
    let malformed = |reader: &NsReader<_>, message: String| Error::Malformed {
        line: reader.error_position(),
        column: 0,
        message,
    };
    loop {
        buf.clear();
        let (resolved, event) = match reader.read_resolved_event_into(&mut buf) {
            Ok(pair) => pair,
            Err(e) => return Err(malformed(&reader, e.to_string())),
        };
        let ns = ns_of(&resolved);
        match event {
            Event::Start(start) => {
                let local = start.local_name().as_ref().to_string();
                text.clear();
                if path.is_empty() {
                    if local != "rss" {
                        return Err(Error::NotWxr(format!(
                            "the root element is <{local}>, not <rss>"
                        )));
                    }
                    seen_rss = true;
                }
                let in_channel = path.len() == 2;
                match (ns, local.as_str()) {
                    (Ns::Rss, "item") if in_channel => {
                        if !site_sent {
                            on(Record::Site(site.clone())).map_err(Error::Stopped)?;
                            site_sent = true;
                        }
                        open = Open::Item(Box::default());
                    }
                    (Ns::Wp, "author") if in_channel => open = Open::Author(Author::default()),
                    (Ns::Wp, "category") if in_channel => open = Open::Category(Term::default()),
                    (Ns::Wp, "tag") if in_channel => open = Open::Tag(Term::default()),
                    (Ns::Wp, "postmeta") => meta = Default::default(),
                    (Ns::Wp, "comment") => comment = Comment::default(),
                    (Ns::Rss, "category") if matches!(open, Open::Item(_)) => {
                        term = ItemTerm::default();
                        for attribute in start.attributes().flatten() {
                            let value = attribute
                                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .map(std::borrow::Cow::into_owned)
                                .unwrap_or_default();
                            match attribute.key.local_name().as_ref() {
                                "domain" => term.domain = value,
                                "nicename" => term.nicename = value,
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
                path.push((ns, local));
            }
            Event::Empty(_) => {}
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(c) => text.push_str(&c.into_inner()),
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else {
                    let name = r.xml10_content();
                    match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(resolved) => text.push_str(resolved),
                        None => {
                            return Err(malformed(&reader, format!("unknown entity &{name};")));
                        }
                    }
                }
            }
            Event::End(_) => {
                let Some((ns, local)) = path.pop() else {
                    return Err(malformed(&reader, "an end tag without a start".into()));
                };
                let value = std::mem::take(&mut text);
                let parent = path.last().map(|(n, l)| (*n, l.as_str()));
                finish(
                    ns,
                    &local,
                    parent,
                    value,
                    &mut open,
                    &mut site,
                    &mut meta,
                    &mut comment,
                    &mut term,
                    on,
                )?;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_rss {
        return Err(Error::NotWxr(
            "the file is empty or has no <rss> element".into(),
        ));
    }
    if !path.is_empty() {
        return Err(malformed(
            &reader,
            format!(
                "the file ends inside <{}>",
                path.last().map_or("", |p| &p.1)
            ),
        ));
    }
    if site.wxr_version.is_empty() {
        return Err(Error::NotWxr(
            "no <wp:wxr_version>: not an export from WordPress's Tools → Export".into(),
        ));
    }
    if !site_sent {
        on(Record::Site(site.clone())).map_err(Error::Stopped)?;
    }
    Ok(site)
}

/// Files the text of an element that just closed where it belongs.
#[allow(clippy::too_many_arguments)]
fn finish(
    ns: Ns,
    local: &str,
    parent: Option<(Ns, &str)>,
    value: String,
    open: &mut Open,
    site: &mut Site,
    meta: &mut (String, String),
    comment: &mut Comment,
    term: &mut ItemTerm,
    on: &mut dyn FnMut(Record) -> Result<(), String>,
) -> Result<(), Error> {
    let parent_is = |n: Ns, l: &str| parent == Some((n, l));
    let number = |v: &str| v.trim().parse::<u64>().unwrap_or(0);
    match open {
        Open::None => match (ns, local) {
            (Ns::Rss, "title") if parent_is(Ns::Rss, "channel") => site.title = value,
            (Ns::Rss, "link") if parent_is(Ns::Rss, "channel") => site.link = value,
            (Ns::Wp, "base_site_url") => site.base_site_url = value,
            (Ns::Wp, "base_blog_url") => site.base_blog_url = value,
            (Ns::Wp, "wxr_version") => site.wxr_version = value,
            _ => {}
        },
        Open::Author(author) => match local {
            "author" if ns == Ns::Wp && parent_is(Ns::Rss, "channel") => {
                let done = std::mem::take(author);
                *open = Open::None;
                on(Record::Author(done)).map_err(Error::Stopped)?;
            }
            "author_id" => author.id = number(&value),
            "author_login" => author.login = value,
            "author_email" => author.email = value,
            "author_display_name" => author.display_name = value,
            _ => {}
        },
        Open::Category(t) | Open::Tag(t) => match local {
            "category" | "tag" if ns == Ns::Wp && parent_is(Ns::Rss, "channel") => {
                let done = std::mem::take(t);
                let record = if local == "category" {
                    Record::Category(done)
                } else {
                    Record::Tag(done)
                };
                *open = Open::None;
                on(record).map_err(Error::Stopped)?;
            }
            "term_id" => t.id = number(&value),
            "category_nicename" | "tag_slug" => t.slug = value,
            "category_parent" => t.parent = value,
            "cat_name" | "tag_name" => t.name = value,
            _ => {}
        },
        Open::Item(item) => {
            if parent_is(Ns::Wp, "postmeta") {
                match local {
                    "meta_key" => meta.0 = value,
                    "meta_value" => meta.1 = value,
                    _ => {}
                }
                return Ok(());
            }
            if parent_is(Ns::Wp, "comment") {
                match local {
                    "comment_approved" => comment.approved = value,
                    "comment_type" => comment.kind = value,
                    _ => {}
                }
                return Ok(());
            }
            match (ns, local) {
                (Ns::Rss, "item") => {
                    let done = std::mem::take(item);
                    *open = Open::None;
                    on(Record::Item(done)).map_err(Error::Stopped)?;
                }
                (Ns::Rss, "title") => item.title = value,
                (Ns::Rss, "link") => item.link = value,
                (Ns::Rss, "guid") => item.guid = value,
                (Ns::Rss, "category") => {
                    term.name = value;
                    item.terms.push(std::mem::take(term));
                }
                (Ns::Dc, "creator") => item.creator = value,
                (Ns::Content, "encoded") => item.content = value,
                (Ns::Excerpt, "encoded") => item.excerpt = value,
                (Ns::Wp, "post_id") => item.post_id = number(&value),
                (Ns::Wp, "post_date") => item.post_date = value,
                (Ns::Wp, "post_date_gmt") => item.post_date_gmt = value,
                (Ns::Wp, "post_name") => item.post_name = value,
                (Ns::Wp, "status") => item.status = value,
                (Ns::Wp, "post_type") => item.post_type = value,
                (Ns::Wp, "post_parent") => item.post_parent = number(&value),
                (Ns::Wp, "menu_order") => item.menu_order = value.trim().parse().unwrap_or(0),
                (Ns::Wp, "attachment_url") => item.attachment_url = value,
                (Ns::Wp, "postmeta") => item.meta.push(std::mem::take(meta)),
                (Ns::Wp, "comment") => item.comments.push(std::mem::take(comment)),
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(xml: &str) -> Result<Vec<Record>, Error> {
        let mut out = Vec::new();
        read(xml.as_bytes(), &mut |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }

    const SMALL: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.1/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wordpress="http://wordpress.org/export/1.1/">
<channel><title>Sở &amp; Ngành</title><link>http://old.example</link>
<wordpress:wxr_version>1.1</wordpress:wxr_version>
<wordpress:author><wordpress:author_login><![CDATA[bt]]></wordpress:author_login><wordpress:author_display_name>Biên tập</wordpress:author_display_name></wordpress:author>
<wordpress:category><wordpress:term_id>3</wordpress:term_id><wordpress:category_nicename>tin</wordpress:category_nicename><wordpress:category_parent></wordpress:category_parent><wordpress:cat_name><![CDATA[Tin tức]]></wordpress:cat_name></wordpress:category>
<item><title>Bài &#7907; một</title><link>http://old.example/bai-mot/</link>
<dc:creator>bt</dc:creator><content:encoded><![CDATA[<p>Nội dung</p>]]></content:encoded>
<excerpt:encoded><![CDATA[Tóm tắt]]></excerpt:encoded>
<wordpress:post_id>7</wordpress:post_id><wordpress:status>publish</wordpress:status><wordpress:post_type>post</wordpress:post_type>
<category domain="category" nicename="tin"><![CDATA[Tin tức]]></category>
<wordpress:postmeta><wordpress:meta_key>_thumbnail_id</wordpress:meta_key><wordpress:meta_value>9</wordpress:meta_value></wordpress:postmeta>
<wordpress:comment><wordpress:comment_approved>1</wordpress:comment_approved></wordpress:comment>
</item></channel></rss>"#;

    #[test]
    fn elements_are_matched_by_namespace_not_prefix() {
        let records = read_str(SMALL).unwrap();
        assert!(
            matches!(&records[0], Record::Author(a) if a.login == "bt" && a.display_name == "Biên tập")
        );
        assert!(
            matches!(&records[1], Record::Category(c) if c.slug == "tin" && c.name == "Tin tức" && c.id == 3)
        );
        assert!(
            matches!(&records[2], Record::Site(s) if s.title == "Sở & Ngành" && s.wxr_version == "1.1")
        );
        let Record::Item(item) = &records[3] else {
            panic!("{records:?}")
        };
        assert_eq!(item.title, "Bài ợ một");
        assert_eq!(item.content, "<p>Nội dung</p>");
        assert_eq!(item.excerpt, "Tóm tắt");
        assert_eq!(item.post_id, 7);
        assert_eq!(item.terms[0].nicename, "tin");
        assert_eq!(item.meta("_thumbnail_id"), Some("9"));
        assert_eq!(item.comments.len(), 1);
    }

    #[test]
    fn malformed_xml_names_where_and_hands_over_nothing_after() {
        let broken = SMALL.replace("</dc:creator>", "</dc:creatorx>");
        let err = read_str(&broken).unwrap_err();
        assert!(matches!(err, Error::Malformed { .. }), "{err}");
        let err = read_str("<html><body>x</body></html>").unwrap_err();
        assert!(matches!(err, Error::NotWxr(_)), "{err}");
        let err = read_str("").unwrap_err();
        assert!(matches!(err, Error::NotWxr(_)), "{err}");
        let cut = &SMALL[..SMALL.len() / 2];
        assert!(read_str(cut).is_err());
    }

    #[test]
    fn line_and_column_are_counted_in_characters() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.xml");
        std::fs::write(&path, "<rss>\n<channel>\n  <tiêu>đề</tieu>").unwrap();
        let err = read_file(&path, &mut |_| Ok(())).unwrap_err();
        let Error::Malformed { line, column, .. } = err else {
            panic!("{err}")
        };
        assert_eq!(line, 3, "{err:?}");
        assert!(column > 1);
    }
}

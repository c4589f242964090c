//! `trangtin import wordpress EXPORT.xml`: a WordPress export into a batch.
//!
//! The export is streamed three times, keeping only a small index between passes:
//! 1. the index: every item's id, type, status and addresses, the categories, tags
//!    and authors, so links between posts can point at addresses decided up front;
//! 2. the attachments, stored through the upload pipeline;
//! 3. the posts and pages, converted, their links rewritten, staged as entries.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Deserialize;

use super::wp_markup::{self, MediaRef};
use super::wxr::{self, Item, Record};
use super::{Error, Incoming, IncomingFile, Progress, Skipped, Staging, markup};
use crate::content::{self, Attachment, Fields, Image, Kind};
use crate::store::Store;

/// The operator's map file (`--map FILE`, TOML).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Map {
    /// WordPress category slug → section slug here.
    #[serde(default)]
    pub sections: BTreeMap<String, String>,
    /// Where posts of unmapped categories go (default: a section with the category's
    /// slug, else the first section that holds news).
    #[serde(default)]
    pub default_section: Option<String>,
    /// WordPress author login → account login here (the account must exist).
    #[serde(default)]
    pub authors: BTreeMap<String, String>,
    /// Other addresses the old site answered at (`https://www.old.example`): links to
    /// them are the site's own.
    #[serde(default)]
    pub hosts: Vec<String>,
}

impl Map {
    pub fn load(path: &Path) -> Result<Map, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Setup(format!("cannot read the map {}: {e}", path.display())))?;
        toml::from_str(&text)
            .map_err(|e| Error::Setup(format!("the map {} is not valid: {e}", path.display())))
    }
}

pub struct Options {
    pub export: PathBuf,
    pub uploads: Option<PathBuf>,
    pub map: Map,
}

/// What the first pass keeps of each item.
#[derive(Debug, Clone)]
struct Indexed {
    post_type: String,
    status: String,
    parent: u64,
    /// Its planned address here (posts and pages).
    address: Option<String>,
    slug: String,
}

/// What the second pass made of an attachment.
#[derive(Debug, Clone)]
struct Stored {
    hash: crate::store::BlobHash,
    name: String,
    address: String,
    alt: String,
    caption: String,
    size: u64,
    content_type: String,
    width: u32,
    variants: Vec<crate::media::Variant>,
}

/// Runs the import into `staging`, reporting progress.
pub fn run(
    staging: &mut Staging<'_>,
    store: Option<&Store>,
    options: &Options,
    progress: &mut dyn FnMut(&Progress),
) -> Result<(), Error> {
    let mut state = Progress {
        phase: "reading".into(),
        ..Progress::default()
    };
    progress(&state);
    // Pass 1: the index.
    let mut index: HashMap<u64, Indexed> = HashMap::new();
    let mut categories: BTreeMap<String, wxr::Term> = BTreeMap::new();
    let mut authors: HashMap<String, wxr::Author> = HashMap::new();
    let mut site_url = String::new();
    let mut items_total = 0u64;
    let mut files_total = 0u64;
    wxr::read_file(&options.export, &mut |record| {
        match record {
            Record::Site(site) => {
                site_url = if site.base_site_url.is_empty() {
                    site.link
                } else {
                    site.base_site_url
                };
            }
            Record::Author(a) => {
                authors.insert(a.login.clone(), a);
            }
            Record::Category(c) => {
                categories.insert(c.slug.clone(), c);
            }
            Record::Tag(_) => {}
            Record::Item(item) => {
                match item.post_type.as_str() {
                    "post" | "page" => items_total += 1,
                    "attachment" => files_total += 1,
                    _ => {}
                }
                index.insert(
                    item.post_id,
                    Indexed {
                        post_type: item.post_type.clone(),
                        status: item.status.clone(),
                        parent: item.post_parent,
                        address: None,
                        slug: wanted_slug(&item),
                    },
                );
            }
        }
        Ok(())
    })?;
    staging.source.site = site_url.trim_end_matches('/').to_string();
    let hosts = own_hosts(&staging.source.site, &options.map.hosts);
    let sections = match store {
        Some(store) => store.read_blocking(content::sections::all)?,
        None => content::sections::default_tree()?,
    };
    let accounts = match store {
        Some(store) => {
            let mut found = HashMap::new();
            for (wp, login) in &options.map.authors {
                let user = store
                    .read_blocking(|tx| crate::auth::find_by_login(tx, login))
                    .map_err(|e| Error::Setup(e.to_string()))?
                    .ok_or_else(|| {
                        Error::Setup(format!(
                            "the map gives author {wp:?} the account {login:?}, which does not exist"
                        ))
                    })?;
                found.insert(wp.clone(), (user.id.0, user.unit.map(|u| u.0)));
            }
            found
        }
        None => HashMap::new(),
    };
    let section_for = SectionChooser::new(&sections, &categories, &options.map)?;

    // Addresses for every post and page that will be staged (or was, in a run before).
    let mut ids: Vec<u64> = index.keys().copied().collect();
    ids.sort_unstable();
    for id in ids {
        let Some(entry) = index.get(&id).cloned() else {
            continue;
        };
        let kind = match entry.post_type.as_str() {
            "post" => Kind::Article,
            "page" => Kind::Page,
            _ => continue,
        };
        if !importable(&entry.status) {
            continue;
        }
        let address = match staging.mapped(&source_id(&entry.post_type, id))? {
            Some(mapped) => mapped.address,
            None => kind.url(&staging.reserve(kind, &entry.slug)?),
        };
        if let Some(e) = index.get_mut(&id) {
            e.address = Some(address);
        }
    }

    // Pass 2: the attachments.
    state.phase = "files".into();
    state.total = Some(files_total);
    progress(&state);
    let fetcher = super::fetch::Fetcher::new(std::time::Duration::from_secs(30), 64 << 20)
        .map_err(Error::Setup)?;
    let mut stored: HashMap<u64, Stored> = HashMap::new();
    // Old file address (any size variant) → attachment id.
    let mut files_by_address: HashMap<String, u64> = HashMap::new();
    // Connection failures in a row: an old site that is gone is not asked 2,000 times.
    let mut unreachable = 0u32;
    let mut files_stop: Option<Error> = None;
    let read = wxr::read_file(&options.export, &mut |record| {
        let Record::Item(item) = record else {
            return Ok(());
        };
        if item.post_type != "attachment" {
            return Ok(());
        }
        state.done += 1;
        for address in file_addresses(&item) {
            if let Some(local) = local_address(&address, &hosts) {
                files_by_address.insert(local, item.post_id);
            }
        }
        let result = stage_attachment(
            staging,
            store,
            &item,
            options,
            &fetcher,
            &hosts,
            &mut unreachable,
        );
        match result {
            Ok(Some(s)) => {
                state.files += 1;
                stored.insert(item.post_id, s);
            }
            Ok(None) => {}
            // A store that cannot be written stops the run; the next resumes it.
            Err(e @ Error::Store(_)) => {
                let why = e.to_string();
                files_stop = Some(e);
                return Err(why);
            }
            Err(reason) => {
                state.errors += 1;
                staging.report.missing_files.push(format!(
                    "{} ({}): {reason}",
                    file_path(&item),
                    item.title
                ));
            }
        }
        progress(&state);
        Ok(())
    });
    read.map_err(|e| files_stop.take().unwrap_or(Error::Wxr(e)))?;

    // Pass 3: posts and pages.
    state.phase = "items".into();
    state.done = 0;
    state.total = Some(items_total);
    progress(&state);
    let mut unmapped: BTreeMap<String, u64> = BTreeMap::new();
    let by_slug: HashMap<String, String> = index
        .values()
        .filter(|e| matches!(e.post_type.as_str(), "post" | "page"))
        .filter_map(|e| Some((e.slug.clone(), e.address.clone()?)))
        .collect();
    // Each post's attachments, in id order, found once instead of once per post.
    let mut children: HashMap<u64, Vec<u64>> = HashMap::new();
    for (id, e) in &index {
        if e.post_type == "attachment" && e.parent != 0 {
            children.entry(e.parent).or_default().push(*id);
        }
    }
    for ids in children.values_mut() {
        ids.sort_unstable();
    }
    let pages: HashMap<u64, String> = index
        .iter()
        .filter(|(_, e)| e.post_type == "page")
        .map(|(id, e)| (*id, e.slug.clone()))
        .collect();
    let mut stop: Option<Error> = None;
    let read = wxr::read_file(&options.export, &mut |record| {
        let Record::Item(item) = record else {
            return Ok(());
        };
        let kind = match item.post_type.as_str() {
            "post" => Kind::Article,
            "page" => Kind::Page,
            "attachment" => return Ok(()),
            other => {
                if !matches!(
                    other,
                    "revision"
                        | "nav_menu_item"
                        | "customize_changeset"
                        | "oembed_cache"
                        | "custom_css"
                        | "user_request"
                        | "wp_global_styles"
                        | "wp_navigation"
                        | "wp_template"
                        | "wp_template_part"
                        | "wp_block"
                ) {
                    staging.report.skipped.push(Skipped {
                        source_id: source_id(other, item.post_id),
                        title: item.title.clone(),
                        reason: format!("nội dung kiểu {other:?} không có ở trang này"),
                    });
                }
                return Ok(());
            }
        };
        state.done += 1;
        for comment in &item.comments {
            if comment.approved == "spam" {
                staging.report.spam_comments += 1;
            } else if comment.approved != "trash" {
                staging.report.comments += 1;
            }
        }
        let id = source_id(&item.post_type, item.post_id);
        if !importable(&item.status) {
            staging.report.skipped.push(Skipped {
                source_id: id,
                title: vietnamese_nfc(&item.title),
                reason: match item.status.as_str() {
                    "private" => "bài riêng tư trên trang cũ: không công bố".into(),
                    "trash" => "bài trong thùng rác trên trang cũ".into(),
                    other => format!("trạng thái {other:?} trên trang cũ"),
                },
            });
            progress(&state);
            return Ok(());
        }
        if staging.mapped(&id).map_err(|e| e.to_string())?.is_some() {
            staging.report.unchanged += 1;
            progress(&state);
            return Ok(());
        }
        let incoming = match to_incoming(
            &item,
            kind,
            &index,
            &stored,
            &files_by_address,
            &hosts,
            &section_for,
            &authors,
            &accounts,
            &pages,
            &by_slug,
            &children,
            &mut unmapped,
        ) {
            Ok(incoming) => incoming,
            Err(reason) => {
                state.errors += 1;
                staging.report.failed.push(super::Failed {
                    source_id: id,
                    reason,
                });
                progress(&state);
                return Ok(());
            }
        };
        match staging.stage(incoming) {
            Ok(_) => {}
            // A store that cannot be written, or a batch decided while the run went
            // on, stops the run; the id map lets the next resume.
            Err(e @ (Error::Store(_) | Error::AlreadyDecided(_))) => {
                let why = e.to_string();
                stop = Some(e);
                return Err(why);
            }
            Err(e) => {
                state.errors += 1;
                staging.report.failed.push(super::Failed {
                    source_id: id,
                    reason: e.to_string(),
                });
            }
        }
        progress(&state);
        Ok(())
    });
    read.map_err(|e| stop.take().unwrap_or(Error::Wxr(e)))?;
    staging.report.unmapped_categories = unmapped.into_iter().collect();
    Ok(())
}

fn importable(status: &str) -> bool {
    matches!(status, "publish" | "draft" | "pending" | "future")
}

fn source_id(post_type: &str, id: u64) -> String {
    format!("{post_type}:{id}")
}

/// The slug an item asks for: WordPress's own (percent-decoded), else made from its
/// title.
fn wanted_slug(item: &Item) -> String {
    let decoded = markup::percent_decode(&item.post_name);
    let slug = content::slug::slugify(&decoded);
    if slug.is_empty() {
        content::slug::slugify(&vietnamese_nfc(&item.title))
    } else {
        slug
    }
}

fn vietnamese_nfc(text: &str) -> String {
    super::vietnamese::nfc(&decode_entities(text.trim()))
}

/// Decodes the character references WordPress leaves in titles (`&#8211;`, `&amp;`).
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        // `;` is ASCII: its byte position is always a place to cut.
        let Some(end) = after.as_bytes()[..after.len().min(12)]
            .iter()
            .position(|b| *b == b';')
        else {
            out.push('&');
            rest = &after[1..];
            continue;
        };
        let name = &after[1..end];
        let decoded = if let Some(num) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X"))
        {
            u32::from_str_radix(num, 16).ok().and_then(char::from_u32)
        } else if let Some(num) = name.strip_prefix('#') {
            num.parse().ok().and_then(char::from_u32)
        } else {
            match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                "ndash" => Some('–'),
                "mdash" => Some('—'),
                "hellip" => Some('…'),
                _ => None,
            }
        };
        if let Some(c) = decoded {
            out.push(c);
            rest = &after[end + 1..];
        } else {
            out.push('&');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The old site's address and its other names, without a trailing slash.
fn own_hosts(site: &str, more: &[String]) -> Vec<String> {
    let mut hosts = Vec::new();
    for h in std::iter::once(site).chain(more.iter().map(String::as_str)) {
        let h = h.trim().trim_end_matches('/');
        if let Some((_, rest)) = h.split_once("://") {
            let host = rest.split('/').next().unwrap_or(rest).to_ascii_lowercase();
            if !host.is_empty() && !hosts.contains(&host) {
                hosts.push(host);
            }
        }
    }
    hosts
}

/// Whether `host` (and `port`) is `own`, a host name with an optional port as `own_hosts`
/// keeps them ("127.0.0.1:8082", "old.example").
fn host_matches(own: &str, host: &str, port: Option<u16>) -> bool {
    match own.rsplit_once(':') {
        Some((name, p)) if p.chars().all(|c| c.is_ascii_digit()) => {
            name.eq_ignore_ascii_case(host) && p.parse::<u16>().ok() == port
        }
        _ => own.eq_ignore_ascii_case(host),
    }
}

/// `address` as a path (with query) if it is on the old site (or already relative).
fn local_address(address: &str, hosts: &[String]) -> Option<String> {
    let address = address.trim();
    if let Some((scheme, rest)) = address.split_once("://") {
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return None;
        }
        let host = rest
            .split(['/', '?', '#'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if !hosts.contains(&host) {
            return None;
        }
    } else if !address.starts_with('/') || address.starts_with("//") {
        return None;
    }
    crate::redirects::normalize(address)
}

/// The same address with and without a trailing slash (WordPress answers both).
fn with_and_without_slash(path: &str) -> Vec<String> {
    let (p, q) = path
        .split_once('?')
        .map_or((path, None), |(p, q)| (p, Some(q)));
    let other = if p.len() > 1 && p.ends_with('/') {
        p.trim_end_matches('/').to_string()
    } else if !p.ends_with('/') {
        format!("{p}/")
    } else {
        return vec![path.to_string()];
    };
    let join = |p: &str| q.map_or_else(|| p.to_string(), |q| format!("{p}?{q}"));
    vec![join(p), join(&other)]
}

/// Every address an attachment's file was reachable at: the original and each size
/// WordPress made.
fn file_addresses(item: &Item) -> Vec<String> {
    let mut out = Vec::new();
    if !item.attachment_url.is_empty() {
        out.push(item.attachment_url.clone());
        if let (Some(meta), Some((dir, _))) = (
            item.meta("_wp_attachment_metadata"),
            item.attachment_url.rsplit_once('/'),
        ) {
            for size in serialized_size_files(meta) {
                out.push(format!("{dir}/{size}"));
            }
        }
    }
    out
}

/// The `file` names of the `sizes` in a PHP-serialised `_wp_attachment_metadata`.
fn serialized_size_files(meta: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Some(sizes) = meta.find("s:5:\"sizes\"") else {
        return out;
    };
    let mut rest = &meta[sizes..];
    while let Some(at) = rest.find("s:4:\"file\";s:") {
        let after = &rest[at + 13..];
        let Some(colon) = after.find(':') else { break };
        let Ok(len) = after[..colon].parse::<usize>() else {
            break;
        };
        let start = colon + 2;
        if let Some(name) = start.checked_add(len).and_then(|end| after.get(start..end))
            && !name.contains('/')
        {
            out.push(name.to_string());
        }
        rest = &after[colon..];
    }
    out
}

fn file_path(item: &Item) -> String {
    item.meta("_wp_attached_file")
        .map_or_else(|| item.attachment_url.clone(), str::to_string)
}

/// Stores one attachment (from `--uploads`, else from its URL). `Ok(None)`: nothing
/// to store (no URL). An earlier run's file is reused.
fn stage_attachment(
    staging: &mut Staging<'_>,
    store: Option<&Store>,
    item: &Item,
    options: &Options,
    fetcher: &super::fetch::Fetcher,
    hosts: &[String],
    unreachable: &mut u32,
) -> Result<Option<Stored>, Error> {
    /// Connection failures in a row after which the old site counts as gone.
    const GIVE_UP_AFTER: u32 = 3;
    let id = source_id("attachment", item.post_id);
    let alt = vietnamese_nfc(item.meta("_wp_attachment_image_alt").unwrap_or(""));
    let caption = vietnamese_nfc(&item.excerpt);
    if let Some(mapped) = staging.mapped(&id)? {
        staging.report.unchanged += 1;
        let Some((hash, name)) = mapped.file else {
            return Ok(None);
        };
        return stored(store, hash, name, mapped.address, alt, caption).map(Some);
    }
    let relative = item.meta("_wp_attached_file").unwrap_or("");
    let name = relative
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .or_else(|| item.attachment_url.rsplit('/').next())
        .unwrap_or("tep")
        .to_string();
    let from_dir = options.uploads.as_ref().map(|dir| {
        inside(dir, relative)
            .ok_or_else(|| "not in the uploads folder".to_string())
            .and_then(|file| {
                std::fs::read(&file)
                    .map_err(|e| format!("not readable in the uploads folder ({e})"))
            })
    });
    let bytes = match from_dir {
        Some(Ok(bytes)) => bytes,
        other => {
            let local_error = match other {
                Some(Err(e)) => format!("{e}; "),
                _ => String::new(),
            };
            if item.attachment_url.is_empty() {
                return Err(Error::Setup(format!(
                    "{local_error}no address to fetch it from"
                )));
            }
            if *unreachable >= GIVE_UP_AFTER {
                return Err(Error::Setup(format!(
                    "{local_error}not fetched: the old site could not be reached {GIVE_UP_AFTER} times in a row (give --uploads)"
                )));
            }
            // Only from the old site itself: an export cannot make the server fetch
            // from anywhere else (its own network, say).
            let on_old_site = |url: &reqwest::Url| {
                url.host_str().is_some_and(|h| {
                    hosts
                        .iter()
                        .any(|o| host_matches(o, h, url.port_or_known_default()))
                })
            };
            match fetcher.get(&item.attachment_url, &on_old_site, &mut || {}) {
                Ok(fetched) => {
                    *unreachable = 0;
                    fetched.bytes
                }
                Err(e) => {
                    if e.contains("cannot be reached") || e.contains("time limit") {
                        *unreachable += 1;
                    }
                    return Err(Error::Setup(format!(
                        "{local_error}{}: {e}",
                        item.attachment_url
                    )));
                }
            }
        }
    };
    let old_addresses: Vec<String> = file_addresses(item)
        .iter()
        .chain(std::iter::once(&item.link))
        .filter_map(|a| local_address(a, hosts))
        .chain(std::iter::once(format!("/?attachment_id={}", item.post_id)))
        .collect();
    let upload = crate::media::Upload {
        name: name.clone(),
        bytes,
        alt: alt.clone(),
    };
    let (hash, address) = staging.stage_file(IncomingFile {
        source_id: id,
        upload,
        old_addresses,
    })?;
    stored(store, hash, name, address, alt, caption).map(Some)
}

/// What the rest of the import needs of a stored file: its metadata from the store
/// (a dry run has none, and keeps what the export said).
fn stored(
    store: Option<&Store>,
    hash: crate::store::BlobHash,
    name: String,
    address: String,
    alt: String,
    caption: String,
) -> Result<Stored, Error> {
    let meta = match store {
        Some(store) => store.read_blocking(|tx| content::blob(tx, &hash))?,
        None => None,
    };
    Ok(Stored {
        name: meta.as_ref().map_or(name, |m| m.original_name.clone()),
        address,
        alt: meta.as_ref().map_or(alt, |m| m.alt.clone()),
        caption,
        size: meta.as_ref().map_or(0, |m| m.size),
        content_type: meta
            .as_ref()
            .map_or_else(String::new, |m| m.content_type.clone()),
        width: meta.as_ref().map_or(0, |m| m.width),
        variants: meta.map(|m| m.variants).unwrap_or_default(),
        hash,
    })
}

/// `relative` under `dir`, if it names a file there: plain path components only (no
/// `..`, no absolute path, no symbolic link out of the folder), so an export cannot make
/// the import read any other file.
fn inside(dir: &Path, relative: &str) -> Option<PathBuf> {
    use std::path::Component;
    let relative = Path::new(relative);
    if relative.as_os_str().is_empty()
        || !relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let root = dir.canonicalize().ok()?;
    let file = root.join(relative).canonicalize().ok()?;
    file.starts_with(&root).then_some(file)
}

/// Which section a post goes to.
struct SectionChooser<'a> {
    map: &'a Map,
    /// Sections that hold news, by slug.
    news: Vec<String>,
    categories: &'a BTreeMap<String, wxr::Term>,
    fallback: String,
}

impl<'a> SectionChooser<'a> {
    fn new(
        sections: &[content::Category],
        categories: &'a BTreeMap<String, wxr::Term>,
        map: &'a Map,
    ) -> Result<Self, Error> {
        let news: Vec<String> = sections
            .iter()
            .filter(|s| s.retired_into.is_none() && s.kinds.contains(&Kind::Article))
            .map(|s| s.slug.clone())
            .collect();
        for (category, section) in &map.sections {
            if !news.contains(section) {
                return Err(Error::Setup(format!(
                    "the map sends category {category:?} to section {section:?}, which does not exist or holds no news; sections that do: {}",
                    news.join(", ")
                )));
            }
        }
        let fallback = match &map.default_section {
            Some(s) if news.contains(s) => s.clone(),
            Some(s) => {
                return Err(Error::Setup(format!(
                    "default_section {s:?} does not exist or holds no news; sections that do: {}",
                    news.join(", ")
                )));
            }
            None => news
                .first()
                .cloned()
                .ok_or_else(|| Error::Setup("no section holds news".into()))?,
        };
        Ok(SectionChooser {
            map,
            news,
            categories,
            fallback,
        })
    }

    /// The section for a post in `category` (a slug); `Err` names an unmapped one,
    /// with the section it falls back to.
    fn choose(&self, category: &str) -> Result<String, String> {
        let mut slug = category.to_string();
        // A subcategory without a mapping takes its parent's.
        for _ in 0..8 {
            if let Some(section) = self.map.sections.get(&slug) {
                return Ok(section.clone());
            }
            if self.news.contains(&slug) {
                return Ok(slug);
            }
            match self.categories.get(&slug).map(|c| c.parent.clone()) {
                Some(parent) if !parent.is_empty() => slug = parent,
                _ => break,
            }
        }
        Err(self.fallback.clone())
    }
}

#[allow(clippy::too_many_arguments)]
fn to_incoming(
    item: &Item,
    kind: Kind,
    index: &HashMap<u64, Indexed>,
    stored: &HashMap<u64, Stored>,
    files_by_address: &HashMap<String, u64>,
    hosts: &[String],
    sections: &SectionChooser<'_>,
    authors: &HashMap<String, wxr::Author>,
    accounts: &HashMap<String, (u64, Option<u64>)>,
    pages: &HashMap<u64, String>,
    by_slug: &HashMap<String, String>,
    children: &HashMap<u64, Vec<u64>>,
    unmapped: &mut BTreeMap<String, u64>,
) -> Result<Incoming, String> {
    let title = vietnamese_nfc(&item.title);
    if title.is_empty() {
        return Err("bài không có tiêu đề".into());
    }
    let own = index
        .get(&item.post_id)
        .and_then(|e| e.address.clone())
        .ok_or("no address planned")?;
    let slug = own.rsplit('/').next().unwrap_or_default().to_string();
    let mut notes = Vec::new();
    // Section: the first category that maps.
    let section = if kind == Kind::Article {
        let cats: Vec<&wxr::ItemTerm> = item
            .terms
            .iter()
            .filter(|t| t.domain == "category")
            .collect();
        let mut chosen = None;
        let mut first_unmapped = None;
        for c in &cats {
            match sections.choose(&c.nicename) {
                Ok(s) => {
                    chosen = Some(s);
                    break;
                }
                Err(fallback) => {
                    first_unmapped.get_or_insert((c.name.clone(), fallback));
                }
            }
        }
        Some(match (chosen, first_unmapped) {
            (Some(s), _) => s,
            (None, Some((name, fallback))) => {
                *unmapped.entry(vietnamese_nfc(&name)).or_default() += 1;
                fallback
            }
            (None, None) => sections.fallback.clone(),
        })
    } else {
        None
    };
    let media = |id: u64| {
        stored.get(&id).map(|s| MediaRef {
            src: s.address.clone(),
            alt: s.alt.clone(),
            caption: s.caption.clone(),
        })
    };
    let converted = wp_markup::convert(&item.content, &media);
    notes.extend(converted.notes);
    // Links to old posts, pages and files point at their new addresses.
    let missing = std::cell::RefCell::new(Vec::new());
    let body = markup::rewrite_links(&converted.html, &|value| {
        let local = local_address(value, hosts)?;
        let candidates = with_and_without_slash(&local);
        for c in &candidates {
            if let Some(id) = files_by_address.get(c) {
                let found = stored.get(id).map(|s| s.address.clone());
                if found.is_none() {
                    missing.borrow_mut().push(value.to_string());
                }
                return found;
            }
        }
        post_address(&local, index, by_slug)
    });
    for m in missing.into_inner() {
        notes.push(format!("Thiếu tệp của trang cũ: {m}"));
    }
    if body.contains("/wp-content/uploads/") {
        notes.push("Nội dung còn liên kết tới tệp của trang cũ chưa được chuyển.".into());
    }
    let cover = item
        .meta("_thumbnail_id")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .and_then(|id| match stored.get(&id) {
            Some(s) if s.content_type.starts_with("image/") || s.width > 0 => Some(Image {
                blob: s.hash.clone(),
                alt: s.alt.clone(),
                variants: s.variants.clone(),
                width: s.width,
            }),
            Some(_) => None,
            None => {
                notes.push(format!("Thiếu ảnh đại diện (mục {id} của trang cũ)."));
                None
            }
        });
    // Documents attached to the post become its attachments.
    let mut attachments = Vec::new();
    for id in children.get(&item.post_id).into_iter().flatten() {
        if let Some(s) = stored.get(id)
            && !s.content_type.starts_with("image/")
        {
            attachments.push(Attachment {
                blob: s.hash.clone(),
                name: s.name.clone(),
                size: s.size,
                content_type: s.content_type.clone(),
            });
        }
    }
    let (author, created_by, unit) = match accounts.get(&item.creator) {
        Some((user, unit)) => (author_name(authors, &item.creator), Some(*user), *unit),
        None => (author_name(authors, &item.creator), None, None),
    };
    let keywords: Vec<String> = item
        .terms
        .iter()
        .filter(|t| t.domain == "post_tag")
        .map(|t| vietnamese_nfc(&t.name))
        .collect();
    let summary = vietnamese_nfc(
        &content::sanitize::plain_text(&item.excerpt)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    );
    let published_at = parse_gmt(&item.post_date_gmt).or_else(|| parse_local(&item.post_date));
    let go_live = item.status == "publish";
    match item.status.as_str() {
        "draft" => notes.push("Bản nháp trên trang cũ.".into()),
        "pending" => notes.push("Đang chờ duyệt trên trang cũ.".into()),
        "future" => notes.push("Hẹn giờ đăng trên trang cũ.".into()),
        _ => {}
    }
    let parent = (kind == Kind::Page && item.post_parent != 0)
        .then(|| pages.get(&item.post_parent).cloned())
        .flatten()
        .and_then(|wanted| {
            index
                .get(&item.post_parent)
                .and_then(|e| e.address.clone())
                .map(|a| a.rsplit('/').next().unwrap_or(&wanted).to_string())
        });
    let mut old_addresses = Vec::new();
    for a in [&item.link, &item.guid] {
        if let Some(local) = local_address(a, hosts) {
            for variant in with_and_without_slash(&local) {
                if !old_addresses.contains(&variant) {
                    old_addresses.push(variant);
                }
            }
        }
    }
    let by_id = match kind {
        Kind::Page => format!("/?page_id={}", item.post_id),
        _ => format!("/?p={}", item.post_id),
    };
    if !old_addresses.contains(&by_id) {
        old_addresses.push(by_id);
    }
    old_addresses.retain(|a| a != "/" && *a != own);
    Ok(Incoming {
        source_id: source_id(&item.post_type, item.post_id),
        kind,
        slug,
        section,
        fields: Fields {
            title,
            summary,
            body_html: body,
            author,
            cover,
            attachments,
            keywords,
            parent,
            ..Fields::default()
        },
        published_at: if go_live { published_at } else { None },
        go_live,
        old_addresses,
        created_by,
        unit,
        notes,
    })
}

/// The new address of the post or page at an old address (its permalink, `?p=`,
/// `?page_id=`).
fn post_address(
    local: &str,
    index: &HashMap<u64, Indexed>,
    by_slug: &HashMap<String, String>,
) -> Option<String> {
    if let Some((_, query)) = local.split_once('?') {
        for pair in query.split('&') {
            if let Some((key, value)) = pair.split_once('=')
                && matches!(key, "p" | "page_id")
                && let Ok(id) = value.parse::<u64>()
            {
                return index.get(&id).and_then(|e| e.address.clone());
            }
        }
    }
    // A permalink: its last path segment is the post's slug on the old site.
    let path = local.split('?').next().unwrap_or(local);
    let last = path.trim_end_matches('/').rsplit('/').next()?;
    if last.is_empty() || last.contains('.') {
        return None;
    }
    by_slug
        .get(&content::slug::slugify(&markup::percent_decode(last)))
        .cloned()
}

fn author_name(authors: &HashMap<String, wxr::Author>, login: &str) -> String {
    authors
        .get(login)
        .map(|a| vietnamese_nfc(&a.display_name))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| login.to_string())
}

/// `YYYY-MM-DD HH:MM:SS` in UTC; `None` for WordPress's "never" (`0000-…`).
fn parse_gmt(text: &str) -> Option<Timestamp> {
    let civil: jiff::civil::DateTime = text.trim().parse().ok()?;
    jiff::tz::TimeZone::UTC.to_timestamp(civil).ok()
}

/// `YYYY-MM-DD HH:MM:SS` on the old site's clock, taken as Vietnam time.
fn parse_local(text: &str) -> Option<Timestamp> {
    let civil: jiff::civil::DateTime = text.trim().parse().ok()?;
    crate::format::vietnam().to_timestamp(civil).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_variants_are_read_from_the_serialised_metadata() {
        let meta = r#"a:6:{s:5:"width";i:1600;s:4:"file";s:24:"2024/07/hoi-thao-lua.jpg";s:5:"sizes";a:2:{s:6:"medium";a:5:{s:4:"file";s:24:"hoi-thao-lua-300x169.jpg";s:5:"width";i:300;}s:5:"large";a:5:{s:4:"file";s:25:"hoi-thao-lua-1024x576.jpg";}}}"#;
        assert_eq!(
            serialized_size_files(meta),
            vec!["hoi-thao-lua-300x169.jpg", "hoi-thao-lua-1024x576.jpg"]
        );
        assert!(serialized_size_files("garbage s:5:\"sizes\" s:4:\"file\";s:99").is_empty());
    }

    #[test]
    fn addresses_on_the_old_site_are_local() {
        let hosts = own_hosts(
            "http://127.0.0.1:8082",
            &["https://www.old.example/".into()],
        );
        assert_eq!(
            local_address("http://127.0.0.1:8082/a/?p=1", &hosts).as_deref(),
            Some("/a/?p=1")
        );
        assert_eq!(
            local_address("https://WWW.old.example/x", &hosts).as_deref(),
            Some("/x")
        );
        assert_eq!(local_address("https://elsewhere.example/x", &hosts), None);
        assert_eq!(local_address("mailto:a@b", &hosts), None);
        assert_eq!(with_and_without_slash("/a/"), vec!["/a/", "/a"]);
        assert_eq!(with_and_without_slash("/a?x=1"), vec!["/a?x=1", "/a/?x=1"]);
    }

    #[test]
    fn titles_lose_their_entities_and_gain_nfc() {
        assert_eq!(vietnamese_nfc("A &#8211; B &amp; C"), "A – B & C");
        assert_eq!(
            vietnamese_nfc("Ho\u{0302}\u{0323}i tha\u{0309}o"),
            "Hội thảo"
        );
        assert_eq!(decode_entities("&bogus; & &#xZZ;"), "&bogus; & &#xZZ;");
        // An ampersand with multi-byte letters after it (a cut inside "ệ" panicked).
        assert_eq!(
            vietnamese_nfc("Sở Khoa học &amp; Công nghệ &amp"),
            "Sở Khoa học & Công nghệ &amp"
        );
        assert_eq!(decode_entities("&Côngnghệ"), "&Côngnghệ");
        assert!(
            serialized_size_files("s:5:\"sizes\" s:4:\"file\";s:18446744073709551615:\"x\"")
                .is_empty()
        );
    }

    #[test]
    fn upload_paths_stay_inside_the_uploads_folder() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = dir.path().join("uploads");
        std::fs::create_dir_all(uploads.join("2024/07")).unwrap();
        std::fs::write(uploads.join("2024/07/a.jpg"), b"x").unwrap();
        std::fs::write(dir.path().join("secret.xlsx"), b"x").unwrap();
        assert!(inside(&uploads, "2024/07/a.jpg").is_some());
        for bad in [
            "../secret.xlsx",
            "2024/../../secret.xlsx",
            "/etc/passwd",
            "",
            "2024/07/missing.jpg",
        ] {
            assert_eq!(inside(&uploads, bad), None, "{bad}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.xlsx"), uploads.join("link.xlsx"))
                .unwrap();
            assert_eq!(
                inside(&uploads, "link.xlsx"),
                None,
                "a link out of the folder"
            );
        }
    }

    #[test]
    fn dates_are_read_in_utc_or_vietnam_time() {
        assert_eq!(
            parse_gmt("2024-07-23 02:30:00").unwrap().to_string(),
            "2024-07-23T02:30:00Z"
        );
        assert_eq!(parse_gmt("0000-00-00 00:00:00"), None);
        assert_eq!(
            parse_local("2024-07-23 09:30:00").unwrap().to_string(),
            "2024-07-23T02:30:00Z"
        );
    }
}

//! `trangtin import crawl URL --map MAP.toml`: reading a portal that exports nothing.
//!
//! The map says which addresses are list pages and which are items (patterns where
//! `*` stands for any text), and where an item's title, date, summary, body and
//! attachments are (CSS selectors). The crawler stays on the old site's host names,
//! waits between requests, never follows a logout, login or admin link (nor a
//! Liferay action URL, `p_p_lifecycle=1`, which changes state), and decodes every page
//! to UTF-8 NFC whatever its encoding (TCVN3, VNI and Windows-1258 included).
//!
//! An item already in the id map is not fetched again, so a second run changes
//! nothing and a killed run resumes where it stopped.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use reqwest::Url;
use scraper::{Html, Selector};
use serde::Deserialize;

use super::vietnamese::{self, Encoding};
use super::{Error, Failed, Incoming, IncomingFile, Progress, Skipped, Staging, markup};
use crate::content::{Attachment, Fields, Kind};
use crate::store::Store;

/// The operator's description of the old site (TOML).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Map {
    /// Milliseconds to wait between two requests (politeness).
    #[serde(default = "default_delay")]
    pub delay_ms: u64,
    /// Seconds a page may take before it counts as failed.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Largest page or file fetched, in bytes.
    #[serde(default = "default_max_bytes")]
    pub max_page_bytes: u64,
    /// Most pages fetched in one run.
    #[serde(default = "default_max_pages")]
    pub max_pages: u64,
    /// `auto`, or the encoding every page is in: utf-8, windows-1258, tcvn3, vni, …
    #[serde(default)]
    pub encoding: Option<String>,
    /// How dates are written, in strftime notation: `%d/%m/%Y` for 19/07/2024.
    #[serde(default = "default_date_format")]
    pub date_format: String,
    /// The old site's other host names (links to them are followed too).
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Addresses never followed, besides the built-in logout, login and admin ones.
    #[serde(default)]
    pub skip: Vec<String>,
    /// The section of items found on no list page with a section.
    #[serde(default)]
    pub section: Option<String>,
    #[serde(default)]
    pub lists: Vec<ListPattern>,
    pub items: Vec<ItemPattern>,
}

fn default_delay() -> u64 {
    500
}
fn default_timeout() -> u64 {
    30
}
fn default_max_bytes() -> u64 {
    5 * 1024 * 1024
}
fn default_max_pages() -> u64 {
    100_000
}
fn default_date_format() -> String {
    "%d/%m/%Y".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListPattern {
    /// The list pages' addresses (path and query), `*` for any text.
    pub pattern: String,
    /// Where the items it links to go.
    #[serde(default)]
    pub section: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemPattern {
    pub pattern: String,
    /// `article` (the default) or `page`.
    #[serde(default)]
    pub kind: Option<String>,
    pub title: String,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    pub body: String,
    /// Links to the item's files (`.attachments a`).
    #[serde(default)]
    pub attachments: Option<String>,
    /// Elements of the body to drop (share buttons, "print" links, …).
    #[serde(default)]
    pub remove: Vec<String>,
}

impl Map {
    pub fn load(path: &Path) -> Result<Map, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Setup(format!("cannot read the map {}: {e}", path.display())))?;
        let map: Map = toml::from_str(&text)
            .map_err(|e| Error::Setup(format!("the map {} is not valid: {e}", path.display())))?;
        map.check()?;
        Ok(map)
    }

    /// Every selector parses, every encoding is known, and there is an item pattern.
    fn check(&self) -> Result<(), Error> {
        if self.items.is_empty() {
            return Err(Error::Setup(
                "the map has no [[items]]: say which addresses are items and where their parts are"
                    .into(),
            ));
        }
        if let Some(name) = self.forced_encoding_name()
            && Encoding::parse(name).is_none()
        {
            return Err(Error::Setup(format!(
                "unknown encoding {name:?}; use auto, utf-8, windows-1258, windows-1252, tcvn3 or vni"
            )));
        }
        for item in &self.items {
            for s in [
                Some(&item.title),
                item.date.as_ref(),
                item.summary.as_ref(),
                Some(&item.body),
                item.attachments.as_ref(),
            ]
            .into_iter()
            .flatten()
            .chain(item.remove.iter())
            {
                selector(s)?;
            }
        }
        Ok(())
    }

    fn forced_encoding_name(&self) -> Option<&str> {
        self.encoding
            .as_deref()
            .filter(|e| !e.eq_ignore_ascii_case("auto") && !e.is_empty())
    }
}

fn selector(text: &str) -> Result<Selector, Error> {
    Selector::parse(text)
        .map_err(|e| Error::Setup(format!("the CSS selector {text:?} is not valid: {e}")))
}

/// The old site's key: scheme and host of the start address.
pub fn site_of(url: &str) -> Result<String, String> {
    let parsed = Url::parse(url).map_err(|e| format!("{url:?} is not a valid address: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("{url:?} is not an http or https address"));
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| format!("{url:?} has no host"))?;
    Ok(match parsed.port() {
        Some(port) => format!("{}://{host}:{port}", parsed.scheme()),
        None => format!("{}://{host}", parsed.scheme()),
    })
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

/// Path segments and query values a crawler must never follow: they sign out, sign in
/// or administer. A segment matches whole ("logout", or "logout.aspx"), so an article
/// about "thoát nghèo" (`/thoat-ngheo`) is still read.
const NEVER: &[&str] = &[
    "logout",
    "log-out",
    "logoff",
    "signout",
    "sign-out",
    "dang-xuat",
    "dangxuat",
    "thoat",
    "login",
    "log-in",
    "signin",
    "sign-in",
    "dang-nhap",
    "dangnhap",
    "wp-admin",
    "wp-login",
    "admin",
    "administrator",
    "quan-tri",
    "quantri",
    "control_panel",
];

fn never_word(word: &str) -> bool {
    let word = word.to_ascii_lowercase();
    let stem = word.split('.').next().unwrap_or(&word);
    NEVER.contains(&stem)
}

/// Whether a link (path and query) must not be followed: a segment or a query value
/// from `NEVER`, Liferay's action and exclusive-state URLs (`p_p_lifecycle=1` changes
/// state), or the map's own `skip` patterns.
fn never_follow(path_and_query: &str, extra: &[String]) -> bool {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    if path.split('/').any(never_word) {
        return true;
    }
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let liferay_action = (key.ends_with("p_p_lifecycle") && value != "0")
            || (key.ends_with("p_p_state") && value == "exclusive");
        if liferay_action || never_word(value) {
            return true;
        }
    }
    extra.iter().any(|p| wildcard(p, path_and_query))
}

fn path_and_query(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

/// The addresses an old link may arrive in: as written, and with `%3D` and friends
/// decoded in the query (a base64 id like `?tin=NDczMQ%3D%3D`).
fn address_variants(path_and_query: &str) -> Vec<String> {
    let mut out = vec![path_and_query.to_string()];
    if let Some((path, query)) = path_and_query.split_once('?') {
        let decoded = query
            .replace("%3D", "=")
            .replace("%3d", "=")
            .replace("%2B", "+")
            .replace("%2F", "/");
        if decoded != query {
            out.push(format!("{path}?{decoded}"));
        }
    }
    out
}

struct Crawler<'m> {
    map: &'m Map,
    hosts: Vec<String>,
    fetcher: super::fetch::Fetcher,
    forced: Option<Encoding>,
    fetched: u64,
    last_request: Option<std::time::Instant>,
}

/// Whether `url` is on one of the old site's host names.
fn own_host(hosts: &[String], url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
        && url
            .host_str()
            .is_some_and(|h| hosts.iter().any(|o| o.eq_ignore_ascii_case(h)))
}

impl Crawler<'_> {
    fn own(&self, url: &Url) -> bool {
        own_host(&self.hosts, url)
    }

    /// Fetches a page (after the polite delay), decoded.
    fn page(&mut self, url: &Url) -> Result<(String, Encoding), String> {
        if self.fetched >= self.map.max_pages {
            return Err(format!(
                "the limit of {} pages was reached",
                self.map.max_pages
            ));
        }
        let fetched = self.fetch(url)?;
        if !self.own(&fetched.url) {
            return Err(format!("it redirects off the old site, to {}", fetched.url));
        }
        let declared = fetched.content_type.as_deref().and_then(|ct| {
            ct.split(';').find_map(|p| {
                p.trim()
                    .strip_prefix("charset=")
                    .map(|c| c.trim_matches('"'))
            })
        });
        Ok(vietnamese::decode_page(
            &fetched.bytes,
            declared,
            self.forced,
        ))
    }

    fn fetch(&mut self, url: &Url) -> Result<super::fetch::Fetched, String> {
        let wait = Duration::from_millis(self.map.delay_ms);
        let (hosts, skip) = (&self.hosts, &self.map.skip);
        let allowed = |u: &Url| own_host(hosts, u) && !never_follow(&path_and_query(u), skip);
        let (last_request, fetched) = (&mut self.last_request, &mut self.fetched);
        // Every request, redirects included, waits its turn.
        let mut pause = || {
            if let Some(left) = last_request.and_then(|last| wait.checked_sub(last.elapsed())) {
                std::thread::sleep(left);
            }
            *last_request = Some(std::time::Instant::now());
            *fetched += 1;
        };
        self.fetcher.get(url.as_str(), &allowed, &mut pause)
    }
}

/// Crawls from `start` into `staging`.
pub fn run(
    staging: &mut Staging<'_>,
    store: &Store,
    start: &str,
    map: &Map,
    progress: &mut dyn FnMut(&Progress),
) -> Result<(), Error> {
    let start = Url::parse(start).map_err(|e| Error::Setup(format!("{start:?}: {e}")))?;
    let mut hosts: Vec<String> = start.host_str().map(str::to_string).into_iter().collect();
    hosts.extend(map.hosts.iter().map(|h| {
        h.trim()
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string()
    }));
    let sections = store.read_blocking(crate::content::sections::all)?;
    let news: Vec<&str> = sections
        .iter()
        .filter(|s| s.retired_into.is_none() && s.kinds.contains(&Kind::Article))
        .map(|s| s.slug.as_str())
        .collect();
    for wanted in map
        .lists
        .iter()
        .filter_map(|l| l.section.as_deref())
        .chain(map.section.as_deref())
    {
        if !news.contains(&wanted) {
            return Err(Error::Setup(format!(
                "the map names section {wanted:?}, which does not exist or holds no news; sections that do: {}",
                news.join(", ")
            )));
        }
    }
    let fallback = map
        .section
        .clone()
        .or_else(|| news.first().map(|s| (*s).to_string()))
        .ok_or_else(|| Error::Setup("no section holds news".into()))?;
    let mut crawler = Crawler {
        map,
        hosts,
        fetcher: super::fetch::Fetcher::new(
            Duration::from_secs(map.timeout_secs.max(1)),
            map.max_page_bytes,
        )
        .map_err(Error::Setup)?,
        forced: map.forced_encoding_name().and_then(Encoding::parse),
        fetched: 0,
        last_request: None,
    };
    let mut state = Progress {
        phase: "pages".into(),
        ..Progress::default()
    };
    let mut queue: VecDeque<(Url, Option<String>)> = VecDeque::new();
    let mut seen: HashSet<String> = HashSet::new();
    // Content already staged in this run: fingerprint → (address, source id).
    let mut fingerprints: HashMap<String, String> = HashMap::new();
    seen.insert(path_and_query(&start));
    queue.push_back((start.clone(), None));
    let mut first = true;
    while let Some((url, section)) = queue.pop_front() {
        let address = path_and_query(&url);
        let item = map.items.iter().find(|i| wildcard(&i.pattern, &address));
        let list = map.lists.iter().find(|l| wildcard(&l.pattern, &address));
        state.done += 1;
        progress(&state);
        if let Some(item) = item {
            if staging.mapped(&address)?.is_some() {
                staging.report.unchanged += 1;
                continue;
            }
            let section = section.clone().unwrap_or_else(|| fallback.clone());
            match crawl_item(
                staging,
                &mut crawler,
                &url,
                item,
                &section,
                &mut fingerprints,
            ) {
                Ok(()) => {}
                Err(Error::Store(e)) => return Err(Error::Store(e)),
                Err(e) => {
                    state.errors += 1;
                    staging.report.failed.push(Failed {
                        source_id: url.to_string(),
                        reason: e.to_string(),
                    });
                }
            }
            state.files = staging.report.files;
            continue;
        }
        if list.is_none() && !first {
            continue;
        }
        first = false;
        let (html, encoding) = match crawler.page(&url) {
            Ok(page) => page,
            Err(reason) => {
                state.errors += 1;
                staging.report.failed.push(Failed {
                    source_id: url.to_string(),
                    reason,
                });
                continue;
            }
        };
        if !matches!(encoding, Encoding::Utf8) {
            staging
                .report
                .converted
                .push((url.to_string(), encoding.label().to_string()));
        }
        let list_section = list.and_then(|l| l.section.clone()).or(section);
        let document = Html::parse_document(&html);
        let links = Selector::parse("a[href]").map_err(|e| Error::Setup(e.to_string()))?;
        for a in document.select(&links) {
            let Some(href) = a.value().attr("href") else {
                continue;
            };
            let Ok(mut next) = url.join(href.trim()) else {
                continue;
            };
            next.set_fragment(None);
            if !crawler.own(&next) {
                continue;
            }
            let next_address = path_and_query(&next);
            if never_follow(&next_address, &map.skip) {
                continue;
            }
            let wanted = map
                .items
                .iter()
                .any(|i| wildcard(&i.pattern, &next_address))
                || map
                    .lists
                    .iter()
                    .any(|l| wildcard(&l.pattern, &next_address));
            if wanted && seen.insert(next_address) {
                queue.push_back((next, list_section.clone()));
            }
        }
    }
    Ok(())
}

/// Fetches one item and stages it with its files.
fn crawl_item(
    staging: &mut Staging<'_>,
    crawler: &mut Crawler<'_>,
    url: &Url,
    pattern: &ItemPattern,
    section: &str,
    fingerprints: &mut HashMap<String, String>,
) -> Result<(), Error> {
    let address = path_and_query(url);
    let (html, encoding) = crawler.page(url).map_err(Error::Setup)?;
    if !matches!(encoding, Encoding::Utf8) {
        staging
            .report
            .converted
            .push((url.to_string(), encoding.label().to_string()));
    }
    // The document is parsed, read and dropped before any await-free I/O below.
    let parsed = {
        let document = Html::parse_document(&html);
        let text_of = |css: &str| -> Result<Option<String>, Error> {
            let sel = selector(css)?;
            Ok(document.select(&sel).next().map(|e| {
                e.text()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            }))
        };
        let title = text_of(&pattern.title)?.unwrap_or_default();
        let date = match &pattern.date {
            Some(css) => text_of(css)?,
            None => None,
        };
        let summary = match &pattern.summary {
            Some(css) => text_of(css)?.unwrap_or_default(),
            None => String::new(),
        };
        let body_sel = selector(&pattern.body)?;
        let mut body = document
            .select(&body_sel)
            .next()
            .map(|e| e.html())
            .ok_or_else(|| {
                Error::Setup(format!(
                    "no element matches the body selector {:?}",
                    pattern.body
                ))
            })?;
        for css in &pattern.remove {
            let sel = selector(css)?;
            for e in document.select(&sel) {
                body = body.replace(&e.html(), "");
            }
        }
        let mut files = Vec::new();
        if let Some(css) = &pattern.attachments {
            let sel = selector(css)?;
            for a in document.select(&sel) {
                if let Some(href) = a.value().attr("href") {
                    let label = a.text().collect::<String>().trim().to_string();
                    files.push((href.to_string(), label));
                }
            }
        }
        let img = selector("img[src]")?;
        let body_doc = Html::parse_fragment(&body);
        let images: Vec<(String, String)> = body_doc
            .select(&img)
            .filter_map(|i| {
                Some((
                    i.value().attr("src")?.to_string(),
                    i.value().attr("alt").unwrap_or("").to_string(),
                ))
            })
            .collect();
        (title, date, summary, body, files, images)
    };
    let (title, date, summary, body, files, images) = parsed;
    let title = vietnamese::nfc(&title);
    if title.is_empty() {
        return Err(Error::Setup(format!(
            "no title: nothing matches the selector {:?}",
            pattern.title
        )));
    }
    // The same article under a second address: that address leads to the first.
    let fingerprint = format!(
        "{}\u{1f}{}\u{1f}{}",
        title,
        date.clone().unwrap_or_default(),
        crate::store::BlobHash::of(body.as_bytes()).as_str()
    );
    if let Some(first) = fingerprints.get(&fingerprint) {
        staging.report.skipped.push(Skipped {
            source_id: url.to_string(),
            title: title.clone(),
            reason: format!("trùng với {first}: địa chỉ này sẽ chuyển tới cùng bài"),
        });
        let target = first.clone();
        staging.stage_alias(&address, &title, &target, address_variants(&address))?;
        return Ok(());
    }
    let published_at = date
        .as_deref()
        .and_then(|d| find_date(d, &crawler.map.date_format));
    let mut notes = Vec::new();
    if pattern.date.is_some() && published_at.is_none() {
        notes.push(format!(
            "Không đọc được ngày đăng theo định dạng {}.",
            crawler.map.date_format
        ));
    }
    // Images in the body and the attachments: stored like uploads.
    let mut new_addresses: HashMap<String, String> = HashMap::new();
    for (src, alt) in &images {
        let Ok(file_url) = url.join(src) else {
            continue;
        };
        if !crawler.own(&file_url) {
            continue;
        }
        match stage_remote_file(staging, crawler, &file_url, &vietnamese::nfc(alt)) {
            Ok((_, new)) => {
                new_addresses.insert(src.clone(), new);
            }
            // A store that cannot be written stops the run.
            Err(e @ Error::Store(_)) => return Err(e),
            Err(reason) => {
                staging
                    .report
                    .missing_files
                    .push(format!("{file_url}: {reason}"));
                notes.push(format!("Thiếu ảnh của trang cũ: {file_url}"));
            }
        }
    }
    let mut attachments = Vec::new();
    for (href, label) in &files {
        let Ok(file_url) = url.join(href) else {
            continue;
        };
        if !crawler.own(&file_url) {
            continue;
        }
        match stage_remote_file(staging, crawler, &file_url, "") {
            Ok((meta, new)) => {
                new_addresses.insert(href.clone(), new);
                if let Some(meta) = meta {
                    attachments.push(Attachment {
                        blob: meta.hash,
                        name: if label.is_empty() {
                            meta.original_name
                        } else {
                            vietnamese::nfc(label)
                        },
                        size: meta.size,
                        content_type: meta.content_type,
                    });
                }
            }
            Err(e @ Error::Store(_)) => return Err(e),
            Err(reason) => {
                staging
                    .report
                    .missing_files
                    .push(format!("{file_url}: {reason}"));
                notes.push(format!("Thiếu tệp đính kèm của trang cũ: {file_url}"));
            }
        }
    }
    // Links inside the body: files to their new addresses, the old site's own pages to
    // their path here (the redirects of the batch lead on from there).
    let body = markup::rewrite_links(&body, &|value| {
        if let Some(new) = new_addresses.get(value) {
            return Some(new.clone());
        }
        let joined = url.join(value).ok()?;
        crawler.own(&joined).then(|| path_and_query(&joined))
    });
    let kind = match pattern.kind.as_deref() {
        Some("page") => Kind::Page,
        _ => Kind::Article,
    };
    let slug = staging.reserve(kind, &crate::content::slug::slugify(&title))?;
    let new_address = kind.url(&slug);
    let mut old_addresses = address_variants(&address);
    old_addresses.retain(|a| *a != new_address);
    staging.stage(Incoming {
        source_id: address.clone(),
        kind,
        slug,
        section: (kind == Kind::Article).then(|| section.to_string()),
        fields: Fields {
            title,
            summary: vietnamese::nfc(&summary),
            body_html: body,
            attachments,
            ..Fields::default()
        },
        published_at,
        go_live: true,
        old_addresses,
        created_by: None,
        unit: None,
        notes,
    })?;
    fingerprints.insert(fingerprint, new_address);
    Ok(())
}

/// Fetches and stores a file of the old site (once per run and across runs).
fn stage_remote_file(
    staging: &mut Staging<'_>,
    crawler: &mut Crawler<'_>,
    url: &Url,
    alt: &str,
) -> Result<(Option<crate::store::BlobMeta>, String), Error> {
    let address = path_and_query(url);
    if let Some(mapped) = staging.mapped(&address)? {
        let meta = match (&mapped.file, staging.reads()) {
            (Some((hash, _)), Some(store)) => {
                store.read_blocking(|tx| crate::content::blob(tx, hash))?
            }
            _ => None,
        };
        return Ok((meta, mapped.address));
    }
    let fetched = crawler.fetch(url).map_err(Error::Setup)?;
    let name = url
        .path_segments()
        .and_then(|mut s| s.next_back().map(str::to_string))
        .filter(|n| !n.is_empty())
        .map_or_else(|| "tep".into(), |n| markup::percent_decode(&n));
    // A file served from a script (`/image/journal/article?img_id=…`) has no name of
    // its own: the content says what it is.
    let name = match crate::media::sniff(&fetched.bytes) {
        Some(kind)
            if !name.rsplit_once('.').is_some_and(|(_, ext)| {
                kind.extensions()
                    .contains(&ext.to_ascii_lowercase().as_str())
            }) =>
        {
            format!("{name}.{}", kind.extensions()[0])
        }
        _ => name,
    };
    let (hash, new) = staging.stage_file(IncomingFile {
        source_id: address.clone(),
        upload: crate::media::Upload {
            name,
            bytes: fetched.bytes,
            alt: alt.to_string(),
        },
        old_addresses: address_variants(&address),
    })?;
    let meta = match staging.reads() {
        Some(store) if !staging.dry_run() => {
            store.read_blocking(|tx| crate::content::blob(tx, &hash))?
        }
        _ => None,
    };
    Ok((meta, new))
}

/// The first date in `text` written as `format` (`%d/%m/%Y`, optionally with a time),
/// as the start of that day (or that minute) in Vietnam.
pub fn find_date(text: &str, format: &str) -> Option<Timestamp> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (i, (start, c)) in chars.iter().enumerate() {
        if !c.is_ascii_digit() {
            continue;
        }
        // Try the longest candidate first (a date with its time), then shorter ones.
        for len in (6..=24).rev() {
            let Some(end) = chars
                .get(i + len)
                .map(|(e, _)| *e)
                .or_else(|| (i + len == chars.len()).then_some(text.len()))
            else {
                continue;
            };
            let candidate = &text[*start..end];
            if let Ok(dt) = jiff::civil::DateTime::strptime(format, candidate) {
                return crate::format::vietnam().to_timestamp(dt).ok();
            }
            if let Ok(d) = jiff::civil::Date::strptime(format, candidate) {
                return crate::format::vietnam().to_timestamp(d.at(0, 0, 0, 0)).ok();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_with_wildcards() {
        assert!(wildcard(
            "/index.php/Home/ChiTietTin/?tin=*",
            "/index.php/Home/ChiTietTin/?tin=NDczMQ%3D%3D"
        ));
        assert!(wildcard(
            "/web/guest/tin-tuc*",
            "/web/guest/tin-tuc?p_p_id=101&page=2"
        ));
        assert!(wildcard(
            "*/content/*",
            "/web/guest/tin/-/asset_publisher/x/content/hoi-thao"
        ));
        assert!(!wildcard("/tin-tuc/*", "/van-ban/x"));
        assert!(wildcard("/a", "/a"));
        assert!(!wildcard("/a*b*c", "/abx"));
    }

    #[test]
    fn dangerous_links_are_never_followed() {
        for bad in [
            "/c/portal/logout",
            "/web/guest/home?p_p_id=58&p_p_lifecycle=1&_58_struts_action=%2Flogin%2Flogin",
            "/wp-admin/post.php",
            "/dang-xuat",
            "/Admin/Index",
        ] {
            assert!(never_follow(bad, &[]), "{bad}");
        }
        assert!(!never_follow(
            "/web/guest/tin-tuc?p_p_id=101&p_p_lifecycle=0",
            &[]
        ));
        assert!(never_follow("/in-an/x", &["/in-an/*".into()]));
        for fine in [
            "/thoat-ngheo-ben-vung",
            "/administrative-procedures",
            "/quan-tri-doanh-nghiep",
        ] {
            assert!(!never_follow(fine, &[]), "{fine}");
        }
        assert!(never_follow("/Account/Logout.aspx", &[]));
        assert!(never_follow("/index.php?act=dangxuat", &[]));
    }

    #[test]
    fn dates_are_found_in_their_format() {
        let t = find_date("Ngày đăng: 19/07/2024 - 08:30", "%d/%m/%Y").unwrap();
        assert_eq!(t.to_string(), "2024-07-18T17:00:00Z");
        let t = find_date("Cập nhật 19/07/2024 08:30", "%d/%m/%Y %H:%M").unwrap();
        assert_eq!(t.to_string(), "2024-07-19T01:30:00Z");
        assert_eq!(find_date("không có ngày", "%d/%m/%Y"), None);
    }

    #[test]
    fn base64_ids_arrive_escaped_or_not() {
        assert_eq!(
            address_variants("/index.php/Home/ChiTietTin/?tin=NDczMQ%3D%3D"),
            vec![
                "/index.php/Home/ChiTietTin/?tin=NDczMQ%3D%3D".to_string(),
                "/index.php/Home/ChiTietTin/?tin=NDczMQ==".to_string()
            ]
        );
    }
}

//! How search engines and aggregators find the site: `robots.txt`, and the XML
//! sitemap (sitemaps.org 0.9) as an index of parts, one for the site's fixed pages and
//! lists and one per kind and block of entry ids (`content::sitemap`), each URL with
//! its lastmod.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;

use super::cached_as;
use super::feeds::origin;
use crate::app::App;
use crate::content::{self, Kind, Published};
use crate::http::error::HttpError;
use crate::paths;

const XML_TYPE: &str = "application/xml; charset=utf-8";

/// The part with the home page, lists, categories and other fixed pages.
const FIXED_PART: &str = "chung";

/// `GET /robots.txt`: everything public may be crawled; the admin and the search
/// results (endless, and no one's canonical page) may not.
pub async fn robots_txt(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let origin = origin(&app, &headers);
    let key = format!("{origin}/robots.txt");
    let text = format!(
        "User-agent: *\nDisallow: /quan-tri\nDisallow: {search}\nAllow: /\n\nSitemap: {origin}/sitemap.xml\n",
        search = paths::SEARCH,
    );
    cached_as(&app, &headers, key, "text/plain; charset=utf-8", || async {
        Ok(text)
    })
    .await
}

/// `GET /thong-ke-truy-cap.json`: visitors online, today and in total.
pub async fn visits_json(State(app): State<Arc<App>>) -> Response {
    let counts = app.visits.counts(app.clock.now());
    (
        [
            (axum::http::header::CACHE_CONTROL, "no-store"),
            (axum::http::header::CONTENT_TYPE, "application/json"),
        ],
        serde_json::to_string(&counts).unwrap_or_default(),
    )
        .into_response()
}

#[derive(serde::Serialize)]
struct VisitsView {
    layout: crate::render::views::Layout,
    counts: crate::stats::Counts,
}

/// `GET /thong-ke-truy-cap`: the same counts as a page, for browsers without script.
pub async fn visits_page(State(app): State<Arc<App>>) -> Result<Response, HttpError> {
    let site = app.store.read(crate::site::load).await?;
    let view = VisitsView {
        layout: crate::render::views::Layout::new(
            &site,
            app.origin(),
            "Thống kê truy cập",
            "/thong-ke-truy-cap",
        ),
        counts: app.visits.counts(app.clock.now()),
    };
    crate::http::admin::page(
        &app,
        "public/visits.html",
        &view,
        crate::http::error::Outcome::Shown,
    )
}

/// `GET /giao-dien.css`: the approved colours of the site.
pub async fn theme_css(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    cached_as(
        &app,
        &headers,
        "/giao-dien.css".into(),
        "text/css; charset=utf-8",
        || async {
            let site = app.store.read(crate::site::load).await?;
            Ok(crate::site::theme_css(&site.colours))
        },
    )
    .await
}

/// Appends `<tag><loc>…</loc><lastmod>…</lastmod></tag>` and a newline: the address
/// made of `loc`'s pieces, escaped for XML, and the time in UTC to the second (W3C
/// datetime).
fn push_entry<const N: usize>(
    out: &mut String,
    tag: &str,
    loc: [&str; N],
    lastmod: Option<Timestamp>,
) {
    use std::fmt::Write as _;
    let _ = write!(out, "<{tag}><loc>");
    for piece in loc {
        push_xml(out, piece);
    }
    out.push_str("</loc>");
    if let Some(time) = lastmod {
        let t = jiff::tz::Offset::UTC.to_datetime(time);
        let _ = write!(
            out,
            "<lastmod>{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z</lastmod>",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
    }
    let _ = writeln!(out, "</{tag}>");
}

/// Appends `text` escaped as `feeds::xml` escapes it.
fn push_xml(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find(['&', '<', '>', '"']) {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            _ => "&quot;",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

/// When an entry last changed as citizens see it: its shown revision.
fn lastmod(p: &Published) -> Timestamp {
    p.revision.created_at
}

fn kind_stem(kind: Kind) -> &'static str {
    kind.url_prefix().trim_start_matches('/')
}

/// `GET /sitemap.xml`: the index of parts, each with the newest lastmod in it.
pub async fn sitemap_index(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let origin = origin(&app, &headers);
    let key = format!("{origin}/sitemap.xml");
    cached_as(&app, &headers, key, XML_TYPE, || {
        render_index(app.clone(), origin.clone())
    })
    .await
}

/// `GET /sitemap/{part}.xml`: `chung.xml`, or `{kind}-{n}.xml`.
pub async fn sitemap_part(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let part = name.strip_suffix(".xml").ok_or(HttpError::NotFound)?;
    let which = if part == FIXED_PART {
        None
    } else {
        let (stem, number) = part.rsplit_once('-').ok_or(HttpError::NotFound)?;
        let kind = Kind::ALL
            .iter()
            .copied()
            .find(|k| kind_stem(*k) == stem)
            .ok_or(HttpError::NotFound)?;
        let number: u64 = number
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or(HttpError::NotFound)?;
        Some((kind, number))
    };
    let origin = origin(&app, &headers);
    let key = format!("{origin}/sitemap/{part}.xml");
    cached_as(&app, &headers, key, XML_TYPE, || {
        render_part(app.clone(), origin.clone(), which)
    })
    .await
}

async fn render_index(app: Arc<App>, origin: String) -> Result<String, HttpError> {
    // The part summaries, not the entries: the index costs the same for ten entries
    // or a million.
    let parts = app
        .store
        .read(|tx| -> Result<_, content::Error> {
            let parts = content::sitemap::parts(tx)?;
            let newest_overall = parts.iter().map(|p| p.lastmod).max();
            let mut named: Vec<(String, Option<Timestamp>)> =
                vec![(FIXED_PART.to_string(), newest_overall)];
            named.extend(parts.iter().map(|p| (p.name(), Some(p.lastmod))));
            Ok(named)
        })
        .await?;
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    out.reserve(parts.len() * 120);
    for (name, newest) in parts {
        push_entry(
            &mut out,
            "sitemap",
            [origin.as_str(), "/sitemap/", &name, ".xml"],
            newest,
        );
    }
    out.push_str("</sitemapindex>\n");
    Ok(out)
}

async fn render_part(
    app: Arc<App>,
    origin: String,
    which: Option<(Kind, u64)>,
) -> Result<String, HttpError> {
    let urls = app
        .store
        .read(move |tx| -> Result<_, content::Error> {
            match which {
                None => fixed_urls(tx),
                Some((kind, number)) => Ok(content::sitemap::part(tx, kind, number)?.map(|rows| {
                    rows.into_iter()
                        .map(|row| (kind.url(&row.slug), Some(row.lastmod)))
                        .collect()
                })),
            }
        })
        .await?
        .ok_or(HttpError::NotFound)?;
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    // A part lists up to 2,000 addresses: written straight into one buffer sized for
    // them, without the five or so temporary strings per address that `format!` and
    // escaping by `replace` made (a tenth of an uncached part's time was the allocator).
    out.reserve(urls.len() * 120);
    for (path, changed) in urls {
        push_entry(&mut out, "url", [origin.as_str(), &path], changed);
    }
    out.push_str("</urlset>\n");
    Ok(out)
}

type Urls = Vec<(String, Option<Timestamp>)>;

/// The home page, the sitemap page, each kind's list and each category, dated by the
/// newest entry in them.
fn fixed_urls(tx: &impl crate::store::Tx) -> Result<Option<Urls>, content::Error> {
    let mut urls: Urls = Vec::new();
    let mut newest_overall = None;
    let mut lists = Vec::new();
    for kind in Kind::ALL {
        if *kind == Kind::Page {
            continue;
        }
        let newest = content::list_published(tx, content::List::Kind(*kind), 1, 1)?
            .items
            .first()
            .map(lastmod);
        newest_overall = newest_overall.max(newest);
        lists.push((kind.list_url().to_string(), newest));
    }
    for category in content::categories(tx)?
        .into_iter()
        .filter(content::sections::has_own_list)
    {
        let newest = content::list_published(tx, content::List::Category(&category.slug), 1, 1)?
            .items
            .first()
            .map(lastmod);
        lists.push((paths::category(&category.slug), newest));
    }
    urls.push((paths::HOME.to_string(), newest_overall));
    urls.push((paths::SITEMAP.to_string(), None));
    urls.extend(lists);
    Ok(Some(urls))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_written_as_format_and_strftime_wrote_it() {
        let cases = [
            (
                "https://sokhcn.gialai.gov.vn",
                "/tin-tuc/a&b<c>\"d\"-é",
                "2026-12-07T08:05:09.123Z",
            ),
            ("https://x.vn", "/van-ban/01-2026", "0999-01-02T03:04:05Z"),
        ];
        for (origin, path, time) in cases {
            let time: Timestamp = time.parse().unwrap();
            let mut out = String::new();
            push_entry(&mut out, "url", [origin, path], Some(time));
            let old = format!(
                "<url><loc>{}</loc><lastmod>{}</lastmod></url>\n",
                super::super::feeds::xml(&format!("{origin}{path}")),
                time.strftime("%Y-%m-%dT%H:%M:%SZ")
            );
            assert_eq!(out, old);
        }
        let mut out = String::new();
        push_entry(
            &mut out,
            "sitemap",
            ["https://x.vn", "/sitemap/", "co-dinh", ".xml"],
            None,
        );
        assert_eq!(
            out,
            "<sitemap><loc>https://x.vn/sitemap/co-dinh.xml</loc></sitemap>\n"
        );
    }
}

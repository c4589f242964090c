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
    out.push('<');
    out.push_str(tag);
    out.push_str("><loc>");
    for piece in loc {
        push_xml(out, piece);
    }
    out.push_str("</loc>");
    if let Some(time) = lastmod {
        out.push_str("<lastmod>");
        push_utc_second(out, time);
        out.push_str("</lastmod>");
    }
    out.push_str("</");
    out.push_str(tag);
    out.push_str(">\n");
}

/// Appends `time` in UTC to the second, `YYYY-MM-DDThh:mm:ssZ`, digit by digit: the
/// formatting machinery took a tenth of a part's time for two thousand of them.
fn push_utc_second(out: &mut String, time: Timestamp) {
    let t = jiff::tz::Offset::UTC.to_datetime(time);
    let Ok(year) = u16::try_from(t.year()) else {
        // Before the year 0: never a real entry's time, but written all the same.
        use std::fmt::Write as _;
        let _ = write!(
            out,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        return;
    };
    let two = |n: i8| [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
    let [m1, m2] = two(t.month());
    let [d1, d2] = two(t.day());
    let [h1, h2] = two(t.hour());
    let [i1, i2] = two(t.minute());
    let [s1, s2] = two(t.second());
    let digit = |n: u16| b'0' + (n % 10) as u8;
    let text = [
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        m1,
        m2,
        b'-',
        d1,
        d2,
        b'T',
        h1,
        h2,
        b':',
        i1,
        i2,
        b':',
        s1,
        s2,
        b'Z',
    ];
    // Every byte above is an ASCII digit or sign.
    out.push_str(std::str::from_utf8(&text).unwrap_or_default());
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
    const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
    let out = app
        .store
        .read(move |tx| -> Result<_, content::Error> {
            let mut out = String::from(HEAD);
            match which {
                None => {
                    let Some(urls) = fixed_urls(tx)? else {
                        return Ok(None);
                    };
                    for (path, changed) in urls {
                        push_entry(&mut out, "url", [origin.as_str(), &path], changed);
                    }
                }
                Some((kind, number)) => {
                    // Up to 2,000 addresses, each written straight from the stored row
                    // into one buffer: no copy of the rows, no string per address (the
                    // allocator and `format!` were a quarter of an uncached part's time).
                    // (The origin can come from the Host header: its length is capped here.)
                    out.reserve(content::sitemap::BLOCK as usize * (origin.len().min(200) + 100));
                    let prefix = kind.url_prefix();
                    let rows =
                        content::sitemap::each_in_part(tx, kind, number, |slug, changed| {
                            push_entry(
                                &mut out,
                                "url",
                                [origin.as_str(), prefix, "/", slug],
                                Some(changed),
                            );
                        })?;
                    if rows == 0 {
                        return Ok(None);
                    }
                }
            }
            out.push_str("</urlset>\n");
            Ok(Some(out))
        })
        .await?;
    // Kept in the page cache as an exact copy made on this thread: the buffer written on
    // the store's thread is sized for a full part and belongs to that thread's heap, and
    // cached there, a thousand parts in a row left 60 MB more memory in use.
    out.map(|xml| xml.as_str().to_owned())
        .ok_or(HttpError::NotFound)
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
            ("https://x.vn", "/trang/a", "9999-12-30T21:59:59Z"),
            ("https://x.vn", "/trang/b", "0000-01-01T00:00:00Z"),
            ("https://x.vn", "/trang/c", "-000001-10-20T10:20:30Z"),
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

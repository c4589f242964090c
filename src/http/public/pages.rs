//! Home, lists, entries and the sitemap.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::{PER_PAGE, cached};
use crate::app::App;
use crate::content::cards::{self, CardRow};
use crate::content::{self, Category, Kind, List, PageOf, Published, Window};
use crate::http::error::HttpError;
use crate::http::params::Params;
use crate::paths;
use crate::render::views::{
    Card, DisclosureView, EntryPage, EntryView, HomeView, Layout, Link, ListView, Pagination,
    PlainView, Section, SitemapSection, SitemapView, find_category,
};
use crate::site::{self, SiteSettings};

/// `GET /`
pub async fn home(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Response, HttpError> {
    cached(&app, &headers, paths::HOME.into(), || {
        render_home(app.clone())
    })
    .await
}

/// `GET /tin-tuc`
pub async fn news(
    State(app): State<Arc<App>>,
    query: Params,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let page = query.page()?;
    let key = paths::list_page(paths::NEWS, page);
    cached(&app, &headers, key, || render_list(app.clone(), None, page)).await
}

/// `GET /chuyen-muc/{slug}`
pub async fn category(
    State(app): State<Arc<App>>,
    Path(slug): Path<String>,
    query: Params,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let page = query.page()?;
    let key = paths::list_page(&paths::category(&slug), page);
    cached(&app, &headers, key, || {
        render_list(app.clone(), Some(slug), page)
    })
    .await
}

/// `GET /tin-tuc/{slug}`
pub async fn article(
    State(app): State<Arc<App>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    entry(app, Kind::Article, slug, headers).await
}

/// `GET /trang/{slug}`
pub async fn page(
    State(app): State<Arc<App>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    entry(app, Kind::Page, slug, headers).await
}

/// `GET /en/{slug}`: a page in English. The fixed pages' slugs (reached here only
/// percent-encoded) are not entries: their pages have their own routes and keys.
pub async fn english_page(
    State(app): State<Arc<App>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    if Kind::EnglishPage.reserved_slugs().contains(&slug.as_str()) {
        return Err(HttpError::NotFound);
    }
    entry(app, Kind::EnglishPage, slug, headers).await
}

#[derive(serde::Serialize)]
struct EnglishIndexView {
    layout: Layout,
    pages: Vec<Link>,
}

/// `GET /en/`: the English pages and the agency's contacts, in English (C18). The
/// contacts come from the site settings, so they are never out of date.
pub async fn english_index(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    cached(&app, &headers, "/en/".into(), || render_english_index(&app)).await
}

async fn render_english_index(app: &App) -> Result<String, HttpError> {
    let (site, pages) = app
        .store
        .read(|tx| -> Result<_, content::Error> {
            Ok((
                site::load(tx)?,
                content::all_published(tx, Kind::EnglishPage)?,
            ))
        })
        .await?;
    let title = if site.agency_name_en.is_empty() {
        "English".to_string()
    } else {
        site.agency_name_en.clone()
    };
    let view = EnglishIndexView {
        layout: Layout::new(&site, app.origin(), &title, "/en/"),
        pages: pages
            .iter()
            .map(|p| Link {
                label: p.revision.fields.title.clone(),
                url: p.url(),
            })
            .collect(),
    };
    Ok(app.renderer.render("public/english.html", &view)?)
}

/// One person of the directory, in English where the record has it.
#[derive(serde::Serialize)]
struct EnglishContact {
    name: String,
    position: String,
    /// The position is only in Vietnamese (`lang="vi"` on the page).
    position_vi: bool,
    phone: String,
    email: String,
    url: String,
}

/// A unit and its people, in directory order.
#[derive(serde::Serialize)]
struct EnglishUnit {
    name: String,
    name_vi: bool,
    people: Vec<EnglishContact>,
}

#[derive(serde::Serialize)]
struct EnglishDirectoryView {
    layout: Layout,
    units: Vec<EnglishUnit>,
}

/// The staff directory (`Person` entries) grouped by unit, in English where each record
/// has English fields, in the directory's own order.
fn english_units(people: &[Published]) -> Vec<EnglishUnit> {
    let get = |p: &Published, key: &str| {
        p.revision
            .fields
            .record
            .get(key)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let mut sorted: Vec<&Published> = people.iter().collect();
    sorted.sort_by_key(|p| get(p, "order").parse::<u64>().unwrap_or(u64::MAX));
    let mut units: Vec<EnglishUnit> = Vec::new();
    for p in sorted {
        let (unit_en, unit_vi) = (get(p, "unit_en"), get(p, "unit"));
        let (name, name_vi) = if unit_en.is_empty() {
            (unit_vi, true)
        } else {
            (unit_en, false)
        };
        let position_en = get(p, "position_en");
        let contact = EnglishContact {
            name: p.revision.fields.title.clone(),
            position_vi: position_en.is_empty(),
            position: if position_en.is_empty() {
                get(p, "position")
            } else {
                position_en
            },
            phone: get(p, "phone"),
            email: get(p, "email"),
            url: p.url(),
        };
        match units.iter_mut().find(|u| u.name == name) {
            Some(unit) => unit.people.push(contact),
            None => units.push(EnglishUnit {
                name,
                name_vi,
                people: vec![contact],
            }),
        }
    }
    units
}

/// `GET /en/organisation` and `GET /en/contacts`: the agency's organisation and its
/// directory in English (C18), drawn from the staff directory, so they follow it.
pub async fn english_organisation(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    cached(&app, &headers, ENGLISH_ORGANISATION.into(), || {
        render_english_directory(&app, "public/english_organisation.html")
    })
    .await
}

pub async fn english_contacts(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    cached(&app, &headers, ENGLISH_CONTACTS.into(), || {
        render_english_directory(&app, "public/english_contacts.html")
    })
    .await
}

pub const ENGLISH_ORGANISATION: &str = "/en/organisation";
pub const ENGLISH_CONTACTS: &str = "/en/contacts";

async fn render_english_directory(app: &App, template: &str) -> Result<String, HttpError> {
    let (site, people) = app
        .store
        .read(|tx| -> Result<_, content::Error> {
            Ok((site::load(tx)?, content::all_published(tx, Kind::Person)?))
        })
        .await?;
    let (title, path) = if template.ends_with("organisation.html") {
        ("Organisation", ENGLISH_ORGANISATION)
    } else {
        ("Contacts", ENGLISH_CONTACTS)
    };
    let view = EnglishDirectoryView {
        layout: Layout::new(&site, app.origin(), title, path),
        units: english_units(&people),
    };
    Ok(app.renderer.render(template, &view)?)
}

/// `GET /so-do-trang`
pub async fn sitemap(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    cached(&app, &headers, paths::SITEMAP.into(), || {
        render_sitemap(app.clone())
    })
    .await
}

/// `GET /tro-nang`: the accessibility statement (F9–F10).
pub async fn accessibility(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    cached(&app, &headers, paths::ACCESSIBILITY.into(), || async {
        let site = app.store.read(site::load).await?;
        let view = PlainView {
            layout: Layout::new(&site, app.origin(), "Trợ năng", paths::ACCESSIBILITY),
        };
        Ok(app.renderer.render("public/accessibility.html", &view)?)
    })
    .await
}

/// `GET /cong-khai`: the list of disclosed information (C13, O8), made from the
/// sections' settings, so it says what the site does.
pub async fn disclosure(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    cached(&app, &headers, paths::DISCLOSURE.into(), || async {
        let (site, sections) = app
            .store
            .read(|tx| -> Result<_, content::Error> {
                Ok((site::load(tx)?, content::categories(tx)?))
            })
            .await?;
        let view = DisclosureView {
            layout: Layout::new(
                &site,
                app.origin(),
                "Danh mục thông tin công khai",
                paths::DISCLOSURE,
            )
            .with_site_dublin_core(None),
            rows: content::sections::disclosure_list(&sections, &app.config.deadlines),
        };
        Ok(app.renderer.render("public/disclosure.html", &view)?)
    })
    .await
}

async fn entry(
    app: Arc<App>,
    kind: Kind,
    slug: String,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let key = kind.url(&slug);
    super::cached_tagged(&app, &headers, key, "text/html; charset=utf-8", || {
        render_entry(app.clone(), kind, slug)
    })
    .await
}

async fn render_home(app: Arc<App>) -> Result<String, HttpError> {
    let site = app.store.read(site::load).await?;
    render_home_with(&app, site, Layout::new).await
}

/// The home page as `site` would make it: the live settings, or a draft being
/// previewed (`layout` makes the draft's layout, which links the draft's colours).
pub async fn render_home_with(
    app: &Arc<App>,
    site: SiteSettings,
    layout: impl FnOnce(&SiteSettings, &str, &str, &str) -> Layout,
) -> Result<String, HttpError> {
    let now = app.clock.now();
    let (categories, featured, latest, sections, documents, procedures) = app
        .store
        .read(move |tx| -> Result<_, content::Error> {
            let categories = content::categories(tx)?;
            let newest = |list, count| cards::page(tx, list, Window::ALL, 1, count);
            let featured = newest(List::Featured, 3)?.items;
            let latest = newest(List::Kind(Kind::Article), 9)?.items;
            let mut sections = Vec::new();
            for c in categories
                .iter()
                .filter(|c| c.on_home && c.kinds.contains(&Kind::Article))
            {
                let window = c.live_window(now);
                let items = cards::page(tx, List::Category(&c.slug), window, 1, 4)?.items;
                sections.push((c.clone(), items));
            }
            let documents = newest(List::Kind(Kind::LegalDocument), 5)?.items;
            let procedures = newest(List::Kind(Kind::Procedure), 5)?.items;
            Ok((
                categories, featured, latest, sections, documents, procedures,
            ))
        })
        .await?;
    let cards = |items: &[CardRow]| -> Vec<Card> {
        items
            .iter()
            .map(|row| Card::of(row.clone(), &categories))
            .collect()
    };
    // The home page changes with its newest item, whatever block shows it.
    let home_updated = crate::render::views::last_card_change(
        latest
            .iter()
            .chain(&featured)
            .chain(&documents)
            .chain(&procedures)
            .chain(sections.iter().flat_map(|(_, items)| items)),
    );
    let latest: Vec<CardRow> = latest
        .into_iter()
        .filter(|p| !featured.iter().any(|f| f.id == p.id))
        .take(6)
        .collect();
    // Settings name banner images by hash; one that is not a hash shows no banner.
    let banners = site
        .banners
        .iter()
        .filter_map(|b| {
            let hash = crate::store::BlobHash::try_from(b.image.clone()).ok()?;
            Some(crate::render::views::BannerView {
                src: crate::paths::blob(&hash, "bang-ron.jpg"),
                alt: b.alt.clone(),
                href: b.href.clone(),
            })
        })
        .collect();
    let view = HomeView {
        layout: layout(&site, app.origin(), "Trang chủ", paths::HOME)
            .with_site_dublin_core(home_updated),
        featured: cards(&featured),
        latest: cards(&latest),
        sections: sections
            .iter()
            .filter(|(_, items)| !items.is_empty())
            .map(|(c, items)| Section {
                category: Link::category(c),
                items: cards(items),
            })
            .collect(),
        documents: cards(&documents),
        procedures: cards(&procedures),
        banners,
    };
    Ok(app.renderer.render("public/home.html", &view)?)
}

async fn render_list(
    app: Arc<App>,
    slug: Option<String>,
    page: usize,
) -> Result<String, HttpError> {
    let now = app.clock.now();
    let (site, categories, category, list) = app
        .store
        .read(move |tx| -> Result<_, content::Error> {
            let category = match &slug {
                Some(slug) => {
                    // A retired section, or one that leads elsewhere, answers with
                    // where it is now.
                    let all = content::sections::all(tx)?;
                    match content::sections::resolve(&all, slug) {
                        Some(now) if now.slug != *slug || !content::sections::has_own_list(now) => {
                            return Ok(Err(content::sections::address(now)));
                        }
                        found => Some(found.cloned()),
                    }
                }
                None => None,
            };
            let list = match &category {
                Some(Some(c)) => cards::page(
                    tx,
                    List::Category(&c.slug),
                    c.live_window(now),
                    page,
                    PER_PAGE,
                )?,
                Some(None) => PageOf {
                    items: Vec::new(),
                    page,
                    per_page: PER_PAGE,
                    total: 0,
                },
                None => cards::page(tx, List::Kind(Kind::Article), Window::ALL, page, PER_PAGE)?,
            };
            Ok(Ok((
                site::load(tx)?,
                content::categories(tx)?,
                category,
                list,
            )))
        })
        .await?
        .map_err(HttpError::Moved)?;
    let (heading, description, base) = match &category {
        Some(None) => return Err(HttpError::NotFound),
        Some(Some(c)) => (
            c.name.clone(),
            c.description.clone(),
            paths::category(&c.slug),
        ),
        None => (
            "Tin tức".to_string(),
            "Tin tức, sự kiện về hoạt động của cơ quan.".to_string(),
            paths::NEWS.to_string(),
        ),
    };
    let this = category.as_ref().and_then(Option::as_ref);
    let parent = this
        .and_then(|c| c.parent.as_deref())
        .and_then(|p| categories.iter().find(|c| c.slug == p))
        .map(Link::category);
    let children = this
        .map(|c| {
            categories
                .iter()
                .filter(|child| child.parent.as_deref() == Some(c.slug.as_str()))
                .map(Link::category)
                .collect()
        })
        .unwrap_or_default();
    let mut view = cards_page(&app, &site, &categories, list, heading, description, &base)?;
    view.categories = categories
        .iter()
        .filter(|c| c.kinds.contains(&Kind::Article))
        .map(Link::category)
        .collect();
    view.archive = this.filter(|c| c.retention_years.is_some()).map(|c| Link {
        url: paths::archive(&c.slug),
        label: format!(
            "Tin, bài đăng quá {} năm được chuyển vào Lưu trữ",
            c.retention_years.unwrap_or_default()
        ),
    });
    view.parent = parent;
    view.children = children;
    view.feed = match &category {
        Some(Some(c)) => format!("/rss/chuyen-muc/{}.xml", c.slug),
        _ => "/rss/tin-tuc.xml".to_string(),
    };
    Ok(app.renderer.render("public/list.html", &view)?)
}

/// `GET /luu-tru`: the public archive (O6): the sections whose items move there once
/// past their online period.
pub async fn archive_index(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let key = paths::ARCHIVE.to_string();
    cached(&app, &headers, key, || render_archive(app.clone(), None, 1)).await
}

/// `GET /luu-tru/{slug}`: a section's archived items, newest first.
pub async fn archive(
    State(app): State<Arc<App>>,
    Path(slug): Path<String>,
    query: Params,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let page = query.page()?;
    let key = paths::list_page(&paths::archive(&slug), page);
    cached(&app, &headers, key, || {
        render_archive(app.clone(), Some(slug), page)
    })
    .await
}

/// One page of a list of cards (a section, the news, a section's archive), with its
/// heading and pagination; the caller adds the links around it. 404 past the last page.
fn cards_page(
    app: &App,
    site: &SiteSettings,
    categories: &[content::Category],
    list: PageOf<CardRow>,
    heading: String,
    description: String,
    base: &str,
) -> Result<ListView, HttpError> {
    if list.page > list.page_count() {
        return Err(HttpError::NotFound);
    }
    let path = paths::list_page(base, list.page);
    Ok(ListView {
        layout: Layout::new(site, app.origin(), &heading, &path)
            .with_description(&description)
            .with_site_dublin_core(crate::render::views::last_card_change(&list.items)),
        pagination: Pagination::new(base, &list),
        items: list
            .items
            .into_iter()
            .map(|row| Card::of(row, categories))
            .collect(),
        categories: Vec::new(),
        archive: None,
        parent: None,
        children: Vec::new(),
        feed: String::new(),
        heading,
        description,
    })
}

async fn render_archive(
    app: Arc<App>,
    slug: Option<String>,
    page: usize,
) -> Result<String, HttpError> {
    let now = app.clock.now();
    let asked_for_a_section = slug.is_some();
    let (site, categories, section, list) = app
        .store
        .read(move |tx| -> Result<_, content::Error> {
            let categories = content::categories(tx)?;
            let section = slug.and_then(|slug| {
                categories
                    .iter()
                    .find(|c| c.slug == slug && c.retention_years.is_some())
                    .cloned()
            });
            let list = match (
                &section,
                section.as_ref().and_then(|c| c.archived_before(now)),
            ) {
                (Some(c), Some(before)) => cards::page(
                    tx,
                    List::Category(&c.slug),
                    Window::before(before),
                    page,
                    PER_PAGE,
                )?,
                _ => PageOf {
                    items: Vec::new(),
                    page,
                    per_page: PER_PAGE,
                    total: 0,
                },
            };
            Ok((site::load(tx)?, categories, section, list))
        })
        .await?;
    // Every section's part of the archive, for the sidebar and the index.
    let section_archives: Vec<Link> = categories
        .iter()
        .filter(|c| c.retention_years.is_some() && c.retired_into.is_none())
        .map(|c| Link {
            url: paths::archive(&c.slug),
            label: c.name.clone(),
        })
        .collect();
    let archive_link = Link {
        url: paths::ARCHIVE.to_string(),
        label: "Lưu trữ".to_string(),
    };
    let (heading, description, base, parent, children) = match &section {
        Some(c) => (
            format!("Lưu trữ: {}", c.name),
            format!(
                "Tin, bài của chuyên mục “{}” đã đăng quá {} năm. Các bài vẫn giữ nguyên địa chỉ và vẫn tìm thấy được qua ô tìm kiếm.",
                c.name,
                c.retention_years.unwrap_or_default()
            ),
            paths::archive(&c.slug),
            Some(archive_link),
            Vec::new(),
        ),
        None if page == 1 => (
            "Lưu trữ".to_string(),
            "Tin, bài đã hết thời hạn đăng trên chuyên mục được chuyển vào đây và vẫn giữ nguyên địa chỉ.".to_string(),
            paths::ARCHIVE.to_string(),
            None,
            section_archives.clone(),
        ),
        None => return Err(HttpError::NotFound),
    };
    if asked_for_a_section && section.is_none() {
        return Err(HttpError::NotFound);
    }
    let mut view = cards_page(&app, &site, &categories, list, heading, description, &base)?;
    view.categories = section_archives;
    view.parent = parent;
    view.children = children;
    view.feed = "/rss/tin-tuc.xml".to_string();
    Ok(app.renderer.render("public/list.html", &view)?)
}

/// An entry's page, and what it shows besides the entry (for the cache): its section's
/// newest items, and the page it sits under.
async fn render_entry(
    app: Arc<App>,
    kind: Kind,
    slug: String,
) -> Result<(String, Vec<String>), HttpError> {
    let found = app
        .store
        .read(move |tx| -> Result<_, content::Error> {
            let Some(entry) = content::find_published(tx, kind, &slug)? else {
                return Ok(None);
            };
            let categories = content::categories(tx)?;
            let related = match &entry.entry.category {
                Some(cat) => cards::page(tx, List::Category(cat), Window::ALL, 1, 5)?.items,
                None => Vec::new(),
            };
            // A page under another (an old site's page tree) names it in its trail.
            let parent = match &entry.revision.fields.parent {
                Some(slug) if kind == Kind::Page => content::find_published(tx, Kind::Page, slug)?
                    .map(|p| Link {
                        url: p.url(),
                        label: p.revision.fields.title,
                    }),
                _ => None,
            };
            Ok(Some((site::load(tx)?, categories, entry, related, parent)))
        })
        .await?;
    let (site, categories, entry, related, parent) = found.ok_or(HttpError::NotFound)?;
    let mut shows: Vec<String> = entry
        .entry
        .category
        .iter()
        .map(|c| format!("cat:{c}"))
        .collect();
    shows.extend(parent.iter().map(|p| format!("page:{}", p.url)));
    let mut view = entry_view(&app, &site, &categories, &entry, &related);
    view.entry.parent = parent;
    Ok((app.renderer.render("public/entry.html", &view)?, shows))
}

/// The view of one entry's page; the admin preview uses it too, so a preview is
/// exactly what citizens will see.
pub fn entry_view(
    app: &App,
    site: &SiteSettings,
    categories: &[Category],
    entry: &Published,
    related: &[CardRow],
) -> EntryView {
    let category = find_category(categories, entry);
    let fields = &entry.revision.fields;
    EntryView {
        layout: Layout::new(site, app.origin(), &fields.title, &entry.url())
            .with_description(&fields.summary)
            .with_entry_dublin_core(entry, category),
        entry: EntryPage::new(entry, category),
        related: related
            .iter()
            .filter(|row| row.id != entry.entry.id)
            .take(4)
            .map(|row| Card::of(row.clone(), categories))
            .collect(),
        preview: false,
        legal: None,
        procedure: None,
        record: None,
        consultation: None,
    }
}

async fn render_sitemap(app: Arc<App>) -> Result<String, HttpError> {
    let (site, categories, pages) = app
        .store
        .read(|tx| -> Result<_, content::Error> {
            Ok((
                site::load(tx)?,
                content::categories(tx)?,
                content::all_published(tx, Kind::Page)?,
            ))
        })
        .await?;
    let link = |label: &str, url: &str| Link {
        label: label.to_string(),
        url: url.to_string(),
    };
    let mut sections: Vec<SitemapSection> = site
        .menu
        .iter()
        .map(|item| SitemapSection {
            link: link(&item.label, &item.href),
            children: item
                .children
                .iter()
                .map(|c| link(&c.label, &c.href))
                .collect(),
        })
        .collect();
    sections.push(SitemapSection {
        link: link("Cơ sở dữ liệu", "/van-ban"),
        children: Kind::ALL
            .iter()
            .filter(|k| !matches!(k, Kind::Article | Kind::Page))
            .map(|k| link(k.label(), k.list_url()))
            .collect(),
    });
    sections.push(SitemapSection {
        link: link("Chuyên mục tin", paths::NEWS),
        children: categories.iter().map(Link::category).collect(),
    });
    sections.push(SitemapSection {
        link: link("Giới thiệu", paths::HOME),
        children: pages
            .iter()
            .map(|p| link(&p.revision.fields.title, &p.url()))
            .collect(),
    });
    let view = SitemapView {
        layout: Layout::new(&site, app.origin(), "Sơ đồ trang", paths::SITEMAP)
            .with_site_dublin_core(None),
        sections,
    };
    Ok(app.renderer.render("public/sitemap.html", &view)?)
}

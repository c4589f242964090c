//! "Giao diện trang": the site's look (Art. 3.3): header and footer facts, menus, the
//! home page's blocks, colours, logo, links to state portals and banners. Staff who
//! may (administrators and the Board) save a draft and preview it; only the head of
//! the Editorial Board approves it, which puts it live and drops the page cache. A
//! draft can also be returned with a reason. Every step is audited.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::form::FormData;
use super::views::{AdminLayout, FieldError};
use super::{Desk, SignedIn, page};
use crate::app::App;
use crate::format;
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;
use crate::render::views::Layout;
use crate::site::{self, Banner, Draft, HomeBlocks, Link, MenuItem, SiteSettings};
use crate::workflow::Role;

pub const PATH: &str = "/quan-tri/giao-dien";
pub const PREVIEW: &str = "/quan-tri/giao-dien/xem-truoc";
pub const PREVIEW_CSS: &str = "/quan-tri/giao-dien/xem-truoc.css";
pub const APPROVE: &str = "/quan-tri/giao-dien/duyet";
pub const RETURN: &str = "/quan-tri/giao-dien/tra-lai";

/// The settings as the form shows them: one text per field, lists as lines.
#[derive(Debug, Default, Serialize)]
struct Values {
    agency_name: String,
    agency_name_en: String,
    short_name: String,
    managing_body: String,
    responsible_person: String,
    address: String,
    managing_body_en: String,
    responsible_person_en: String,
    address_en: String,
    phone: String,
    fax: String,
    email: String,
    copyright: String,
    tagline: String,
    logo: String,
    header_colour: String,
    menu_colour: String,
    /// `Nhãn | /duong-dan`, children start with `-`.
    menu: String,
    home: HomeBlocks,
    /// `Tên | https://…`
    portals: String,
    /// `mã ảnh | mô tả | đường dẫn`
    banners: String,
}

impl Values {
    fn of(s: &SiteSettings) -> Values {
        let mut menu = Vec::new();
        for item in &s.menu {
            menu.push(format!("{} | {}", item.label, item.href));
            for child in &item.children {
                menu.push(format!("- {} | {}", child.label, child.href));
            }
        }
        Values {
            agency_name: s.agency_name.clone(),
            agency_name_en: s.agency_name_en.clone(),
            short_name: s.short_name.clone(),
            managing_body: s.managing_body.clone(),
            responsible_person: s.responsible_person.clone(),
            address: s.address.clone(),
            managing_body_en: s.managing_body_en.clone(),
            responsible_person_en: s.responsible_person_en.clone(),
            address_en: s.address_en.clone(),
            phone: s.phone.clone(),
            fax: s.fax.clone(),
            email: s.email.clone(),
            copyright: s.copyright.clone(),
            tagline: s.tagline.clone(),
            logo: s.logo.clone().unwrap_or_default(),
            header_colour: s.colours.header.clone(),
            menu_colour: s.colours.menu.clone(),
            menu: menu.join("\n"),
            home: s.home.clone(),
            portals: s
                .portals
                .iter()
                .map(|l| format!("{} | {}", l.label, l.href))
                .collect::<Vec<_>>()
                .join("\n"),
            banners: s
                .banners
                .iter()
                .map(|b| format!("{} | {} | {}", b.image, b.alt, b.href))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

fn parts(line: &str) -> Vec<String> {
    line.split('|').map(|p| p.trim().to_string()).collect()
}

/// The settings a submitted form describes (checked separately by `site::check`).
fn from_form(form: &FormData) -> SiteSettings {
    let text = |name: &str| form.get(name).trim().to_string();
    let mut menu: Vec<MenuItem> = Vec::new();
    for line in lines(form.get("menu")) {
        let (child, line) = match line.strip_prefix('-') {
            Some(rest) => (true, rest.trim()),
            None => (false, line),
        };
        let p = parts(line);
        let item = MenuItem {
            label: p.first().cloned().unwrap_or_default(),
            href: p.get(1).cloned().unwrap_or_default(),
            children: Vec::new(),
        };
        match (child, menu.last_mut()) {
            (true, Some(parent)) => parent.children.push(item),
            _ => menu.push(item),
        }
    }
    SiteSettings {
        agency_name: text("agency_name"),
        agency_name_en: text("agency_name_en"),
        short_name: text("short_name"),
        managing_body: text("managing_body"),
        responsible_person: text("responsible_person"),
        address: text("address"),
        managing_body_en: text("managing_body_en"),
        responsible_person_en: text("responsible_person_en"),
        address_en: text("address_en"),
        phone: text("phone"),
        fax: text("fax"),
        email: text("email"),
        copyright: text("copyright"),
        tagline: text("tagline"),
        logo: Some(text("logo")).filter(|l| !l.is_empty()),
        menu,
        // The sections' menu is not the look's to change (see `site::approve`).
        sections_menu: Vec::new(),
        home: HomeBlocks {
            featured: form.has("home_featured"),
            latest: form.has("home_latest"),
            categories: form.has("home_categories"),
            documents: form.has("home_documents"),
            procedures: form.has("home_procedures"),
            portals: form.has("home_portals"),
            banners: form.has("home_banners"),
        },
        colours: site::Colours {
            header: text("header_colour").to_lowercase(),
            menu: text("menu_colour").to_lowercase(),
        },
        portals: lines(form.get("portals"))
            .map(|line| {
                let p = parts(line);
                Link {
                    label: p.first().cloned().unwrap_or_default(),
                    href: p.get(1).cloned().unwrap_or_default(),
                }
            })
            .collect(),
        banners: lines(form.get("banners"))
            .map(|line| {
                let p = parts(line);
                Banner {
                    image: p.first().cloned().unwrap_or_default(),
                    alt: p.get(1).cloned().unwrap_or_default(),
                    href: p.get(2).cloned().unwrap_or_default(),
                }
            })
            .collect(),
    }
}

#[derive(Serialize)]
struct ImageChoice {
    hash: String,
    name: String,
}

#[derive(Serialize)]
struct LookView {
    layout: AdminLayout,
    values: Values,
    errors: Vec<FieldError>,
    draft: Option<DraftInfo>,
    may_change: bool,
    may_approve: bool,
    images: Vec<ImageChoice>,
}

#[derive(Serialize)]
struct DraftInfo {
    by: String,
    at: String,
    /// Which draft the approval form approves.
    version: String,
    changes: Vec<&'static str>,
    /// Each changed field, the value in use beside the draft's.
    table: Vec<Change>,
}

/// One changed field: its name, and the lines of its value now and in the draft;
/// colours also as swatches.
#[derive(Serialize)]
struct Change {
    label: &'static str,
    live: Vec<String>,
    draft: Vec<String>,
    live_colour: Option<String>,
    draft_colour: Option<String>,
}

fn menu_lines(items: &[crate::site::MenuItem]) -> Vec<String> {
    let mut out = Vec::new();
    for item in items {
        out.push(format!("{} → {}", item.label, item.href));
        for child in &item.children {
            out.push(format!("    — {} → {}", child.label, child.href));
        }
    }
    out
}

fn home_lines(h: &crate::site::HomeBlocks) -> Vec<String> {
    [
        ("Tin nổi bật", h.featured),
        ("Tin mới nhất", h.latest),
        ("Tin theo chuyên mục", h.categories),
        ("Văn bản mới", h.documents),
        ("Thủ tục hành chính", h.procedures),
        ("Liên kết cổng thông tin", h.portals),
        ("Băng-rôn", h.banners),
    ]
    .iter()
    .map(|(name, on)| format!("{name}: {}", if *on { "hiện" } else { "ẩn" }))
    .collect()
}

/// The look's fields a draft changes, old and new side by side.
fn change_table(
    live: &SiteSettings,
    draft: &SiteSettings,
    names: &std::collections::HashMap<String, String>,
) -> Vec<Change> {
    let mut out = Vec::new();
    let mut push = |label: &'static str, a: Vec<String>, b: Vec<String>| {
        if a != b {
            out.push(Change {
                label,
                live: a,
                draft: b,
                live_colour: None,
                draft_colour: None,
            });
        }
    };
    let text = |v: &str| vec![v.to_string()];
    push(
        "Tên cơ quan",
        text(&live.agency_name),
        text(&draft.agency_name),
    );
    push(
        "Tên tiếng Anh",
        text(&live.agency_name_en),
        text(&draft.agency_name_en),
    );
    push(
        "Tên viết tắt",
        text(&live.short_name),
        text(&draft.short_name),
    );
    push(
        "Cơ quan chủ quản",
        text(&live.managing_body),
        text(&draft.managing_body),
    );
    push(
        "Người chịu trách nhiệm",
        text(&live.responsible_person),
        text(&draft.responsible_person),
    );
    push(
        "Cơ quan chủ quản (tiếng Anh)",
        text(&live.managing_body_en),
        text(&draft.managing_body_en),
    );
    push(
        "Người chịu trách nhiệm (tiếng Anh)",
        text(&live.responsible_person_en),
        text(&draft.responsible_person_en),
    );
    push(
        "Địa chỉ (tiếng Anh)",
        text(&live.address_en),
        text(&draft.address_en),
    );
    push("Khẩu hiệu", text(&live.tagline), text(&draft.tagline));
    push("Địa chỉ", text(&live.address), text(&draft.address));
    push("Điện thoại", text(&live.phone), text(&draft.phone));
    push("Fax", text(&live.fax), text(&draft.fax));
    push("Thư điện tử", text(&live.email), text(&draft.email));
    push("Bản quyền", text(&live.copyright), text(&draft.copyright));
    push("Trình đơn", menu_lines(&live.menu), menu_lines(&draft.menu));
    push(
        "Các khối trang chủ",
        home_lines(&live.home),
        home_lines(&draft.home),
    );
    let logo = |l: &Option<String>| {
        vec![l.as_ref().map_or("Biểu trưng mặc định".to_string(), |h| {
            names
                .get(h)
                .cloned()
                .unwrap_or_else(|| "Ảnh trong thư viện".to_string())
        })]
    };
    push("Biểu trưng", logo(&live.logo), logo(&draft.logo));
    let links = |l: &[crate::site::Link]| {
        l.iter()
            .map(|x| format!("{} → {}", x.label, x.href))
            .collect()
    };
    push(
        "Liên kết cổng thông tin",
        links(&live.portals),
        links(&draft.portals),
    );
    let banners = |l: &[crate::site::Banner]| {
        l.iter()
            .map(|b| format!("{} → {}", b.alt, b.href))
            .collect()
    };
    push("Băng-rôn", banners(&live.banners), banners(&draft.banners));
    for (label, a, b) in [
        ("Màu đầu trang", &live.colours.header, &draft.colours.header),
        ("Màu trình đơn", &live.colours.menu, &draft.colours.menu),
    ] {
        if a != b {
            out.push(Change {
                label,
                live: vec![a.clone()],
                draft: vec![b.clone()],
                live_colour: crate::site::parse_colour(a).map(|_| a.clone()),
                draft_colour: crate::site::parse_colour(b).map(|_| b.clone()),
            });
        }
    }
    out
}

/// The parts of the look a draft changes, in words.
fn changes(live: &SiteSettings, draft: &SiteSettings) -> Vec<&'static str> {
    let mut out = Vec::new();
    let facts = |s: &SiteSettings| {
        (
            s.agency_name.clone(),
            s.agency_name_en.clone(),
            s.short_name.clone(),
            s.managing_body.clone(),
            s.responsible_person.clone(),
            s.tagline.clone(),
            (
                s.managing_body_en.clone(),
                s.responsible_person_en.clone(),
                s.address_en.clone(),
            ),
        )
    };
    let footer = |s: &SiteSettings| {
        (
            s.address.clone(),
            s.phone.clone(),
            s.fax.clone(),
            s.email.clone(),
            s.copyright.clone(),
        )
    };
    if facts(live) != facts(draft) {
        out.push("tên cơ quan và đầu trang");
    }
    if footer(live) != footer(draft) {
        out.push("chân trang");
    }
    if live.menu != draft.menu {
        out.push("trình đơn");
    }
    if live.home != draft.home {
        out.push("các khối trang chủ");
    }
    if live.colours != draft.colours {
        out.push("màu sắc");
    }
    if live.logo != draft.logo {
        out.push("biểu trưng");
    }
    if live.portals != draft.portals {
        out.push("liên kết cổng thông tin");
    }
    if live.banners != draft.banners {
        out.push("băng-rôn");
    }
    out
}

async fn look_page(
    app: &Arc<App>,
    staff: &Desk,
    shown: Option<SiteSettings>,
    errors: Vec<FieldError>,
    flash: Option<&str>,
) -> Result<Response, HttpError> {
    let (live, draft) = app.store.read(site::live_and_draft).await?;
    // Library images only (not the smaller copies made of them).
    let images: Vec<ImageChoice> = app
        .store
        .read(|tx| crate::media::library(tx, Some(true)))
        .await?
        .into_iter()
        .map(|b| ImageChoice {
            hash: b.hash.to_string(),
            name: b.original_name,
        })
        .collect();
    let names: std::collections::HashMap<String, String> = images
        .iter()
        .map(|i| (i.hash.clone(), i.name.clone()))
        .collect();
    let outcome = if errors.is_empty() {
        Outcome::Shown
    } else {
        Outcome::Invalid
    };
    let values = Values::of(
        shown
            .as_ref()
            .or(draft.as_ref().map(|d| &d.settings))
            .unwrap_or(&live),
    );
    let view = LookView {
        layout: staff.layout("Giao diện trang").with_flash(flash),
        values,
        errors,
        draft: draft.as_ref().map(|d| DraftInfo {
            by: d.by_name.clone(),
            at: format::datetime(d.at),
            version: d.at.to_string(),
            changes: changes(&live, &d.settings),
            table: change_table(&live, &d.settings, &names),
        }),
        may_change: super::Capability::SiteLook.admits(&staff.user.roles),
        may_approve: staff.user.roles.contains(&Role::BoardHead),
        images,
    };
    page(app, "admin/look.html", &view, outcome)
}

/// `GET /quan-tri/giao-dien`
pub async fn look(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    look_page(&app, &staff, None, Vec::new(), query.flash()).await
}

/// `POST /quan-tri/giao-dien`: saves the form as the draft waiting for approval.
pub async fn save_draft(
    State(app): State<Arc<App>>,
    staff: Desk,
    form: FormData,
) -> Result<Response, HttpError> {
    let mut settings = from_form(&form);
    // The sections' menu is theirs; the draft is checked with the live one.
    settings.sections_menu = app.store.read(site::load).await?.sections_menu;
    let invalid = site::check(&settings);
    if !invalid.is_empty() {
        let errors = invalid
            .into_iter()
            .map(|i| FieldError {
                field: i.field,
                message: i.message,
            })
            .collect();
        return look_page(&app, &staff, Some(settings), errors, None).await;
    }
    let draft = Draft {
        settings,
        by: staff.user.login.clone(),
        by_name: staff.user.name.clone(),
        at: app.clock.now(),
    };
    app.store.write(move |tx| site::propose(tx, &draft)).await?;
    Ok(see_other(&format!("{PATH}?tb=da-luu-giao-dien")))
}

/// `POST /quan-tri/giao-dien/duyet`: the head of the Board approves the draft they
/// saw (`ban_nhap`, its version).
pub async fn approve_draft(
    State(app): State<Arc<App>>,
    SignedIn(staff): SignedIn,
    form: FormData,
) -> Result<Response, HttpError> {
    let seen: jiff::Timestamp = form
        .get("ban_nhap")
        .parse()
        .map_err(|_| HttpError::BadRequest("which draft is approved is missing"))?;
    let (login, now) = (staff.user.login.clone(), app.clock.now());
    let approved = app
        .store
        .write(move |tx| site::approve(tx, &login, seen, now))
        .await?;
    if approved.is_none() {
        return Ok(see_other(&format!("{PATH}?tb=khong-co-ban-nhap")));
    }
    app.cache.clear();
    Ok(see_other(&format!("{PATH}?tb=da-duyet-giao-dien")))
}

/// `POST /quan-tri/giao-dien/tra-lai`: or returns it with a reason (`ly_do`).
pub async fn return_draft(
    State(app): State<Arc<App>>,
    staff: Desk,
    form: FormData,
) -> Result<Response, HttpError> {
    let reason = match super::form::return_reason(&form) {
        Ok(reason) => reason,
        Err(error) => return look_page(&app, &staff, None, vec![error], None).await,
    };
    let (login, now) = (staff.user.login.clone(), app.clock.now());
    app.store
        .write(move |tx| site::discard(tx, &login, &reason, now))
        .await?;
    Ok(see_other(&format!("{PATH}?tb=da-tra-lai-giao-dien")))
}

/// The draft if there is one, else the live settings (and whether it is a draft).
async fn draft_or_live(app: &Arc<App>) -> Result<(SiteSettings, bool), HttpError> {
    let (live, draft) = app.store.read(site::live_and_draft).await?;
    Ok(match draft {
        Some(mut d) => {
            d.settings.sections_menu = live.sections_menu;
            (d.settings, true)
        }
        None => (live, false),
    })
}

/// `GET /quan-tri/giao-dien/xem-truoc`: the home page as the draft would make it (or,
/// with no draft, as it is).
pub async fn preview(
    State(app): State<Arc<App>>,
    SignedIn(_staff): SignedIn,
) -> Result<Response, HttpError> {
    let (settings, is_draft) = draft_or_live(&app).await?;
    // Marks the page so no one mistakes it for the live site.
    let note = if is_draft {
        "Bản xem trước giao diện chưa được duyệt"
    } else {
        "Không có bản nháp chờ duyệt: đây là giao diện đang dùng"
    };
    let html =
        crate::http::public::render_home_with(&app, settings, |site, origin, title, path| {
            let mut layout = Layout::new(site, origin, title, path).without_canonical();
            layout.theme_css = PREVIEW_CSS.into();
            layout.title = format!("Xem trước giao diện – {title}");
            layout.preview_note = note.into();
            layout
        })
        .await?;
    Ok(([(CACHE_CONTROL, "no-store")], axum::response::Html(html)).into_response())
}

/// `GET /quan-tri/giao-dien/xem-truoc.css`: the draft's colours.
pub async fn preview_css(
    State(app): State<Arc<App>>,
    SignedIn(_staff): SignedIn,
) -> Result<Response, HttpError> {
    let (settings, _) = draft_or_live(&app).await?;
    Ok((
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
        ],
        site::theme_css(&settings.colours),
    )
        .into_response())
}

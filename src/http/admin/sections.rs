//! "Chuyên mục": the section tree (regulation C1–C18, F7). Administrators and the Board
//! add, edit, reorder and retire sections in a draft; the leadership sees it; only the
//! head of the Editorial Board approves it, which puts it live, moves the entries of
//! retired sections and drops the page cache. Every step is audited, as for the look.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::form::FormData;
use super::views::{AdminLayout, FieldError};
use super::{Desk, SignedIn, page};
use crate::app::App;
use crate::content::sections::{self, Change, Editor};
use crate::content::{self, Category, Disclosure, Kind};
use crate::format;
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;
use crate::render::views::Layout;
use crate::workflow::Role;

pub const PATH: &str = "/quan-tri/chuyen-muc";
pub const MOVE: &str = "/quan-tri/chuyen-muc/sap-xep";
pub const RETIRE: &str = "/quan-tri/chuyen-muc/thoi-dung";
pub const APPROVE: &str = "/quan-tri/chuyen-muc/duyet";
pub const RETURN: &str = "/quan-tri/chuyen-muc/tra-lai";
pub const PREVIEW: &str = "/quan-tri/chuyen-muc/xem-truoc";

#[derive(Serialize)]
struct Row {
    slug: String,
    name: String,
    child: bool,
    address: String,
    kinds: String,
    in_menu: bool,
    on_home: bool,
    deadline: String,
    retention: String,
    retired_into: Option<String>,
}

/// The section form's values.
#[derive(Serialize, Default)]
struct Values {
    /// The section being edited; empty for a new one.
    original: String,
    slug: String,
    name: String,
    description: String,
    parent: String,
    kinds: Vec<&'static str>,
    href: String,
    in_menu: bool,
    on_home: bool,
    deadline_days: String,
    retention_years: String,
    disclosure_form: String,
    disclosure_timing: String,
    disclosure_period: String,
}

impl Values {
    fn of(c: &Category) -> Values {
        Values {
            original: c.slug.clone(),
            slug: c.slug.clone(),
            name: c.name.clone(),
            description: c.description.clone(),
            parent: c.parent.clone().unwrap_or_default(),
            kinds: c.kinds.iter().map(|k| k.as_str()).collect(),
            href: c.href.clone().unwrap_or_default(),
            in_menu: c.in_menu,
            on_home: c.on_home,
            deadline_days: c.deadline_days.map(|d| d.to_string()).unwrap_or_default(),
            retention_years: c.retention_years.map(|y| y.to_string()).unwrap_or_default(),
            disclosure_form: c.disclosure.form.clone(),
            disclosure_timing: c.disclosure.timing.clone(),
            disclosure_period: c.disclosure.period.clone(),
        }
    }

    fn blank() -> Values {
        Values {
            kinds: vec![Kind::Article.as_str()],
            in_menu: true,
            on_home: true,
            ..Values::default()
        }
    }
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct DraftInfo {
    by: String,
    at: String,
    version: String,
    changes: Vec<String>,
    /// Each changed setting of each section, the value in use beside the draft's.
    table: Vec<ChangedSetting>,
}

/// One changed setting: "Section: field", and its lines now and in the draft.
#[derive(Serialize)]
struct ChangedSetting {
    label: String,
    live: Vec<String>,
    draft: Vec<String>,
    live_colour: Option<String>,
    draft_colour: Option<String>,
}

/// The settings of one section, named, as lines a person reads.
fn settings_of(
    c: &crate::content::Category,
    all: &[crate::content::Category],
) -> Vec<(&'static str, String)> {
    let name_of = |slug: &Option<String>| {
        slug.as_ref().map_or_else(
            || "(không có)".to_string(),
            |s| {
                all.iter()
                    .find(|x| &x.slug == s)
                    .map_or_else(|| s.clone(), |x| x.name.clone())
            },
        )
    };
    let yes = |b: bool| if b { "có" } else { "không" }.to_string();
    vec![
        ("Tên", c.name.clone()),
        ("Mô tả", c.description.clone()),
        ("Thứ tự", c.order.to_string()),
        ("Thuộc mục", name_of(&c.parent)),
        (
            "Loại nội dung",
            c.kinds
                .iter()
                .map(|k| k.label())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("Liên kết", c.href.clone().unwrap_or_default()),
        ("Trên trình đơn", yes(c.in_menu)),
        ("Trên trang chủ", yes(c.on_home)),
        (
            "Thời hạn đăng (ngày làm việc)",
            c.deadline_days.map(|d| d.to_string()).unwrap_or_default(),
        ),
        (
            "Thời gian lưu (năm)",
            c.retention_years.map(|d| d.to_string()).unwrap_or_default(),
        ),
        ("Thôi dùng, chuyển sang", name_of(&c.retired_into)),
    ]
}

fn change_table(
    live: &[crate::content::Category],
    draft: &[crate::content::Category],
) -> Vec<ChangedSetting> {
    let mut out = Vec::new();
    for d in draft {
        let after = settings_of(d, draft);
        let before = live
            .iter()
            .find(|l| l.slug == d.slug)
            .map(|l| settings_of(l, live));
        for (i, (field, new)) in after.iter().enumerate() {
            let old = before.as_ref().map(|b| b[i].1.clone());
            if old.as_ref() == Some(new) || (old.is_none() && new.is_empty()) {
                continue;
            }
            out.push(ChangedSetting {
                label: format!("{}: {field}", d.name),
                live: old.map_or_else(|| vec!["(chưa có)".to_string()], |o| vec![o]),
                draft: vec![new.clone()],
                live_colour: None,
                draft_colour: None,
            });
        }
    }
    out
}

#[derive(Serialize)]
struct SectionsView {
    layout: AdminLayout,
    rows: Vec<Row>,
    values: Values,
    editing: bool,
    errors: Vec<FieldError>,
    draft: Option<DraftInfo>,
    may_change: bool,
    may_approve: bool,
    parents: Vec<Choice>,
    targets: Vec<Choice>,
    kinds: Vec<Choice>,
}

fn row(c: &Category, all: &[Category]) -> Row {
    let name_of = |slug: &str| {
        all.iter()
            .find(|x| x.slug == slug)
            .map_or(slug.to_string(), |x| x.name.clone())
    };
    Row {
        slug: c.slug.clone(),
        name: c.name.clone(),
        child: c.parent.is_some(),
        address: sections::address(c),
        kinds: if c.kinds.is_empty() {
            "Tiêu đề nhóm".into()
        } else {
            c.kinds
                .iter()
                .map(|k| k.label())
                .collect::<Vec<_>>()
                .join(", ")
        },
        in_menu: c.in_menu,
        on_home: c.on_home && c.kinds.contains(&Kind::Article),
        deadline: c
            .deadline_days
            .map(|d| format!("{d} ngày làm việc"))
            .unwrap_or_default(),
        retention: c
            .retention_years
            .map(|y| format!("{y} năm"))
            .unwrap_or_default(),
        retired_into: c.retired_into.as_deref().map(name_of),
    }
}

/// What the section form shows.
enum Editing {
    /// A new section.
    New,
    /// The section of this address, as the draft (or the live tree) has it.
    Section(String),
    /// What was just submitted, with its errors.
    Submitted(Box<Values>),
}

async fn sections_page(
    app: &Arc<App>,
    staff: &Desk,
    editing: Editing,
    errors: Vec<FieldError>,
    flash: Option<&str>,
) -> Result<Response, HttpError> {
    let (live, draft) = app.store.read(sections::live_and_draft).await?;
    let shown = draft
        .as_ref()
        .map_or(live.as_slice(), |d| d.sections.as_slice());
    let shown = sections::in_tree_order(shown.to_vec());
    let editing = match editing {
        Editing::New => None,
        Editing::Section(slug) => Some(Values::of(
            shown
                .iter()
                .find(|c| c.slug == slug)
                .ok_or(HttpError::NotFound)?,
        )),
        Editing::Submitted(values) => Some(*values),
    };
    let active: Vec<&Category> = shown.iter().filter(|c| c.retired_into.is_none()).collect();
    let outcome = if errors.is_empty() {
        Outcome::Shown
    } else {
        Outcome::Invalid
    };
    let is_editing = editing.as_ref().is_some_and(|v| !v.original.is_empty());
    let view = SectionsView {
        layout: staff.layout("Chuyên mục").with_flash(flash),
        rows: shown.iter().map(|c| row(c, &shown)).collect(),
        values: editing.unwrap_or_else(Values::blank),
        editing: is_editing,
        errors,
        draft: draft.as_ref().map(|d| DraftInfo {
            by: d.by_name.clone(),
            at: format::datetime(d.at),
            version: d.at.to_string(),
            changes: sections::changes(&live, &d.sections),
            table: change_table(&live, &d.sections),
        }),
        may_change: super::Capability::SiteLook.admits(&staff.user.roles),
        may_approve: staff.user.roles.contains(&Role::BoardHead),
        parents: active
            .iter()
            .filter(|c| c.parent.is_none())
            .map(|c| Choice {
                value: c.slug.clone(),
                label: c.name.clone(),
            })
            .collect(),
        targets: active
            .iter()
            .filter(|c| !c.kinds.is_empty())
            .map(|c| Choice {
                value: c.slug.clone(),
                label: c.name.clone(),
            })
            .collect(),
        kinds: Kind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str().into(),
                label: k.label().into(),
            })
            .collect(),
    };
    page(app, "admin/sections.html", &view, outcome)
}

/// `GET /quan-tri/chuyen-muc` (`?sua=slug` opens a section in the form).
pub async fn list(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    let editing = match query.text("sua") {
        Some(slug) => Editing::Section(slug.to_string()),
        None => Editing::New,
    };
    sections_page(&app, &staff, editing, Vec::new(), query.flash()).await
}

/// The section a submitted form describes.
fn from_form(form: &FormData) -> (Option<String>, Category, Values) {
    let text = |name: &str| form.get(name).trim().to_string();
    let number = |name: &str| text(name).parse::<u32>().ok().filter(|n| *n > 0);
    let original = Some(text("original")).filter(|o| !o.is_empty());
    let name = text("name");
    let slug = match text("slug") {
        s if s.is_empty() => content::slug::slugify(&name),
        s => s,
    };
    let kinds: Vec<Kind> = Kind::ALL
        .iter()
        .copied()
        .filter(|k| form.has(&format!("kind_{}", k.as_str())))
        .collect();
    let mut section = Category::new(&slug, &name);
    section.description = text("description");
    section.parent = Some(text("parent")).filter(|p| !p.is_empty());
    section.kinds = kinds;
    section.href = Some(text("href")).filter(|h| !h.is_empty());
    section.in_menu = form.has("in_menu");
    section.on_home = form.has("on_home");
    section.deadline_days = number("deadline_days");
    section.retention_years = number("retention_years");
    section.disclosure = Disclosure {
        form: text("disclosure_form"),
        timing: text("disclosure_timing"),
        period: text("disclosure_period"),
    };
    let mut values = Values::of(&section);
    values.original = original.clone().unwrap_or_default();
    (original, section, values)
}

/// Runs a change to the draft; its problems come back on the page, with the form.
async fn change(
    app: &Arc<App>,
    staff: &Desk,
    change: Change,
    values: Option<Values>,
    flash: &str,
) -> Result<Response, HttpError> {
    let (login, name, now) = (
        staff.user.login.clone(),
        staff.user.name.clone(),
        app.clock.now(),
    );
    let saved = app
        .store
        .write(move |tx| {
            let by = Editor {
                login: &login,
                name: &name,
            };
            sections::change_draft(tx, &by, change, now)
        })
        .await;
    match saved {
        Ok(_) => Ok(see_other(&format!("{PATH}?tb={flash}"))),
        Err(content::Error::Invalids(problems)) => {
            let errors = problems
                .into_iter()
                .map(|p| FieldError {
                    field: p.field,
                    message: p.message,
                })
                .collect();
            sections_page(
                app,
                staff,
                values.map_or(Editing::New, |v| Editing::Submitted(Box::new(v))),
                errors,
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /quan-tri/chuyen-muc`: adds or edits a section in the draft.
pub async fn save(
    State(app): State<Arc<App>>,
    staff: Desk,
    form: FormData,
) -> Result<Response, HttpError> {
    let (original, section, values) = from_form(&form);
    change(
        &app,
        &staff,
        Change::Save {
            original,
            section: Box::new(section),
        },
        Some(values),
        "da-luu-chuyen-muc",
    )
    .await
}

/// `POST /quan-tri/chuyen-muc/sap-xep`: moves a section up or down (`huong`).
pub async fn reorder(
    State(app): State<Arc<App>>,
    staff: Desk,
    form: FormData,
) -> Result<Response, HttpError> {
    let slug = form.get("slug").to_string();
    let up = form.get("huong") == "len";
    change(
        &app,
        &staff,
        Change::Move { slug, up },
        None,
        "da-luu-chuyen-muc",
    )
    .await
}

/// `POST /quan-tri/chuyen-muc/thoi-dung`: retires a section into `chuyen_sang`.
pub async fn retire(
    State(app): State<Arc<App>>,
    staff: Desk,
    form: FormData,
) -> Result<Response, HttpError> {
    let slug = form.get("slug").to_string();
    let into = form.get("chuyen_sang").to_string();
    change(
        &app,
        &staff,
        Change::Retire { slug, into },
        None,
        "da-luu-chuyen-muc",
    )
    .await
}

/// `POST /quan-tri/chuyen-muc/duyet`: the head of the Board approves the draft they
/// saw (`ban_nhap`).
pub async fn approve(
    State(app): State<Arc<App>>,
    SignedIn(staff): SignedIn,
    form: FormData,
) -> Result<Response, HttpError> {
    let seen: jiff::Timestamp = form
        .get("ban_nhap")
        .parse()
        .map_err(|_| HttpError::BadRequest("which draft is approved is missing"))?;
    let (login, now) = (staff.user.login.clone(), app.clock.now());
    let applied = app
        .store
        .write(move |tx| sections::approve(tx, &login, seen, now))
        .await?;
    let Some(applied) = applied else {
        return Ok(see_other(&format!("{PATH}?tb=khong-co-ban-nhap")));
    };
    app.cache.clear();
    if !applied.moved.is_empty() {
        app.search_repair
            .update(applied.moved, "moving entries between sections")
            .await;
    }
    Ok(see_other(&format!("{PATH}?tb=da-duyet-chuyen-muc")))
}

/// `POST /quan-tri/chuyen-muc/tra-lai`: returns the draft with a reason (`ly_do`).
pub async fn return_draft(
    State(app): State<Arc<App>>,
    staff: Desk,
    form: FormData,
) -> Result<Response, HttpError> {
    let reason = match super::form::return_reason(&form) {
        Ok(reason) => reason,
        Err(error) => return sections_page(&app, &staff, Editing::New, vec![error], None).await,
    };
    let (login, now) = (staff.user.login.clone(), app.clock.now());
    app.store
        .write(move |tx| sections::discard(tx, &login, &reason, now))
        .await?;
    Ok(see_other(&format!("{PATH}?tb=da-tra-lai-chuyen-muc")))
}

/// `GET /quan-tri/chuyen-muc/xem-truoc`: the home page with the draft's menu.
pub async fn preview(
    State(app): State<Arc<App>>,
    SignedIn(_staff): SignedIn,
) -> Result<Response, HttpError> {
    let (site, draft) = app
        .store
        .read(|tx| -> Result<_, content::Error> {
            Ok((crate::site::load(tx)?, sections::draft(tx)?))
        })
        .await?;
    let mut site = site;
    let note = match &draft {
        Some(d) => {
            site.sections_menu = sections::menu(&d.sections);
            "Bản xem trước cây chuyên mục chưa được duyệt"
        }
        None => "Không có bản nháp chờ duyệt: đây là cây chuyên mục đang dùng",
    };
    let html = crate::http::public::render_home_with(&app, site, |site, origin, title, path| {
        let mut layout = Layout::new(site, origin, title, path).without_canonical();
        layout.title = format!("Xem trước chuyên mục – {title}");
        layout.preview_note = note.into();
        layout
    })
    .await?;
    Ok(([(CACHE_CONTROL, "no-store")], axum::response::Html(html)).into_response())
}

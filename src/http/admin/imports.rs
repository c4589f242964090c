//! "Nhập nội dung" (`/quan-tri/nhap`): the batches an import staged (Art. 8.3). The
//! preview lists each item, its section, its address here and the old addresses that
//! will lead to it; the Board head approves a batch in one step, or discards it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;

use super::form::FormData;
use super::views::{AdminLayout, FieldError};
use super::{Capability, Desk, page};
use crate::app::App;
use crate::format;
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;
use crate::import::{self, Batch, BatchState, Staged};

pub const PATH: &str = "/quan-tri/nhap";

/// Items shown on a batch's page at most; the report file has them all.
const SHOWN: usize = 2000;

#[derive(Serialize)]
struct BatchRow {
    id: u64,
    source: String,
    state: &'static str,
    started: String,
    items: u64,
    files: u64,
}

fn state_label(state: BatchState) -> &'static str {
    match state {
        BatchState::Draft => "Chờ Trưởng Ban biên tập duyệt",
        BatchState::Approved => "Đã duyệt",
        BatchState::Discarded => "Đã hủy",
    }
}

fn batch_row(b: &Batch) -> BatchRow {
    BatchRow {
        id: b.id,
        source: format!("{} {}", b.source.kind.label(), b.source.site),
        state: state_label(b.state),
        started: format!("{}, {}", b.started_by, format::datetime(b.started_at)),
        items: b.items,
        files: b.files,
    }
}

#[derive(Serialize)]
struct ListView {
    layout: AdminLayout,
    batches: Vec<BatchRow>,
}

/// `GET /quan-tri/nhap`
pub async fn list(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    let batches = app.store.read(import::batches).await?;
    let view = ListView {
        layout: staff.layout("Nhập nội dung").with_flash(query.flash()),
        batches: batches.iter().map(batch_row).collect(),
    };
    page(&app, "admin/imports.html", &view, Outcome::Shown)
}

#[derive(Serialize)]
struct ItemRow {
    title: String,
    what: String,
    section: String,
    go_live: bool,
    address: String,
    /// A link while the batch waits (the editor's page) or once live (the page).
    link: String,
    old: Vec<String>,
    published: String,
    notes: Vec<String>,
}

#[derive(Serialize)]
struct Counts {
    go_live: usize,
    drafts: usize,
    files: usize,
    redirects: usize,
    flagged: usize,
}

#[derive(Serialize)]
struct BatchView {
    layout: AdminLayout,
    batch: BatchRow,
    waiting: bool,
    may_decide: bool,
    decided: String,
    reason: String,
    counts: Counts,
    items: Vec<ItemRow>,
    hidden: usize,
    report: import::Report,
    errors: Vec<FieldError>,
}

fn item_row(s: Staged, sections: &[crate::content::Category], live: bool) -> ItemRow {
    let what = match s.kind {
        Some(kind) => kind.label().to_string(),
        None if s.source_id.starts_with("attachment:") || s.address.starts_with("/tep/") => {
            "Tệp".to_string()
        }
        None => "Địa chỉ trùng".to_string(),
    };
    let section = s
        .section
        .as_deref()
        .map(|slug| {
            sections
                .iter()
                .find(|c| c.slug == slug)
                .map_or_else(|| slug.to_string(), |c| c.name.clone())
        })
        .unwrap_or_default();
    let link = match (s.entry, live && s.go_live) {
        (_, true) => s.address.clone(),
        (Some(id), false) => format!("/quan-tri/bai-viet/{id}"),
        (None, false) => s.address.clone(),
    };
    ItemRow {
        title: s.title,
        what,
        section,
        go_live: s.go_live,
        address: s.address,
        link,
        old: s.old_addresses,
        published: s.published_at.map(format::datetime).unwrap_or_default(),
        notes: s.notes,
    }
}

async fn batch_page(
    app: &Arc<App>,
    staff: &Desk,
    id: u64,
    errors: Vec<FieldError>,
    flash: Option<&str>,
) -> Result<Response, HttpError> {
    let found = app
        .store
        .read(move |tx| -> Result<_, crate::store::Error> {
            let Some(batch) = import::batch(tx, id)? else {
                return Ok(None);
            };
            let items = import::items(tx, id)?;
            let sections = crate::content::sections::all(tx).map_err(|e| match e {
                crate::content::Error::Store(e) => e,
                other => crate::store::Error::Task(other.to_string()),
            })?;
            Ok(Some((batch, items, sections)))
        })
        .await?;
    let Some((batch, items, sections)) = found else {
        return Err(HttpError::NotFound);
    };
    let live = batch.state == BatchState::Approved;
    let counts = Counts {
        go_live: items
            .iter()
            .filter(|s| s.entry.is_some() && s.go_live)
            .count(),
        drafts: items
            .iter()
            .filter(|s| s.entry.is_some() && !s.go_live)
            .count(),
        files: items
            .iter()
            .filter(|s| s.entry.is_none() && s.address.starts_with("/tep/"))
            .count(),
        redirects: items
            .iter()
            .filter(|s| s.go_live)
            .map(|s| s.old_addresses.len())
            .sum(),
        flagged: items.iter().filter(|s| !s.notes.is_empty()).count(),
    };
    let total = items.len();
    let outcome = if errors.is_empty() {
        Outcome::Shown
    } else {
        Outcome::Invalid
    };
    let view = BatchView {
        layout: staff.layout(&format!("Lô nhập số {id}")).with_flash(flash),
        waiting: batch.state == BatchState::Draft,
        may_decide: Capability::BoardHead.admits(&staff.user.roles),
        decided: match (&batch.decided_by, batch.decided_at) {
            (Some(by), Some(at)) => format!("{by}, {}", format::datetime(at)),
            _ => String::new(),
        },
        reason: batch.reason.clone(),
        counts,
        items: items
            .into_iter()
            .take(SHOWN)
            .map(|s| item_row(s, &sections, live))
            .collect(),
        hidden: total.saturating_sub(SHOWN),
        report: batch.report.clone(),
        batch: batch_row(&batch),
        errors,
    };
    page(app, "admin/import.html", &view, outcome)
}

/// `GET /quan-tri/nhap/{id}`: the batch's preview.
pub async fn show(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(id): Path<u64>,
    query: Params,
) -> Result<Response, HttpError> {
    batch_page(&app, &staff, id, Vec::new(), query.flash()).await
}

/// The signed-in person as the workflow knows them (with their delegations).
fn acting(
    tx: &redb::WriteTransaction,
    user: &crate::auth::User,
) -> Result<crate::workflow::Actor, import::Error> {
    crate::auth::actor(tx, user).map_err(|e| match e {
        crate::auth::Error::Store(e) => import::Error::Store(e),
        other => import::Error::Setup(other.to_string()),
    })
}

/// `POST /quan-tri/nhap/{id}/duyet`: the Board head approves the batch in one step.
pub async fn approve(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(id): Path<u64>,
) -> Result<Response, HttpError> {
    let (user, now) = (staff.user.clone(), app.clock.now());
    let approved = app
        .store
        .write(move |tx| -> Result<_, import::Error> {
            let actor = acting(tx, &user)?;
            import::approve(tx, &actor, id, now)
        })
        .await;
    match approved {
        Ok(done) => {
            app.cache.clear();
            app.search_repair
                .update(
                    done.published,
                    &format!("the approval of import batch {id}"),
                )
                .await;
            Ok(see_other(&format!("{PATH}/{id}?tb=da-duyet-lo-nhap")))
        }
        Err(import::Error::NoSuchBatch(_)) => Err(HttpError::NotFound),
        Err(import::Error::AlreadyDecided(_)) => {
            Ok(see_other(&format!("{PATH}/{id}?tb=lo-nhap-da-xu-ly")))
        }
        Err(import::Error::Store(e)) => Err(e.into()),
        Err(e) => {
            tracing::error!(batch = id, "import approval failed: {e}");
            let error = FieldError {
                field: "duyet",
                message: "Không duyệt được lô nhập này; chưa có gì thay đổi trên trang. Chi tiết đã được ghi vào nhật ký hệ thống.".into(),
            };
            batch_page(&app, &staff, id, vec![error], None).await
        }
    }
}

/// `POST /quan-tri/nhap/{id}/huy`: the Board head discards the batch, with a reason.
pub async fn discard(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(id): Path<u64>,
    form: FormData,
) -> Result<Response, HttpError> {
    let reason = form.get("ly_do").trim().to_string();
    if reason.is_empty() {
        let error = FieldError {
            field: "ly_do",
            message: "Vui lòng ghi lý do hủy lô nhập.".into(),
        };
        return batch_page(&app, &staff, id, vec![error], None).await;
    }
    let (user, now) = (staff.user.clone(), app.clock.now());
    let discarded = app
        .store
        .write(move |tx| -> Result<_, import::Error> {
            let actor = acting(tx, &user)?;
            import::discard(tx, &actor, id, &reason, now)
        })
        .await;
    match discarded {
        Ok(_) => Ok(see_other(&format!("{PATH}/{id}?tb=da-huy-lo-nhap"))),
        Err(import::Error::NoSuchBatch(_)) => Err(HttpError::NotFound),
        Err(import::Error::AlreadyDecided(_)) => {
            Ok(see_other(&format!("{PATH}/{id}?tb=lo-nhap-da-xu-ly")))
        }
        Err(import::Error::Store(e)) => Err(e.into()),
        Err(e) => Err(HttpError::Internal(e.to_string())),
    }
}

//! The procedures catalogue: `/thu-tuc` (by field and level) and `/thu-tuc/{slug}`
//! (the official fields, the legal basis linked to the register, the forms, and the
//! link to the public-service portal where the procedure is carried out).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;

use super::cached;
use crate::app::App;
use crate::content::{self, Kind, Published};
use crate::http::admin::form::encode;
use crate::http::error::HttpError;
use crate::http::params::Params;
use crate::render::views::{Layout, Link, ProcedureView, Row};
use crate::site;

/// The rows of the legal documents the procedure at `entry` rests on, in its order; a
/// slug no listed document has is left out.
pub fn legal_basis(
    tx: &impl crate::store::Tx,
    entry: &Published,
) -> Result<Vec<content::register::Row>, content::Error> {
    let Some(p) = entry.revision.fields.procedure.as_ref() else {
        return Ok(Vec::new());
    };
    let mut rows = Vec::with_capacity(p.legal_basis.len());
    for slug in &p.legal_basis {
        if let Some(row) = content::register::row_at(tx, slug)? {
            rows.push(row);
        }
    }
    Ok(rows)
}

/// The procedure part of an entry page.
pub fn procedure_view(
    entry: &Published,
    basis: &[content::register::Row],
) -> Option<ProcedureView> {
    let p = entry.revision.fields.procedure.as_ref()?;
    let row = |label, value: &str| Row {
        label,
        value: value.to_string(),
    };
    Some(ProcedureView {
        rows: vec![
            row("Mã thủ tục", &p.code),
            row("Lĩnh vực", &p.field),
            row("Cấp thực hiện", &p.level),
            row("Cách thức thực hiện", &p.submission),
            row("Thời hạn giải quyết", &p.processing_time),
            row("Phí, lệ phí", &p.fees),
            row("Đối tượng thực hiện", &p.applicants),
            row("Cơ quan thực hiện", &p.implementing_body),
            row("Kết quả thực hiện", &p.result),
        ],
        steps_html: p.steps_html.clone(),
        dossier_html: p.dossier_html.clone(),
        legal_basis: basis
            .iter()
            .map(|d| Link {
                label: format!("{} {} — {}", d.legal.doc_type, d.legal.number, d.title),
                url: d.url(),
            })
            .collect(),
        portal_url: p.portal_url.clone(),
    })
}

#[derive(Serialize)]
struct Choice {
    value: String,
    selected: bool,
}

#[derive(Serialize)]
struct ProcedureRow {
    code: String,
    name: String,
    url: String,
    field: String,
    level: String,
    portal_url: String,
}

#[derive(Serialize)]
struct CatalogueView {
    layout: Layout,
    fields: Vec<Choice>,
    levels: Vec<Choice>,
    rows: Vec<ProcedureRow>,
}

/// `GET /thu-tuc`
pub async fn procedures(
    State(app): State<Arc<App>>,
    query: Params,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let field = query.get("linh-vuc").to_string();
    let level = query.get("cap").to_string();
    let key = format!(
        "/thu-tuc?linh-vuc={}&cap={}",
        encode(&field),
        encode(&level)
    );
    cached(&app, &headers, key, || {
        render_catalogue(app.clone(), field, level)
    })
    .await
}

async fn render_catalogue(
    app: Arc<App>,
    field: String,
    level: String,
) -> Result<String, HttpError> {
    let (site, all) = app
        .store
        .read(|tx| -> Result<_, content::Error> {
            Ok((
                site::load(tx)?,
                content::all_published(tx, Kind::Procedure)?,
            ))
        })
        .await?;
    let items: Vec<(&Published, &content::procedure::Procedure)> = all
        .iter()
        .filter_map(|p| Some((p, p.revision.fields.procedure.as_ref()?)))
        .collect();
    let choices = |values: BTreeSet<String>, selected: &str| -> Vec<Choice> {
        values
            .into_iter()
            .map(|v| Choice {
                selected: v == selected,
                value: v,
            })
            .collect()
    };
    let fields = choices(items.iter().map(|(_, p)| p.field.clone()).collect(), &field);
    let levels = choices(items.iter().map(|(_, p)| p.level.clone()).collect(), &level);
    let mut rows: Vec<ProcedureRow> = items
        .into_iter()
        .filter(|(_, p)| {
            (field.is_empty() || p.field == field) && (level.is_empty() || p.level == level)
        })
        .map(|(e, p)| ProcedureRow {
            code: p.code.clone(),
            name: e.revision.fields.title.clone(),
            url: e.url(),
            field: p.field.clone(),
            level: p.level.clone(),
            portal_url: p.portal_url.clone(),
        })
        .collect();
    rows.sort_by(|a, b| a.field.cmp(&b.field).then_with(|| a.name.cmp(&b.name)));
    let view = CatalogueView {
        layout: Layout::new(&site, app.origin(), "Thủ tục hành chính", "/thu-tuc")
            .with_description("Danh mục thủ tục hành chính thuộc thẩm quyền giải quyết của Sở, thực hiện trên Cổng Dịch vụ công.")
            .with_site_dublin_core(crate::render::views::last_change(&all)),
        fields,
        levels,
        rows,
    };
    Ok(app.renderer.render("public/procedures.html", &view)?)
}

/// `GET /thu-tuc/{slug}`
pub async fn procedure(
    State(app): State<Arc<App>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let key = Kind::Procedure.url(&slug);
    cached(&app, &headers, key, || render_procedure(app.clone(), slug)).await
}

async fn render_procedure(app: Arc<App>, slug: String) -> Result<String, HttpError> {
    let found = app
        .store
        .read(move |tx| -> Result<_, content::Error> {
            let Some(entry) = content::find_published(tx, Kind::Procedure, &slug)? else {
                return Ok(None);
            };
            let basis = legal_basis(tx, &entry)?;
            Ok(Some((
                site::load(tx)?,
                content::categories(tx)?,
                entry,
                basis,
            )))
        })
        .await?;
    let (site, categories, entry, basis) = found.ok_or(HttpError::NotFound)?;
    let mut view = super::entry_view(&app, &site, &categories, &entry, &[]);
    view.procedure = procedure_view(&entry, &basis);
    Ok(app.renderer.render("public/entry.html", &view)?)
}

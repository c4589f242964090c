//! Public lists and pages of the kinds described in `content::record`: S&T tasks,
//! plans, projects and procurement, magazine issues and the staff directory. The
//! columns, filters and detail rows follow each kind's field list.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;

use super::cached;
use crate::app::App;
use crate::content::record::{self, KindSpec};
use crate::content::record_list;
use crate::content::{self, Kind, Published};
use crate::http::admin::form::encode;
use crate::http::error::HttpError;
use crate::http::params::Params;
use crate::render::views::{ImageView, Layout, Pagination, RecordView, Row};
use crate::site;

/// The detail rows of a described kind's entry.
pub fn record_view(entry: &Published) -> Option<RecordView> {
    let spec = record::spec(entry.entry.kind)?;
    let values = &entry.revision.fields.record;
    Some(RecordView {
        rows: spec
            .fields
            .iter()
            .filter(|f| f.key != "order")
            .filter_map(|f| {
                let v = values.get(f.key)?;
                Some(Row {
                    label: f.label,
                    value: record::display(f, v),
                })
            })
            .collect(),
        files_label: spec.files_label,
    })
}

#[derive(Serialize)]
struct Filter {
    key: &'static str,
    label: &'static str,
    options: Vec<Option_>,
}

#[derive(Serialize)]
struct Option_ {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct ListRow {
    title: String,
    url: String,
    cells: Vec<String>,
    photo: Option<ImageView>,
}

#[derive(Serialize)]
struct RecordListView {
    layout: Layout,
    heading: &'static str,
    intro: &'static str,
    path: String,
    filters: Vec<Filter>,
    columns: Vec<&'static str>,
    /// How many entries match the filters, on every page.
    total: usize,
    rows: Vec<ListRow>,
    pagination: Pagination,
}

/// Rows on one page of a described kind's list.
const PER_PAGE: usize = 50;

/// `GET /{prefix}` for a described kind: its list, filtered by the kind's filter
/// fields, a page at a time (`trang`).
pub async fn list(
    kind: Kind,
    State(app): State<Arc<App>>,
    query: Params,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let spec = record::spec(kind).ok_or(HttpError::NotFound)?;
    let page = query.page()?;
    let mut chosen: Vec<(&'static str, String)> = Vec::new();
    for f in spec.fields.iter().filter(|f| f.filter) {
        if let Some(v) = query.text(f.key) {
            chosen.push((f.key, v.to_string()));
        }
    }
    chosen.sort();
    let filters = chosen
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    // One cache entry per distinct filter and page; unknown parameters make none.
    let key = format!("{}?{filters}&trang={page}", kind.url_prefix());
    cached(&app, &headers, key, || {
        render_list(app.clone(), spec, chosen, filters, page)
    })
    .await
}

async fn render_list(
    app: Arc<App>,
    spec: &'static KindSpec,
    chosen: Vec<(&'static str, String)>,
    filters_query: String,
    page: usize,
) -> Result<String, HttpError> {
    let kind = spec.kind;
    let skip = (page - 1).saturating_mul(PER_PAGE);
    let wanted = chosen.clone();
    let (site, found, choices, modified) = app
        .store
        .read(move |tx| -> Result<_, content::Error> {
            let choices = spec
                .fields
                .iter()
                .filter(|f| f.filter)
                .map(|f| record_list::choices(tx, kind, f.key))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((
                site::load(tx)?,
                record_list::page(tx, kind, &wanted, skip, PER_PAGE)?,
                choices,
                record_list::last_change(tx, kind)?,
            ))
        })
        .await?;
    if found.rows.is_empty() && page > 1 {
        return Err(HttpError::NotFound);
    }
    let filters = spec
        .fields
        .iter()
        .filter(|f| f.filter)
        .zip(choices)
        .map(|(f, values)| Filter {
            key: f.key,
            label: f.label,
            options: values
                .into_iter()
                .map(|(v, _)| Option_ {
                    selected: chosen.iter().any(|(k, c)| *k == f.key && *c == v),
                    label: record::display(f, &v),
                    value: v,
                })
                .collect(),
        })
        .collect();
    let columns: Vec<_> = spec.fields.iter().filter(|f| f.column).collect();
    let base = match filters_query.as_str() {
        "" => kind.url_prefix().to_string(),
        query => format!("{}?{query}", kind.url_prefix()),
    };
    let view = RecordListView {
        layout: Layout::new(&site, app.origin(), kind.label(), kind.url_prefix())
            .with_description(spec.intro)
            .with_site_dublin_core(modified),
        heading: kind.label(),
        intro: spec.intro,
        path: kind.url_prefix().to_string(),
        filters,
        columns: columns.iter().map(|f| f.label).collect(),
        total: found.total,
        rows: found
            .rows
            .iter()
            .map(|r| ListRow {
                title: r.title.clone(),
                url: r.url(),
                cells: columns
                    .iter()
                    .map(|f| record::display(f, r.value(f.key)))
                    .collect(),
                photo: r.cover.as_ref().map(|c| ImageView::new(c, &r.title)),
            })
            .collect(),
        pagination: Pagination::of(&base, page, found.total.div_ceil(PER_PAGE)),
    };
    Ok(app.renderer.render("public/records.html", &view)?)
}

/// `GET /{prefix}/{slug}` for a described kind.
pub async fn detail(
    kind: Kind,
    State(app): State<Arc<App>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    // A draft's comment window opens and closes with the date, not with a publish.
    let key = match kind {
        Kind::Consultation => format!("{}?ngay={}", kind.url(&slug), app.today()),
        _ => kind.url(&slug),
    };
    cached(&app, &headers, key, || {
        render_detail(app.clone(), kind, slug)
    })
    .await
}

fn consultation_view(
    draft: &content::Published,
    comments: &[crate::citizen::comments::Comment],
    today: jiff::civil::Date,
) -> crate::render::views::ConsultationView {
    use crate::citizen::comments::{Window, window};
    let date = |key: &str| {
        draft
            .revision
            .fields
            .record
            .get(key)
            .and_then(|v| v.parse::<jiff::civil::Date>().ok())
            .map(crate::format::civil_date)
            .unwrap_or_default()
    };
    let state = window(draft, today);
    crate::render::views::ConsultationView {
        open: state == Window::Open,
        window: match state {
            Window::NotYet => format!("Chưa bắt đầu: nhận ý kiến từ ngày {}.", date("opens")),
            Window::Open => format!("Đang lấy ý kiến đến hết ngày {}.", date("closes")),
            Window::Closed => format!("Đã kết thúc lấy ý kiến ngày {}.", date("closes")),
        },
        form_url: format!("{}/gop-y", draft.url()),
        comments: comments
            .iter()
            .map(|c| crate::render::views::CommentView {
                who: if c.show_name && !c.name.is_empty() {
                    c.name.clone()
                } else {
                    "Người góp ý".to_string()
                },
                at: crate::format::date(c.at),
                text: c.text.clone(),
            })
            .collect(),
    }
}

async fn render_detail(app: Arc<App>, kind: Kind, slug: String) -> Result<String, HttpError> {
    let found = app
        .store
        .read(move |tx| -> Result<_, content::Error> {
            let Some(entry) = content::find_published(tx, kind, &slug)? else {
                return Ok(None);
            };
            let comments = match kind {
                Kind::Consultation => crate::citizen::comments::approved(tx, entry.entry.id.0)?,
                _ => Vec::new(),
            };
            Ok(Some((
                site::load(tx)?,
                content::categories(tx)?,
                entry,
                comments,
            )))
        })
        .await?;
    let (site, categories, entry, comments) = found.ok_or(HttpError::NotFound)?;
    let mut view = super::entry_view(&app, &site, &categories, &entry, &[]);
    view.record = record_view(&entry);
    if kind == Kind::Consultation {
        view.consultation = Some(consultation_view(&entry, &comments, app.today()));
    }
    Ok(app.renderer.render("public/entry.html", &view)?)
}

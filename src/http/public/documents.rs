//! The legal-document register: `/van-ban` (filter by type, issuer, field, year and
//! validity; newest issue date first) and `/van-ban/{slug}` (the metadata table, the
//! relations in both directions, and a banner on texts no longer in force).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use jiff::civil::Date;
use serde::Serialize;

use super::cached;
use crate::app::App;
use crate::content::legal::{Relation, Validity};
use crate::content::register::Facet;
use crate::content::{self, Kind, Published, register};
use crate::http::admin::form::encode;
use crate::http::error::HttpError;
use crate::http::params::Params;
use crate::render::views::{Layout, LegalView, Link, Pagination, RelationGroup, Row};
use crate::site;

const PER_PAGE: usize = 20;

fn date(d: Date) -> String {
    d.strftime("%d/%m/%Y").to_string()
}

fn link(row: &register::Row) -> Link {
    Link {
        label: format!("{} — {}", row.legal.number, row.title),
        url: row.url(),
    }
}

/// The legal part of the page of `entry`, if it is a legal document, with its `links`
/// to the other documents of the register.
pub fn legal_view(entry: &Published, links: &register::Links, today: Date) -> Option<LegalView> {
    let doc = entry.revision.fields.legal.as_ref()?;
    let status = doc.validity(today, links.replaced);
    let mut rows = vec![
        Row {
            label: "Số, ký hiệu",
            value: doc.number.clone(),
        },
        Row {
            label: "Hình thức văn bản",
            value: doc.doc_type.clone(),
        },
        Row {
            label: "Cơ quan ban hành",
            value: doc.issuer.clone(),
        },
    ];
    if !doc.signer.is_empty() {
        rows.push(Row {
            label: "Người ký",
            value: doc.signer.clone(),
        });
    }
    rows.push(Row {
        label: "Ngày ban hành",
        value: date(doc.issued),
    });
    rows.push(Row {
        label: "Ngày có hiệu lực",
        value: date(doc.effective),
    });
    if let Some(expires) = doc.expires {
        rows.push(Row {
            label: "Ngày hết hiệu lực",
            value: date(expires),
        });
    }
    rows.push(Row {
        label: "Lĩnh vực",
        value: doc.field.clone(),
    });
    rows.push(Row {
        label: "Tình trạng hiệu lực",
        value: status.label().to_string(),
    });
    rows.push(Row {
        label: "Trích yếu",
        value: entry.revision.fields.title.clone(),
    });
    let mut relations: Vec<RelationGroup> = Vec::new();
    let mut push =
        |label: &'static str, link: Link| match relations.iter_mut().find(|g| g.label == label) {
            Some(group) => group.links.push(link),
            None => relations.push(RelationGroup {
                label,
                links: vec![link],
            }),
        };
    for (relation, other) in &links.outgoing {
        push(relation.label(), link(other));
    }
    let mut replaced_by = Vec::new();
    for (relation, other) in &links.incoming {
        push(relation.inverse_label(), link(other));
        if *relation == Relation::Replaces {
            replaced_by.push(link(other));
        }
    }
    Some(LegalView {
        heading: if doc.number.is_empty() {
            doc.doc_type.clone()
        } else {
            format!("{} {}", doc.doc_type, doc.number)
        },
        rows,
        status: status.label(),
        warns: status.warns(),
        replaced_by,
        relations,
    })
}

#[derive(Debug, Clone, Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Debug, Clone, Serialize)]
struct DocRow {
    number: String,
    title: String,
    url: String,
    doc_type: String,
    issuer: String,
    issued: String,
    status: &'static str,
    warns: bool,
}

#[derive(Debug, Clone, Serialize)]
struct RegisterView {
    layout: Layout,
    types: Vec<Choice>,
    issuers: Vec<Choice>,
    fields: Vec<Choice>,
    years: Vec<Choice>,
    statuses: Vec<Choice>,
    rows: Vec<DocRow>,
    total: usize,
    pagination: Pagination,
}

#[derive(Default, Clone)]
struct Filters {
    doc_type: String,
    issuer: String,
    field: String,
    year: String,
    status: String,
}

impl Filters {
    fn parse(params: &Params) -> Filters {
        let text = |name| params.get(name).to_string();
        Filters {
            doc_type: text("loai"),
            issuer: text("co-quan"),
            field: text("linh-vuc"),
            year: text("nam"),
            status: text("hieu-luc"),
        }
    }

    fn query(&self) -> String {
        format!(
            "loai={}&co-quan={}&linh-vuc={}&nam={}&hieu-luc={}",
            encode(&self.doc_type),
            encode(&self.issuer),
            encode(&self.field),
            encode(&self.year),
            encode(&self.status)
        )
    }
}

fn choices(values: BTreeSet<String>, selected: &str) -> Vec<Choice> {
    values
        .into_iter()
        .map(|v| Choice {
            selected: v == selected,
            label: v.clone(),
            value: v,
        })
        .collect()
}

/// `GET /van-ban`
pub async fn documents(
    State(app): State<Arc<App>>,
    query: Params,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let page = query.page()?;
    let filters = Filters::parse(&query);
    // One cache entry per distinct filter; unknown parameters do not make new ones.
    let key = format!("/van-ban?{}&trang={page}", filters.query());
    cached(&app, &headers, key, || {
        render_register(app.clone(), filters, page)
    })
    .await
}

/// One page of the register under `filters`: its rows, with each one's validity, and
/// how many documents match in all.
struct Found {
    rows: Vec<(register::Row, Validity)>,
    total: usize,
}

/// Reads the page from the narrowest list the filters name. With at most one filter
/// (and no validity filter) the count is kept and only the page is read; otherwise the
/// narrowest list is walked and each row tested against the rest.
fn find(
    tx: &impl crate::store::Tx,
    filters: &Filters,
    today: Date,
    skip: usize,
) -> Result<Found, content::Error> {
    let chosen: Vec<(Facet, &str)> = Facet::ALL
        .into_iter()
        .zip([
            &filters.doc_type,
            &filters.issuer,
            &filters.field,
            &filters.year,
        ])
        .filter(|(_, value)| !value.is_empty())
        .map(|(facet, value)| (facet, value.as_str()))
        .collect();
    let mut list = register::ALL.to_string();
    let mut narrowest = register::count(tx, &list)?;
    for (facet, value) in &chosen {
        let candidate = facet.list(value);
        let n = register::count(tx, &candidate)?;
        if n <= narrowest {
            (list, narrowest) = (candidate, n);
        }
    }
    let with_validity = |row: register::Row| -> Result<_, content::Error> {
        let v = register::validity(tx, &row.slug, &row.legal, today)?;
        Ok((row, v))
    };
    if chosen.len() <= 1 && filters.status.is_empty() {
        let mut rows = Vec::with_capacity(PER_PAGE);
        for id in register::page(tx, &list, skip, PER_PAGE)? {
            if let Some(row) = register::row(tx, id)? {
                rows.push(with_validity(row)?);
            }
        }
        return Ok(Found {
            rows,
            total: narrowest,
        });
    }
    let mut found = Found {
        rows: Vec::with_capacity(PER_PAGE),
        total: 0,
    };
    register::each(tx, &list, |id| {
        let Some(row) = register::row(tx, id)? else {
            return Ok(true);
        };
        if chosen
            .iter()
            .any(|(facet, value)| facet.of(&row.legal) != *value)
        {
            return Ok(true);
        }
        let (row, validity) = with_validity(row)?;
        if !filters.status.is_empty() && validity.as_str() != filters.status {
            return Ok(true);
        }
        if found.total >= skip && found.rows.len() < PER_PAGE {
            found.rows.push((row, validity));
        }
        found.total += 1;
        Ok(true)
    })?;
    Ok(found)
}

async fn render_register(
    app: Arc<App>,
    filters: Filters,
    page: usize,
) -> Result<String, HttpError> {
    // The register's index and one page of its small rows, not the documents: the page
    // costs about the same whatever the register's size.
    let today = app.today();
    let query = filters.clone();
    let (site, found, facets, modified) = app
        .store
        .read(move |tx| -> Result<_, content::Error> {
            let skip = (page - 1) * PER_PAGE;
            let values = |facet| -> Result<BTreeSet<String>, content::Error> {
                Ok(register::choices(tx, facet)?
                    .into_iter()
                    .map(|(v, _)| v)
                    .collect())
            };
            let facets = [
                values(Facet::Type)?,
                values(Facet::Issuer)?,
                values(Facet::Field)?,
                values(Facet::Year)?,
            ];
            Ok((
                site::load(tx)?,
                find(tx, &query, today, skip)?,
                facets,
                register::last_modified(tx)?,
            ))
        })
        .await?;
    let total = found.total;
    let pages = total.div_ceil(PER_PAGE).max(1);
    if page > pages {
        return Err(HttpError::NotFound);
    }
    let base = format!("/van-ban?{}", filters.query());
    let [types, issuers, fields, years] = facets;
    let mut years: Vec<Choice> = choices(years, &filters.year);
    years.reverse();
    let view = RegisterView {
        layout: Layout::new(&site, app.origin(), "Văn bản", "/van-ban")
            .with_description("Cơ sở dữ liệu văn bản quy phạm pháp luật và văn bản chỉ đạo, điều hành về khoa học và công nghệ.")
            .with_site_dublin_core(modified),
        types: choices(types, &filters.doc_type),
        issuers: choices(issuers, &filters.issuer),
        fields: choices(fields, &filters.field),
        years,
        statuses: Validity::ALL
            .iter()
            .map(|v| Choice {
                value: v.as_str().into(),
                label: v.label().into(),
                selected: v.as_str() == filters.status,
            })
            .collect(),
        rows: found
            .rows
            .iter()
            .map(|(r, v)| DocRow {
                number: r.legal.number.clone(),
                title: r.title.clone(),
                url: r.url(),
                doc_type: r.legal.doc_type.clone(),
                issuer: r.legal.issuer.clone(),
                issued: date(r.legal.issued),
                status: v.label(),
                warns: v.warns(),
            })
            .collect(),
        total,
        pagination: Pagination::of(&base, page, pages),
    };
    Ok(app.renderer.render("public/documents.html", &view)?)
}

/// `GET /van-ban/{slug}`
pub async fn document(
    State(app): State<Arc<App>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let key = Kind::LegalDocument.url(&slug);
    cached(&app, &headers, key, || render_document(app.clone(), slug)).await
}

async fn render_document(app: Arc<App>, slug: String) -> Result<String, HttpError> {
    let found = app
        .store
        .read(move |tx| -> Result<_, content::Error> {
            let Some(entry) = content::find_published(tx, Kind::LegalDocument, &slug)? else {
                return Ok(None);
            };
            let links = match &entry.revision.fields.legal {
                Some(doc) => register::Links::of(tx, &entry.entry.slug, doc)?,
                None => register::Links::default(),
            };
            Ok(Some((
                site::load(tx)?,
                content::categories(tx)?,
                entry,
                links,
            )))
        })
        .await?;
    let (site, categories, entry, links) = found.ok_or(HttpError::NotFound)?;
    let mut view = super::entry_view(&app, &site, &categories, &entry, &[]);
    view.legal = legal_view(&entry, &links, app.today());
    Ok(app.renderer.render("public/entry.html", &view)?)
}

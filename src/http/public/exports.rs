//! Open data (regulation F16): the legal document register and the procedures
//! catalogue as JSON and CSV.
//!
//! The register's files are streamed a batch of documents at a time, newest issue first,
//! from the register's index: a register of 200,000 texts is sent in memory for a
//! batch, not for the whole file.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use redb::ReadTransaction;
use serde::Serialize;

use super::feeds::origin;
use crate::app::App;
use crate::content::{self, EntryId, Kind, register};
use crate::http::error::HttpError;

/// How many documents each read of a register export takes.
const BATCH: usize = 200;

#[derive(Serialize)]
struct FileOut {
    name: String,
    url: String,
    size: u64,
    content_type: String,
}

fn files_of(revision: &content::Revision, origin: &str) -> Vec<FileOut> {
    revision
        .fields
        .attachments
        .iter()
        .map(|a| FileOut {
            name: a.name.clone(),
            url: format!("{origin}{}", crate::paths::blob(&a.blob, &a.name)),
            size: a.size,
            content_type: a.content_type.clone(),
        })
        .collect()
}

#[derive(Serialize)]
struct DocumentOut {
    number: String,
    doc_type: String,
    summary: String,
    issuer: String,
    signer: String,
    issued: String,
    effective: String,
    expires: Option<String>,
    status: &'static str,
    status_label: &'static str,
    field: String,
    url: String,
    files: Vec<FileOut>,
    replaces: Vec<String>,
    amends: Vec<String>,
    guides: Vec<String>,
}

impl DocumentOut {
    /// The listed document `id` as the export shows it (`None` if it left the register
    /// since its id was read).
    fn read(
        tx: &ReadTransaction,
        id: u64,
        origin: &str,
        today: Date,
    ) -> Result<Option<DocumentOut>, content::Error> {
        let Some(row) = register::row(tx, id)? else {
            return Ok(None);
        };
        let Some(shown) = content::published(tx, EntryId(id))? else {
            return Ok(None);
        };
        let status = register::validity(tx, &row.slug, &row.legal, today)?;
        // The documents it points at, by number; a slug no listed document has is left out.
        let numbers = |slugs: &[String]| -> Result<Vec<String>, content::Error> {
            let mut out = Vec::with_capacity(slugs.len());
            for slug in slugs {
                if let Some(target) = register::row_at(tx, slug)? {
                    out.push(target.legal.number);
                }
            }
            Ok(out)
        };
        let d = &row.legal;
        Ok(Some(DocumentOut {
            replaces: numbers(&d.replaces)?,
            amends: numbers(&d.amends)?,
            guides: numbers(&d.guides)?,
            number: d.number.clone(),
            doc_type: d.doc_type.clone(),
            summary: row.title.clone(),
            issuer: d.issuer.clone(),
            signer: d.signer.clone(),
            issued: d.issued.to_string(),
            effective: d.effective.to_string(),
            expires: d.expires.map(|e| e.to_string()),
            status: status.as_str(),
            status_label: status.label(),
            field: d.field.clone(),
            url: format!("{origin}{}", row.url()),
            files: files_of(&shown.revision, origin),
        }))
    }

    fn csv_row(self) -> [String; 15] {
        let files: Vec<String> = self.files.into_iter().map(|f| f.url).collect();
        [
            self.number,
            self.doc_type,
            self.summary,
            self.issuer,
            self.signer,
            self.issued,
            self.effective,
            self.expires.unwrap_or_default(),
            self.status_label.to_string(),
            self.field,
            self.url,
            files.join(" "),
            self.replaces.join("; "),
            self.amends.join("; "),
            self.guides.join("; "),
        ]
    }
}

/// Where in the register's `all` list a batch starts: after this (issue date, id).
type Cursor = Option<(i64, u64)>;

/// The next batch of the register after `cursor`, and the cursor after it (`None` at
/// the end).
fn register_batch(
    tx: &ReadTransaction,
    cursor: Cursor,
    origin: &str,
    today: Date,
) -> Result<(Vec<DocumentOut>, Cursor), content::Error> {
    let keys = register::batch_after(tx, register::ALL, cursor, BATCH)?;
    let next = if keys.len() < BATCH {
        None
    } else {
        keys.last().copied()
    };
    let mut docs = Vec::with_capacity(keys.len());
    for (_, id) in keys {
        docs.extend(DocumentOut::read(tx, id, origin, today)?);
    }
    Ok((docs, next))
}

/// How a register file writes itself: its start, each batch (told whether it is the
/// first, for separators), and its end.
struct Format {
    head: &'static str,
    batch: fn(Vec<DocumentOut>, bool) -> String,
    tail: &'static str,
}

const REGISTER_JSON: Format = Format {
    head: "[\n",
    batch: |docs, first| {
        let mut out = String::new();
        for (i, doc) in docs.iter().enumerate() {
            if !(first && i == 0) {
                out.push_str(",\n");
            }
            // A document serialises without fail: strings, numbers and lists only.
            out.push_str(&serde_json::to_string_pretty(doc).unwrap_or_default());
        }
        out
    },
    tail: "\n]\n",
};

const REGISTER_CSV: Format = Format {
    head: "\u{feff}So ky hieu,Hinh thuc,Trich yeu,Co quan ban hanh,Nguoi ky,Ngay ban hanh,Ngay hieu luc,Ngay het hieu luc,Tinh trang,Linh vuc,Duong dan,Tep toan van,Thay the,Sua doi,Huong dan\r\n",
    batch: |docs, _| {
        let mut out = String::new();
        for doc in docs {
            csv_line(&mut out, &doc.csv_row());
        }
        out
    },
    tail: "",
};

/// Where a register download stands.
enum Sending {
    /// This batch goes next; then the batch after `cursor`, unless it was the last.
    Batch {
        docs: Vec<DocumentOut>,
        first: bool,
        cursor: Cursor,
    },
    Tail,
    Failed(String),
    Done,
}

/// The register as one file in `format`, streamed. The first batch is read before
/// answering, so a store that cannot be read gets an error page, not a broken file;
/// a later failure cuts the download short (no final chunk), never leaving a short
/// file that looks whole.
async fn register_file(
    app: &Arc<App>,
    headers: &HeaderMap,
    format: &'static Format,
) -> Result<Body, HttpError> {
    let (origin, today) = (origin(app, headers), app.today());
    let (docs, cursor) = {
        let origin = origin.clone();
        app.store
            .read(move |tx| register_batch(tx, None, &origin, today))
            .await?
    };
    let start = Sending::Batch {
        docs,
        first: true,
        cursor,
    };
    let head = futures_util::stream::once(async move {
        Ok::<_, std::io::Error>(bytes::Bytes::from_static(format.head.as_bytes()))
    });
    let body = futures_util::stream::unfold(
        (app.clone(), origin, start),
        move |(app, origin, state)| async move {
            match state {
                Sending::Batch {
                    docs,
                    first,
                    cursor,
                } => {
                    let chunk = bytes::Bytes::from((format.batch)(docs, first));
                    let next = match cursor {
                        None => Sending::Tail,
                        Some(after) => {
                            let origin = origin.clone();
                            let read = app
                                .store
                                .read(move |tx| register_batch(tx, Some(after), &origin, today))
                                .await;
                            match read {
                                Ok((docs, cursor)) => Sending::Batch {
                                    docs,
                                    first: first && chunk.is_empty(),
                                    cursor,
                                },
                                Err(e) => Sending::Failed(e.to_string()),
                            }
                        }
                    };
                    Some((Ok(chunk), (app, origin, next)))
                }
                Sending::Tail => Some((
                    Ok(bytes::Bytes::from_static(format.tail.as_bytes())),
                    (app, origin, Sending::Done),
                )),
                Sending::Failed(why) => {
                    tracing::error!("register export stopped: {why}");
                    Some((
                        Err(std::io::Error::other(why)),
                        (app, origin, Sending::Done),
                    ))
                }
                Sending::Done => None,
            }
        },
    );
    use futures_util::StreamExt;
    Ok(Body::from_stream(head.chain(body)))
}

fn download(content_type: &'static str, disposition: &str, body: impl Into<Body>) -> Response {
    (
        [
            (CONTENT_TYPE, content_type.to_string()),
            (CACHE_CONTROL, "public, no-cache".to_string()),
            (CONTENT_DISPOSITION, disposition.to_string()),
        ],
        body.into(),
    )
        .into_response()
}

/// Appends one CSV line, CRLF-terminated.
fn csv_line(out: &mut String, row: &[String]) {
    let line: Vec<String> = row.iter().map(|f| crate::format::csv_field(f)).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

/// A CSV file to save: a byte-order mark (so spreadsheet programs read the Vietnamese
/// letters right), `header`, then one line per row.
fn csv_download<const N: usize>(
    name: &str,
    header: &str,
    rows: impl Iterator<Item = [String; N]>,
) -> Response {
    let mut out = format!("\u{feff}{header}\r\n");
    for row in rows {
        csv_line(&mut out, &row);
    }
    download(
        "text/csv; charset=utf-8",
        &format!("attachment; filename=\"{name}\""),
        out,
    )
}

/// `GET /du-lieu/van-ban.json`
pub async fn documents_json(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let body = register_file(&app, &headers, &REGISTER_JSON).await?;
    Ok(download(
        "application/json; charset=utf-8",
        "inline; filename=\"van-ban.json\"",
        body,
    ))
}

/// `GET /du-lieu/van-ban.csv` (UTF-8 with a byte-order mark, so spreadsheets read the
/// Vietnamese letters right).
pub async fn documents_csv(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let body = register_file(&app, &headers, &REGISTER_CSV).await?;
    Ok(download(
        "text/csv; charset=utf-8",
        "attachment; filename=\"van-ban.csv\"",
        body,
    ))
}

#[derive(Serialize)]
struct ProcedureOut {
    code: String,
    name: String,
    field: String,
    level: String,
    submission: String,
    processing_time: String,
    fees: String,
    applicants: String,
    implementing_body: String,
    result: String,
    legal_basis: Vec<String>,
    portal_url: String,
    url: String,
    forms: Vec<FileOut>,
}

/// Every published procedure (a catalogue of hundreds), each with the numbers of its
/// legal basis read from the register, not with the whole register.
async fn catalogue(app: &Arc<App>, headers: &HeaderMap) -> Result<Vec<ProcedureOut>, HttpError> {
    let origin = origin(app, headers);
    Ok(app
        .store
        .read(move |tx| -> Result<_, content::Error> {
            let mut out = Vec::new();
            for e in content::all_published(tx, Kind::Procedure)? {
                let basis = super::procedures::legal_basis(tx, &e)?;
                let Some(p) = e.revision.fields.procedure.as_ref() else {
                    continue;
                };
                out.push(ProcedureOut {
                    code: p.code.clone(),
                    name: e.revision.fields.title.clone(),
                    field: p.field.clone(),
                    level: p.level.clone(),
                    submission: p.submission.clone(),
                    processing_time: p.processing_time.clone(),
                    fees: p.fees.clone(),
                    applicants: p.applicants.clone(),
                    implementing_body: p.implementing_body.clone(),
                    result: p.result.clone(),
                    legal_basis: basis.into_iter().map(|row| row.legal.number).collect(),
                    portal_url: p.portal_url.clone(),
                    url: format!("{origin}{}", e.url()),
                    forms: files_of(&e.revision, &origin),
                });
            }
            Ok(out)
        })
        .await?)
}

/// `GET /du-lieu/thu-tuc.json`
pub async fn procedures_json(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let items = catalogue(&app, &headers).await?;
    let body =
        serde_json::to_string_pretty(&items).map_err(|e| HttpError::Internal(e.to_string()))?;
    Ok(download(
        "application/json; charset=utf-8",
        "inline; filename=\"thu-tuc.json\"",
        body,
    ))
}

/// `GET /du-lieu/thu-tuc.csv`
pub async fn procedures_csv(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let items = catalogue(&app, &headers).await?;
    let rows = items.into_iter().map(|p| {
        [
            p.code,
            p.name,
            p.field,
            p.level,
            p.submission,
            p.processing_time,
            p.fees,
            p.applicants,
            p.implementing_body,
            p.result,
            p.legal_basis.join("; "),
            p.portal_url,
            p.url,
        ]
    });
    let header = "Ma thu tuc,Ten thu tuc,Linh vuc,Cap thuc hien,Cach thuc,Thoi han,Phi le phi,Doi tuong,Co quan thuc hien,Ket qua,Can cu phap ly,Cong dich vu cong,Duong dan";
    Ok(csv_download("thu-tuc.csv", header, rows))
}

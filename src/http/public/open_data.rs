//! Open data (regulation F16): every register as JSON and CSV at
//! `/du-lieu/{dataset}.json` and `.csv`, paged, with stable field names that the page
//! `/du-lieu` documents. The legal-document register and the procedure catalogue keep
//! their own richer files (`feeds.rs`); the other registers share one shape: the
//! common fields of every entry, then the fields of their kind (`content::record`).
//!
//! Items go in the order they were first created (entry id), so a page keeps its items
//! as new ones are added at the end; a body is a JSON array (or CSV rows), and the
//! `Link` header names the next and previous pages (RFC 8288).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, LINK};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::content::record::{self, FieldType};
use crate::content::{self, Kind, List, PageOf, Published};
use crate::http::error::HttpError;
use crate::http::params::Params;
use crate::render::views::Layout;
use crate::site;

pub const INDEX: &str = "/du-lieu";
/// Items per page of a dataset.
pub const PER_PAGE: usize = 500;

/// A register published as open data.
pub struct Dataset {
    /// The file name without extension: `nhiem-vu` → `/du-lieu/nhiem-vu.json`.
    pub name: &'static str,
    pub kind: Kind,
}

/// The registers served here (legal documents and procedures have their own files).
pub const DATASETS: &[Dataset] = &[
    Dataset {
        name: "tin-tuc",
        kind: Kind::Article,
    },
    Dataset {
        name: "nhiem-vu",
        kind: Kind::Task,
    },
    Dataset {
        name: "ke-hoach",
        kind: Kind::Plan,
    },
    Dataset {
        name: "du-an",
        kind: Kind::Project,
    },
    Dataset {
        name: "thong-ke",
        kind: Kind::Statistic,
    },
    Dataset {
        name: "lay-y-kien",
        kind: Kind::Consultation,
    },
    Dataset {
        name: "hoi-dap",
        kind: Kind::Answer,
    },
    Dataset {
        name: "can-bo",
        kind: Kind::Person,
    },
    Dataset {
        name: "tap-chi",
        kind: Kind::Magazine,
    },
    Dataset {
        name: "lich-cong-tac",
        kind: Kind::ScheduleWeek,
    },
];

/// The fields every dataset's items start with: (name, meaning, type).
const COMMON: &[(&str, &str, &str)] = &[
    ("id", "Mã số của mục trên trang (không đổi)", "số"),
    ("title", "Tiêu đề", "văn bản"),
    ("summary", "Tóm tắt", "văn bản"),
    ("url", "Địa chỉ trang chi tiết", "địa chỉ"),
    (
        "published",
        "Thời điểm đăng lần đầu (RFC 3339, UTC)",
        "thời điểm",
    ),
    (
        "updated",
        "Thời điểm cập nhật gần nhất (RFC 3339, UTC)",
        "thời điểm",
    ),
    (
        "files",
        "Tệp đính kèm: tên, địa chỉ, dung lượng (byte), kiểu (CSV: các địa chỉ cách nhau bởi dấu cách)",
        "danh sách",
    ),
];

/// Fields particular to a kind that is not a `record` kind.
fn own_fields(kind: Kind) -> Vec<(&'static str, &'static str, &'static str)> {
    match kind {
        Kind::Article => vec![
            ("category", "Chuyên mục (mã)", "văn bản"),
            ("author", "Tác giả", "văn bản"),
            ("source", "Nguồn tin", "văn bản"),
        ],
        Kind::ScheduleWeek => vec![
            ("week_start", "Ngày thứ Hai của tuần (YYYY-MM-DD)", "ngày"),
            (
                "date",
                "Ngày (YYYY-MM-DD); JSON: trong từng mục của items",
                "ngày",
            ),
            ("time", "Giờ (HH:MM)", "giờ"),
            (
                "leaders",
                "Lãnh đạo dự (CSV: cách nhau bởi dấu chấm phẩy)",
                "danh sách",
            ),
            ("content", "Nội dung", "văn bản"),
            ("venue", "Địa điểm", "văn bản"),
            ("attendees", "Chủ trì, thành phần", "văn bản"),
        ],
        _ => Vec::new(),
    }
}

fn type_name(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Text | FieldType::LongText => "văn bản",
        FieldType::Date => "ngày (YYYY-MM-DD)",
        FieldType::Money => "số (triệu đồng)",
        FieldType::Url => "địa chỉ",
        FieldType::Select(_) => "mã (kèm trường …_label là nhãn tiếng Việt)",
        FieldType::Number => "số",
        FieldType::Bool => "đúng/sai",
    }
}

/// A dataset's fields after the common ones: (name, meaning, type).
fn kind_fields(kind: Kind) -> Vec<(&'static str, &'static str, &'static str)> {
    match record::spec(kind) {
        Some(spec) => spec
            .fields
            .iter()
            .map(|f| (f.key, f.label, type_name(f.ty)))
            .collect(),
        None => own_fields(kind),
    }
}

/// One item as JSON: the common fields, then its kind's.
fn item(p: &Published, origin: &str) -> Map<String, Value> {
    let fields = &p.revision.fields;
    let mut out = Map::new();
    out.insert("id".into(), json!(p.entry.id.0));
    out.insert("title".into(), json!(fields.title));
    out.insert("summary".into(), json!(fields.summary));
    out.insert("url".into(), json!(format!("{origin}{}", p.url())));
    out.insert(
        "published".into(),
        json!(p.entry.published_at.map(|t| t.to_string())),
    );
    out.insert("updated".into(), json!(p.entry.updated_at.to_string()));
    out.insert(
        "files".into(),
        Value::Array(
            fields
                .attachments
                .iter()
                .map(|a| {
                    json!({
                        "name": a.name,
                        "url": format!("{origin}{}", crate::paths::blob(&a.blob, &a.name)),
                        "size": a.size,
                        "content_type": a.content_type,
                    })
                })
                .collect(),
        ),
    );
    if let Some(spec) = record::spec(p.entry.kind) {
        for f in spec.fields {
            let raw = fields.record.get(f.key).map_or("", |v| v.trim());
            let value = match f.ty {
                FieldType::Money | FieldType::Number => {
                    raw.parse::<u64>().map_or(Value::Null, |n| json!(n))
                }
                FieldType::Bool => json!(raw == "true"),
                _ if raw.is_empty() => Value::Null,
                _ => json!(raw),
            };
            out.insert(f.key.into(), value);
            if let FieldType::Select(options) = f.ty {
                let label = options.iter().find(|(v, _)| *v == raw).map(|(_, l)| *l);
                out.insert(format!("{}_label", f.key), json!(label));
            }
        }
    }
    match p.entry.kind {
        Kind::Article => {
            out.insert("category".into(), json!(fields.category));
            out.insert("author".into(), json!(fields.author));
            out.insert("source".into(), json!(fields.source));
        }
        Kind::ScheduleWeek => {
            let week = fields.schedule.as_ref();
            out.insert(
                "week_start".into(),
                json!(week.map(|w| w.start.to_string())),
            );
            out.insert(
                "items".into(),
                Value::Array(
                    week.map(|w| {
                        w.items
                            .iter()
                            .map(|i| {
                                json!({
                                    "date": i.date.to_string(),
                                    "time": i.time.strftime("%H:%M").to_string(),
                                    "leaders": i.leaders,
                                    "content": i.content,
                                    "venue": i.venue,
                                    "attendees": i.attendees,
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                ),
            );
        }
        _ => {}
    }
    out
}

/// The CSV columns of a dataset, in order.
fn columns(kind: Kind) -> Vec<String> {
    let mut out: Vec<String> = COMMON.iter().map(|(n, _, _)| n.to_string()).collect();
    match record::spec(kind) {
        Some(spec) => {
            for f in spec.fields {
                out.push(f.key.to_string());
                if matches!(f.ty, FieldType::Select(_)) {
                    out.push(format!("{}_label", f.key));
                }
            }
        }
        None => out.extend(own_fields(kind).iter().map(|(n, _, _)| n.to_string())),
    }
    out
}

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::Object(file) => cell(file.get("url")),
                other => cell(Some(other)),
            })
            .collect::<Vec<_>>()
            .join(" "),
        Some(other) => other.to_string(),
    }
}

/// CSV rows of one item (a schedule week gives one row per appointment).
fn rows(item: &Map<String, Value>, columns: &[String]) -> Vec<Vec<String>> {
    let row = |extra: Option<&Map<String, Value>>| {
        columns
            .iter()
            .map(|c| {
                let v = extra.and_then(|e| e.get(c)).or_else(|| item.get(c));
                match (c.as_str(), v) {
                    ("leaders", Some(Value::Array(l))) => l
                        .iter()
                        .map(|x| cell(Some(x)))
                        .collect::<Vec<_>>()
                        .join("; "),
                    _ => cell(v),
                }
            })
            .collect::<Vec<String>>()
    };
    match item.get("items") {
        Some(Value::Array(appointments)) if !appointments.is_empty() => appointments
            .iter()
            .filter_map(Value::as_object)
            .map(|a| row(Some(a)))
            .collect(),
        _ => vec![row(None)],
    }
}

/// `GET /du-lieu/{dataset}.json|csv?trang=N`
pub async fn dataset(
    State(app): State<Arc<App>>,
    Path(file): Path<String>,
    query: Params,
) -> Result<Response, HttpError> {
    let (name, format) = file.rsplit_once('.').ok_or(HttpError::NotFound)?;
    let csv = match format {
        "json" => false,
        "csv" => true,
        _ => return Err(HttpError::NotFound),
    };
    let dataset = DATASETS
        .iter()
        .find(|d| d.name == name)
        .ok_or(HttpError::NotFound)?;
    let page = query.page()?;
    let kind = dataset.kind;
    // First published first, so a page keeps its items as new ones arrive at the end.
    let PageOf {
        items: shown,
        total,
        ..
    } = app
        .store
        .read(move |tx| content::list_published_oldest_first(tx, List::Kind(kind), page, PER_PAGE))
        .await?;
    let pages = total.div_ceil(PER_PAGE).max(1);
    if page > pages {
        return Err(HttpError::NotFound);
    }
    let origin = app.origin().to_string();
    let items: Vec<Map<String, Value>> = shown.iter().map(|p| item(p, &origin)).collect();
    let (body, content_type, disposition) = if csv {
        let columns = columns(kind);
        let mut out = format!("\u{feff}{}\r\n", columns.join(","));
        for item in &items {
            for row in rows(item, &columns) {
                let line: Vec<String> = row.iter().map(|f| crate::format::csv_field(f)).collect();
                out.push_str(&line.join(","));
                out.push_str("\r\n");
            }
        }
        (
            out,
            "text/csv; charset=utf-8",
            format!("attachment; filename=\"{file}\""),
        )
    } else {
        let body =
            serde_json::to_string_pretty(&items).map_err(|e| HttpError::Internal(e.to_string()))?;
        (
            body,
            "application/json; charset=utf-8",
            format!("inline; filename=\"{file}\""),
        )
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("public, no-cache"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(CONTENT_DISPOSITION, v);
    }
    let at = |n: usize| format!("{origin}{INDEX}/{file}?trang={n}");
    let mut links = Vec::new();
    if page < pages {
        links.push(format!("<{}>; rel=\"next\"", at(page + 1)));
    }
    if page > 1 {
        links.push(format!("<{}>; rel=\"prev\"", at(page - 1)));
    }
    links.push(format!("<{}>; rel=\"last\"", at(pages)));
    if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
        headers.insert(LINK, v);
    }
    if let Ok(v) = HeaderValue::from_str(&total.to_string()) {
        headers.insert("x-total-count", v);
    }
    Ok(response)
}

#[derive(Serialize)]
struct FieldDoc {
    name: &'static str,
    meaning: &'static str,
    kind: &'static str,
}

#[derive(Serialize)]
struct DatasetDoc {
    title: &'static str,
    json: String,
    csv: String,
    list: &'static str,
    fields: Vec<FieldDoc>,
}

#[derive(Serialize)]
struct IndexView {
    layout: Layout,
    per_page: usize,
    common: Vec<FieldDoc>,
    datasets: Vec<DatasetDoc>,
}

fn docs(fields: &[(&'static str, &'static str, &'static str)]) -> Vec<FieldDoc> {
    fields
        .iter()
        .map(|(name, meaning, kind)| FieldDoc {
            name,
            meaning,
            kind,
        })
        .collect()
}

/// The two registers with files of their own, documented beside the others.
const DOCUMENT_FIELDS: &[(&str, &str, &str)] = &[
    ("number", "Số, ký hiệu", "văn bản"),
    ("doc_type", "Hình thức văn bản", "văn bản"),
    ("summary", "Trích yếu", "văn bản"),
    ("issuer", "Cơ quan ban hành", "văn bản"),
    ("signer", "Người ký", "văn bản"),
    ("issued", "Ngày ban hành", "ngày (YYYY-MM-DD)"),
    ("effective", "Ngày có hiệu lực", "ngày (YYYY-MM-DD)"),
    ("expires", "Ngày hết hiệu lực", "ngày (YYYY-MM-DD)"),
    (
        "status",
        "Tình trạng hiệu lực (mã; status_label: nhãn)",
        "mã",
    ),
    ("field", "Lĩnh vực", "văn bản"),
    ("url", "Địa chỉ trang chi tiết", "địa chỉ"),
    ("files", "Tệp toàn văn", "danh sách"),
    (
        "replaces, amends, guides",
        "Số hiệu văn bản được thay thế, sửa đổi, hướng dẫn",
        "danh sách",
    ),
];

const PROCEDURE_FIELDS: &[(&str, &str, &str)] = &[
    ("code", "Mã thủ tục", "văn bản"),
    ("name", "Tên thủ tục", "văn bản"),
    ("field", "Lĩnh vực", "văn bản"),
    ("level", "Cấp thực hiện", "văn bản"),
    ("submission", "Cách thức thực hiện", "văn bản"),
    ("processing_time", "Thời hạn giải quyết", "văn bản"),
    ("fees", "Phí, lệ phí", "văn bản"),
    ("applicants", "Đối tượng thực hiện", "văn bản"),
    ("implementing_body", "Cơ quan thực hiện", "văn bản"),
    ("result", "Kết quả thực hiện", "văn bản"),
    (
        "legal_basis",
        "Căn cứ pháp lý (số hiệu văn bản)",
        "danh sách",
    ),
    ("portal_url", "Địa chỉ trên Cổng dịch vụ công", "địa chỉ"),
    ("url", "Địa chỉ trang chi tiết", "địa chỉ"),
    ("forms", "Mẫu đơn, tờ khai", "danh sách"),
];

/// `GET /du-lieu`: what open data the site gives, and the meaning of every field.
pub async fn index(
    State(app): State<Arc<App>>,
    headers: axum::http::HeaderMap,
) -> Result<Response, HttpError> {
    super::cached(&app, &headers, INDEX.to_string(), || render_index(&app)).await
}

async fn render_index(app: &App) -> Result<String, HttpError> {
    let site = app.store.read(site::load).await?;
    let mut datasets = vec![
        DatasetDoc {
            title: Kind::LegalDocument.label(),
            json: format!("{INDEX}/van-ban.json"),
            csv: format!("{INDEX}/van-ban.csv"),
            list: Kind::LegalDocument.list_url(),
            fields: docs(DOCUMENT_FIELDS),
        },
        DatasetDoc {
            title: Kind::Procedure.label(),
            json: format!("{INDEX}/thu-tuc.json"),
            csv: format!("{INDEX}/thu-tuc.csv"),
            list: Kind::Procedure.list_url(),
            fields: docs(PROCEDURE_FIELDS),
        },
    ];
    datasets.extend(DATASETS.iter().map(|d| DatasetDoc {
        title: d.kind.label(),
        json: format!("{INDEX}/{}.json", d.name),
        csv: format!("{INDEX}/{}.csv", d.name),
        list: d.kind.list_url(),
        fields: docs(&kind_fields(d.kind)),
    }));
    let view = IndexView {
        layout: Layout::new(&site, app.origin(), "Dữ liệu mở", INDEX)
            .with_description(
                "Các danh mục thông tin của trang dưới dạng JSON và CSV, kèm ý nghĩa từng trường.",
            )
            .with_site_dublin_core(None),
        per_page: PER_PAGE,
        common: docs(COMMON),
        datasets,
    };
    Ok(app.renderer.render("public/open_data.html", &view)?)
}

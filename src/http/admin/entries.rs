//! The inbox, the entry list, the editor, workflow steps, preview and revisions.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use jiff::Timestamp;
use serde::Serialize;

use super::form::FormData;
use super::views::{AdminLayout, FieldError};
use super::{Desk, SignedIn, page};
use crate::app::App;
use crate::auth::{self, Unit};
use crate::content::editorial::{self, Draft};
use crate::content::{
    self, Category, Entry, EntryId, Event, Kind, Published, Revision, RevisionId,
    State as EntryState, legal, procedure,
};
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;
use crate::render::format;
use crate::store::{BlobHash, BlobMeta};
use crate::workflow::{self, Action};

const PER_PAGE: usize = 25;

#[derive(Serialize)]
struct Row {
    id: u64,
    title: String,
    kind: &'static str,
    state: &'static str,
    state_key: EntryState,
    unit: String,
    category: String,
    saved_by: String,
    updated: String,
    live: bool,
    overdue: bool,
    next: Vec<&'static str>,
}

fn row(
    entry: &Entry,
    revision: &Revision,
    units: &[Unit],
    categories: &[Category],
    next: Vec<&'static str>,
    now: Timestamp,
) -> Row {
    Row {
        id: entry.id.0,
        title: revision.fields.title.clone(),
        kind: entry.kind.label(),
        state: workflow::state_label(entry.state),
        state_key: entry.state,
        unit: unit_name(units, entry.unit),
        category: entry
            .category
            .as_ref()
            .and_then(|c| categories.iter().find(|x| &x.slug == c))
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        saved_by: revision.saved_by.clone(),
        updated: format::datetime(entry.updated_at),
        live: entry.published.is_some(),
        overdue: entry.state == EntryState::Scheduled
            && entry.scheduled_for.is_some_and(|at| at <= now),
        next,
    }
}

fn unit_name(units: &[Unit], id: Option<u64>) -> String {
    id.and_then(|id| units.iter().find(|u| u.id.0 == id))
        .map(|u| u.name.clone())
        .unwrap_or_default()
}

#[derive(Serialize)]
struct InboxView {
    layout: AdminLayout,
    rows: Vec<Row>,
    /// For the Editorial Board: reports from the daily review not yet handled.
    reports: Vec<ReportRow>,
    /// For administrators: the last daily backup and the last verified restore.
    backup: Option<String>,
    /// For administrators: the certificate in service.
    certificate: Option<String>,
}

#[derive(Serialize)]
struct ReportRow {
    seq: u64,
    entry: u64,
    title: String,
    by: String,
    at: String,
    note: String,
}

/// `GET /quan-tri` — "Việc của tôi".
pub async fn inbox(
    State(app): State<Arc<App>>,
    SignedIn(staff): SignedIn,
    query: Params,
) -> Result<Response, HttpError> {
    let (actor, today, now) = (staff.actor.clone(), app.today(), app.clock.now());
    let (site, rows, reports, backup) = app
        .store
        .read(move |tx| -> Result<_, HttpError> {
            let units = auth::units(tx)?;
            let categories = content::categories(tx)?;
            let mut rows = Vec::new();
            for entry in editorial::inbox(tx, &actor, today)? {
                let revision = editorial::revision(tx, entry.working)?;
                let next = workflow::available(&actor, &editorial::facts(&entry), today)
                    .into_iter()
                    .filter(|a| *a != Action::Save && *a != Action::Withdraw)
                    .map(Action::label)
                    .collect();
                rows.push(row(&entry, &revision, &units, &categories, next, now));
            }
            // Overdue schedules first, then the oldest waiting.
            rows.sort_by_key(|r| !r.overdue);
            let board = actor.roles.contains(&crate::workflow::Role::BoardHead)
                || actor.roles.contains(&crate::workflow::Role::BoardMember);
            let reports = if board {
                crate::integrity::review::open_reports(tx)
                    .map_err(|e| HttpError::Internal(e.to_string()))?
                    .into_iter()
                    .map(|r| ReportRow {
                        seq: r.seq,
                        entry: r.entry,
                        title: r.title,
                        by: r.by_name,
                        at: crate::render::format::datetime(r.at),
                        note: match r.verdict {
                            crate::integrity::review::Verdict::Reported { note } => note,
                            crate::integrity::review::Verdict::Checked => String::new(),
                        },
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let backup = if actor.roles.contains(&crate::workflow::Role::Administrator) {
                let format = crate::render::format::datetime;
                Some(match crate::backup::schedule::last_run(tx)? {
                    None => "Chưa có lần sao lưu tự động nào.".to_string(),
                    Some(run) => format!(
                        "Sao lưu tự động gần nhất: {} ({}). Khôi phục thử thành công gần nhất: {}.",
                        format(run.at),
                        if run.ok {
                            "thành công"
                        } else {
                            "không thành công"
                        },
                        run.last_verified_restore
                            .map_or("chưa có".to_string(), format)
                    ),
                })
            } else {
                None
            };
            Ok((crate::site::load(tx)?.agency_name, rows, reports, backup))
        })
        .await?;
    let view = InboxView {
        layout: AdminLayout::new(
            &site,
            &staff,
            "Việc của tôi",
            "/quan-tri",
            rows.len() + reports.len(),
        )
        .with_flash(query.flash()),
        rows,
        reports,
        backup,
        certificate: staff
            .user
            .roles
            .contains(&crate::workflow::Role::Administrator)
            .then(|| certificate_line(&app, now)),
    };
    page(&app, "admin/inbox.html", &view, Outcome::Shown)
}

/// "Chứng chỉ …": subject, issuer and expiry of the certificate in service.
fn certificate_line(app: &App, now: jiff::Timestamp) -> String {
    let path = crate::http::tls::configured_cert_path(&app.config);
    match crate::http::certinfo::from_pem_file(&path) {
        Some(info) => format!(
            "Chứng chỉ TLS cho {} do {} cấp, hết hạn {} (còn {} ngày).",
            info.subject,
            info.issuer,
            crate::render::format::date(info.not_after),
            info.not_after.duration_since(now).as_hours() / 24
        ),
        None if matches!(app.config.tls, crate::config::TlsSource::Acme(_)) => {
            "Chưa có chứng chỉ từ tổ chức cấp ACME; máy chủ đang dùng chứng chỉ tự ký và sẽ thử xin lại.".to_string()
        }
        None => format!("Không đọc được chứng chỉ TLS {}.", path.display()),
    }
}

#[derive(Serialize, Default, Clone)]
struct Filters {
    kind: String,
    state: String,
    unit: String,
    category: String,
    author: String,
    text: String,
}

impl Filters {
    fn from_query(params: &Params) -> (Filters, usize) {
        let text = |name| params.get(name).to_string();
        let filters = Filters {
            kind: text("loai"),
            state: text("trang_thai"),
            unit: text("don_vi"),
            category: text("chuyen_muc"),
            author: text("tac_gia"),
            text: text("q"),
        };
        (
            filters,
            params.number("trang").unwrap_or(1).clamp(1, 10_000),
        )
    }

    fn query(&self) -> String {
        let enc = super::form::encode;
        format!(
            "loai={}&trang_thai={}&don_vi={}&chuyen_muc={}&tac_gia={}&q={}",
            enc(&self.kind),
            enc(&self.state),
            enc(&self.unit),
            enc(&self.category),
            enc(&self.author),
            enc(&self.text)
        )
    }

    fn admits(&self, entry: &Entry, revision: &Revision) -> bool {
        let folded = |s: &str| crate::content::slug::slugify(s);
        (self.kind.is_empty() || entry.kind.as_str() == self.kind)
            && (self.state.is_empty() || state_key(entry.state) == self.state)
            && (self.unit.is_empty()
                || entry.unit.map(|u| u.to_string()) == Some(self.unit.clone()))
            && (self.category.is_empty()
                || entry.category.as_deref() == Some(self.category.as_str()))
            && (self.author.is_empty()
                || folded(&revision.saved_by).contains(&folded(&self.author))
                || folded(&revision.fields.author).contains(&folded(&self.author)))
            && (self.text.is_empty()
                || folded(&revision.fields.title).contains(&folded(&self.text))
                || folded(&revision.fields.summary).contains(&folded(&self.text)))
    }
}

fn state_key(state: EntryState) -> String {
    serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct ListView {
    layout: AdminLayout,
    filters: Filters,
    rows: Vec<Row>,
    total: usize,
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
    kinds: Vec<Choice>,
    states: Vec<Choice>,
    units: Vec<Choice>,
    categories: Vec<Choice>,
}

/// `GET /quan-tri/bai-viet` — every entry, filtered and paginated.
pub async fn list_entries(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    let (filters, page_no) = Filters::from_query(&query);
    let (actor, now) = (staff.actor.clone(), app.clock.now());
    let f = filters.clone();
    let (rows, units, categories) = app
        .store
        .read(move |tx| -> Result<_, HttpError> {
            let units = auth::units(tx)?;
            let categories = content::categories(tx)?;
            let mut rows = Vec::new();
            for entry in editorial::all_entries(tx)? {
                if !workflow::may_view(&actor, &editorial::facts(&entry)) {
                    continue;
                }
                let revision = editorial::revision(tx, entry.working)?;
                if f.admits(&entry, &revision) {
                    rows.push(row(&entry, &revision, &units, &categories, Vec::new(), now));
                }
            }
            Ok((rows, units, categories))
        })
        .await?;
    let total = rows.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page_no = page_no.min(pages);
    let base = format!("/quan-tri/bai-viet?{}", filters.query());
    let view = ListView {
        layout: staff.layout("Danh sách bài"),
        rows: rows
            .into_iter()
            .skip((page_no - 1) * PER_PAGE)
            .take(PER_PAGE)
            .collect(),
        total,
        page: page_no,
        pages,
        prev: (page_no > 1).then(|| format!("{base}&trang={}", page_no - 1)),
        next: (page_no < pages).then(|| format!("{base}&trang={}", page_no + 1)),
        kinds: Kind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str().into(),
                label: k.label().into(),
            })
            .collect(),
        states: [
            EntryState::Draft,
            EntryState::Submitted,
            EntryState::InReview,
            EntryState::Returned,
            EntryState::Approved,
            EntryState::Scheduled,
            EntryState::Published,
            EntryState::Withdrawn,
        ]
        .iter()
        .map(|s| Choice {
            value: state_key(*s),
            label: workflow::state_label(*s).into(),
        })
        .collect(),
        units: units
            .iter()
            .map(|u| Choice {
                value: u.id.0.to_string(),
                label: u.name.clone(),
            })
            .collect(),
        categories: categories
            .iter()
            .map(|c| Choice {
                value: c.slug.clone(),
                label: c.name.clone(),
            })
            .collect(),
        filters,
    };
    page(&app, "admin/entries.html", &view, Outcome::Shown)
}

/// A legal document's fields as typed in the form.
#[derive(Serialize, Default, Clone)]
struct LegalForm {
    doc_type: String,
    number: String,
    issuer: String,
    signer: String,
    issued: String,
    effective: String,
    expires: String,
    status: String,
    field: String,
    replaces: Vec<String>,
    amends: Vec<String>,
    guides: Vec<String>,
}

impl LegalForm {
    fn from_doc(d: &legal::LegalDoc) -> LegalForm {
        LegalForm {
            doc_type: d.doc_type.clone(),
            number: d.number.clone(),
            issuer: d.issuer.clone(),
            signer: d.signer.clone(),
            issued: d.issued.to_string(),
            effective: d.effective.to_string(),
            expires: d.expires.map(|e| e.to_string()).unwrap_or_default(),
            status: d.status.map(|s| s.as_str().to_string()).unwrap_or_default(),
            field: d.field.clone(),
            replaces: d.replaces.clone(),
            amends: d.amends.clone(),
            guides: d.guides.clone(),
        }
    }

    fn from_form(form: &FormData) -> LegalForm {
        let all = |k: &str| {
            form.all(k)
                .into_iter()
                .filter(|v| !v.is_empty())
                .map(String::from)
                .collect()
        };
        LegalForm {
            doc_type: form.get("doc_type").into(),
            number: form.get("number").trim().into(),
            issuer: form.get("issuer").trim().into(),
            signer: form.get("signer").trim().into(),
            issued: form.get("issued").into(),
            effective: form.get("effective").into(),
            expires: form.get("expires").into(),
            status: form.get("status").into(),
            field: form.get("field").trim().into(),
            replaces: all("replaces"),
            amends: all("amends"),
            guides: all("guides"),
        }
    }

    /// `None` when a required date is missing or malformed.
    fn doc(&self) -> Option<legal::LegalDoc> {
        let expires = match self.expires.trim() {
            "" => None,
            text => Some(text.parse().ok()?),
        };
        Some(legal::LegalDoc {
            doc_type: self.doc_type.clone(),
            number: self.number.clone(),
            issuer: self.issuer.clone(),
            signer: self.signer.clone(),
            issued: self.issued.trim().parse().ok()?,
            effective: self.effective.trim().parse().ok()?,
            expires,
            status: legal::Validity::parse(&self.status),
            field: self.field.clone(),
            replaces: self.replaces.clone(),
            amends: self.amends.clone(),
            guides: self.guides.clone(),
        })
    }
}

/// A procedure's fields as typed in the form.
#[derive(Serialize, Default, Clone)]
struct ProcedureForm {
    code: String,
    field: String,
    level: String,
    steps_html: String,
    submission: String,
    dossier_html: String,
    processing_time: String,
    fees: String,
    applicants: String,
    implementing_body: String,
    result: String,
    legal_basis: Vec<String>,
    portal_url: String,
}

impl ProcedureForm {
    fn from_procedure(p: &procedure::Procedure) -> ProcedureForm {
        ProcedureForm {
            code: p.code.clone(),
            field: p.field.clone(),
            level: p.level.clone(),
            steps_html: p.steps_html.clone(),
            submission: p.submission.clone(),
            dossier_html: p.dossier_html.clone(),
            processing_time: p.processing_time.clone(),
            fees: p.fees.clone(),
            applicants: p.applicants.clone(),
            implementing_body: p.implementing_body.clone(),
            result: p.result.clone(),
            legal_basis: p.legal_basis.clone(),
            portal_url: p.portal_url.clone(),
        }
    }

    fn from_form(form: &FormData) -> ProcedureForm {
        let text = |k: &str| form.get(k).trim().to_string();
        ProcedureForm {
            code: text("code"),
            field: text("proc_field"),
            level: text("level"),
            steps_html: form.get("steps_html").into(),
            submission: text("submission"),
            dossier_html: form.get("dossier_html").into(),
            processing_time: text("processing_time"),
            fees: text("fees"),
            applicants: text("applicants"),
            implementing_body: text("implementing_body"),
            result: text("result"),
            legal_basis: form
                .all("legal_basis")
                .into_iter()
                .filter(|v| !v.is_empty())
                .map(String::from)
                .collect(),
            portal_url: text("portal_url"),
        }
    }

    fn procedure(&self) -> procedure::Procedure {
        procedure::Procedure {
            code: self.code.clone(),
            field: self.field.clone(),
            level: self.level.clone(),
            steps_html: self.steps_html.clone(),
            submission: self.submission.clone(),
            dossier_html: self.dossier_html.clone(),
            processing_time: self.processing_time.clone(),
            fees: self.fees.clone(),
            applicants: self.applicants.clone(),
            implementing_body: self.implementing_body.clone(),
            result: self.result.clone(),
            legal_basis: self.legal_basis.clone(),
            portal_url: self.portal_url.clone(),
        }
    }
}

/// The `r_…` fields of a form: a described kind's values (checkboxes as true/false).
fn record_from_form(form: &FormData) -> content::record::Record {
    let kind = Kind::ALL
        .iter()
        .copied()
        .find(|k| k.as_str() == form.get("kind"));
    let Some(spec) = kind.and_then(content::record::spec) else {
        return Default::default();
    };
    spec.fields
        .iter()
        .map(|f| {
            let name = format!("r_{}", f.key);
            let value = match f.ty {
                content::record::FieldType::Bool => form.has(&name).to_string(),
                _ => form.get(&name).to_string(),
            };
            (f.key.to_string(), value)
        })
        .collect()
}

/// One input of a described kind's form.
#[derive(Serialize)]
struct RecordField {
    name: String,
    label: &'static str,
    input: &'static str,
    required: bool,
    options: Vec<Choice>,
    value: String,
}

fn record_fields(kind: &str, values: &content::record::Record) -> Vec<RecordField> {
    use content::record::FieldType;
    let Some(spec) = Kind::ALL
        .iter()
        .copied()
        .find(|k| k.as_str() == kind)
        .and_then(content::record::spec)
    else {
        return Vec::new();
    };
    spec.fields
        .iter()
        .map(|f| RecordField {
            name: format!("r_{}", f.key),
            label: f.label,
            input: match f.ty {
                FieldType::Text => "text",
                FieldType::LongText => "textarea",
                FieldType::Date => "date",
                FieldType::Money | FieldType::Number => "number",
                FieldType::Url => "url",
                FieldType::Select(_) => "select",
                FieldType::Bool => "checkbox",
            },
            required: f.required,
            options: match f.ty {
                FieldType::Select(options) => options
                    .iter()
                    .map(|(v, l)| Choice {
                        value: (*v).into(),
                        label: (*l).into(),
                    })
                    .collect(),
                _ => Vec::new(),
            },
            value: values.get(f.key).cloned().unwrap_or_default(),
        })
        .collect()
}

/// The editor's form values, as shown (and re-shown after an error).
#[derive(Serialize, Default, Clone)]
struct FormValues {
    kind: String,
    slug: String,
    title: String,
    summary: String,
    body: String,
    category: String,
    author: String,
    source: String,
    /// `YYYY-MM-DD`, or empty.
    source_date: String,
    featured: bool,
    cover: String,
    cover_alt: String,
    attachments: Vec<String>,
    base: u64,
    legal: LegalForm,
    procedure: ProcedureForm,
    record: content::record::Record,
    week_start: String,
    schedule_lines: String,
}

impl FormValues {
    fn from_revision(entry: &Entry, r: &Revision) -> FormValues {
        let f = &r.fields;
        FormValues {
            kind: entry.kind.as_str().into(),
            slug: entry.slug.clone(),
            title: f.title.clone(),
            summary: f.summary.clone(),
            body: f.body_html.clone(),
            category: entry.category.clone().unwrap_or_default(),
            author: f.author.clone(),
            source: f.source.clone(),
            source_date: f.source_date.map(|d| d.to_string()).unwrap_or_default(),
            featured: entry.featured,
            cover: f
                .cover
                .as_ref()
                .map(|c| c.blob.to_string())
                .unwrap_or_default(),
            cover_alt: f.cover.as_ref().map(|c| c.alt.clone()).unwrap_or_default(),
            attachments: f.attachments.iter().map(|a| a.blob.to_string()).collect(),
            base: r.id.0,
            legal: f
                .legal
                .as_ref()
                .map(LegalForm::from_doc)
                .unwrap_or_default(),
            procedure: f
                .procedure
                .as_ref()
                .map(ProcedureForm::from_procedure)
                .unwrap_or_default(),
            record: f.record.clone(),
            week_start: f
                .schedule
                .as_ref()
                .map(|w| w.start.to_string())
                .unwrap_or_default(),
            schedule_lines: f
                .schedule
                .as_ref()
                .map(|w| content::schedule::to_lines(&w.items))
                .unwrap_or_default(),
        }
    }

    fn from_form(form: &FormData) -> FormValues {
        FormValues {
            kind: form.get("kind").into(),
            slug: form.get("slug").trim().into(),
            title: form.get("title").into(),
            summary: form.get("summary").into(),
            body: form.get("body").into(),
            category: form.get("category").into(),
            author: form.get("author").into(),
            source: form.get("source").into(),
            source_date: form.get("source_date").trim().into(),
            featured: form.has("featured"),
            cover: form.get("cover").into(),
            cover_alt: form.get("cover_alt").into(),
            attachments: form
                .all("attachments")
                .into_iter()
                .map(String::from)
                .collect(),
            base: form.get("base").parse().unwrap_or(0),
            legal: LegalForm::from_form(form),
            procedure: ProcedureForm::from_form(form),
            record: record_from_form(form),
            week_start: form.get("week_start").trim().into(),
            schedule_lines: form.get("schedule_lines").into(),
        }
    }

    /// The week typed in the form, or why it is not one.
    fn week(&self) -> Result<content::schedule::Week, String> {
        let day: jiff::civil::Date = self
            .week_start
            .parse()
            .map_err(|_| "Vui lòng chọn ngày đầu tuần.".to_string())?;
        let start = content::schedule::monday_of(day);
        let items = content::schedule::parse_lines(start, &self.schedule_lines)?;
        Ok(content::schedule::Week { start, items })
    }

    fn draft(&self) -> Draft {
        let kind = Kind::ALL.iter().copied().find(|k| k.as_str() == self.kind);
        Draft {
            legal: (kind == Some(Kind::LegalDocument))
                .then(|| self.legal.doc())
                .flatten(),
            procedure: (kind == Some(Kind::Procedure)).then(|| self.procedure.procedure()),
            record: self.record.clone(),
            schedule: (kind == Some(Kind::ScheduleWeek)).then(|| self.week()),
            kind,
            slug: self.slug.clone(),
            category: Some(self.category.clone()).filter(|c| !c.is_empty()),
            featured: self.featured,
            title: match (&kind, self.title.trim(), self.week()) {
                (Some(Kind::ScheduleWeek), "", Ok(week)) => {
                    content::schedule::week_title(week.start)
                }
                _ => self.title.clone(),
            },
            summary: self.summary.clone(),
            body_html: self.body.clone(),
            author: self.author.clone(),
            source: self.source.clone(),
            source_date: self.source_date.clone(),
            cover: BlobHash::try_from(self.cover.clone()).ok(),
            cover_alt: self.cover_alt.clone(),
            attachments: self
                .attachments
                .iter()
                .filter_map(|h| BlobHash::try_from(h.clone()).ok())
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct MediaChoice {
    hash: String,
    name: String,
    alt: String,
}

fn media_choices(all: &[BlobMeta], images: bool) -> Vec<MediaChoice> {
    all.iter()
        .filter(|m| m.content_type.starts_with("image/") == images)
        .map(|m| MediaChoice {
            hash: m.hash.to_string(),
            name: m.original_name.clone(),
            alt: m.alt.clone(),
        })
        .collect()
}

#[derive(Serialize)]
struct TimelineItem {
    at: String,
    who: String,
    role: &'static str,
    on_behalf_of: Option<String>,
    action: &'static str,
    from: &'static str,
    to: &'static str,
    comment: String,
    revision: u64,
    hash: String,
    scheduled_for: Option<String>,
}

fn timeline(events: &[Event]) -> Vec<TimelineItem> {
    events
        .iter()
        .rev()
        .map(|e| TimelineItem {
            at: format::datetime(e.at),
            who: e.user_name.clone(),
            role: e.role.label(),
            on_behalf_of: e.on_behalf_of.clone(),
            action: e.action.done_label(),
            from: workflow::state_label(e.from),
            to: workflow::state_label(e.to),
            comment: e.comment.clone(),
            revision: e.revision.0,
            hash: e.revision_hash.chars().take(12).collect(),
            scheduled_for: e.scheduled_for.map(format::datetime),
        })
        .collect()
}

#[derive(Serialize)]
struct StepButton {
    action: &'static str,
    label: &'static str,
    needs_comment: bool,
    needs_time: bool,
}

#[derive(Serialize)]
struct EditorView {
    layout: AdminLayout,
    /// None for a new entry.
    id: Option<u64>,
    values: FormValues,
    errors: Vec<FieldError>,
    can_save: bool,
    is_new: bool,
    state: &'static str,
    live_url: Option<String>,
    approval: Option<String>,
    scheduled_for: Option<String>,
    steps: Vec<StepButton>,
    timeline: Vec<TimelineItem>,
    categories: Vec<Category>,
    images: Vec<MediaChoice>,
    documents: Vec<MediaChoice>,
    kinds: Vec<Choice>,
    record_fields: Vec<RecordField>,
    record_files_label: &'static str,
    legal_types: &'static [&'static str],
    procedure_levels: &'static [&'static str],
    validities: Vec<Choice>,
    /// Other legal documents, for the relation lists.
    legal_docs: Vec<Choice>,
    /// Accessibility problems in the body, to fix before approval.
    accessibility: Vec<String>,
}

struct EditorData {
    categories: Vec<Category>,
    media: Vec<BlobMeta>,
    legal_docs: Vec<Choice>,
    entry: Option<(Entry, Revision, Vec<Event>)>,
}

/// The entry, if this person may see it (a contributor sees their unit's work and
/// what is live); otherwise 404, which tells nothing about other units' drafts.
fn visible(actor: &workflow::Actor, entry: Entry) -> Result<Entry, HttpError> {
    if workflow::may_view(actor, &editorial::facts(&entry)) {
        Ok(entry)
    } else {
        Err(HttpError::NotFound)
    }
}

async fn editor_data(
    app: &Arc<App>,
    staff: &Desk,
    id: Option<EntryId>,
) -> Result<EditorData, HttpError> {
    let actor = staff.actor.clone();
    app.store
        .read(move |tx| -> Result<_, HttpError> {
            let entry = match id {
                Some(id) => {
                    let entry = visible(&actor, editorial::entry(tx, id)?)?;
                    let revision = editorial::revision(tx, entry.working)?;
                    let events = editorial::events(tx, id)?;
                    Some((entry, revision, events))
                }
                None => None,
            };
            Ok(EditorData {
                categories: content::categories(tx)?,
                media: crate::media::library(tx, None)?,
                legal_docs: content::all_published(tx, Kind::LegalDocument)?
                    .into_iter()
                    .map(|p| Choice {
                        label: format!(
                            "{} — {}",
                            p.revision
                                .fields
                                .legal
                                .as_ref()
                                .map_or("", |d| d.number.as_str()),
                            p.revision.fields.title
                        ),
                        value: p.entry.slug,
                    })
                    .collect(),
                entry,
            })
        })
        .await
}

fn editor_view(
    app: &App,
    staff: &Desk,
    data: EditorData,
    values: Option<FormValues>,
    errors: Vec<FieldError>,
    flash: Option<&str>,
) -> EditorView {
    let today = app.today();
    let (title, id) = match &data.entry {
        Some((e, r, _)) => (r.fields.title.clone(), Some(e.id.0)),
        None => ("Viết bài mới".to_string(), None),
    };
    let available = data
        .entry
        .as_ref()
        .map(|(e, _, _)| workflow::available(&staff.actor, &editorial::facts(e), today))
        .unwrap_or_default();
    let is_new = data.entry.is_none();
    let values = values.unwrap_or_else(|| match &data.entry {
        Some((e, r, _)) => FormValues::from_revision(e, r),
        None => FormValues {
            kind: "article".into(),
            ..FormValues::default()
        },
    });
    let record_spec = Kind::ALL
        .iter()
        .copied()
        .find(|k| k.as_str() == values.kind)
        .and_then(content::record::spec);
    EditorView {
        layout: staff.layout(&title).with_flash(flash),
        id,
        record_fields: record_fields(&values.kind, &values.record),
        record_files_label: record_spec.map_or("", |s| s.files_label),
        accessibility: content::accessibility::warnings(&values.body),
        values,
        errors,
        can_save: is_new || available.contains(&Action::Save),
        is_new,
        state: data
            .entry
            .as_ref()
            .map_or("Bản nháp", |(e, _, _)| workflow::state_label(e.state)),
        live_url: data
            .entry
            .as_ref()
            .filter(|(e, _, _)| e.published.is_some())
            .map(|(e, _, _)| e.kind.url(&e.slug)),
        approval: data.entry.as_ref().and_then(|(e, _, _)| {
            e.approval.as_ref().map(|a| {
                let by = match &a.on_behalf_of {
                    Some(head) => format!("{} (thay mặt {})", a.by_name, head),
                    None => a.by_name.clone(),
                };
                format!(
                    "Duyệt phiên bản {} (mã {}) bởi {} lúc {}",
                    a.revision.0,
                    &a.hash[..12.min(a.hash.len())],
                    by,
                    format::datetime(a.at)
                )
            })
        }),
        scheduled_for: data
            .entry
            .as_ref()
            .and_then(|(e, _, _)| e.scheduled_for.map(format::datetime)),
        steps: available
            .iter()
            .filter(|a| **a != Action::Save)
            .map(|a| StepButton {
                action: a.as_str(),
                label: a.label(),
                needs_comment: matches!(a, Action::Return | Action::Withdraw),
                needs_time: *a == Action::Schedule,
            })
            .collect(),
        timeline: data
            .entry
            .as_ref()
            .map(|(_, _, ev)| timeline(ev))
            .unwrap_or_default(),
        images: media_choices(&data.media, true),
        documents: media_choices(&data.media, false),
        categories: data.categories,
        kinds: Kind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str().into(),
                label: k.label().into(),
            })
            .collect(),
        legal_types: legal::TYPES,
        procedure_levels: procedure::LEVELS,
        validities: legal::Validity::ALL
            .iter()
            .map(|v| Choice {
                value: v.as_str().into(),
                label: v.label().into(),
            })
            .collect(),
        legal_docs: data.legal_docs,
    }
}

fn field_errors(invalid: Vec<content::Invalid>) -> Vec<FieldError> {
    invalid
        .into_iter()
        .map(|i| FieldError {
            field: i.field,
            message: i.message,
        })
        .collect()
}

/// `GET /quan-tri/bai-viet/moi`
pub async fn new_entry(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    let kind = Kind::ALL
        .iter()
        .copied()
        .find(|k| k.as_str() == query.get("loai"))
        .unwrap_or(Kind::Article);
    let data = editor_data(&app, &staff, None).await?;
    let values = FormValues {
        kind: kind.as_str().into(),
        ..FormValues::default()
    };
    let view = editor_view(&app, &staff, data, Some(values), Vec::new(), None);
    page(&app, "admin/editor.html", &view, Outcome::Shown)
}

/// `POST /quan-tri/bai-viet/moi`
pub async fn create_entry(
    State(app): State<Arc<App>>,
    staff: Desk,
    form: FormData,
) -> Result<Response, HttpError> {
    let values = FormValues::from_form(&form);
    let (actor, draft, now) = (staff.actor.clone(), values.draft(), app.clock.now());
    let created = app
        .store
        .write(move |tx| editorial::create_entry(tx, &actor, draft, now))
        .await;
    match created {
        Ok(entry) => Ok(see_other(&format!(
            "/quan-tri/bai-viet/{}?tb=da-tao",
            entry.id
        ))),
        Err(content::Error::Invalids(invalid)) => {
            let data = editor_data(&app, &staff, None).await?;
            let view = editor_view(
                &app,
                &staff,
                data,
                Some(values),
                field_errors(invalid),
                None,
            );
            page(&app, "admin/editor.html", &view, Outcome::Invalid)
        }
        Err(other) => Err(other.into()),
    }
}

/// `GET /quan-tri/bai-viet/{id}`
pub async fn edit_entry(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(id): Path<u64>,
    query: Params,
) -> Result<Response, HttpError> {
    let data = editor_data(&app, &staff, Some(EntryId(id))).await?;
    let view = editor_view(&app, &staff, data, None, Vec::new(), query.flash());
    page(&app, "admin/editor.html", &view, Outcome::Shown)
}

#[derive(Serialize)]
struct ConflictView {
    layout: AdminLayout,
    id: u64,
    mine: FormValues,
    theirs: FormValues,
    theirs_by: String,
    theirs_at: String,
}

/// `POST /quan-tri/bai-viet/{id}` — save a new working revision.
pub async fn save_entry(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(id): Path<u64>,
    form: FormData,
) -> Result<Response, HttpError> {
    let id = EntryId(id);
    let values = FormValues::from_form(&form);
    let (actor, draft, base) = (staff.actor.clone(), values.draft(), RevisionId(values.base));
    let (today, now) = (app.today(), app.clock.now());
    let saved = app
        .write_and_refresh(id, move |tx| {
            editorial::save(tx, &actor, id, base, draft, today, now)
        })
        .await;
    match saved {
        Ok(_) => Ok(see_other(&format!("/quan-tri/bai-viet/{id}?tb=da-luu"))),
        Err(content::Error::Invalids(invalid)) => {
            let data = editor_data(&app, &staff, Some(id)).await?;
            let view = editor_view(
                &app,
                &staff,
                data,
                Some(values),
                field_errors(invalid),
                None,
            );
            page(&app, "admin/editor.html", &view, Outcome::Invalid)
        }
        Err(content::Error::Conflict { current, .. }) => {
            let entry = app.store.read(move |tx| editorial::entry(tx, id)).await?;
            let view = ConflictView {
                layout: staff.layout("Xung đột khi lưu"),
                id: id.0,
                theirs: FormValues::from_revision(&entry, &current),
                theirs_by: current.saved_by.clone(),
                theirs_at: format::datetime(current.created_at),
                mine: values,
            };
            page(&app, "admin/conflict.html", &view, Outcome::Conflict)
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /quan-tri/bai-viet/{id}/buoc` — submit, return, forward, approve, schedule,
/// publish, withdraw.
pub async fn step_entry(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(id): Path<u64>,
    form: FormData,
) -> Result<Response, HttpError> {
    let id = EntryId(id);
    let action = Action::parse(form.get("action")).ok_or(HttpError::BadRequest("unknown step"))?;
    let comment = form.get("comment").to_string();
    let schedule_for = parse_local_time(form.get("schedule_for"));
    let (actor, today, now) = (staff.actor.clone(), app.today(), app.clock.now());
    let request = editorial::StepRequest {
        action,
        comment,
        schedule_for,
        seen: form.get("revision").parse().ok().map(RevisionId),
    };
    let stepped = app
        .write_and_refresh(id, move |tx| {
            editorial::step(tx, &actor, id, request, today, now)
        })
        .await;
    match stepped {
        Ok(_) => Ok(see_other(&format!("/quan-tri/bai-viet/{id}?tb=da-chuyen"))),
        Err(content::Error::Invalids(invalid)) => {
            let data = editor_data(&app, &staff, Some(id)).await?;
            let view = editor_view(&app, &staff, data, None, field_errors(invalid), None);
            page(&app, "admin/editor.html", &view, Outcome::Invalid)
        }
        Err(other) => Err(other.into()),
    }
}

/// `2026-11-28T09:30` from a `datetime-local` input, in Vietnam time.
fn parse_local_time(text: &str) -> Option<Timestamp> {
    let civil: jiff::civil::DateTime = text.trim().parse().ok()?;
    civil
        .to_zoned_datetime(format::vietnam())
        .ok()
        .map(|z| z.timestamp())
}

/// `GET /quan-tri/bai-viet/{id}/xem-truoc` — the working revision exactly as the public
/// page will show it.
pub async fn preview_entry(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(id): Path<u64>,
) -> Result<Response, HttpError> {
    let id = EntryId(id);
    let actor = staff.actor.clone();
    let (site, categories, entry, revision) = app
        .store
        .read(move |tx| -> Result<_, HttpError> {
            let entry = visible(&actor, editorial::entry(tx, id)?)?;
            let revision = editorial::revision(tx, entry.working)?;
            Ok((
                crate::site::load(tx)?,
                content::categories(tx)?,
                entry,
                revision,
            ))
        })
        .await?;
    let mut preview = Published { entry, revision };
    if preview.entry.published_at.is_none() {
        preview.entry.published_at = Some(app.clock.now());
    }
    let mut view = crate::http::public::entry_view(&app, &site, &categories, &preview, &[]);
    view.preview = true;
    if matches!(preview.entry.kind, Kind::LegalDocument | Kind::Procedure) {
        let all = app
            .store
            .read(|tx| content::all_published(tx, Kind::LegalDocument))
            .await?;
        view.legal = crate::http::public::documents::legal_view(&preview, &all, app.today());
        view.procedure = crate::http::public::procedures::procedure_view(&preview, &all);
    }
    view.record = crate::http::public::records::record_view(&preview);
    page(&app, "public/entry.html", &view, Outcome::Shown)
}

#[derive(Serialize)]
struct RevisionRow {
    id: u64,
    saved_by: String,
    at: String,
    hash: String,
    title: String,
    current: bool,
    live: bool,
}

#[derive(Serialize)]
struct DiffRow {
    field: &'static str,
    left: String,
    right: String,
    changed: bool,
}

#[derive(Serialize)]
struct HistoryView {
    layout: AdminLayout,
    id: u64,
    title: String,
    revisions: Vec<RevisionRow>,
    can_restore: bool,
    diff: Option<(u64, u64)>,
    rows: Vec<DiffRow>,
}

/// `GET /quan-tri/bai-viet/{id}/lich-su?a=&b=` — revisions and a side-by-side diff.
pub async fn entry_history(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(id): Path<u64>,
    query: Params,
) -> Result<Response, HttpError> {
    let id = EntryId(id);
    let (a, b) = (query.number::<u64>("a"), query.number::<u64>("b"));
    let actor = staff.actor.clone();
    let (entry, revisions) = app
        .store
        .read(move |tx| -> Result<_, HttpError> {
            let entry = visible(&actor, editorial::entry(tx, id)?)?;
            Ok((entry, editorial::revisions(tx, id)?))
        })
        .await?;
    let find = |n: Option<u64>| n.and_then(|n| revisions.iter().find(|r| r.id.0 == n));
    let rows = match (find(a), find(b)) {
        (Some(left), Some(right)) => diff_rows(left, right),
        _ => Vec::new(),
    };
    let can_restore = workflow::available(&staff.actor, &editorial::facts(&entry), app.today())
        .contains(&Action::Save);
    let title = revisions
        .first()
        .map(|r| r.fields.title.clone())
        .unwrap_or_default();
    let view = HistoryView {
        layout: staff.layout("Lịch sử phiên bản"),
        id: id.0,
        title,
        revisions: revisions
            .iter()
            .map(|r| RevisionRow {
                id: r.id.0,
                saved_by: r.saved_by.clone(),
                at: format::datetime(r.created_at),
                hash: r.hash.chars().take(12).collect(),
                title: r.fields.title.clone(),
                current: r.id == entry.working,
                live: Some(r.id) == entry.published,
            })
            .collect(),
        can_restore,
        diff: find(a).zip(find(b)).map(|(l, r)| (l.id.0, r.id.0)),
        rows,
    };
    page(&app, "admin/history.html", &view, Outcome::Shown)
}

/// Field by field, and the body line by line (one block element per line).
fn diff_rows(left: &Revision, right: &Revision) -> Vec<DiffRow> {
    let (l, r) = (&left.fields, &right.fields);
    let mut rows = Vec::new();
    let mut field = |name: &'static str, a: &str, b: &str| {
        rows.push(DiffRow {
            field: name,
            left: a.to_string(),
            right: b.to_string(),
            changed: a != b,
        });
    };
    field("Tiêu đề", &l.title, &r.title);
    field("Tóm tắt", &l.summary, &r.summary);
    field("Tác giả", &l.author, &r.author);
    field("Nguồn", &l.source, &r.source);
    let cover = |f: &content::Fields| f.cover.as_ref().map(|c| c.alt.clone()).unwrap_or_default();
    field("Ảnh đại diện", &cover(l), &cover(r));
    let files = |f: &content::Fields| {
        f.attachments
            .iter()
            .map(|a| a.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    field("Tệp đính kèm", &files(l), &files(r));
    let lines = |html: &str| {
        html.replace("</p>", "</p>\n")
            .replace("</h2>", "</h2>\n")
            .replace("</h3>", "</h3>\n")
            .replace("</li>", "</li>\n")
            .replace("</tr>", "</tr>\n")
    };
    let (a, b) = (lines(&l.body_html), lines(&r.body_html));
    let diff = similar::TextDiff::from_lines(&a, &b);
    for op in diff.ops() {
        let old: String = diff.old_slices()[op.old_range()].concat();
        let new: String = diff.new_slices()[op.new_range()].concat();
        rows.push(DiffRow {
            field: "Nội dung",
            changed: old != new,
            left: old,
            right: new,
        });
    }
    rows
}

/// `POST /quan-tri/bai-viet/{id}/khoi-phuc` — an old revision becomes a new one.
pub async fn restore_revision(
    State(app): State<Arc<App>>,
    SignedIn(staff): SignedIn,
    Path(id): Path<u64>,
    form: FormData,
) -> Result<Response, HttpError> {
    let id = EntryId(id);
    let old = RevisionId(
        form.get("revision")
            .parse()
            .map_err(|_| HttpError::BadRequest("revision"))?,
    );
    let (actor, today, now) = (staff.actor.clone(), app.today(), app.clock.now());
    app.write_and_refresh(id, move |tx| {
        editorial::restore(tx, &actor, id, old, today, now)
    })
    .await
    .map_err(|e| match e {
        content::Error::Invalids(_) => {
            HttpError::BadRequest("the old revision no longer validates")
        }
        other => other.into(),
    })?;
    Ok(see_other(&format!(
        "/quan-tri/bai-viet/{id}?tb=da-khoi-phuc"
    )))
}

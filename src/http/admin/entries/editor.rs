//! The editor: new and existing entries, saving, workflow steps and the preview.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use jiff::Timestamp;
use serde::Serialize;

use super::super::form::FormData;
use super::super::views::{AdminLayout, FieldError};
use super::super::{Desk, page};
use super::Choice;
use super::form::{FormValues, MediaChoice, RecordField, library_file, record_fields};
use crate::app::App;
use crate::content::editorial::{self};
use crate::content::{
    self, Category, Entry, EntryId, Event, Kind, Published, Revision, RevisionId, legal, procedure,
};
use crate::format;
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;
use crate::store::BlobMeta;
use crate::workflow::{self, Action};

#[derive(Serialize)]
pub(super) struct TimelineItem {
    pub(super) at: String,
    pub(super) who: String,
    pub(super) role: &'static str,
    pub(super) on_behalf_of: Option<String>,
    pub(super) action: &'static str,
    pub(super) from: &'static str,
    pub(super) to: &'static str,
    pub(super) comment: String,
    pub(super) revision: u64,
    pub(super) hash: String,
    pub(super) scheduled_for: Option<String>,
}

pub(super) fn timeline(events: &[Event]) -> Vec<TimelineItem> {
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
pub(super) struct StepButton {
    pub(super) action: &'static str,
    pub(super) label: String,
    pub(super) needs_comment: bool,
    pub(super) needs_time: bool,
}

#[derive(Serialize)]
pub(super) struct EditorView {
    pub(super) layout: AdminLayout,
    /// None for a new entry.
    pub(super) id: Option<u64>,
    pub(super) values: FormValues,
    pub(super) errors: Vec<FieldError>,
    pub(super) can_save: bool,
    pub(super) is_new: bool,
    pub(super) state: &'static str,
    pub(super) live_url: Option<String>,
    pub(super) approval: Option<String>,
    pub(super) scheduled_for: Option<String>,
    pub(super) steps: Vec<StepButton>,
    pub(super) timeline: Vec<TimelineItem>,
    /// The sections an entry can go in (not the headings over others).
    pub(super) categories: Vec<SectionChoice>,
    /// The cover image chosen, if the library has it.
    pub(super) cover_choice: Option<MediaChoice>,
    /// The attachments chosen.
    pub(super) attachment_choices: Vec<MediaChoice>,
    pub(super) kinds: Vec<Choice>,
    pub(super) record_fields: Vec<RecordField>,
    pub(super) record_files_label: &'static str,
    pub(super) legal_types: &'static [&'static str],
    pub(super) procedure_levels: &'static [&'static str],
    pub(super) validities: Vec<Choice>,
    /// Other legal documents, for the relation lists: those chosen, then the newest.
    pub(super) legal_docs: Vec<Choice>,
    /// Where the lists show only the newest documents: how to find the others.
    pub(super) legal_hint: Option<String>,
    /// Accessibility problems in the body, to fix before approval.
    pub(super) accessibility: Vec<String>,
}

/// A section in the editor's list: "Heading › Section", and the kinds it takes.
#[derive(Serialize)]
pub(super) struct SectionChoice {
    slug: String,
    name: String,
    kinds: Vec<&'static str>,
}

fn section_choices(sections: &[Category]) -> Vec<SectionChoice> {
    sections
        .iter()
        .filter(|c| !c.kinds.is_empty())
        .map(|c| {
            let parent = c
                .parent
                .as_deref()
                .and_then(|p| sections.iter().find(|x| x.slug == p));
            SectionChoice {
                slug: c.slug.clone(),
                name: match parent {
                    Some(p) => format!("{} › {}", p.name, c.name),
                    None => c.name.clone(),
                },
                kinds: c.kinds.iter().map(|k| k.as_str()).collect(),
            }
        })
        .collect()
}

pub(super) struct EditorData {
    pub(super) categories: Vec<Category>,
    pub(super) media: Vec<BlobMeta>,
    /// Library documents whose words cannot be searched, and why.
    pub(super) unsearchable: std::collections::HashMap<String, &'static str>,
    pub(super) legal_docs: Vec<Choice>,
    pub(super) legal_total: usize,
    pub(super) entry: Option<(Entry, Revision, Vec<Event>)>,
}

/// What the editor shows besides the form: the entry (`id`) with its history, the
/// sections, the library, and the legal documents to relate to, including those
/// `chosen_in_form` (a form sent back with an error).
pub(super) async fn editor_data(
    app: &Arc<App>,
    staff: &Desk,
    id: Option<EntryId>,
    chosen_in_form: Vec<String>,
) -> Result<EditorData, HttpError> {
    let actor = staff.actor.clone();
    let entry = match id {
        Some(id) => Some(
            app.store
                .read(move |tx| editorial::opened_by(tx, &actor, id))
                .await?,
        ),
        None => None,
    };
    // What the entry (or the form sent back) already names, then the newest.
    let mut chosen = chosen_in_form;
    if let Some((_, revision, _)) = &entry {
        let fields = &revision.fields;
        if let Some(doc) = &fields.legal {
            chosen.extend(doc.relations().map(|(_, slug)| slug.clone()));
        }
        if let Some(procedure) = &fields.procedure {
            chosen.extend(procedure.legal_basis.iter().cloned());
        }
    }
    let (legal_docs, legal_total) = app.store.read(move |tx| legal_choices(tx, &chosen)).await?;
    Ok(EditorData {
        categories: app.store.read(content::categories).await?,
        media: app.store.read(|tx| crate::media::library(tx, None)).await?,
        unsearchable: app
            .store
            .read({
                // Only the entry's own attachments: each stored text may be large.
                let attached: Vec<crate::store::BlobHash> = entry
                    .as_ref()
                    .map(|(_, r, _)| {
                        r.fields
                            .attachments
                            .iter()
                            .map(|a| a.blob.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                move |tx| crate::document_text::warnings(tx, &attached)
            })
            .await?,
        legal_docs,
        legal_total,
        entry,
    })
}

/// How many of the newest legal documents the relation lists offer as they are; the
/// picker's search finds the others (a register may hold hundreds of thousands).
pub(super) const NEWEST_LEGAL: usize = 200;

/// The legal documents the relation lists offer: those `chosen` first (so a choice
/// shows however old it is), then the `NEWEST_LEGAL` newest; and how many the
/// register holds.
fn legal_choices(
    tx: &impl crate::store::Tx,
    chosen: &[String],
) -> Result<(Vec<Choice>, usize), content::Error> {
    use content::register;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for slug in chosen {
        if !seen.insert(slug.clone()) {
            continue;
        }
        out.push(match register::row_at(tx, slug)? {
            Some(row) => Choice {
                label: crate::http::admin::pickers::legal_label(&row),
                value: row.slug,
            },
            // Kept, so saving does not drop a relation to a document taken down since.
            None => Choice {
                label: format!("Văn bản không còn đăng trên trang (đường dẫn {slug})"),
                value: slug.clone(),
            },
        });
    }
    for id in register::page(tx, register::ALL, 0, NEWEST_LEGAL)? {
        if let Some(row) = register::row(tx, id)?
            && seen.insert(row.slug.clone())
        {
            out.push(Choice {
                label: crate::http::admin::pickers::legal_label(&row),
                value: row.slug,
            });
        }
    }
    Ok((out, register::count(tx, register::ALL)?))
}

/// The legal documents a form names: its relations and a procedure's legal basis.
pub(super) fn legal_slugs(values: &FormValues) -> Vec<String> {
    let legal = &values.legal;
    [
        &legal.replaces,
        &legal.amends,
        &legal.guides,
        &values.procedure.legal_basis,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect()
}

/// What the last step did, in words, and what happens next.
fn step_message(events: &[Event]) -> Option<String> {
    let last = events.last()?;
    let author = events
        .first()
        .map_or("người viết", |e| e.user_name.as_str());
    Some(match last.action {
        Action::Save => "Đã lưu bản sửa.".to_string(),
        Action::Submit if last.to == content::State::InReview => {
            "Đã trình Ban Biên tập; bài chờ Ban Biên tập duyệt.".to_string()
        }
        Action::Submit => "Đã gửi bài; bài chờ người tổng hợp của đơn vị.".to_string(),
        Action::Forward => "Đã trình Ban Biên tập; bài chờ Ban Biên tập duyệt.".to_string(),
        Action::Return => format!("Đã trả lại cho {author} để sửa."),
        Action::Approve => match &last.on_behalf_of {
            Some(head) => format!("Đã duyệt thay mặt {head}; bài chờ người xuất bản đăng."),
            None => "Đã duyệt; bài chờ người xuất bản đăng.".to_string(),
        },
        Action::Schedule => format!(
            "Đã hẹn giờ đăng lúc {} (giờ Việt Nam, UTC+7).",
            last.scheduled_for.map(format::datetime).unwrap_or_default()
        ),
        Action::Unschedule => "Đã hủy hẹn giờ; bài trở lại chờ đăng.".to_string(),
        Action::Publish => "Đã đăng lên trang.".to_string(),
        Action::Withdraw => "Đã gỡ bài khỏi trang.".to_string(),
    })
}

pub(super) fn editor_view(
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
    let mut layout = staff.layout(&title).with_flash(flash);
    // After a step, say which one and what happens next, from the entry's record.
    if flash == Some("da-chuyen")
        && let Some((_, _, events)) = &data.entry
        && let Some(message) = step_message(events)
    {
        layout = layout.with_message(message);
    }
    // A delegate approves for the Board head, and the button says so before the click.
    let on_behalf_of = data.entry.as_ref().and_then(|(e, _, _)| {
        workflow::decide(&staff.actor, Action::Approve, &editorial::facts(e), today)
            .ok()
            .and_then(|step| step.on_behalf_of.map(|(_, name)| name))
    });
    let values_cover = values.cover.clone();
    let values_attachments: Vec<String> = values
        .attachments
        .iter()
        .map(String::as_str)
        .chain(values.attachments_add.lines())
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    EditorView {
        layout,
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
                label: match (a, &on_behalf_of) {
                    (Action::Approve, Some(head)) => format!("Duyệt (thay mặt {head})"),
                    _ => a.label().to_string(),
                },
                needs_comment: matches!(a, Action::Return | Action::Withdraw),
                needs_time: *a == Action::Schedule,
            })
            .collect(),
        timeline: data
            .entry
            .as_ref()
            .map(|(_, _, ev)| timeline(ev))
            .unwrap_or_default(),
        cover_choice: library_file(&data.media, &values_cover, true)
            .map(|m| MediaChoice::new(m, None)),
        attachment_choices: values_attachments
            .iter()
            .filter_map(|r| library_file(&data.media, r, false))
            .map(|m| MediaChoice::new(m, data.unsearchable.get(m.hash.as_str()).copied()))
            .collect(),
        categories: section_choices(&data.categories),
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
        legal_hint: (data.legal_total > NEWEST_LEGAL).then(|| {
            format!(
                "Danh sách có {} văn bản mới nhất trong số {} văn bản. Văn bản cũ hơn: bấm \
                 “Tìm văn bản…” rồi gõ số, ký hiệu hoặc trích yếu.",
                NEWEST_LEGAL,
                format::count(data.legal_total)
            )
        }),
        legal_docs: data.legal_docs,
    }
}

pub(super) fn field_errors(invalid: Vec<content::Invalid>) -> Vec<FieldError> {
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
    let data = editor_data(&app, &staff, None, Vec::new()).await?;
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
    let (actor, form, now) = (staff.actor.clone(), values.clone(), app.clock.now());
    let created = app
        .store
        .write(move |tx| {
            let draft = form.draft_in(tx)?;
            editorial::create_entry(tx, &actor, draft, now)
        })
        .await;
    match created {
        Ok(entry) => Ok(see_other(&format!(
            "/quan-tri/bai-viet/{}?tb=da-tao",
            entry.id
        ))),
        Err(content::Error::Invalids(invalid)) => {
            editor_again(&app, &staff, None, Some(values), invalid).await
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
    let data = editor_data(&app, &staff, Some(EntryId(id)), Vec::new()).await?;
    let view = editor_view(&app, &staff, data, None, Vec::new(), query.flash());
    page(&app, "admin/editor.html", &view, Outcome::Shown)
}

#[derive(Serialize)]
pub(super) struct ConflictView {
    pub(super) layout: AdminLayout,
    pub(super) id: u64,
    pub(super) mine: FormValues,
    pub(super) theirs: FormValues,
    pub(super) theirs_by: String,
    pub(super) theirs_at: String,
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
    let (actor, form, base) = (staff.actor.clone(), values.clone(), RevisionId(values.base));
    let (today, now) = (app.today(), app.clock.now());
    let saved = app
        .write_and_refresh(id, move |tx| {
            let draft = form.draft_in(tx)?;
            editorial::save(tx, &actor, id, base, draft, today, now)
        })
        .await;
    match saved {
        Ok(_) => Ok(see_other(&format!("/quan-tri/bai-viet/{id}?tb=da-luu"))),
        Err(content::Error::Invalids(invalid)) => {
            editor_again(&app, &staff, Some(id), Some(values), invalid).await
        }
        Err(content::Error::Conflict { current, .. }) => {
            conflict_page(&app, &staff, id, &current, values).await
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
    let origin = app.config.new_origin();
    let stepped = app
        .write_and_refresh(id, move |tx| {
            let entry = editorial::step(tx, &actor, id, request, today, now)?;
            // Whoever acts next hears of it, in the same transaction as the step.
            let title = editorial::revision(tx, entry.working)?.fields.title;
            crate::mail::notify::next_step(tx, &entry, &title, actor.user, today, now, &origin)?;
            crate::citizen::questions::tell_asker_if_answered(tx, &entry, now, &origin)?;
            Ok(entry)
        })
        .await;
    if stepped.is_ok() {
        app.mail_wake.notify_one();
    }
    match stepped {
        Ok(_) => Ok(see_other(&format!("/quan-tri/bai-viet/{id}?tb=da-chuyen"))),
        Err(content::Error::Invalids(invalid)) => {
            editor_again(&app, &staff, Some(id), None, invalid).await
        }
        Err(other) => Err(other.into()),
    }
}

/// The editor again, with what was typed (`values`, or the entry as saved) and the
/// editor's objections: 422.
async fn editor_again(
    app: &Arc<App>,
    staff: &Desk,
    id: Option<EntryId>,
    values: Option<FormValues>,
    invalid: Vec<content::Invalid>,
) -> Result<Response, HttpError> {
    let chosen = values.as_ref().map(legal_slugs).unwrap_or_default();
    let data = editor_data(app, staff, id, chosen).await?;
    let view = editor_view(app, staff, data, values, field_errors(invalid), None);
    page(app, "admin/editor.html", &view, Outcome::Invalid)
}

/// Someone saved a newer revision meanwhile: both versions side by side, 409.
async fn conflict_page(
    app: &Arc<App>,
    staff: &Desk,
    id: EntryId,
    current: &Revision,
    mine: FormValues,
) -> Result<Response, HttpError> {
    let entry = app.store.read(move |tx| editorial::entry(tx, id)).await?;
    let view = ConflictView {
        layout: staff.layout("Xung đột khi lưu"),
        id: id.0,
        theirs: FormValues::from_revision(&entry, current),
        theirs_by: current.saved_by.clone(),
        theirs_at: format::datetime(current.created_at),
        mine,
    };
    page(app, "admin/conflict.html", &view, Outcome::Conflict)
}

/// `2026-11-28T09:30` from a `datetime-local` input, in Vietnam time.
pub(super) fn parse_local_time(text: &str) -> Option<Timestamp> {
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
    let (entry, revision) = app
        .store
        .read(move |tx| editorial::working_seen_by(tx, &actor, id))
        .await?;
    let site = app.store.read(crate::site::load).await?;
    let categories = app.store.read(content::categories).await?;
    let mut preview = Published { entry, revision };
    if preview.entry.published_at.is_none() {
        preview.entry.published_at = Some(app.clock.now());
    }
    let view = preview_view(&app, &site, &categories, &preview).await?;
    page(&app, "public/entry.html", &view, Outcome::Shown)
}

/// The public entry page's view of an unpublished revision, marked as a preview.
async fn preview_view(
    app: &Arc<App>,
    site: &crate::site::SiteSettings,
    categories: &[crate::content::Category],
    preview: &Published,
) -> Result<crate::render::views::EntryView, HttpError> {
    let mut view = crate::http::public::entry_view(app, site, categories, preview, &[]);
    view.preview = true;
    if matches!(preview.entry.kind, Kind::LegalDocument | Kind::Procedure) {
        let (slug, doc) = (
            preview.entry.slug.clone(),
            preview.revision.fields.legal.clone(),
        );
        let shown = preview.clone();
        let (links, basis) = app
            .store
            .read(move |tx| -> Result<_, content::Error> {
                let links = match &doc {
                    Some(doc) => content::register::Links::of(tx, &slug, doc)?,
                    None => content::register::Links::default(),
                };
                let basis = crate::http::public::procedures::legal_basis(tx, &shown)?;
                Ok((links, basis))
            })
            .await?;
        view.legal = crate::http::public::documents::legal_view(preview, &links, app.today());
        view.procedure = crate::http::public::procedures::procedure_view(preview, &basis);
    }
    view.record = crate::http::public::records::record_view(preview);
    Ok(view)
}

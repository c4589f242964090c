//! Revisions: the list, a side-by-side comparison, and restoring an old one.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;

use super::super::form::FormData;
use super::super::views::AdminLayout;
use super::super::{Desk, SignedIn, page};
use crate::app::App;
use crate::content::editorial::{self};
use crate::content::{self, Entry, EntryId, Revision, RevisionId};
use crate::format;
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;
use crate::workflow::{self, Action};

#[derive(Serialize)]
pub(super) struct RevisionRow {
    pub(super) id: u64,
    pub(super) saved_by: String,
    pub(super) at: String,
    pub(super) hash: String,
    pub(super) title: String,
    pub(super) current: bool,
    pub(super) live: bool,
}

#[derive(Serialize)]
pub(super) struct DiffRow {
    pub(super) field: &'static str,
    /// The text as read, words taken out in `<del>` and put in within `<ins>`
    /// (escaped here; the template shows it as HTML).
    pub(super) html: String,
    pub(super) changed: bool,
}

#[derive(Serialize)]
pub(super) struct HistoryView {
    pub(super) layout: AdminLayout,
    pub(super) id: u64,
    pub(super) title: String,
    pub(super) revisions: Vec<RevisionRow>,
    pub(super) can_restore: bool,
    pub(super) diff: Option<(u64, u64)>,
    pub(super) rows: Vec<DiffRow>,
    /// "So sánh" was pressed without two versions chosen.
    pub(super) choose_two: bool,
}

impl HistoryView {
    /// The revisions of `entry`, newest first, and the comparison of revisions `a` and
    /// `b` when both are named.
    fn new(
        layout: AdminLayout,
        entry: &Entry,
        revisions: &[Revision],
        (a, b): (Option<u64>, Option<u64>),
        can_restore: bool,
    ) -> HistoryView {
        let find = |n: Option<u64>| n.and_then(|n| revisions.iter().find(|r| r.id.0 == n));
        let (left, right) = (find(a), find(b));
        HistoryView {
            layout,
            id: entry.id.0,
            title: revisions
                .first()
                .map(|r| r.fields.title.clone())
                .unwrap_or_default(),
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
            diff: left.zip(right).map(|(l, r)| (l.id.0, r.id.0)),
            choose_two: (a.is_some() || b.is_some()) && (left.is_none() || right.is_none()),
            rows: left
                .zip(right)
                .map(|(l, r)| diff_rows(l, r))
                .unwrap_or_default(),
        }
    }
}

/// `GET /quan-tri/bai-viet/{id}/lich-su?a=&b=` — revisions and a side-by-side diff.
pub async fn entry_history(
    State(app): State<Arc<App>>,
    staff: Desk,
    Path(id): Path<u64>,
    query: Params,
) -> Result<Response, HttpError> {
    let id = EntryId(id);
    // The form sends `so_sanh` with whatever is chosen, so nothing chosen is seen too.
    let asked = query.text("so_sanh").is_some();
    let (a, b) = (query.number::<u64>("a"), query.number::<u64>("b"));
    let (a, b) = if asked && (a.is_none() || b.is_none()) {
        (a.or(Some(0)), b.or(Some(0)))
    } else {
        (a, b)
    };
    let actor = staff.actor.clone();
    let entry = app
        .store
        .read(move |tx| editorial::seen_by(tx, &actor, id))
        .await?;
    let revisions = app
        .store
        .read(move |tx| editorial::revisions(tx, id))
        .await?;
    // Restoring makes a new working revision: whoever may save the entry may do it.
    let can_restore = workflow::available(&staff.actor, &editorial::facts(&entry), app.today())
        .contains(&Action::Save);
    let layout = staff.layout("Lịch sử phiên bản");
    let view = HistoryView::new(layout, &entry, &revisions, (a, b), can_restore);
    page(&app, "admin/history.html", &view, Outcome::Shown)
}

/// Field by field, as read: each field's words, with what the right-hand version took
/// out marked `<del>` and what it put in marked `<ins>`; the body paragraph by
/// paragraph.
pub(super) fn diff_rows(left: &Revision, right: &Revision) -> Vec<DiffRow> {
    let (l, r) = (&left.fields, &right.fields);
    let mut rows = Vec::new();
    let mut field = |name: &'static str, a: &str, b: &str| {
        rows.push(DiffRow {
            field: name,
            html: words_diff(a, b),
            changed: a != b,
        });
    };
    field("Tiêu đề", &l.title, &r.title);
    field("Tóm tắt", &l.summary, &r.summary);
    field("Tác giả", &l.author, &r.author);
    field("Nguồn", &l.source, &r.source);
    let cover = |f: &content::Fields| f.cover.as_ref().map(|c| c.alt.clone()).unwrap_or_default();
    field("Ảnh đại diện (mô tả)", &cover(l), &cover(r));
    let files = |f: &content::Fields| {
        f.attachments
            .iter()
            .map(|a| a.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    field("Tệp đính kèm", &files(l), &files(r));
    let (a, b) = (readable(&l.body_html), readable(&r.body_html));
    rows.push(DiffRow {
        field: "Nội dung",
        changed: a != b,
        html: words_diff(&a, &b)
            .split('\n')
            .filter(|p| !p.trim().is_empty())
            .map(|p| format!("<p>{p}</p>"))
            .collect(),
    });
    rows
}

/// A body's text as a reader sees it: one line per paragraph, heading, list item or
/// table row; tags gone, entities decoded.
fn readable(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[open + 1..open + close];
        let name = tag
            .trim_start_matches('/')
            .split([' ', '/'])
            .next()
            .unwrap_or("");
        if matches!(
            name,
            "p" | "h2" | "h3" | "h4" | "li" | "tr" | "br" | "figcaption" | "blockquote" | "caption"
        ) && (tag.starts_with('/') || name == "br")
        {
            text.push('\n');
        } else if matches!(name, "td" | "th") && tag.starts_with('/') {
            text.push_str(" | ");
        } else if name == "img" {
            // An image reads as its alt text.
            if let Some(at) = tag.find("alt=\"") {
                let alt = &tag[at + 5..];
                text.push_str(&format!(
                    "[ảnh: {}]",
                    &alt[..alt.find('"').unwrap_or(alt.len())]
                ));
            }
        }
        rest = &rest[open + close + 1..];
    }
    text.push_str(rest);
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// `a` and `b` as one text, words `b` dropped in `<del>` and words it added in `<ins>`
/// (a run of changed words in one mark, so a reader sees the phrase); escaped, newlines
/// kept.
fn words_diff(a: &str, b: &str) -> String {
    let diff = similar::TextDiff::from_words(a, b);
    let mut out = String::new();
    let mut run: Option<(similar::ChangeTag, String)> = None;
    let close = |out: &mut String, run: &mut Option<(similar::ChangeTag, String)>| {
        if let Some((tag, text)) = run.take() {
            let text = content::sanitize::escape(&text);
            match tag {
                similar::ChangeTag::Delete => out.push_str(&format!("<del>{text}</del>")),
                similar::ChangeTag::Insert => out.push_str(&format!("<ins>{text}</ins>")),
                similar::ChangeTag::Equal => out.push_str(&text),
            }
        }
    };
    for change in diff.iter_all_changes() {
        match &mut run {
            Some((tag, text)) if *tag == change.tag() => text.push_str(change.value()),
            _ => {
                close(&mut out, &mut run);
                run = Some((change.tag(), change.value().to_string()));
            }
        }
    }
    close(&mut out, &mut run);
    out
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

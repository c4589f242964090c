//! Entries in the admin pages: the inbox, the list, the editor and its form, workflow
//! steps, the preview and revisions.

mod editor;
mod form;
mod history;
mod inbox;
mod list;
mod word;

use jiff::Timestamp;
use serde::Serialize;

use crate::auth::Unit;
use crate::content::{Category, Entry, Revision, State as EntryState};
use crate::format;
use crate::workflow;

pub use editor::{create_entry, edit_entry, new_entry, preview_entry, save_entry, step_entry};
pub use history::{entry_history, restore_revision};
pub use inbox::inbox;
pub use list::list_entries;
pub use word::{describe_word_images, import_word};

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

/// One option of a select.
#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

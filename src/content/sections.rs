//! Sections (chuyên mục): the site's structure (regulation C1–C18, F7). Each section
//! says what it holds (kinds of entry, or a fixed address), where it shows (the menu,
//! the home page) and what the law asks of it: an update deadline (D1–D7), how, when
//! and for how long its information is disclosed (C13, O6, O8) and how long it stays
//! online (O7).
//!
//! The tree is part of the site's interface (Art. 3.3): a change is a draft, previewed,
//! and made live only by the head of the Editorial Board, as for the look. Sections are
//! never deleted: retiring one moves its entries to another and leaves its addresses
//! answering 301. A new data folder starts with the default tree in
//! `assets/sections.toml`, which gives every mandatory category a place; the agency
//! edits it from there.

use std::collections::BTreeMap;

use jiff::Timestamp;
use redb::WriteTransaction;
use serde::{Deserialize, Serialize};

use super::{Category, Entry, Error, Kind, tables};
use crate::site::{self, MenuItem};
use crate::store::{self, Tx};

const DEFAULT_TREE: &str = include_str!("../../assets/sections.toml");
const COMMUNE_TREE: &str = include_str!("../../assets/sections-xa.toml");

/// The tree a new site starts with: a provincial department's (`so`, the default) or a
/// commune's (`xa`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Template {
    #[default]
    So,
    Xa,
}

impl Template {
    pub fn parse(text: &str) -> Option<Template> {
        match text {
            "so" => Some(Template::So),
            "xa" => Some(Template::Xa),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Template::So => "so",
            Template::Xa => "xa",
        }
    }
}
const DRAFT_KEY: &str = "sections_draft";
/// How far `resolve` follows retired sections.
const MAX_HOPS: usize = 8;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultTree {
    sections: Vec<Category>,
}

/// The default tree, in order: each section's `order` is ten times its place among its
/// siblings.
pub fn default_tree() -> Result<Vec<Category>, Error> {
    tree_of(Template::So)
}

/// A template's tree, in order, as `default_tree`.
pub fn tree_of(template: Template) -> Result<Vec<Category>, Error> {
    let (text, file) = match template {
        Template::So => (DEFAULT_TREE, "assets/sections.toml"),
        Template::Xa => (COMMUNE_TREE, "assets/sections-xa.toml"),
    };
    let tree: DefaultTree =
        toml::from_str(text).map_err(|e| super::invalid("sections", &format!("{file}: {e}")))?;
    let mut places: BTreeMap<Option<String>, u32> = BTreeMap::new();
    Ok(tree
        .sections
        .into_iter()
        .map(|mut section| {
            // Steps of ten leave room for sections put between (the demo's).
            let place = places.entry(section.parent.clone()).or_insert(0);
            section.order = *place * 10;
            *place += 1;
            section
        })
        .collect())
}

/// Gives a new data folder the default tree (and the menu it makes). A folder that has
/// sections keeps them.
pub fn seed_default(tx: &WriteTransaction, now: Timestamp) -> Result<(), Error> {
    seed_template(tx, Template::So, now)
}

/// As `seed_default`, with the tree of `template`.
pub fn seed_template(
    tx: &WriteTransaction,
    template: Template,
    now: Timestamp,
) -> Result<(), Error> {
    if !tables::CATEGORIES.values(tx)?.is_empty() {
        return Ok(());
    }
    for section in tree_of(template)? {
        tables::CATEGORIES.insert(tx, section.slug.as_str(), &section)?;
    }
    refresh_menu(tx, "", now)
}

/// Every section, retired ones too, in tree order.
pub fn all(tx: &impl Tx) -> Result<Vec<Category>, Error> {
    // Read by every page: decoded and ordered once per distinct set of rows.
    static DECODED: crate::store::Decoded<Vec<Vec<u8>>, Vec<Category>> =
        crate::store::Decoded::new();
    let rows = tables::CATEGORIES.raw_values(tx)?;
    let sections = DECODED.get(rows, |rows| -> Result<_, store::Error> {
        let sections = rows
            .iter()
            .map(|row| tables::CATEGORIES.decode_bytes(row))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(in_tree_order(sections))
    })?;
    Ok(sections.as_ref().clone())
}

/// Sections in tree order: each top-level section by its order, followed by its
/// children by theirs.
pub fn in_tree_order(sections: Vec<Category>) -> Vec<Category> {
    let key = |c: &Category| (c.order, c.name.clone());
    let mut top: Vec<Category> = Vec::new();
    let mut children: BTreeMap<String, Vec<Category>> = BTreeMap::new();
    for section in sections {
        match &section.parent {
            Some(parent) => children.entry(parent.clone()).or_default().push(section),
            None => top.push(section),
        }
    }
    top.sort_by_key(key);
    let mut out = Vec::new();
    for parent in top {
        let mut kids = children.remove(&parent.slug).unwrap_or_default();
        kids.sort_by_key(key);
        out.push(parent);
        out.extend(kids);
    }
    // Children of a parent that no longer exists still show, at the end.
    for (_, mut kids) in children {
        kids.sort_by_key(key);
        out.extend(kids);
    }
    out
}

/// Where a section leads: its fixed address; the register of the one kind it holds;
/// or its own list.
pub fn address(section: &Category) -> String {
    if let Some(href) = section.href.as_deref().filter(|h| !h.is_empty()) {
        return href.to_string();
    }
    match section.kinds.as_slice() {
        [kind] if !matches!(kind, Kind::Article | Kind::Page) => kind.list_url().to_string(),
        _ => crate::paths::category(&section.slug),
    }
}

/// Whether the section has its own list page (`/chuyen-muc/{slug}`).
pub fn has_own_list(section: &Category) -> bool {
    address(section) == crate::paths::category(&section.slug)
}

/// The section `slug` leads to now: itself, or the section it was retired into.
pub fn resolve<'a>(sections: &'a [Category], slug: &str) -> Option<&'a Category> {
    let mut current = sections.iter().find(|c| c.slug == slug)?;
    for _ in 0..MAX_HOPS {
        match &current.retired_into {
            Some(next) => current = sections.iter().find(|c| &c.slug == next)?,
            None => return Some(current),
        }
    }
    None
}

/// The category an entry saved into `slug` gets: `slug`, or the section it was retired
/// into (a revision saved before the retirement keeps naming the old one).
pub fn current(tx: &impl Tx, slug: &str) -> Result<Option<String>, Error> {
    let sections = tables::CATEGORIES.values(tx)?;
    Ok(resolve(&sections, slug).map(|c| c.slug.clone()))
}

/// The menu the sections make: top-level sections shown in the menu, each with its
/// children shown in the menu.
pub fn menu(sections: &[Category]) -> Vec<MenuItem> {
    let active = |c: &&Category| c.in_menu && c.retired_into.is_none();
    let ordered = in_tree_order(sections.to_vec());
    ordered
        .iter()
        .filter(|c| c.parent.is_none())
        .filter(active)
        .map(|parent| MenuItem {
            label: parent.name.clone(),
            href: address(parent),
            children: ordered
                .iter()
                .filter(|c| c.parent.as_deref() == Some(parent.slug.as_str()))
                .filter(active)
                .map(|child| MenuItem {
                    label: child.name.clone(),
                    href: address(child),
                    children: Vec::new(),
                })
                .collect(),
        })
        .collect()
}

/// Puts the menu the live sections make into the site settings (a change made by the
/// program, so the approved one).
pub fn refresh_menu(tx: &WriteTransaction, by: &str, now: Timestamp) -> Result<(), Error> {
    let made = menu(&tables::CATEGORIES.values(tx)?);
    let mut settings = site::load(tx)?;
    if settings.sections_menu != made {
        settings.sections_menu = made;
        site::save_by(tx, &settings, by, now)?;
    }
    Ok(())
}

/// A field of the section form to correct, in Vietnamese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub slug: String,
    pub message: String,
}

/// What a tree must satisfy: unique, valid addresses; names; two levels at most; a
/// retired section pointing at a live one; something to hold or lead to.
pub fn check(sections: &[Category]) -> Vec<Invalid> {
    let mut out = Vec::new();
    let mut problem = |slug: &str, message: String| {
        out.push(Invalid {
            slug: slug.to_string(),
            message,
        });
    };
    let find = |slug: &str| sections.iter().find(|c| c.slug == slug);
    for (i, c) in sections.iter().enumerate() {
        if !super::slug::is_valid(&c.slug) {
            problem(
                &c.slug,
                format!(
                    "Đường dẫn “{}” chỉ được gồm chữ thường không dấu, số và dấu gạch ngang.",
                    c.slug
                ),
            );
        }
        if sections[..i].iter().any(|other| other.slug == c.slug) {
            problem(
                &c.slug,
                format!("Đường dẫn “{}” đã được dùng cho chuyên mục khác.", c.slug),
            );
        }
        if c.name.trim().is_empty() {
            problem(&c.slug, "Vui lòng nhập tên chuyên mục.".into());
        }
        if let Some(parent) = &c.parent {
            match find(parent) {
                None => problem(&c.slug, format!("Chuyên mục cha “{parent}” không tồn tại.")),
                Some(p) if p.parent.is_some() => problem(
                    &c.slug,
                    format!(
                        "“{}” đã là chuyên mục con: cây chuyên mục chỉ có hai cấp.",
                        p.name
                    ),
                ),
                Some(p) if p.slug == c.slug => {
                    problem(&c.slug, "Chuyên mục không thể nằm trong chính nó.".into());
                }
                Some(_) => {}
            }
        }
        if let Some(href) = c.href.as_deref().filter(|h| !h.is_empty())
            && !((href.starts_with('/') && !href.starts_with("//")) || href.starts_with("https://"))
        {
            problem(
                &c.slug,
                format!("Địa chỉ “{href}” cần bắt đầu bằng / hoặc https://."),
            );
        }
        if c.retired_into.is_some() {
            // Retiring into a section retired later still leads somewhere: the chain's end.
            match resolve(sections, &c.slug) {
                Some(target) if target.slug != c.slug => {}
                _ => problem(
                    &c.slug,
                    format!(
                        "Chuyên mục “{}” cần chuyển bài sang một chuyên mục đang dùng.",
                        c.name
                    ),
                ),
            }
        }
    }
    out
}

/// A proposed tree, waiting for the head of the Board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub sections: Vec<Category>,
    pub by: String,
    pub by_name: String,
    pub at: Timestamp,
}

pub fn draft(tx: &impl Tx) -> Result<Option<Draft>, Error> {
    Ok(store::meta_get(tx, DRAFT_KEY)?)
}

/// The live tree and the draft, if any, as of one read.
pub fn live_and_draft(tx: &impl Tx) -> Result<(Vec<Category>, Option<Draft>), Error> {
    Ok((all(tx)?, draft(tx)?))
}

/// Saves a checked draft (replacing an earlier one), audited like a draft of the look.
pub fn propose(tx: &WriteTransaction, draft: &Draft) -> Result<(), Error> {
    store::meta_put(tx, DRAFT_KEY, draft)?;
    crate::audit::append(
        tx,
        crate::audit::Event::new(&draft.by, "settings_draft_saved", "sections"),
        draft.at,
    )?;
    Ok(())
}

/// Drops the draft, with the reason in the audit trail.
pub fn discard(
    tx: &WriteTransaction,
    by: &str,
    reason: &str,
    now: Timestamp,
) -> Result<bool, Error> {
    if draft(tx)?.is_none() {
        return Ok(false);
    }
    store::META.remove(tx, DRAFT_KEY)?;
    crate::audit::append(
        tx,
        crate::audit::Event::new(by, "settings_draft_returned", "sections").detail(reason),
        now,
    )?;
    Ok(true)
}

/// A change to the tree, made to the draft (started from the live tree if there is
/// none).
#[derive(Debug, Clone)]
pub enum Change {
    /// Adds `section`, or replaces the section `original` with it (its address fixed).
    Save {
        original: Option<String>,
        section: Box<Category>,
    },
    /// Moves a section one place up or down among its siblings.
    Move { slug: String, up: bool },
    /// Retires a section into another.
    Retire { slug: String, into: String },
}

/// Who changes the draft.
pub struct Editor<'a> {
    pub login: &'a str,
    pub name: &'a str,
}

/// Applies `change` to the draft and saves it for approval; every problem of the tree
/// it makes at once (`Error::Invalids`), and then nothing is saved.
pub fn change_draft(
    tx: &WriteTransaction,
    by: &Editor<'_>,
    change: Change,
    now: Timestamp,
) -> Result<Draft, Error> {
    let mut sections = match draft(tx)? {
        Some(d) => d.sections,
        None => all(tx)?,
    };
    let field = match &change {
        Change::Save { .. } => "section",
        Change::Move { .. } => "order",
        Change::Retire { .. } => "retire",
    };
    let fail = |message: String| Err(Error::Invalids(vec![super::Invalid { field, message }]));
    match change {
        Change::Save {
            original: Some(original),
            section,
        } => {
            let Some(at) = sections.iter().position(|c| c.slug == original) else {
                return fail("Chuyên mục không còn trong bản nháp.".into());
            };
            let mut section = *section;
            // The address stays: links to it are out in the world.
            section.slug = original;
            section.order = sections[at].order;
            section.retired_into.clone_from(&sections[at].retired_into);
            sections[at] = section;
        }
        Change::Save {
            original: None,
            section,
        } => {
            let mut section = *section;
            section.order = sections
                .iter()
                .filter(|c| c.parent == section.parent)
                .map(|c| c.order + 1)
                .max()
                .unwrap_or(0);
            sections.push(section);
        }
        Change::Move { slug, up } => {
            let ordered = in_tree_order(sections.clone());
            let Some(this) = ordered.iter().find(|c| c.slug == slug) else {
                return fail("Chuyên mục không còn trong bản nháp.".into());
            };
            let siblings: Vec<&Category> =
                ordered.iter().filter(|c| c.parent == this.parent).collect();
            let at = siblings.iter().position(|c| c.slug == slug).unwrap_or(0);
            let other = if up {
                at.checked_sub(1)
            } else {
                Some(at + 1).filter(|i| *i < siblings.len())
            };
            if let Some(other) = other {
                // Renumber the siblings in their new order.
                let mut order: Vec<String> = siblings.iter().map(|c| c.slug.clone()).collect();
                order.swap(at, other);
                for section in &mut sections {
                    if let Some(place) = order.iter().position(|s| *s == section.slug) {
                        section.order = place as u32;
                    }
                }
            }
        }
        Change::Retire { slug, into } => {
            if slug == into {
                return fail("Hãy chọn một chuyên mục khác để chuyển bài sang.".into());
            }
            if sections
                .iter()
                .any(|c| c.parent.as_deref() == Some(slug.as_str()) && c.retired_into.is_none())
            {
                return fail(
                    "Chuyên mục còn chuyên mục con đang dùng: hãy chuyển hoặc thôi dùng các chuyên mục con trước."
                        .into(),
                );
            }
            let Some(section) = sections.iter_mut().find(|c| c.slug == slug) else {
                return fail("Chuyên mục không còn trong bản nháp.".into());
            };
            section.retired_into = Some(into);
            section.in_menu = false;
        }
    }
    let problems = check(&sections);
    if !problems.is_empty() {
        return Err(Error::Invalids(
            problems
                .into_iter()
                .map(|p| super::Invalid {
                    field,
                    message: p.message,
                })
                .collect(),
        ));
    }
    let draft = Draft {
        sections,
        by: by.login.to_string(),
        by_name: by.name.to_string(),
        at: now,
    };
    propose(tx, &draft)?;
    Ok(draft)
}

/// The parts of the tree a draft changes, in words, for the approver.
pub fn changes(live: &[Category], draft: &[Category]) -> Vec<String> {
    let mut out = Vec::new();
    for d in draft {
        match live.iter().find(|l| l.slug == d.slug) {
            None => out.push(format!("Thêm “{}”", d.name)),
            Some(l) if l.retired_into.is_none() && d.retired_into.is_some() => {
                let into = draft
                    .iter()
                    .find(|c| Some(&c.slug) == d.retired_into.as_ref())
                    .map_or("", |c| c.name.as_str());
                out.push(format!("Thôi dùng “{}”, chuyển bài sang “{into}”", l.name));
            }
            Some(l) if l != d => {
                if l.order != d.order && {
                    let mut a = l.clone();
                    a.order = d.order;
                    a == *d
                } {
                    out.push(format!("Đổi thứ tự “{}”", d.name));
                } else if l.name != d.name {
                    out.push(format!("Đổi tên “{}” thành “{}”", l.name, d.name));
                } else {
                    out.push(format!("Sửa cài đặt “{}”", d.name));
                }
            }
            Some(_) => {}
        }
    }
    out
}

/// What approving a draft changed.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// Entries moved out of retired sections (their pages and the search index change).
    pub moved: Vec<super::EntryId>,
}

/// Puts the draft live, if it is the one the approver saw (saved at `seen`): the
/// sections, the entries of newly retired ones moved, the menu remade. `None` when
/// there is no such draft.
pub fn approve(
    tx: &WriteTransaction,
    by: &str,
    seen: Timestamp,
    now: Timestamp,
) -> Result<Option<Applied>, Error> {
    let Some(draft) = draft(tx)?.filter(|d| d.at == seen) else {
        return Ok(None);
    };
    let problems = check(&draft.sections);
    if let Some(first) = problems.first() {
        return Err(super::invalid("sections", &first.message));
    }
    let before: BTreeMap<String, Category> = tables::CATEGORIES
        .values(tx)?
        .into_iter()
        .map(|c| (c.slug.clone(), c))
        .collect();
    let mut applied = Applied::default();
    for section in &draft.sections {
        let newly_retired = section.retired_into.is_some()
            && before
                .get(&section.slug)
                .is_some_and(|b| b.retired_into.is_none());
        tables::CATEGORIES.insert(tx, section.slug.as_str(), section)?;
        if newly_retired && let Some(into) = resolve(&draft.sections, &section.slug) {
            applied
                .moved
                .extend(move_entries(tx, &section.slug, &into.slug)?);
        }
    }
    store::META.remove(tx, DRAFT_KEY)?;
    refresh_menu(tx, by, now)?;
    // The sections are part of the approved settings the integrity check compares.
    crate::integrity::approve_settings(tx, by, now)?;
    crate::audit::append(
        tx,
        crate::audit::Event::new(by, "settings_changed", "sections")
            .detail(format!("{} chuyên mục", draft.sections.len())),
        now,
    )?;
    Ok(Some(applied))
}

/// Moves every entry of section `from` into `to`, relisting the live ones.
fn move_entries(tx: &WriteTransaction, from: &str, to: &str) -> Result<Vec<super::EntryId>, Error> {
    let mut moved = Vec::new();
    let entries: Vec<Entry> = tables::ENTRIES
        .values(tx)?
        .into_iter()
        .filter(|e| e.category.as_deref() == Some(from))
        .collect();
    for mut entry in entries {
        super::unlist(tx, &entry)?;
        entry.category = Some(to.to_string());
        super::list(tx, &entry)?;
        tables::ENTRIES.insert(tx, entry.id.0, &entry)?;
        moved.push(entry.id);
    }
    Ok(moved)
}

/// One row of the generated list of disclosed information (C13, O8).
#[derive(Debug, Clone, Serialize)]
pub struct Disclosed {
    pub name: String,
    pub parent: String,
    pub address: String,
    pub form: String,
    pub timing: String,
    pub period: String,
}

/// The list of disclosed information: each live section that holds content, with its
/// address, form, timing and period; a text the section leaves empty is worked out from
/// its deadline, its kinds' rules and its retention.
pub fn disclosure_list(sections: &[Category], rules: &super::deadlines::Rules) -> Vec<Disclosed> {
    let ordered = in_tree_order(sections.to_vec());
    ordered
        .iter()
        .filter(|c| c.retired_into.is_none() && !c.kinds.is_empty())
        .map(|c| {
            let parent = c
                .parent
                .as_deref()
                .and_then(|p| ordered.iter().find(|o| o.slug == p))
                .map(|p| p.name.clone())
                .unwrap_or_default();
            let or = |text: &str, worked_out: String| {
                if text.trim().is_empty() {
                    worked_out
                } else {
                    text.trim().to_string()
                }
            };
            Disclosed {
                name: c.name.clone(),
                parent,
                address: address(c),
                form: or(
                    &c.disclosure.form,
                    "Đăng tải trên Trang thông tin điện tử".to_string(),
                ),
                timing: or(&c.disclosure.timing, timing(c, rules)),
                period: or(
                    &c.disclosure.period,
                    match c.retention_years {
                        Some(years) => format!("Tối thiểu {years} năm kể từ ngày đăng tải"),
                        None => "Thường xuyên, trong thời gian thông tin còn hiệu lực".to_string(),
                    },
                ),
            }
        })
        .collect()
}

/// When a section's information is published, from its deadline or its kind's rule.
fn timing(section: &Category, rules: &super::deadlines::Rules) -> String {
    let days = section.deadline_days.or(match section.kinds.as_slice() {
        [Kind::LegalDocument] => Some(rules.legal_document),
        [Kind::Plan] => Some(rules.plan),
        [Kind::Project] => Some(rules.project),
        [Kind::Task] => Some(rules.task),
        [Kind::Statistic] => Some(rules.statistic),
        _ => None,
    });
    match (days, section.kinds.as_slice()) {
        (Some(days), [Kind::Statistic]) => {
            format!("Chậm nhất {days} ngày làm việc kể từ ngày lãnh đạo quyết định công bố")
        }
        (Some(days), [Kind::LegalDocument]) => format!(
            "Chậm nhất {days} ngày làm việc kể từ ngày ban hành ({} ngày với văn bản do Sở ban hành)",
            rules.own_legal_document
        ),
        (Some(days), _) => format!(
            "Chậm nhất {days} ngày làm việc kể từ ngày ban hành văn bản, quyết định liên quan"
        ),
        (None, _) => "Thường xuyên, kịp thời khi có thông tin mới hoặc thay đổi".to_string(),
    }
}

/// A change to the section tree waiting for the Board head's approval.
pub fn waiting_for(
    tx: &impl Tx,
    actor: &crate::workflow::Actor,
) -> Result<Vec<crate::inbox::Waiting>, crate::store::Error> {
    if !actor.has(crate::workflow::Role::BoardHead) {
        return Ok(Vec::new());
    }
    let pending = draft(tx).map_err(|e| match e {
        Error::Store(e) => e,
        other => crate::store::Error::Task(other.to_string()),
    })?;
    Ok(pending
        .map(|_| {
            crate::inbox::Waiting::new(
                "/quan-tri/chuyen-muc",
                "Thay đổi cây chuyên mục chờ duyệt",
                "Bản nháp cây chuyên mục".to_string(),
                "/quan-tri/chuyen-muc".to_string(),
            )
        })
        .into_iter()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_tree_is_valid_and_holds_every_kind() {
        let tree = default_tree().unwrap();
        assert_eq!(check(&tree), Vec::new());
        for kind in Kind::ALL {
            assert!(
                tree.iter().any(|c| c.kinds.contains(kind)),
                "no section holds {}",
                kind.as_str()
            );
        }
        for name in [
            "Khen thưởng – xử phạt",
            "Trả lời kiến nghị",
            "Phổ biến, hướng dẫn pháp luật",
            "Thống kê",
            "Công khai tài chính",
        ] {
            assert!(tree.iter().any(|c| c.name == name), "no section {name}");
        }
        let menu = menu(&tree);
        assert!(menu.len() >= 6, "{menu:?}");
    }

    #[test]
    fn a_retired_section_resolves_to_where_its_entries_went() {
        let mut old = Category::new("cu", "Cũ");
        old.retired_into = Some("giua".into());
        let mut middle = Category::new("giua", "Giữa");
        middle.retired_into = Some("moi".into());
        let new = Category::new("moi", "Mới");
        let all = vec![old, middle, new];
        assert_eq!(resolve(&all, "cu").unwrap().slug, "moi");
        assert_eq!(check(&all), Vec::new());
        let mut looped = all.clone();
        looped[2].retired_into = Some("cu".into());
        assert!(resolve(&looped, "cu").is_none());
        assert!(!check(&looped).is_empty());
    }

    #[test]
    fn a_tree_has_two_levels_and_unique_addresses() {
        let a = Category::new("a", "A");
        let mut b = Category::new("b", "B");
        b.parent = Some("a".into());
        let mut c = Category::new("c", "C");
        c.parent = Some("b".into());
        let twice = Category::new("a", "A lần nữa");
        let problems = check(&[a, b, c, twice]);
        assert_eq!(problems.len(), 2, "{problems:?}");
    }
}

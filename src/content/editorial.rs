//! Editorial operations: saving revisions (with conflict detection), taking workflow
//! steps, scheduling, and the record of every step. Each function runs inside the
//! caller's write transaction, so a step, its revision, its record and the indexes
//! commit together or not at all. Who may do what is `workflow::decide`'s answer.

use jiff::Timestamp;
use jiff::civil::Date;
use redb::{ReadableTable, WriteTransaction};

use super::{
    Approval, Attachment, Entry, EntryId, Error, Event, Fields, Image, Invalid, Kind, NewEntry,
    Revision, RevisionId, State, create, list, new_revision, revision_hash, slug, unlist,
};
use crate::store::{self, BlobHash, Tx};
use crate::workflow::{Action, Actor, EntryFacts, Step, decide};

/// What an editor submits.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub kind: Option<Kind>,
    pub slug: String,
    pub category: Option<String>,
    pub featured: bool,
    pub title: String,
    pub summary: String,
    pub body_html: String,
    pub author: String,
    pub source: String,
    /// As typed (`YYYY-MM-DD`), or empty.
    pub source_date: String,
    pub cover: Option<BlobHash>,
    pub cover_alt: String,
    pub attachments: Vec<BlobHash>,
    /// For legal documents: their metadata (the attachments are the full text).
    pub legal: Option<super::legal::LegalDoc>,
    /// For administrative procedures: their fields (the attachments are the forms).
    pub procedure: Option<super::procedure::Procedure>,
    /// For the kinds described in `record`: their fields.
    pub record: super::record::Record,
    /// For a schedule week: the week, or why its lines did not parse.
    pub schedule: Option<Result<super::schedule::Week, String>>,
    /// Keywords; `None` keeps those of the revision edited (the form has no field).
    pub keywords: Option<Vec<String>>,
    /// A page's parent page; `None` keeps the revision's.
    pub parent: Option<Option<String>>,
}

pub fn facts(entry: &Entry) -> EntryFacts {
    EntryFacts {
        state: entry.state,
        kind: entry.kind,
        unit: entry.unit,
        category: entry.category.clone(),
        live: entry.published.is_some(),
    }
}

/// Checks a draft and turns it into fields; every problem at once, for the form.
fn validate(tx: &impl Tx, kind: Kind, draft: &Draft) -> Result<Fields, Error> {
    let mut problems = Vec::new();
    let mut problem = |field: &'static str, message: &str| {
        problems.push(Invalid {
            field,
            message: message.to_string(),
        });
    };
    let title = draft.title.trim();
    if title.is_empty() {
        problem("title", "Vui lòng nhập tiêu đề.");
    } else if title.chars().count() > 300 {
        problem("title", "Tiêu đề dài quá 300 ký tự.");
    }
    if draft.summary.chars().count() > 1000 {
        problem("summary", "Tóm tắt dài quá 1000 ký tự.");
    }
    if kind.is_dated() {
        if draft.category.as_deref().unwrap_or("").is_empty() {
            problem("category", "Vui lòng chọn chuyên mục.");
        }
        if draft.author.trim().is_empty() {
            problem(
                "author",
                "Vui lòng ghi tác giả (Nghị định 43/2011, Điều 5).",
            );
        }
        if draft.source.trim().is_empty() {
            problem("source", "Vui lòng ghi nguồn tin.");
        }
    }
    if let Some(category) = draft.category.as_deref().filter(|c| !c.is_empty()) {
        match super::tables::CATEGORIES.get(tx, category)? {
            None => problem("category", "Chuyên mục không tồn tại."),
            Some(c) if c.retired_into.is_some() => problem(
                "category",
                "Chuyên mục này đã thôi sử dụng; vui lòng chọn chuyên mục khác.",
            ),
            Some(c) if !c.kinds.contains(&kind) => problem(
                "category",
                &format!(
                    "Chuyên mục “{}” không nhận loại nội dung “{}”.",
                    c.name,
                    kind.label()
                ),
            ),
            Some(_) => {}
        }
    }
    let body_html = super::sanitize::clean(&draft.body_html);
    let body_html = crate::media::responsive_images(tx, &body_html)?;
    if super::sanitize::images_without_alt(&body_html) > 0 {
        problem(
            "body",
            "Mỗi ảnh trong nội dung phải có mô tả thay thế (alt) cho người khiếm thị.",
        );
    }
    let source_date = match draft.source_date.trim() {
        "" => None,
        text => {
            if let Ok(date) = text.parse::<jiff::civil::Date>() {
                Some(date)
            } else {
                problem(
                    "source_date",
                    "Ngày văn bản nguồn không đúng (năm-tháng-ngày).",
                );
                None
            }
        }
    };
    let has_text = body_html
        .split('<')
        .map(|piece| piece.split_once('>').map_or(piece, |(_, text)| text))
        .any(|text| !text.trim().is_empty());
    if kind == Kind::Answer && !has_text {
        problem("body", "Vui lòng viết câu trả lời.");
    }
    let cover = match &draft.cover {
        None => None,
        Some(hash) => match crate::store::BLOBS.get(tx, hash.as_str())? {
            Some(meta) if meta.content_type.starts_with("image/") => {
                let alt = match draft.cover_alt.trim() {
                    "" => meta.alt.trim().to_string(),
                    alt => alt.to_string(),
                };
                if alt.is_empty() {
                    problem("cover_alt", "Ảnh đại diện phải có mô tả thay thế (alt).");
                }
                Some(Image {
                    blob: hash.clone(),
                    alt,
                    variants: meta.variants.clone(),
                    width: meta.width,
                })
            }
            _ => {
                problem("cover", "Ảnh đại diện không có trong thư viện.");
                None
            }
        },
    };
    let mut attachments = Vec::new();
    for hash in &draft.attachments {
        match crate::store::BLOBS.get(tx, hash.as_str())? {
            Some(meta) if !meta.content_type.starts_with("image/") => {
                attachments.push(Attachment {
                    blob: hash.clone(),
                    name: meta.original_name,
                    size: meta.size,
                    content_type: meta.content_type,
                });
            }
            _ => problem("attachments", "Tệp đính kèm không có trong thư viện."),
        }
    }
    if kind == Kind::LegalDocument {
        match &draft.legal {
            None => problem(
                "issued",
                "Vui lòng nhập ngày ban hành và ngày có hiệu lực hợp lệ (và ngày hết hiệu lực, nếu có).",
            ),
            Some(doc) => {
                for (field, message) in doc.problems(draft.slug.trim()) {
                    problem(field, message);
                }
                for slug in doc.replaces.iter().chain(&doc.amends).chain(&doc.guides) {
                    let known = store::get_plain(
                        tx,
                        super::tables::SLUGS,
                        (Kind::LegalDocument.as_str(), slug.as_str()),
                        |v| v,
                    )?;
                    if known.is_none() {
                        problem(
                            "replaces",
                            "Văn bản liên quan không có trong cơ sở dữ liệu.",
                        );
                    }
                }
            }
        }
        if draft.attachments.is_empty() {
            problem("attachments", "Văn bản phải có tệp toàn văn (PDF, DOC…).");
        }
    }
    let procedure = match (&draft.procedure, kind == Kind::Procedure) {
        (_, false) => None,
        (None, true) => {
            problem("code", "Vui lòng điền các thông tin của thủ tục.");
            None
        }
        (Some(p), true) => {
            for (field, message) in p.problems() {
                problem(field, message);
            }
            for slug in &p.legal_basis {
                let known = store::get_plain(
                    tx,
                    super::tables::SLUGS,
                    (Kind::LegalDocument.as_str(), slug.as_str()),
                    |v| v,
                )?;
                if known.is_none() {
                    problem(
                        "legal_basis",
                        "Căn cứ pháp lý phải là văn bản trong cơ sở dữ liệu.",
                    );
                }
            }
            let mut p = p.clone();
            p.steps_html = super::sanitize::clean(&p.steps_html);
            p.dossier_html = super::sanitize::clean(&p.dossier_html);
            Some(p)
        }
    };
    let record = match super::record::spec(kind) {
        None => super::record::Record::new(),
        Some(spec) => {
            for (field, message) in
                super::record::problems(spec, &draft.record, !draft.attachments.is_empty())
            {
                problems.push(Invalid { field, message });
            }
            // Only the fields the kind declares are kept.
            spec.fields
                .iter()
                .filter_map(|f| {
                    let v = draft.record.get(f.key)?.trim();
                    (!v.is_empty()).then(|| (f.key.to_string(), v.to_string()))
                })
                .collect()
        }
    };
    let schedule = match (&draft.schedule, kind == Kind::ScheduleWeek) {
        (_, false) => None,
        (Some(Ok(week)), true) => Some(week.clone()),
        (Some(Err(why)), true) => {
            problems.push(Invalid {
                field: "schedule_lines",
                message: why.clone(),
            });
            None
        }
        (None, true) => {
            problems.push(Invalid {
                field: "week_start",
                message: "Vui lòng chọn tuần và nhập lịch.".into(),
            });
            None
        }
    };
    if !problems.is_empty() {
        return Err(Error::Invalids(problems));
    }
    Ok(Fields {
        title: title.to_string(),
        summary: draft.summary.trim().to_string(),
        body_html,
        author: draft.author.trim().to_string(),
        source: draft.source.trim().to_string(),
        source_date,
        cover,
        attachments,
        category: draft.category.clone().filter(|c| !c.is_empty()),
        featured: draft.featured,
        legal: draft.legal.clone(),
        procedure,
        record,
        schedule,
        keywords: draft.keywords.clone().unwrap_or_default(),
        parent: draft.parent.clone().flatten(),
    })
}

/// Creates an entry for `actor`'s unit and records its first save.
pub fn create_entry(
    tx: &WriteTransaction,
    actor: &Actor,
    draft: Draft,
    now: Timestamp,
) -> Result<Entry, Error> {
    if !actor.may_create() {
        return Err(Error::Denied(crate::workflow::Denied::NotPermitted));
    }
    if actor.unit.is_none() {
        return Err(Error::Invalids(vec![Invalid {
            field: "unit",
            message: "Tài khoản của bạn chưa thuộc đơn vị nào; hãy nhờ quản trị viên gán đơn vị trước khi viết bài.".into(),
        }]));
    }
    let kind = draft.kind.unwrap_or(Kind::Article);
    let fields = validate(tx, kind, &draft)?;
    let slug = match draft.slug.trim() {
        "" => free_slug(tx, kind, &slug::slugify(&fields.title), now)?,
        given => given.to_string(),
    };
    let new = NewEntry {
        kind,
        slug,
        category: draft.category.filter(|c| !c.is_empty()),
        unit: actor.unit,
        featured: draft.featured,
    };
    let mut entry = create(tx, new, fields, &actor.name, now).map_err(|e| match e {
        Error::Invalid(one) => Error::Invalids(vec![one]),
        other => other,
    })?;
    entry.created_by = Some(actor.user);
    super::tables::ENTRIES.insert(tx, entry.id.0, &entry)?;
    let revision = revision(tx, entry.working)?;
    record(
        tx,
        &entry,
        actor,
        Action::Save,
        None,
        State::Draft,
        "",
        &revision,
        None,
        now,
    )?;
    Ok(entry)
}

/// `base`, or `base-2`, `base-3`, … : the first one no entry of `kind` uses.
fn free_slug(
    tx: &WriteTransaction,
    kind: Kind,
    base: &str,
    now: Timestamp,
) -> Result<String, Error> {
    let base = if base.is_empty() { "bai-viet" } else { base };
    let taken = |s: &str| -> Result<bool, Error> {
        Ok(store::get_plain(tx, super::tables::SLUGS, (kind.as_str(), s), |v| v)?.is_some())
    };
    if !taken(base)? {
        return Ok(base.to_string());
    }
    for n in 2..10_000 {
        let candidate = format!("{}-{n}", &base[..base.len().min(slug::MAX_LEN - 6)]);
        if !taken(&candidate)? {
            return Ok(candidate);
        }
    }
    Ok(format!("{base}-{}", now.as_second()))
}

/// Saves a new working revision on top of `base` (the revision the editor loaded).
/// If someone saved since, nothing is written and the newer revision comes back.
pub fn save(
    tx: &WriteTransaction,
    actor: &Actor,
    id: EntryId,
    base: RevisionId,
    draft: Draft,
    today: Date,
    now: Timestamp,
) -> Result<Entry, Error> {
    let mut entry = entry(tx, id)?;
    let step = decide(actor, Action::Save, &facts(&entry), today)?;
    if entry.working != base {
        let current = revision(tx, entry.working)?;
        return Err(Error::Conflict {
            base,
            current: Box::new(current),
        });
    }
    let mut fields = validate(tx, entry.kind, &draft)?;
    if draft.keywords.is_none() || draft.parent.is_none() {
        let edited = revision(tx, entry.working)?.fields;
        if draft.keywords.is_none() {
            fields.keywords = edited.keywords;
        }
        if draft.parent.is_none() {
            fields.parent = edited.parent;
        }
    }
    if entry.kind == Kind::Task {
        let before = revision(tx, entry.working)?;
        let stage = |f: &Fields| match f.record.get("status").map(String::as_str) {
            Some("approved") => 0,
            Some("in_progress") => 1,
            Some("accepted") => 2,
            _ => 0,
        };
        if stage(&fields) < stage(&before.fields) {
            return Err(Error::Invalids(vec![Invalid {
                field: "r_status",
                message: "Tình trạng nhiệm vụ chỉ đi tiếp: đã phê duyệt → đang thực hiện → đã nghiệm thu.".into(),
            }]));
        }
    }
    let from = entry.state;
    // A new address takes effect at once; a live entry's old one answers 301 with it.
    let wanted = draft.slug.trim();
    if !wanted.is_empty() && wanted != entry.slug {
        super::change_slug(tx, &mut entry, wanted, &actor.login, now).map_err(|e| match e {
            Error::Invalid(one) => Error::Invalids(vec![one]),
            other => other,
        })?;
    }
    // A live entry keeps its public category and home-page place until the new
    // revision is approved and goes live; a draft shows what it asks for.
    if entry.published.is_none() {
        entry.category = fields.category.clone().or(entry.category);
        entry.featured = fields.featured;
    }
    // Seeded content belongs to no unit: whoever starts an edit takes it on.
    if entry.unit.is_none() {
        entry.unit = actor.unit;
    }
    let revision = new_revision(tx, id, Some(entry.working), fields, &actor.name, now)?;
    entry.working = revision.id;
    entry.state = step.to;
    entry.updated_at = now;
    super::tables::ENTRIES.insert(tx, id.0, &entry)?;
    record(
        tx,
        &entry,
        actor,
        Action::Save,
        Some(&step),
        from,
        "",
        &revision,
        None,
        now,
    )?;
    Ok(entry)
}

/// Restores an old revision as a new working revision (history is never rewritten).
pub fn restore(
    tx: &WriteTransaction,
    actor: &Actor,
    id: EntryId,
    old: RevisionId,
    today: Date,
    now: Timestamp,
) -> Result<Entry, Error> {
    let entry_now = entry(tx, id)?;
    let old = revision(tx, old)?;
    if old.entry != id {
        return Err(Error::NoSuchEntry(id));
    }
    let f = old.fields;
    let draft = Draft {
        kind: Some(entry_now.kind),
        slug: entry_now.slug.clone(),
        category: f.category.clone().or(entry_now.category.clone()),
        featured: f.featured,
        title: f.title,
        summary: f.summary,
        body_html: f.body_html,
        author: f.author,
        source: f.source,
        source_date: f.source_date.map(|d| d.to_string()).unwrap_or_default(),
        cover_alt: f.cover.as_ref().map(|c| c.alt.clone()).unwrap_or_default(),
        cover: f.cover.map(|c| c.blob),
        attachments: f.attachments.into_iter().map(|a| a.blob).collect(),
        legal: f.legal,
        procedure: f.procedure,
        record: f.record,
        schedule: f.schedule.map(Ok),
        keywords: Some(f.keywords),
        parent: Some(f.parent),
    };
    save(tx, actor, id, entry_now.working, draft, today, now)
}

/// A workflow step as someone asks for it.
#[derive(Debug, Clone)]
pub struct StepRequest {
    pub action: Action,
    pub comment: String,
    /// For `Schedule`: when to go live.
    pub schedule_for: Option<Timestamp>,
    /// The revision the person was looking at: if the entry changed since, the step
    /// is refused, so nobody approves a text they have not seen.
    pub seen: Option<RevisionId>,
}

/// Takes a workflow step (submit, return, forward, approve, schedule, publish, …).
pub fn step(
    tx: &WriteTransaction,
    actor: &Actor,
    id: EntryId,
    request: StepRequest,
    today: Date,
    now: Timestamp,
) -> Result<Entry, Error> {
    let StepRequest {
        action,
        comment,
        schedule_for,
        seen,
    } = request;
    if action == Action::Save {
        return Err(Error::Denied(crate::workflow::Denied::NotFromThisState));
    }
    let mut entry = entry(tx, id)?;
    let step = decide(actor, action, &facts(&entry), today)?;
    let comment = comment.trim();
    if matches!(action, Action::Return | Action::Withdraw) && comment.is_empty() {
        return Err(Error::Invalids(vec![Invalid {
            field: "comment",
            message: "Vui lòng ghi lý do (trả lại để người viết sửa, hoặc gỡ khỏi trang).".into(),
        }]));
    }
    if seen.is_some_and(|seen| seen != entry.working) {
        return Err(Error::Invalids(vec![Invalid {
            field: "revision",
            message:
                "Bài vừa được sửa sau khi bạn mở trang. Hãy xem lại nội dung mới rồi thực hiện lại."
                    .into(),
        }]));
    }
    let from = entry.state;
    let working = revision(tx, entry.working)?;
    match action {
        Action::Approve => {
            entry.approval = Some(Approval {
                revision: working.id,
                hash: working.hash.clone(),
                by: actor.user,
                by_name: actor.name.clone(),
                on_behalf_of: step.on_behalf_of.as_ref().map(|(_, name)| name.clone()),
                at: now,
            });
        }
        Action::Return => {
            entry.approval = None;
            unschedule(tx, &mut entry)?;
        }
        Action::Schedule => {
            let at = schedule_for.filter(|at| *at > now).ok_or_else(|| {
                Error::Invalids(vec![Invalid {
                    field: "schedule_for",
                    message: "Vui lòng chọn thời điểm đăng trong tương lai.".into(),
                }])
            })?;
            entry.scheduled_for = Some(at);
            tx.open_table(super::tables::SCHEDULE)
                .map_err(store::Error::from)?
                .insert((at.as_second(), id.0), ())
                .map_err(store::Error::from)?;
        }
        Action::Unschedule => unschedule(tx, &mut entry)?,
        Action::Publish => {
            unschedule(tx, &mut entry)?;
            go_live(tx, &mut entry, now)?;
        }
        Action::Withdraw => {
            unlist(tx, &entry)?;
            entry.published = None;
            entry.live_approval = None;
        }
        Action::Submit | Action::Forward | Action::Save => {}
    }
    entry.state = step.to;
    entry.updated_at = now;
    super::tables::ENTRIES.insert(tx, id.0, &entry)?;
    let bound = match action {
        // The record names the revision that went live, which is the approved one.
        Action::Publish => revision(tx, entry.published.unwrap_or(working.id))?,
        _ => working,
    };
    record(
        tx,
        &entry,
        actor,
        action,
        Some(&step),
        from,
        comment,
        &bound,
        entry.scheduled_for,
        now,
    )?;
    Ok(entry)
}

/// Puts the approved revision live, after checking it still hashes to what was approved.
fn go_live(tx: &WriteTransaction, entry: &mut Entry, now: Timestamp) -> Result<(), Error> {
    let approval = entry
        .approval
        .clone()
        .ok_or_else(|| Error::Integrity(format!("entry {} has no approval", entry.id)))?;
    let approved = revision(tx, approval.revision)?;
    let recomputed = revision_hash(approved.entry, approved.parent, &approved.fields);
    if approved.hash != approval.hash || recomputed != approval.hash {
        return Err(Error::Integrity(format!(
            "revision {} of entry {} no longer matches its approval",
            approved.id.0, entry.id
        )));
    }
    unlist(tx, entry)?;
    entry.published = Some(approved.id);
    entry.published_at = Some(entry.published_at.unwrap_or(now));
    // What the approved revision asked for takes effect now, with it (in the section
    // that took over, if the one it names was retired meanwhile).
    if let Some(category) = &approved.fields.category {
        entry.category =
            Some(super::sections::current(tx, category)?.unwrap_or_else(|| category.clone()));
    }
    entry.featured = approved.fields.featured;
    entry.live_approval = entry.approval.take();
    // Set here as well as by the callers: what `list` records (a list's "modified"
    // date) is the time of going live.
    entry.updated_at = now;
    list(tx, entry)?;
    Ok(())
}

fn unschedule(tx: &WriteTransaction, entry: &mut Entry) -> Result<(), Error> {
    if let Some(at) = entry.scheduled_for.take() {
        tx.open_table(super::tables::SCHEDULE)
            .map_err(store::Error::from)?
            .remove((at.as_second(), entry.id.0))
            .map_err(store::Error::from)?;
    }
    Ok(())
}

/// Entries scheduled at or before `now`, oldest first.
pub fn due(tx: &impl Tx, now: Timestamp) -> Result<Vec<(Timestamp, EntryId)>, Error> {
    fn scan(
        table: &impl ReadableTable<(i64, u64), ()>,
        now: i64,
    ) -> Result<Vec<(i64, u64)>, store::Error> {
        let mut out = Vec::new();
        for item in table.range((i64::MIN, 0)..=(now, u64::MAX))? {
            let (key, _) = item?;
            out.push(key.value());
        }
        Ok(out)
    }
    let raw = match tx.reader() {
        store::Reader::Read(t) => scan(
            &t.open_table(super::tables::SCHEDULE)
                .map_err(store::Error::from)?,
            now.as_second(),
        )?,
        store::Reader::Write(t) => scan(
            &t.open_table(super::tables::SCHEDULE)
                .map_err(store::Error::from)?,
            now.as_second(),
        )?,
    };
    Ok(raw
        .into_iter()
        .filter_map(|(at, id)| Timestamp::from_second(at).ok().map(|t| (t, EntryId(id))))
        .collect())
}

/// Publishes a scheduled entry whose time has come (the scheduler's step); `None` if
/// it is not (or no longer) due.
pub fn publish_due(
    tx: &WriteTransaction,
    id: EntryId,
    now: Timestamp,
) -> Result<Option<Entry>, Error> {
    let mut entry = entry(tx, id)?;
    let due = entry
        .scheduled_for
        .is_some_and(|at| at.as_second() <= now.as_second());
    if entry.state != State::Scheduled || !due {
        return Ok(None);
    }
    let from = entry.state;
    unschedule(tx, &mut entry)?;
    go_live(tx, &mut entry, now)?;
    entry.state = State::Published;
    entry.updated_at = now;
    super::tables::ENTRIES.insert(tx, id.0, &entry)?;
    let live = revision(tx, entry.published.unwrap_or(entry.working))?;
    let system = Actor {
        user: 0,
        login: "system".into(),
        name: "Hệ thống (hẹn giờ)".into(),
        roles: vec![crate::workflow::Role::Publisher],
        unit: None,
        delegations: Vec::new(),
    };
    record(
        tx,
        &entry,
        &system,
        Action::Publish,
        None,
        from,
        "Đăng theo lịch hẹn",
        &live,
        None,
        now,
    )?;
    Ok(Some(entry))
}

/// Takes an entry that cannot go live (its approved revision fails the integrity check)
/// off the schedule and back to "approved", so it shows in the publisher's inbox
/// instead of being retried forever.
pub fn abandon_schedule(tx: &WriteTransaction, id: EntryId, now: Timestamp) -> Result<(), Error> {
    let mut entry = entry(tx, id)?;
    unschedule(tx, &mut entry)?;
    if entry.state == State::Scheduled {
        entry.state = State::Approved;
        entry.updated_at = now;
    }
    super::tables::ENTRIES.insert(tx, id.0, &entry)?;
    Ok(())
}

/// Appends `event` to entry `id`'s record.
fn add_event(tx: &WriteTransaction, id: EntryId, event: &Event) -> Result<(), Error> {
    let seq = store::next_id(tx, &format!("events:{}", id.0))?;
    super::tables::EVENTS.insert(tx, (id.0, seq), event)?;
    Ok(())
}

/// Records in an imported entry's history where it came from (the first line of its
/// record, in place of a first save by a person).
pub fn record_import(
    tx: &WriteTransaction,
    entry: &Entry,
    comment: &str,
    now: Timestamp,
) -> Result<(), Error> {
    let revision = revision(tx, entry.working)?;
    let event = Event {
        at: now,
        user: 0,
        user_name: "Nhập nội dung từ trang cũ".into(),
        role: crate::workflow::Role::Administrator,
        on_behalf_of: None,
        action: Action::Save,
        from: State::Draft,
        to: entry.state,
        comment: comment.to_string(),
        revision: revision.id,
        revision_hash: revision.hash,
        scheduled_for: None,
    };
    add_event(tx, entry.id, &event)?;
    Ok(())
}

/// The Board head's approval of an import batch, for one of its entries: the working
/// revision is approved and goes live at once, both steps in the entry's record. The
/// batch's own approval is the one line in the audit trail.
pub fn approve_imported(
    tx: &WriteTransaction,
    actor: &Actor,
    id: EntryId,
    comment: &str,
    now: Timestamp,
) -> Result<Entry, Error> {
    if !actor.has(crate::workflow::Role::BoardHead) {
        return Err(Error::Denied(crate::workflow::Denied::NotPermitted));
    }
    let mut entry = entry(tx, id)?;
    let working = revision(tx, entry.working)?;
    entry.approval = Some(Approval {
        revision: working.id,
        hash: working.hash.clone(),
        by: actor.user,
        by_name: actor.name.clone(),
        on_behalf_of: None,
        at: now,
    });
    go_live(tx, &mut entry, now)?;
    let from = entry.state;
    entry.state = State::Published;
    entry.updated_at = now;
    super::tables::ENTRIES.insert(tx, id.0, &entry)?;
    for (action, from, to) in [
        (Action::Approve, from, State::Approved),
        (Action::Publish, State::Approved, State::Published),
    ] {
        let event = Event {
            at: now,
            user: actor.user,
            user_name: actor.name.clone(),
            role: crate::workflow::Role::BoardHead,
            on_behalf_of: None,
            action,
            from,
            to,
            comment: comment.to_string(),
            revision: working.id,
            revision_hash: working.hash.clone(),
            scheduled_for: None,
        };
        add_event(tx, entry.id, &event)?;
    }
    Ok(entry)
}

#[allow(clippy::too_many_arguments)]
fn record(
    tx: &WriteTransaction,
    entry: &Entry,
    actor: &Actor,
    action: Action,
    step: Option<&Step>,
    from: State,
    comment: &str,
    revision: &Revision,
    scheduled_for: Option<Timestamp>,
    now: Timestamp,
) -> Result<(), Error> {
    let role = step.map_or_else(
        || {
            actor
                .roles
                .first()
                .copied()
                .unwrap_or(crate::workflow::Role::Contributor)
        },
        |s| s.role,
    );
    let event = Event {
        at: now,
        user: actor.user,
        user_name: actor.name.clone(),
        role,
        on_behalf_of: step.and_then(|s| s.on_behalf_of.as_ref().map(|(_, n)| n.clone())),
        action,
        from,
        to: entry.state,
        comment: comment.to_string(),
        revision: revision.id,
        revision_hash: revision.hash.clone(),
        scheduled_for,
    };
    add_event(tx, entry.id, &event)?;
    // The same step, in the agency-wide hash-chained trail.
    let detail = format!(
        "user #{}, {:?} → {:?}, revision {}",
        actor.user, from, entry.state, revision.id.0
    );
    let trail = crate::audit::Event::new(
        &actor.name,
        &format!("step:{}", action.as_str()),
        format!("entry {}", entry.id.0),
    )
    .detail(detail);
    crate::audit::append(tx, trail, now)?;
    Ok(())
}

/// An entry's record, oldest first.
pub fn events(tx: &impl Tx, id: EntryId) -> Result<Vec<Event>, Error> {
    Ok(super::tables::EVENTS.range_values(tx, (id.0, 0)..=(id.0, u64::MAX))?)
}

/// The entry `id` if `actor` may see it (a contributor sees their unit's work and what
/// is live); otherwise `NoSuchEntry`, which tells nothing about other units' drafts.
pub fn seen_by(tx: &impl Tx, actor: &Actor, id: EntryId) -> Result<Entry, Error> {
    let entry = entry(tx, id)?;
    if crate::workflow::may_view(actor, &facts(&entry)) {
        Ok(entry)
    } else {
        Err(Error::NoSuchEntry(id))
    }
}

/// The entry `id` and its working revision, if `actor` may see them.
pub fn working_seen_by(
    tx: &impl Tx,
    actor: &Actor,
    id: EntryId,
) -> Result<(Entry, Revision), Error> {
    let entry = seen_by(tx, actor, id)?;
    let revision = revision(tx, entry.working)?;
    Ok((entry, revision))
}

/// Every entry `actor` may see, with its working revision (the admin list).
pub fn all_seen_by(tx: &impl Tx, actor: &Actor) -> Result<Vec<(Entry, Revision)>, Error> {
    let mut out = Vec::new();
    for entry in all_entries(tx)? {
        if crate::workflow::may_view(actor, &facts(&entry)) {
            let revision = revision(tx, entry.working)?;
            out.push((entry, revision));
        }
    }
    Ok(out)
}

/// What waits for `actor` (their inbox), each with its working revision and the steps
/// they may take on it next (saving and withdrawing aside).
pub fn waiting_for(
    tx: &impl Tx,
    actor: &Actor,
    today: Date,
) -> Result<Vec<(Entry, Revision, Vec<Action>)>, Error> {
    let mut out = Vec::new();
    for entry in inbox(tx, actor, today)? {
        let revision = revision(tx, entry.working)?;
        let next = crate::workflow::available(actor, &facts(&entry), today)
            .into_iter()
            .filter(|a| *a != Action::Save && *a != Action::Withdraw)
            .collect();
        out.push((entry, revision, next));
    }
    Ok(out)
}

/// What the editor opens: the entry, its working revision and its editorial record.
pub fn opened_by(
    tx: &impl Tx,
    actor: &Actor,
    id: EntryId,
) -> Result<(Entry, Revision, Vec<Event>), Error> {
    let (entry, revision) = working_seen_by(tx, actor, id)?;
    Ok((entry, revision, events(tx, id)?))
}

pub fn entry(tx: &impl Tx, id: EntryId) -> Result<Entry, Error> {
    super::tables::ENTRIES
        .get(tx, id.0)?
        .ok_or(Error::NoSuchEntry(id))
}

pub fn revision(tx: &impl Tx, id: RevisionId) -> Result<Revision, Error> {
    super::tables::REVISIONS.get(tx, id.0)?.ok_or_else(|| {
        Error::Store(store::Error::Decode {
            table: super::tables::REVISIONS.name(),
            message: format!("missing revision {}", id.0),
        })
    })
}

/// Every revision of an entry, newest first.
pub fn revisions(tx: &impl Tx, id: EntryId) -> Result<Vec<Revision>, Error> {
    let entry = entry(tx, id)?;
    let mut out = Vec::new();
    let mut next = Some(entry.working);
    while let Some(rev) = next {
        let r = revision(tx, rev)?;
        next = r.parent;
        out.push(r);
    }
    Ok(out)
}

/// All entries, newest change first (the admin list filters these).
pub fn all_entries(tx: &impl Tx) -> Result<Vec<Entry>, Error> {
    let mut all = super::tables::ENTRIES.values(tx)?;
    all.sort_by_key(|e| std::cmp::Reverse(e.updated_at));
    Ok(all)
}

/// What waits for `actor`: entries on which they can take a step that moves the
/// work on (not merely start a new edit of something live, or withdraw it).
pub fn inbox(tx: &impl Tx, actor: &Actor, today: Date) -> Result<Vec<Entry>, Error> {
    Ok(all_entries(tx)?
        .into_iter()
        .filter(|e| {
            crate::workflow::available(actor, &facts(e), today)
                .into_iter()
                .any(|a| match a {
                    Action::Withdraw => false,
                    Action::Save => matches!(e.state, State::Draft | State::Returned),
                    _ => true,
                })
        })
        .collect())
}

//! Hỏi – đáp (C17): a citizen's question gets a ticket number and a private status
//! key; the Editorial Board or a compiler routes it to a unit; the unit answers it
//! with an entry of kind `Answer`, which goes through the same workflow as any other
//! entry. Answers of general interest are listed on the public Q&A page; the rest are
//! shown only to the asker, on the status page. The deadline is 15 working days after
//! receipt (holidays from `[calendar]`); overdue questions are listed in the admin.
//! The asker's name and email are never shown publicly and are erased on request.

use jiff::Timestamp;
use jiff::civil::Date;
use redb::WriteTransaction;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::{self, Event};
use crate::calendar::Calendar;
use crate::content::{self, EntryId, State, editorial};
use crate::store::{self, Tx};
use crate::workflow::{Actor, Denied, Role};

/// Working days the agency has to answer.
pub const ANSWER_WITHIN_WORKING_DAYS: u32 = 15;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub seq: u64,
    pub asked_at: Timestamp,
    /// The local date of receipt; the deadline counts from it.
    pub asked_on: Date,
    /// The deadline as first worked out (shown to the asker then); `due()` recomputes
    /// it with the current calendar.
    pub due: Date,
    pub name: String,
    pub email: String,
    pub topic: String,
    pub text: String,
    /// SHA-256 of the status key the asker was given (the key itself is not kept).
    pub key_hash: String,
    #[serde(default)]
    pub unit: Option<u64>,
    #[serde(default)]
    pub answer: Option<u64>,
    #[serde(default)]
    pub closed: Option<Closed>,
    #[serde(default)]
    pub erased_at: Option<Timestamp>,
    /// The asker agreed to be told by mail (receipt, answer, closing).
    #[serde(default)]
    pub mail_consent: bool,
    /// The secret in the asker's "stop these messages" link.
    #[serde(default)]
    pub mail_token: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Closed {
    pub by: String,
    pub at: Timestamp,
    /// Told to the asker on the status page.
    pub reason: String,
}

/// Where a question stands, as the asker and the staff see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Received,
    Routed,
    Drafting,
    Answered,
    Closed,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Received => "Đã tiếp nhận, chờ chuyển đơn vị xử lý",
            Status::Routed => "Đã chuyển đơn vị xử lý",
            Status::Drafting => "Đang soạn và duyệt câu trả lời",
            Status::Answered => "Đã trả lời",
            Status::Closed => "Đã đóng",
        }
    }
}

impl Question {
    /// Clears the asker's name and email (and their consent to mail); the question and
    /// its answer stay.
    pub fn forget_asker(&mut self, now: Timestamp) {
        self.name.clear();
        self.email.clear();
        self.erased_at = Some(now);
        self.mail_consent = false;
    }

    /// `HD-000012`
    pub fn ticket(&self) -> String {
        format!("HD-{:06}", self.seq)
    }

    pub fn status(&self, answer_state: Option<State>) -> Status {
        if self.closed.is_some() {
            return Status::Closed;
        }
        match (self.answer, answer_state) {
            (Some(_), Some(State::Published)) => Status::Answered,
            // A withdrawn or missing answer leaves the question to be answered anew.
            (Some(_), Some(State::Withdrawn) | None) if self.unit.is_some() => Status::Routed,
            (Some(_), Some(State::Withdrawn) | None) => Status::Received,
            (Some(_), _) => Status::Drafting,
            (None, _) if self.unit.is_some() => Status::Routed,
            (None, _) => Status::Received,
        }
    }

    /// The deadline with the calendar as it is now: holidays declared after the
    /// question was asked (next year's Tết) still move it.
    pub fn due(&self, calendar: &Calendar) -> Date {
        calendar.add_working_days(self.asked_on, ANSWER_WITHIN_WORKING_DAYS)
    }

    /// Working days past the deadline, if it is past and the question is still open.
    pub fn overdue_by(&self, status: Status, today: Date, calendar: &Calendar) -> Option<u32> {
        let due = self.due(calendar);
        if matches!(status, Status::Answered | Status::Closed) || today <= due {
            return None;
        }
        Some(calendar.working_days_between(due, today))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Content(#[from] content::Error),
    #[error(transparent)]
    Random(#[from] crate::random::Error),
    #[error("no such question")]
    NoSuchQuestion,
    #[error("the question already has an answer")]
    AlreadyAnswered,
    #[error("the question is closed")]
    Closed,
    #[error("a reason is required")]
    ReasonRequired,
    #[error("no such unit")]
    NoSuchUnit,
    #[error(transparent)]
    Denied(#[from] Denied),
}

pub fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.trim().as_bytes()))
}

/// A new status key: 16 characters the asker copies from the confirmation page.
pub fn new_key() -> Result<String, crate::random::Error> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    crate::random::text(ALPHABET, 16)
}

/// What the asker typed, already checked by `citizen::check`.
pub struct Asked {
    pub name: String,
    pub email: String,
    pub topic: String,
    pub text: String,
    /// Ticked "tell me by mail": only then is anything sent.
    pub mail_consent: bool,
}

/// Stores a question; returns it and its status key (shown once).
pub fn ask(
    tx: &WriteTransaction,
    asked: Asked,
    now: Timestamp,
    calendar: &Calendar,
) -> Result<(Question, String), Error> {
    let seq = store::next_id(tx, "questions")?;
    let key = new_key()?;
    let asked_on = now.to_zoned_datetime(crate::format::vietnam()).date();
    let question = Question {
        seq,
        asked_at: now,
        asked_on,
        due: calendar.add_working_days(asked_on, ANSWER_WITHIN_WORKING_DAYS),
        name: asked.name,
        email: asked.email,
        topic: asked.topic,
        text: asked.text,
        key_hash: key_hash(&key),
        unit: None,
        answer: None,
        closed: None,
        erased_at: None,
        mail_consent: asked.mail_consent,
        mail_token: if asked.mail_consent {
            new_key()?
        } else {
            String::new()
        },
    };
    super::tables::QUESTIONS.insert(tx, seq, &question)?;
    tell_asker(
        tx,
        &question,
        format!("Đã nhận câu hỏi {}", question.ticket()),
        format!(
            "Kính gửi {},\n\nCổng thông tin đã nhận câu hỏi của anh/chị, mã số {}. Câu hỏi sẽ được trả lời chậm nhất ngày {} (15 ngày làm việc).\n\nTra cứu tình trạng bằng mã số và mã tra cứu đã hiện khi gửi câu hỏi:\n{}/hoi-dap/tra-cuu",
            question.name,
            question.ticket(),
            question.due.strftime("%d/%m/%Y"),
            crate::mail::origin_placeholder()
        ),
        now,
    )?;
    Ok((question, key))
}

/// A message to the asker, if they agreed to mail: about this question, with the link
/// that stops it.
fn tell_asker(
    tx: &WriteTransaction,
    question: &Question,
    subject: String,
    text: String,
    now: Timestamp,
) -> Result<(), store::Error> {
    if !question.mail_consent || question.email.is_empty() || question.erased_at.is_some() {
        return Ok(());
    }
    crate::mail::notify::to_citizen(
        tx,
        crate::mail::notify::CitizenLetter {
            email: &question.email,
            name: &question.name,
            subject,
            text,
            about: format!("question:{}", question.seq),
            unsubscribe: format!(
                "{}/thu/ngung/{}",
                crate::mail::origin_placeholder(),
                question.mail_token
            ),
        },
        now,
    )?;
    Ok(())
}

/// After a workflow step: when `entry` is the answer to a question and has just been
/// published, its asker is told (if they agreed to mail).
pub fn tell_asker_if_answered(
    tx: &WriteTransaction,
    entry: &crate::content::Entry,
    now: Timestamp,
    origin: &str,
) -> Result<(), store::Error> {
    if entry.kind != crate::content::Kind::Answer || entry.state != State::Published {
        return Ok(());
    }
    for question in super::tables::QUESTIONS.values(tx)? {
        if question.answer == Some(entry.id.0) {
            let url = format!("{origin}{}", entry.kind.url(&entry.slug));
            tell_asker(
                tx,
                &question,
                format!("Câu hỏi {} đã có trả lời", question.ticket()),
                format!(
                    "Kính gửi {},\n\nCâu hỏi mã số {} của anh/chị đã được trả lời. Xem câu trả lời tại:\n{url}",
                    question.name,
                    question.ticket()
                ),
                now,
            )?;
        }
    }
    Ok(())
}

/// The asker says "no more mail": consent withdrawn, queued messages dropped. Returns
/// whether the link was one of ours.
pub fn stop_mail(tx: &WriteTransaction, token: &str) -> Result<bool, Error> {
    let token = token.trim();
    if token.len() < 16 {
        return Ok(false);
    }
    if super::comments::stop_mail(tx, token)? {
        return Ok(true);
    }
    for question in super::tables::QUESTIONS.values(tx)? {
        if question.mail_token == token {
            let seq = question.seq;
            update(tx, seq, |q| {
                q.mail_consent = false;
                Ok(())
            })?;
            crate::mail::outbox::forget(tx, &format!("question:{seq}"))?;
            return Ok(true);
        }
    }
    Ok(false)
}

pub fn get(tx: &impl Tx, seq: u64) -> Result<Question, Error> {
    super::tables::QUESTIONS
        .get(tx, seq)?
        .ok_or(Error::NoSuchQuestion)
}

/// The question for a ticket and key, if they match (the same answer for a wrong key
/// as for no such ticket).
pub fn find_by_ticket(tx: &impl Tx, ticket: &str, key: &str) -> Result<Option<Question>, Error> {
    let Some(seq) = ticket
        .trim()
        .to_ascii_uppercase()
        .strip_prefix("HD-")
        .and_then(|n| n.parse::<u64>().ok())
    else {
        return Ok(None);
    };
    let Some(question) = super::tables::QUESTIONS.get(tx, seq)? else {
        return Ok(None);
    };
    // Comparing hashes: timing can tell at most how much of a SHA-256 matched, which
    // says nothing about the key.
    let same = key_hash(key) == question.key_hash;
    Ok(same.then_some(question))
}

/// Every question, newest first, with the state of its answer entry.
pub fn all(tx: &impl Tx) -> Result<Vec<(Question, Option<State>)>, Error> {
    let mut out = Vec::new();
    for q in super::tables::QUESTIONS.values(tx)? {
        let state = answer_state(tx, &q)?;
        out.push((q, state));
    }
    out.sort_by_key(|(q, _)| std::cmp::Reverse(q.seq));
    Ok(out)
}

/// Where the question's answer entry stands (none without one, or if it is gone).
pub fn answer_state(tx: &impl Tx, q: &Question) -> Result<Option<State>, store::Error> {
    Ok(match q.answer {
        Some(id) => crate::content::tables::ENTRIES
            .get(tx, id)?
            .map(|e| e.state),
        None => None,
    })
}

fn update(
    tx: &WriteTransaction,
    seq: u64,
    change: impl FnOnce(&mut Question) -> Result<(), Error>,
) -> Result<Question, Error> {
    let mut question = get(tx, seq)?;
    change(&mut question)?;
    super::tables::QUESTIONS.insert(tx, seq, &question)?;
    Ok(question)
}

pub fn route(tx: &WriteTransaction, seq: u64, unit: u64) -> Result<Question, Error> {
    update(tx, seq, |q| {
        if q.closed.is_some() {
            return Err(Error::Closed);
        }
        q.unit = Some(unit);
        Ok(())
    })
}

/// Links the answer entry the unit started (replacing one that was withdrawn or is
/// gone).
pub fn attach_answer(tx: &WriteTransaction, seq: u64, entry: EntryId) -> Result<Question, Error> {
    let current = answer_state(tx, &get(tx, seq)?)?;
    update(tx, seq, |q| {
        if q.closed.is_some() {
            return Err(Error::Closed);
        }
        if q.answer.is_some() && !matches!(current, None | Some(State::Withdrawn)) {
            return Err(Error::AlreadyAnswered);
        }
        q.answer = Some(entry.0);
        Ok(())
    })
}

pub fn close(
    tx: &WriteTransaction,
    seq: u64,
    by: &str,
    reason: &str,
    now: Timestamp,
) -> Result<Question, Error> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::ReasonRequired);
    }
    let question = update(tx, seq, |q| {
        q.closed = Some(Closed {
            by: by.to_string(),
            at: now,
            reason: reason.to_string(),
        });
        Ok(())
    })?;
    tell_asker(
        tx,
        &question,
        format!("Câu hỏi {} đã đóng", question.ticket()),
        format!(
            "Kính gửi {},\n\nCâu hỏi mã số {} đã được đóng, với lý do: {reason}",
            question.name,
            question.ticket()
        ),
        now,
    )?;
    Ok(question)
}

/// Erases the asker's name and email; the question and its answer stay.
pub fn erase_personal_data(
    tx: &WriteTransaction,
    seq: u64,
    now: Timestamp,
) -> Result<Question, Error> {
    // Their mail still waiting goes with their address.
    crate::mail::outbox::forget(tx, &format!("question:{seq}"))?;
    update(tx, seq, |q| {
        q.forget_asker(now);
        Ok(())
    })
}

/// What staff do with a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Send it to the unit that answers (again, to another unit, while it is open).
    Route,
    /// Start the answer: an `Answer` entry that then goes through the workflow.
    StartAnswer,
    /// Close it without an answer, with a reason the asker sees.
    Close,
    /// Erase the asker's name and email (always possible: it is their right).
    Erase,
}

impl Step {
    pub const ALL: &[Step] = &[Step::Route, Step::StartAnswer, Step::Close, Step::Erase];
}

/// Who may take a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// The Editorial Board (head or member) and compilers, who triage every question.
    Manager,
    /// A compiler, or a contributor of the unit the question was routed to.
    Answerer,
}

struct Row {
    step: Step,
    from: &'static [Status],
    who: Who,
}

const OPEN: &[Status] = &[
    Status::Received,
    Status::Routed,
    Status::Drafting,
    Status::Answered,
];

/// The questions' transition table; `decide` reads it and does no I/O.
const TABLE: &[Row] = &[
    Row {
        step: Step::Route,
        from: OPEN,
        who: Who::Manager,
    },
    Row {
        step: Step::StartAnswer,
        from: &[Status::Routed],
        who: Who::Answerer,
    },
    Row {
        step: Step::Close,
        from: OPEN,
        who: Who::Manager,
    },
    Row {
        step: Step::Erase,
        from: &[
            Status::Received,
            Status::Routed,
            Status::Drafting,
            Status::Answered,
            Status::Closed,
        ],
        who: Who::Manager,
    },
];

fn is_manager(actor: &Actor) -> bool {
    [Role::BoardHead, Role::BoardMember, Role::Compiler]
        .iter()
        .any(|r| actor.has(*r))
}

fn admits(who: Who, actor: &Actor, question: &Question) -> bool {
    match who {
        Who::Manager => is_manager(actor),
        Who::Answerer => {
            actor.has(Role::Compiler)
                || (actor.has(Role::Contributor)
                    && question.unit.is_some()
                    && question.unit == actor.unit)
        }
    }
}

/// Whether `actor` sees `question` at all: managers see every question, a unit the
/// questions routed to it.
pub fn may_see(actor: &Actor, question: &Question) -> bool {
    is_manager(actor) || (question.unit.is_some() && question.unit == actor.unit)
}

/// May `actor` take `step` on `question`, which stands at `status`?
pub fn decide(
    actor: &Actor,
    step: Step,
    question: &Question,
    status: Status,
) -> Result<(), Denied> {
    let row = TABLE
        .iter()
        .find(|r| r.step == step)
        .filter(|r| r.from.contains(&status))
        .ok_or(Denied::NotFromThisState)?;
    if admits(row.who, actor, question) {
        Ok(())
    } else {
        Err(Denied::NotPermitted)
    }
}

/// The question `seq` as `actor` sees it, with the state of its answer; `NoSuchQuestion`
/// when it is not theirs to see.
pub fn seen_by(tx: &impl Tx, actor: &Actor, seq: u64) -> Result<(Question, Option<State>), Error> {
    let question = get(tx, seq)?;
    if !may_see(actor, &question) {
        return Err(Error::NoSuchQuestion);
    }
    let state = answer_state(tx, &question)?;
    Ok((question, state))
}

/// A question, its published answer if any, and the state of its answer entry.
pub type Standing = (Question, Option<content::Published>, Option<State>);

/// The question behind a ticket and key (the asker's status page), with its published
/// answer if there is one and the state of its answer entry.
pub fn status(tx: &impl Tx, ticket: &str, key: &str) -> Result<Option<Standing>, Error> {
    let Some(question) = find_by_ticket(tx, ticket, key)? else {
        return Ok(None);
    };
    let answer = match question.answer {
        Some(id) => content::published(tx, EntryId(id))?,
        None => None,
    };
    let state = answer_state(tx, &question)?;
    Ok(Some((question, answer, state)))
}

/// Loads the question and checks `step` against the table, in the caller's transaction.
fn checked(tx: &impl Tx, actor: &Actor, seq: u64, step: Step) -> Result<Question, Error> {
    let question = get(tx, seq)?;
    if !may_see(actor, &question) {
        return Err(Error::NoSuchQuestion);
    }
    let status = question.status(answer_state(tx, &question)?);
    decide(actor, step, &question, status)?;
    Ok(question)
}

fn trail(
    tx: &WriteTransaction,
    actor: &Actor,
    action: &str,
    q: &Question,
    now: Timestamp,
) -> Result<(), Error> {
    audit::append(tx, Event::new(&actor.login, action, q.ticket()), now)?;
    Ok(())
}

/// Routes the question to `unit`, and records it.
pub fn route_to(
    tx: &WriteTransaction,
    actor: &Actor,
    seq: u64,
    unit: u64,
    now: Timestamp,
) -> Result<Question, Error> {
    checked(tx, actor, seq, Step::Route)?;
    if crate::auth::tables::UNITS.get(tx, unit)?.is_none() {
        return Err(Error::NoSuchUnit);
    }
    let q = route(tx, seq, unit)?;
    trail(tx, actor, "question_routed", &q, now)?;
    Ok(q)
}

/// Closes the question with `reason` (told to the asker), and records it.
pub fn close_by(
    tx: &WriteTransaction,
    actor: &Actor,
    seq: u64,
    reason: &str,
    now: Timestamp,
) -> Result<Question, Error> {
    checked(tx, actor, seq, Step::Close)?;
    let q = close(tx, seq, &actor.login, reason, now)?;
    trail(tx, actor, "question_closed", &q, now)?;
    Ok(q)
}

/// Erases the asker's name and email, and records it.
pub fn erase_by(
    tx: &WriteTransaction,
    actor: &Actor,
    seq: u64,
    now: Timestamp,
) -> Result<Question, Error> {
    checked(tx, actor, seq, Step::Erase)?;
    let q = erase_personal_data(tx, seq, now)?;
    trail(tx, actor, "question_personal_data_erased", &q, now)?;
    Ok(q)
}

/// The asker erases their own name and email, with the ticket and the status key
/// they were given. Returns false, changing nothing, when the two do not match.
pub fn erase_by_asker(
    tx: &WriteTransaction,
    ticket: &str,
    key: &str,
    now: Timestamp,
) -> Result<bool, Error> {
    let Some(q) = find_by_ticket(tx, ticket, key)? else {
        return Ok(false);
    };
    erase_personal_data(tx, q.seq, now)?;
    // The audit trail keeps staff addresses, not citizens'.
    let event = Event::new("citizen", "question_personal_data_erased", q.ticket()).ip("-");
    audit::append(tx, event, now)?;
    Ok(true)
}

/// Starts the answer as a draft `Answer` entry linked to the question. A draft the
/// editor rejects comes back as its field errors, with nothing written.
pub fn start_answer(
    tx: &WriteTransaction,
    actor: &Actor,
    seq: u64,
    draft: editorial::Draft,
    now: Timestamp,
) -> Result<Result<EntryId, Vec<content::Invalid>>, Error> {
    checked(tx, actor, seq, Step::StartAnswer)?;
    let entry = match editorial::create_entry(tx, actor, draft, now) {
        Ok(entry) => entry,
        Err(content::Error::Invalids(invalid)) => return Ok(Err(invalid)),
        Err(e) => return Err(e.into()),
    };
    attach_answer(tx, seq, entry.id)?;
    Ok(Ok(entry.id))
}

/// Questions waiting for `actor`: to route (the Board and compilers), or to answer
/// (the unit it was sent to), each with its legal deadline in working days.
pub fn waiting_for(
    tx: &impl Tx,
    actor: &Actor,
    today: Date,
    calendar: &Calendar,
) -> Result<Vec<crate::inbox::Waiting>, store::Error> {
    let mut out = Vec::new();
    for (question, answer_state) in all(tx).map_err(|e| match e {
        Error::Store(e) => e,
        other => store::Error::Task(other.to_string()),
    })? {
        let status = question.status(answer_state);
        let kind = match status {
            Status::Received if is_manager(actor) => "Câu hỏi chờ chuyển đơn vị xử lý",
            Status::Routed if question.unit.is_some() && question.unit == actor.unit => {
                "Câu hỏi chờ đơn vị trả lời"
            }
            _ => continue,
        };
        out.push(
            crate::inbox::Waiting::new(
                "/quan-tri/hoi-dap",
                kind,
                format!("{} — {}", question.ticket(), question.topic),
                format!("/quan-tri/hoi-dap/{}", question.seq),
            )
            .due_on(question.due(calendar), today, Some(calendar)),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_only_their_hash_is_kept() {
        let (a, b) = (new_key().unwrap(), new_key().unwrap());
        assert_eq!(a.len(), 16);
        assert_ne!(a, b);
        assert_eq!(key_hash(&a), key_hash(&format!(" {a} ")));
        assert_ne!(key_hash(&a), key_hash(&b));
    }

    #[test]
    fn status_and_overdue() {
        let cal = Calendar::default();
        let mut q = Question {
            seq: 1,
            asked_at: Timestamp::UNIX_EPOCH,
            asked_on: jiff::civil::date(2026, 11, 2),
            due: cal.add_working_days(jiff::civil::date(2026, 11, 2), 15),
            name: "A".into(),
            email: "a@b.vn".into(),
            topic: "Sở hữu trí tuệ".into(),
            text: "Hỏi".into(),
            key_hash: String::new(),
            unit: None,
            answer: None,
            closed: None,
            erased_at: None,
            mail_consent: false,
            mail_token: String::new(),
        };
        assert_eq!(q.due(&cal), jiff::civil::date(2026, 11, 23));
        let later_holiday = Calendar {
            holidays: vec![jiff::civil::date(2026, 11, 20)],
            working_weekends: vec![],
        };
        assert_eq!(
            q.due(&later_holiday),
            jiff::civil::date(2026, 11, 24),
            "moves with the calendar"
        );
        assert_eq!(q.status(None), Status::Received);
        let late = jiff::civil::date(2026, 11, 25);
        assert_eq!(q.overdue_by(Status::Received, late, &cal), Some(2));
        assert_eq!(q.overdue_by(Status::Received, q.due, &cal), None);
        q.answer = Some(7);
        assert_eq!(q.status(Some(State::Draft)), Status::Drafting);
        assert_eq!(q.status(Some(State::Published)), Status::Answered);
        assert_eq!(q.overdue_by(Status::Answered, late, &cal), None);
    }

    fn question(unit: Option<u64>) -> Question {
        Question {
            seq: 1,
            asked_at: Timestamp::UNIX_EPOCH,
            asked_on: jiff::civil::date(2026, 11, 2),
            due: jiff::civil::date(2026, 11, 23),
            name: String::new(),
            email: String::new(),
            topic: String::new(),
            text: String::new(),
            key_hash: String::new(),
            unit,
            answer: None,
            closed: None,
            erased_at: None,
            mail_consent: false,
            mail_token: String::new(),
        }
    }

    /// The rules as the Board wrote them, independently of the table.
    fn oracle(roles: &[Role], own_unit: bool, step: Step, status: Status) -> Result<(), Denied> {
        let board_or_compiler = roles.contains(&Role::BoardHead)
            || roles.contains(&Role::BoardMember)
            || roles.contains(&Role::Compiler);
        let exists = match step {
            Step::Erase => true,
            Step::Route | Step::Close => status != Status::Closed,
            Step::StartAnswer => status == Status::Routed,
        };
        if !exists {
            return Err(Denied::NotFromThisState);
        }
        let allowed = match step {
            Step::StartAnswer => {
                roles.contains(&Role::Compiler) || (roles.contains(&Role::Contributor) && own_unit)
            }
            _ => board_or_compiler,
        };
        if allowed {
            Ok(())
        } else {
            Err(Denied::NotPermitted)
        }
    }

    #[test]
    fn the_table_agrees_with_the_oracle_for_every_role_set_status_and_step() {
        let statuses = [
            Status::Received,
            Status::Routed,
            Status::Drafting,
            Status::Answered,
            Status::Closed,
        ];
        let mut checked = 0;
        for mask in 0..(1u32 << Role::ALL.len()) {
            let roles: Vec<Role> = Role::ALL
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, r)| *r)
                .collect();
            for (actor_unit, question_unit) in [
                (None, None),
                (Some(1), None),
                (Some(1), Some(1)),
                (Some(1), Some(2)),
                (None, Some(1)),
            ] {
                let actor = Actor {
                    user: 9,
                    login: "thu".into(),
                    name: "Người thử".into(),
                    roles: roles.clone(),
                    unit: actor_unit,
                    delegations: Vec::new(),
                };
                let q = question(question_unit);
                let own_unit = question_unit.is_some() && question_unit == actor_unit;
                for step in Step::ALL {
                    for status in statuses {
                        assert_eq!(
                            decide(&actor, *step, &q, status),
                            oracle(&roles, own_unit, *step, status),
                            "{roles:?} {actor_unit:?}/{question_unit:?} {step:?} from {status:?}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 128 * 5 * 4 * 5);
    }
}

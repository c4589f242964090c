//! The editorial workflow (regulation Art. 4.2 and 8.3; DESIGN section 6): roles, the
//! transition table, delegation of approval, and the one function that answers "may
//! this person do this to this entry". Pure logic: no I/O, no clock of its own.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::content::{Kind, State};

/// What a person may be. One person may hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Writes and submits content for their unit.
    Contributor,
    /// The Specialised Management Division: compiles, edits, returns or forwards.
    Compiler,
    /// Editorial Board member: reviews and may send back with comments.
    BoardMember,
    /// Head of the Editorial Board: approves, and delegates approval.
    BoardHead,
    /// The IT Centre: publishes and schedules approved content.
    Publisher,
    /// The Department's leadership: sees everything; approves presentation changes.
    Leadership,
    /// Manages accounts and units.
    Administrator,
}

impl Role {
    pub const ALL: &[Role] = &[
        Role::Contributor,
        Role::Compiler,
        Role::BoardMember,
        Role::BoardHead,
        Role::Publisher,
        Role::Leadership,
        Role::Administrator,
    ];

    /// The name used on the command line and in config.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Contributor => "contributor",
            Role::Compiler => "compiler",
            Role::BoardMember => "board_member",
            Role::BoardHead => "board_head",
            Role::Publisher => "publisher",
            Role::Leadership => "leadership",
            Role::Administrator => "administrator",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == name.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Contributor => "Cộng tác viên đơn vị",
            Role::Compiler => "Tổng hợp, biên tập (Phòng Quản lý chuyên ngành)",
            Role::BoardMember => "Thành viên Ban Biên tập",
            Role::BoardHead => "Trưởng Ban Biên tập",
            Role::Publisher => "Đăng tải (Trung tâm Thông tin)",
            Role::Leadership => "Lãnh đạo Sở",
            Role::Administrator => "Quản trị hệ thống",
        }
    }
}

/// A step someone can take on an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Save a new working revision.
    Save,
    Submit,
    Return,
    Forward,
    Approve,
    Schedule,
    Unschedule,
    Publish,
    Withdraw,
}

impl Action {
    pub const ALL: &[Action] = &[
        Action::Save,
        Action::Submit,
        Action::Return,
        Action::Forward,
        Action::Approve,
        Action::Schedule,
        Action::Unschedule,
        Action::Publish,
        Action::Withdraw,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Save => "save",
            Action::Submit => "submit",
            Action::Return => "return",
            Action::Forward => "forward",
            Action::Approve => "approve",
            Action::Schedule => "schedule",
            Action::Unschedule => "unschedule",
            Action::Publish => "publish",
            Action::Withdraw => "withdraw",
        }
    }

    pub fn parse(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.as_str() == name)
    }

    /// The button label.
    pub fn label(self) -> &'static str {
        match self {
            Action::Save => "Lưu",
            Action::Submit => "Gửi Phòng Quản lý chuyên ngành",
            Action::Return => "Trả lại",
            Action::Forward => "Trình Ban Biên tập",
            Action::Approve => "Duyệt",
            Action::Schedule => "Hẹn giờ đăng",
            Action::Unschedule => "Hủy hẹn giờ",
            Action::Publish => "Đăng ngay",
            Action::Withdraw => "Gỡ khỏi trang",
        }
    }

    /// The past tense for timelines.
    pub fn done_label(self) -> &'static str {
        match self {
            Action::Save => "Lưu bản sửa",
            Action::Submit => "Gửi duyệt",
            Action::Return => "Trả lại",
            Action::Forward => "Trình Ban Biên tập",
            Action::Approve => "Duyệt",
            Action::Schedule => "Hẹn giờ đăng",
            Action::Unschedule => "Hủy hẹn giờ",
            Action::Publish => "Đăng tải",
            Action::Withdraw => "Gỡ khỏi trang",
        }
    }
}

/// Who a row of the table admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// A contributor or compiler of the entry's own unit.
    OwnUnit,
    Role(Role),
    /// The Board head, or a person holding a delegation that covers the entry.
    Approver,
}

struct Row {
    from: &'static [State],
    action: Action,
    /// `None`: the state does not change (saving a draft, withdrawing during an edit).
    to: Option<State>,
    who: &'static [Who],
}

use State::{Approved, Draft, InReview, Published, Returned, Scheduled, Submitted, Withdrawn};

const ALL_STATES: &[State] = &[
    Draft, Submitted, InReview, Returned, Approved, Scheduled, Published, Withdrawn,
];

/// The whole workflow, one row per permitted step. Withdraw is special: it acts on the
/// live revision, so it needs a live entry whatever state an edit is in.
const TABLE: &[Row] = &[
    // A unit writes its own drafts; the Division sees them once submitted.
    Row {
        from: &[Draft, Returned],
        action: Action::Save,
        to: None,
        who: &[Who::OwnUnit],
    },
    Row {
        from: &[Submitted],
        action: Action::Save,
        to: None,
        who: &[Who::Role(Role::Compiler)],
    },
    // Editing a live or withdrawn entry starts a new draft; the live revision stays up.
    Row {
        from: &[Published, Withdrawn],
        action: Action::Save,
        to: Some(Draft),
        who: &[Who::OwnUnit, Who::Role(Role::Compiler)],
    },
    Row {
        from: &[Draft, Returned],
        action: Action::Submit,
        to: Some(Submitted),
        who: &[Who::OwnUnit],
    },
    Row {
        from: &[Submitted],
        action: Action::Return,
        to: Some(Returned),
        who: &[Who::Role(Role::Compiler)],
    },
    Row {
        from: &[Submitted],
        action: Action::Forward,
        to: Some(InReview),
        who: &[Who::Role(Role::Compiler)],
    },
    // A delegate holds exactly these two powers of the head: approve, or send back.
    Row {
        from: &[InReview],
        action: Action::Return,
        to: Some(Returned),
        who: &[Who::Approver, Who::Role(Role::BoardMember)],
    },
    Row {
        from: &[InReview],
        action: Action::Approve,
        to: Some(Approved),
        who: &[Who::Approver],
    },
    Row {
        from: &[Approved],
        action: Action::Return,
        to: Some(Returned),
        who: &[Who::Role(Role::BoardHead), Who::Role(Role::Publisher)],
    },
    Row {
        from: &[Approved, Scheduled],
        action: Action::Publish,
        to: Some(Published),
        who: &[Who::Role(Role::Publisher)],
    },
    Row {
        from: &[Approved],
        action: Action::Schedule,
        to: Some(Scheduled),
        who: &[Who::Role(Role::Publisher)],
    },
    Row {
        from: &[Scheduled],
        action: Action::Unschedule,
        to: Some(Approved),
        who: &[Who::Role(Role::Publisher)],
    },
    Row {
        from: ALL_STATES,
        action: Action::Withdraw,
        to: None,
        who: &[Who::Role(Role::BoardHead), Who::Role(Role::Publisher)],
    },
];

/// A grant by the Board head to approve on their behalf, for a period and optionally
/// only some kinds or categories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delegation {
    pub id: u64,
    pub grantor: u64,
    pub grantor_name: String,
    pub delegate: u64,
    pub delegate_name: String,
    /// First and last day (Vietnam dates), inclusive.
    pub from: Date,
    pub until: Date,
    /// Empty: every kind.
    #[serde(default)]
    pub kinds: Vec<Kind>,
    /// Empty: every category.
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub revoked: bool,
    pub created_at: jiff::Timestamp,
}

impl Delegation {
    pub fn is_active(&self, today: Date) -> bool {
        !self.revoked && self.from <= today && today <= self.until
    }

    /// Whether it lets its holder approve this entry today.
    pub fn covers(&self, today: Date, entry: &EntryFacts) -> bool {
        self.is_active(today)
            && (self.kinds.is_empty() || self.kinds.contains(&entry.kind))
            && (self.categories.is_empty()
                || entry
                    .category
                    .as_ref()
                    .is_some_and(|c| self.categories.contains(c)))
    }
}

/// Who is acting: their roles, unit and the delegations they hold.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: u64,
    /// Their login, as the audit trail names them.
    pub login: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub unit: Option<u64>,
    /// Delegations granted to this person (active or not; `decide` checks).
    pub delegations: Vec<Delegation>,
}

impl Actor {
    /// The server's operator at the command line (`trangtin user …`), as the audit
    /// trail names them.
    pub fn operator() -> Actor {
        Actor {
            user: 0,
            login: "cli".into(),
            name: "Quản trị máy chủ (dòng lệnh)".into(),
            roles: vec![Role::Administrator],
            unit: None,
            delegations: Vec::new(),
        }
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// May this person create entries at all?
    pub fn may_create(&self) -> bool {
        self.has(Role::Contributor) || self.has(Role::Compiler)
    }

    /// May this person approve at all (today, for some entry)?
    pub fn may_approve_something(&self, today: Date) -> bool {
        self.has(Role::BoardHead) || self.delegations.iter().any(|d| d.is_active(today))
    }
}

/// What `decide` needs to know about an entry.
#[derive(Debug, Clone)]
pub struct EntryFacts {
    pub state: State,
    pub kind: Kind,
    pub unit: Option<u64>,
    pub category: Option<String>,
    /// Whether a revision is on the public site.
    pub live: bool,
}

/// A permitted step: where it leads and in what capacity it is taken.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub to: State,
    /// The role the step is recorded under.
    pub role: Role,
    /// Set when a delegate approves: the Board head they act for ("thay mặt").
    pub on_behalf_of: Option<(u64, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("this step does not exist from the current state")]
    NotFromThisState,
    #[error("this person may not take this step")]
    NotPermitted,
}

/// Answers "may `actor` take `action` on `entry` today", and how.
pub fn decide(
    actor: &Actor,
    action: Action,
    entry: &EntryFacts,
    today: Date,
) -> Result<Step, Denied> {
    let rows = TABLE
        .iter()
        .filter(|r| r.action == action && r.from.contains(&entry.state))
        .filter(|r| r.action != Action::Withdraw || entry.live);
    let mut exists = false;
    for row in rows {
        exists = true;
        let to = match (row.action, row.to) {
            // Withdrawing a live entry with no edit pending leaves nothing published.
            (Action::Withdraw, _) if entry.state == Published => Withdrawn,
            (_, to) => to.unwrap_or(entry.state),
        };
        for who in row.who {
            if let Some(step) = admits(*who, actor, entry, today, to) {
                return Ok(step);
            }
        }
    }
    Err(if exists {
        Denied::NotPermitted
    } else {
        Denied::NotFromThisState
    })
}

fn admits(who: Who, actor: &Actor, entry: &EntryFacts, today: Date, to: State) -> Option<Step> {
    let step = |role, on_behalf_of| {
        Some(Step {
            to,
            role,
            on_behalf_of,
        })
    };
    match who {
        Who::OwnUnit => {
            let own = actor.unit.is_some() && actor.unit == entry.unit;
            own.then_some(())?;
            if actor.has(Role::Contributor) {
                step(Role::Contributor, None)
            } else if actor.has(Role::Compiler) {
                step(Role::Compiler, None)
            } else {
                None
            }
        }
        Who::Role(role) => {
            actor.has(role).then_some(())?;
            step(role, None)
        }
        Who::Approver => {
            if actor.has(Role::BoardHead) {
                return step(Role::BoardHead, None);
            }
            let grant = actor.delegations.iter().find(|d| d.covers(today, entry))?;
            // Recorded as the head's act, taken by the delegate on the head's behalf.
            step(
                Role::BoardHead,
                Some((grant.grantor, grant.grantor_name.clone())),
            )
        }
    }
}

/// Whether `actor` may see an entry in the admin pages: a contributor sees their own
/// unit's work and what is live; every other role sees everything.
pub fn may_view(actor: &Actor, entry: &EntryFacts) -> bool {
    let only_contributor = actor.roles.iter().all(|r| *r == Role::Contributor);
    !only_contributor || entry.live || (actor.unit.is_some() && actor.unit == entry.unit)
}

/// The steps `actor` may take on `entry` now, in table order (for buttons).
pub fn available(actor: &Actor, entry: &EntryFacts, today: Date) -> Vec<Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|a| decide(actor, *a, entry, today).is_ok())
        .collect()
}

pub fn state_label(state: State) -> &'static str {
    match state {
        Draft => "Bản nháp",
        Submitted => "Đã gửi, chờ tổng hợp",
        InReview => "Chờ Ban Biên tập duyệt",
        Returned => "Bị trả lại",
        Approved => "Đã duyệt, chờ đăng",
        Scheduled => "Đã hẹn giờ đăng",
        Published => "Đã đăng",
        Withdrawn => "Đã gỡ",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        jiff::civil::date(2026, 11, 28)
    }

    fn actor(roles: &[Role], unit: Option<u64>) -> Actor {
        Actor {
            user: 9,
            login: "thu".into(),
            name: "Người thử".into(),
            roles: roles.to_vec(),
            unit,
            delegations: Vec::new(),
        }
    }

    fn delegation(from: Date, until: Date) -> Delegation {
        Delegation {
            id: 1,
            grantor: 1,
            grantor_name: "Trưởng ban".into(),
            delegate: 9,
            delegate_name: "Người thử".into(),
            from,
            until,
            kinds: Vec::new(),
            categories: Vec::new(),
            revoked: false,
            created_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    fn facts(state: State, unit: Option<u64>) -> EntryFacts {
        EntryFacts {
            state,
            kind: Kind::Article,
            unit,
            category: Some("tin".into()),
            live: state == Published,
        }
    }

    /// The expected outcome of every (state, action, role) combination, written out
    /// independently of TABLE: `Some(next state)` when permitted.
    fn expected(state: State, action: Action, role: Role, own_unit: bool) -> Option<State> {
        use Action as A;
        use Role as R;
        let own_writer = (role == R::Contributor || role == R::Compiler) && own_unit;
        let head = role == R::BoardHead;
        match (action, state) {
            (A::Save, Draft | Returned) if own_writer => Some(state),
            (A::Save, Submitted) if role == R::Compiler => Some(Submitted),
            (A::Save, Published | Withdrawn) if own_writer || role == R::Compiler => Some(Draft),
            (A::Submit, Draft | Returned) if own_writer => Some(Submitted),
            (A::Return, Submitted) if role == R::Compiler => Some(Returned),
            (A::Forward, Submitted) if role == R::Compiler => Some(InReview),
            (A::Return, InReview) if head || role == R::BoardMember => Some(Returned),
            (A::Approve, InReview) if head => Some(Approved),
            (A::Return, Approved) if head || role == R::Publisher => Some(Returned),
            (A::Publish, Approved | Scheduled) if role == R::Publisher => Some(Published),
            (A::Schedule, Approved) if role == R::Publisher => Some(Scheduled),
            (A::Unschedule, Scheduled) if role == R::Publisher => Some(Approved),
            (A::Withdraw, Published) if head || role == R::Publisher => Some(Withdrawn),
            _ => None,
        }
    }

    #[test]
    fn every_state_action_and_role_gives_the_expected_outcome() {
        let mut checked = 0;
        for &state in ALL_STATES {
            for &action in Action::ALL {
                for &role in Role::ALL {
                    for own_unit in [true, false] {
                        let who = actor(&[role], Some(1));
                        let entry = facts(state, Some(if own_unit { 1 } else { 2 }));
                        let got = decide(&who, action, &entry, today()).ok().map(|s| s.to);
                        assert_eq!(
                            got,
                            expected(state, action, role, own_unit),
                            "{state:?} {action:?} {role:?} own_unit={own_unit}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 8 * 9 * 7 * 2);
    }

    #[test]
    fn a_live_entry_can_be_withdrawn_while_an_edit_is_pending() {
        let publisher = actor(&[Role::Publisher], None);
        let mut pending = facts(InReview, Some(1));
        pending.live = true;
        let step = decide(&publisher, Action::Withdraw, &pending, today()).unwrap();
        assert_eq!(
            step.to, InReview,
            "the edit stays in review; the live copy goes"
        );
        pending.live = false;
        assert!(decide(&publisher, Action::Withdraw, &pending, today()).is_err());
    }

    #[test]
    fn a_delegate_may_approve_or_send_back_but_not_withdraw() {
        let mut delegate = actor(&[Role::BoardMember], None);
        delegate.delegations.push(delegation(
            jiff::civil::date(2026, 11, 1),
            jiff::civil::date(2026, 11, 30),
        ));
        assert!(decide(&delegate, Action::Approve, &facts(InReview, None), today()).is_ok());
        assert!(decide(&delegate, Action::Return, &facts(InReview, None), today()).is_ok());
        assert!(
            decide(
                &delegate,
                Action::Withdraw,
                &facts(Published, None),
                today()
            )
            .is_err()
        );
        assert!(decide(&delegate, Action::Return, &facts(Approved, None), today()).is_err());
    }

    #[test]
    fn contributors_see_their_unit_and_what_is_live() {
        let contributor = actor(&[Role::Contributor], Some(1));
        assert!(may_view(&contributor, &facts(Draft, Some(1))));
        assert!(!may_view(&contributor, &facts(Draft, Some(2))));
        assert!(may_view(&contributor, &facts(Published, Some(2))));
        let leadership = actor(&[Role::Leadership], None);
        assert!(may_view(&leadership, &facts(Draft, Some(2))));
    }

    #[test]
    fn nobody_without_a_role_can_do_anything() {
        let nobody = actor(&[], Some(1));
        for &state in ALL_STATES {
            assert!(available(&nobody, &facts(state, Some(1)), today()).is_empty());
        }
    }

    #[test]
    fn a_delegate_approves_on_behalf_of_the_head_only_within_the_grant() {
        let mut delegate = actor(&[Role::BoardMember], None);
        let entry = facts(InReview, Some(1));
        assert_eq!(
            decide(&delegate, Action::Approve, &entry, today()),
            Err(Denied::NotPermitted)
        );
        delegate.delegations.push(delegation(
            jiff::civil::date(2026, 11, 1),
            jiff::civil::date(2026, 11, 30),
        ));
        let step = decide(&delegate, Action::Approve, &entry, today()).unwrap();
        assert_eq!(step.to, Approved);
        assert_eq!(step.on_behalf_of, Some((1, "Trưởng ban".to_string())));
        // Expired, not yet started, revoked, or limited to another category: no.
        let after = jiff::civil::date(2026, 12, 1);
        assert!(decide(&delegate, Action::Approve, &entry, after).is_err());
        let before = jiff::civil::date(2026, 10, 31);
        assert!(decide(&delegate, Action::Approve, &entry, before).is_err());
        delegate.delegations[0].categories = vec!["khac".into()];
        assert!(decide(&delegate, Action::Approve, &entry, today()).is_err());
        delegate.delegations[0].categories.clear();
        delegate.delegations[0].kinds = vec![Kind::Page];
        assert!(decide(&delegate, Action::Approve, &entry, today()).is_err());
        delegate.delegations[0].kinds.clear();
        delegate.delegations[0].revoked = true;
        assert!(decide(&delegate, Action::Approve, &entry, today()).is_err());
    }

    #[test]
    fn a_step_that_does_not_exist_is_told_apart_from_one_not_permitted() {
        let head = actor(&[Role::BoardHead], None);
        assert_eq!(
            decide(&head, Action::Approve, &facts(Draft, None), today()),
            Err(Denied::NotFromThisState)
        );
        let contributor = actor(&[Role::Contributor], Some(1));
        assert_eq!(
            decide(
                &contributor,
                Action::Approve,
                &facts(InReview, Some(1)),
                today()
            ),
            Err(Denied::NotPermitted)
        );
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        assert_eq!(Role::parse("king"), None);
    }
}

//! First-run accounts: the `admin` account with a one-time password, and — only in a
//! folder seeded with demo content — demo units and one person per role, so a newcomer
//! can walk the whole editorial flow. Passwords are printed once and stored only hashed.

use jiff::Timestamp;
use jiff::civil::Date;
use redb::WriteTransaction;

use super::{Error, Grant, NewUser, Unit, create_unit, create_user, grant_delegation, password};
use crate::workflow::Role;

/// An account made here, with the password to print.
pub struct Made {
    pub login: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub password: String,
}

/// Creates `admin` with a random one-time password when no account can administer
/// (a new folder, with or without demo people).
pub fn ensure_admin(tx: &WriteTransaction, now: Timestamp) -> Result<Option<Made>, Error> {
    let users = super::users(tx)?;
    if users
        .iter()
        .any(|u| u.roles.contains(&Role::Administrator) || u.login == "admin")
    {
        return Ok(None);
    }
    let password = password::generate()?;
    let hash = password::hash(&password).map_err(Error::Hash)?;
    let roles = vec![Role::Administrator];
    create_user(
        tx,
        NewUser {
            login: "admin".into(),
            name: "Quản trị hệ thống".into(),
            unit: None,
            roles: roles.clone(),
        },
        hash,
        true,
        now,
    )?;
    Ok(Some(Made {
        login: "admin".into(),
        name: "Quản trị hệ thống".into(),
        roles,
        password,
    }))
}

const DEMO_UNITS: &[&str] = &[
    "Phòng Quản lý chuyên ngành",
    "Phòng Quản lý khoa học",
    "Trung tâm Thông tin và Thống kê khoa học và công nghệ",
    "Văn phòng Sở",
];

/// (login, full name, roles, index into `DEMO_UNITS`)
const DEMO_PEOPLE: &[(&str, &str, &[Role], Option<usize>)] = &[
    ("donvi", "Nguyễn Thị Lan", &[Role::Contributor], Some(1)),
    ("tonghop", "Trần Văn Hùng", &[Role::Compiler], Some(0)),
    ("bientap", "Phạm Thị Mai", &[Role::BoardMember], Some(3)),
    ("truongban", "Lê Thị Thu Hà", &[Role::BoardHead], Some(3)),
    ("uyquyen", "Võ Minh Tâm", &[Role::BoardMember], Some(0)),
    ("xuatban", "Đặng Quốc Việt", &[Role::Publisher], Some(2)),
    ("lanhdao", "Trần Minh Khôi", &[Role::Leadership], None),
];

/// Demo units and people; `uyquyen` holds a month's approval delegation from `truongban`.
pub fn seed_demo(tx: &WriteTransaction, today: Date, now: Timestamp) -> Result<Vec<Made>, Error> {
    let units: Vec<Unit> = DEMO_UNITS
        .iter()
        .map(|name| create_unit(tx, name))
        .collect::<Result<_, _>>()?;
    let mut made = Vec::new();
    let mut people = Vec::new();
    for (login, name, roles, unit) in DEMO_PEOPLE {
        let password = password::generate()?;
        let hash = password::hash(&password).map_err(Error::Hash)?;
        let user = create_user(
            tx,
            NewUser {
                login: (*login).into(),
                name: (*name).into(),
                unit: unit.and_then(|i| units.get(i)).map(|u| u.id),
                roles: roles.to_vec(),
            },
            hash,
            false,
            now,
        )?;
        people.push(user);
        made.push(Made {
            login: (*login).into(),
            name: (*name).into(),
            roles: roles.to_vec(),
            password,
        });
    }
    let find = |login: &str| people.iter().find(|u| u.login == login);
    if let (Some(head), Some(delegate)) = (find("truongban"), find("uyquyen")) {
        grant_delegation(
            tx,
            head,
            Grant {
                delegate: delegate.id,
                from: today.yesterday().unwrap_or(today),
                until: today
                    .checked_add(jiff::Span::new().days(30))
                    .unwrap_or(today),
                kinds: Vec::new(),
                categories: Vec::new(),
            },
            now,
        )?;
    }
    Ok(made)
}

/// Prints accounts made at this start, once, to the console (never to the log).
pub fn print(made: &[Made], one_time: bool) {
    if made.is_empty() {
        return;
    }
    println!();
    if one_time {
        println!("  New accounts (one-time passwords: change them at first login):");
    } else {
        println!("  Demo accounts (demo content only; printed this once):");
    }
    for m in made {
        let roles: Vec<&str> = m.roles.iter().map(|r| r.as_str()).collect();
        println!(
            "    {:<10} {:<18} {:<28} {}",
            m.login,
            m.password,
            roles.join(","),
            m.name
        );
    }
    println!();
}

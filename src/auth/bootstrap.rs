//! First-run accounts: the `admin` account with a one-time password, and — only in a
//! folder seeded with demo content — demo units and one person per role, so a newcomer
//! can walk the whole editorial flow. Passwords are printed once and stored only hashed.

use jiff::Timestamp;
use redb::WriteTransaction;

use super::{Error, NewUser, create_user, password};
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

/// Prints accounts made at this start, once, to the console (never to the log).
pub fn print(made: &[Made], one_time: bool, site: &str) {
    if made.is_empty() {
        return;
    }
    println!();
    let of_site = if site.is_empty() {
        String::new()
    } else {
        format!(" of site {site}")
    };
    if one_time {
        println!("  New accounts{of_site} (one-time passwords: change them at first login):");
    } else {
        println!("  Demo accounts{of_site} (demo content only; printed this once):");
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

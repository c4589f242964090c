//! Old addresses that moved: each answers 301 with where its content lives now. An old
//! portal's links (`/index.php/Home/ChiTietTin/?tin=…`, `?p=123`, Liferay's `p_p_id`
//! forms) are out in the world, in bookmarks, search engines and other agencies'
//! pages; none of them may break when the site moves here.
//!
//! Redirects live in the store, so backups, restores and the integrity of the folder
//! cover them. They are looked up only on the way to a 404, so a page that exists never
//! pays for them. Chains are collapsed as they are made (an address always leads
//! straight to its final target) and a loop is refused.

use jiff::Timestamp;
use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::store::{self, Tx};

/// Longest address kept (an old portal's query strings can be long, not unbounded).
const MAX_LEN: usize = 2000;
/// How far `add` follows a target that is itself redirected.
const MAX_HOPS: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redirect {
    /// The old address: a path with its query string, as requested.
    pub from: String,
    /// Where it leads: a path on this site, or an `https://` address.
    pub to: String,
    /// Why it exists: "nhập trang cũ", "đổi đường dẫn", or what an administrator wrote.
    #[serde(default)]
    pub note: String,
    pub by: String,
    pub at: Timestamp,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    /// A redirect that cannot be made, with the Vietnamese reason for the form.
    #[error("invalid redirect: {0}")]
    Invalid(String),
}

fn invalid(message: &str) -> Error {
    Error::Invalid(message.to_string())
}

/// The address as redirects key it: a path (with its query) on this site. An absolute
/// URL's scheme and host are dropped, so an old host name's links match too.
pub fn normalize(address: &str) -> Option<String> {
    let address = address.trim();
    let local = match address.split_once("://") {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
        {
            match rest.find('/') {
                Some(slash) => &rest[slash..],
                None => "/",
            }
        }
        Some(_) => return None,
        None => address,
    };
    let local = local.split('#').next().unwrap_or(local);
    (local.starts_with('/')
        && !local.starts_with("//")
        && local.len() <= MAX_LEN
        && !local.chars().any(char::is_control)
        && !local.contains(' '))
    .then(|| local.to_string())
}

fn valid_target(to: &str) -> bool {
    (to.starts_with('/') && !to.starts_with("//")) || to.starts_with("https://")
}

/// The redirect from `from`, if there is one.
pub fn get(tx: &impl Tx, from: &str) -> Result<Option<Redirect>, store::Error> {
    tables::REDIRECTS.get(tx, from)
}

/// Where `path_and_query` leads, if it moved: the exact address first, then the path
/// without its query string (an old page's tracking parameters).
pub fn find(tx: &impl Tx, path_and_query: &str) -> Result<Option<String>, store::Error> {
    if let Some(found) = tables::REDIRECTS.get(tx, path_and_query)? {
        return Ok(Some(found.to));
    }
    match path_and_query.split_once('?') {
        Some((path, _)) => Ok(tables::REDIRECTS.get(tx, path)?.map(|r| r.to)),
        None => Ok(None),
    }
}

/// Where a request for `address` on an old host name goes: `origin` with the address,
/// or with where it moved. A store that cannot be read sends it to the same address.
pub async fn on_new_host(store: &crate::store::Store, origin: &str, address: String) -> String {
    let lookup = address.clone();
    let moved = store.read(move |tx| find(tx, &lookup)).await.ok().flatten();
    match moved {
        Some(to) if to.starts_with("https://") => to,
        Some(to) => format!("{origin}{to}"),
        None => format!("{origin}{address}"),
    }
}

/// Adds (or replaces) the redirect `from` → `to`, straight to `to`'s final target, and
/// points every redirect that led to `from` there too. Refuses a loop. Audited.
pub fn add(
    tx: &WriteTransaction,
    from: &str,
    to: &str,
    note: &str,
    by: &str,
    now: Timestamp,
) -> Result<Redirect, Error> {
    let redirect = add_quietly(tx, from, to, note, by, now)?;
    crate::audit::append(
        tx,
        crate::audit::Event::new(by, "redirect_set", &redirect.from).detail(&redirect.to),
        now,
    )?;
    Ok(redirect)
}

/// As `add`, without its own line in the audit trail: for an import batch, whose
/// approval is the one line for all its redirects.
pub fn add_quietly(
    tx: &WriteTransaction,
    from: &str,
    to: &str,
    note: &str,
    by: &str,
    now: Timestamp,
) -> Result<Redirect, Error> {
    let from = normalize(from).ok_or_else(|| {
        invalid(
            "Địa chỉ cũ cần là một đường dẫn bắt đầu bằng / (hoặc địa chỉ đầy đủ của trang cũ).",
        )
    })?;
    let to = to.trim();
    if !valid_target(to) {
        return Err(invalid(
            "Địa chỉ mới cần bắt đầu bằng / (một trang của trang này) hoặc https://.",
        ));
    }
    let mut target = normalize(to)
        .filter(|_| to.starts_with('/'))
        .unwrap_or_else(|| to.to_string());
    for _ in 0..MAX_HOPS {
        if target == from {
            return Err(invalid(
                "Chuyển hướng này tạo thành vòng lặp: địa chỉ mới lại dẫn về địa chỉ cũ.",
            ));
        }
        match tables::REDIRECTS.get(tx, target.as_str())? {
            Some(next) => target = next.to,
            None => break,
        }
    }
    if target == from {
        return Err(invalid(
            "Chuyển hướng này tạo thành vòng lặp: địa chỉ mới lại dẫn về địa chỉ cũ.",
        ));
    }
    let mut targets = tx.open_table(tables::TARGETS).map_err(store::Error::from)?;
    // Those that led here lead straight on (found by the index of targets, not a scan).
    let mut earlier_froms = Vec::new();
    for row in targets
        .range((from.as_str(), "")..)
        .map_err(store::Error::from)?
    {
        let (key, _) = row.map_err(store::Error::from)?;
        let (to_key, from_key) = key.value();
        if to_key != from {
            break;
        }
        earlier_froms.push(from_key.to_string());
    }
    for earlier_from in &earlier_froms {
        targets
            .remove((from.as_str(), earlier_from.as_str()))
            .map_err(store::Error::from)?;
        if let Some(mut earlier) = tables::REDIRECTS.get(tx, earlier_from.as_str())? {
            earlier.to.clone_from(&target);
            tables::REDIRECTS.insert(tx, earlier_from.as_str(), &earlier)?;
            targets
                .insert((target.as_str(), earlier_from.as_str()), ())
                .map_err(store::Error::from)?;
        }
    }
    if let Some(replaced) = tables::REDIRECTS.get(tx, from.as_str())? {
        targets
            .remove((replaced.to.as_str(), from.as_str()))
            .map_err(store::Error::from)?;
    }
    targets
        .insert((target.as_str(), from.as_str()), ())
        .map_err(store::Error::from)?;
    drop(targets);
    let redirect = Redirect {
        from: from.clone(),
        to: target,
        note: note.trim().to_string(),
        by: by.to_string(),
        at: now,
    };
    tables::REDIRECTS.insert(tx, from.as_str(), &redirect)?;
    Ok(redirect)
}

/// Removes the redirect from `from`; false if there was none. Audited.
pub fn remove(tx: &WriteTransaction, from: &str, by: &str, now: Timestamp) -> Result<bool, Error> {
    let Some(from) = normalize(from) else {
        return Ok(false);
    };
    let Some(removed) = tables::REDIRECTS.remove(tx, from.as_str())? else {
        return Ok(false);
    };
    tx.open_table(tables::TARGETS)
        .map_err(store::Error::from)?
        .remove((removed.to.as_str(), from.as_str()))
        .map_err(store::Error::from)?;
    crate::audit::append(
        tx,
        crate::audit::Event::new(by, "redirect_removed", &from),
        now,
    )?;
    Ok(true)
}

/// Redirects whose old or new address contains `search` (all when empty), by old
/// address, and how many there are in all.
pub fn list(tx: &impl Tx, search: &str) -> Result<(Vec<Redirect>, usize), store::Error> {
    let all = tables::REDIRECTS.values(tx)?;
    let total = all.len();
    let search = search.trim().to_lowercase();
    let found = all
        .into_iter()
        .filter(|r| {
            search.is_empty()
                || r.from.to_lowercase().contains(&search)
                || r.to.to_lowercase().contains(&search)
        })
        .collect();
    Ok((found, total))
}

pub mod tables {
    use crate::store::Table;

    /// Redirects by old address (path and query).
    pub const REDIRECTS: Table<&str, super::Redirect> = Table::new("redirects_v1");
    /// (target, old address) → (): which redirects lead where, so adding one that
    /// collapses a chain finds the redirects to update without reading them all.
    pub const TARGETS: redb::TableDefinition<(&str, &str), ()> =
        redb::TableDefinition::new("redirect_targets_v1");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_kept_as_paths_with_their_query() {
        assert_eq!(
            normalize(
                "https://skhcn.binhdinh.gov.vn/index.php/Home/ChiTietTin/?tin=NDczMQ%3D%3D#top"
            )
            .as_deref(),
            Some("/index.php/Home/ChiTietTin/?tin=NDczMQ%3D%3D")
        );
        assert_eq!(normalize("/?p=123").as_deref(), Some("/?p=123"));
        assert_eq!(normalize("http://old.example").as_deref(), Some("/"));
        for bad in ["", "tin-tuc", "//evil.example/x", "ftp://x/y", "/a b"] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }

    #[test]
    fn chains_collapse_and_loops_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = crate::store::Store::open(dir.path()).unwrap();
        let now = Timestamp::UNIX_EPOCH;
        store
            .write_blocking(|tx| -> Result<(), Error> {
                add(tx, "/a", "/b", "", "t", now)?;
                add(tx, "/b", "/tin-tuc/x", "", "t", now)?;
                add(tx, "/c", "/a", "", "t", now)?;
                Ok(())
            })
            .unwrap();
        let to = |path: &str| store.read_blocking(|tx| find(tx, path)).unwrap();
        assert_eq!(to("/a").as_deref(), Some("/tin-tuc/x"), "collapsed");
        assert_eq!(
            to("/c").as_deref(),
            Some("/tin-tuc/x"),
            "straight to the end"
        );
        assert_eq!(to("/a?utm_source=x").as_deref(), Some("/tin-tuc/x"));
        let looped = store.write_blocking(|tx| add(tx, "/tin-tuc/x", "/c", "", "t", now));
        assert!(matches!(looped, Err(Error::Invalid(_))));
        assert!(
            store
                .write_blocking(|tx| remove(tx, "/a", "t", now))
                .unwrap()
        );
        assert_eq!(to("/a"), None);
    }
}

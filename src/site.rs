//! The site's identity: agency names, footer facts and the main menu (regulation F5–F7).
//! Templates never hard-code any of it; it lives in the store and a new data folder is
//! seeded from the demo content or the config file's `[site]` table.

use redb::WriteTransaction;
use serde::{Deserialize, Serialize};

use crate::store::{self, Tx, tables};

const KEY: &str = "site";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSettings {
    /// Full official name in Vietnamese, shown in the header (F5).
    pub agency_name: String,
    #[serde(default)]
    pub agency_name_en: String,
    #[serde(default)]
    pub short_name: String,
    /// Cơ quan chủ quản (F6).
    pub managing_body: String,
    /// Người chịu trách nhiệm (F6).
    pub responsible_person: String,
    pub address: String,
    pub phone: String,
    #[serde(default)]
    pub fax: String,
    pub email: String,
    pub copyright: String,
    #[serde(default)]
    pub tagline: String,
    /// Blob hash of the logo or emblem; the header keeps a slot for it either way.
    #[serde(default)]
    pub logo: Option<String>,
    #[serde(default)]
    pub menu: Vec<MenuItem>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuItem {
    pub label: String,
    pub href: String,
    #[serde(default)]
    pub children: Vec<MenuItem>,
}

impl SiteSettings {
    /// The header and footer facts the law requires (F5, F6) that are still empty.
    pub fn missing_required(&self) -> Vec<&'static str> {
        [
            ("agency_name", &self.agency_name),
            ("managing_body", &self.managing_body),
            ("responsible_person", &self.responsible_person),
            ("address", &self.address),
            ("phone", &self.phone),
            ("email", &self.email),
            ("copyright", &self.copyright),
        ]
        .into_iter()
        .filter(|(_, value)| value.trim().is_empty())
        .map(|(name, _)| name)
        .collect()
    }
}

/// The stored settings, or empty ones in a folder that has none yet.
pub fn load(tx: &impl Tx) -> Result<SiteSettings, store::Error> {
    match tables::SETTINGS.get(tx, KEY)? {
        None => Ok(SiteSettings::default()),
        Some(value) => serde_json::from_value(value).map_err(|e| store::Error::Decode {
            table: tables::SETTINGS.name(),
            message: e.to_string(),
        }),
    }
}

pub fn save(tx: &WriteTransaction, site: &SiteSettings) -> Result<(), store::Error> {
    let value = serde_json::to_value(site).map_err(|e| store::Error::Decode {
        table: tables::SETTINGS.name(),
        message: e.to_string(),
    })?;
    tables::SETTINGS.insert(tx, KEY, &value)?;
    // Settings changed here, by the program, are the approved ones; a change made any
    // other way is what the integrity check reports.
    let now = jiff::Timestamp::now();
    crate::integrity::approve_settings(tx, "settings", now)?;
    crate::audit::append(
        tx,
        crate::audit::Event::new("", "settings_changed", KEY).detail(&site.agency_name),
        now,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_footer_facts_are_listed() {
        let site = SiteSettings {
            agency_name: "Sở Khoa học và Công nghệ".into(),
            phone: "0256".into(),
            ..SiteSettings::default()
        };
        let missing = site.missing_required();
        assert!(missing.contains(&"managing_body"));
        assert!(missing.contains(&"responsible_person"));
        assert!(!missing.contains(&"agency_name"));
    }
}

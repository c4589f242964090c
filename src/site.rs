//! The site's identity and look: agency names, footer facts, the main menu, the home
//! page's blocks, colours and logo (regulation F5–F7). Templates never hard-code any of
//! it; it lives in the store and a new data folder is seeded from the demo content or
//! the config file's `[site]` table.
//!
//! The look changes only with leadership's approval (Art. 3.3): staff save a draft,
//! which is previewed and then approved by the head of the Editorial Board; only the
//! approval puts it live. Drafts live in the meta table, outside the settings the
//! integrity check hashes, so a pending draft is not an unapproved change.

use redb::WriteTransaction;
use serde::{Deserialize, Serialize};

use crate::store::{self, Tx};

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
    /// The managing body, the person responsible and the address in English, for the
    /// English pages (C18); empty: the Vietnamese, marked as such.
    #[serde(default)]
    pub managing_body_en: String,
    #[serde(default)]
    pub responsible_person_en: String,
    #[serde(default)]
    pub address_en: String,
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
    /// Links of the main menu besides the sections' (all of it in folders older than
    /// sections).
    #[serde(default)]
    pub menu: Vec<MenuItem>,
    /// The menu the approved sections make (`content::sections::menu`).
    #[serde(default)]
    pub sections_menu: Vec<MenuItem>,
    /// Which blocks the home page shows.
    #[serde(default)]
    pub home: HomeBlocks,
    #[serde(default)]
    pub colours: Colours,
    /// Links to state portals shown on the home page.
    #[serde(default)]
    pub portals: Vec<Link>,
    /// Banners on the home page: an image from the library and where it leads.
    #[serde(default)]
    pub banners: Vec<Banner>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HomeBlocks {
    pub featured: bool,
    pub latest: bool,
    pub categories: bool,
    pub documents: bool,
    pub procedures: bool,
    pub portals: bool,
    pub banners: bool,
}

impl Default for HomeBlocks {
    fn default() -> Self {
        HomeBlocks {
            featured: true,
            latest: true,
            categories: true,
            documents: true,
            procedures: true,
            portals: true,
            banners: true,
        }
    }
}

/// The header and menu colours, as `#rrggbb`; both carry white text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Colours {
    pub header: String,
    pub menu: String,
}

impl Default for Colours {
    fn default() -> Self {
        Colours {
            header: "#a50d22".into(),
            menu: "#0b4f8a".into(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub label: String,
    pub href: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Banner {
    /// Blob hash of an image in the library.
    pub image: String,
    pub alt: String,
    pub href: String,
}

/// `#rrggbb` as (r, g, b).
pub fn parse_colour(text: &str) -> Option<(u8, u8, u8)> {
    let hex = text.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some((byte(0)?, byte(2)?, byte(4)?))
}

/// The WCAG 2.1 contrast ratio of white text on this colour.
pub fn contrast_with_white((r, g, b): (u8, u8, u8)) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    1.05 / (luminance + 0.05)
}

/// The colour darkened by a quarter (hover and second shades).
pub fn darker((r, g, b): (u8, u8, u8)) -> String {
    let d = |c: u8| (f64::from(c) * 0.75).round() as u8;
    format!("#{:02x}{:02x}{:02x}", d(r), d(g), d(b))
}

/// The stylesheet that applies the approved colours (`/giao-dien.css`).
pub fn theme_css(colours: &Colours) -> String {
    let defaults = Colours::default();
    let header = parse_colour(&colours.header).or(parse_colour(&defaults.header));
    let menu = parse_colour(&colours.menu).or(parse_colour(&defaults.menu));
    let mut css = String::from(":root {");
    if let Some(c) = header {
        css.push_str(&format!(
            " --red: #{:02x}{:02x}{:02x}; --red-dark: {};",
            c.0,
            c.1,
            c.2,
            darker(c)
        ));
    }
    if let Some(c) = menu {
        css.push_str(&format!(
            " --blue: #{:02x}{:02x}{:02x}; --blue-dark: {};",
            c.0,
            c.1,
            c.2,
            darker(c)
        ));
    }
    css.push_str(" }\n");
    css
}

/// A field the editor of the site settings must correct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

/// What a draft of the settings must satisfy before it can be saved: the facts F5/F6
/// require, readable colours, menus and links that lead somewhere.
pub fn check(site: &SiteSettings) -> Vec<Invalid> {
    let mut out = Vec::new();
    let labels = [
        ("agency_name", "tên cơ quan"),
        ("managing_body", "cơ quan chủ quản"),
        ("responsible_person", "người chịu trách nhiệm"),
        ("address", "địa chỉ"),
        ("phone", "điện thoại"),
        ("email", "thư điện tử"),
        ("copyright", "thông tin bản quyền"),
    ];
    for missing in site.missing_required() {
        let label = labels
            .iter()
            .find(|(k, _)| *k == missing)
            .map_or(missing, |(_, l)| l);
        out.push(Invalid {
            field: missing,
            message: format!("Không được để trống {label} (bắt buộc ở chân trang theo quy định)."),
        });
    }
    for (field, value) in [
        ("header_colour", &site.colours.header),
        ("menu_colour", &site.colours.menu),
    ] {
        match parse_colour(value) {
            None => out.push(Invalid {
                field,
                message: format!("Màu “{value}” không đúng dạng #rrggbb."),
            }),
            Some(c) if contrast_with_white(c) < 4.5 => out.push(Invalid {
                field,
                message: format!(
                    "Màu {value} quá nhạt: chữ trắng trên nền này chỉ đạt độ tương phản {}:1, cần ít nhất 4,5:1.",
                    format!("{:.1}", contrast_with_white(c)).replace('.', ",")
                ),
            }),
            Some(_) => {}
        }
    }
    let good_href = |href: &str| {
        (href.starts_with('/') && !href.starts_with("//")) || href.starts_with("https://")
    };
    let mut items: Vec<&MenuItem> = site.menu.iter().collect();
    items.extend(site.menu.iter().flat_map(|m| m.children.iter()));
    if site.menu.is_empty() && site.sections_menu.is_empty() {
        out.push(Invalid {
            field: "menu",
            message: "Trình đơn chính cần ít nhất một mục.".into(),
        });
    }
    for item in items {
        if item.label.trim().is_empty() || !good_href(&item.href) {
            out.push(Invalid {
                field: "menu",
                message: format!(
                    "Mục trình đơn “{}” cần nhãn và đường dẫn bắt đầu bằng / hoặc https://.",
                    item.label
                ),
            });
        }
    }
    for link in &site.portals {
        if link.label.trim().is_empty() || !link.href.starts_with("https://") {
            out.push(Invalid {
                field: "portals",
                message: format!(
                    "Liên kết cổng “{}” cần tên và địa chỉ https://.",
                    link.label
                ),
            });
        }
    }
    for banner in &site.banners {
        if banner.alt.trim().is_empty() || !good_href(&banner.href) || banner.image.is_empty() {
            out.push(Invalid {
                field: "banners",
                message: "Mỗi băng-rôn cần ảnh trong thư viện, mô tả thay thế và đường dẫn.".into(),
            });
        }
    }
    out
}

/// A proposed change to the settings, waiting for approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub settings: SiteSettings,
    pub by: String,
    pub by_name: String,
    pub at: jiff::Timestamp,
}

const DRAFT_KEY: &str = "site_draft";

/// The live settings and the draft waiting for approval, if any, as of one read.
pub fn live_and_draft(tx: &impl Tx) -> Result<(SiteSettings, Option<Draft>), store::Error> {
    Ok((load(tx)?, draft(tx)?))
}

pub fn draft(tx: &impl Tx) -> Result<Option<Draft>, store::Error> {
    store::meta_get(tx, DRAFT_KEY)
}

/// Saves a checked draft (replacing any earlier one) and records it in the audit trail.
pub fn propose(tx: &WriteTransaction, draft: &Draft) -> Result<(), store::Error> {
    store::meta_put(tx, DRAFT_KEY, draft)?;
    crate::ops::checklist::note_look_proposed(tx, draft.at)?;
    crate::audit::append(
        tx,
        crate::audit::Event::new(&draft.by, "settings_draft_saved", KEY),
        draft.at,
    )?;
    Ok(())
}

/// Puts the draft live (the approver is recorded) and removes it, if it is the draft
/// the approver saw (saved at `seen`): a draft saved meanwhile is not approved unseen.
pub fn approve(
    tx: &WriteTransaction,
    by: &str,
    seen: jiff::Timestamp,
    now: jiff::Timestamp,
) -> Result<Option<SiteSettings>, store::Error> {
    let Some(mut draft) = draft(tx)?.filter(|d| d.at == seen) else {
        return Ok(None);
    };
    // The menu the sections make is theirs: the look's draft keeps the live one.
    draft.settings.sections_menu = load(tx)?.sections_menu;
    save_as(tx, &draft.settings, by, now)?;
    crate::store::META.remove(tx, DRAFT_KEY)?;
    Ok(Some(draft.settings))
}

/// Drops the draft, with the reason in the audit trail.
pub fn discard(
    tx: &WriteTransaction,
    by: &str,
    reason: &str,
    now: jiff::Timestamp,
) -> Result<bool, store::Error> {
    if draft(tx)?.is_none() {
        return Ok(false);
    }
    crate::store::META.remove(tx, DRAFT_KEY)?;
    crate::audit::append(
        tx,
        crate::audit::Event::new(by, "settings_draft_returned", KEY).detail(reason),
        now,
    )?;
    Ok(true)
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
    /// The main menu as shown: home, the sections', then the other links (a folder
    /// older than sections has only the last, which already starts with home).
    pub fn shown_menu(&self) -> Vec<MenuItem> {
        if self.sections_menu.is_empty() {
            return self.menu.clone();
        }
        let mut menu = vec![MenuItem {
            label: "Trang chủ".into(),
            href: "/".into(),
            children: Vec::new(),
        }];
        menu.extend(self.sections_menu.iter().cloned());
        let taken = |href: &str| menu.iter().any(|m| m.href == href);
        let extra: Vec<MenuItem> = self
            .menu
            .iter()
            .filter(|m| !taken(&m.href))
            .cloned()
            .collect();
        menu.extend(extra);
        menu
    }

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
    // Read by every page: decoded once per distinct stored value.
    static DECODED: store::Decoded<Option<Vec<u8>>, SiteSettings> = store::Decoded::new();
    let row = tables::SETTINGS.raw_get(tx, KEY)?;
    let site = DECODED.get(row, |row| match row {
        None => Ok(SiteSettings::default()),
        Some(bytes) => serde_json::from_value(tables::SETTINGS.decode_bytes(bytes)?).map_err(|e| {
            store::Error::Decode {
                table: tables::SETTINGS.name(),
                message: e.to_string(),
            }
        }),
    })?;
    Ok(site.as_ref().clone())
}

pub fn save(
    tx: &WriteTransaction,
    site: &SiteSettings,
    now: jiff::Timestamp,
) -> Result<(), store::Error> {
    save_as(tx, site, "", now)
}

/// Saves settings the program changed itself (the menu the sections make), as `by`.
pub fn save_by(
    tx: &WriteTransaction,
    site: &SiteSettings,
    by: &str,
    now: jiff::Timestamp,
) -> Result<(), store::Error> {
    save_as(tx, site, by, now)
}

fn save_as(
    tx: &WriteTransaction,
    site: &SiteSettings,
    by: &str,
    now: jiff::Timestamp,
) -> Result<(), store::Error> {
    let value = serde_json::to_value(site).map_err(|e| store::Error::Decode {
        table: tables::SETTINGS.name(),
        message: e.to_string(),
    })?;
    tables::SETTINGS.insert(tx, KEY, &value)?;
    // Settings changed here, by the program, are the approved ones; a change made any
    // other way is what the integrity check reports.
    crate::integrity::approve_settings(tx, if by.is_empty() { "settings" } else { by }, now)?;
    crate::audit::append(
        tx,
        crate::audit::Event::new(by, "settings_changed", KEY).detail(&site.agency_name),
        now,
    )?;
    Ok(())
}

/// The site's settings.
pub mod tables {
    use crate::store::Table;

    /// Site-wide settings by name (`site` holds the identity, menu and footer facts).
    pub const SETTINGS: Table<&str, serde_json::Value> = Table::new("settings_v1");
}

/// A change to the site's look waiting for the Board head's approval.
pub fn waiting_for(
    tx: &impl Tx,
    actor: &crate::workflow::Actor,
) -> Result<Vec<crate::inbox::Waiting>, store::Error> {
    if !actor.has(crate::workflow::Role::BoardHead) || draft(tx)?.is_none() {
        return Ok(Vec::new());
    }
    Ok(vec![crate::inbox::Waiting::new(
        "/quan-tri/giao-dien",
        "Thay đổi giao diện chờ duyệt",
        "Bản nháp giao diện trang".to_string(),
        "/quan-tri/giao-dien".to_string(),
    )])
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

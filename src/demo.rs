//! Demo content for a first run: a realistic Department of Science and Technology site
//! (identity, news sections, news with images and PDF attachments, the standing pages,
//! every register, and one account per role), read from `assets/demo/` and seeded only
//! into a new data folder with `demo = true`. It fills the default section tree and
//! goes through the same commands editors use: each entry is written, submitted,
//! forwarded, approved and published by the demo's people. Nothing outside this module
//! knows demo data.

use jiff::Timestamp;
use rust_embed::RustEmbed;
use serde::Deserialize;

use jiff::civil::Date;
use redb::WriteTransaction;

use crate::auth::bootstrap::Made;
use crate::auth::{
    self, Grant, NewUser, Unit, create_unit, create_user, grant_delegation, password,
};
use crate::content::editorial::{self, StepRequest};
use crate::content::{self, Attachment, Category, Entry, Fields, Image, Kind, NewEntry};
use crate::site::{self, SiteSettings};
use crate::store;
#[cfg(test)]
use crate::store::Store;
use crate::workflow::Actor;
use crate::workflow::{Action, Role};

/// The default tree's section the demo's news sections go under.
const DEMO_NEWS_PARENT: &str = "tin-tuc-su-kien";
/// The default tree's section of the standing pages.
const DEMO_PAGES_SECTION: &str = "gioi-thieu";

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/assets/demo"]
struct DemoFiles;

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
fn seed_people(
    tx: &WriteTransaction,
    today: Date,
    now: Timestamp,
) -> Result<Vec<Made>, auth::Error> {
    let units: Vec<Unit> = DEMO_UNITS
        .iter()
        .map(|name| create_unit(tx, name))
        .collect::<Result<_, _>>()?;
    let mut made = Vec::new();
    let mut people = Vec::new();
    for (login, name, roles, unit) in DEMO_PEOPLE {
        let password = password::generate()?;
        let hash = password::hash(&password).map_err(auth::Error::Hash)?;
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

/// The demo's editors, who take every demo entry through the workflow as the people
/// of an agency do: the Division writes, submits and forwards it, the Board head
/// approves it, the Centre publishes it. So demo content carries its approvals and its
/// history like any other.
struct Editors {
    writer: Actor,
    head: Actor,
    publisher: Actor,
    queue: std::cell::RefCell<Vec<(Timestamp, NewEntry, Fields)>>,
}

impl Editors {
    fn of(tx: &WriteTransaction) -> Result<Editors, Error> {
        let actor = |login: &str| -> Result<Actor, Error> {
            let user = auth::find_by_login(tx, login)?
                .ok_or_else(|| Error::Parse(format!("no demo account {login}")))?;
            Ok(auth::actor(tx, &user)?)
        };
        Ok(Editors {
            writer: actor("tonghop")?,
            head: actor("truongban")?,
            publisher: actor("xuatban")?,
            queue: Default::default(),
        })
    }

    /// Queues `fields` as an entry to publish at `at`.
    fn queue(&self, new: NewEntry, fields: Fields, at: Timestamp) {
        self.queue.borrow_mut().push((at, new, fields));
    }

    /// Writes each queued entry and takes it to publication now, oldest first, then
    /// dates it as first published when the demo says (as an import of an old site
    /// does), so the audit trail records what happened when it happened.
    fn flush(&self, tx: &WriteTransaction, now: Timestamp) -> Result<(), Error> {
        let mut queue = self.queue.take();
        queue.sort_by_key(|(at, _, _)| *at);
        for (at, new, fields) in queue {
            let entry = self.write_and_publish(tx, new, fields, now)?;
            content::set_first_published(tx, entry.id, at, &self.publisher.login, now)?;
        }
        Ok(())
    }

    fn write_and_publish(
        &self,
        tx: &WriteTransaction,
        new: NewEntry,
        fields: Fields,
        at: Timestamp,
    ) -> Result<Entry, Error> {
        let today = at.to_zoned_datetime(crate::format::vietnam()).date();
        let draft = editorial::Draft {
            kind: Some(new.kind),
            slug: new.slug,
            category: new.category,
            featured: new.featured,
            title: fields.title,
            summary: fields.summary,
            body_html: fields.body_html,
            author: fields.author,
            source: fields.source,
            source_date: fields
                .source_date
                .map(|d| d.to_string())
                .unwrap_or_default(),
            cover_alt: fields
                .cover
                .as_ref()
                .map(|c| c.alt.clone())
                .unwrap_or_default(),
            cover: fields.cover.map(|c| c.blob),
            attachments: fields.attachments.into_iter().map(|a| a.blob).collect(),
            legal: fields.legal,
            procedure: fields.procedure,
            record: fields.record,
            schedule: fields.schedule.map(Ok),
            keywords: Some(fields.keywords),
            parent: Some(fields.parent),
        };
        let entry = editorial::create_entry(tx, &self.writer, draft, at)?;
        for (actor, action) in [
            (&self.writer, Action::Submit),
            (&self.writer, Action::Forward),
            (&self.head, Action::Approve),
            (&self.publisher, Action::Publish),
        ] {
            let step = StepRequest {
                action,
                comment: String::new(),
                schedule_for: None,
                seen: None,
            };
            editorial::step(tx, actor, entry.id, step, today, at)?;
        }
        Ok(entry)
    }
}

/// Fills a new data folder with the demo: the default tree, the demo's identity and
/// news sections, its accounts (returned, to print once), and its content, each entry
/// through the workflow.
pub fn seed(
    tx: &WriteTransaction,
    blobs: &store::Blobs,
    demo: &Demo,
    kinds: &Kinds,
    now: Timestamp,
) -> Result<Vec<Made>, Error> {
    content::sections::seed_default(tx, now)?;
    let today = now.to_zoned_datetime(crate::format::vietnam()).date();
    let accounts = seed_people(tx, today, now)?;
    let editors = Editors::of(tx)?;
    seed_site(tx, &editors, blobs, demo, now)?;
    seed_kinds(tx, &editors, blobs, kinds, now)?;
    editors.flush(tx, now)?;
    Ok(accounts)
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("demo.toml: {0}")]
    Parse(String),
    #[error("demo file {0} is missing")]
    MissingFile(String),
    #[error(transparent)]
    Content(#[from] content::Error),
    #[error("demo accounts: {0}")]
    Auth(#[from] auth::Error),
    #[error(transparent)]
    Store(#[from] store::Error),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Demo {
    site: SiteSettings,
    categories: Vec<DemoCategory>,
    articles: Vec<DemoEntry>,
    pages: Vec<DemoEntry>,
    #[serde(default)]
    english_pages: Vec<DemoEntry>,
}

/// `kinds.toml`: the structured kinds. Only what the code knows is read; the rest of
/// the file waits for the kinds that are not built yet.
#[derive(Debug, Deserialize)]
pub struct Kinds {
    legal_documents: Vec<DemoLegal>,
    procedures: Vec<DemoProcedure>,
    tasks: Vec<toml::Table>,
    plans: Vec<toml::Table>,
    projects: Vec<toml::Table>,
    magazines: Vec<toml::Table>,
    people: Vec<toml::Table>,
    consultations: Vec<toml::Table>,
    schedule: Vec<DemoScheduleItem>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoScheduleItem {
    date: jiff::civil::Date,
    time: jiff::civil::Time,
    leaders: Vec<String>,
    content: String,
    venue: String,
    #[serde(default)]
    attendees: String,
}

/// The schedule, one published entry per week.
fn seed_schedule(editors: &Editors, items: &[DemoScheduleItem], now: Timestamp) {
    use crate::content::schedule::{Item, Week, monday_of};
    let mut weeks: std::collections::BTreeMap<jiff::civil::Date, Vec<Item>> = Default::default();
    for i in items {
        weeks.entry(monday_of(i.date)).or_default().push(Item {
            date: i.date,
            time: i.time,
            leaders: i.leaders.clone(),
            content: i.content.clone(),
            venue: i.venue.clone(),
            attendees: i.attendees.clone(),
        });
    }
    for (start, mut items) in weeks {
        items.sort_by_key(|i| (i.date, i.time));
        let title = crate::content::schedule::week_title(start);
        let fields = Fields {
            title: title.clone(),
            schedule: Some(Week { start, items }),
            ..Fields::default()
        };
        let new = NewEntry {
            kind: Kind::ScheduleWeek,
            slug: format!("tuan-{start}"),
            category: None,
            unit: None,
            featured: false,
        };
        editors.queue(new, fields, now);
    }
}

/// A described kind's demo entry: which TOML keys give the title, the files and the
/// cover; every other key that the kind declares becomes a field.
struct Shape {
    kind: Kind,
    title: &'static str,
    files: &'static [&'static str],
    cover: Option<(&'static str, &'static str)>,
    /// TOML key → field key, where they differ.
    renames: &'static [(&'static str, &'static str)],
}

const SHAPES: &[(&str, Shape)] = &[
    (
        "tasks",
        Shape {
            kind: Kind::Task,
            title: "name",
            files: &["reports"],
            cover: None,
            renames: &[],
        },
    ),
    (
        "plans",
        Shape {
            kind: Kind::Plan,
            title: "title",
            files: &["files"],
            cover: None,
            renames: &[],
        },
    ),
    (
        "projects",
        Shape {
            kind: Kind::Project,
            title: "name",
            files: &["files"],
            cover: None,
            renames: &[],
        },
    ),
    (
        "magazines",
        Shape {
            kind: Kind::Magazine,
            title: "title",
            files: &["pdf"],
            cover: Some(("cover", "cover_alt")),
            renames: &[],
        },
    ),
    (
        "consultations",
        Shape {
            kind: Kind::Consultation,
            title: "title",
            files: &["files"],
            cover: None,
            renames: &[],
        },
    ),
    (
        "people",
        Shape {
            kind: Kind::Person,
            title: "name",
            files: &[],
            cover: Some(("photo", "photo_alt")),
            renames: &[("title", "position")],
        },
    ),
];

fn text_of(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(n) => n.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join("\n"),
        other => other.to_string(),
    }
}

fn seed_records(
    tx: &redb::WriteTransaction,
    editors: &Editors,
    blobs: &store::Blobs,
    shape: &Shape,
    rows: &[toml::Table],
    now: Timestamp,
) -> Result<(), Error> {
    let spec = crate::content::record::spec(shape.kind)
        .ok_or_else(|| Error::Parse(format!("no spec for {}", shape.kind.as_str())))?;
    for row in rows {
        let get = |key: &str| row.get(key).map(text_of).unwrap_or_default();
        let mut attachments = Vec::new();
        for key in shape.files {
            let names: Vec<String> = match row.get(*key) {
                Some(toml::Value::Array(items)) => items.iter().map(text_of).collect(),
                Some(value) => vec![text_of(value)],
                None => Vec::new(),
            };
            for name in names.into_iter().filter(|n| !n.is_empty()) {
                let meta = put_file(tx, blobs, &format!("kinds/{name}"), now)?;
                attachments.push(Attachment {
                    blob: meta.hash,
                    name,
                    size: meta.size,
                    content_type: meta.content_type,
                });
            }
        }
        let cover = match shape.cover {
            Some((file, alt)) if !get(file).is_empty() => {
                let meta = put_image(tx, blobs, &format!("kinds/{}", get(file)), &get(alt), now)?;
                Some(Image {
                    blob: meta.hash,
                    alt: get(alt),
                    variants: Vec::new(),
                    width: 0,
                })
            }
            _ => None,
        };
        let mut record = crate::content::record::Record::new();
        for (key, value) in row {
            let field = shape
                .renames
                .iter()
                .find(|(from, _)| from == key)
                .map_or(key.as_str(), |(_, to)| to);
            if spec.fields.iter().any(|f| f.key == field) {
                record.insert(field.to_string(), text_of(value));
            }
        }
        let body = get("body");
        let fields = Fields {
            title: get(shape.title),
            body_html: body
                .split("\n\n")
                .filter(|p| !p.trim().is_empty())
                .map(|p| format!("<p>{}</p>", p.trim()))
                .collect(),
            cover,
            attachments,
            record,
            ..Fields::default()
        };
        let new = NewEntry {
            kind: shape.kind,
            slug: match get("slug") {
                s if s.is_empty() => crate::content::slug::slugify(&get(shape.title)),
                s => s,
            },
            category: None,
            unit: None,
            featured: false,
        };
        editors.queue(new, fields, now);
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoProcedure {
    slug: String,
    code: String,
    name: String,
    field: String,
    level: String,
    steps: String,
    submission: String,
    dossier: String,
    processing_time: String,
    fees: String,
    applicants: String,
    implementing_body: String,
    result: String,
    #[serde(default)]
    legal_basis: Vec<String>,
    #[serde(default)]
    forms: Vec<String>,
    portal_url: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoLegal {
    slug: String,
    doc_type: String,
    number: String,
    issuer: String,
    #[serde(default)]
    signer: String,
    issued: jiff::civil::Date,
    effective: jiff::civil::Date,
    #[serde(default)]
    expires: Option<jiff::civil::Date>,
    #[serde(default)]
    status: Option<String>,
    field: String,
    summary: String,
    files: Vec<String>,
    #[serde(default)]
    replaces: Vec<String>,
    #[serde(default)]
    amends: Vec<String>,
    #[serde(default)]
    guides: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoCategory {
    slug: String,
    name: String,
    description: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoEntry {
    slug: String,
    #[serde(default)]
    category: Option<String>,
    title: String,
    summary: String,
    #[serde(default)]
    author: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    published: Option<Timestamp>,
    #[serde(default)]
    featured: bool,
    #[serde(default)]
    cover: Option<String>,
    #[serde(default)]
    cover_alt: Option<String>,
    #[serde(default)]
    attachments: Vec<String>,
    body: String,
}

pub fn load_kinds() -> Result<Kinds, Error> {
    let file =
        DemoFiles::get("kinds.toml").ok_or_else(|| Error::MissingFile("kinds.toml".into()))?;
    let text = String::from_utf8_lossy(&file.data);
    toml::from_str(&text).map_err(|e| Error::Parse(format!("kinds.toml: {e}")))
}

/// The legal documents, published with their full-text files.
fn seed_kinds(
    tx: &redb::WriteTransaction,
    editors: &Editors,
    blobs: &store::Blobs,
    kinds: &Kinds,
    now: Timestamp,
) -> Result<(), Error> {
    for d in &kinds.legal_documents {
        let mut attachments = Vec::new();
        for name in &d.files {
            let meta = put_file(tx, blobs, &format!("kinds/{name}"), now)?;
            attachments.push(Attachment {
                blob: meta.hash,
                name: name.clone(),
                size: meta.size,
                content_type: meta.content_type,
            });
        }
        let legal = crate::content::legal::LegalDoc {
            doc_type: d.doc_type.clone(),
            number: d.number.clone(),
            issuer: d.issuer.clone(),
            signer: d.signer.clone(),
            issued: d.issued,
            effective: d.effective,
            expires: d.expires,
            status: d
                .status
                .as_deref()
                .and_then(crate::content::legal::Validity::parse),
            field: d.field.clone(),
            replaces: d.replaces.clone(),
            amends: d.amends.clone(),
            guides: d.guides.clone(),
        };
        let fields = Fields {
            title: d.summary.clone(),
            attachments,
            legal: Some(legal),
            ..Fields::default()
        };
        let new = NewEntry {
            kind: Kind::LegalDocument,
            slug: d.slug.clone(),
            category: None,
            unit: None,
            featured: false,
        };
        // A document is published as of its issue date (noon, Vietnam time).
        let at = d
            .issued
            .at(12, 0, 0, 0)
            .to_zoned_datetime(crate::format::vietnam())
            .map_or(now, |z| z.timestamp());
        editors.queue(new, fields, at);
    }
    for p in &kinds.procedures {
        let mut attachments = Vec::new();
        for name in &p.forms {
            let meta = put_file(tx, blobs, &format!("kinds/{name}"), now)?;
            attachments.push(Attachment {
                blob: meta.hash,
                name: name.clone(),
                size: meta.size,
                content_type: meta.content_type,
            });
        }
        let procedure = crate::content::procedure::Procedure {
            code: p.code.clone(),
            field: p.field.clone(),
            level: p.level.clone(),
            steps_html: crate::content::sanitize::clean(&p.steps),
            submission: p.submission.clone(),
            dossier_html: crate::content::sanitize::clean(&p.dossier),
            processing_time: p.processing_time.clone(),
            fees: p.fees.clone(),
            applicants: p.applicants.clone(),
            implementing_body: p.implementing_body.clone(),
            result: p.result.clone(),
            legal_basis: p.legal_basis.clone(),
            portal_url: p.portal_url.clone(),
        };
        let fields = Fields {
            title: p.name.clone(),
            attachments,
            procedure: Some(procedure),
            ..Fields::default()
        };
        let new = NewEntry {
            kind: Kind::Procedure,
            slug: p.slug.clone(),
            category: None,
            unit: None,
            featured: false,
        };
        editors.queue(new, fields, now);
    }
    for (table, shape) in SHAPES {
        let rows = match *table {
            "tasks" => &kinds.tasks,
            "plans" => &kinds.plans,
            "projects" => &kinds.projects,
            "magazines" => &kinds.magazines,
            "consultations" => &kinds.consultations,
            "people" => &kinds.people,
            other => return Err(Error::Parse(format!("kinds.toml has no table {other}"))),
        };
        seed_records(tx, editors, blobs, shape, rows, now)?;
    }
    seed_schedule(editors, &kinds.schedule, now);
    Ok(())
}

/// The parsed demo content.
pub fn load() -> Result<Demo, Error> {
    let file = DemoFiles::get("demo.toml").ok_or_else(|| Error::MissingFile("demo.toml".into()))?;
    let text = String::from_utf8_lossy(&file.data);
    toml::from_str(&text).map_err(|e| Error::Parse(e.to_string()))
}

/// Seeds everything inside the caller's write transaction.
fn seed_site(
    tx: &redb::WriteTransaction,
    editors: &Editors,
    blobs: &store::Blobs,
    demo: &Demo,
    now: Timestamp,
) -> Result<(), Error> {
    {
        site::save(tx, &demo.site, now)?;
        // The demo's news sections go under the default tree's news heading.
        for (order, c) in demo.categories.iter().enumerate() {
            let mut section = Category::new(&c.slug, &c.name);
            section.description.clone_from(&c.description);
            section.parent = Some(DEMO_NEWS_PARENT.to_string());
            // A section the default tree has keeps its place; the others follow the
            // first news section.
            section.order = match content::category(tx, &c.slug)? {
                Some(existing) => existing.order,
                None => 1 + order as u32,
            };
            section.in_menu = true;
            section.retention_years = Some(5);
            content::put_category(tx, &section, now)?;
        }
        content::sections::refresh_menu(tx, "", now)?;
        let entries = demo
            .articles
            .iter()
            .map(|e| (Kind::Article, e))
            .chain(demo.pages.iter().map(|e| (Kind::Page, e)))
            .chain(demo.english_pages.iter().map(|e| (Kind::EnglishPage, e)));
        for (kind, e) in entries {
            let published = e.published.unwrap_or(now);
            let cover = match (&e.cover, &e.cover_alt) {
                (Some(name), alt) => {
                    let meta = put_image(tx, blobs, name, alt.as_deref().unwrap_or(""), published)?;
                    Some(Image {
                        blob: meta.hash,
                        alt: alt.clone().unwrap_or_default(),
                        variants: Vec::new(),
                        width: 0,
                    })
                }
                (None, _) => None,
            };
            let mut attachments = Vec::new();
            for name in &e.attachments {
                let meta = put_file(tx, blobs, name, published)?;
                attachments.push(Attachment {
                    blob: meta.hash,
                    name: name.clone(),
                    size: meta.size,
                    content_type: meta.content_type,
                });
            }
            let fields = Fields {
                title: e.title.clone(),
                summary: e.summary.clone(),
                body_html: e.body.clone(),
                author: e.author.clone(),
                source: e.source.clone(),
                source_date: None,
                cover,
                attachments,
                category: None,
                featured: false,
                legal: None,
                procedure: None,
                record: Default::default(),
                schedule: None,
                keywords: Vec::new(),
                parent: None,
            };
            let category = match kind {
                // The standing pages make up the default tree's introduction.
                Kind::Page => e
                    .category
                    .clone()
                    .or_else(|| Some(DEMO_PAGES_SECTION.to_string())),
                _ => e.category.clone(),
            };
            let new = NewEntry {
                kind,
                slug: e.slug.clone(),
                category,
                unit: None,
                featured: e.featured,
            };
            editors.queue(new, fields, published);
        }
        Ok(())
    }
}

/// A demo image, with its alt text in the library as an upload has it.
fn put_image(
    tx: &redb::WriteTransaction,
    blobs: &store::Blobs,
    name: &str,
    alt: &str,
    now: Timestamp,
) -> Result<store::BlobMeta, Error> {
    let mut meta = put_file(tx, blobs, name, now)?;
    if meta.alt.trim().is_empty() && !alt.trim().is_empty() {
        meta.alt = alt.trim().to_string();
        store::BLOBS.insert(tx, meta.hash.as_str(), &meta)?;
    }
    Ok(meta)
}

fn put_file(
    tx: &redb::WriteTransaction,
    blobs: &store::Blobs,
    name: &str,
    now: Timestamp,
) -> Result<store::BlobMeta, Error> {
    let path = format!("media/{name}");
    let file = DemoFiles::get(&path).ok_or_else(|| Error::MissingFile(path.clone()))?;
    let name = name.rsplit('/').next().unwrap_or(name);
    let content_type = mime_guess::from_path(name)
        .first_or_octet_stream()
        .to_string();
    Ok(content::put_blob(
        tx,
        blobs,
        &file.data,
        &content_type,
        name,
        "demo",
        now,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_is_a_complete_site() {
        let demo = load().unwrap();
        assert!(demo.site.missing_required().is_empty());
        assert!(demo.articles.len() >= 20);
        for page in [
            "gioi-thieu",
            "chuc-nang-nhiem-vu",
            "co-cau-to-chuc",
            "lanh-dao",
        ] {
            assert!(demo.pages.iter().any(|p| p.slug == page), "no page {page}");
        }
        let mut site = demo.site.clone();
        site.sections_menu = content::sections::menu(&content::sections::default_tree().unwrap());
        let menu = site.shown_menu();
        let labels: Vec<&str> = menu.iter().map(|m| m.label.as_str()).collect();
        for label in [
            "Trang chủ",
            "Giới thiệu",
            "Tin tức – Sự kiện",
            "Văn bản",
            "Thủ tục hành chính",
            "Sơ đồ trang",
        ] {
            assert!(labels.contains(&label), "menu lacks {label}");
        }
        for e in demo.articles.iter().chain(&demo.pages) {
            if e.cover.is_some() {
                assert!(
                    e.cover_alt.as_deref().is_some_and(|a| !a.trim().is_empty()),
                    "{} lacks alt text",
                    e.slug
                );
            }
        }
    }

    #[test]
    fn seeding_publishes_everything_in_one_go() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let demo = load().unwrap();
        let blobs = store.blobs.clone();
        let kinds = load_kinds().unwrap();
        let accounts = store
            .write_blocking(|tx| seed(tx, &blobs, &demo, &kinds, Timestamp::now()))
            .unwrap();
        assert!(accounts.iter().any(|a| a.login == "truongban"));
        let news = store
            .read_blocking(|tx| {
                content::list_published(tx, content::List::Kind(Kind::Article), 1, 100)
            })
            .unwrap();
        assert_eq!(news.total, demo.articles.len());
        // Each went through the workflow: approved by the Board head, published by the
        // Centre, like an editor's.
        for entry in store.read_blocking(editorial::all_entries).unwrap() {
            let events = store
                .read_blocking(|tx| editorial::events(tx, entry.id))
                .unwrap();
            let actions: Vec<Action> = events.iter().map(|e| e.action).collect();
            assert!(
                actions.contains(&Action::Approve) && actions.contains(&Action::Publish),
                "{}: {actions:?}",
                entry.slug
            );
            assert!(entry.live_approval.is_some(), "{}", entry.slug);
        }
        // The trail reads forward in time.
        let trail = store
            .read_blocking(|tx| crate::audit::tables::AUDIT.values(tx))
            .unwrap();
        for pair in trail.windows(2) {
            assert!(pair[0].at <= pair[1].at, "{:?} then {:?}", pair[0], pair[1]);
        }
    }
}

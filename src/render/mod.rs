//! Templates: minijinja over `assets/templates`, in strict-undefined mode so a typo is
//! an error rather than an empty string. Release builds embed the templates; debug
//! builds read them from disk and reload them when they change.

pub mod qr;
pub mod views;

use std::sync::Arc;

use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior};
use rust_embed::RustEmbed;
use serde::Serialize;

use crate::http::assets::StaticAssets;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/assets/templates"]
pub struct Templates;

#[derive(Debug, thiserror::Error)]
#[error("template {template}: {source}")]
pub struct Error {
    template: String,
    #[source]
    source: minijinja::Error,
}

pub struct Renderer {
    env: Environment<'static>,
    /// The archive notice every page shows while the site is archived (`site_archive`
    /// in the templates); `None` otherwise.
    banner: std::sync::RwLock<Option<minijinja::Value>>,
}

/// What the archive notice says: since when the site is not updated, and where its work
/// goes on.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ArchiveBanner {
    /// The last day of updates, as people write it (dd/mm/yyyy).
    pub since: String,
    pub successor: Option<String>,
}

/// `{{ html|scroll_tables|safe }}`: each table of sanitised HTML (an article's body)
/// in a box of its own that scrolls sideways on a phone and can be reached by the
/// keyboard, instead of widening the page.
fn scroll_tables(html: String) -> String {
    html.replace(
        "<table",
        "<div class=\"table-scroll\" tabindex=\"0\" role=\"group\" aria-label=\"Bảng, có thể cuộn ngang\"><table",
    )
    .replace("</table>", "</table></div>")
}

/// `{{ csrf_field() }}`: the hidden CSRF input every admin form carries, from
/// `layout.csrf` (signed-in pages) or `csrf` (the login pages, before a session).
fn csrf_field(state: &minijinja::State) -> Result<minijinja::Value, minijinja::Error> {
    let token = state
        .lookup("layout")
        .and_then(|layout| layout.get_attr("csrf").ok())
        .filter(|v| !v.is_undefined())
        .or_else(|| state.lookup("csrf"))
        .and_then(|v| v.as_str().map(str::to_string))
        .ok_or_else(|| {
            minijinja::Error::new(
                minijinja::ErrorKind::UndefinedError,
                "csrf_field() needs layout.csrf or csrf",
            )
        })?;
    // Tokens are hex; escaping keeps that an assumption, not a risk.
    let token = token
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;");
    Ok(minijinja::Value::from_safe_string(format!(
        r#"<input type="hidden" name="csrf" value="{token}">"#
    )))
}

impl Renderer {
    pub fn new(assets: Arc<StaticAssets>) -> Result<Renderer, Error> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        #[cfg(debug_assertions)]
        {
            env.set_loader(minijinja::path_loader(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/assets/templates"
            )));
            env.set_auto_reload(true);
        }
        // The release binary compiles every template at start: the first visitor of a
        // page does not wait for its templates to be parsed (a few milliseconds for
        // the home page's), and a template that does not parse stops the start.
        #[cfg(not(debug_assertions))]
        for name in Templates::iter() {
            let Some(file) = Templates::get(&name) else {
                continue;
            };
            let source = String::from_utf8_lossy(&file.data).into_owned();
            env.add_template_owned(name.to_string(), source)
                .map_err(|source| Error {
                    template: name.to_string(),
                    source,
                })?;
        }
        env.set_formatter(escape_html_text);
        env.add_function(
            "asset",
            move |path: &str| -> Result<String, minijinja::Error> {
                assets.url(path).ok_or_else(|| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("no static asset {path}"),
                    )
                })
            },
        );
        env.add_function("csrf_field", csrf_field);
        env.add_filter("scroll_tables", scroll_tables);
        // "200.000 văn bản": thousands grouped with dots, as Vietnamese writes them.
        // Anything else (undefined in a frame-only render) prints as it would unfiltered.
        env.add_filter("count", |n: minijinja::Value| match n.as_usize() {
            Some(n) => crate::format::count(n),
            None => n.to_string(),
        });
        Ok(Renderer {
            env,
            banner: std::sync::RwLock::new(None),
        })
    }

    pub fn render(&self, template: &str, view: &impl Serialize) -> Result<String, Error> {
        let error = |source| Error {
            template: template.to_string(),
            source,
        };
        let template = self.env.get_template(template).map_err(error)?;
        let banner = self
            .banner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        match banner {
            None => template.render(Serde(view)),
            Some(site_archive) => template.render(minijinja::context! {
                site_archive,
                ..minijinja::Value::from(Serde(view))
            }),
        }
        .map_err(error)
    }

    /// Shows (or, with `None`, takes away) the archive notice on every page rendered
    /// from now on.
    pub fn set_banner(&self, banner: Option<ArchiveBanner>) {
        *self
            .banner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            banner.map(|b| minijinja::Value::from(Serde(b)));
    }

    /// Every template name, for the test that renders them all.
    pub fn template_names() -> Vec<String> {
        Templates::iter()
            .map(std::borrow::Cow::into_owned)
            .collect()
    }
}

/// HTML-escapes strings like minijinja's default, minus its escaping of `/`, which
/// is legal in HTML and only bloats every URL on a page.
fn escape_html_text(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    let html = matches!(state.auto_escape(), minijinja::AutoEscape::Html);
    match value.as_str() {
        Some(text) if html && !value.is_safe() => {
            let mut escaped = String::with_capacity(text.len() + 8);
            for c in text.chars() {
                match c {
                    '&' => escaped.push_str("&amp;"),
                    '<' => escaped.push_str("&lt;"),
                    '>' => escaped.push_str("&gt;"),
                    '"' => escaped.push_str("&quot;"),
                    '\'' => escaped.push_str("&#x27;"),
                    c => escaped.push(c),
                }
            }
            out.write_str(&escaped).map_err(minijinja::Error::from)
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

#[cfg(test)]
mod tests {
    use super::views::*;
    use super::*;
    use crate::content::{
        Attachment, Entry, EntryId, Fields, Image, Kind, PageOf, Published, Revision, RevisionId,
        State,
    };
    use crate::site::{MenuItem, SiteSettings};
    use crate::store::BlobHash;

    fn site() -> SiteSettings {
        SiteSettings {
            agency_name: "Sở Khoa học và Công nghệ tỉnh Gia Lai".into(),
            managing_body: "Ủy ban nhân dân tỉnh Gia Lai".into(),
            responsible_person: "Giám đốc Sở".into(),
            address: "Quy Nhơn".into(),
            phone: "0256 3822 000".into(),
            email: "sokhcn@example.gov.vn".into(),
            copyright: "© 2026".into(),
            menu: vec![MenuItem {
                label: "Tin tức".into(),
                href: "/tin-tuc".into(),
                children: vec![MenuItem {
                    label: "Tin hoạt động".into(),
                    href: "/chuyen-muc/tin".into(),
                    children: vec![],
                }],
            }],
            ..SiteSettings::default()
        }
    }

    fn published() -> Published {
        let now = jiff::Timestamp::from_second(1_790_000_000).unwrap();
        let blob = BlobHash::of(b"x");
        Published {
            entry: Entry {
                id: EntryId(1),
                kind: Kind::Article,
                slug: "hoi-thao".into(),
                category: Some("tin".into()),
                unit: None,
                created_by: None,
                approval: None,
                live_approval: None,
                scheduled_for: None,
                state: State::Published,
                working: RevisionId(1),
                published: Some(RevisionId(1)),
                featured: true,
                created_at: now,
                updated_at: now,
                published_at: Some(now),
                reviewed_at: None,
            },
            revision: Revision {
                id: RevisionId(1),
                entry: EntryId(1),
                parent: None,
                saved_by: "demo".into(),
                created_at: now,
                hash: String::new(),
                fields: Fields {
                    title: "Hội thảo <chuyển đổi số>".into(),
                    summary: "Tóm tắt".into(),
                    body_html: "<p>Nội dung</p>".into(),
                    author: "Minh Thư".into(),
                    source: "Phòng Quản lý chuyên ngành".into(),
                    source_date: None,
                    cover: Some(Image {
                        blob: blob.clone(),
                        alt: "Ảnh hội thảo".into(),
                        variants: vec![],
                        width: 0,
                    }),
                    category: None,
                    featured: false,
                    legal: None,
                    procedure: None,
                    record: Default::default(),
                    schedule: None,
                    keywords: Vec::new(),
                    parent: None,
                    attachments: vec![Attachment {
                        blob,
                        name: "ke-hoach.pdf".into(),
                        size: 2048,
                        content_type: "application/pdf".into(),
                    }],
                },
            },
        }
    }

    fn renderer() -> Renderer {
        Renderer::new(Arc::new(StaticAssets::load())).unwrap()
    }

    fn samples() -> Vec<(&'static str, String)> {
        let r = renderer();
        let site = site();
        let p = published();
        let categories = vec![crate::content::Category::new("tin", "Tin hoạt động")];
        let card = Card::new(&p, &categories);
        let list = PageOf {
            items: vec![p.clone()],
            page: 2,
            per_page: 1,
            total: 3,
        };
        let layout = |title: &str| Layout::new(&site, "https://example.gov.vn", title, "/tin-tuc");
        let error = |status: u16| ErrorView {
            layout: layout("Lỗi"),
            status,
            heading: "Lỗi".into(),
            message: "Thông báo".into(),
            request_id: Some("abc123".into()),
        };
        vec![
            (
                "public/home.html",
                r.render(
                    "public/home.html",
                    &HomeView {
                        layout: layout("Trang chủ").with_site_dublin_core(None),
                        featured: vec![card.clone()],
                        latest: vec![card.clone()],
                        sections: vec![Section {
                            category: Link::category(&categories[0]),
                            items: vec![card.clone()],
                        }],
                        documents: vec![card.clone()],
                        procedures: vec![card.clone()],
                        banners: vec![views::BannerView {
                            src: "/tep/a/b.jpg".into(),
                            alt: "Băng-rôn".into(),
                            href: "/".into(),
                        }],
                    },
                )
                .unwrap(),
            ),
            (
                "public/list.html",
                r.render(
                    "public/list.html",
                    &ListView {
                        layout: layout("Tin tức"),
                        heading: "Tin tức".into(),
                        description: "Mô tả".into(),
                        items: vec![card.clone()],
                        pagination: Pagination::new("/tin-tuc", &list),
                        feed: "/rss/tin-tuc.xml".into(),
                        categories: vec![Link::category(&categories[0])],
                        parent: None,
                        children: Vec::new(),
                        archive: Some(Link {
                            url: "/luu-tru/tin".into(),
                            label: "Lưu trữ".into(),
                        }),
                    },
                )
                .unwrap(),
            ),
            (
                "public/entry.html",
                r.render(
                    "public/entry.html",
                    &EntryView {
                        layout: layout("Hội thảo").with_entry_dublin_core(&p, categories.first()),
                        entry: EntryPage::new(&p, categories.first()),
                        related: vec![card.clone()],
                        preview: true,
                        legal: Some(LegalView {
                            heading: "Quyết định 242/QĐ-SKHCN".into(),
                            rows: vec![Row { label: "Số, ký hiệu", value: "242/QĐ-SKHCN".into() }],
                            status: "Bị thay thế",
                            warns: true,
                            replaced_by: vec![Link { label: "468/QĐ-SKHCN".into(), url: "/van-ban/b".into() }],
                            relations: vec![RelationGroup {
                                label: "Bị thay thế bởi",
                                links: vec![Link { label: "468/QĐ-SKHCN".into(), url: "/van-ban/b".into() }],
                            }],
                        }),
                        procedure: Some(ProcedureView {
                            rows: vec![Row { label: "Mã thủ tục", value: "1.002246".into() }],
                            steps_html: "<ol><li>Nộp hồ sơ</li></ol>".into(),
                            dossier_html: "<ul><li>Phiếu</li></ul>".into(),
                            legal_basis: vec![Link { label: "Luật".into(), url: "/van-ban/a".into() }],
                            portal_url: "https://dichvucong.gov.vn".into(),
                        }),
                        record: Some(RecordView {
                            rows: vec![Row { label: "Chủ nhiệm", value: "ThS. Võ Thị Kim Oanh".into() }],
                            files_label: "Báo cáo kết quả",
                        }),
                        consultation: Some(views::ConsultationView {
                            open: true,
                            window: "Đang lấy ý kiến đến hết ngày 30/12/2026.".into(),
                            form_url: "/lay-y-kien/a/gop-y".into(),
                            comments: vec![views::CommentView {
                                who: "Người góp ý".into(),
                                at: "01/12/2026".into(),
                                text: "Đồng ý.".into(),
                            }],
                        }),
                    },
                )
                .unwrap(),
            ),
            (
                "public/sitemap.html",
                r.render(
                    "public/sitemap.html",
                    &SitemapView {
                        layout: layout("Sơ đồ trang"),
                        sections: vec![SitemapSection {
                            link: Link {
                                label: "Tin tức".into(),
                                url: "/tin-tuc".into(),
                            },
                            children: vec![],
                        }],
                    },
                )
                .unwrap(),
            ),
            (
                "public/documents.html",
                r.render(
                    "public/documents.html",
                    &serde_json::json!({
                        "layout": layout("Văn bản"),
                        "types": [{"value": "Quyết định", "label": "Quyết định", "selected": true}],
                        "issuers": [], "fields": [], "years": [], "statuses": [],
                        "rows": [{"number": "242/QĐ-SKHCN", "title": "Ban hành quy chế", "url": "/van-ban/a",
                                  "doc_type": "Quyết định", "issuer": "Sở KH&CN", "issued": "17/09/2018",
                                  "status": "Bị thay thế", "warns": true}],
                        "total": 1,
                        "pagination": Pagination::new("/van-ban", &list),
                    }),
                )
                .unwrap(),
            ),
            (
                "public/procedures.html",
                r.render(
                    "public/procedures.html",
                    &serde_json::json!({
                        "layout": layout("Thủ tục hành chính"),
                        "fields": [{"value": "Khoa học và công nghệ", "selected": true}],
                        "levels": [{"value": "Cấp tỉnh", "selected": false}],
                        "rows": [{"code": "1.002246", "name": "Cấp giấy chứng nhận", "url": "/thu-tuc/a",
                                  "field": "Khoa học và công nghệ", "level": "Cấp tỉnh",
                                  "portal_url": "https://dichvucong.gov.vn"}],
                    }),
                )
                .unwrap(),
            ),
            (
                "public/records.html",
                r.render(
                    "public/records.html",
                    &serde_json::json!({
                        "layout": layout("Nhiệm vụ"),
                        "heading": "Nhiệm vụ khoa học và công nghệ",
                        "intro": "Danh mục",
                        "path": "/nhiem-vu",
                        "filters": [{"key": "status", "label": "Tình trạng",
                                     "options": [{"value": "accepted", "label": "Đã nghiệm thu", "selected": true}]}],
                        "columns": ["Mã số"],
                        "total": 1,
                        "rows": [{"title": "Đề tài", "url": "/nhiem-vu/a", "cells": ["ĐTKHCN.09/24"], "photo": null}],
                        "pagination": Pagination::new("/nhiem-vu", &list),
                    }),
                )
                .unwrap(),
            ),
            (
                "public/schedule.html",
                r.render(
                    "public/schedule.html",
                    &serde_json::json!({
                        "layout": layout("Lịch công tác"),
                        "heading": "Lịch công tác tuần từ 23/11 đến 29/11/2026",
                        "days": [{"label": "Thứ Hai, 23/11/2026", "date_iso": "2026-11-23", "today": true,
                                  "items": [{"time": "07:30", "leaders": "Trần Minh Khôi", "content": "Giao ban",
                                             "venue": "Phòng họp 1", "attendees": "Các phòng"}]}],
                        "empty": false,
                        "prev": "/lich-cong-tac?tuan=2026-11-16",
                        "next": "/lich-cong-tac?tuan=2026-11-30",
                        "this_week": "/lich-cong-tac?tuan=2026-11-23",
                    }),
                )
                .unwrap(),
            ),
            (
                "public/search.html",
                r.render(
                    "public/search.html",
                    &serde_json::json!({
                        "layout": layout("Tìm kiếm"),
                        "query": "quyết định",
                        "kinds": [{"value": "article", "label": "Tin bài", "selected": true}],
                        "hits": [{"kind": "Tin bài", "title": "Quyết định 242", "url": "/tin-tuc/a",
                                  "date_label": "Ngày đăng", "date": "17/09/2018", "date_iso": "2018-09-17",
                                  "snippet_html": "<mark>Quyết</mark> định"}],
                        "total": 1,
                        "total_label": "1",
                        "pagination": Pagination::new("/tim-kiem", &list),
                    }),
                )
                .unwrap(),
            ),
            (
                "public/accessibility.html",
                r.render("public/accessibility.html", &serde_json::json!({"layout": layout("Trợ năng")}))
                    .unwrap(),
            ),
            (
                "public/privacy.html",
                r.render(
                    "public/privacy.html",
                    &serde_json::json!({"layout": layout("Dữ liệu cá nhân"), "keep_months": 24,
                        "log_days": 90, "audit_days": 366, "backups_kept": "12 tháng", "per_hour": 5}),
                )
                .unwrap(),
            ),
            (
                "public/message_form.html",
                r.render(
                    "public/message_form.html",
                    &serde_json::json!({
                        "layout": layout("Tái sử dụng thông tin"), "kind": "reuse", "action": "/tai-su-dung",
                        "values": {"name": "An", "email": "a@b.vn", "organisation": "", "subject": "",
                                   "text": "", "page": "", "consent": null},
                        "errors": [{"field": "subject", "message": "Vui lòng nhập tiêu đề."}],
                        "refusal": "Câu trả lời chưa đúng.", "question": "Bảy cộng hai bằng mấy?", "token": "ab",
                    }),
                )
                .unwrap(),
            ),
            (
                "public/message_sent.html",
                r.render(
                    "public/message_sent.html",
                    &serde_json::json!({"layout": layout("Góp ý"), "reference": "GY-000001", "kind_label": "Góp ý"}),
                )
                .unwrap(),
            ),
            (
                "public/question_form.html",
                r.render(
                    "public/question_form.html",
                    &serde_json::json!({
                        "layout": layout("Gửi câu hỏi"), "topics": ["Sở hữu trí tuệ"],
                        "values": {"name": "An", "email": "a@b.vn", "topic": "Sở hữu trí tuệ", "text": "Hỏi", "consent": "1", "mail": "1"},
                        "errors": [], "refusal": null, "question": "Bảy cộng hai bằng mấy?", "token": "ab", "due_days": 15,
                    }),
                )
                .unwrap(),
            ),
            (
                "public/mail_stop.html",
                r.render(
                    "public/mail_stop.html",
                    &serde_json::json!({"layout": layout("Ngừng nhận thư"), "action": "/thu/ngung/abc", "done": false}),
                )
                .unwrap(),
            ),
            (
                "public/question_sent.html",
                r.render(
                    "public/question_sent.html",
                    &serde_json::json!({"layout": layout("Đã gửi"), "ticket": "HD-000001", "key": "abc",
                                        "due": "01/12/2026", "status_url": "/hoi-dap/tra-cuu?so=HD-000001&ma=abc"}),
                )
                .unwrap(),
            ),
            (
                "public/question_status.html",
                r.render(
                    "public/question_status.html",
                    &serde_json::json!({"layout": layout("Tra cứu"), "asked": true, "ticket": "HD-000001", "key": "abc",
                        "flash": null, "found": {"ticket": "HD-000001", "topic": "Khác", "text": "Hỏi", "asked_on": "01/11/2026",
                        "due": "20/11/2026", "status": "Đã trả lời", "answered": true, "answer_html": "<p>Trả lời</p>",
                        "answer_url": "/hoi-dap/a", "closed_reason": null, "has_personal_data": true}}),
                )
                .unwrap(),
            ),
            (
                "public/comment_form.html",
                r.render(
                    "public/comment_form.html",
                    &serde_json::json!({
                        "layout": layout("Gửi ý kiến"), "draft_title": "Dự thảo", "draft_url": "/lay-y-kien/a",
                        "open": true, "sent": true, "sent_number": "YK-000001", "errors": [], "refusal": null,
                        "values": {"name": "", "email": "", "organisation": "", "text": "", "show_name": null, "consent": null},
                        "question": "Hai cộng ba bằng mấy?", "token": "ab",
                    }),
                )
                .unwrap(),
            ),
            (
                "public/visits.html",
                r.render(
                    "public/visits.html",
                    &serde_json::json!({"layout": layout("Thống kê truy cập"),
                                        "counts": {"online": 1, "today": 2, "total": 3}}),
                )
                .unwrap(),
            ),
            (
                "public/english.html",
                r.render(
                    "public/english.html",
                    &serde_json::json!({"layout": layout("Department of Science and Technology"),
                                        "pages": [{"label": "Introduction", "url": "/en/introduction"}]}),
                )
                .unwrap(),
            ),
            (
                "errors/404.html",
                r.render("errors/404.html", &error(404)).unwrap(),
            ),
            (
                "public/english_organisation.html",
                r.render(
                    "public/english_organisation.html",
                    &serde_json::json!({"layout": layout("Organisation"), "units": [{"name": "Board of Directors",
                        "name_vi": false, "people": [{"name": "Trần Minh Khôi", "position": "Director",
                        "position_vi": false, "phone": "0256", "email": "a@b.vn", "url": "/can-bo/a"}]}]}),
                )
                .unwrap(),
            ),
            (
                "public/english_contacts.html",
                r.render(
                    "public/english_contacts.html",
                    &serde_json::json!({"layout": layout("Contacts"), "units": [{"name": "Văn phòng Sở",
                        "name_vi": true, "people": [{"name": "Trần Minh Khôi", "position": "Chánh Văn phòng",
                        "position_vi": true, "phone": "0256", "email": "a@b.vn", "url": "/can-bo/a"}]}]}),
                )
                .unwrap(),
            ),
            (
                "public/open_data.html",
                r.render(
                    "public/open_data.html",
                    &serde_json::json!({"layout": layout("Dữ liệu mở"), "per_page": 500,
                        "common": [{"name": "id", "meaning": "Mã số", "kind": "số"}],
                        "datasets": [{"title": "Văn bản", "json": "/du-lieu/van-ban.json", "csv": "/du-lieu/van-ban.csv",
                            "list": "/van-ban", "fields": [{"name": "number", "meaning": "Số", "kind": "văn bản"}]}]}),
                )
                .unwrap(),
            ),
            (
                "public/disclosure.html",
                r.render(
                    "public/disclosure.html",
                    &crate::render::views::DisclosureView {
                        layout: layout("Danh mục thông tin công khai"),
                        rows: crate::content::sections::disclosure_list(
                            &crate::content::sections::default_tree().unwrap(),
                            &crate::content::deadlines::Rules::default(),
                        ),
                    },
                )
                .unwrap(),
            ),
            (
                "errors/500.html",
                r.render("errors/500.html", &error(500)).unwrap(),
            ),
            (
                "errors/error.html",
                r.render("errors/error.html", &error(421)).unwrap(),
            ),
            (
                "errors/410.html",
                r.render(
                    "errors/410.html",
                    &serde_json::json!({"layout": layout("Quyết định cũ"), "title": "Quyết định cũ",
                        "withdrawn_on": "01/12/2026",
                        "replacement": {"url": "/van-ban/moi", "label": "Quyết định mới"},
                        "list_url": "/van-ban", "list_label": "Văn bản"}),
                )
                .unwrap(),
            ),
            (
                "errors/archived.html",
                {
                    // Rendered as an archived site renders it: with the notice.
                    r.set_banner(Some(ArchiveBanner {
                        since: "01/07/2025".into(),
                        successor: Some("https://sokhcn.gialai.gov.vn".into()),
                    }));
                    let html = r
                        .render(
                            "errors/archived.html",
                            &serde_json::json!({"layout": layout("Trang lưu trữ"),
                                "message": "Trang này là trang lưu trữ.",
                                "successor": "https://sokhcn.gialai.gov.vn",
                                "path": "/hoi-dap/gui-cau-hoi"}),
                        )
                        .unwrap();
                    r.set_banner(None);
                    assert!(html.contains("không còn cập nhật từ ngày 01/07/2025"));
                    assert!(html.contains("https://sokhcn.gialai.gov.vn/hoi-dap/gui-cau-hoi"));
                    html
                },
            ),
        ]
    }

    #[test]
    fn every_page_template_renders_with_a_sample_view() {
        let rendered = samples();
        let pages: Vec<String> = Renderer::template_names()
            .into_iter()
            // Admin pages are rendered by the integration tests that walk every admin
            // route as every role.
            .filter(|n| n.starts_with("public/") || n.starts_with("errors/"))
            .collect();
        for name in &pages {
            assert!(
                rendered.iter().any(|(n, _)| n == name),
                "no sample view renders {name}"
            );
        }
        for (name, html) in &rendered {
            assert!(
                html.contains("Sở Khoa học và Công nghệ tỉnh Gia Lai"),
                "{name} lacks the header"
            );
            assert!(
                html.contains("Người chịu trách nhiệm"),
                "{name} lacks the footer"
            );
            assert!(!html.contains("<script>"), "{name} has an inline script");
        }
        let entry = &rendered
            .iter()
            .find(|(n, _)| *n == "public/entry.html")
            .unwrap()
            .1;
        assert!(
            entry.contains("Hội thảo &lt;chuyển đổi số&gt;"),
            "titles are escaped"
        );
        assert!(entry.contains(r#"<meta name="DC.title""#));
        assert!(entry.contains(r#"alt="Ảnh hội thảo""#));
        assert!(
            entry.contains(r#"href="/tin-tuc""#),
            "slashes stay readable"
        );
    }

    /// Admin templates: every one compiles, and renders its frame (menu, CSRF field,
    /// flash) with a sample layout in a lenient copy of the environment, so a syntax
    /// error, an unknown filter or function, or a broken frame fails here. Their own
    /// fields are rendered, in strict mode, by the integration tests that walk every
    /// admin route as every role.
    #[test]
    fn every_admin_template_compiles_and_renders_its_frame() {
        let r = renderer();
        let mut lenient = r.env.clone();
        lenient.set_undefined_behavior(UndefinedBehavior::Chainable);
        let layout = serde_json::json!({
            "site_name": "Sở Khoa học và Công nghệ tỉnh Gia Lai",
            "title": "Việc của tôi",
            "user_name": "Nguyễn Văn A",
            "user_login": "nva",
            "roles": ["Quản trị hệ thống"],
            "csrf": "ab12",
            "menu": [{"label": "Việc của tôi", "href": "/quan-tri", "count": 2, "current": true}],
            "flash": "Đã lưu bản sửa.",
            "alerts": ["Sao lưu tự động không thành công."],
        });
        let admin: Vec<String> = Renderer::template_names()
            .into_iter()
            .filter(|n| n.starts_with("admin/"))
            .collect();
        assert!(admin.len() >= 20, "{admin:?}");
        for name in &admin {
            r.env
                .get_template(name)
                .unwrap_or_else(|e| panic!("{name} does not compile: {e}"));
            let html = lenient
                .get_template(name)
                .and_then(|t| {
                    t.render(Serde(serde_json::json!({"layout": layout, "csrf": "ab12"})))
                })
                .unwrap_or_else(|e| panic!("{name} does not render: {e:#}"));
            assert!(!html.contains("<script>"), "{name} has an inline script");
            if html.contains("<form method=\"post\"") {
                assert!(
                    html.contains(r#"<input type="hidden" name="csrf" value="ab12">"#),
                    "{name} has a form without the CSRF field"
                );
            }
        }
    }

    #[test]
    fn strict_mode_makes_a_missing_value_an_error() {
        let r = renderer();
        let err = r
            .render("errors/error.html", &serde_json::json!({"status": 500}))
            .unwrap_err();
        assert!(err.to_string().contains("errors/error.html"));
    }
}

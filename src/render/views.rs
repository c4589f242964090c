//! One view struct per page, each with one `Layout`. Handlers build views from domain
//! values; templates only read them. Dates and sizes are formatted here, in Vietnamese.

use serde::Serialize;

use crate::content::{Attachment, Category, Image, Kind, PageOf, Published};
use crate::paths;
use crate::site::SiteSettings;

/// What every page shares: the site identity, the menu, the page title and metadata.
#[derive(Debug, Clone, Serialize)]
pub struct Layout {
    pub site: SiteSettings,
    /// The page's own title; the `<title>` adds the agency name.
    pub title: String,
    pub description: String,
    /// The request path, to mark the current menu item.
    pub path: String,
    pub canonical: String,
    /// Dublin Core elements (regulation F12), as `<meta name="DC.x">`.
    pub dublin_core: Vec<Meta>,
    /// Open Graph: `website`, or `article` for an entry.
    pub og_type: &'static str,
    /// Open Graph image: an absolute URL, or empty (needs the configured origin).
    pub og_image: String,
    /// The stylesheet with the site's colours (a draft's, in a preview).
    pub theme_css: String,
    /// Set on previews of unapproved settings: a banner at the top says so.
    pub preview_note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub name: &'static str,
    pub content: String,
}

impl Layout {
    /// `origin` is the configured public origin (empty when unknown).
    pub fn new(site: &SiteSettings, origin: &str, title: &str, path: &str) -> Layout {
        let description = if site.tagline.is_empty() {
            site.agency_name.clone()
        } else {
            site.tagline.clone()
        };
        let mut site = site.clone();
        site.menu = site.shown_menu();
        Layout {
            site,
            title: title.to_string(),
            description,
            path: path.to_string(),
            canonical: format!("{origin}{path}"),
            dublin_core: Vec::new(),
            og_type: "website",
            og_image: String::new(),
            theme_css: "/giao-dien.css".into(),
            preview_note: String::new(),
        }
    }

    /// Error pages are not the canonical copy of anything.
    pub fn without_canonical(mut self) -> Layout {
        self.canonical.clear();
        self
    }

    pub fn with_description(mut self, description: &str) -> Layout {
        if !description.trim().is_empty() {
            self.description = description.trim().to_string();
        }
        self
    }

    /// The Dublin Core elements of the site itself (home page, lists); `updated` is the
    /// last change to what the page shows (its newest item), its `DC.date`.
    pub fn with_site_dublin_core(mut self, updated: Option<jiff::Timestamp>) -> Layout {
        let site = &self.site;
        let date = updated.map(crate::format::iso_date).unwrap_or_default();
        self.dublin_core = vec![
            meta("DC.title", &site.agency_name),
            meta("DC.creator", &site.agency_name),
            meta("DC.date", &date),
            meta("DC.description", &self.description),
            meta("DC.publisher", &site.agency_name),
            meta("DC.identifier", &self.canonical),
            meta("DC.language", "vi"),
            meta("DC.type", "Text"),
            meta("DC.format", "text/html"),
        ];
        self
    }

    /// The Dublin Core elements of one entry: the required title, creator, date,
    /// description, publisher and identifier, and the recommended language, source,
    /// subject and type.
    pub fn with_entry_dublin_core(mut self, p: &Published, category: Option<&Category>) -> Layout {
        let f = &p.revision.fields;
        let site = &self.site;
        // A legal document's creator is the body that issued it (a Law is the National
        // Assembly's, not the Department's); the site stays its publisher.
        let creator = match &f.legal {
            Some(doc) if !doc.issuer.trim().is_empty() => doc.issuer.clone(),
            _ if f.author.trim().is_empty() => site.agency_name.clone(),
            _ => f.author.clone(),
        };
        let date = p
            .entry
            .published_at
            .map(crate::format::iso_date)
            .unwrap_or_default();
        let mut dc = vec![
            meta("DC.title", &f.title),
            meta("DC.creator", &creator),
            meta("DC.date", &date),
            meta(
                "DC.description",
                if f.summary.is_empty() {
                    &f.title
                } else {
                    &f.summary
                },
            ),
            meta("DC.publisher", &site.agency_name),
            meta("DC.identifier", &self.canonical),
            meta("DC.language", "vi"),
            meta("DC.type", "Text"),
            meta("DC.format", "text/html"),
        ];
        if !f.source.trim().is_empty() {
            dc.push(meta("DC.source", &f.source));
        }
        if let Some(category) = category {
            dc.push(meta("DC.subject", &category.name));
        }
        self.dublin_core = dc;
        self.og_type = "article";
        // Only an absolute canonical tells where the image lives.
        if let (Some(cover), Some(origin)) = (
            &f.cover,
            self.canonical
                .strip_suffix(self.path.as_str())
                .filter(|o| o.starts_with("https://")),
        ) {
            self.og_image = format!(
                "{origin}{}",
                paths::blob(&cover.blob, &format!("{}.jpg", f.title))
            );
        }
        self
    }
}

fn meta(name: &'static str, content: &str) -> Meta {
    Meta {
        name,
        content: content.to_string(),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub label: String,
    pub url: String,
}

impl Link {
    /// A section, at its address (its own list, its kind's register or a fixed page).
    pub fn category(c: &Category) -> Link {
        Link {
            label: c.name.clone(),
            url: crate::content::sections::address(c),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ImageView {
    pub src: String,
    pub alt: String,
    /// `url 320w, url 640w, …` when the library made smaller copies.
    pub srcset: String,
}

impl ImageView {
    pub fn new(image: &Image, title: &str) -> ImageView {
        let name = format!("{title}.jpg");
        ImageView {
            src: paths::blob(&image.blob, &name),
            alt: image.alt.clone(),
            srcset: crate::media::srcset(&image.blob, image.width, &image.variants, &name),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentView {
    pub name: String,
    pub url: String,
    pub size: String,
    /// "PDF", "DOCX", …
    pub format: String,
}

impl AttachmentView {
    pub fn new(a: &Attachment) -> AttachmentView {
        let format = a
            .name
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_uppercase())
            .unwrap_or_default();
        AttachmentView {
            name: a.name.clone(),
            url: paths::blob(&a.blob, &a.name),
            size: crate::format::file_size(a.size),
            format,
        }
    }
}

/// An entry in a list.
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    pub title: String,
    pub summary: String,
    pub url: String,
    pub date: String,
    pub date_iso: String,
    pub category: Option<Link>,
    pub cover: Option<ImageView>,
}

impl Card {
    pub fn new(p: &Published, categories: &[Category]) -> Card {
        Card::of(
            crate::content::cards::CardRow::of(&p.entry, &p.revision),
            categories,
        )
    }

    /// The card a list keeps for an item (`content::cards`).
    pub fn of(row: crate::content::cards::CardRow, categories: &[Category]) -> Card {
        let url = row.url();
        let category = category_named(categories, row.category.as_deref()).map(Link::category);
        let cover = row.cover.as_ref().map(|c| ImageView::new(c, &row.title));
        Card {
            title: row.title,
            summary: row.summary,
            url,
            date: row.date.map(crate::format::civil_date).unwrap_or_default(),
            date_iso: row.date.map(|d| d.to_string()).unwrap_or_default(),
            category,
            cover,
        }
    }
}

pub fn find_category<'a>(categories: &'a [Category], p: &Published) -> Option<&'a Category> {
    category_named(categories, p.entry.category.as_deref())
}

/// The section whose slug is `slug`, if any.
pub fn category_named<'a>(categories: &'a [Category], slug: Option<&str>) -> Option<&'a Category> {
    let slug = slug?;
    categories.iter().find(|c| c.slug == slug)
}

#[derive(Debug, Clone, Serialize)]
pub struct Pagination {
    pub page: usize,
    pub pages: usize,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub links: Vec<PageLink>,
    /// The first and the last page, when the numbered links around the current page
    /// do not reach them (a deep page of a long list).
    pub first: Option<String>,
    pub last: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PageLink {
    pub number: usize,
    pub url: String,
    pub current: bool,
}

impl Pagination {
    pub fn new<T>(base: &str, list: &PageOf<T>) -> Pagination {
        Pagination::of(base, list.page, list.page_count())
    }

    /// Page `page` of `pages` of the list at `base` (which may carry a filter's query).
    pub fn of(base: &str, page: usize, pages: usize) -> Pagination {
        let pages = pages.max(1);
        let page = page.min(pages);
        // At most nine numbered links around the current page.
        let first = page.saturating_sub(4).max(1);
        let last = (first + 8).min(pages);
        Pagination {
            page,
            pages,
            prev: (page > 1).then(|| paths::list_page(base, page - 1)),
            next: (page < pages).then(|| paths::list_page(base, page + 1)),
            first: (first > 1).then(|| paths::list_page(base, 1)),
            last: (last < pages).then(|| paths::list_page(base, pages)),
            links: (first..=last)
                .map(|n| PageLink {
                    number: n,
                    url: paths::list_page(base, n),
                    current: n == page,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub category: Link,
    pub items: Vec<Card>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HomeView {
    pub layout: Layout,
    pub featured: Vec<Card>,
    pub latest: Vec<Card>,
    pub sections: Vec<Section>,
    pub documents: Vec<Card>,
    pub procedures: Vec<Card>,
    pub banners: Vec<BannerView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BannerView {
    pub src: String,
    pub alt: String,
    pub href: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DisclosureView {
    pub layout: Layout,
    pub rows: Vec<crate::content::sections::Disclosed>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ListView {
    pub layout: Layout,
    pub heading: String,
    pub description: String,
    /// The section above this one, for the breadcrumb.
    pub parent: Option<Link>,
    /// The sections under this one.
    pub children: Vec<Link>,
    pub items: Vec<Card>,
    pub pagination: Pagination,
    pub categories: Vec<Link>,
    /// Where this section's items go past its online period, if it has one.
    pub archive: Option<Link>,
    /// The RSS feed of this list.
    pub feed: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EntryPage {
    pub kind: Kind,
    pub kind_label: &'static str,
    pub title: String,
    pub summary: String,
    pub body_html: String,
    pub author: String,
    pub source: String,
    pub date: String,
    pub date_iso: String,
    /// Shown when the live revision is newer than the first publication.
    pub updated: Option<String>,
    pub category: Option<Link>,
    pub cover: Option<ImageView>,
    pub attachments: Vec<AttachmentView>,
    /// Từ khóa (an old site's tags).
    pub keywords: Vec<String>,
    /// The page this page sits under.
    pub parent: Option<Link>,
    /// The list of the entry's kind, for kinds without sections (documents,
    /// procedures, registers).
    pub kind_list: Option<Link>,
}

impl EntryPage {
    pub fn new(p: &Published, category: Option<&Category>) -> EntryPage {
        let f = &p.revision.fields;
        let published = p.entry.published_at;
        let revised = p.revision.created_at;
        let updated = match published {
            Some(at) if revised.as_second() - at.as_second() > 60 => {
                Some(crate::format::datetime(revised))
            }
            _ => None,
        };
        EntryPage {
            kind: p.entry.kind,
            kind_label: p.entry.kind.label(),
            title: f.title.clone(),
            summary: f.summary.clone(),
            body_html: f.body_html.clone(),
            author: f.author.clone(),
            source: f.source.clone(),
            date: published.map(crate::format::datetime).unwrap_or_default(),
            date_iso: published
                .map(crate::format::iso_datetime)
                .unwrap_or_default(),
            updated,
            category: category.map(Link::category),
            cover: f.cover.as_ref().map(|c| ImageView::new(c, &f.title)),
            attachments: f.attachments.iter().map(AttachmentView::new).collect(),
            keywords: f.keywords.clone(),
            parent: None,
            // Registers have a list of their own: the breadcrumb passes through it.
            kind_list: (!matches!(p.entry.kind, Kind::Article | Kind::Page)).then(|| Link {
                url: p.entry.kind.list_url().to_string(),
                label: p.entry.kind.label().to_string(),
            }),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct EntryView {
    pub layout: Layout,
    pub entry: EntryPage,
    pub related: Vec<Card>,
    /// An unpublished revision shown to staff: the page says so.
    pub preview: bool,
    /// For legal documents: the metadata table and the relations.
    pub legal: Option<LegalView>,
    /// For administrative procedures: their official fields.
    pub procedure: Option<ProcedureView>,
    /// For the described kinds (tasks, plans, …): their fields.
    pub record: Option<RecordView>,
    /// For drafts open for comment: the window and the approved comments.
    pub consultation: Option<ConsultationView>,
}

/// What a draft open for comment adds to its page.
#[derive(Debug, Clone, Serialize)]
pub struct ConsultationView {
    pub open: bool,
    /// "Đang lấy ý kiến đến hết ngày …", "Chưa bắt đầu …", "Đã kết thúc …".
    pub window: String,
    pub form_url: String,
    pub comments: Vec<CommentView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommentView {
    pub who: String,
    pub at: String,
    pub text: String,
}

/// What a described kind's page adds to an entry page.
#[derive(Debug, Clone, Serialize)]
pub struct RecordView {
    pub rows: Vec<Row>,
    /// What the attachments are on this kind.
    pub files_label: &'static str,
}

/// What a procedure's page adds to an entry page.
#[derive(Debug, Clone, Serialize)]
pub struct ProcedureView {
    pub rows: Vec<Row>,
    pub steps_html: String,
    pub dossier_html: String,
    pub legal_basis: Vec<Link>,
    pub portal_url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub label: &'static str,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RelationGroup {
    pub label: &'static str,
    pub links: Vec<Link>,
}

/// What a legal document's page adds to an entry page.
#[derive(Debug, Clone, Serialize)]
pub struct LegalView {
    /// "Quyết định 41/2026/QĐ-UBND": the page's heading and the name of its full text.
    pub heading: String,
    pub rows: Vec<Row>,
    pub status: &'static str,
    /// The text no longer applies in full: the page warns.
    pub warns: bool,
    /// The documents that replace this one, for the banner.
    pub replaced_by: Vec<Link>,
    pub relations: Vec<RelationGroup>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SitemapSection {
    pub link: Link,
    pub children: Vec<Link>,
}

/// A page that is only its layout and its template's text.
#[derive(Debug, Clone, Serialize)]
pub struct PlainView {
    pub layout: Layout,
}

#[derive(Debug, Clone, Serialize)]
pub struct SitemapView {
    pub layout: Layout,
    pub sections: Vec<SitemapSection>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorView {
    pub layout: Layout,
    pub status: u16,
    pub heading: String,
    pub message: String,
    pub request_id: Option<String>,
}

/// The last change among `items` (a list page's `DC.date`).
pub fn last_change<'a>(items: impl IntoIterator<Item = &'a Published>) -> Option<jiff::Timestamp> {
    items.into_iter().map(|p| p.entry.updated_at).max()
}

/// `last_change` of a list of cards.
pub fn last_card_change<'a>(
    cards: impl IntoIterator<Item = &'a crate::content::cards::CardRow>,
) -> Option<jiff::Timestamp> {
    cards.into_iter().map(|c| c.updated).max()
}

#[cfg(test)]
mod tests {
    use super::Pagination;

    /// A deep page of a filtered list (the register at 200,000 documents has 10,000
    /// pages) links the pages around it, each keeping the filters.
    #[test]
    fn a_deep_page_links_the_pages_around_it_with_its_filters() {
        let base = "/van-ban?loai=&co-quan=&linh-vuc=&nam=2025&hieu-luc=";
        let p = Pagination::of(base, 5_000, 10_000);
        let numbers: Vec<usize> = p.links.iter().map(|l| l.number).collect();
        assert_eq!(numbers, (4_996..=5_004).collect::<Vec<_>>());
        assert!(p.links.iter().any(|l| l.current && l.number == 5_000));
        assert_eq!(p.prev.as_deref(), Some(&*format!("{base}&trang=4999")));
        assert_eq!(p.next.as_deref(), Some(&*format!("{base}&trang=5001")));
        assert_eq!(p.first.as_deref(), Some(base));
        assert_eq!(p.last.as_deref(), Some(&*format!("{base}&trang=10000")));
        // The first page is the list's own address; past the last, the last.
        let first = Pagination::of(base, 1, 3);
        assert_eq!(first.links[0].url, base);
        assert_eq!((first.prev, first.first, first.last), (None, None, None));
        assert_eq!(Pagination::of(base, 9, 3).page, 3);
    }
}

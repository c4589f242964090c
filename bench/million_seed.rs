//! Fills an empty data folder with generated, published Vietnamese content for
//! `bench/million.sh`:
//!
//!   cargo run --release --example `million_seed` -- DATA [ENTRIES]     (default 1,000,000)
//!
//! Four in five entries are news articles (a title of about 12 words, a summary of 30, five
//! paragraphs of about 90: some 480 words) spread over eight sections and ten years; the
//! rest are legal documents with their metadata (type, number, issuer, signer, dates,
//! field) and a short body. 1,000 entries per transaction. Prints the time it took.

#[path = "corpus.rs"]
mod corpus;
use corpus::Rng;

use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use trangtin::content::legal::LegalDoc;
use trangtin::content::{self, Category, Fields, Kind, NewEntry};
use trangtin::store::Store;

const SECTIONS: [(&str, &str); 8] = [
    ("tin-hoat-dong", "Tin hoạt động"),
    ("khoa-hoc-cong-nghe", "Khoa học và công nghệ"),
    ("doi-moi-sang-tao", "Đổi mới sáng tạo"),
    ("tieu-chuan-do-luong", "Tiêu chuẩn đo lường chất lượng"),
    ("so-huu-tri-tue", "Sở hữu trí tuệ"),
    ("chuyen-doi-so", "Chuyển đổi số"),
    ("thong-bao", "Thông báo"),
    ("chi-dao-dieu-hanh", "Chỉ đạo điều hành"),
];

const DOC_TYPES: [(&str, &str); 4] = [
    ("Quyết định", "QĐ"),
    ("Thông báo", "TB"),
    ("Kế hoạch", "KH"),
    ("Công văn", "CV"),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = std::path::Path::new(args.get(1).expect("DATA"));
    let entries: usize = args
        .get(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let (store, _) = Store::open(data).expect("store");
    let now = Timestamp::now();
    store
        .write_blocking(|tx| -> Result<(), content::Error> {
            for (slug, name) in SECTIONS {
                content::put_category(tx, &Category::new(slug, name), now)?;
            }
            Ok(())
        })
        .expect("sections");
    // Ten years back, evenly: entry i was published `span * (entries - i) / entries` ago.
    let span = SignedDuration::from_hours(24 * 3650);
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let started = Instant::now();
    let mut made = 0;
    while made < entries {
        let batch = (entries - made).min(1000);
        let first = made;
        let items: Vec<(NewEntry, Fields, Timestamp)> = (first..first + batch)
            .map(|i| {
                let ago = span
                    .checked_mul(i32::try_from(entries - i).unwrap_or(i32::MAX))
                    .map_or(span, |d| d / i32::try_from(entries).unwrap_or(i32::MAX));
                let at = now.checked_sub(ago).unwrap_or(now);
                if i % 5 == 4 {
                    legal_document(&mut rng, i, at)
                } else {
                    article(&mut rng, i, at)
                }
            })
            .collect();
        store
            .write_blocking(|tx| -> Result<(), content::Error> {
                for (new, fields, at) in items {
                    let entry = content::create(tx, new, fields, "bench", at)?;
                    content::publish(tx, entry.id, at)?;
                }
                Ok(())
            })
            .expect("store a batch");
        made += batch;
        if made % 100_000 == 0 {
            eprintln!("{made} entries, {:.0} s", started.elapsed().as_secs_f64());
        }
    }
    println!("{:.1}", started.elapsed().as_secs_f64());
}

fn article(rng: &mut Rng, i: usize, at: Timestamp) -> (NewEntry, Fields, Timestamp) {
    let (section, _) = SECTIONS[i % SECTIONS.len()];
    let body = (0..5)
        .map(|_| format!("<p>{}.</p>", rng.sentence(90)))
        .collect::<String>();
    (
        NewEntry {
            kind: Kind::Article,
            slug: format!("tin-{i}"),
            category: Some(section.into()),
            unit: None,
            featured: i.is_multiple_of(97),
        },
        Fields {
            title: format!("{} {i}", rng.sentence(12)),
            summary: rng.sentence(30),
            body_html: body,
            author: "Phòng Quản lý khoa học".into(),
            ..Fields::default()
        },
        at,
    )
}

fn legal_document(rng: &mut Rng, i: usize, at: Timestamp) -> (NewEntry, Fields, Timestamp) {
    let (doc_type, code) = DOC_TYPES[i % DOC_TYPES.len()];
    let issued = at.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    (
        NewEntry {
            kind: Kind::LegalDocument,
            slug: format!("van-ban-{i}"),
            category: None,
            unit: None,
            featured: false,
        },
        Fields {
            title: format!("Về việc {} {i}", rng.sentence(14)),
            summary: rng.sentence(30),
            body_html: format!("<p>{}.</p>", rng.sentence(60)),
            legal: Some(LegalDoc {
                doc_type: doc_type.into(),
                number: format!("{}/{code}-SKHCN", i / 5 + 1),
                issuer: "Sở Khoa học và Công nghệ".into(),
                signer: "Giám đốc Sở".into(),
                issued,
                effective: issued,
                expires: None,
                status: None,
                field: "Khoa học, công nghệ".into(),
                replaces: Vec::new(),
                amends: Vec::new(),
                guides: Vec::new(),
            }),
            ..Fields::default()
        },
        at,
    )
}

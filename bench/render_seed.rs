//! Adds generated, published articles to a data folder, for `bench/render.sh`:
//!
//!   cargo run --release --example `render_seed` -- DATA ENTRIES
//!
//! Each has a Vietnamese title, a summary and five paragraphs (about 450 words), in the
//! demo's "tin-hoat-dong" section; their addresses go to stdout, one per line. The
//! server must not be running on DATA.

#[path = "corpus.rs"]
mod corpus;
use corpus::Rng;

use trangtin::content::{self, Fields, Kind, NewEntry};
use trangtin::store::Store;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = std::path::Path::new(args.get(1).expect("DATA"));
    let entries: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(1000);
    let (store, _) = Store::open(data).expect("store");
    let now = jiff::Timestamp::now();
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut made = 0;
    while made < entries {
        let batch = (entries - made).min(500);
        let first = made;
        let docs: Vec<(String, String, String)> = (0..batch)
            .map(|i| {
                let title = format!("{} {}", rng.sentence(10), first + i);
                let summary = rng.sentence(30);
                let body = (0..5)
                    .map(|_| format!("<p>{}.</p>", rng.sentence(90)))
                    .collect::<String>();
                (title, summary, body)
            })
            .collect();
        store
            .write_blocking(|tx| -> Result<(), content::Error> {
                for (i, (title, summary, body)) in docs.into_iter().enumerate() {
                    let entry = content::create(
                        tx,
                        NewEntry {
                            kind: Kind::Article,
                            slug: format!("bai-do-toc-do-{}", first + i),
                            category: Some("tin-hoat-dong".into()),
                            unit: None,
                            featured: false,
                        },
                        Fields {
                            title,
                            summary,
                            body_html: body,
                            author: "Phòng Quản lý khoa học".into(),
                            ..Fields::default()
                        },
                        "bench",
                        now,
                    )?;
                    content::publish(tx, entry.id, now)?;
                }
                Ok(())
            })
            .expect("store a batch");
        made += batch;
    }
    for i in 0..entries {
        println!("/tin-tuc/bai-do-toc-do-{i}");
    }
}

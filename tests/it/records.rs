//! The public lists of the described kinds (tasks, projects…) at length, on a site
//! without demo content: paged, filtered and counted from their index.

use crate::support::{TestServer, publish_new};

/// Publishes `count` S&T tasks: task `i` starts on day `i` of 2020, is of level
/// "Cấp tỉnh" when `i` is a multiple of 3, and approved when it is even.
async fn seed_tasks(server: &TestServer, count: usize) {
    use trangtin::content::{self, Fields, Kind};
    let now = server.app.clock.now();
    server
        .app
        .store
        .write(move |tx| -> Result<(), content::Error> {
            for i in 0..count {
                let start = jiff::civil::date(2020, 1, 1)
                    .checked_add(jiff::Span::new().days(i as i64))
                    .unwrap();
                let record = [
                    ("code", format!("NV-{i}")),
                    (
                        "level",
                        if i % 3 == 0 {
                            "Cấp tỉnh"
                        } else {
                            "Cấp cơ sở"
                        }
                        .into(),
                    ),
                    ("field", "Nông nghiệp".into()),
                    ("host", "Trung tâm Ứng dụng".into()),
                    ("lead", "TS. Nguyễn Văn A".into()),
                    ("objectives", "Mục tiêu".into()),
                    ("expected_results", "Kết quả".into()),
                    ("start", start.to_string()),
                    ("end", "2030-12-31".into()),
                    (
                        "status",
                        if i % 2 == 0 {
                            "approved"
                        } else {
                            "in_progress"
                        }
                        .into(),
                    ),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
                let fields = Fields {
                    title: format!("Nhiệm vụ thử số {i}"),
                    record,
                    ..Fields::default()
                };
                publish_new(tx, Kind::Task, format!("nv-{i}"), fields, now)?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

/// The task slugs a list page shows, in order.
fn rows(page: &str) -> Vec<&str> {
    page.split("href=\"/nhiem-vu/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_list_of_tasks_is_paged_and_filtered() {
    let server = TestServer::start_with(|c| c.demo = false).await;
    seed_tasks(&server, 130).await;

    let (status, first) = server.page("/nhiem-vu").await;
    assert_eq!(status, 200);
    assert!(first.contains("<caption>130 mục</caption>"), "{first}");
    let shown = rows(&first);
    assert_eq!(shown.len(), 50);
    assert_eq!(
        (shown[0], shown[49]),
        ("nv-129", "nv-80"),
        "newest start first"
    );
    assert!(first.contains("Trang 1 / 3"));
    assert!(first.contains("href=\"/nhiem-vu?trang=2\" rel=\"next\""));

    let (status, last) = server.page("/nhiem-vu?trang=3").await;
    assert_eq!(status, 200);
    let shown = rows(&last);
    assert_eq!((shown.len(), shown[29]), (30, "nv-0"));
    assert!(last.contains("<caption>130 mục</caption>"));

    // Past the end, and a page that is not a number.
    assert_eq!(server.page("/nhiem-vu?trang=4").await.0, 404);
    assert_eq!(server.page("/nhiem-vu?trang=hai").await.0, 400);

    // One filter: its count, its rows, its choices; pages keep the filter.
    let (status, approved) = server.page("/nhiem-vu?status=approved").await;
    assert_eq!(status, 200);
    assert!(approved.contains("<caption>65 mục</caption>"), "{approved}");
    assert_eq!(rows(&approved)[0], "nv-128");
    assert!(approved.contains("<option value=\"approved\" selected>Đã phê duyệt</option>"));
    assert!(approved.contains("<option value=\"in_progress\">Đang thực hiện</option>"));
    assert!(approved.contains("href=\"/nhiem-vu?status=approved&amp;trang=2\""));
    let (_, second) = server.page("/nhiem-vu?status=approved&trang=2").await;
    assert_eq!(rows(&second).len(), 15);
    assert!(rows(&second).iter().all(|slug| {
        let n: usize = slug.trim_start_matches("nv-").parse().unwrap();
        n.is_multiple_of(2)
    }));

    // Two filters: only what both allow.
    let (_, both) = server
        .page("/nhiem-vu?level=C%E1%BA%A5p+t%E1%BB%89nh&status=approved")
        .await;
    assert!(both.contains("<caption>22 mục</caption>"), "{both}");
    assert_eq!(rows(&both).len(), 22);
    assert!(rows(&both).iter().all(|slug| {
        let n: usize = slug.trim_start_matches("nv-").parse().unwrap();
        n.is_multiple_of(6)
    }));
    // A value nobody has: an empty list that says so, not an error.
    let (status, none) = server.page("/nhiem-vu?level=C%E1%BA%A5p+b%E1%BB%99").await;
    assert_eq!(status, 200);
    assert!(none.contains("Không có mục nào khớp bộ lọc."));
}

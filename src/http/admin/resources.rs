//! "Tài nguyên máy chủ": disk, memory, load, requests and latency of the last 30 days as
//! server-drawn charts, with the thresholds that raise warnings (Art. 4.4).

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::views::AdminLayout;
use super::{Desk, page};
use crate::app::App;
use crate::http::error::{HttpError, Outcome};
use crate::ops::resources;

#[derive(Serialize)]
struct Chart {
    title: &'static str,
    svg: String,
}

#[derive(Serialize)]
struct ResourcesView {
    layout: AdminLayout,
    now: Option<Vec<(String, String)>>,
    warnings: Vec<String>,
    charts: Vec<Chart>,
    days: usize,
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30)).replace('.', ",")
}

/// `GET /quan-tri/tai-nguyen`
pub async fn resources_page(
    State(app): State<Arc<App>>,
    staff: Desk,
) -> Result<Response, HttpError> {
    let now = app.clock.now();
    let (latest, days) = app
        .store
        .read(move |tx| -> Result<_, crate::store::Error> {
            Ok((resources::latest(tx)?, resources::days(tx, now, 30)?))
        })
        .await?;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let label = |d: &resources::Day| d.date.strftime("%d/%m").to_string();
    let series = |f: &dyn Fn(&resources::Day) -> f64| -> Vec<(String, f64)> {
        days.iter().map(|d| (label(d), f(d))).collect()
    };
    let charts = vec![
        Chart {
            title: "Ổ đĩa đã dùng (%)",
            svg: resources::bar_chart("Ổ đĩa đã dùng", "%", &series(&|d| d.disk_used_percent)),
        },
        Chart {
            title: "Bộ nhớ đã dùng, cao nhất trong ngày (%)",
            svg: resources::bar_chart("Bộ nhớ đã dùng", "%", &series(&|d| d.memory_used_percent)),
        },
        Chart {
            title: "Tải CPU, cao nhất trong ngày",
            svg: resources::bar_chart("Tải CPU", "", &series(&|d| d.load)),
        },
        Chart {
            title: "Lượt truy cập mỗi ngày",
            svg: resources::bar_chart("Lượt truy cập", "lượt", &series(&|d| d.requests as f64)),
        },
        Chart {
            title: "Thời gian đáp ứng p95, cao nhất trong ngày (ms)",
            svg: resources::bar_chart("Thời gian đáp ứng p95", "ms", &series(&|d| d.p95_ms)),
        },
    ];
    let warnings = latest
        .as_ref()
        .map(|s| resources::warnings(s, cores))
        .unwrap_or_default();
    let now_rows = latest.map(|s| {
        vec![
            ("Ghi nhận lúc".to_string(), crate::format::datetime(s.at)),
            (
                "Ổ đĩa dữ liệu".to_string(),
                format!(
                    "đã dùng {} trên {} (còn trống {})",
                    gib(s.disk_used),
                    gib(s.disk_total),
                    gib(s.disk_total.saturating_sub(s.disk_used))
                ),
            ),
            (
                "Bộ nhớ".to_string(),
                format!(
                    "đã dùng {} trên {}",
                    gib(s.memory_used),
                    gib(s.memory_total)
                ),
            ),
            (
                "Tải CPU (1 phút)".to_string(),
                format!("{:.2} trên {cores} lõi", s.load).replace('.', ","),
            ),
            (
                "Giờ vừa qua".to_string(),
                format!("{} lượt truy cập, p95 {:.0} ms", s.requests, s.p95_ms),
            ),
        ]
    });
    let view = ResourcesView {
        layout: staff.layout("Tài nguyên máy chủ"),
        now: now_rows,
        warnings,
        charts,
        days: days.len(),
    };
    page(&app, "admin/resources.html", &view, Outcome::Shown)
}

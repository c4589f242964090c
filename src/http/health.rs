//! Probes for supervisors and load balancers: `/healthz` answers while the process
//! serves; `/readyz` also proves the store answers a read and the data folder takes a
//! write. Neither needs a session, and neither is cached.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CACHE_CONTROL;
use axum::response::{IntoResponse, Response};

use crate::app::App;

/// `GET /healthz`
pub async fn healthz() -> Response {
    (StatusCode::OK, [(CACHE_CONTROL, "no-store")], "ok\n").into_response()
}

/// `GET /readyz`
pub async fn readyz(State(app): State<Arc<App>>) -> Response {
    let problems = readiness(&app).await;
    if problems.is_empty() {
        (StatusCode::OK, [(CACHE_CONTROL, "no-store")], "ready\n").into_response()
    } else {
        let problems = problems.join("; ");
        app.warnings
            .warn("not_ready", || format!("not ready: {problems}"));
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(CACHE_CONTROL, "no-store")],
            format!("not ready: {problems}\n"),
        )
            .into_response()
    }
}

/// What keeps the server from serving well, if anything (English, for operators).
pub async fn readiness(app: &Arc<App>) -> Vec<String> {
    let mut problems = Vec::new();
    if let Err(e) = app.store.read(crate::store::schema_version).await {
        problems.push(format!("store does not answer: {e}"));
    }
    if let Some(why) = app.store.write_fault() {
        problems.push(format!(
            "the database refuses writes ({why}); it reopens by itself once the disk has room"
        ));
    }
    if let Some(why) = app.store.damage() {
        problems.push(format!(
            "the database file is damaged ({why}); run `trangtin verify` and restore a backup"
        ));
    }
    let data = app.config.data.clone();
    let writable = tokio::task::spawn_blocking(move || {
        let probe = data.join(".ready-probe");
        std::fs::write(&probe, b"ok").and_then(|()| std::fs::remove_file(&probe))
    })
    .await;
    match writable {
        Ok(Ok(())) => {}
        Ok(Err(e)) => problems.push(format!("data folder not writable: {e}")),
        Err(e) => problems.push(format!("probe task failed: {e}")),
    }
    problems
}

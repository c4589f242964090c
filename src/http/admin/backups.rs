//! "Sao lưu": the backups on the server with their checks, "backup now", and the
//! download of one archive, for administrators after their password again.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use tokio::io::AsyncReadExt;

use super::form::FormData;
use super::people::password_confirmed;
use super::views::{AdminLayout, FieldError};
use super::{Desk, page};
use crate::app::{App, BackupError};
use crate::backup::{self, schedule};
use crate::http::error::{HttpError, Outcome, see_other};
use crate::http::params::Params;

const PATH: &str = "/quan-tri/sao-luu";

#[derive(Serialize)]
struct Row {
    file: String,
    created: String,
    size: String,
    blobs: u64,
    entries: u64,
    encrypted: bool,
    by: String,
    verified: Option<String>,
    drill: Option<String>,
    drill_ok: bool,
}

#[derive(Serialize)]
struct LastRunView {
    at: String,
    ok: bool,
    message: String,
    last_verified_restore: Option<String>,
}

#[derive(Serialize)]
struct BackupsView {
    layout: AdminLayout,
    rows: Vec<Row>,
    last_run: Option<LastRunView>,
    schedule: String,
    dir: String,
    copy_to: Option<String>,
    errors: Vec<FieldError>,
}

/// Who made a backup, in words: a person's login, the command line or the schedule.
fn creator(by: &str) -> String {
    match by {
        "cli" => "Quản trị máy chủ (dòng lệnh)".to_string(),
        "schedule" => "Sao lưu tự động hằng ngày".to_string(),
        "install" => "Lệnh cài đặt".to_string(),
        other => other.to_string(),
    }
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b => format!("{:.0} KB", (b as f64 / 1024.0).ceil()),
    }
    .replace('.', ",")
}

fn backup_dir(app: &App) -> PathBuf {
    app.config.backup.dir(&app.config.data)
}

async fn backups_view(
    app: &Arc<App>,
    staff: &Desk,
    errors: Vec<FieldError>,
    flash: Option<&str>,
) -> Result<Response, HttpError> {
    let dir = backup_dir(app);
    let listed = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || backup::list(&dir)
    })
    .await
    .map_err(|e| HttpError::Internal(e.to_string()))?;
    let last_run = app.store.read(schedule::last_run).await?;
    let format = crate::format::datetime;
    let rows = listed
        .into_iter()
        .map(|(path, status)| {
            let file = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match status {
                Some(s) => Row {
                    file,
                    created: format(s.manifest.created_at),
                    size: human_size(s.size),
                    blobs: s.manifest.blob_count,
                    entries: s.manifest.tables.get("entries_v1").copied().unwrap_or(0),
                    encrypted: s.manifest.encrypted,
                    by: creator(&s.by),
                    verified: s.verified_at.map(format),
                    drill_ok: s.drill.as_ref().is_some_and(|d| d.ok),
                    drill: s.drill.map(|d| format(d.at)),
                },
                None => Row {
                    size: human_size(std::fs::metadata(&path).map_or(0, |m| m.len())),
                    file,
                    created: "không rõ".into(),
                    blobs: 0,
                    entries: 0,
                    encrypted: false,
                    by: String::new(),
                    verified: None,
                    drill: None,
                    drill_ok: false,
                },
            }
        })
        .collect();
    let policy = &app.config.backup;
    let schedule = if policy.enabled {
        format!(
            "Hằng ngày lúc {}; giữ {} bản theo ngày, {} theo tuần, {} theo tháng.",
            policy.at.strftime("%H:%M"),
            policy.keep_daily,
            policy.keep_weekly,
            policy.keep_monthly
        )
    } else {
        "Sao lưu tự động đang tắt (backup.enabled = false).".into()
    };
    let outcome = if errors.is_empty() {
        Outcome::Shown
    } else {
        Outcome::Invalid
    };
    let view = BackupsView {
        layout: staff.layout("Sao lưu").with_flash(flash),
        rows,
        last_run: last_run.map(|r| LastRunView {
            at: format(r.at),
            ok: r.ok,
            message: if r.summary.is_empty() {
                if r.ok {
                    "Sao lưu và khôi phục thử thành công.".to_string()
                } else {
                    "Sao lưu không thành công; chi tiết có trong nhật ký của máy chủ.".to_string()
                }
            } else {
                r.summary
            },
            last_verified_restore: r.last_verified_restore.map(format),
        }),
        schedule,
        dir: dir.display().to_string(),
        copy_to: policy.copy_to.as_ref().map(|p| p.display().to_string()),
        errors,
    };
    page(app, "admin/backups.html", &view, outcome)
}

/// `GET /quan-tri/sao-luu`
pub async fn backups_page(
    State(app): State<Arc<App>>,
    staff: Desk,
    query: Params,
) -> Result<Response, HttpError> {
    backups_view(&app, &staff, Vec::new(), query.flash()).await
}

/// `POST /quan-tri/sao-luu` — a backup now, verified before the page returns.
pub async fn backup_now(State(app): State<Arc<App>>, staff: Desk) -> Result<Response, HttpError> {
    match app.back_up_now(&staff.user.login).await {
        Ok(_) => Ok(see_other(&format!("{PATH}?tb=da-sao-luu"))),
        Err(BackupError::Running) => Ok(see_other(&format!("{PATH}?tb=dang-sao-luu"))),
        Err(BackupError::Failed(e)) => {
            tracing::error!(by = %staff.user.login, "backup failed: {e}");
            let error = FieldError {
                field: "sao-luu",
                message: format!("Không tạo được bản sao lưu: {}", e.vietnamese()),
            };
            backups_view(&app, &staff, vec![error], None).await
        }
    }
}

/// `POST /quan-tri/sao-luu/tai-ve` — one archive as a download, after the password.
pub async fn download_backup(
    State(app): State<Arc<App>>,
    staff: Desk,
    form: FormData,
) -> Result<Response, HttpError> {
    let wanted = form.get("file").to_string();
    let dir = backup_dir(&app);
    let listed = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || backup::list(&dir))
            .await
            .map_err(|e| HttpError::Internal(e.to_string()))?
    };
    // Only a file the list shows, by its exact name: no path reaches outside the folder.
    let Some((path, _)) = listed
        .into_iter()
        .find(|(p, _)| p.file_name().is_some_and(|n| n.to_string_lossy() == wanted))
    else {
        return Err(HttpError::NotFound);
    };
    if let Some(error) = password_confirmed(&app, &staff, &form).await? {
        return backups_view(&app, &staff, vec![error], None).await;
    }
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| HttpError::Internal(format!("cannot open {}: {e}", path.display())))?;
    let length = file
        .metadata()
        .await
        .map_err(|e| HttpError::Internal(e.to_string()))?
        .len();
    let (by, now, name) = (staff.actor.clone(), app.clock.now(), wanted.clone());
    app.store
        .write(move |tx| backup::record_download(tx, &by, &name, length, now))
        .await?;
    tracing::info!(by = %staff.user.login, file = %wanted, "backup downloaded");
    let stream = futures_util::stream::unfold(Some(file), |state| async move {
        let mut file = state?;
        let mut buffer = vec![0u8; 256 * 1024];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok::<_, std::io::Error>(Bytes::from(buffer)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    Ok((
        [
            (CONTENT_TYPE, "application/octet-stream".to_string()),
            (CONTENT_LENGTH, length.to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{wanted}\""),
            ),
            (CACHE_CONTROL, "no-store".to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

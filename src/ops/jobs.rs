//! Background work inside the server process: publishing scheduled entries on time;
//! each minute, starting the daily backup when it is due; and, hourly, dropping audit
//! records older than the retention period and disabling inactive accounts.
//! The scheduler looks every second, so it catches up at once after a restart, and it
//! reads time from the app's clock, so tests can move time forward.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::app::App;
use crate::content::{self, editorial};

/// Runs until `stop` turns true.
pub async fn scheduler(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks: u64 = 0;
    let mut last_day: Option<jiff::civil::Date> = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                app.warnings.flush_due();
                // Lists that depend on the date (a section's items past its online
                // period go to the archive) change at midnight, Vietnam time.
                let today = app.today();
                if last_day.replace(today).is_some_and(|day| day != today) {
                    app.cache.clear();
                }
                // An archive changes no more: what was scheduled before stays unpublished.
                if app.archive().is_none()
                    && let Err(e) = publish_due(&app).await
                {
                    tracing::error!("scheduled publishing failed: {e}");
                }
                if ticks.is_multiple_of(30) {
                    app.search.release_idle();
                }
                if ticks.is_multiple_of(60) {
                    start_daily_backup_if_due(&app).await;
                    check_integrity_if_due(&app).await;
                    if let Err(e) = save_visits(&app).await {
                        tracing::error!("saving the visit counts failed: {e}");
                    }
                }
                if ticks.is_multiple_of(3600)
                    && ticks > 0
                    && let Err(e) = sample_resources(&app).await
                {
                    tracing::error!("recording the resource sample failed: {e}");
                }
                if ticks.is_multiple_of(3600) {
                    match prune_audit(&app).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(records = n, "pruned audit records past retention"),
                        Err(e) => tracing::error!("pruning the audit trail failed: {e}"),
                    }
                    let (logs, today) = (app.config.data.join(crate::http::access_log::FOLDER), app.today());
                    let days = app.config.request_log_days;
                    let kept = crate::background::run("log-compress", move || {
                        use crate::http::access_log::{compress_closed, prune};
                        (prune(&logs, today, days), compress_closed(&logs, today))
                    })
                    .await;
                    let (pruned, compressed) = kept.unwrap_or_else(|e| {
                        let failed = || Err(std::io::Error::other(e.to_string()));
                        (failed(), failed())
                    });
                    match pruned {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(files = n, "pruned request logs past retention"),
                        Err(e) => tracing::error!("pruning the request logs failed: {e}"),
                    }
                    match compressed {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(files = n, "compressed the request logs of closed days"),
                        Err(e) => tracing::error!("compressing the request logs failed: {e}"),
                    }
                    match erase_expired_personal_data(&app).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(items = n, "erased personal data past its retention"),
                        Err(e) => tracing::error!("erasing personal data past its retention failed: {e}"),
                    }
                    // Nobody works in an archive: inactivity there would lock out its
                    // administrators too.
                    let disabled = if app.archive().is_some() {
                        Ok(Vec::new())
                    } else {
                        disable_inactive(&app).await
                    };
                    match disabled {
                        Ok(logins) if logins.is_empty() => {}
                        Ok(logins) => tracing::warn!(accounts = logins.join(", "), "disabled inactive accounts"),
                        Err(e) => tracing::error!("disabling inactive accounts failed: {e}"),
                    }
                }
                ticks += 1;
            }
            _ = stop.changed() => return,
        }
    }
}

/// Saves the visit counts (each minute), so a restart keeps them.
pub async fn save_visits(app: &App) -> Result<(), crate::store::Error> {
    let saved = app.visits.saved(app.clock.now());
    app.store
        .write(move |tx| crate::stats::save(tx, &saved))
        .await
}

/// Turns for scheduled heavy work: one daily backup and one daily integrity check at a
/// time. Each app has its own; the sites of one process share one (`App::scheduled_work`).
#[derive(Clone)]
pub struct Turns {
    backups: Arc<tokio::sync::Semaphore>,
    checks: Arc<tokio::sync::Semaphore>,
}

impl Default for Turns {
    fn default() -> Turns {
        Turns {
            backups: Arc::new(tokio::sync::Semaphore::new(1)),
            checks: Arc::new(tokio::sync::Semaphore::new(1)),
        }
    }
}

/// Starts the daily backup in its own task when it is due and none is running; the
/// scheduler goes on publishing meanwhile.
pub async fn start_daily_backup_if_due(app: &Arc<App>) {
    let policy = app.config.backup.clone();
    let now = app.clock.now();
    let last = match app.store.read(crate::backup::schedule::last_run).await {
        Ok(last) => last,
        Err(e) => {
            tracing::error!("cannot read the last backup run: {e}");
            return;
        }
    };
    if !crate::backup::schedule::due(&policy, last.as_ref(), now) {
        return;
    }
    let Ok(turn) = app.scheduled_work.backups.clone().try_acquire_owned() else {
        return;
    };
    let Some(_guard) = Exclusive::take(&app.backup_running) else {
        return;
    };
    let app = app.clone();
    tokio::spawn(async move {
        let _guard = _guard;
        let _turn = turn;
        let store = app.store.clone();
        let run = crate::background::run("backup", move || {
            crate::backup::schedule::run(&store, &policy, now)
        })
        .await;
        let failed = match run {
            Ok(run) if run.ok => None,
            Ok(run) => Some(run.summary),
            Err(e) => {
                tracing::error!("the daily backup could not run: {e}");
                Some(
                    "Không chạy được sao lưu (lỗi nội bộ, chi tiết trong nhật ký máy chủ)."
                        .to_string(),
                )
            }
        };
        if let Some(summary) = failed {
            app.alert_administrators("Sao lưu hằng ngày không thành công", summary)
                .await;
        }
    });
}

/// Runs the daily integrity check once the configured time has passed and no check has
/// run since then today.
pub async fn check_integrity_if_due(app: &Arc<App>) {
    let now = app.clock.now();
    let zone = crate::format::vietnam();
    let local = now.to_zoned_datetime(zone.clone());
    if !app.config.integrity.daily || local.time() < app.config.integrity.at {
        return;
    }
    let since = local.date().to_datetime(app.config.integrity.at);
    let latest = match app.store.read(crate::integrity::latest).await {
        Ok(latest) => latest,
        Err(e) => {
            tracing::error!("cannot read the last integrity report: {e}");
            return;
        }
    };
    if latest.is_some_and(|r| r.at.to_zoned_datetime(zone.clone()).datetime() >= since) {
        return;
    }
    let Ok(turn) = app.scheduled_work.checks.clone().try_acquire_owned() else {
        return;
    };
    // In a task of its own: hashing every file takes a while, and publishing goes on.
    let app = app.clone();
    tokio::spawn(async move {
        let _turn = turn;
        match app.check_integrity("schedule").await {
            Ok(_) | Err(crate::app::CheckError::Running) => {}
            Err(e) => tracing::error!("the daily integrity check failed to run: {e}"),
        }
    });
}

/// Holds a "running" flag of the app (`backup_running`, `integrity_running`) while
/// that work runs, so it never runs twice at once.
pub struct Exclusive(Arc<std::sync::atomic::AtomicBool>);

impl Exclusive {
    /// `None` if the work is already running.
    pub fn take(flag: &Arc<std::sync::atomic::AtomicBool>) -> Option<Exclusive> {
        flag.compare_exchange(
            false,
            true,
            std::sync::atomic::Ordering::AcqRel,
            std::sync::atomic::Ordering::Acquire,
        )
        .ok()
        .map(|_| Exclusive(flag.clone()))
    }
}

impl Drop for Exclusive {
    fn drop(&mut self) {
        self.0.store(false, std::sync::atomic::Ordering::Release);
    }
}

/// Notes this hour's disk, memory, load, requests and latency.
pub async fn sample_resources(
    app: &App,
) -> Result<crate::ops::resources::Sample, crate::store::Error> {
    let (requests, p95) = app.metrics.since_last_sample();
    let (data, now) = (app.config.data.clone(), app.clock.now());
    let sample = tokio::task::spawn_blocking(move || {
        crate::ops::resources::measure(&data, requests, p95, now)
    })
    .await
    .map_err(|e| crate::store::Error::Task(e.to_string()))?;
    let recorded = sample.clone();
    let previous = app
        .store
        .write(move |tx| {
            let previous = crate::ops::resources::latest(tx)?;
            crate::ops::resources::record(tx, &recorded)?;
            Ok::<_, crate::store::Error>(previous)
        })
        .await?;
    // Disk or memory past its threshold: the administrators hear of it when it crosses
    // (not every hour while it stays there).
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let now_over: Vec<String> = crate::ops::resources::warnings(&sample, cores)
        .into_iter()
        .filter(|w| w.starts_with("Ổ đĩa") || w.starts_with("Bộ nhớ"))
        .collect();
    let was_over = previous.is_some_and(|p| {
        crate::ops::resources::warnings(&p, cores)
            .iter()
            .any(|w| w.starts_with("Ổ đĩa") || w.starts_with("Bộ nhớ"))
    });
    if !now_over.is_empty() && !was_over {
        app.alert_administrators(
            "Máy chủ vượt ngưỡng cảnh báo tài nguyên",
            format!(
                "{} Xem mục “Tài nguyên máy chủ” trên trang quản trị.",
                now_over.join(" ")
            ),
        )
        .await;
    }
    Ok(sample)
}

/// Erases the personal data of questions, comments and messages closed longer ago than
/// `forms.keep_personal_data_months`; returns how many.
pub async fn erase_expired_personal_data(app: &App) -> Result<usize, crate::store::Error> {
    let now = app.clock.now();
    let Some(before) =
        crate::citizen::retention::cutoff(now, app.config.forms.keep_personal_data_months)
    else {
        return Ok(0);
    };
    let erased = app
        .store
        .write(move |tx| crate::citizen::retention::erase_expired(tx, before, now))
        .await?;
    if erased > 0 {
        // An approved comment may show its author's name on a cached page.
        app.cache.clear();
    }
    Ok(erased)
}

/// Drops audit records older than `audit.retention_days`; returns how many.
pub async fn prune_audit(app: &App) -> Result<usize, crate::store::Error> {
    let days = app.config.audit_retention_days;
    let Ok(before) = app
        .clock
        .now()
        .checked_sub(jiff::SignedDuration::from_hours(24 * days))
    else {
        return Ok(0);
    };
    app.store
        .write(move |tx| crate::audit::prune(tx, before))
        .await
}

/// Disables accounts unused for `accounts.inactive_days`; returns their logins.
pub async fn disable_inactive(app: &App) -> Result<Vec<String>, crate::auth::Error> {
    let days = app.config.inactive_days;
    let now = app.clock.now();
    let Ok(before) = now.checked_sub(jiff::SignedDuration::from_hours(24 * days)) else {
        return Ok(Vec::new());
    };
    app.store
        .write(move |tx| -> Result<_, crate::auth::Error> {
            let logins = crate::auth::disable_inactive(tx, before)?;
            for login in &logins {
                let detail = format!("no activity for {days} days");
                let event = crate::audit::Event::new("", "disabled_inactive", login).detail(detail);
                crate::audit::append(tx, event, now)?;
            }
            Ok(logins)
        })
        .await
}

/// Publishes every entry whose scheduled time has come; returns how many.
pub async fn publish_due(app: &App) -> Result<usize, content::Error> {
    let now = app.clock.now();
    let due = app.store.read(move |tx| editorial::due(tx, now)).await?;
    let mut published = 0;
    let origin = app.config.new_origin();
    for (at, id) in due {
        let origin = origin.clone();
        match app
            .write_and_refresh(id, move |tx| {
                let published = editorial::publish_due(tx, id, now)?;
                // An answer published on schedule tells its asker, as one published
                // by hand does.
                if let Some(entry) = &published {
                    crate::citizen::questions::tell_asker_if_answered(tx, entry, now, &origin)?;
                }
                Ok::<_, content::Error>(published)
            })
            .await
        {
            Ok(Some(_)) => {
                published += 1;
                let late = now.as_second() - at.as_second();
                tracing::info!(entry = id.0, late_seconds = late, "published on schedule");
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(
                    entry = id.0,
                    "could not publish on schedule; back to approved: {e}"
                );
                app.store
                    .write(move |tx| editorial::abandon_schedule(tx, id, now))
                    .await?;
            }
        }
    }
    Ok(published)
}

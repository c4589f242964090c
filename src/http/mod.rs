//! HTTP: the route table, the middleware frame, handlers and the server that runs them.
//! Handlers ask the domain for what they need and render a view; they never open a
//! redb table and never pick a status code outside `HttpError`.

pub mod access_log;
pub mod acme;
pub mod admin;
pub mod affinity;
mod archive;
pub mod assets;
pub mod body_deadline;
pub mod cache;
pub mod certinfo;
pub mod compress;
mod conn_streams;
pub(crate) mod conn_threads;
pub mod error;
pub mod form;
pub mod frame;
mod head_timeout;
pub mod health;
mod held_writes;
pub mod metrics;
pub mod params;
pub mod public;
pub mod redirect;
pub mod server;
pub mod sites;
pub mod tls;
mod unavailable;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;

use crate::app::App;
use error::HttpError;

/// The HTTPS site: every public route, wrapped in the frame.
pub fn router(app: Arc<App>) -> Router {
    let body_limit = usize::try_from(app.config.limits.body_max_bytes).unwrap_or(usize::MAX);
    Router::new()
        .route("/", get(public::home))
        .route("/tin-tuc", get(public::news))
        .route("/tin-tuc/{slug}", get(public::article))
        .route("/chuyen-muc/{slug}", get(public::category))
        .route(crate::paths::ARCHIVE, get(public::archive_index))
        .route("/luu-tru/{slug}", get(public::archive))
        .route("/trang/{slug}", get(public::page))
        .route(
            "/en",
            get(|| async { axum::response::Redirect::permanent("/en/") }),
        )
        .route("/en/", get(public::english_index))
        .route(
            public::ENGLISH_ORGANISATION,
            get(public::english_organisation),
        )
        .route(public::ENGLISH_CONTACTS, get(public::english_contacts))
        .route("/en/{slug}", get(public::english_page))
        .route("/so-do-trang", get(public::sitemap))
        .route(crate::paths::DISCLOSURE, get(public::disclosure))
        .route("/tim-kiem", get(public::search))
        .route("/van-ban", get(public::documents))
        .route("/van-ban/{slug}", get(public::document))
        .merge(record_routes())
        .route("/lich-cong-tac", get(public::week))
        .route("/lich-cong-tac/{slug}", get(public::week_entry))
        .route("/thu-tuc", get(public::procedures))
        .route("/thu-tuc/{slug}", get(public::procedure))
        .route("/du-lieu/van-ban.json", get(public::documents_json))
        .route("/du-lieu/van-ban.csv", get(public::documents_csv))
        .route("/du-lieu/thu-tuc.json", get(public::procedures_json))
        .route("/du-lieu/thu-tuc.csv", get(public::procedures_csv))
        .route(public::open_data::INDEX, get(public::open_data::index))
        .route("/du-lieu/{file}", get(public::open_data::dataset))
        .route("/rss/{name}", get(public::kind_feed))
        .route("/robots.txt", get(public::robots_txt))
        .route("/hien-thi.css", get(public::display::stylesheet))
        .route("/giao-dien.css", get(public::theme_css))
        .route("/thong-ke-truy-cap", get(public::visits_page))
        .route("/thong-ke-truy-cap.json", get(public::visits_json))
        .route("/hien-thi", axum::routing::post(public::display::choose))
        .route(crate::paths::ACCESSIBILITY, get(public::accessibility))
        .route(
            public::messages::FEEDBACK,
            get(public::messages::feedback_form).post(public::messages::submit),
        )
        .route(
            public::messages::REUSE,
            get(public::messages::reuse_form).post(public::messages::submit),
        )
        .route(public::messages::PRIVACY, get(public::messages::privacy))
        .route(
            public::questions::ASK,
            get(public::questions::ask_form).post(public::questions::ask),
        )
        .route(public::questions::STATUS, get(public::questions::status))
        .route(
            "/lay-y-kien/{slug}/gop-y",
            get(public::comments::comment_form).post(public::comments::comment),
        )
        .route(
            public::questions::ERASE,
            axum::routing::post(public::questions::erase),
        )
        .route(
            public::questions::DOWNLOAD,
            axum::routing::post(public::questions::download),
        )
        .route(
            public::mail::STOP,
            get(public::mail::stop_form).post(public::mail::stop),
        )
        .route("/sitemap.xml", get(public::sitemap_index))
        .route("/sitemap/{name}", get(public::sitemap_part))
        .route("/rss/chuyen-muc/{name}", get(public::category_feed))
        .route("/tep/{hash}/{name}", get(public::file))
        .route("/static/{*path}", get(assets::serve))
        .route("/.well-known/security.txt", get(public::security_txt))
        .route("/favicon.ico", get(public::favicon))
        .route("/apple-touch-icon.png", get(public::touch_icon))
        .route("/icon-192.png", get(public::touch_icon))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .merge(admin::router(app.clone()))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            archive::guard,
        ))
        .layer(axum::middleware::from_fn(compress::on_the_fly))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            frame::frame,
        ))
        .with_state(app)
}

/// The list and detail routes of every kind described in `content::record`.
fn record_routes() -> Router<Arc<App>> {
    let mut router = Router::new();
    for spec in crate::content::record::SPECS {
        let kind = spec.kind;
        router = router
            .route(
                kind.url_prefix(),
                get(move |s, q, h| public::records::list(kind, s, q, h)),
            )
            .route(
                &format!("{}/{{slug}}", kind.url_prefix()),
                get(move |s, p, h| public::records::detail(kind, s, p, h)),
            );
    }
    router
}

async fn not_found() -> HttpError {
    HttpError::NotFound
}

async fn method_not_allowed() -> HttpError {
    HttpError::MethodNotAllowed
}

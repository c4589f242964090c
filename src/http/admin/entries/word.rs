//! "Nhập từ tệp Word (.docx)": a civil servant's document becomes a draft article.
//! Its images go into the library through the upload pipeline (re-encoded, EXIF
//! dropped, smaller copies); one without alt text is kept and the editor's
//! accessibility warnings ask for it.

use std::sync::Arc;

use axum::extract::{Multipart, State};
use axum::response::Response;

use super::editor::{editor_data, editor_view};
use super::form::FormValues;
use crate::app::App;
use crate::content::{self, Kind, docx, editorial};
use crate::http::admin::views::FieldError;
use crate::http::admin::{Desk, PendingCsrf, Upload, page};
use crate::http::error::{HttpError, Outcome, see_other};

/// `POST /quan-tri/bai-viet/nhap-word` (multipart: `csrf`, `category`, `file`)
pub async fn import_word(
    State(app): State<Arc<App>>,
    staff: Desk,
    PendingCsrf(expected): PendingCsrf,
    multipart: Multipart,
) -> Result<Response, HttpError> {
    let upload = Upload::read(&expected, multipart).await?;
    let category = upload.text("category").to_string();
    let (name, bytes) = (upload.file_name, upload.bytes);
    let refuse = |message: &str| FieldError {
        field: "word",
        message: message.to_string(),
    };
    if bytes.is_empty() || !name.to_ascii_lowercase().ends_with(".docx") {
        return again(
            &app,
            &staff,
            refuse("Vui lòng chọn một tệp Word dạng .docx."),
        )
        .await;
    }
    let converted = match tokio::task::spawn_blocking(move || docx::convert(&bytes)).await {
        Ok(Ok(converted)) => converted,
        Ok(Err(docx::Error::Unreadable(why))) => return again(&app, &staff, refuse(why)).await,
        Err(e) => return Err(HttpError::Internal(e.to_string())),
    };
    let stem = name
        .rsplit_once('.')
        .map_or(name.as_str(), |(s, _)| s)
        .to_string();
    // Images are re-encoded off the async threads, then stored with the draft.
    let (html, title, pictures) = (converted.html, converted.title, converted.pictures);
    let prepared = tokio::task::spawn_blocking(move || {
        pictures
            .into_iter()
            .map(|p| {
                let upload = crate::media::Upload {
                    name: p.name,
                    bytes: p.bytes,
                    alt: p.alt,
                };
                (p.marker, crate::media::prepare_imported(upload))
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| HttpError::Internal(e.to_string()))?;
    let (actor, now) = (staff.actor.clone(), app.clock.now());
    let blobs = app.store.blobs.clone();
    let by = staff.user.login.clone();
    let source_file = name.clone();
    let title = if title.trim().is_empty() { stem } else { title };
    let created =
        app.store
            .write(move |tx| -> Result<_, content::Error> {
                let mut body = html;
                for (marker, prepared) in prepared {
                    match prepared {
                        Ok(prepared) => {
                            let meta = crate::media::store(tx, &blobs, prepared, &by, now)
                                .map_err(|e| match e {
                                    crate::media::Error::Store(e) => content::Error::Store(e),
                                    crate::media::Error::Refused(why) => {
                                        content::Error::Invalid(content::Invalid {
                                            field: "word",
                                            message: why.to_string(),
                                        })
                                    }
                                })?;
                            let src = crate::paths::blob(&meta.hash, &meta.original_name);
                            body = body
                                .replace(&format!("src=\"{marker}\""), &format!("src=\"{src}\""));
                        }
                        // An image the pipeline refuses (a format it does not take) is left out.
                        Err(_) => {
                            body = drop_image(&body, &marker);
                        }
                    }
                }
                let draft = editorial::Draft {
                    kind: Some(Kind::Article),
                    category: Some(category).filter(|c| !c.is_empty()),
                    title,
                    body_html: body,
                    // The person bringing the document in, until the editor says
                    // otherwise.
                    author: actor.name.clone(),
                    // Their unit is where the document comes from (the editor can
                    // change it).
                    source: crate::auth::units(tx)
                        .ok()
                        .and_then(|units| {
                            units
                                .into_iter()
                                .find(|u| Some(u.id.0) == actor.unit)
                                .map(|u| u.name)
                        })
                        .unwrap_or_else(|| format!("Tài liệu {source_file}")),
                    ..editorial::Draft::default()
                };
                editorial::create_entry(tx, &actor, draft, now)
            })
            .await;
    match created {
        Ok(entry) => Ok(see_other(&format!(
            "/quan-tri/bai-viet/{}?tb=da-nhap-word",
            entry.id
        ))),
        Err(content::Error::Invalids(invalid)) => {
            let first = invalid
                .into_iter()
                .next()
                .map_or_else(String::new, |i| i.message);
            again(&app, &staff, refuse(&first)).await
        }
        Err(content::Error::Invalid(one)) => again(&app, &staff, refuse(&one.message)).await,
        Err(other) => Err(other.into()),
    }
}

/// The `<img>` carrying `marker`, taken out.
fn drop_image(html: &str, marker: &str) -> String {
    let needle = format!("<img src=\"{marker}\"");
    let Some(start) = html.find(&needle) else {
        return html.to_string();
    };
    let end = html[start..]
        .find('>')
        .map_or(html.len(), |e| start + e + 1);
    format!("{}{}", &html[..start], &html[end..])
}

/// The new-entry page again, with what went wrong.
async fn again(app: &Arc<App>, staff: &Desk, error: FieldError) -> Result<Response, HttpError> {
    let data = editor_data(app, staff, None).await?;
    let values = FormValues {
        kind: "article".into(),
        ..FormValues::default()
    };
    let view = editor_view(app, staff, data, Some(values), vec![error], None);
    page(app, "admin/editor.html", &view, Outcome::Invalid)
}

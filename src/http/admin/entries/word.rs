//! "Nhập từ tệp Word (.docx)": a civil servant's document becomes a draft article.
//! Its images go into the library through the upload pipeline (re-encoded, EXIF
//! dropped, smaller copies); when some have no alt text, a page asks for it before the
//! draft is made.

use std::sync::Arc;

use axum::extract::{Multipart, State};
use axum::response::Response;

use serde::Serialize;

use super::editor::{editor_data, editor_view};
use super::form::FormValues;
use crate::app::App;
use crate::content::sanitize::escape;
use crate::content::{self, Kind, docx, editorial};
use crate::http::admin::form::FormData;
use crate::http::admin::views::FieldError;
use crate::http::admin::{Desk, PendingCsrf, Upload, page};
use crate::http::error::{HttpError, Outcome, see_other};
use crate::store::BlobHash;

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
    let title = if title.trim().is_empty() { stem } else { title };
    let (now, by) = (app.clock.now(), staff.user.login.clone());
    let blobs = app.store.blobs.clone();
    // The images go into the library first; the draft is made once each has its alt
    // text (Word files rarely carry one).
    let stored =
        app.store
            .write(move |tx| -> Result<_, content::Error> {
                let mut body = html;
                let mut without_alt = Vec::new();
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
                            if body.contains(&format!("src=\"{src}\" alt=\"\"")) {
                                without_alt.push(meta);
                            }
                        }
                        // An image the pipeline refuses (a format it does not take) is left out.
                        Err(_) => {
                            body = drop_image(&body, &marker);
                        }
                    }
                }
                Ok((body, without_alt))
            })
            .await;
    let (body, without_alt) = match stored {
        Ok(stored) => stored,
        Err(content::Error::Invalid(one)) => {
            return again(&app, &staff, refuse(&one.message)).await;
        }
        Err(other) => return Err(other.into()),
    };
    let pending = PendingWord {
        title,
        category,
        source_file: name,
        body,
    };
    if without_alt.is_empty() {
        create_draft(&app, &staff, pending).await
    } else {
        alt_prompt(&app, &staff, pending, &without_alt, Vec::new())
    }
}

/// A converted document waiting for its images' alt text; it travels in the prompt's
/// hidden fields (the body is sanitised again when the draft is made).
#[derive(Serialize)]
struct PendingWord {
    title: String,
    category: String,
    source_file: String,
    body: String,
}

#[derive(Serialize)]
struct PromptImage {
    hash: String,
    name: String,
    thumb: String,
}

#[derive(Serialize)]
struct AltPromptView {
    layout: crate::http::admin::views::AdminLayout,
    pending: PendingWord,
    images: Vec<PromptImage>,
    errors: Vec<FieldError>,
}

/// "Ảnh trong tệp Word cần mô tả": one required field per image without alt text.
fn alt_prompt(
    app: &Arc<App>,
    staff: &Desk,
    pending: PendingWord,
    images: &[crate::store::BlobMeta],
    errors: Vec<FieldError>,
) -> Result<Response, HttpError> {
    let outcome = if errors.is_empty() {
        Outcome::Shown
    } else {
        Outcome::Invalid
    };
    let view = AltPromptView {
        layout: staff.layout("Mô tả ảnh trong tệp Word"),
        images: images
            .iter()
            .map(|m| PromptImage {
                hash: m.hash.to_string(),
                name: m.original_name.clone(),
                thumb: crate::paths::blob(
                    m.variants.first().map_or(&m.hash, |v| &v.hash),
                    &m.original_name,
                ),
            })
            .collect(),
        pending,
        errors,
    };
    page(app, "admin/word_alt.html", &view, outcome)
}

/// `POST /quan-tri/bai-viet/nhap-word/mo-ta-anh`: the alt text of the document's
/// images; the draft is made when every image has one.
pub async fn describe_word_images(
    State(app): State<Arc<App>>,
    staff: Desk,
    form: FormData,
) -> Result<Response, HttpError> {
    let mut pending = PendingWord {
        title: form.get("title").into(),
        category: form.get("category").into(),
        source_file: form.get("source_file").into(),
        body: form.get("body").into(),
    };
    let hashes: Vec<BlobHash> = form
        .all("anh")
        .into_iter()
        .filter_map(|h| BlobHash::try_from(h.to_string()).ok())
        .collect();
    let library = app
        .store
        .read(move |tx| crate::media::files(tx, &hashes))
        .await?;
    let mut missing = Vec::new();
    let mut described = Vec::new();
    for meta in library {
        let alt = form.get(&format!("alt-{}", meta.hash)).trim().to_string();
        let src = crate::paths::blob(&meta.hash, &meta.original_name);
        if alt.is_empty() {
            missing.push(meta);
        } else {
            pending.body = pending.body.replace(
                &format!("src=\"{src}\" alt=\"\""),
                &format!("src=\"{src}\" alt=\"{}\"", escape(&alt)),
            );
            described.push((meta.hash, alt));
        }
    }
    if !missing.is_empty() {
        let error = FieldError {
            field: "alt-1",
            message: "Vui lòng nhập mô tả cho mọi ảnh: người khiếm thị nghe mô tả thay cho ảnh."
                .to_string(),
        };
        return alt_prompt(&app, &staff, pending, &missing, vec![error]);
    }
    // The library keeps the description too, for the next time the image is chosen.
    app.store
        .write(move |tx| crate::media::describe_if_undescribed(tx, &described))
        .await?;
    create_draft(&app, &staff, pending).await
}

/// The draft article made of a converted document.
async fn create_draft(
    app: &Arc<App>,
    staff: &Desk,
    pending: PendingWord,
) -> Result<Response, HttpError> {
    let (actor, now) = (staff.actor.clone(), app.clock.now());
    let PendingWord {
        title,
        category,
        source_file,
        body,
    } = pending;
    let created = app
        .store
        .write(move |tx| -> Result<_, content::Error> {
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
    let refuse = |message: &str| FieldError {
        field: "word",
        message: message.to_string(),
    };
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
            again(app, staff, refuse(&first)).await
        }
        Err(content::Error::Invalid(one)) => again(app, staff, refuse(&one.message)).await,
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
    let data = editor_data(app, staff, None, Vec::new()).await?;
    let values = FormValues {
        kind: "article".into(),
        ..FormValues::default()
    };
    let view = editor_view(app, staff, data, Some(values), vec![error], None);
    page(app, "admin/editor.html", &view, Outcome::Invalid)
}

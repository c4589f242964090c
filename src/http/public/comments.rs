//! The comment form of a draft open for consultation (C8): `/lay-y-kien/{slug}/gop-y`.
//! It takes comments only inside the draft's window; they wait for moderation.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};

use crate::http::form::Form;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::citizen::comments::{self, Window};
use crate::citizen::{self, Kind as MessageKind, Sent};
use crate::content::{self, Kind, Published};
use crate::http::admin::page;
use crate::http::error::{HttpError, Outcome};
use crate::http::frame::check_origin;
use crate::http::server::Peer;
use crate::render::views::Layout;
use crate::site::{self, SiteSettings};

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct CommentFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    show_name: Option<String>,
    /// "Tell me by mail".
    #[serde(default)]
    mail: Option<String>,
    #[serde(default)]
    consent: Option<String>,
    #[serde(default)]
    website: String,
    #[serde(default)]
    challenge: String,
    #[serde(default)]
    answer: String,
}

#[derive(Serialize)]
struct FieldError {
    field: &'static str,
    message: &'static str,
}

#[derive(Serialize)]
struct CommentFormView {
    layout: Layout,
    draft_title: String,
    draft_url: String,
    open: bool,
    sent: bool,
    /// The number of the comment just sent, for a later request to erase it.
    sent_number: String,
    values: CommentFields,
    errors: Vec<FieldError>,
    refusal: Option<&'static str>,
    question: String,
    token: String,
}

async fn load(app: &Arc<App>, slug: String) -> Result<(SiteSettings, Published), HttpError> {
    let found = app
        .store
        .read(move |tx| -> Result<_, content::Error> {
            Ok(
                match content::find_published(tx, Kind::Consultation, &slug)? {
                    Some(draft) => Some((site::load(tx)?, draft)),
                    None => None,
                },
            )
        })
        .await?;
    found.ok_or(HttpError::NotFound)
}

async fn show(
    app: &Arc<App>,
    slug: String,
    values: CommentFields,
    errors: Vec<FieldError>,
    refusal: Option<&'static str>,
    sent: Option<u64>,
    outcome: Outcome,
) -> Result<Response, HttpError> {
    let (site, draft) = load(app, slug).await?;
    let challenge = app.form_guard.challenge()?;
    let path = format!("{}/gop-y", draft.url());
    let view = CommentFormView {
        layout: Layout::new(&site, app.origin(), "Gửi ý kiến về dự thảo", &path)
            .without_canonical(),
        draft_title: draft.revision.fields.title.clone(),
        draft_url: draft.url(),
        open: comments::window(&draft, app.today()) == Window::Open,
        sent: sent.is_some(),
        sent_number: sent.map(|n| format!("YK-{n:06}")).unwrap_or_default(),
        values: CommentFields {
            website: String::new(),
            challenge: String::new(),
            answer: String::new(),
            ..values
        },
        errors,
        refusal,
        question: challenge.question,
        token: challenge.token,
    };
    page(app, "public/comment_form.html", &view, outcome)
}

/// `GET /lay-y-kien/{slug}/gop-y`
pub async fn comment_form(
    State(app): State<Arc<App>>,
    Path(slug): Path<String>,
) -> Result<Response, HttpError> {
    show(
        &app,
        slug,
        CommentFields::default(),
        Vec::new(),
        None,
        None,
        Outcome::Shown,
    )
    .await
}

/// `POST /lay-y-kien/{slug}/gop-y`
pub async fn comment(
    State(app): State<Arc<App>>,
    Path(slug): Path<String>,
    peer: Option<Extension<Peer>>,
    headers: HeaderMap,
    uri: Uri,
    Form(fields): Form<CommentFields>,
) -> Result<Response, HttpError> {
    check_origin(&headers, &uri)?;
    let ip = super::antispam::sender(peer);
    // A wrong anti-spam answer is one error among the others, reported in one pass.
    let mut answer_error = None;
    if let Err(refused) = super::antispam::admit(
        &app,
        uri.path(),
        ip,
        &fields.website,
        &fields.challenge,
        &fields.answer,
    ) {
        if !refused.on_answer {
            return show(
                &app,
                slug,
                fields,
                Vec::new(),
                Some(refused.message),
                None,
                refused.outcome,
            )
            .await;
        }
        answer_error = Some(FieldError {
            field: "answer",
            message: refused.message,
        });
    }
    let sent = Sent {
        kind: MessageKind::Feedback,
        name: fields.name.clone(),
        email: fields.email.clone(),
        organisation: fields.organisation.clone(),
        subject: "ý kiến".into(),
        text: fields.text.clone(),
        page: String::new(),
    };
    let mut errors: Vec<FieldError> = answer_error.into_iter().collect();
    let checked = match citizen::check(sent) {
        Ok(checked) => Some(checked),
        Err(invalid) => {
            errors.extend(invalid.into_iter().map(|i| FieldError {
                field: i.field,
                message: i.message,
            }));
            None
        }
    };
    if fields.consent.is_none() {
        errors.push(FieldError {
            field: "consent",
            message: "Vui lòng đồng ý với thông báo xử lý dữ liệu cá nhân để gửi.",
        });
    }
    let Some(checked) = checked.filter(|_| errors.is_empty()) else {
        return show(&app, slug, fields, errors, None, None, Outcome::Invalid).await;
    };
    let (today, now, show_name) = (app.today(), app.clock.now(), fields.show_name.is_some());
    let sent = comments::Sent {
        name: checked.name,
        email: checked.email,
        organisation: checked.organisation,
        text: checked.text,
        show_name,
        mail_consent: fields.mail.is_some(),
    };
    let lookup = slug.clone();
    let stored = match app
        .store
        .write(move |tx| comments::comment_on(tx, &lookup, sent, today, now))
        .await
    {
        Ok(comment) => Some(comment.seq),
        Err(comments::Error::NotOpen) => None,
        Err(e) => return Err(e.into()),
    };
    if let Some(seq) = stored {
        app.form_guard.count(ip);
        app.mail_wake.notify_one();
        app.menu_counts.clear();
        tracing::info!(comment = seq, "a comment on a draft waits for moderation");
        show(
            &app,
            slug,
            CommentFields::default(),
            Vec::new(),
            None,
            Some(seq),
            Outcome::Shown,
        )
        .await
    } else {
        let closed = FieldError {
            field: "text",
            message: "Dự thảo này không còn trong thời gian lấy ý kiến.",
        };
        show(
            &app,
            slug,
            fields,
            vec![closed],
            None,
            None,
            Outcome::Invalid,
        )
        .await
    }
}

//! The citizens' forms' extractor: the body as `FormData` parses it (percent-decoded,
//! every value NFC-normalised, in the one place that does that for the admin forms
//! too), then read into the handler's type. A body that is not a form gets the error
//! page, not a bare text reply.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use super::admin::form::FormData;
use super::error::HttpError;

/// `application/x-www-form-urlencoded` fields read into `T` (its fields are strings:
/// the first value of each name).
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = HttpError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                HttpError::PayloadTooLarge
            } else {
                HttpError::BadRequest("unreadable form body")
            }
        })?;
        let form = FormData::parse(&bytes).ok_or(HttpError::BadRequest("malformed form"))?;
        serde_json::from_value(form.first_values())
            .map(Form)
            .map_err(|_| HttpError::BadRequest("unexpected form fields"))
    }
}

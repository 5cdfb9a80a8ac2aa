//! The one CSRF check of the HTML forms: an extractor that reads a form-encoded body (each
//! field at most once) and accepts it only when its `csrf` field matches the CSRF cookie
//! (double submit, compared in constant time). A handler that takes a [`CsrfForm`] cannot
//! skip the check; one that fails it never runs. `CsrfForm<T>` parses the body into the
//! handler's typed input `T` (a form that does not fit is refused as malformed); the
//! default, a map of fields, serves the sign-in pages that carry an authorization request.

use super::browser::{csrf_ok, parse_unique};
use super::pages;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// A posted form whose CSRF field matched its cookie, parsed into `T`.
pub struct CsrfForm<T = HashMap<String, String>>(pub T);

/// Why a form was not accepted.
#[derive(Debug)]
pub enum FormRefused {
    /// The body could not be read (too large, cut off): actix's own answer.
    Body(actix_web::Error),
    Malformed,
    Csrf,
}

impl std::fmt::Display for FormRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormRefused::Body(e) => write!(f, "unreadable form body: {e}"),
            FormRefused::Malformed => f.write_str("malformed form"),
            FormRefused::Csrf => f.write_str("CSRF check failed"),
        }
    }
}

impl ResponseError for FormRefused {
    fn status_code(&self) -> StatusCode {
        match self {
            FormRefused::Body(e) => e.as_response_error().status_code(),
            FormRefused::Malformed => StatusCode::BAD_REQUEST,
            FormRefused::Csrf => StatusCode::FORBIDDEN,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            FormRefused::Body(e) => e.error_response(),
            FormRefused::Malformed => {
                pages::error(StatusCode::BAD_REQUEST, "The form is malformed.")
            }
            FormRefused::Csrf => pages::error(
                StatusCode::FORBIDDEN,
                "This form has expired. Go back and try again.",
            ),
        }
    }
}

/// The check itself, for the extractor and for tests of it.
pub fn check(req: &HttpRequest, body: &[u8]) -> Result<HashMap<String, String>, FormRefused> {
    let form = std::str::from_utf8(body)
        .ok()
        .and_then(parse_unique)
        .ok_or(FormRefused::Malformed)?;
    if !csrf_ok(req, &form) {
        return Err(FormRefused::Csrf);
    }
    Ok(form)
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = FormRefused;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let body = body.await.map_err(FormRefused::Body)?;
            check(&req, &body)?;
            let typed = serde_urlencoded::from_bytes(&body).map_err(|_| FormRefused::Malformed)?;
            Ok(CsrfForm(typed))
        })
    }
}

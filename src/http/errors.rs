//! Fallback handlers and extractor error mapping, so even framework-level failures answer
//! with problem+json and never echo input.

use crate::error::AppError;
use actix_web::error::{JsonPayloadError, PayloadError};
use actix_web::{web, HttpRequest};

pub async fn route_not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::RouteNotFound)
}

pub async fn method_not_allowed() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::MethodNotAllowed)
}

/// JSON bodies: size limit and problem+json errors that name the problem, not the input.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(
        |err: JsonPayloadError, _req: &HttpRequest| {
            let mapped = match err {
                JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Overflow { .. } => AppError::PayloadTooLarge,
                JsonPayloadError::Payload(PayloadError::Overflow) => AppError::PayloadTooLarge,
                JsonPayloadError::ContentType => AppError::UnsupportedMediaType,
                JsonPayloadError::Deserialize(e) => AppError::InvalidRequest(format!(
                    "body is not valid JSON for this endpoint (line {}, column {})",
                    e.line(),
                    e.column()
                )),
                _ => AppError::InvalidRequest("unreadable request body".into()),
            };
            mapped.into()
        },
    )
}

/// Query strings: problem+json that names no value.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|_err, _req| {
        AppError::InvalidRequest("query parameters are invalid for this endpoint".into()).into()
    })
}

/// A path id that does not parse names nothing that exists: 404, as a page on the browser
/// routes (`/sso/...`) and as problem+json elsewhere.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, req| {
        if req.path().starts_with("/sso/") {
            let page = super::pages::error(
                actix_web::http::StatusCode::NOT_FOUND,
                "This sign-in link does not exist.",
            );
            actix_web::error::InternalError::from_response(err, page).into()
        } else {
            AppError::NotFound.into()
        }
    })
}

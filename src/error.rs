//! The service's one error type. Every variant has a stable snake_case code and maps once to
//! an RFC 9457 problem document; internal details are logged (scrubbed), never sent.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A request that is malformed; the text is safe to show (it names fields, not values).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("authentication required")]
    Unauthorized,
    #[error("not allowed")]
    Forbidden,
    /// The workspace requires a second factor the caller's sign-in has not passed.
    #[error("multi-factor authentication required")]
    MfaRequired,
    #[error("not found")]
    NotFound,
    /// The workspace is suspended or cancelled by the platform operator.
    #[error("workspace suspended")]
    TenantSuspended,
    #[error("no such route")]
    RouteNotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// The rate limiter cannot decide (Redis down or slow): fail closed.
    #[error("rate limiter unavailable")]
    LimiterUnavailable { retry_after_secs: u64 },
    #[error("dependency unavailable")]
    Unavailable,
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(e.into())
    }

    /// Stable machine-readable code, part of the API contract.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::InvalidRequest(_) => "invalid_request",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::MfaRequired => "mfa_required",
            AppError::NotFound => "not_found",
            AppError::TenantSuspended => "tenant_suspended",
            AppError::RouteNotFound => "route_not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::Conflict(_) => "conflict",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::LimiterUnavailable { .. } => "rate_limiter_unavailable",
            AppError::Unavailable => "service_unavailable",
            AppError::Internal(_) => "internal_error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            AppError::InvalidRequest(_) => "The request is invalid",
            AppError::Unauthorized => "Authentication is required",
            AppError::Forbidden => "You are not allowed to do this",
            AppError::MfaRequired => "Multi-factor authentication required",
            AppError::NotFound => "Not found",
            AppError::TenantSuspended => "The workspace is suspended",
            AppError::RouteNotFound => "No such endpoint",
            AppError::MethodNotAllowed => "Method not allowed on this endpoint",
            AppError::Conflict(_) => "Conflict with the current state",
            AppError::PayloadTooLarge => "Request body too large",
            AppError::UnsupportedMediaType => "Unsupported content type",
            AppError::RateLimited { .. } => "Too many requests",
            AppError::LimiterUnavailable { .. } => "Temporarily unavailable",
            AppError::Unavailable => "Temporarily unavailable",
            AppError::Internal(_) => "Internal error",
        }
    }

    /// Text safe to show the client.
    fn detail(&self) -> Option<String> {
        match self {
            AppError::InvalidRequest(d) => Some(d.clone()),
            AppError::Conflict(d) => Some((*d).to_string()),
            AppError::MfaRequired => Some(
                "This workspace requires multi-factor authentication: sign in with your second factor first."
                    .into(),
            ),
            AppError::RateLimited { retry_after_secs } => {
                Some(format!("Retry after {retry_after_secs} seconds."))
            }
            AppError::LimiterUnavailable { .. } => Some(
                "Request limits cannot be checked right now, so the request was refused. Retry shortly."
                    .into(),
            ),
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::RateLimited { retry_after_secs }
            | AppError::LimiterUnavailable { retry_after_secs } => Some(*retry_after_secs),
            AppError::Unavailable => Some(1),
            _ => None,
        }
    }
}

#[derive(Serialize)]
pub struct Problem<'a> {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'a str,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub code: &'a str,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::MfaRequired | AppError::TenantSuspended => {
                StatusCode::FORBIDDEN
            }
            AppError::NotFound | AppError::RouteNotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::LimiterUnavailable { .. } | AppError::Unavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(e) = self {
            // Scrubbed by the log writer; the client only sees the code.
            tracing::error!(error = format!("{e:#}"), "internal error");
        }
        let status = self.status_code();
        let body = Problem {
            kind: format!("urn:identity:problem:{}", self.code()),
            title: self.title(),
            status: status.as_u16(),
            detail: self.detail(),
            code: self.code(),
        };
        let mut resp = HttpResponse::build(status);
        resp.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        resp.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(secs) = self.retry_after() {
            resp.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if matches!(self, AppError::Unauthorized) {
            resp.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        resp.body(serde_json::to_string(&body).unwrap_or_default())
    }
}

impl From<crate::ratelimit::Refusal> for AppError {
    fn from(r: crate::ratelimit::Refusal) -> Self {
        match r {
            crate::ratelimit::Refusal::Limited { retry_after_secs } => {
                AppError::RateLimited { retry_after_secs }
            }
            crate::ratelimit::Refusal::Unavailable => AppError::LimiterUnavailable {
                retry_after_secs: 5,
            },
        }
    }
}

impl From<crate::db::DbError> for AppError {
    fn from(e: crate::db::DbError) -> Self {
        match e {
            crate::db::DbError::Unavailable(reason) => {
                tracing::warn!(%reason, "database unavailable");
                AppError::Unavailable
            }
            crate::db::DbError::NotFound => AppError::NotFound,
            crate::db::DbError::TenantNotActive => AppError::TenantSuspended,
            crate::db::DbError::Conflict(what) => AppError::Conflict(what),
            other => AppError::internal(other),
        }
    }
}

//! OAuth 2.0 error responses (RFC 6749 §5.2, RFC 8707, RFC 7009): `{"error", "error_description"}`.
//! The OAuth endpoints answer in this format, which OAuth client libraries expect.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("invalid_request: {0}")]
    InvalidRequest(&'static str),
    /// Client authentication failed. `basic` when the client tried HTTP Basic.
    #[error("invalid_client")]
    InvalidClient { basic: bool },
    #[error("invalid_grant: {0}")]
    InvalidGrant(&'static str),
    #[error("unauthorized_client: {0}")]
    UnauthorizedClient(&'static str),
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    #[error("invalid_scope: {0}")]
    InvalidScope(&'static str),
    #[error("invalid_target: {0}")]
    InvalidTarget(&'static str),
    #[error("unsupported_token_type")]
    UnsupportedTokenType,
    #[error("slow_down")]
    RateLimited { retry_after_secs: u64 },
    #[error("temporarily_unavailable: {0}")]
    Unavailable(&'static str),
    #[error("server_error: {0}")]
    Server(String),
    /// The grant's workspace is suspended or cancelled (`invalid_grant`).
    #[error("invalid_grant: the workspace is suspended")]
    WorkspaceSuspended,
}

impl OAuthError {
    pub fn server(e: impl std::fmt::Display) -> Self {
        OAuthError::Server(e.to_string())
    }

    fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::InvalidClient { .. } => "invalid_client",
            OAuthError::InvalidGrant(_) | OAuthError::WorkspaceSuspended => "invalid_grant",
            OAuthError::UnauthorizedClient(_) => "unauthorized_client",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::InvalidScope(_) => "invalid_scope",
            OAuthError::InvalidTarget(_) => "invalid_target",
            OAuthError::UnsupportedTokenType => "unsupported_token_type",
            OAuthError::RateLimited { .. } => "slow_down",
            OAuthError::Unavailable(_) => "temporarily_unavailable",
            OAuthError::Server(_) => "server_error",
        }
    }

    fn description(&self) -> Option<&str> {
        match self {
            OAuthError::InvalidRequest(d)
            | OAuthError::InvalidGrant(d)
            | OAuthError::UnauthorizedClient(d)
            | OAuthError::InvalidScope(d)
            | OAuthError::InvalidTarget(d)
            | OAuthError::Unavailable(d) => Some(d),
            OAuthError::InvalidClient { .. } => Some("client authentication failed"),
            OAuthError::WorkspaceSuspended => Some("the workspace is suspended"),
            _ => None,
        }
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            OAuthError::InvalidClient { .. } => StatusCode::UNAUTHORIZED,
            OAuthError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            OAuthError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            OAuthError::Server(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let OAuthError::Server(e) = self {
            tracing::error!(error = %e, "token endpoint failure");
        }
        let mut body = json!({"error": self.code()});
        if let (Some(d), Some(obj)) = (self.description(), body.as_object_mut()) {
            obj.insert("error_description".into(), d.into());
        }
        let mut resp = HttpResponse::build(self.status_code());
        resp.insert_header((header::CACHE_CONTROL, "no-store"));
        resp.insert_header((header::PRAGMA, "no-cache"));
        match self {
            OAuthError::InvalidClient { basic: true } => {
                resp.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"identity\""));
            }
            OAuthError::RateLimited { retry_after_secs } => {
                resp.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            OAuthError::Unavailable(_) => {
                resp.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        resp.json(body)
    }
}

impl From<crate::ratelimit::Refusal> for OAuthError {
    fn from(r: crate::ratelimit::Refusal) -> Self {
        match r {
            crate::ratelimit::Refusal::Limited { retry_after_secs } => {
                OAuthError::RateLimited { retry_after_secs }
            }
            crate::ratelimit::Refusal::Unavailable => {
                OAuthError::Unavailable("request limits cannot be checked right now")
            }
        }
    }
}

impl From<crate::db::DbError> for OAuthError {
    fn from(e: crate::db::DbError) -> Self {
        match e {
            crate::db::DbError::Unavailable(_) => OAuthError::Unavailable("database unavailable"),
            crate::db::DbError::TenantNotActive => OAuthError::WorkspaceSuspended,
            other => OAuthError::server(other),
        }
    }
}

impl From<super::clients::ClientError> for OAuthError {
    fn from(e: super::clients::ClientError) -> Self {
        match e {
            super::clients::ClientError::Db(db) => db.into(),
            other => OAuthError::server(other),
        }
    }
}

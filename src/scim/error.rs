//! SCIM error bodies (RFC 7644 §3.12): `application/scim+json` with `status` as a string
//! and a `scimType` where the RFC names one. Internal details never reach the client.

use super::schema::ERROR;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

pub const SCIM_JSON: &str = "application/scim+json";

#[derive(Debug, thiserror::Error)]
pub enum ScimError {
    #[error("{1}")]
    BadRequest(Option<&'static str>, String),
    #[error("authentication required")]
    Unauthorized,
    #[error("not found")]
    NotFound,
    /// The token's maker does not reach this account or group (the authority rule), or the
    /// workspace is not active; the text says which.
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    Uniqueness(String),
    #[error("the resource changed since it was read (If-Match)")]
    PreconditionFailed,
    #[error("request body too large")]
    TooLarge,
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    #[error("temporarily unavailable")]
    Unavailable,
}

impl ScimError {
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        ScimError::BadRequest(Some("invalidValue"), detail.into())
    }
    pub fn invalid_path(detail: impl Into<String>) -> Self {
        ScimError::BadRequest(Some("invalidPath"), detail.into())
    }
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        ScimError::BadRequest(Some("invalidFilter"), detail.into())
    }
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        ScimError::BadRequest(Some("invalidSyntax"), detail.into())
    }
    pub fn mutability(detail: impl Into<String>) -> Self {
        ScimError::BadRequest(Some("mutability"), detail.into())
    }
    pub fn no_target(detail: impl Into<String>) -> Self {
        ScimError::BadRequest(Some("noTarget"), detail.into())
    }

    pub fn scim_type(&self) -> Option<&'static str> {
        match self {
            ScimError::BadRequest(t, _) => *t,
            ScimError::Uniqueness(_) => Some("uniqueness"),
            ScimError::TooLarge => Some("tooMany"),
            _ => None,
        }
    }
}

impl From<crate::db::DbError> for ScimError {
    fn from(e: crate::db::DbError) -> Self {
        match e {
            crate::db::DbError::Conflict(what) => ScimError::Uniqueness(what.to_string()),
            crate::db::DbError::NotFound => ScimError::NotFound,
            crate::db::DbError::TenantNotActive => {
                ScimError::Forbidden("the workspace is suspended")
            }
            other => {
                tracing::error!(error = %other, "scim: database error");
                ScimError::Unavailable
            }
        }
    }
}

impl From<crate::audit::AuditError> for ScimError {
    fn from(e: crate::audit::AuditError) -> Self {
        tracing::error!(error = %e, "scim: audit error");
        ScimError::Unavailable
    }
}

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        match self {
            ScimError::BadRequest(..) => StatusCode::BAD_REQUEST,
            ScimError::Unauthorized => StatusCode::UNAUTHORIZED,
            ScimError::NotFound => StatusCode::NOT_FOUND,
            ScimError::Forbidden(_) => StatusCode::FORBIDDEN,
            ScimError::Uniqueness(_) => StatusCode::CONFLICT,
            ScimError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ScimError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ScimError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ScimError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut body = json!({
            "schemas": [ERROR],
            "status": status.as_u16().to_string(),
            "detail": self.to_string(),
        });
        if let Some(t) = self.scim_type() {
            body["scimType"] = json!(t);
        }
        let mut resp = HttpResponse::build(status);
        resp.content_type(SCIM_JSON);
        match self {
            ScimError::Unauthorized => {
                resp.insert_header(("WWW-Authenticate", "Bearer realm=\"scim\""));
            }
            ScimError::RateLimited { retry_after_secs } => {
                resp.insert_header(("Retry-After", retry_after_secs.to_string()));
            }
            ScimError::Unavailable => {
                resp.insert_header(("Retry-After", "1"));
            }
            _ => {}
        }
        resp.body(body.to_string())
    }
}

impl From<crate::authority::OverError> for ScimError {
    fn from(e: crate::authority::OverError) -> Self {
        match e {
            crate::authority::OverError::Exceeds(_) => ScimError::Forbidden(BEYOND_MAKER),
            crate::authority::OverError::Db(db) => db.into(),
        }
    }
}

/// Why a write was refused under the authority rule.
pub const BEYOND_MAKER: &str =
    "this account or group holds permissions beyond those of the SCIM token's creator";

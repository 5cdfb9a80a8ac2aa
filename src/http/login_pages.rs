//! The one mapping from a sign-in step's [`LoginError`] to what the browser sees: a page
//! with a status and a fixed message (never the error's text), a `Retry-After` where the
//! limiter gave one, and a log line for an outage. A store that did not answer is always
//! a 503 page, never a misleading "wrong code" or "another workspace".

use super::pages;
use crate::error::AppError;
use crate::login::LoginError;
use crate::mfa::factors::MfaError;
use crate::passkeys::PasskeyError;
use crate::sso::SsoError;
use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;

fn with_retry_after(mut resp: HttpResponse, secs: u64) -> HttpResponse {
    if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

pub(crate) fn page_for(e: &LoginError) -> HttpResponse {
    let (status, message) = match e {
        LoginError::Sso(e) => return sso_page(e),
        LoginError::Unavailable(reason) => {
            tracing::warn!(%reason, "a sign-in step could not reach its data");
            let page = pages::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in is unavailable right now. Please try again shortly.",
            );
            return with_retry_after(page, 5);
        }
        LoginError::Mfa(MfaError::Limited { retry_after_secs }) => {
            let page = pages::error(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many codes tried. Wait a few minutes and try again.",
            );
            return with_retry_after(page, *retry_after_secs);
        }
        LoginError::Limited { retry_after_secs } => {
            let page = pages::error(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many sign-in attempts. Wait a few minutes and try again.",
            );
            return with_retry_after(page, *retry_after_secs);
        }
        LoginError::Mfa(MfaError::Unavailable) => {
            return page_for(&LoginError::Unavailable("mfa store".into()))
        }
        LoginError::Mfa(_) | LoginError::Expired | LoginError::Passkey(PasskeyError::Expired) => (
            StatusCode::BAD_REQUEST,
            "This sign-in has expired. Go back to the application and sign in again.",
        ),
        LoginError::Refused(message) => (StatusCode::BAD_REQUEST, *message),
        LoginError::Invalid => (
            StatusCode::UNAUTHORIZED,
            "The password or code is not correct.",
        ),
        LoginError::SecondFactorRequired => (
            StatusCode::FORBIDDEN,
            "Two-step verification is required now. Go back and set it up.",
        ),
        LoginError::Authorize(_) => (
            StatusCode::BAD_REQUEST,
            "The sign-in request is no longer valid. Go back to the application and sign in again.",
        ),
        LoginError::Suspended => (
            StatusCode::FORBIDDEN,
            "This workspace is suspended. Contact your administrator.",
        ),
        LoginError::OtherWorkspace => (
            StatusCode::BAD_REQUEST,
            "This application belongs to another workspace.",
        ),
        LoginError::Passkey(PasskeyError::Off) => (
            StatusCode::NOT_FOUND,
            "Passkeys are not available on this site.",
        ),
        LoginError::Passkey(PasskeyError::PossibleClone) => (
            StatusCode::FORBIDDEN,
            "This passkey was refused because it may have been copied. Use another way to sign in and tell your administrator.",
        ),
        LoginError::Passkey(PasskeyError::StillRequired) => (
            StatusCode::CONFLICT,
            "Your workspace requires two-step verification, so your last passkey cannot be removed. Set up an authenticator app first.",
        ),
        LoginError::Passkey(PasskeyError::Duplicate) => {
            (StatusCode::CONFLICT, "This passkey is already registered.")
        }
        LoginError::Passkey(PasskeyError::Refused(reason)) => {
            tracing::info!(%reason, "a passkey answer was refused");
            (
                StatusCode::UNAUTHORIZED,
                "That passkey was not accepted. Try again, or use another way to sign in.",
            )
        }
        LoginError::Passkey(PasskeyError::Unknown) => (
            StatusCode::UNAUTHORIZED,
            "That passkey was not accepted. Try again, or use another way to sign in.",
        ),
        LoginError::Passkey(PasskeyError::Unavailable(reason)) => {
            return page_for(&LoginError::Unavailable(reason.clone()))
        }
    };
    pages::error(status, message)
}

/// The same errors for the JSON calls of the passkey script (problem details).
pub(crate) fn problem_for(e: LoginError) -> AppError {
    match e {
        LoginError::Unavailable(reason) => {
            tracing::warn!(%reason, "a sign-in step could not reach its data");
            AppError::Unavailable
        }
        LoginError::Suspended => AppError::TenantSuspended,
        LoginError::Mfa(MfaError::Limited { retry_after_secs })
        | LoginError::Limited { retry_after_secs } => AppError::RateLimited { retry_after_secs },
        LoginError::Passkey(PasskeyError::Off | PasskeyError::Unknown) => AppError::NotFound,
        LoginError::Passkey(PasskeyError::Unavailable(_))
        | LoginError::Mfa(MfaError::Unavailable) => AppError::Unavailable,
        _ => AppError::Unauthorized,
    }
}

/// What the browser sees when single sign-on cannot go on (a fixed message per cause).
pub(crate) fn sso_page(e: &SsoError) -> HttpResponse {
    let (status, message) = match e {
        SsoError::Expired => (
            StatusCode::BAD_REQUEST,
            "This sign-in has expired or was already used. Go back to the application and sign in again.",
        ),
        SsoError::Rejected(_) => (
            StatusCode::FORBIDDEN,
            "Your identity provider's answer could not be accepted. Try again, or contact your administrator.",
        ),
        SsoError::AccountExists => (
            StatusCode::CONFLICT,
            "An account with this email already exists in this workspace. Ask your administrator to connect it to single sign-on.",
        ),
        SsoError::Inactive => (
            StatusCode::FORBIDDEN,
            "Your account is deactivated. Contact your administrator.",
        ),
        SsoError::NotFound | SsoError::Disabled => (
            StatusCode::NOT_FOUND,
            "Single sign-on is not available for this workspace.",
        ),
        SsoError::Upstream => (
            StatusCode::BAD_GATEWAY,
            "Your identity provider could not be reached. Try again shortly.",
        ),
        SsoError::InvalidConfig(_) | SsoError::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Sign-in is unavailable right now. Please try again shortly.",
        ),
    };
    pages::error(status, message)
}

//! The one way a handler learns whose browser it serves: the session cookie, resolved to an
//! active session (like the admin API's `Principal` for bearer tokens). A handler that takes
//! a [`BrowserSession`] runs only for a signed-in browser. A missing or ended session is
//! "signed out"; a suspended workspace is said so; a database that does not answer is a 503
//! and a log line, never "signed out". The account pages get HTML pages, `/account/sessions`
//! (a JSON API) problem JSON.

use super::browser::SESSION_COOKIE;
use super::pages;
use crate::auth::sessions::{self, ActiveSession};
use crate::db::DbError;
use crate::error::AppError;
use crate::http::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use futures_util::future::LocalBoxFuture;

/// The signed-in browser's session.
pub struct BrowserSession(pub ActiveSession);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Why {
    SignedOut,
    Suspended,
    Unavailable,
}

/// Why there is no session to serve, and whether to answer with a page.
#[derive(Debug)]
pub struct SessionRefused {
    why: Why,
    page: bool,
}

impl std::fmt::Display for SessionRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no browser session: {:?}", self.why)
    }
}

impl ResponseError for SessionRefused {
    fn status_code(&self) -> StatusCode {
        match self.why {
            Why::SignedOut => StatusCode::UNAUTHORIZED,
            Why::Suspended => StatusCode::FORBIDDEN,
            Why::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if !self.page {
            return match self.why {
                Why::SignedOut => AppError::Unauthorized,
                Why::Suspended => AppError::TenantSuspended,
                Why::Unavailable => AppError::Unavailable,
            }
            .error_response();
        }
        let text = match self.why {
            Why::SignedOut => {
                "You are not signed in. Sign in through your application, then come back."
            }
            Why::Suspended => "This workspace is suspended. Contact your administrator.",
            Why::Unavailable => "This page is unavailable right now. Please try again shortly.",
        };
        let mut resp = pages::error(self.status_code(), text);
        if self.why == Why::Unavailable {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        }
        resp
    }
}

impl FromRequest for BrowserSession {
    type Error = SessionRefused;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
        let page = !req.path().starts_with("/account/sessions");
        let refused = move |why| SessionRefused { why, page };
        Box::pin(async move {
            let state = state.ok_or(refused(Why::Unavailable))?;
            let cookie = cookie.ok_or(refused(Why::SignedOut))?;
            let settings = &state.settings.sessions;
            match sessions::resolve(&state.db, settings, &cookie, chrono::Utc::now()).await {
                Ok(Some(session)) => Ok(BrowserSession(session)),
                Ok(None) => Err(refused(Why::SignedOut)),
                Err(DbError::TenantNotActive) => Err(refused(Why::Suspended)),
                Err(e) => {
                    tracing::warn!(error = %e, "a browser session could not be read");
                    Err(refused(Why::Unavailable))
                }
            }
        })
    }
}

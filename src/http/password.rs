//! Forgot-password and set-new-password pages. Both forms carry the double-submit CSRF token.

use super::browser::{host_cookie, parse_unique, CSRF_COOKIE};
use super::csrf_form::CsrfForm;
use super::pages;
use super::request_context::RequestContext;
use crate::auth::reset::{self, ResetError};
use crate::crypto::random;
use crate::http::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

#[derive(askama::Template)]
#[template(path = "password_forgot.html")]
struct Forgot<'a> {
    title: &'a str,
    csrf: &'a str,
}

#[derive(askama::Template)]
#[template(path = "password_reset.html")]
struct Reset<'a> {
    title: &'a str,
    token: &'a str,
    csrf: &'a str,
    error: Option<&'a str>,
}

fn forgot_form(csrf: &str) -> HttpResponse {
    let title = "Reset your password";
    pages::render(StatusCode::OK, &Forgot { title, csrf })
}

fn reset_form(status: StatusCode, token: &str, csrf: &str, error: Option<&str>) -> HttpResponse {
    let page = Reset {
        title: "Choose a new password",
        token,
        csrf,
        error,
    };
    pages::render(status, &page)
}

fn with_csrf(build: impl FnOnce(&str) -> HttpResponse) -> HttpResponse {
    let csrf = random::token::<32>();
    let mut resp = build(&csrf);
    let _ = resp.add_cookie(&host_cookie(CSRF_COOKIE, csrf, 3600));
    resp
}

fn refused(e: &ResetError) -> HttpResponse {
    match e {
        ResetError::Limited { retry_after_secs } => {
            let mut resp = pages::error(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests. Wait a while and try again.",
            );
            if let Ok(v) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        ResetError::BadLink => pages::error(
            StatusCode::BAD_REQUEST,
            "This link is invalid or has expired. Ask for a new one.",
        ),
        _ => {
            let mut resp = pages::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "This is unavailable right now. Please try again shortly.",
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
            resp
        }
    }
}

pub async fn forgot_page() -> HttpResponse {
    with_csrf(forgot_form)
}

pub async fn forgot(
    ctx: RequestContext,
    CsrfForm(form): CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let origin = ctx.origin();
    let result = reset::request(
        &state.db,
        &state.audit("anonymous", &origin, Utc::now()),
        &state.limiter,
        &state.settings.rate_limits,
        &state.settings.server.public_url,
        &field("workspace").trim().to_lowercase(),
        field("email"),
    )
    .await;
    match result {
        // The same answer whether or not the account exists.
        Ok(()) => pages::message(
            StatusCode::OK,
            "Check your email",
            "If an account exists for that address, we sent it a link to choose a new password. The link works once, for 30 minutes.",
            None,
        ),
        Err(e) => refused(&e),
    }
}

pub async fn reset_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let token = parse_unique(req.query_string())
        .and_then(|q| q.get("token").cloned())
        .unwrap_or_default();
    match reset::link_is_usable(&state.db, &token, Utc::now()).await {
        Ok(true) => with_csrf(|csrf| reset_form(StatusCode::OK, &token, csrf, None)),
        Ok(false) => refused(&ResetError::BadLink),
        Err(e) => refused(&e),
    }
}

pub async fn reset(
    ctx: RequestContext,
    CsrfForm(form): CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    let token = form.get("token").cloned().unwrap_or_default();
    let password = form.get("password").cloned().unwrap_or_default();
    match reset::complete(&state.db, &state.envelope, &state.passwords, &token, &password, &ctx.origin(), Utc::now()).await {
        Ok(()) => pages::message(
            StatusCode::OK,
            "Password changed",
            "Your password was changed and you were signed out everywhere. Sign in again from your application.",
            None,
        ),
        Err(ResetError::Password(e)) => with_csrf(|csrf| {
            reset_form(StatusCode::BAD_REQUEST, &token, csrf, Some(&e.to_string()))
        }),
        Err(e) => refused(&e),
    }
}

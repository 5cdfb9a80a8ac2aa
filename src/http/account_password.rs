//! A signed-in person's own password (`/account/password`), the web side of
//! [`crate::login::password_change`]: the form, and its answer on the same page.

use super::account_mfa::with_csrf;
use super::browser_session::BrowserSession;
use super::csrf_form::CsrfForm;
use super::login_pages::page_for;
use super::pages;
use super::request_context::RequestContext;
use super::step_answer::ports;
use crate::auth::password::PasswordError;
use crate::crypto::random;
use crate::http::state::AppState;
use crate::login::password_change::{self, ChangeError};
use crate::login::LoginError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;

#[derive(Template)]
#[template(path = "account_password.html")]
struct PasswordPage<'a> {
    title: &'a str,
    csrf: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
}

fn page(status: StatusCode, notice: Option<&str>, error: Option<&str>) -> HttpResponse {
    let csrf = random::token::<32>();
    let view = PasswordPage {
        title: "Change your password",
        csrf: &csrf,
        notice,
        error,
    };
    with_csrf(pages::render(status, &view), csrf)
}

/// `GET /account/password`
pub async fn show(BrowserSession(_): BrowserSession) -> HttpResponse {
    page(StatusCode::OK, None, None)
}

/// `POST /account/password`: current and new password.
pub async fn change(
    ctx: RequestContext,
    CsrfForm(form): CsrfForm,
    BrowserSession(me): BrowserSession,
    state: web::Data<AppState>,
) -> HttpResponse {
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let (origin, now) = (ctx.origin(), Utc::now());
    let pair = (field("current"), field("new"));
    match password_change::change_own(&ports(&state), &me, pair, &origin, now).await {
        Ok(()) => page(
            StatusCode::OK,
            Some("Password changed. Your other sessions were signed out."),
            None,
        ),
        Err(ChangeError::Policy(e)) => page(StatusCode::BAD_REQUEST, None, Some(rule_text(&e))),
        Err(ChangeError::NoPassword) => page(
            StatusCode::CONFLICT,
            None,
            Some(
                "Your account has no password: you sign in through your organisation or a passkey.",
            ),
        ),
        Err(ChangeError::Login(LoginError::Invalid)) => page(
            StatusCode::UNAUTHORIZED,
            None,
            Some("The current password is not correct."),
        ),
        Err(ChangeError::Login(e)) => page_for(&e),
    }
}

fn rule_text(e: &PasswordError) -> &'static str {
    match e {
        PasswordError::TooShort => "The new password must be at least 12 characters.",
        PasswordError::TooLong => "The new password must be at most 1024 characters.",
        PasswordError::TooCommon => "The new password is too common. Choose another.",
        PasswordError::Hashing => "The password could not be changed. Try again.",
    }
}

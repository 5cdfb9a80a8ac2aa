//! A signed-in person's two-step verification settings (`/account/mfa`), the web side:
//! set up an authenticator, turn it off, make new recovery codes ([`crate::mfa::account`]).
//! Each change needs a fresh proof ([`crate::login::reauth`]): the password plus the
//! current factor within the last five minutes.

use super::browser::{host_cookie, CSRF_COOKIE};
use super::browser_session::BrowserSession;
use super::csrf_form::CsrfForm;
use super::login_pages::page_for;
use super::pages::{self, mfa as mfa_pages};
use super::request_context::RequestContext;
use super::step_answer::ports;
use crate::auth::sessions::ActiveSession;
use crate::crypto::random;
use crate::http::state::AppState;
use crate::login::reauth;
use crate::login::LoginError;
use crate::mfa::account as mine;
use crate::mfa::factors::{MfaError, Status};
use crate::mfa::recovery;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use chrono::Utc;
use std::collections::HashMap;

fn page_error(e: MfaError) -> HttpResponse {
    match e {
        MfaError::Limited { .. } => pages::error(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many tries. Wait a few minutes and try again.",
        ),
        MfaError::Unavailable => pages::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "This is unavailable right now. Please try again shortly.",
        ),
        MfaError::WrongCode => pages::error(
            StatusCode::UNAUTHORIZED,
            "That code is not valid. Go back and try again.",
        ),
        MfaError::AlreadyEnrolled => pages::error(
            StatusCode::CONFLICT,
            "Two-step verification is already on. Turn it off first to set up a new app.",
        ),
        MfaError::NotEnrolled => pages::error(
            StatusCode::CONFLICT,
            "Two-step verification is not on for your account.",
        ),
    }
}

/// Signed in recently enough to change factors (see [`reauth::is_fresh`]).
pub(crate) fn is_fresh(me: &ActiveSession, app_enrolled: bool) -> bool {
    reauth::is_fresh(me, app_enrolled, Utc::now())
}

pub(crate) async fn status_of(state: &AppState, me: &ActiveSession) -> Result<Status, MfaError> {
    mine::status(&state.db, me).await
}

pub(crate) fn with_csrf(mut resp: HttpResponse, csrf: String) -> HttpResponse {
    let _ = resp.add_cookie(&host_cookie(CSRF_COOKIE, csrf, 3600));
    resp
}

fn settings_page(status: StatusCode, s: &Status, fresh: bool, error: Option<&str>) -> HttpResponse {
    let csrf = random::token::<32>();
    with_csrf(mfa_pages::settings(status, s, fresh, &csrf, error), csrf)
}

/// New recovery codes, shown this once, with their download form.
fn codes_page(codes: &[String]) -> HttpResponse {
    let csrf = random::token::<32>();
    with_csrf(
        mfa_pages::recovery_codes(codes, &csrf, "/account/mfa"),
        csrf,
    )
}

/// `GET /account/mfa`
pub async fn show(BrowserSession(me): BrowserSession, state: web::Data<AppState>) -> HttpResponse {
    match status_of(&state, &me).await {
        Ok(s) => settings_page(StatusCode::OK, &s, is_fresh(&me, s.enrolled), None),
        Err(e) => page_error(e),
    }
}

/// The session, proven fresh: either the sign-in is recent enough, or the form carries the
/// password (and the current code when an app is set up), which makes it fresh again.
pub(crate) async fn fresh_session(
    me: ActiveSession,
    form: HashMap<String, String>,
    state: &AppState,
    ctx: &RequestContext,
) -> Result<(ActiveSession, HashMap<String, String>), HttpResponse> {
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let proof = (field("password"), field("code"));
    let kept = me.clone();
    match reauth::reauthenticate(&ports(state), me, proof, &ctx.origin(), Utc::now()).await {
        Ok(me) => Ok((me, form)),
        Err(LoginError::Invalid) => Err(match status_of(state, &kept).await {
            Ok(s) => {
                let wrong = Some("The password or code is not correct.");
                settings_page(StatusCode::UNAUTHORIZED, &s, false, wrong)
            }
            Err(e) => page_error(e),
        }),
        Err(LoginError::Mfa(e)) => Err(page_error(e)),
        Err(e) => Err(page_for(&e)),
    }
}

/// `POST /account/mfa/enrol`: a new seed, shown as a QR code, to confirm with a code.
pub async fn enrol(
    ctx: RequestContext,
    CsrfForm(form): CsrfForm,
    BrowserSession(me): BrowserSession,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (me, _) = match fresh_session(me, form, &state, &ctx).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    match mine::begin(&state.db, &state.envelope, &me, Utc::now()).await {
        Ok(enrolment) => {
            let csrf = random::token::<32>();
            let action = "/account/mfa/confirm";
            let page = mfa_pages::enrol(StatusCode::OK, &enrolment, action, &csrf, None, None);
            with_csrf(page, csrf)
        }
        Err(e) => page_error(e),
    }
}

/// `POST /account/mfa/confirm`: the first code turns MFA on and shows recovery codes once.
pub async fn confirm(
    ctx: RequestContext,
    CsrfForm(form): CsrfForm,
    BrowserSession(me): BrowserSession,
    state: web::Data<AppState>,
) -> HttpResponse {
    if !is_fresh(&me, false) {
        return pages::error(
            StatusCode::FORBIDDEN,
            "This took too long. Start the set-up again.",
        );
    }
    let code = form.get("code").map(String::as_str).unwrap_or_default();
    let (origin, now) = (ctx.origin(), Utc::now());
    match mine::confirm(&state.db, &state.envelope, &me, code, &origin, now).await {
        Ok(codes) => codes_page(&codes),
        Err(e) => page_error(e),
    }
}

/// `POST /account/mfa/remove`: turns MFA off, unless the workspace requires it of this person.
pub async fn remove(
    ctx: RequestContext,
    CsrfForm(form): CsrfForm,
    BrowserSession(me): BrowserSession,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (me, _) = match fresh_session(me, form, &state, &ctx).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let (origin, now) = (ctx.origin(), Utc::now());
    match mine::remove(&state.db, &state.envelope, &me, &origin, now).await {
        Ok(true) => match status_of(&state, &me).await {
            Ok(s) => settings_page(StatusCode::OK, &s, true, None),
            Err(e) => page_error(e),
        },
        Ok(false) => pages::error(
            StatusCode::CONFLICT,
            "Your workspace requires two-step verification, so it cannot be turned off.",
        ),
        Err(e) => page_error(e),
    }
}

/// `POST /account/mfa/recovery-codes`: a new set; the old one stops working.
pub async fn regenerate(
    ctx: RequestContext,
    CsrfForm(form): CsrfForm,
    BrowserSession(me): BrowserSession,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (me, _) = match fresh_session(me, form, &state, &ctx).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let (origin, now) = (ctx.origin(), Utc::now());
    match mine::regenerate(&state.db, &state.envelope, &me, &origin, now).await {
        Ok(codes) => codes_page(&codes),
        Err(e) => page_error(e),
    }
}

/// `POST /account/mfa/recovery-codes.txt`: the codes just shown, as a text file. They are
/// posted back by the page (the server keeps only hashes), so only well-formed codes pass.
pub async fn download(CsrfForm(form): CsrfForm, BrowserSession(_): BrowserSession) -> HttpResponse {
    let codes: Vec<&str> = form
        .get("codes")
        .map(|c| c.split(' ').filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    if codes.is_empty()
        || codes.len() > recovery::COUNT
        || codes.iter().any(|c| recovery::normalize(c).is_none())
    {
        return pages::error(
            StatusCode::BAD_REQUEST,
            "There are no recovery codes to download.",
        );
    }
    let text = format!(
        "Recovery codes: each signs you in once if you lose your authenticator app.\n\n{}\n",
        codes.join("\n")
    );
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"recovery-codes.txt\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text)
}

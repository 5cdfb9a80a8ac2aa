//! Passkeys at sign-in, the web side: the options the page's script asks for (JSON, the
//! CSRF token in `X-CSRF-Token`, the ceremony in a `__Host-` cookie), and the answers it
//! posts with the page's form: passwordless (`/signin/passkey`) and as the second factor
//! of a pending sign-in (`/signin/mfa/passkey`). What they mean is decided in
//! [`crate::login::passkey`].

use super::browser::{csrf_matches, host_cookie};
use super::csrf_form::CsrfForm;
use super::login_pages::problem_for;
use super::mfa_step::pending_cookie;
use super::request_context::RequestContext;
use super::step_answer::{authorize_error, carried, ports, refused, render};
use crate::error::AppError;
use crate::http::state::AppState;
use crate::login::passkey::{self as steps, PasskeyOutcome, PasskeySignIn};
use crate::login::second_factor;
use crate::mfa::pending::Purpose;
use crate::oidc::authorize;
use crate::passkeys::ceremony::LIFETIME_SECS;
use actix_web::cookie::Cookie;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Serialize;

pub const PASSKEY_COOKIE: &str = "__Host-identity-passkey";

/// The double-submit check of the script's calls.
pub(crate) fn csrf_header(req: &HttpRequest) -> Result<(), AppError> {
    let presented = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok());
    csrf_matches(req, presented)
        .then_some(())
        .ok_or(AppError::Forbidden)
}

/// The ceremony's options for the script, with its cookie.
pub(crate) fn options_response(options: &impl Serialize, cookie: String) -> HttpResponse {
    let mut resp = HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(options);
    let _ = resp.add_cookie(&host_cookie(PASSKEY_COOKIE, cookie, LIFETIME_SECS));
    resp
}

/// The ceremony cookie the browser sent, and its removal for the answer.
pub(crate) fn ceremony_cookie(req: &HttpRequest) -> String {
    req.cookie(PASSKEY_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default()
}

pub(crate) fn forget_ceremony(resp: &mut HttpResponse) {
    let removal = Cookie::build(PASSKEY_COOKIE, "").path("/").secure(true);
    let _ = resp.add_removal_cookie(&removal.finish());
}

/// `POST /signin/passkey/options`
pub async fn sign_in_options(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    csrf_header(&req)?;
    let (options, cookie) = steps::sign_in_options(&ports(&state), Utc::now())
        .await
        .map_err(problem_for)?;
    Ok(options_response(&options, cookie))
}

/// `POST /signin/passkey`: the authenticator's answer, with the authorization request.
pub async fn sign_in(
    req: HttpRequest,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    let auth = match authorize::validate(&state.db, &form).await {
        Ok(a) => a,
        Err(e) => return authorize_error(&state, e),
    };
    let (cookie, carried) = (ceremony_cookie(&req), carried(&form));
    let input = PasskeySignIn {
        cookie: &cookie,
        answer: form
            .get("credential")
            .map(String::as_str)
            .unwrap_or_default(),
        auth: &auth,
        carried: &carried,
    };
    let mut resp = match steps::sign_in(&ports(&state), &input, &ctx.origin(), Utc::now()).await {
        Ok(PasskeyOutcome::Answer(answer)) => render(&state, &auth, answer),
        Ok(PasskeyOutcome::HandOff(started)) => super::sso::hand_off_page(started),
        Err(e) => refused(&state, e),
    };
    forget_ceremony(&mut resp);
    resp
}

/// `POST /signin/mfa/passkey/options`: for the pending sign-in behind the MFA cookie.
pub async fn second_factor_options(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    csrf_header(&req)?;
    let (pending_cookie, now, ports) = (pending_cookie(&req), Utc::now(), ports(&state));
    let found = second_factor::pending(&ports, &pending_cookie, Purpose::Verify, now)
        .await
        .map_err(|_| AppError::Unauthorized)?;
    let who = (found.tenant, found.user);
    let (options, cookie) = steps::second_factor_options(&ports, who, &pending_cookie, now)
        .await
        .map_err(problem_for)?;
    Ok(options_response(&options, cookie))
}

/// `POST /signin/mfa/passkey`: a passkey as the pending sign-in's second factor.
pub async fn second_factor(
    req: HttpRequest,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    let cookies = (pending_cookie(&req), ceremony_cookie(&req));
    let answer = form
        .get("credential")
        .map(String::as_str)
        .unwrap_or_default();
    let mut resp = match second_factor::verify_passkey(
        &ports(&state),
        (&cookies.0, &cookies.1),
        answer,
        &ctx.origin(),
        Utc::now(),
    )
    .await
    {
        Ok(done) => render(&state, &done.auth, done.answer),
        Err(e) => refused(&state, e),
    };
    forget_ceremony(&mut resp);
    resp
}

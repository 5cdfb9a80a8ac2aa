//! The second step of sign-in, the web side: the forms that post a TOTP or recovery code,
//! the first code of a new authenticator, or "skip for now". What each means is decided
//! and carried out in [`crate::login::second_factor`]; here the cookie is read, the form
//! parsed and the outcome rendered. The pending sign-in is bound to the browser by a cookie
//! and lives five minutes; tries have their own budget.

use super::csrf_form::CsrfForm;
use super::pages::mfa as mfa_pages;
use super::request_context::RequestContext;
use super::step_answer::{pending_cookies, ports, refused, render, signed_in_cookies, MFA_COOKIE};
use crate::crypto::random;
use crate::http::state::AppState;
use crate::login::second_factor::{self as step, CodeOutcome, EnrolOutcome};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

/// The pending sign-in's cookie (empty when missing: the step then finds nothing).
pub(crate) fn pending_cookie(req: &HttpRequest) -> String {
    req.cookie(MFA_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default()
}

fn field<'a>(form: &'a std::collections::HashMap<String, String>, name: &str) -> &'a str {
    form.get(name).map(String::as_str).unwrap_or_default()
}

/// `POST /signin/mfa`: a TOTP or recovery code for the pending sign-in.
pub async fn verify(
    req: HttpRequest,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (cookie, origin) = (pending_cookie(&req), ctx.origin());
    match step::verify_code(
        &ports(&state),
        &cookie,
        field(&form, "code"),
        &origin,
        Utc::now(),
    )
    .await
    {
        Ok(CodeOutcome::RecoveryCodeUsed { finished, left }) => {
            let message = format!(
                "That recovery code is now used up. You have {left} left; you can make a new set in your account settings."
            );
            let title = "Signed in with a recovery code";
            let mut resp = mfa_pages::notice(title, &message, &finished.resume);
            signed_in_cookies(
                &mut resp,
                &state,
                &finished.signed_in,
                random::token::<32>(),
            );
            resp
        }
        Ok(CodeOutcome::SignedIn(done)) => render(&state, &done.auth, done.answer),
        Ok(CodeOutcome::WrongCode {
            factors,
            redirect_uri,
        }) => {
            let csrf = random::token::<32>();
            let message = Some("That code is not valid. Try the newest code from your app.");
            let mut resp = mfa_pages::code_step(StatusCode::UNAUTHORIZED, &csrf, factors, message);
            pending_cookies(&mut resp, None, csrf, &redirect_uri);
            resp
        }
        Err(e) => refused(&state, e),
    }
}

/// `POST /signin/mfa/enrol`: the first code from the new authenticator.
pub async fn enrol(
    req: HttpRequest,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (cookie, origin) = (pending_cookie(&req), ctx.origin());
    let code = field(&form, "code");
    let csrf = random::token::<32>();
    let ports = ports(&state);
    match step::confirm_enrolment(&ports, &cookie, code, &origin, Utc::now()).await {
        Ok(EnrolOutcome::SignedIn {
            finished,
            recovery_codes,
        }) => {
            let mut resp = mfa_pages::recovery_codes(&recovery_codes, &csrf, &finished.resume);
            signed_in_cookies(&mut resp, &state, &finished.signed_in, csrf);
            resp
        }
        Ok(EnrolOutcome::WrongCode {
            enrolment,
            skip_until,
            redirect_uri,
        }) => {
            let message = Some("That code is not valid. Enter the code your app shows now.");
            let (status, action) = (StatusCode::UNAUTHORIZED, "/signin/mfa/enrol");
            let mut resp = mfa_pages::enrol(status, &enrolment, action, &csrf, skip_until, message);
            pending_cookies(&mut resp, None, csrf, &redirect_uri);
            resp
        }
        Err(e) => refused(&state, e),
    }
}

/// `POST /signin/mfa/skip`: not now, while the workspace's grace period lasts.
pub async fn skip(
    req: HttpRequest,
    ctx: RequestContext,
    CsrfForm(_): CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (cookie, origin) = (pending_cookie(&req), ctx.origin());
    match step::skip(&ports(&state), &cookie, &origin, Utc::now()).await {
        Ok(done) => render(&state, &done.auth, done.answer),
        Err(e) => refused(&state, e),
    }
}

//! The second step of sign-in: after the password (or for a signed-in browser whose session
//! is not enough for the request), a person passes their TOTP or recovery code, or sets up
//! an authenticator when the workspace or the client requires one. Nothing that grants
//! access (session, code, token) exists before this step is passed. The pending sign-in is
//! bound to the browser by a cookie and lives five minutes; tries have their own budget.

use super::csrf_form::CsrfForm;
use super::pages::{self, mfa as mfa_pages};
use super::request_context::RequestContext;
use super::signin::{
    allow_form_target, authorize_error, code_redirect, host_cookie, workspace_of, CSRF_COOKIE,
    SESSION_COOKIE,
};
use crate::audit::Origin;
use crate::auth::sessions::ActiveSession;
use crate::auth::signin::{self, SignedIn};
use crate::crypto::random;
use crate::db::models::users::User;
use crate::db::TenantTx;
use crate::ids::{TenantId, UserId};
use crate::login;
use crate::mfa::factors::{self, MfaError, Passed};
use crate::mfa::pending::{self, Pending, Purpose};
use crate::mfa::policy::{self, Step};
use crate::mfa::{enforcement, FRESH_SECS};
use crate::oidc::authorize::{self, AuthRequest, CARRIED};
use crate::state::AppState;
use actix_web::cookie::Cookie;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

pub const MFA_COOKIE: &str = "__Host-identity-mfa";

pub(crate) fn unavailable() -> HttpResponse {
    let mut resp = pages::error(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sign-in is unavailable right now. Please try again shortly.",
    );
    resp.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    resp
}

fn expired() -> HttpResponse {
    pages::error(
        StatusCode::BAD_REQUEST,
        "This sign-in has expired. Go back to the application and sign in again.",
    )
}

fn limited(retry_after_secs: u64) -> HttpResponse {
    let mut resp = pages::error(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many codes tried. Wait a few minutes and try again.",
    );
    if let Ok(v) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

pub(crate) fn mfa_error(e: MfaError) -> HttpResponse {
    match e {
        MfaError::Limited { retry_after_secs } => limited(retry_after_secs),
        MfaError::Unavailable => unavailable(),
        _ => expired(),
    }
}

/// The authorization request's parameters, to finish it after this step.
pub(crate) fn carried(params: &HashMap<String, String>) -> HashMap<String, String> {
    params
        .iter()
        .filter(|(k, _)| CARRIED.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `/oauth2/authorize` again with the same request, to pick up the new session; without
/// `prompt`, so `prompt=login` does not ask for the password a second time.
pub(crate) fn resume_url(request: &HashMap<String, String>) -> String {
    let pairs: Vec<(&String, &String)> = request.iter().filter(|(k, _)| *k != "prompt").collect();
    format!(
        "/oauth2/authorize?{}",
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    )
}

/// Sets the cookies of a finished sign-in: the session, a new CSRF token, no pending state.
pub(crate) fn signed_in_cookies(
    resp: &mut HttpResponse,
    state: &AppState,
    done: &SignedIn,
    csrf: String,
) {
    let max_age = state.settings.sessions.absolute_timeout_secs;
    let _ = resp.add_cookie(&host_cookie(SESSION_COOKIE, done.cookie.clone(), max_age));
    let _ = resp.add_cookie(&host_cookie(CSRF_COOKIE, csrf, 3600));
    let _ = resp.add_removal_cookie(
        &Cookie::build(MFA_COOKIE, "")
            .path("/")
            .secure(true)
            .finish(),
    );
}

pub(crate) fn active(done: &SignedIn) -> ActiveSession {
    ActiveSession {
        tenant: done.tenant,
        id: done.session.id,
        user: done.user,
        amr: done.session.amr.clone(),
        auth_time: done.session.auth_time,
    }
}

pub(crate) fn pwd() -> Vec<String> {
    vec!["pwd".to_string()]
}

/// The first step's methods plus the one-time code just passed.
fn with_otp(found: &Pending) -> Vec<String> {
    let mut amr = found.primary_amr.clone();
    if !amr.iter().any(|m| m == "otp") {
        amr.push("otp".to_string());
    }
    amr
}

/// The step after a correct password (`existing` = None), or for a signed-in browser
/// (`existing` = its session) whose session does not meet the request or the rule.
pub(crate) async fn after_password(
    state: &AppState,
    params: &HashMap<String, String>,
    auth: &AuthRequest,
    tenant: TenantId,
    user: &User,
    existing: Option<&ActiveSession>,
    origin: &Origin,
) -> HttpResponse {
    // A signed-in browser keeps how it first signed in (password or SSO).
    let primary = existing.map(|s| s.amr.clone()).unwrap_or_else(pwd);
    after_first_step(
        state, params, auth, tenant, user, existing, &primary, origin,
    )
    .await
}

/// What the sign-in steps of [`login`] need from the application.
pub(crate) fn ports(state: &AppState) -> login::Ports<'_> {
    login::Ports {
        db: &state.db,
        envelope: &state.envelope,
        sessions: &state.settings.sessions,
        webauthn: state.webauthn.as_deref(),
    }
}

/// The step after a first factor that gave `primary` (`pwd`, or `fed` for SSO, with `mfa`
/// when the IdP's second factor counts): decided and carried out by
/// [`crate::login::after_first_step`]; here it becomes a redirect or a page.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn after_first_step(
    state: &AppState,
    params: &HashMap<String, String>,
    auth: &AuthRequest,
    tenant: TenantId,
    user: &User,
    existing: Option<&ActiveSession>,
    primary: &[String],
    origin: &Origin,
) -> HttpResponse {
    let ports = ports(state);
    let carried = carried(params);
    let step = login::FirstStep {
        tenant,
        user,
        existing,
        primary,
        wants_mfa: auth.wants_mfa,
        carried: &carried,
    };
    match login::after_first_step(&ports, &step, origin, Utc::now()).await {
        Ok(outcome) => answer(state, auth, existing, outcome).await,
        Err(e) => super::login_pages::page_for(&e),
    }
}

/// The page or redirect for the step after a first factor.
pub(crate) async fn answer(
    state: &AppState,
    auth: &AuthRequest,
    existing: Option<&ActiveSession>,
    outcome: login::Outcome,
) -> HttpResponse {
    let csrf = random::token::<32>();
    match outcome {
        login::Outcome::Code => match existing {
            Some(session) => code_redirect(state, auth, session)
                .await
                .unwrap_or_else(|page| page),
            None => unavailable(),
        },
        login::Outcome::SignedIn(done) => {
            let mut resp = code_redirect(state, auth, &active(&done))
                .await
                .unwrap_or_else(|page| page);
            signed_in_cookies(&mut resp, state, &done, csrf);
            resp
        }
        login::Outcome::AskSecondFactor {
            pending_cookie,
            factors,
        } => {
            let mut resp = mfa_pages::code_step(StatusCode::OK, &csrf, factors, None);
            pending_cookies(&mut resp, Some(pending_cookie), csrf, &auth.redirect_uri);
            resp
        }
        login::Outcome::Enrol {
            pending_cookie,
            enrolment,
            skip_until,
        } => {
            let mut resp = mfa_pages::enrol(
                StatusCode::OK,
                &enrolment,
                "/signin/mfa/enrol",
                &csrf,
                skip_until,
                None,
            );
            pending_cookies(&mut resp, Some(pending_cookie), csrf, &auth.redirect_uri);
            resp
        }
    }
}

/// Cookies of a page of this step: the pending sign-in (when new), the form's CSRF token,
/// and a CSP that lets the form's answer redirect to the client.
pub(crate) fn pending_cookies(
    resp: &mut HttpResponse,
    pending_cookie: Option<String>,
    csrf: String,
    redirect_uri: &str,
) {
    if let Some(value) = pending_cookie {
        let _ = resp.add_cookie(&host_cookie(MFA_COOKIE, value, FRESH_SECS));
    }
    let _ = resp.add_cookie(&host_cookie(CSRF_COOKIE, csrf, 3600));
    allow_form_target(resp, Some(redirect_uri));
}

/// The pending sign-in behind the request's cookie, with the posted form.
pub(crate) async fn pending_of(
    req: &HttpRequest,
    form: HashMap<String, String>,
    state: &AppState,
    purpose: Purpose,
) -> Result<(Pending, String, HashMap<String, String>), HttpResponse> {
    let cookie = req
        .cookie(MFA_COOKIE)
        .ok_or_else(expired)?
        .value()
        .to_string();
    let found = pending::find(&state.db, &cookie, Utc::now())
        .await
        .map_err(|_| unavailable())?
        .filter(|p| p.purpose == purpose)
        .ok_or_else(expired)?;
    Ok((found, cookie, form))
}

/// Uses up the pending sign-in and starts the session; `Err` is the page to answer with.
pub(crate) async fn finish(
    state: &AppState,
    tx: &mut TenantTx,
    found: &Pending,
    cookie: &str,
    amr: &[String],
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<(AuthRequest, SignedIn), HttpResponse> {
    if !pending::finish(tx, cookie, now)
        .await
        .map_err(|_| unavailable())?
    {
        return Err(expired());
    }
    let auth = authorize::validate(&state.db, &found.request)
        .await
        .map_err(|e| authorize_error(state, e))?;
    let done = signin::start_session(
        tx,
        &state.envelope,
        &state.settings.sessions,
        found.user,
        amr,
        found.replaces_session,
        origin,
        now,
    )
    .await
    .map_err(|_| unavailable())?;
    Ok((auth, done))
}

pub(crate) async fn charge(
    state: &AppState,
    tenant: TenantId,
    user: UserId,
) -> Result<(), HttpResponse> {
    factors::charge_attempt(&state.limiter, &state.settings.rate_limits, tenant, user)
        .await
        .map_err(mfa_error)
}

/// `POST /signin/mfa`: a TOTP or recovery code for the pending sign-in.
pub async fn verify(
    req: HttpRequest,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (found, cookie, form) = match pending_of(&req, form, &state, Purpose::Verify).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    if let Err(page) = charge(&state, found.tenant, found.user).await {
        return page;
    }
    let (origin, now) = (ctx.origin(), Utc::now());
    let Ok(mut tx) = state.db.tenant(found.tenant).await else {
        return unavailable();
    };
    let code = form.get("code").map(String::as_str).unwrap_or_default();
    let passed =
        match factors::verify(&mut tx, &state.envelope, found.user, code, &origin, now).await {
            Ok(p) => p,
            Err(MfaError::WrongCode) => {
                let Ok(status) = factors::status(&mut tx, found.user).await else {
                    return unavailable();
                };
                if signin::record_failure(&mut tx, &state.envelope, found.user, "otp", &origin, now)
                    .await
                    .is_err()
                    || tx.commit().await.is_err()
                {
                    return unavailable();
                }
                let csrf = random::token::<32>();
                let mut resp = mfa_pages::code_step(
                    StatusCode::UNAUTHORIZED,
                    &csrf,
                    login::Factors {
                        code: true,
                        passkey: status.passkeys > 0,
                    },
                    Some("That code is not valid. Try the newest code from your app."),
                );
                pending_cookies(&mut resp, None, csrf, redirect_of(&found));
                return resp;
            }
            Err(e) => return mfa_error(e),
        };
    let (auth, done) = match finish(
        &state,
        &mut tx,
        &found,
        &cookie,
        &with_otp(&found),
        &origin,
        now,
    )
    .await
    {
        Ok(r) => r,
        Err(page) => return page,
    };
    if tx.commit().await.is_err() {
        return unavailable();
    }
    let mut resp = match passed {
        Passed::RecoveryCode { left } => mfa_pages::notice(
            "Signed in with a recovery code",
            &format!(
                "That recovery code is now used up. You have {left} left; you can make a new set in your account settings."
            ),
            &resume_url(&found.request),
        ),
        Passed::Totp => code_redirect(&state, &auth, &active(&done))
            .await
            .unwrap_or_else(|page| page),
    };
    signed_in_cookies(&mut resp, &state, &done, random::token::<32>());
    resp
}

pub(crate) fn redirect_of(found: &Pending) -> &str {
    found
        .request
        .get("redirect_uri")
        .map(String::as_str)
        .unwrap_or_default()
}

/// `POST /signin/mfa/enrol`: the first code from the new authenticator.
pub async fn enrol(
    req: HttpRequest,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    // Not charged to the MFA budget: confirming a seed the person is looking at proves
    // nothing to a guesser, and typos here should not lock the real sign-in step.
    let (found, cookie, form) = match pending_of(&req, form, &state, Purpose::Enrol).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    let (origin, now) = (ctx.origin(), Utc::now());
    let Ok(mut tx) = state.db.tenant(found.tenant).await else {
        return unavailable();
    };
    let code = form.get("code").map(String::as_str).unwrap_or_default();
    let codes =
        match factors::confirm_enrolment(&mut tx, &state.envelope, found.user, code, &origin, now)
            .await
        {
            Ok(c) => c,
            Err(MfaError::WrongCode) => return enrol_again(&state, &mut tx, &found, now).await,
            Err(e) => return mfa_error(e),
        };
    let (_, done) = match finish(
        &state,
        &mut tx,
        &found,
        &cookie,
        &with_otp(&found),
        &origin,
        now,
    )
    .await
    {
        Ok(r) => r,
        Err(page) => return page,
    };
    if tx.commit().await.is_err() {
        return unavailable();
    }
    let csrf = random::token::<32>();
    let mut resp = mfa_pages::recovery_codes(&codes, &csrf, &resume_url(&found.request));
    signed_in_cookies(&mut resp, &state, &done, csrf);
    resp
}

/// The enrolment page again after a wrong first code.
async fn enrol_again(
    state: &AppState,
    tx: &mut TenantTx,
    found: &Pending,
    now: DateTime<Utc>,
) -> HttpResponse {
    let issuer = workspace_of(state, found.tenant)
        .await
        .map(|(_, name)| name)
        .unwrap_or_default();
    let Ok(user) = crate::db::models::users::get(tx, found.user).await else {
        return unavailable();
    };
    let enrolment =
        match factors::pending_enrolment(tx, &state.envelope, found.user, &issuer, &user.email)
            .await
        {
            Ok(e) => e,
            Err(e) => return mfa_error(e),
        };
    let skip_until = match skip_allowed(tx, found, &user, now).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let csrf = random::token::<32>();
    let mut resp = mfa_pages::enrol(
        StatusCode::UNAUTHORIZED,
        &enrolment,
        "/signin/mfa/enrol",
        &csrf,
        skip_until,
        Some("That code is not valid. Enter the code your app shows now."),
    );
    pending_cookies(&mut resp, None, csrf, redirect_of(found));
    resp
}

/// The end of the grace period when this pending enrolment may still be skipped.
async fn skip_allowed(
    tx: &mut TenantTx,
    found: &Pending,
    user: &User,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, HttpResponse> {
    let wants_mfa = found
        .request
        .get("acr_values")
        .is_some_and(|v| v.split(' ').any(|a| a == authorize::ACR_MFA));
    let rule = enforcement::load(tx).await.map_err(|_| unavailable())?;
    Ok(match policy::step_for(&rule, user.mfa_exempt, false, now) {
        Step::EnrolOrSkip { deadline } if !wants_mfa => Some(deadline),
        _ => None,
    })
}

/// `POST /signin/mfa/skip`: not now, while the workspace's grace period lasts.
pub async fn skip(
    req: HttpRequest,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (found, cookie, _) = match pending_of(&req, form, &state, Purpose::Enrol).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    let (origin, now) = (ctx.origin(), Utc::now());
    let Ok(mut tx) = state.db.tenant(found.tenant).await else {
        return unavailable();
    };
    let Ok(user) = crate::db::models::users::get(&mut tx, found.user).await else {
        return unavailable();
    };
    match skip_allowed(&mut tx, &found, &user, now).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            return pages::error(
                StatusCode::FORBIDDEN,
                "Two-step verification is required now. Go back and set it up.",
            )
        }
        Err(page) => return page,
    }
    let (auth, done) = match finish(
        &state,
        &mut tx,
        &found,
        &cookie,
        &found.primary_amr.clone(),
        &origin,
        now,
    )
    .await
    {
        Ok(r) => r,
        Err(page) => return page,
    };
    if tx.commit().await.is_err() {
        return unavailable();
    }
    let mut resp = code_redirect(&state, &auth, &active(&done))
        .await
        .unwrap_or_else(|page| page);
    signed_in_cookies(&mut resp, &state, &done, random::token::<32>());
    resp
}

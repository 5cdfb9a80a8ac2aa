//! A signed-in person's two-step verification settings (`/account/mfa`): set up an
//! authenticator, turn it off, make new recovery codes. Each change needs a fresh proof:
//! the password plus the current factor within the last five minutes.

use super::browser_session::BrowserSession;
use super::csrf_form::CsrfForm;
use super::pages::{self, mfa as mfa_pages};
use super::request_context::RequestContext;
use super::signin::{host_cookie, workspace_of, CSRF_COOKIE};
use crate::audit::Action;
use crate::auth::sessions::ActiveSession;
use crate::crypto::random;
use crate::db::models::{sessions as session_model, users};
use crate::mfa::factors::{self, MfaError, Status};
use crate::mfa::{enforcement, policy, recovery, FRESH_SECS};
use crate::state::AppState;
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

/// Signed in less than five minutes ago, with the app's code when an app is set up (a
/// passkey sign-in passes it too: `mfa`).
pub(crate) fn is_fresh(me: &ActiveSession, enrolled: bool) -> bool {
    (Utc::now() - me.auth_time).num_seconds() <= FRESH_SECS
        && (!enrolled || policy::passed_mfa(&me.amr))
}

pub(crate) async fn status_of(state: &AppState, me: &ActiveSession) -> Result<Status, MfaError> {
    let mut tx = state.db.tenant_read(me.tenant).await?;
    let s = factors::status(&mut tx, me.user).await?;
    tx.commit().await?;
    Ok(s)
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

/// The posted form and the session, proven fresh: either the sign-in is less than five
/// minutes old, or the form carries the password (and the current code when MFA is on),
/// which makes it fresh again. Tries count against the sign-in and MFA budgets.
pub(crate) async fn fresh_session(
    me: ActiveSession,
    form: HashMap<String, String>,
    state: &AppState,
    ctx: &RequestContext,
) -> Result<(ActiveSession, HashMap<String, String>), HttpResponse> {
    let status = status_of(state, &me).await.map_err(page_error)?;
    if is_fresh(&me, status.enrolled) {
        return Ok((me, form));
    }
    let wrong = |s: &Status| {
        settings_page(
            StatusCode::UNAUTHORIZED,
            s,
            false,
            Some("The password or code is not correct."),
        )
    };
    let mut tx = state
        .db
        .tenant(me.tenant)
        .await
        .map_err(|_| page_error(MfaError::Unavailable))?;
    let user = users::get(&mut tx, me.user)
        .await
        .map_err(|_| page_error(MfaError::Unavailable))?;
    let account = crate::auth::signin::account_budget_key(me.tenant, &user.email);
    let budget = state.settings.rate_limits.signin_per_account;
    state
        .limiter
        .admit_one("signin_account", &account, budget)
        .await
        .map_err(|refusal| page_error(refusal.into()))?;
    let hash = users::password_hash(&mut tx, me.user)
        .await
        .map_err(|_| page_error(MfaError::Unavailable))?;
    let password = form.get("password").map(String::as_str).unwrap_or_default();
    let ok = state
        .passwords
        .verify_or_dummy(password, hash.as_deref())
        .await
        .unwrap_or(false);
    if !ok {
        return Err(wrong(&status));
    }
    let mut amr = vec!["pwd".to_string()];
    if status.enrolled {
        factors::charge_attempt(
            &state.limiter,
            &state.settings.rate_limits,
            me.tenant,
            me.user,
        )
        .await
        .map_err(page_error)?;
        let code = form.get("code").map(String::as_str).unwrap_or_default();
        match factors::verify(
            &mut tx,
            &state.envelope,
            me.user,
            code,
            &ctx.origin(),
            Utc::now(),
        )
        .await
        {
            Ok(_) => amr.push("otp".to_string()),
            Err(MfaError::WrongCode) => return Err(wrong(&status)),
            Err(e) => return Err(page_error(e)),
        }
    }
    let now = Utc::now();
    session_model::reauthenticated(&mut tx, me.id, &amr, now)
        .await
        .map_err(|_| page_error(MfaError::Unavailable))?;
    tx.commit()
        .await
        .map_err(|_| page_error(MfaError::Unavailable))?;
    Ok((
        ActiveSession {
            auth_time: now,
            amr,
            ..me
        },
        form,
    ))
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
    let issuer = workspace_of(&state, me.tenant)
        .await
        .map(|(_, name)| name)
        .unwrap_or_default();
    let result = async {
        let mut tx = state.db.tenant(me.tenant).await?;
        let user = users::get(&mut tx, me.user).await?;
        let e = factors::begin_enrolment(
            &mut tx,
            &state.envelope,
            me.user,
            &issuer,
            &user.email,
            Utc::now(),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, MfaError>(e)
    }
    .await;
    match result {
        Ok(enrolment) => {
            let csrf = random::token::<32>();
            let page = mfa_pages::enrol(
                StatusCode::OK,
                &enrolment,
                "/account/mfa/confirm",
                &csrf,
                None,
                None,
            );
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
    let result = async {
        let mut tx = state.db.tenant(me.tenant).await?;
        let now = Utc::now();
        let codes =
            factors::confirm_enrolment(&mut tx, &state.envelope, me.user, code, &ctx.origin(), now)
                .await?;
        let mut amr = me.amr.clone();
        if !policy::passed_mfa(&amr) {
            amr.push("otp".to_string());
        }
        session_model::reauthenticated(&mut tx, me.id, &amr, now).await?;
        tx.commit().await?;
        Ok::<_, MfaError>(codes)
    }
    .await;
    match result {
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
    let result = async {
        let mut tx = state.db.tenant(me.tenant).await?;
        let rule = enforcement::load(&mut tx).await?;
        let user = users::get(&mut tx, me.user).await?;
        // Required: a passkey may take over from the app, nothing may leave none.
        let passkeys = factors::status(&mut tx, me.user).await?.passkeys;
        if rule.required && !user.mfa_exempt && passkeys == 0 {
            return Ok(false);
        }
        let actor = format!("user:{}", me.user);
        factors::remove(
            &mut tx,
            &state.envelope,
            &actor,
            me.user,
            Action::MfaRemoved,
            &ctx.origin(),
            Utc::now(),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, MfaError>(true)
    }
    .await;
    match result {
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
    let result = async {
        let mut tx = state.db.tenant(me.tenant).await?;
        let codes =
            factors::regenerate_codes(&mut tx, &state.envelope, me.user, &ctx.origin(), Utc::now())
                .await?;
        tx.commit().await?;
        Ok::<_, MfaError>(codes)
    }
    .await;
    match result {
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

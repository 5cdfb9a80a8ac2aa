//! Consent to workspace applications: `POST /signin/consent` answers the question the
//! sign-in asked (the request comes back in hidden fields and is validated again), and
//! the account page `/account/apps` lists the applications a person allowed and withdraws
//! one (which ends its refresh tokens).

use super::account_mfa::with_csrf;
use super::browser::SESSION_COOKIE;
use super::browser_session::BrowserSession;
use super::csrf_form::CsrfForm;
use super::login_pages::page_for;
use super::pages::consent::{account_apps, AccountApps};
use super::request_context::RequestContext;
use super::step_answer::{authorize_error, carried, ports, refused, render};
use crate::auth::sessions::ActiveSession;
use crate::crypto::random;
use crate::http::state::AppState;
use crate::login::begin::Begin;
use crate::login::LoginError;
use crate::oidc::{authorize, consent};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

/// `POST /signin/consent`: Allow or Deny.
pub async fn decide(
    req: HttpRequest,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    let mut params = carried(&form);
    params.remove("prompt");
    let auth = match authorize::validate(&state.db, &params).await {
        Ok(a) => a,
        Err(e) => return authorize_error(&state, e),
    };
    let allow = form.get("decision").is_some_and(|d| d == "allow");
    let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
    let (origin, now) = (ctx.origin(), Utc::now());
    let request = (&auth, &params);
    let decided = crate::login::consent::decide(
        &ports(&state),
        request,
        cookie.as_deref(),
        allow,
        &origin,
        now,
    )
    .await;
    match decided {
        Ok(Begin::Answer(answer)) => render(&state, &auth, answer),
        // The session ended between the question and the answer.
        Ok(_) => page_for(&LoginError::Expired),
        Err(e) => refused(&state, e),
    }
}

async fn apps_page(
    state: &AppState,
    me: &ActiveSession,
    status: StatusCode,
    notice: Option<&str>,
) -> HttpResponse {
    let apps = match consent::list(&state.db, me).await {
        Ok(apps) => apps,
        Err(e) => return page_for(&e.into()),
    };
    let csrf = random::token::<32>();
    let view = AccountApps {
        title: "Connected applications",
        apps: &apps,
        csrf: &csrf,
        notice,
    };
    with_csrf(account_apps(status, &view), csrf)
}

/// `GET /account/apps`
pub async fn list(BrowserSession(me): BrowserSession, state: web::Data<AppState>) -> HttpResponse {
    apps_page(&state, &me, StatusCode::OK, None).await
}

/// `POST /account/apps/{client_id}/revoke`
pub async fn revoke(
    ctx: RequestContext,
    client_id: web::Path<String>,
    CsrfForm(_): CsrfForm,
    BrowserSession(me): BrowserSession,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (origin, now) = (ctx.origin(), Utc::now());
    match consent::revoke(&state.db, &state.envelope, &me, &client_id, &origin, now).await {
        Ok(true) => apps_page(&state, &me, StatusCode::OK, Some("Access withdrawn.")).await,
        Ok(false) => {
            let notice = Some("That application has no access to withdraw.");
            apps_page(&state, &me, StatusCode::NOT_FOUND, notice).await
        }
        Err(crate::audit::AuditError::Db(e)) => page_for(&e.into()),
        Err(e) => page_for(&LoginError::Unavailable(e.to_string())),
    }
}

//! The browser side of sign-in: `GET /oauth2/authorize` (answers at once for a signed-in
//! browser, otherwise shows the sign-in form) and `POST /signin` (the password form). What
//! happens is decided in [`crate::login`] (`begin`, `password`); here the request is
//! parsed, the CSRF token checked (by the form extractor) and the outcome rendered.

use super::browser::{allow_form_target, host_cookie, parse_unique, CSRF_COOKIE, SESSION_COOKIE};
use super::csrf_form::CsrfForm;
use super::pages::{self, SignInForm};
use super::request_context::RequestContext;
use super::step_answer::{authorize_error, carried, ports, refused, render};
use crate::crypto::random;
use crate::http::state::AppState;
use crate::login::begin::{self, Begin, Workspace};
use crate::login::password::{self, FormAgain, PasswordForm, PasswordOutcome};
use crate::oidc::authorize::{self, AuthorizeError, CARRIED};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use std::collections::HashMap;

/// The sign-in form, carrying the authorization request in hidden fields.
fn form_page(
    state: &AppState,
    (status, params): (StatusCode, &HashMap<String, String>),
    workspace: &Workspace,
    email: &str,
    error: Option<&str>,
) -> HttpResponse {
    let csrf = random::token::<32>();
    let hidden: Vec<(String, String)> = CARRIED
        .iter()
        .filter(|k| **k != "tenant")
        .filter_map(|k| params.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect();
    let form = SignInForm {
        title: "Sign in",
        passkeys: state.webauthn.is_some(),
        hidden: &hidden,
        workspace: workspace
            .as_ref()
            .map(|(slug, name)| (slug.as_str(), name.as_str())),
        email,
        csrf: &csrf,
        error,
    };
    let mut resp = pages::sign_in(status, &form);
    allow_form_target(&mut resp, params.get("redirect_uri").map(String::as_str));
    let _ = resp.add_cookie(&host_cookie(CSRF_COOKIE, csrf, 3600));
    resp
}

/// `GET /oauth2/authorize`
pub async fn authorize_page(
    req: HttpRequest,
    ctx: RequestContext,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(params) = parse_unique(req.query_string()) else {
        return pages::error(StatusCode::BAD_REQUEST, "The sign-in request is malformed.");
    };
    let auth = match authorize::validate(&state.db, &params).await {
        Ok(a) => a,
        Err(e) => return authorize_error(&state, e),
    };
    let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
    let request = (&auth, &carried(&params));
    match begin::begin(
        &ports(&state),
        request,
        cookie.as_deref(),
        &ctx.origin(),
        Utc::now(),
    )
    .await
    {
        Ok(Begin::Answer(answer)) => render(&state, &auth, answer),
        Ok(Begin::LoginRequired) => {
            let e = AuthorizeError::Redirect {
                redirect_uri: auth.redirect_uri.clone(),
                state: auth.state.clone(),
                error: "login_required",
                description: "the user is not signed in",
            };
            authorize_error(&state, e)
        }
        Ok(Begin::ShowForm { workspace, email }) => {
            form_page(&state, (StatusCode::OK, &params), &workspace, &email, None)
        }
        Err(e) => refused(&state, e),
    }
}

/// The form again, with why.
async fn form_again(
    state: &AppState,
    form: &HashMap<String, String>,
    why: FormAgain,
    tenant: Option<crate::ids::TenantId>,
) -> HttpResponse {
    let (status, message) = match why {
        FormAgain::Invalid => (StatusCode::UNAUTHORIZED, "Email or password is incorrect."),
        FormAgain::OtherWorkspace => (
            StatusCode::BAD_REQUEST,
            "This application belongs to another workspace.",
        ),
        FormAgain::UnknownWorkspace { named: false } => (
            StatusCode::BAD_REQUEST,
            "Enter your workspace: no workspace is registered for that email's domain.",
        ),
        FormAgain::UnknownWorkspace { named: true } => (
            StatusCode::BAD_REQUEST,
            "There is no workspace with that name.",
        ),
    };
    let workspace = match tenant {
        Some(t) => match begin::workspace(&state.db, t).await {
            Ok(w) => w,
            Err(e) => return refused(state, e),
        },
        None => None,
    };
    let email = form.get("email").map(String::as_str).unwrap_or_default();
    form_page(state, (status, form), &workspace, email, Some(message))
}

/// `POST /signin`: the password form.
pub async fn sign_in(
    ctx: RequestContext,
    CsrfForm(form): CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    let auth = match authorize::validate(&state.db, &form).await {
        Ok(a) => a,
        Err(e) => return authorize_error(&state, e),
    };
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let posted = PasswordForm {
        workspace: field("workspace"),
        email: field("email"),
        password: field("password"),
    };
    let request = (&auth, &carried(&form));
    match password::sign_in(&ports(&state), request, &posted, &ctx.origin(), Utc::now()).await {
        Ok(PasswordOutcome::Answer(answer)) => render(&state, &auth, answer),
        Ok(PasswordOutcome::HandOff(started)) => super::sso::hand_off_page(started),
        Ok(PasswordOutcome::FormAgain { why, tenant }) => {
            form_again(&state, &form, why, tenant).await
        }
        Err(e) => refused(&state, e),
    }
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(pages::CSS)
}

pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(pages::PASSKEYS_JS)
}

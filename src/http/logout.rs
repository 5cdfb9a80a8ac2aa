//! RP-initiated logout (`end_session_endpoint`): ends the browser's session server-side,
//! clears the cookie, and returns to `post_logout_redirect_uri` only when it exactly matches
//! one registered for the client named by `client_id` or the `id_token_hint`. A signed-in
//! browser is only signed out when the request proves the person or their application
//! asked: an `id_token_hint` for this very session, or our own confirmation form (CSRF
//! checked). Anything else, such as a cross-site image, gets the confirmation page.

use super::browser::{csrf_ok, host_cookie, parse_unique, CSRF_COOKIE, SESSION_COOKIE};
use super::login_pages::page_for;
use super::pages;
use super::request_context::RequestContext;
use super::step_answer::ports;
use crate::http::state::AppState;
use crate::login::{self, logout::Logout, logout::LogoutOutcome};
use crate::oidc::authorize::redirect_with;
use actix_web::cookie::Cookie;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use std::collections::HashMap;

fn params(req: &HttpRequest, body: &[u8]) -> Option<HashMap<String, String>> {
    if req.method() == actix_web::http::Method::POST {
        parse_unique(std::str::from_utf8(body).ok()?)
    } else {
        parse_unique(req.query_string())
    }
}

/// The session cookie, emptied and expired.
fn cleared_cookie() -> Cookie<'static> {
    host_cookie(SESSION_COOKIE, String::new(), 0)
}

pub async fn logout(
    req: HttpRequest,
    ctx: RequestContext,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(p) = params(&req, &body) else {
        return pages::error(
            StatusCode::BAD_REQUEST,
            "The sign-out request is malformed.",
        );
    };
    let get = |k: &str| p.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
    let asked = Logout {
        id_token_hint: get("id_token_hint"),
        client_id: get("client_id"),
        post_logout_redirect_uri: get("post_logout_redirect_uri"),
        session_cookie: cookie.as_deref(),
        confirmed: req.method() == actix_web::http::Method::POST && csrf_ok(&req, &p),
    };
    let (keys, issuer) = (state.keys.current(), &state.settings.tokens.issuer);
    let (ports, origin) = (ports(&state), ctx.origin());
    let decided = login::logout::logout(&ports, (&keys, issuer), &asked, &origin, Utc::now());
    let mut resp = match decided.await {
        Ok(LogoutOutcome::Confirm) => return confirmation(&p),
        Ok(LogoutOutcome::SignedOut {
            return_to: Some(uri),
        }) => {
            let state_param: Vec<(&str, &str)> =
                get("state").map(|s| ("state", s)).into_iter().collect();
            let location = if state_param.is_empty() {
                uri
            } else {
                redirect_with(&uri, &state_param)
            };
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish()
        }
        Ok(LogoutOutcome::SignedOut { return_to: None }) => pages::message(
            StatusCode::OK,
            "You are signed out",
            "You can close this window.",
            None,
        ),
        Err(e) => return page_for(&e),
    };
    let _ = resp.add_cookie(&cleared_cookie());
    resp
}

/// The parameters carried through the confirmation form.
const CARRIED: &[&str] = &[
    "client_id",
    "post_logout_redirect_uri",
    "state",
    "id_token_hint",
];

#[derive(askama::Template)]
#[template(path = "sign_out.html")]
struct SignOut<'a> {
    title: &'a str,
    hidden: Vec<(&'a str, &'a str)>,
    csrf: &'a str,
}

/// "Sign out?" with a button that posts the same request back with a CSRF token.
fn confirmation(p: &HashMap<String, String>) -> HttpResponse {
    let csrf = crate::crypto::random::token::<32>();
    let hidden = CARRIED
        .iter()
        .filter_map(|k| p.get(*k).map(|v| (*k, v.as_str())))
        .collect();
    let page = SignOut {
        title: "Sign out",
        hidden,
        csrf: &csrf,
    };
    let mut resp = pages::render(StatusCode::OK, &page);
    let _ = resp.add_cookie(&host_cookie(CSRF_COOKIE, csrf, 3600));
    resp
}

//! RP-initiated logout (`end_session_endpoint`): ends the browser's session server-side,
//! clears the cookie, and returns to `post_logout_redirect_uri` only when it exactly matches
//! one registered for the client named by `client_id` or the `id_token_hint`. A signed-in
//! browser is only signed out when the request proves the person or their application
//! asked: an `id_token_hint` for this very session, or our own confirmation form (CSRF
//! checked). Anything else, such as a cross-site image, gets the confirmation page.

use super::browser::{csrf_ok, host_cookie, parse_unique, CSRF_COOKIE, SESSION_COOKIE};
use super::pages;
use super::request_context::RequestContext;
use crate::auth::sessions;
use crate::jwt::validate;
use crate::oidc::authorize::redirect_with;
use crate::oidc::clients;
use crate::state::AppState;
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
    let now = Utc::now();
    let hint = match get("id_token_hint") {
        Some(t) => match validate::id_token_hint(
            &state.keys.current(),
            t,
            &state.settings.tokens.issuer,
            now,
        ) {
            Ok(h) => Some(h),
            Err(_) => {
                return pages::error(
                    StatusCode::BAD_REQUEST,
                    "The sign-out request carries an invalid ID token.",
                )
            }
        },
        None => None,
    };
    // Where to go afterwards, decided before anything ends.
    let mut target = None;
    if let Some(uri) = get("post_logout_redirect_uri") {
        let client_id = get("client_id").or(hint.as_ref().map(|h| h.aud.as_str()));
        let client = match client_id {
            Some(id) => clients::get(&state.db, id).await.ok().flatten(),
            None => None,
        };
        if hint
            .as_ref()
            .is_some_and(|h| client_id != Some(h.aud.as_str()))
            || client.is_none()
        {
            return pages::error(
                StatusCode::BAD_REQUEST,
                "The application that sent you here is not registered.",
            );
        }
        if !client.is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri)) {
            return pages::error(
                StatusCode::BAD_REQUEST,
                "The return address is not registered for this application.",
            );
        }
        target = Some(uri.to_string());
    }
    let session = match req.cookie(SESSION_COOKIE) {
        Some(c) => sessions::resolve(&state.db, &state.settings.sessions, c.value(), now)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    if let Some(session) = session {
        if !asked_by_owner(&req, &p, hint.as_ref(), &session) {
            return confirmation(&p);
        }
        let origin = ctx.origin();
        // A failure leaves the session to its timeouts; the cookie is cleared either way.
        if let Err(e) = sessions::sign_out(&state.db, &state.envelope, &session, &origin, now).await
        {
            tracing::warn!(error = %e, "sign-out could not end the session");
        }
    }
    let mut resp = match target {
        Some(uri) => {
            let mut pairs = Vec::new();
            if let Some(s) = get("state") {
                pairs.push(("state", s));
            }
            let location = if pairs.is_empty() {
                uri
            } else {
                redirect_with(&uri, &pairs)
            };
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish()
        }
        None => pages::message(
            StatusCode::OK,
            "You are signed out",
            "You can close this window.",
            None,
        ),
    };
    let _ = resp.add_cookie(&cleared_cookie());
    resp
}

/// Whether the sign-out of `session` was asked for by its owner: a hint naming this session
/// (or, for hints without `sid`, its person), or our confirmation form posted back.
fn asked_by_owner(
    req: &HttpRequest,
    p: &HashMap<String, String>,
    hint: Option<&validate::IdTokenHint>,
    session: &sessions::ActiveSession,
) -> bool {
    let hinted = hint.is_some_and(|h| match &h.sid {
        Some(sid) => *sid == session.id.to_string(),
        None => h.sub == format!("user:{}", session.user),
    });
    let confirmed = req.method() == actix_web::http::Method::POST && csrf_ok(req, p);
    hinted || confirmed
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

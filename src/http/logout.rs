//! RP-initiated logout (`end_session_endpoint`): ends the browser's session server-side,
//! clears the cookie, and returns to `post_logout_redirect_uri` only when it exactly matches
//! one registered for the client named by `client_id` or the `id_token_hint`.

use super::pages;
use super::request_context::RequestContext;
use super::signin::{parse_unique, SESSION_COOKIE};
use crate::auth::sessions;
use crate::oidc::authorize::redirect_with;
use crate::oidc::clients;
use crate::state::AppState;
use crate::tokens::validate;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
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

fn cleared_cookie() -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, "")
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(CookieDuration::seconds(0))
        .finish()
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
    if let Some(c) = req.cookie(SESSION_COOKIE) {
        if let Ok(Some(session)) =
            sessions::resolve(&state.db, &state.settings.sessions, c.value(), now).await
        {
            if let Ok(mut tx) = state.db.tenant(session.tenant).await {
                let actor = format!("user:{}", session.user);
                let ended = sessions::end(
                    &mut tx,
                    &state.envelope,
                    &actor,
                    session.user,
                    session.id,
                    "signed_out",
                    &ctx.origin(),
                    now,
                )
                .await;
                if ended.is_ok() {
                    let _ = tx.commit().await;
                }
            }
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
        None => pages::page(
            StatusCode::OK,
            "Signed out",
            "<h1>You are signed out</h1><p>You can close this window.</p>",
        ),
    };
    let _ = resp.add_cookie(&cleared_cookie());
    resp
}

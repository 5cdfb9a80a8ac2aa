//! Signing in to the console: the authorization code flow with PKCE through the service's
//! own sign-in pages, the code redeemed in-process for the person's admin-audience token,
//! and signing out through RP-initiated logout.

use super::caller::CONSOLE_COOKIE;
use crate::crypto::random;
use crate::http::browser::{host_cookie, see_other};
use crate::http::csrf_form::CsrfForm;
use crate::http::pages;
use crate::http::state::AppState;
use crate::oidc::authorize::ACR_MFA;
use crate::oidc::console_client::{self, CONSOLE_CLIENT_ID};
use crate::oidc::person_grants;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha256};

const FLOW_COOKIE: &str = "__Host-identity-console-flow";

#[derive(Deserialize)]
pub struct Start {
    return_to: Option<String>,
    step_up: Option<String>,
}

/// A console path to come back to; anything else is the console home.
fn console_path(p: Option<&str>) -> &str {
    p.filter(|p| p.starts_with("/console") && !p.starts_with("/console/signin") && p.len() < 1000)
        .unwrap_or("/console")
}

fn unavailable(e: impl std::fmt::Display) -> HttpResponse {
    tracing::warn!(error = %e, "console sign-in unavailable");
    pages::error(
        StatusCode::SERVICE_UNAVAILABLE,
        "The console is unavailable right now. Try again in a moment.",
    )
}

pub async fn start(state: web::Data<AppState>, q: web::Query<Start>) -> HttpResponse {
    let now = chrono::Utc::now();
    if let Err(e) = console_client::ensure(&state.db, &state.envelope, &state.settings, now).await {
        return unavailable(e);
    }
    let (flow_state, verifier) = (random::token::<24>(), random::token::<32>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let redirect = console_client::redirect_uri(&state.settings);
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", CONSOLE_CLIENT_ID),
        ("redirect_uri", redirect.as_str()),
        ("scope", "openid"),
        ("state", flow_state.as_str()),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    if q.step_up.is_some() {
        pairs.push(("acr_values", ACR_MFA));
    }
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    let back = console_path(q.return_to.as_deref());
    let mut resp = see_other(&format!("/oauth2/authorize?{query}"));
    // The page is encoded: a raw query may hold `;` or `,`, which would end or split the
    // cookie's value (and so the cookie, or the way back).
    let flow = format!("{flow_state}.{verifier}.{}", URL_SAFE_NO_PAD.encode(back));
    let _ = resp.add_cookie(&host_cookie(FLOW_COOKIE, flow, 600));
    resp
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
}

pub async fn callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<Callback>,
) -> HttpResponse {
    // The flow this browser started (its cookie), used once.
    let flow = req
        .cookie(FLOW_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    let mut parts = flow.splitn(3, '.');
    let (Some(expected), Some(verifier), Some(back)) = (parts.next(), parts.next(), parts.next())
    else {
        return pages::error(
            StatusCode::BAD_REQUEST,
            "This sign-in was not started in this browser. Open the console again.",
        );
    };
    if q.state.as_deref() != Some(expected) || expected.is_empty() {
        return pages::error(
            StatusCode::BAD_REQUEST,
            "This sign-in was not started in this browser. Open the console again.",
        );
    }
    let Some(code) = q.code.as_deref() else {
        return pages::error(
            StatusCode::BAD_REQUEST,
            "The sign-in did not complete. Open the console again.",
        );
    };
    let now = chrono::Utc::now();
    let settings = &state.settings;
    let client = match console_client::ensure(&state.db, &state.envelope, settings, now).await {
        Ok(c) => c,
        Err(e) => return unavailable(e),
    };
    let redirect = console_client::redirect_uri(settings);
    let admin = Some(settings.tokens.admin_audience.as_str());
    let keys = state.keys.current();
    let mint = person_grants::Minting {
        keys: &keys,
        settings: &settings.tokens,
    };
    let asked = person_grants::Redemption {
        code,
        redirect_uri: &redirect,
        verifier,
        resource: admin,
    };
    let grant = person_grants::authorization_code(&state.db, mint, &client, &asked, now).await;
    let tokens = match grant {
        Ok(t) => t,
        Err(e) => {
            tracing::info!(error = %e, "console code refused");
            return pages::error(
                StatusCode::BAD_REQUEST,
                "The sign-in did not complete. Open the console again.",
            );
        }
    };
    let back = URL_SAFE_NO_PAD
        .decode(back)
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let mut resp = see_other(console_path(back.as_deref()));
    let _ = resp.add_cookie(&host_cookie(
        CONSOLE_COOKIE,
        tokens.access_token,
        tokens.expires_in,
    ));
    let _ = resp.add_cookie(&host_cookie(FLOW_COOKIE, String::new(), 0));
    resp
}

/// Ends the console's token here and the sign-in session through RP-initiated logout.
pub async fn sign_out(state: web::Data<AppState>, _form: CsrfForm) -> HttpResponse {
    let back = console_client::signed_out_uri(&state.settings);
    let pairs = [
        ("client_id", CONSOLE_CLIENT_ID),
        ("post_logout_redirect_uri", back.as_str()),
    ];
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    let mut resp = see_other(&format!("/oauth2/logout?{query}"));
    let _ = resp.add_cookie(&host_cookie(CONSOLE_COOKIE, String::new(), 0));
    resp
}

pub async fn signed_out() -> HttpResponse {
    pages::message(
        StatusCode::OK,
        "Signed out",
        "You are signed out of the console.",
        Some("/console"),
    )
}

//! What the browser gets after a sign-in step: the answer [`crate::login::finish`] made of
//! a step's outcome, rendered as a redirect, a page of the next step, or a refusal; with the cookies each
//! needs (session, pending sign-in, CSRF) and a CSP that lets the next form's answer go to
//! the client. Shared by the password, passkey, second-factor and SSO routes.

use super::browser::{allow_form_target, host_cookie, see_other, CSRF_COOKIE, SESSION_COOKIE};
use super::login_pages::page_for;
use super::pages::consent::{self as consent_pages, ConsentPage};
use super::pages::{self, mfa as mfa_pages};
use crate::auth::signin::SignedIn;
use crate::crypto::random;
use crate::http::state::AppState;
use crate::login::{self, Answer, LoginError};
use crate::mfa::FRESH_SECS;
use crate::oidc::authorize::{self, AuthRequest, AuthorizeError, CARRIED};
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use std::collections::HashMap;

/// Binds a pending sign-in (second factor or enrolment) to the browser.
pub const MFA_COOKIE: &str = "__Host-identity-mfa";

/// What the sign-in steps of [`login`] need from the application.
pub(crate) fn ports(state: &AppState) -> login::Ports<'_> {
    login::Ports {
        db: &state.db,
        envelope: &state.envelope,
        sessions: &state.settings.sessions,
        webauthn: state.webauthn.as_deref(),
        limiter: &state.limiter,
        passwords: &state.passwords,
        limits: &state.settings.rate_limits,
        issuer: &state.settings.tokens.issuer,
        idp_net: &state.idp_http,
        public_url: &state.settings.server.public_url,
    }
}

/// A refused step: an invalid authorization request goes back to the client (or gets its
/// page), anything else the one mapping of [`page_for`].
pub(crate) fn refused(state: &AppState, e: LoginError) -> HttpResponse {
    match e {
        LoginError::Authorize(e) => authorize_error(state, e),
        e => page_for(&e),
    }
}

pub(crate) fn authorize_error(state: &AppState, e: AuthorizeError) -> HttpResponse {
    match e {
        AuthorizeError::Page(msg) => pages::error(StatusCode::BAD_REQUEST, msg),
        AuthorizeError::Redirect {
            redirect_uri,
            state: st,
            error,
            description,
        } => {
            let mut pairs = vec![("error", error), ("error_description", description)];
            if let Some(s) = st.as_deref() {
                pairs.push(("state", s));
            }
            pairs.push(("iss", state.settings.tokens.issuer.as_str()));
            see_other(&authorize::redirect_with(&redirect_uri, &pairs))
        }
    }
}

/// "Allow this application?", with the request in hidden fields.
fn consent_page(req: &AuthRequest, csrf: &str) -> HttpResponse {
    let returns_to = crate::oidc::clients::origin_of(&req.redirect_uri).unwrap_or_default();
    let hidden = req.as_fields();
    let page = ConsentPage {
        title: "Allow this application?",
        app: &req.client.name,
        scopes: consent_pages::scope_words(&req.scope),
        apis: &req.client.audiences,
        returns_to,
        csrf,
        hidden: &hidden,
    };
    let mut resp = consent_pages::consent(&page);
    let _ = resp.add_cookie(&host_cookie(CSRF_COOKIE, csrf.to_string(), 3600));
    allow_form_target(&mut resp, Some(&req.redirect_uri));
    resp
}

/// The authorization request's parameters, to finish it after the next step.
pub(crate) fn carried(params: &HashMap<String, String>) -> HashMap<String, String> {
    params
        .iter()
        .filter(|(k, _)| CARRIED.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Sets the cookies of a finished sign-in: the session, a new CSRF token (the one of the
/// page it answers with, if any), no pending state.
pub(crate) fn signed_in_cookies(
    resp: &mut HttpResponse,
    state: &AppState,
    done: &SignedIn,
    csrf: String,
) {
    let max_age = state.settings.sessions.absolute_timeout_secs;
    let _ = resp.add_cookie(&host_cookie(SESSION_COOKIE, done.cookie.clone(), max_age));
    let _ = resp.add_cookie(&host_cookie(CSRF_COOKIE, csrf, 3600));
    let removal = Cookie::build(MFA_COOKIE, "")
        .path("/")
        .secure(true)
        .finish();
    let _ = resp.add_removal_cookie(&removal);
}

/// A finished step ([`login::Answer`]) as the browser gets it: the redirect or page, with
/// the new session's cookies when it started one.
pub(crate) fn render(state: &AppState, auth: &AuthRequest, answer: Answer) -> HttpResponse {
    let csrf = random::token::<32>();
    let (mut resp, new_session) = match answer {
        Answer::Redirect { to, new_session } => (see_other(&to), new_session),
        Answer::AskConsent { new_session } => (consent_page(auth, &csrf), new_session),
        Answer::AskSecondFactor {
            pending_cookie,
            factors,
        } => {
            let mut resp = mfa_pages::code_step(StatusCode::OK, &csrf, factors, None);
            pending_cookies(&mut resp, Some(pending_cookie), csrf, &auth.redirect_uri);
            return resp;
        }
        Answer::Enrol {
            pending_cookie,
            enrolment,
            skip_until,
        } => {
            let action = "/signin/mfa/enrol";
            let mut resp =
                mfa_pages::enrol(StatusCode::OK, &enrolment, action, &csrf, skip_until, None);
            pending_cookies(&mut resp, Some(pending_cookie), csrf, &auth.redirect_uri);
            return resp;
        }
    };
    if let Some(done) = new_session {
        signed_in_cookies(&mut resp, state, &done, csrf);
    }
    resp
}

/// Cookies of a page of the second step: the pending sign-in (when new), the form's CSRF
/// token, and a CSP that lets the form's answer redirect to the client.
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

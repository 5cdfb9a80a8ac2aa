//! The browser side of enterprise SSO: the hand-off to the IdP (from the sign-in form),
//! SAML SP metadata, the SAML ACS (HTTP-POST) and the OIDC redirect URI.
//! After the IdP, sign-in continues exactly as after a password: this service's second
//! factor when the workspace requires one, then the session and the code for the client.

use super::browser::{from_another_site, parse_unique};
use super::login_pages::sso_page as problem_page;
use super::pages;
use super::request_context::RequestContext;
use super::step_answer::{ports, refused, render};
use crate::http::state::AppState;
use crate::ids::TenantId;
use crate::login::hand_off::HandOff;
use crate::login::idp_returned;
use crate::sso::connection_test;
use crate::sso::connections::{self, Kind};
use crate::sso::flow::{self, Done};
use crate::sso::SsoError;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use uuid::Uuid;

/// Binds an SSO sign-in to the browser that started it. SameSite=None: the IdP's answer
/// comes back as a cross-site POST (SAML) or redirect.
pub const SSO_COOKIE: &str = "__Host-identity-sso";

fn sso_cookie(value: String, max_age_secs: i64) -> Cookie<'static> {
    Cookie::build(SSO_COOKIE, value)
        .http_only(true)
        .secure(true)
        .same_site(SameSite::None)
        .path("/")
        .max_age(CookieDuration::seconds(max_age_secs))
        .finish()
}

/// A started hand-off to the IdP (after the sign-in form): a page that moves on (a
/// redirect after a form POST would be blocked by the page's CSP `form-action`), and the
/// cookie binding the sign-in to this browser.
pub(crate) fn hand_off_page(started: HandOff) -> HttpResponse {
    let mut resp = pages::redirecting(&started.redirect);
    let _ = resp.add_cookie(&sso_cookie(started.browser, 600));
    resp
}

/// Continues the authorization request after the IdP; after a connection test, shows
/// its outcome in the console (the admin's console session, if any, is untouched).
async fn resume(state: &AppState, done: Done, ctx: &RequestContext) -> HttpResponse {
    let mut resp = match done {
        Done::SignedIn(done) => {
            let (ports, origin) = (ports(state), ctx.origin());
            match idp_returned::returned(&ports, &done, &origin, Utc::now()).await {
                Ok((auth, answer)) => render(state, &auth, answer),
                Err(e) => refused(state, e),
            }
        }
        Done::Tested {
            connection, test, ..
        } => HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/console/sso/{connection}/tests/{test}"),
            ))
            .finish(),
    };
    let _ = resp.add_removal_cookie(&sso_cookie(String::new(), 0));
    resp
}

/// A connection test's one-time link opened (from the admin API or the console): a page
/// with a "Start the test" button. Opening it spends nothing, so link previews in chat
/// and mail (which only GET) cannot burn it.
pub async fn test_page(link: web::Path<String>) -> HttpResponse {
    if !connection_test::is_link(&link) {
        return problem_page(&SsoError::Expired);
    }
    pages::render(
        StatusCode::OK,
        &pages::SsoTestStart {
            title: "Test single sign-on",
            link: &link,
        },
    )
}

/// The "Start the test" button: spends the link and goes on to the IdP in this browser,
/// as a sign-in would, but marked a test.
/// Another site's form cannot start it (the link would run someone else's sign-in).
pub async fn test_start(
    req: HttpRequest,
    link: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    if from_another_site(&req) {
        return pages::error(StatusCode::FORBIDDEN, "Start the test from its own page.");
    }
    let now = Utc::now();
    let taken = connection_test::take_link(&state.db, &link, now).await;
    let started = match taken {
        Ok((tenant, connection, request)) => {
            let (net, url) = (&state.idp_http, &state.settings.server.public_url);
            flow::start(&state.db, net, url, tenant, connection, &request, now).await
        }
        Err(e) => Err(e),
    };
    match started {
        Ok(s) => {
            let mut resp = pages::redirecting(&s.redirect);
            let _ = resp.add_cookie(&sso_cookie(s.browser, 600));
            resp
        }
        Err(e) => problem_page(&e),
    }
}

pub async fn saml_metadata(
    path: web::Path<(Uuid, Uuid)>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (tenant, id) = path.into_inner();
    let tenant = TenantId(tenant);
    match connections::find(&state.db, tenant, id).await {
        Ok(c) => match c.kind {
            Kind::Saml(s) => {
                let acs = connections::urls(&state.settings.server.public_url, tenant, id).acs;
                HttpResponse::Ok()
                    .content_type("application/samlmetadata+xml")
                    .body(crate::sso::saml::sp_metadata(&s, &acs))
            }
            Kind::Oidc(_) => problem_page(&SsoError::NotFound),
        },
        Err(e) => problem_page(&e),
    }
}

/// The ACS: the IdP's HTTP-POST. No CSRF token (the IdP posts it); the RelayState and the
/// browser cookie tie it to a sign-in this browser started.
pub async fn saml_acs(
    req: HttpRequest,
    ctx: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (tenant, id) = path.into_inner();
    let Some(form) = std::str::from_utf8(&body).ok().and_then(parse_unique) else {
        return pages::error(
            StatusCode::BAD_REQUEST,
            "The sign-in response is malformed.",
        );
    };
    let relay = form.get("RelayState").filter(|r| !r.is_empty());
    let (Some(response), Some(relay)) = (form.get("SAMLResponse"), relay) else {
        // An unsolicited (IdP-initiated) response has no RelayState of ours: refused.
        return pages::error(
            StatusCode::BAD_REQUEST,
            "Sign-in must start from the application. Go back to it and sign in there.",
        );
    };
    let browser = req.cookie(SSO_COOKIE).map(|c| c.value().to_string());
    let answer = flow::SamlAnswer {
        place: (TenantId(tenant), id),
        relay_state: relay,
        response,
        browser: browser.as_deref(),
    };
    let origin = ctx.origin();
    let audit = state.audit("anonymous", &origin, Utc::now());
    let url = &state.settings.server.public_url;
    let done = flow::finish_saml(&state.db, &audit, &state.saml_checks, url, &answer).await;
    match done {
        Ok(done) => resume(&state, done, &ctx).await,
        Err(e) => problem_page(&e),
    }
}

/// The OIDC redirect URI, shared by every OIDC connection (the state names the sign-in).
pub async fn oidc_callback(
    req: HttpRequest,
    ctx: RequestContext,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(q) = parse_unique(req.query_string()) else {
        return pages::error(
            StatusCode::BAD_REQUEST,
            "The sign-in response is malformed.",
        );
    };
    if q.contains_key("error") {
        return pages::error(
            StatusCode::FORBIDDEN,
            "Your identity provider did not sign you in. Go back to the application and try again.",
        );
    }
    let (Some(code), Some(st)) = (q.get("code"), q.get("state")) else {
        return pages::error(
            StatusCode::BAD_REQUEST,
            "The sign-in response is malformed.",
        );
    };
    let browser = req.cookie(SSO_COOKIE).map(|c| c.value().to_string());
    let answer = flow::OidcAnswer {
        state: st,
        code,
        iss: q.get("iss").map(String::as_str),
        browser: browser.as_deref(),
    };
    let origin = ctx.origin();
    let audit = state.audit("anonymous", &origin, Utc::now());
    let url = &state.settings.server.public_url;
    let done = flow::finish_oidc(&state.db, &audit, &state.idp_http, url, &answer).await;
    match done {
        Ok(done) => resume(&state, done, &ctx).await,
        Err(e) => problem_page(&e),
    }
}

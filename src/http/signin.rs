//! The browser side of sign-in: `GET /oauth2/authorize` (answers at once for a signed-in
//! browser, otherwise shows the sign-in form) and `POST /signin` (checks the CSRF token,
//! validates the authorization request again, runs the password step, starts the session
//! and redirects back with a one-time code). The workspace comes from the client, the
//! `tenant` parameter, the form, or the domain of the email when a workspace claims it.
//! After the password comes the second factor when needed (`super::mfa_step`).

use super::csrf_form::CsrfForm;
use super::pages::{self, SignInForm};
use super::request_context::RequestContext;
use crate::auth::sessions;
use crate::auth::signin::{self, Attempt, SignInError};
use crate::crypto::random;
use crate::db::models::tenants;
use crate::oidc::authorize::{self, AuthRequest, AuthorizeError, CARRIED};
use crate::oidc::codes::{self, CodeGrant};
use crate::sso::discovery;
use crate::state::AppState;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use std::collections::HashMap;

pub const SESSION_COOKIE: &str = "__Host-identity-session";
pub const CSRF_COOKIE: &str = "__Host-identity-csrf";

/// `__Host-` cookie: Secure, Path=/, no Domain; HttpOnly; SameSite=Lax.
pub(crate) fn host_cookie(name: &'static str, value: String, max_age_secs: i64) -> Cookie<'static> {
    Cookie::build(name, value)
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(CookieDuration::seconds(max_age_secs))
        .finish()
}

pub(crate) fn parse_unique(raw: &str) -> Option<HashMap<String, String>> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw).ok()?;
    let mut map = HashMap::with_capacity(pairs.len());
    for (k, v) in pairs {
        if map.insert(k, v).is_some() {
            return None;
        }
    }
    Some(map)
}

pub(crate) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
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

/// Issues a code for the session and sends the browser back to the client.
pub(crate) async fn code_redirect(
    state: &AppState,
    req: &AuthRequest,
    session: &sessions::ActiveSession,
) -> Result<HttpResponse, HttpResponse> {
    let unavailable = || {
        pages::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Sign-in is unavailable right now. Please try again shortly.",
        )
    };
    let now = Utc::now();
    let mut tx = state
        .db
        .tenant(session.tenant)
        .await
        .map_err(|_| unavailable())?;
    let grant = CodeGrant {
        client_id: &req.client.client_id,
        redirect_uri: &req.redirect_uri,
        user: session.user,
        session: session.id,
        code_challenge: &req.code_challenge,
        scope: &req.scope,
        nonce: req.nonce.as_deref(),
        auth_time: session.auth_time,
        amr: &session.amr,
    };
    let code = codes::issue(&mut tx, &grant, now)
        .await
        .map_err(|_| unavailable())?;
    tx.commit().await.map_err(|_| unavailable())?;
    let mut pairs = vec![("code", code.as_str())];
    if let Some(s) = req.state.as_deref() {
        pairs.push(("state", s));
    }
    pairs.push(("iss", state.settings.tokens.issuer.as_str()));
    Ok(see_other(&authorize::redirect_with(
        &req.redirect_uri,
        &pairs,
    )))
}

/// (slug, display name) of an active workspace.
type Workspace = Option<(String, String)>;

pub(crate) async fn workspace_of(state: &AppState, tenant: crate::ids::TenantId) -> Workspace {
    let mut tx = state.db.platform().await.ok()?;
    let t = tenants::get(&mut tx, tenant).await.ok()??;
    tx.commit().await.ok()?;
    Some((t.slug, t.display_name))
}

async fn workspace_named(state: &AppState, slug: &str) -> Workspace {
    let tenant = signin::tenant_by_slug(&state.db, slug).await.ok()??;
    workspace_of(state, tenant).await
}

fn form_page(
    passkeys: bool,
    status: StatusCode,
    params: &HashMap<String, String>,
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
    let mut resp = pages::sign_in(
        status,
        &SignInForm {
            title: "Sign in",
            passkeys,
            hidden: &hidden,
            workspace: workspace
                .as_ref()
                .map(|(slug, name)| (slug.as_str(), name.as_str())),
            email,
            csrf: &csrf,
            error,
        },
    );
    allow_form_target(&mut resp, params.get("redirect_uri").map(String::as_str));
    let _ = resp.add_cookie(&host_cookie(CSRF_COOKIE, csrf, 3600));
    resp
}

/// A page whose form's answer redirects to the client: its CSP must allow that target.
pub(crate) fn allow_form_target(resp: &mut HttpResponse, redirect_uri: Option<&str>) {
    let target = redirect_uri
        .and_then(crate::oidc::clients::origin_of)
        .unwrap_or("'none'");
    if let Ok(csp) =
        header::HeaderValue::from_str(&crate::http::middleware::csp_with_form_target(target))
    {
        resp.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
}

/// A signed-in browser: a code at once, unless the request (`acr_values`) or the
/// workspace's MFA rule needs a second factor the session has not passed.
async fn signed_in_answer(
    state: &AppState,
    params: &HashMap<String, String>,
    auth: &AuthRequest,
    session: &sessions::ActiveSession,
    ctx: &RequestContext,
) -> HttpResponse {
    let user = match state.db.tenant_read(session.tenant).await {
        Ok(mut tx) => crate::db::models::users::get(&mut tx, session.user)
            .await
            .ok(),
        Err(_) => None,
    };
    match user {
        Some(user) => {
            super::mfa_step::after_password(
                state,
                params,
                auth,
                session.tenant,
                &user,
                Some(session),
                &ctx.origin(),
            )
            .await
        }
        None => pages::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Sign-in is unavailable right now. Please try again shortly.",
        ),
    }
}

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
    let client_tenant = auth.client.tenant_id;
    let signed_in = match req.cookie(SESSION_COOKIE) {
        Some(c) => {
            match sessions::resolve(&state.db, &state.settings.sessions, c.value(), Utc::now())
                .await
            {
                Ok(found) => found,
                // A suspended workspace's session signs nobody in; the form says why.
                Err(crate::db::DbError::TenantNotActive) => None,
                Err(e) => return unavailable(&e),
            }
        }
        None => None,
    };
    let wanted_tenant = match (&auth.tenant_slug, client_tenant) {
        (_, Some(t)) => Some(t),
        (Some(slug), None) => match signin::tenant_by_slug(&state.db, slug).await {
            Ok(t) => t,
            Err(crate::db::DbError::TenantNotActive) => return suspended(),
            Err(e) => return unavailable(&e),
        },
        (None, None) => None,
    };
    if let Some(session) = signed_in {
        let fresh_enough = auth
            .max_age
            .is_none_or(|age| (Utc::now() - session.auth_time).num_seconds() <= age);
        let same_tenant = wanted_tenant.is_none_or(|t| t == session.tenant);
        if auth.prompt.as_deref() != Some("login") && fresh_enough && same_tenant {
            return signed_in_answer(&state, &params, &auth, &session, &ctx).await;
        }
    }
    if auth.prompt.as_deref() == Some("none") {
        return authorize_error(
            &state,
            AuthorizeError::Redirect {
                redirect_uri: auth.redirect_uri.clone(),
                state: auth.state.clone(),
                error: "login_required",
                description: "the user is not signed in",
            },
        );
    }
    let workspace = match (client_tenant, &auth.tenant_slug, &auth.login_hint) {
        (Some(t), _, _) => workspace_of(&state, t).await,
        (None, Some(slug), _) => workspace_named(&state, slug).await,
        (None, None, Some(hint)) => match signin::workspace_for(&state.db, "", hint).await {
            Ok(Some(t)) => workspace_of(&state, t).await,
            _ => None,
        },
        (None, None, None) => None,
    };
    // A login hint of an SSO domain fills in the form but never hands off by itself: a
    // cross-site GET must not start a sign-in that an attacker's IdP could finish silently
    // (login CSRF). The person's submit (CSRF-checked) does.
    let email = auth.login_hint.clone().unwrap_or_default();
    form_page(
        state.webauthn.is_some(),
        StatusCode::OK,
        &params,
        &workspace,
        &email,
        None,
    )
}

pub(crate) fn csrf_ok(req: &HttpRequest, form: &HashMap<String, String>) -> bool {
    csrf_matches(req, form.get("csrf").map(String::as_str))
}

/// Double submit: the presented token (form field or header) equals the CSRF cookie,
/// compared in constant time.
pub(crate) fn csrf_matches(req: &HttpRequest, presented: Option<&str>) -> bool {
    let (Some(cookie), Some(presented)) = (req.cookie(CSRF_COOKIE), presented) else {
        return false;
    };
    let (a, b) = (cookie.value().as_bytes(), presented.as_bytes());
    !a.is_empty()
        && a.len() == b.len()
        && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

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
    let workspace = field("workspace").trim().to_lowercase();
    let email = field("email");
    // A failed lookup is an outage, never "another workspace" or "no SSO here".
    let named = match signin::workspace_for(&state.db, &workspace, email).await {
        Ok(named) => named,
        Err(crate::db::DbError::TenantNotActive) => return suspended(),
        Err(e) => return unavailable(&e),
    };
    if let Some(t) = auth.client.tenant_id {
        if named != Some(t) {
            return form_page(
                state.webauthn.is_some(),
                StatusCode::BAD_REQUEST,
                &form,
                &None,
                email,
                Some("This application belongs to another workspace."),
            );
        }
    }
    // Home-realm discovery: a connection serving the email's domain takes the sign-in,
    // always when it forbids passwords, otherwise when the password is left empty.
    if let Some(t) = named {
        match discovery::realm_for(&state.db, t, email).await {
            Ok(Some(realm)) if !realm.password_allowed || field("password").is_empty() => {
                return super::sso::hand_off(&state, t, realm.connection, &form).await;
            }
            Ok(_) => {}
            Err(e) => return unavailable(&e),
        }
    }
    let attempt = Attempt {
        workspace: &workspace,
        email,
        password: field("password"),
        origin: &ctx.origin(),
    };
    let result = signin::check_password(
        &state.db,
        &state.envelope,
        &state.passwords,
        &state.limiter,
        &state.settings.rate_limits,
        &attempt,
        Utc::now(),
    )
    .await;
    match result {
        Ok(checked) => {
            super::mfa_step::after_password(
                &state,
                &form,
                &auth,
                checked.tenant,
                &checked.user,
                None,
                &ctx.origin(),
            )
            .await
        }
        Err(SignInError::SsoRequired { tenant, connection }) => {
            super::sso::hand_off(&state, tenant, connection, &form).await
        }
        Err(SignInError::Invalid) => {
            let shown = match named {
                Some(t) => workspace_of(&state, t).await,
                None => None,
            };
            form_page(
                state.webauthn.is_some(),
                StatusCode::UNAUTHORIZED,
                &form,
                &shown,
                email,
                Some("Email or password is incorrect."),
            )
        }
        Err(SignInError::UnknownWorkspace) => form_page(
            state.webauthn.is_some(),
            StatusCode::BAD_REQUEST,
            &form,
            &None,
            email,
            Some(if workspace.is_empty() {
                "Enter your workspace: no workspace is registered for that email's domain."
            } else {
                "There is no workspace with that name."
            }),
        ),
        Err(SignInError::Limited { retry_after_secs }) => {
            let mut resp = pages::error(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many sign-in attempts. Wait a few minutes and try again.",
            );
            if let Ok(v) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        Err(SignInError::Suspended) => suspended(),
        Err(e @ SignInError::Unavailable) => unavailable(&e),
    }
}

/// The page for a store that did not answer (and a log line saying which error).
pub(crate) fn unavailable(e: &dyn std::fmt::Display) -> HttpResponse {
    tracing::warn!(error = %e, "sign-in could not reach its data");
    let mut resp = pages::error(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sign-in is unavailable right now. Please try again shortly.",
    );
    resp.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    resp
}

/// The page for a suspended or cancelled workspace.
fn suspended() -> HttpResponse {
    pages::error(
        StatusCode::FORBIDDEN,
        "This workspace is suspended. Contact your administrator.",
    )
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

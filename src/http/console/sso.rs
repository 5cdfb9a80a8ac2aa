//! The console's Single sign-on screens, on the admin API's `/admin/v1/sso-connections`
//! domain functions: the connections; a new one (a SAML draft, so the IdP can be given
//! this service's values first; or OIDC with the redirect URI to register); a connection's
//! guided set-up (what to copy into Okta, Entra ID or another IdP, what to paste back);
//! and its removal. Testing a connection is `sso_test`.

use super::{ConsoleCaller, Frame};
use crate::admin::principal::Principal;
use crate::http::browser::see_other;
use crate::http::csrf_form::CsrfForm;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::sso::connection_input::{DomainInput, OidcInput, SamlInput};
use crate::sso::connections::{self, ConnectionInput, Site};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

const PERMISSION: &str = "sso:write";

/// A connection as the console shows it (from the admin API's view).
pub struct Shown {
    id: String,
    name: String,
    kind: String,
    enabled: bool,
    /// SAML: the IdP's metadata is in; OIDC: always.
    configured: bool,
    domains: String,
    password_signin_allowed: bool,
    /// The domains are verified for linking existing accounts.
    link_existing: bool,
    /// (label, element id, value) to copy into the IdP.
    copy: Vec<(&'static str, &'static str, String)>,
    /// SAML: the IdP's entity id; OIDC: the issuer.
    idp: String,
    metadata_url: String,
    client_id: String,
}

fn text(v: &Value, path: &[&str]) -> String {
    let found = path.iter().try_fold(v, |v, k| v.get(k));
    found
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn shown(v: &Value) -> Shown {
    let saml = v.get("saml").is_some();
    let copy = if saml {
        vec![
            (
                "Entity ID (Okta: Audience URI; Entra ID: Identifier)",
                "sp-entity",
                text(v, &["saml", "sp_entity_id"]),
            ),
            (
                "ACS URL (Okta: Single sign-on URL; Entra ID: Reply URL)",
                "acs-url",
                text(v, &["saml", "acs_url"]),
            ),
            (
                "SP metadata URL (for IdPs that read it)",
                "sp-metadata",
                text(v, &["saml", "metadata_url"]),
            ),
        ]
    } else {
        vec![(
            "Redirect URI (sign-in redirect URI)",
            "redirect-uri",
            text(v, &["oidc", "redirect_uri"]),
        )]
    };
    let domains = v["domains"].as_array().into_iter().flatten();
    let link_existing = domains.clone().any(|d| d["verified"] == true);
    Shown {
        id: text(v, &["id"]),
        name: text(v, &["name"]),
        kind: text(v, &["kind"]),
        enabled: v["enabled"].as_bool().unwrap_or(false),
        configured: !saml || v["saml"]["configured"].as_bool().unwrap_or(false),
        domains: domains
            .filter_map(|d| d["domain"].as_str())
            .collect::<Vec<_>>()
            .join(", "),
        password_signin_allowed: v["password_signin_allowed"].as_bool().unwrap_or(true),
        link_existing,
        copy,
        idp: if saml {
            text(v, &["saml", "idp_entity_id"])
        } else {
            text(v, &["oidc", "issuer"])
        },
        metadata_url: text(v, &["saml", "idp_metadata_url"]),
        client_id: text(v, &["oidc", "client_id"]),
    }
}

#[derive(Template)]
#[template(path = "console/sso.html")]
struct List<'a> {
    frame: &'a Frame,
    title: &'a str,
    connections: Vec<Shown>,
    redirect_uri: String,
    error: Option<String>,
    test_idp: Option<String>,
}

#[derive(Template)]
#[template(path = "console/sso_connection.html")]
struct One<'a> {
    frame: &'a Frame,
    title: &'a str,
    c: Shown,
    notice: Option<&'static str>,
    error: Option<String>,
    test_idp: Option<String>,
}

/// The local test IdP (`deploy/local/run.sh`), when the development settings name one.
fn test_idp(state: &AppState) -> Option<String> {
    let dev = state.settings.development.as_ref()?;
    dev.test_idp_metadata_url.clone()
}

pub(super) fn site(state: &AppState) -> Site<'_> {
    Site {
        public_url: &state.settings.server.public_url,
        net: &state.idp_http,
        metadata_refresh: state.settings.sso.metadata_refresh(),
    }
}

async fn list_page(state: &AppState, who: &Principal, error: Option<String>) -> HttpResponse {
    let url = &state.settings.server.public_url;
    let all = match connections::list(&state.db, who.tenant, url).await {
        Ok(all) => all,
        Err(e) => return super::failed(e),
    };
    let frame = Frame::new("Single sign-on", "Single sign-on");
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let redirect_uri = connections::urls(url, who.tenant, Uuid::nil()).oidc_redirect;
    let connections = all.iter().map(shown).collect();
    let page = List {
        frame: &frame,
        title: frame.title,
        connections,
        redirect_uri,
        error,
        test_idp: test_idp(state),
    };
    frame.answer(status, &page)
}

pub(super) async fn one_page(
    state: &AppState,
    who: &Principal,
    id: Uuid,
    notice: Option<&'static str>,
    error: Option<String>,
) -> HttpResponse {
    let url = &state.settings.server.public_url;
    let v = match connections::get(&state.db, who.tenant, id, url).await {
        Ok(v) => v,
        Err(e) => return super::failed(e),
    };
    let frame = Frame::new("Single sign-on", "Single sign-on");
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = One {
        frame: &frame,
        title: frame.title,
        c: shown(&v),
        notice,
        error,
        test_idp: test_idp(state),
    };
    frame.answer(status, &page)
}

pub async fn show(caller: ConsoleCaller, state: web::Data<AppState>) -> HttpResponse {
    let who = allowed!(caller, PERMISSION);
    list_page(&state, who, None).await
}

fn field(form: &HashMap<String, String>, name: &str) -> String {
    form.get(name)
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

fn some(form: &HashMap<String, String>, name: &str) -> Option<String> {
    Some(field(form, name)).filter(|v| !v.is_empty())
}

/// Domains typed as a list: commas, spaces or lines between them.
fn domains(form: &HashMap<String, String>) -> Vec<DomainInput> {
    let verified = checked(form, "link_existing");
    field(form, "domains")
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|d| !d.is_empty())
        .map(|d| DomainInput {
            domain: d.to_string(),
            verified,
        })
        .collect()
}

fn checked(form: &HashMap<String, String>, name: &str) -> bool {
    form.get(name).is_some_and(|v| v == "true")
}

/// The admin API's input from a console form: `kind` and the fields of that kind, and the
/// two switches (`[enabled, password sign-in allowed]`).
fn input_of(
    form: &HashMap<String, String>,
    kind: &str,
    [enabled, password]: [bool; 2],
) -> ConnectionInput {
    let saml = (kind == "saml").then(|| SamlInput {
        idp_metadata: some(form, "idp_metadata"),
        idp_metadata_url: some(form, "idp_metadata_url"),
        sp_entity_id: None,
        clock_skew_secs: None,
    });
    let oidc = (kind == "oidc").then(|| OidcInput {
        issuer: field(form, "issuer"),
        client_id: field(form, "client_id"),
        client_secret: some(form, "client_secret").map(secrecy::SecretString::from),
        scopes: None,
        groups_claim: None,
        use_userinfo: None,
    });
    ConnectionInput {
        name: field(form, "name"),
        kind: kind.to_string(),
        enabled,
        domains: domains(form),
        password_signin_allowed: password,
        idp_mfa_accepted: None,
        saml,
        oidc,
    }
}

/// A new connection: SAML starts as a draft (its SP values first), OIDC complete.
pub async fn create(
    caller: ConsoleCaller,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    let who = allowed!(caller, PERMISSION);
    let kind = if field(&form, "kind") == "oidc" {
        "oidc"
    } else {
        "saml"
    };
    let input = input_of(&form, kind, [kind == "oidc", true]);
    let made = connections::create(
        &state.db,
        &state.envelope,
        &site(&state),
        who,
        &input,
        &ctx.origin(),
        Utc::now(),
    )
    .await;
    match made {
        Ok(v) => see_other(&format!("/console/sso/{}", text(&v, &["id"]))),
        Err(crate::error::AppError::InvalidRequest(why)) => list_page(&state, who, Some(why)).await,
        Err(e) => super::failed(e),
    }
}

pub async fn show_one(
    caller: ConsoleCaller,
    id: web::Path<Uuid>,
    q: web::Query<HashMap<String, String>>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let who = allowed!(caller, PERMISSION);
    let notice = q.contains_key("saved").then_some("Saved.");
    one_page(&state, who, *id, notice, None).await
}

/// Saves what was pasted back from the IdP, the domains and the switches.
pub async fn save(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    CsrfForm(form): CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    let who = allowed!(caller, PERMISSION);
    let switches = [
        checked(&form, "enabled"),
        checked(&form, "password_signin_allowed"),
    ];
    let input = input_of(&form, &field(&form, "kind"), switches);
    let done = connections::replace(
        &state.db,
        &state.envelope,
        &site(&state),
        who,
        *id,
        &input,
        &ctx.origin(),
        Utc::now(),
    )
    .await;
    match done {
        Ok(_) => see_other(&format!("/console/sso/{id}?saved=1")),
        Err(crate::error::AppError::InvalidRequest(why)) => {
            one_page(&state, who, *id, None, Some(why)).await
        }
        Err(e) => super::failed(e),
    }
}

pub async fn delete(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    _form: CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    let who = allowed!(caller, PERMISSION);
    let origin = ctx.origin();
    match connections::delete(&state.db, &state.envelope, who, *id, &origin, Utc::now()).await {
        Ok(()) => see_other("/console/sso"),
        Err(e) => super::failed(e),
    }
}

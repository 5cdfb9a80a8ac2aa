//! The console's Single sign-on screens, on the admin API's `/admin/v1/sso-connections`
//! domain functions: the connections; a new one (a SAML draft, so the IdP can be given
//! this service's values first; or OIDC with the redirect URI to register); a connection's
//! guided set-up (what to copy into Okta, Entra ID or another IdP, what to paste back);
//! and its removal. Testing a connection is `sso_test`.

use super::form::{AfterSave, Checkbox};
use super::{ConsoleCaller, Frame, Page};
use crate::admin::principal::Principal;
use crate::error::AppError;
use crate::http::browser::see_other;
use crate::http::csrf_form::CsrfForm;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::sso::connection_input::{DomainInput, OidcInput, SamlInput};
use crate::sso::connections::{self, ConnectionInput, ConnectionView, Site};
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use serde::Deserialize;
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

fn shown(v: &ConnectionView) -> Shown {
    let copy = match (&v.saml, &v.oidc) {
        (Some(saml), _) => vec![
            (
                "Entity ID (Okta: Audience URI; Entra ID: Identifier)",
                "sp-entity",
                saml.sp_entity_id.clone(),
            ),
            (
                "ACS URL (Okta: Single sign-on URL; Entra ID: Reply URL)",
                "acs-url",
                saml.acs_url.clone(),
            ),
            (
                "SP metadata URL (for IdPs that read it)",
                "sp-metadata",
                saml.metadata_url.clone(),
            ),
        ],
        (None, oidc) => vec![(
            "Redirect URI (sign-in redirect URI)",
            "redirect-uri",
            oidc.as_ref()
                .map(|o| o.redirect_uri.clone())
                .unwrap_or_default(),
        )],
    };
    let domains: Vec<&str> = v.domains.iter().map(|d| d.domain.as_str()).collect();
    let (idp, metadata_url, client_id) = match (&v.saml, &v.oidc) {
        (Some(s), _) => (
            s.idp_entity_id.clone(),
            s.idp_metadata_url.clone().unwrap_or_default(),
            String::new(),
        ),
        (None, Some(o)) => (o.issuer.clone(), String::new(), o.client_id.clone()),
        (None, None) => Default::default(),
    };
    Shown {
        id: v.id.to_string(),
        name: v.name.clone(),
        kind: v.kind.clone(),
        enabled: v.enabled,
        configured: v.saml.as_ref().is_none_or(|s| s.configured),
        domains: domains.join(", "),
        password_signin_allowed: v.password_signin_allowed,
        link_existing: v.domains.iter().any(|d| d.verified),
        copy,
        idp,
        metadata_url,
        client_id,
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

async fn list_page(state: &AppState, who: &Principal, error: Option<String>) -> Page {
    let url = &state.settings.server.public_url;
    let all = connections::list(&state.db, who.tenant, url).await?;
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
    Ok(frame.answer(status, &page))
}

pub(super) async fn one_page(
    state: &AppState,
    who: &Principal,
    id: Uuid,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Page {
    let url = &state.settings.server.public_url;
    let v = connections::get(&state.db, who.tenant, id, url).await?;
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
    Ok(frame.answer(status, &page))
}

pub async fn show(caller: ConsoleCaller, state: web::Data<AppState>) -> Page {
    let who = caller.may(PERMISSION)?;
    list_page(&state, who, None).await
}

/// The connection form as posted (a new SAML draft, a new OIDC connection, or a saved
/// connection page); a field a form does not have is empty.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConnectionForm {
    kind: String,
    name: String,
    /// Typed as a list: commas, spaces or lines between them.
    domains: String,
    link_existing: Checkbox,
    enabled: Checkbox,
    password_signin_allowed: Checkbox,
    idp_metadata: String,
    idp_metadata_url: String,
    issuer: String,
    client_id: String,
    client_secret: String,
}

fn some(v: &str) -> Option<String> {
    Some(v.trim().to_string()).filter(|v| !v.is_empty())
}

impl ConnectionForm {
    /// OIDC when the form says so, otherwise SAML.
    fn kind(&self) -> &'static str {
        if self.kind.trim() == "oidc" {
            "oidc"
        } else {
            "saml"
        }
    }

    /// The admin API's input, with the two switches (`[enabled, password sign-in allowed]`).
    fn input(&self, [enabled, password]: [bool; 2]) -> ConnectionInput {
        let kind = self.kind();
        let verified = self.link_existing.0;
        let domains = self
            .domains
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|d| !d.is_empty())
            .map(|d| DomainInput {
                domain: d.to_string(),
                verified,
            })
            .collect();
        let saml = (kind == "saml").then(|| SamlInput {
            idp_metadata: some(&self.idp_metadata),
            idp_metadata_url: some(&self.idp_metadata_url),
            sp_entity_id: None,
            clock_skew_secs: None,
        });
        let oidc = (kind == "oidc").then(|| OidcInput {
            issuer: self.issuer.trim().to_string(),
            client_id: self.client_id.trim().to_string(),
            client_secret: some(&self.client_secret).map(secrecy::SecretString::from),
            scopes: None,
            groups_claim: None,
            use_userinfo: None,
        });
        ConnectionInput {
            name: self.name.trim().to_string(),
            kind: kind.to_string(),
            enabled,
            domains,
            password_signin_allowed: password,
            idp_mfa_accepted: None,
            saml,
            oidc,
        }
    }
}

/// A new connection: SAML starts as a draft (its SP values first), OIDC complete.
pub async fn create(
    caller: ConsoleCaller,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm<ConnectionForm>,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may(PERMISSION)?;
    let input = form.input([form.kind() == "oidc", true]);
    let origin = ctx.origin();
    match connections::create(&state.act(who, &origin), &site(&state), &input).await {
        Ok(made) => Ok(see_other(&format!("/console/sso/{}", made.id))),
        Err(AppError::InvalidRequest(why)) => list_page(&state, who, Some(why)).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn show_one(
    caller: ConsoleCaller,
    id: web::Path<Uuid>,
    q: web::Query<AfterSave>,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may(PERMISSION)?;
    let notice = q.saved().then_some("Saved.");
    one_page(&state, who, *id, notice, None).await
}

/// Saves what was pasted back from the IdP, the domains and the switches.
pub async fn save(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    CsrfForm(form): CsrfForm<ConnectionForm>,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may(PERMISSION)?;
    let input = form.input([form.enabled.0, form.password_signin_allowed.0]);
    let origin = ctx.origin();
    match connections::replace(&state.act(who, &origin), &site(&state), *id, &input).await {
        Ok(_) => Ok(see_other(&format!("/console/sso/{id}?saved=1"))),
        Err(AppError::InvalidRequest(why)) => one_page(&state, who, *id, None, Some(why)).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    _form: CsrfForm,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may(PERMISSION)?;
    connections::delete(&state.act(who, &ctx.origin()), *id).await?;
    Ok(see_other("/console/sso"))
}

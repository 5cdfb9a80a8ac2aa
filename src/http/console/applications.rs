//! The console's Applications screen (the admin API's `/admin/v1/clients`): register an
//! application that signs people in (secret shown once), rotate its secret with overlap,
//! delete it. Machine clients registered by the operator are listed, not changed.

use super::form::{Checkbox, Lines};
use super::{ConsoleCaller, Frame, Page};
use crate::admin::client_actions::{self, NewClient, PERSON_GRANTS};
use crate::admin::user_actions::Act;
use crate::http::browser::see_other;
use crate::http::csrf_form::CsrfForm;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::oidc::clients::Client;
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use chrono::Duration;
use serde::Deserialize;

const PERMISSION: &str = "settings:write";

pub struct AppLine {
    name: String,
    client_id: String,
    redirect_uris: Vec<String>,
    grant_types: Vec<String>,
    changeable: bool,
}

#[derive(Template)]
#[template(path = "console/applications.html")]
struct Apps<'a> {
    frame: &'a Frame,
    title: &'a str,
    /// (what happened, client id, secret) shown once.
    made: Option<(String, String, String)>,
    apps: Vec<AppLine>,
    /// The audiences an application may hold, as (audience, name).
    resources: Vec<(String, String)>,
    overlap_hours: i64,
}

fn line(c: Client) -> AppLine {
    let changeable = c
        .grant_types
        .iter()
        .all(|g| PERSON_GRANTS.contains(&g.as_str()));
    AppLine {
        name: c.name,
        client_id: c.client_id,
        redirect_uris: c.redirect_uris,
        grant_types: c.grant_types,
        changeable,
    }
}

async fn page(
    state: &AppState,
    act: &Act<'_>,
    status: StatusCode,
    made: Option<(String, String, String)>,
) -> Page {
    let apps = client_actions::list(act)
        .await?
        .into_iter()
        .map(line)
        .collect();
    let servers = client_actions::resource_servers(act).await?;
    let resources = servers.into_iter().map(|r| (r.audience, r.name)).collect();
    let frame = Frame::new("Applications", "Applications");
    let overlap_hours = state.settings.tokens.rotation_overlap_secs / 3600;
    Ok(frame.answer(
        status,
        &Apps {
            frame: &frame,
            title: frame.title,
            made,
            apps,
            resources,
            overlap_hours,
        },
    ))
}

/// The application form as posted (registering one, or saving its page).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ApplicationForm {
    pub name: String,
    /// Refresh tokens as well as the code grant.
    pub refresh: Checkbox,
    pub trusted: Checkbox,
    pub redirect_uris: Lines,
    pub post_logout_redirect_uris: Lines,
    pub audiences: Lines,
}

impl ApplicationForm {
    /// The code grant, and refresh tokens when the box is ticked.
    pub fn grants(&self) -> Vec<String> {
        let mut grant_types = vec!["authorization_code".to_string()];
        if self.refresh.0 {
            grant_types.push("refresh_token".into());
        }
        grant_types
    }
}

pub async fn show(caller: ConsoleCaller, ctx: RequestContext, state: web::Data<AppState>) -> Page {
    let who = caller.may(PERMISSION)?;
    page(&state, &state.act(who, &ctx.origin()), StatusCode::OK, None).await
}

pub async fn create(
    caller: ConsoleCaller,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm<ApplicationForm>,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may(PERMISSION)?;
    let new = NewClient {
        name: form.name.trim().to_string(),
        grant_types: form.grants(),
        redirect_uris: form.redirect_uris.0,
        post_logout_redirect_uris: form.post_logout_redirect_uris.0,
        audiences: form.audiences.0,
        trusted: form.trusted.0,
    };
    let origin = ctx.origin();
    let act = state.act(who, &origin);
    let max_ttl = state.settings.tokens.max_token_ttl_secs;
    let (c, secret) = client_actions::create(&act, new, max_ttl).await?;
    let shown = (format!("Registered \"{}\".", c.name), c.client_id, secret);
    page(&state, &act, StatusCode::CREATED, Some(shown)).await
}

pub async fn rotate(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<String>,
    _f: CsrfForm,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may(PERMISSION)?;
    let origin = ctx.origin();
    let act = state.act(who, &origin);
    let overlap = Duration::seconds(state.settings.tokens.rotation_overlap_secs);
    let secret = client_actions::rotate(&act, &id, overlap).await?;
    let shown = ("A new secret.".into(), id.into_inner(), secret);
    page(&state, &act, StatusCode::OK, Some(shown)).await
}

pub async fn delete(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<String>,
    _f: CsrfForm,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may(PERMISSION)?;
    client_actions::delete(&state.act(who, &ctx.origin()), &id).await?;
    Ok(see_other("/console/applications"))
}

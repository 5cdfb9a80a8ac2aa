//! The console's Applications screen (the admin API's `/admin/v1/clients`): register an
//! application that signs people in (secret shown once), rotate its secret with overlap,
//! delete it. Machine clients registered by the operator are listed, not changed.

use super::{ConsoleCaller, Frame};
use crate::admin::client_actions::{self, NewClient, PERSON_GRANTS};
use crate::admin::user_actions::Act;
use crate::http::admin::users::act;
use crate::http::browser::see_other;
use crate::http::csrf_form::CsrfForm;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::oidc::clients::Client;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Duration;
use std::collections::HashMap;

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
) -> HttpResponse {
    let (apps, resources) = match (
        client_actions::list(act).await,
        client_actions::resource_servers(act).await,
    ) {
        (Ok(list), Ok(r)) => (
            list.into_iter().map(line).collect(),
            r.into_iter().map(|r| (r.audience, r.name)).collect(),
        ),
        (Err(e), _) | (_, Err(e)) => return super::failed(e),
    };
    let frame = Frame::new("Applications", "Applications");
    let overlap_hours = state.settings.tokens.rotation_overlap_secs / 3600;
    frame.answer(
        status,
        &Apps {
            frame: &frame,
            title: frame.title,
            made,
            apps,
            resources,
            overlap_hours,
        },
    )
}

/// The code grant, and refresh tokens when the form's `refresh` box is ticked.
pub(super) fn grants(form: &HashMap<String, String>) -> Vec<String> {
    let mut grant_types = vec!["authorization_code".to_string()];
    if form.get("refresh").is_some_and(|v| v == "true") {
        grant_types.push("refresh_token".into());
    }
    grant_types
}

/// A form field of one value a line (URIs, audiences).
pub(super) fn lines(form: &HashMap<String, String>, field: &str) -> Vec<String> {
    form.get(field).map_or_else(Vec::new, |v| {
        v.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    })
}

pub async fn show(
    caller: ConsoleCaller,
    ctx: RequestContext,
    state: web::Data<AppState>,
) -> HttpResponse {
    let who = allowed!(caller, PERMISSION);
    page(
        &state,
        &act(&state, who, &ctx.origin()),
        StatusCode::OK,
        None,
    )
    .await
}

pub async fn create(
    caller: ConsoleCaller,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    let who = allowed!(caller, PERMISSION);
    let grant_types = grants(&form);
    let new = NewClient {
        name: form.get("name").map_or("", |n| n.trim()).to_string(),
        grant_types,
        redirect_uris: lines(&form, "redirect_uris"),
        post_logout_redirect_uris: lines(&form, "post_logout_redirect_uris"),
        audiences: lines(&form, "audiences"),
        trusted: form.get("trusted").is_some_and(|v| v == "true"),
    };
    let origin = ctx.origin();
    let act = act(&state, who, &origin);
    match client_actions::create(&act, new, state.settings.tokens.max_token_ttl_secs).await {
        Ok((c, secret)) => {
            page(
                &state,
                &act,
                StatusCode::CREATED,
                Some((format!("Registered \"{}\".", c.name), c.client_id, secret)),
            )
            .await
        }
        Err(e) => super::failed(e),
    }
}

pub async fn rotate(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<String>,
    _f: CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    let who = allowed!(caller, PERMISSION);
    let origin = ctx.origin();
    let act = act(&state, who, &origin);
    let overlap = Duration::seconds(state.settings.tokens.rotation_overlap_secs);
    match client_actions::rotate(&act, &id, overlap).await {
        Ok(secret) => {
            page(
                &state,
                &act,
                StatusCode::OK,
                Some(("A new secret.".into(), id.into_inner(), secret)),
            )
            .await
        }
        Err(e) => super::failed(e),
    }
}

pub async fn delete(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<String>,
    _f: CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    let who = allowed!(caller, PERMISSION);
    match client_actions::delete(&act(&state, who, &ctx.origin()), &id).await {
        Ok(()) => see_other("/console/applications"),
        Err(e) => super::failed(e),
    }
}

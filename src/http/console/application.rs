//! The console's page for one application: its redirect, sign-out and audience lists and
//! whether it gets refresh tokens, changed through the admin API's
//! `PATCH /admin/v1/clients/{id}` (same checks: https or loopback URIs, exact match).

use super::applications::{grants, lines};
use super::{ConsoleCaller, Frame};
use crate::admin::client_actions;
use crate::admin::principal::Principal;
use crate::http::admin::users::act;
use crate::http::browser::see_other;
use crate::http::csrf_form::CsrfForm;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::oidc::client_changes::ClientEdit;
use crate::oidc::clients::Client;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use std::collections::HashMap;

const PERMISSION: &str = "settings:write";

#[derive(Template)]
#[template(path = "console/application.html")]
struct One<'a> {
    frame: &'a Frame,
    title: &'a str,
    app: Client,
    refresh: bool,
    /// The audiences an application may hold, as (audience, name).
    resources: Vec<(String, String)>,
    saved: bool,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    who: &Principal,
    id: &str,
    saved: bool,
    error: Option<String>,
) -> HttpResponse {
    let origin = crate::audit::Origin::default();
    let act = act(state, who, &origin);
    let (app, resources) = match (
        client_actions::get(&act, id).await,
        client_actions::resource_servers(&act).await,
    ) {
        (Ok(app), Ok(r)) => (app, r.into_iter().map(|r| (r.audience, r.name)).collect()),
        (Err(e), _) | (_, Err(e)) => return super::failed(e),
    };
    let frame = Frame::new("Application", "Applications");
    let status = match error {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    let refresh = app.grant_types.iter().any(|g| g == "refresh_token");
    let view = One {
        frame: &frame,
        title: frame.title,
        app,
        refresh,
        resources,
        saved,
        error,
    };
    frame.answer(status, &view)
}

pub async fn show(
    caller: ConsoleCaller,
    id: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let who = allowed!(caller, PERMISSION);
    page(&state, who, &id, q.contains_key("saved"), None).await
}

pub async fn save(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    let who = allowed!(caller, PERMISSION);
    let edit = ClientEdit {
        name: form.get("name").map(|n| n.trim().to_string()),
        grant_types: Some(grants(&form)),
        redirect_uris: Some(lines(&form, "redirect_uris")),
        post_logout_redirect_uris: Some(lines(&form, "post_logout_redirect_uris")),
        audiences: Some(lines(&form, "audiences")),
        trusted: Some(form.get("trusted").is_some_and(|v| v == "true")),
    };
    let origin = ctx.origin();
    match client_actions::update(&act(&state, who, &origin), &id, edit).await {
        Ok(_) => see_other(&format!(
            "/console/applications/{}?saved=1",
            urlencoding(&id)
        )),
        Err(crate::error::AppError::InvalidRequest(why)) => {
            page(&state, who, &id, false, Some(why)).await
        }
        Err(e) => super::failed(e),
    }
}

fn urlencoding(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

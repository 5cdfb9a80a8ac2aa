//! The console's page for one application: its redirect, sign-out and audience lists and
//! whether it gets refresh tokens, changed through the admin API's
//! `PATCH /admin/v1/clients/{id}` (same checks: https or loopback URIs, exact match).

use super::applications::ApplicationForm;
use super::form::AfterSave;
use super::{ConsoleCaller, Frame, Page};
use crate::admin::client_actions;
use crate::admin::principal::Principal;
use crate::error::AppError;
use crate::http::browser::see_other;
use crate::http::csrf_form::CsrfForm;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::oidc::client_changes::ClientEdit;
use crate::oidc::clients::Client;
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;

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
) -> Page {
    let origin = crate::audit::Origin::default();
    let act = state.act(who, &origin);
    let app = client_actions::get(&act, id).await?;
    let servers = client_actions::resource_servers(&act).await?;
    let resources = servers.into_iter().map(|r| (r.audience, r.name)).collect();
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
    Ok(frame.answer(status, &view))
}

pub async fn show(
    caller: ConsoleCaller,
    id: web::Path<String>,
    q: web::Query<AfterSave>,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may(PERMISSION)?;
    page(&state, who, &id, q.saved(), None).await
}

pub async fn save(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<ApplicationForm>,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may(PERMISSION)?;
    let edit = ClientEdit {
        name: Some(form.name.trim().to_string()),
        grant_types: Some(form.grants()),
        redirect_uris: Some(form.redirect_uris.0),
        post_logout_redirect_uris: Some(form.post_logout_redirect_uris.0),
        audiences: Some(form.audiences.0),
        trusted: Some(form.trusted.0),
    };
    let origin = ctx.origin();
    match client_actions::update(&state.act(who, &origin), &id, edit).await {
        Ok(_) => {
            let to = format!("/console/applications/{}?saved=1", urlencoding(&id));
            Ok(see_other(&to))
        }
        Err(AppError::InvalidRequest(why)) => page(&state, who, &id, false, Some(why)).await,
        Err(e) => Err(e.into()),
    }
}

fn urlencoding(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

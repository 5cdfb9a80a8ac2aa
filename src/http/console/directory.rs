//! The console's Directory sync screen: the SCIM base URL, tokens (the admin API's
//! `/admin/v1/scim-tokens`), set-up steps for Okta and Entra ID, and the latest changes
//! provisioning made (`/admin/v1/audit/recent?action_prefix=scim.`).

use super::{ConsoleCaller, Frame, Page};
use crate::admin::audit_recent::{self, Entry};
use crate::admin::principal::Principal;
use crate::http::browser::see_other;
use crate::http::csrf_form::CsrfForm;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::scim::bearer_tokens;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub struct TokenLine {
    id: Uuid,
    name: String,
    made: String,
    last_used: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "console/directory.html")]
struct Directory<'a> {
    frame: &'a Frame,
    title: &'a str,
    scim_url: String,
    new_token: Option<(String, String)>,
    tokens: Vec<TokenLine>,
    recent: Option<Vec<Entry>>,
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "never".into(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

async fn page(state: &AppState, who: &Principal, new_token: Option<(String, String)>) -> Page {
    let rows = bearer_tokens::list(&state.db, who.tenant).await?;
    let scim = audit_recent::Filter {
        action_prefix: "scim.".into(),
        ..Default::default()
    };
    let env = &state.envelope;
    let recent = match who.require("audit:read") {
        Ok(()) => Some(audit_recent::recent(&state.db, env, who, &scim, None, 20).await?),
        Err(_) => None,
    };
    let tokens = rows
        .into_iter()
        .map(|r| TokenLine {
            id: r.id,
            name: r.name,
            made: when(Some(r.created_at)),
            last_used: when(r.last_used_at),
            revoked: r.revoked_at.is_some(),
        })
        .collect();
    let frame = Frame::new("Directory sync", "Directory sync");
    let scim_url = format!(
        "{}/scim/v2",
        state.settings.server.public_url.trim_end_matches('/')
    );
    let status = if new_token.is_some() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(frame.answer(
        status,
        &Directory {
            frame: &frame,
            title: frame.title,
            scim_url,
            new_token,
            tokens,
            recent,
        },
    ))
}

pub async fn show(caller: ConsoleCaller, state: web::Data<AppState>) -> Page {
    let who = caller.may("scim:write")?;
    page(&state, who, None).await
}

pub async fn create(
    caller: ConsoleCaller,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm<super::form::Named>,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may("scim:write")?;
    let origin = ctx.origin();
    let (row, token) =
        bearer_tokens::create_for(&state.act(who, &origin), form.name.trim()).await?;
    page(&state, who, Some((row.name, token))).await
}

pub async fn revoke(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    _form: CsrfForm,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may("scim:write")?;
    bearer_tokens::revoke_for(&state.act(who, &ctx.origin()), *id).await?;
    Ok(see_other("/console/directory"))
}

pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((
            actix_web::http::header::CACHE_CONTROL,
            "public, max-age=3600",
        ))
        .body(crate::http::pages::CONSOLE_JS)
}

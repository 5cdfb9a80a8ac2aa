//! The console's API keys screen (the admin API's `/admin/v1/api-keys`): make a key of a
//! role (shown once, never beyond the maker's own permissions), rotate with overlap,
//! revoke, and the 90-day rotation flag.

use super::form::Named;
use super::{ConsoleCaller, Frame, Page};
use crate::admin::user_actions::Act;
use crate::admin::{key_actions, roles};
use crate::http::browser::see_other;
use crate::http::csrf_form::CsrfForm;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use chrono::Duration;
use uuid::Uuid;

pub struct KeyLine {
    id: Uuid,
    name: String,
    role: String,
    last4: String,
    created_by: String,
    last_used: String,
    revoked: bool,
    rotation_due: bool,
}

#[derive(Template)]
#[template(path = "console/api_keys.html")]
struct Keys<'a> {
    frame: &'a Frame,
    title: &'a str,
    new_key: Option<(String, String)>,
    keys: Vec<KeyLine>,
    roles: Vec<String>,
    overlap_hours: i64,
}

async fn page(
    state: &AppState,
    act: &Act<'_>,
    status: StatusCode,
    new_key: Option<(String, String)>,
) -> Page {
    let keys = key_actions::list(act).await?;
    // The role names, as the admin API shows them: only with roles:read.
    let roles = match act.who.require("roles:read") {
        Err(_) => Vec::new(),
        Ok(()) => roles::list(&state.db, act.who).await?,
    };
    let roles = roles.into_iter().map(|r| r.name).collect();
    let keys = keys
        .into_iter()
        .map(|k| KeyLine {
            id: k.id,
            name: k.name,
            role: k.role,
            last4: k.last4,
            created_by: k.created_by,
            last_used: k.last_used_at.map_or_else(
                || "never".into(),
                |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
            ),
            revoked: k.revoked_at.is_some(),
            rotation_due: k.rotation_due,
        })
        .collect();
    let frame = Frame::new("API keys", "API keys");
    let overlap_hours = state.settings.tokens.rotation_overlap_secs / 3600;
    Ok(frame.answer(
        status,
        &Keys {
            frame: &frame,
            title: frame.title,
            new_key,
            keys,
            roles,
            overlap_hours,
        },
    ))
}

pub async fn show(caller: ConsoleCaller, ctx: RequestContext, state: web::Data<AppState>) -> Page {
    let who = caller.may("apikeys:read")?;
    let origin = ctx.origin();
    page(&state, &state.act(who, &origin), StatusCode::OK, None).await
}

pub async fn create(
    caller: ConsoleCaller,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm<Named>,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may("apikeys:write")?;
    let origin = ctx.origin();
    let act = state.act(who, &origin);
    let (view, key) = key_actions::create(&act, form.name.trim(), &form.role, None).await?;
    let shown = (format!("New key \"{}\".", view.name), key);
    page(&state, &act, StatusCode::CREATED, Some(shown)).await
}

pub async fn rotate(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    _f: CsrfForm,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may("apikeys:write")?;
    let origin = ctx.origin();
    let act = state.act(who, &origin);
    let overlap = Duration::seconds(state.settings.tokens.rotation_overlap_secs);
    let key = key_actions::rotate(&act, *id, overlap).await?;
    let shown = Some(("The key's new secret.".into(), key));
    page(&state, &act, StatusCode::OK, shown).await
}

pub async fn revoke(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    _f: CsrfForm,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may("apikeys:write")?;
    key_actions::revoke(&state.act(who, &ctx.origin()), *id).await?;
    Ok(see_other("/console/api-keys"))
}

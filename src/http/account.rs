//! A signed-in person's own sessions, for the account pages of the front ends: list them,
//! end one; and their own data export. Cookie-authenticated, so changes also need the CSRF token in `X-CSRF-Token`
//! (double submit with the `__Host-identity-csrf` cookie).

use super::browser::csrf_matches;
use super::browser_session::BrowserSession;
use super::request_context::RequestContext;
use crate::auth::sessions;
use crate::error::AppError;
use crate::http::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

pub async fn list(
    BrowserSession(me): BrowserSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let list = sessions::list_mine(&state.db, &me, Utc::now()).await?;
    Ok(HttpResponse::Ok().json(json!({ "current": me.id, "sessions": list })))
}

pub async fn end(
    req: HttpRequest,
    BrowserSession(me): BrowserSession,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let token = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok());
    if !csrf_matches(&req, token) {
        return Err(AppError::Forbidden);
    }
    let (origin, now) = (ctx.origin(), Utc::now());
    if !sessions::end_mine(&state.db, &state.envelope, &me, *id, &origin, now).await? {
        return Err(AppError::NotFound);
    }
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /account/export`: the person's own data export, as a JSON file; audited with
/// them as the actor.
pub async fn export(
    _f: super::csrf_form::CsrfForm,
    BrowserSession(me): BrowserSession,
    ctx: RequestContext,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (origin, actor) = (ctx.origin(), format!("user:{}", me.user));
    let audit = state.audit(&actor, &origin, Utc::now());
    let doc = crate::admin::person_export::export_own(&state.db, &audit, &me).await?;
    Ok(super::browser::json_download(&doc, "my-data.json"))
}

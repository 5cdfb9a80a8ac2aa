//! A signed-in person's own sessions, for the account pages of the front ends: list them,
//! end one. Cookie-authenticated, so changes also need the CSRF token in `X-CSRF-Token`
//! (double submit with the `__Host-identity-csrf` cookie).

use super::request_context::RequestContext;
use super::signin::{csrf_matches, SESSION_COOKIE};
use crate::auth::sessions::{self, ActiveSession};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

pub(crate) async fn current(
    req: &HttpRequest,
    state: &AppState,
) -> Result<ActiveSession, AppError> {
    let cookie = req.cookie(SESSION_COOKIE).ok_or(AppError::Unauthorized)?;
    sessions::resolve(
        &state.db,
        &state.settings.sessions,
        cookie.value(),
        Utc::now(),
    )
    .await?
    .ok_or(AppError::Unauthorized)
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let me = current(&req, &state).await?;
    let mut tx = state.db.tenant_read(me.tenant).await?;
    let list = sessions::list(&mut tx, me.user, Utc::now()).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(json!({ "current": me.id, "sessions": list })))
}

pub async fn end(
    req: HttpRequest,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let me = current(&req, &state).await?;
    if !csrf_matches(
        &req,
        req.headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok()),
    ) {
        return Err(AppError::Forbidden);
    }
    let mut tx = state.db.tenant(me.tenant).await?;
    let actor = format!("user:{}", me.user);
    if !sessions::end(
        &mut tx,
        &state.envelope,
        &actor,
        me.user,
        *id,
        "ended_by_user",
        &ctx.origin(),
        Utc::now(),
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

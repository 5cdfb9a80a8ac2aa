//! A signed-in person's own sessions, for the account pages of the front ends: list them,
//! end one. Cookie-authenticated, so changes also need the CSRF token in `X-CSRF-Token`
//! (double submit with the `__Host-identity-csrf` cookie).

use super::browser::csrf_matches;
use super::browser_session::BrowserSession;
use super::request_context::RequestContext;
use crate::auth::sessions;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

pub async fn list(
    BrowserSession(me): BrowserSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let mut tx = state.db.tenant_read(me.tenant).await?;
    let list = sessions::list(&mut tx, me.user, Utc::now()).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(json!({ "current": me.id, "sessions": list })))
}

pub async fn end(
    req: HttpRequest,
    BrowserSession(me): BrowserSession,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
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
        &crate::audit::Context {
            actor: &actor,
            origin: &ctx.origin(),
            now: Utc::now(),
        },
        me.user,
        *id,
        "ended_by_user",
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

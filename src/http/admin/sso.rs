//! `/admin/v1/sso-connections`: a workspace's SAML and OIDC identity providers (sso:write).
//! Secrets are write-only; every change is audited.

use crate::admin::principal::Principal;
use crate::error::AppError;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::sso::connections::{self, ConnectionInput, Site};
use crate::sso::{connection_test, metadata_refresh};
use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

fn site(state: &AppState) -> Site<'_> {
    Site {
        public_url: &state.settings.server.public_url,
        net: &state.idp_http,
        metadata_refresh: state.settings.sso.metadata_refresh(),
    }
}

pub async fn list(who: Principal, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    who.require("sso:write")?;
    let all = connections::list(&state.db, who.tenant, &state.settings.server.public_url).await?;
    Ok(HttpResponse::Ok().json(json!({ "connections": all })))
}

pub async fn create(
    who: Principal,
    ctx: RequestContext,
    body: web::Json<ConnectionInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("sso:write")?;
    let origin = ctx.origin();
    let created = connections::create(&state.act(&who, &origin), &site(&state), &body).await?;
    Ok(HttpResponse::Created().json(created))
}

pub async fn get(
    who: Principal,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("sso:write")?;
    let found = connections::get(
        &state.db,
        who.tenant,
        *id,
        &state.settings.server.public_url,
    )
    .await?;
    Ok(HttpResponse::Ok().json(found))
}

pub async fn replace(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: web::Json<ConnectionInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("sso:write")?;
    let origin = ctx.origin();
    let act = state.act(&who, &origin);
    let updated = connections::replace(&act, &site(&state), *id, &body).await?;
    Ok(HttpResponse::Ok().json(updated))
}

pub async fn delete(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("sso:write")?;
    connections::delete(&state.act(&who, &ctx.origin()), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Fetches the connection's IdP metadata from its URL now: a signing-key rollover is
/// applied (links kept), another entity id is refused; the answer says which.
pub async fn refresh_metadata(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("sso:write")?;
    let (origin, now, place) = (ctx.origin(), Utc::now(), (who.tenant, *id));
    let site = site(&state);
    let ctx = state.audit(&who.actor, &origin, now);
    let done = metadata_refresh::refresh(&state.db, &ctx, &site, place);
    Ok(HttpResponse::Ok().json(done.await?))
}

/// Starts a connection test: a one-time link to open in the admin's browser, which signs
/// in at the IdP and comes back to the outcome (nothing is kept, no session is made).
pub async fn start_test(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("sso:write")?;
    let url = &state.settings.server.public_url;
    let origin = ctx.origin();
    let created = connection_test::create(&state.act(&who, &origin), url, *id).await?;
    Ok(HttpResponse::Created().json(json!({
        "id": created.id, "start_url": created.start_url, "expires_at": created.expires_at,
    })))
}

/// A connection test: pending, started, or its outcome.
pub async fn test_result(
    who: Principal,
    path: web::Path<(Uuid, Uuid)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("sso:write")?;
    let (connection, test) = path.into_inner();
    let found = connection_test::view(&state.db, who.tenant, connection, test).await?;
    Ok(HttpResponse::Ok().json(found))
}

//! `/admin/v1/api-keys`. The key itself appears only in the create and rotate answers;
//! the rules of who may make or act on which key are in [`crate::admin::key_actions`].

use crate::admin::key_actions;
use crate::admin::principal::Principal;
use crate::error::AppError;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

pub async fn list(
    who: Principal,
    ctx: RequestContext,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("apikeys:read")?;
    let origin = ctx.origin();
    let keys = key_actions::list(&state.act(&who, &origin)).await?;
    Ok(HttpResponse::Ok().json(json!({ "api_keys": keys })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    name: String,
    role: String,
    expires_at: Option<DateTime<Utc>>,
}

pub async fn create(
    who: Principal,
    ctx: RequestContext,
    body: web::Json<CreateKey>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("apikeys:write")?;
    let origin = ctx.origin();
    let act = state.act(&who, &origin);
    let (view, key) = key_actions::create(&act, &body.name, &body.role, body.expires_at).await?;
    Ok(HttpResponse::Created().json(json!({ "api_key": view, "key": key })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RotateKey {
    overlap_secs: Option<i64>,
}

pub async fn rotate(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: Option<web::Json<RotateKey>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("apikeys:write")?;
    let overlap = body
        .and_then(|b| b.overlap_secs)
        .unwrap_or(state.settings.tokens.rotation_overlap_secs);
    if !(0..=30 * 86_400).contains(&overlap) {
        return Err(AppError::InvalidRequest(
            "overlap_secs must be between 0 and 2592000".into(),
        ));
    }
    let origin = ctx.origin();
    let act = state.act(&who, &origin);
    let key = key_actions::rotate(&act, *id, Duration::seconds(overlap)).await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "id": *id, "key": key, "previous_key_valid_for_secs": overlap })))
}

pub async fn revoke(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("apikeys:write")?;
    let origin = ctx.origin();
    key_actions::revoke(&state.act(&who, &origin), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

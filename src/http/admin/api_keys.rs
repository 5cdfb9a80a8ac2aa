//! `/admin/v1/api-keys`. The key itself appears only in the create and rotate answers.

use crate::admin::principal::Principal;
use crate::apikeys::service;
use crate::db::models::{api_keys as key_model, roles};
use crate::db::TenantTx;
use crate::error::AppError;
use crate::http::request_context::RequestContext;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

pub async fn list(who: Principal, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    who.require("apikeys:read")?;
    let mut tx = state.db.tenant(who.tenant).await?;
    let keys = service::list(&mut tx, &state.envelope, Utc::now()).await?;
    tx.commit().await?;
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
    let mut tx = state.db.tenant(who.tenant).await?;
    require_mfa_if_enforced(&mut tx, &who).await?;
    // A key can only carry permissions its creator holds.
    let role = roles::find_by_name(&mut tx, &body.role)
        .await?
        .ok_or_else(|| AppError::InvalidRequest("role does not exist in this workspace".into()))?;
    who.require_all(&role.permissions)?;
    let (view, key) = service::create(
        &mut tx,
        &state.envelope,
        &body.name,
        &body.role,
        body.expires_at,
        &who.actor,
        &ctx.origin(),
        Utc::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(json!({ "api_key": view, "key": key })))
}

/// Acting on a key (rotating hands out a new secret for it) needs every permission the key
/// carries, like creating it does: otherwise a key manager could mint itself an admin key.
async fn require_key_permissions(
    tx: &mut TenantTx,
    who: &Principal,
    id: Uuid,
) -> Result<(), AppError> {
    let permissions = key_model::role_permissions(tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    who.require_all(&permissions)
}

/// While the workspace requires MFA, a person's session must have passed it to hand out
/// key secrets (create or rotate).
async fn require_mfa_if_enforced(tx: &mut TenantTx, who: &Principal) -> Result<(), AppError> {
    if let Some((user, amr)) = &who.signed_in {
        if !crate::mfa::enforcement::may_create_keys(tx, *user, amr).await? {
            return Err(AppError::MfaRequired);
        }
    }
    Ok(())
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
    let mut tx = state.db.tenant(who.tenant).await?;
    require_mfa_if_enforced(&mut tx, &who).await?;
    require_key_permissions(&mut tx, &who, *id).await?;
    let key = service::rotate(
        &mut tx,
        &state.envelope,
        *id,
        Duration::seconds(overlap),
        &who.actor,
        &ctx.origin(),
        Utc::now(),
    )
    .await?;
    tx.commit().await?;
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
    let mut tx = state.db.tenant(who.tenant).await?;
    require_key_permissions(&mut tx, &who, *id).await?;
    service::revoke(
        &mut tx,
        &state.envelope,
        *id,
        &who.actor,
        &ctx.origin(),
        Utc::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

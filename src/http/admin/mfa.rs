//! `/admin/v1/mfa-policy` and per-user MFA administration: the workspace's rule,
//! break-glass exemptions, and resetting a person's factors.

use crate::admin::permissions::Deed;
use crate::admin::principal::Principal;
use crate::admin::user_actions;
use crate::error::AppError;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::ids::UserId;
use crate::mfa::{enforcement, policy};
use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

fn policy_json(p: &crate::mfa::policy::Policy) -> serde_json::Value {
    json!({
        "required": p.required,
        "grace_period_days": p.grace_period_days,
        "enforced_since": p.enforced_since,
        "grace_period_ends_at": p.deadline(),
    })
}

pub async fn get_policy(
    who: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("users:read")?;
    let policy = policy::current(&state.db, who.tenant).await?;
    Ok(HttpResponse::Ok().json(policy_json(&policy)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutPolicy {
    required: bool,
    #[serde(default)]
    grace_period_days: i32,
}

pub async fn put_policy(
    who: Principal,
    ctx: RequestContext,
    body: web::Json<PutPolicy>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("settings:write")?;
    let origin = ctx.origin();
    let policy = enforcement::put_policy(
        &state.db,
        who.tenant,
        &state.audit(&who.actor, &origin, Utc::now()),
        body.required,
        body.grace_period_days,
    )
    .await?;
    Ok(HttpResponse::Ok().json(policy_json(&policy)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutExemption {
    exempt: bool,
}

pub async fn put_exemption(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: web::Json<PutExemption>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require_for(Deed::SetMfaExemption)?;
    let origin = ctx.origin();
    let act = state.act(&who, &origin);
    user_actions::set_mfa_exemption(&act, UserId(*id), body.exempt).await?;
    Ok(HttpResponse::Ok().json(json!({ "id": *id, "mfa_exempt": body.exempt })))
}

pub async fn reset(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require_for(Deed::ResetMfa)?;
    let origin = ctx.origin();
    user_actions::reset_mfa(&state.act(&who, &origin), UserId(*id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /admin/v1/users/{id}/passkeys`
pub async fn passkeys(
    who: Principal,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("users:read")?;
    let list = user_actions::passkeys(&state.db, &who, UserId(*id)).await?;
    Ok(HttpResponse::Ok().json(json!({ "passkeys": list })))
}

/// `DELETE /admin/v1/users/{id}/passkeys`: removes them all, as a factor reset.
pub async fn reset_passkeys(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require_for(Deed::ResetPasskeys)?;
    let origin = ctx.origin();
    user_actions::reset_passkeys(&state.act(&who, &origin), UserId(*id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

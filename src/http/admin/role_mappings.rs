//! `/admin/v1/role-mappings`: the workspace's group→role rules (used by SCIM groups and,
//! later, enterprise SSO). Changes apply to each member's next token.

use crate::admin::principal::Principal;
use crate::admin::role_mappings;
use crate::error::AppError;
use crate::http::request_context::RequestContext;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

pub async fn list(who: Principal, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    who.require("roles:read")?;
    let rules = role_mappings::list(&state.db, who.tenant).await?;
    Ok(HttpResponse::Ok().json(json!({ "role_mappings": rules })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRule {
    group: String,
    role: String,
}

pub async fn create(
    who: Principal,
    ctx: RequestContext,
    body: web::Json<CreateRule>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("roles:write")?;
    let rule = role_mappings::create(
        &state.db,
        &state.envelope,
        &who,
        &body.group,
        &body.role,
        &ctx.origin(),
        Utc::now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(rule))
}

pub async fn delete(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("roles:write")?;
    role_mappings::delete(
        &state.db,
        &state.envelope,
        &who,
        *id,
        &ctx.origin(),
        Utc::now(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

//! `/admin/v1/scim-tokens`: the workspace's provisioning tokens. The token itself appears
//! only in the create answer.

use crate::admin::principal::Principal;
use crate::error::AppError;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::scim::bearer_tokens;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

pub async fn list(who: Principal, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    who.require("scim:write")?;
    let all = bearer_tokens::list(&state.db, who.tenant).await?;
    Ok(HttpResponse::Ok().json(json!({ "scim_tokens": all })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    name: String,
}

pub async fn create(
    who: Principal,
    ctx: RequestContext,
    body: web::Json<CreateToken>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("scim:write")?;
    let origin = ctx.origin();
    let (row, token) = bearer_tokens::create_for(&state.act(&who, &origin), &body.name).await?;
    Ok(HttpResponse::Created().json(json!({ "scim_token": row, "token": token })))
}

pub async fn revoke(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("scim:write")?;
    let origin = ctx.origin();
    bearer_tokens::revoke_for(&state.act(&who, &origin), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

//! `/admin/v1/roles`.

use crate::admin::principal::Principal;
use crate::admin::roles;
use crate::error::AppError;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

pub async fn list(who: Principal, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    who.require("roles:read")?;
    Ok(
        HttpResponse::Ok()
            .json(serde_json::json!({ "roles": roles::list(&state.db, &who).await? })),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRole {
    name: String,
    #[serde(default)]
    description: String,
    permissions: Vec<String>,
}

pub async fn create(
    who: Principal,
    ctx: RequestContext,
    body: web::Json<CreateRole>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("roles:write")?;
    let origin = ctx.origin();
    let act = state.act(&who, &origin);
    let role = (&body.name[..], &body.description[..], &body.permissions[..]);
    let role = roles::create(&act, role).await?;
    Ok(HttpResponse::Created().json(role))
}

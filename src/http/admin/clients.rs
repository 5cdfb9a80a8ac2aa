//! `/admin/v1/clients`: the workspace's own applications (`settings:write`). The secret
//! appears only in the create and rotate answers; the rules are in
//! [`crate::admin::client_actions`].

use crate::admin::client_actions::{self, NewClient};
use crate::admin::principal::Principal;
use crate::error::AppError;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::oidc::client_changes::ClientEdit;
use actix_web::{web, HttpResponse};
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;

const PERMISSION: &str = "settings:write";

pub async fn list(
    who: Principal,
    ctx: RequestContext,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require(PERMISSION)?;
    let origin = ctx.origin();
    let all = client_actions::list(&state.act(&who, &origin)).await?;
    Ok(HttpResponse::Ok().json(json!({ "clients": all })))
}

fn code_grant() -> Vec<String> {
    vec!["authorization_code".into()]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateClient {
    name: String,
    #[serde(default = "code_grant")]
    grant_types: Vec<String>,
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    audiences: Vec<String>,
    #[serde(default)]
    trusted: bool,
}

pub async fn create(
    who: Principal,
    ctx: RequestContext,
    body: web::Json<CreateClient>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require(PERMISSION)?;
    let body = body.into_inner();
    let new = NewClient {
        name: body.name,
        grant_types: body.grant_types,
        redirect_uris: body.redirect_uris,
        post_logout_redirect_uris: body.post_logout_redirect_uris,
        audiences: body.audiences,
        trusted: body.trusted,
    };
    let origin = ctx.origin();
    let max_ttl = state.settings.tokens.max_token_ttl_secs;
    let (client, secret) = client_actions::create(&state.act(&who, &origin), new, max_ttl).await?;
    Ok(HttpResponse::Created().json(json!({ "client": client, "client_secret": secret })))
}

pub async fn get(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require(PERMISSION)?;
    let origin = ctx.origin();
    let client = client_actions::get(&state.act(&who, &origin), &id).await?;
    Ok(HttpResponse::Ok().json(client))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateClient {
    name: Option<String>,
    grant_types: Option<Vec<String>>,
    redirect_uris: Option<Vec<String>>,
    post_logout_redirect_uris: Option<Vec<String>>,
    audiences: Option<Vec<String>>,
    trusted: Option<bool>,
}

pub async fn update(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<String>,
    body: web::Json<UpdateClient>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require(PERMISSION)?;
    let body = body.into_inner();
    let edit = ClientEdit {
        name: body.name,
        grant_types: body.grant_types,
        redirect_uris: body.redirect_uris,
        post_logout_redirect_uris: body.post_logout_redirect_uris,
        audiences: body.audiences,
        trusted: body.trusted,
    };
    let origin = ctx.origin();
    let client = client_actions::update(&state.act(&who, &origin), &id, edit).await?;
    Ok(HttpResponse::Ok().json(client))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RotateSecret {
    overlap_secs: Option<i64>,
}

pub async fn rotate(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<String>,
    body: Option<web::Json<RotateSecret>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require(PERMISSION)?;
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
    let secret = client_actions::rotate(&act, &id, Duration::seconds(overlap)).await?;
    Ok(HttpResponse::Ok().json(json!({
        "client_id": *id,
        "client_secret": secret,
        "previous_secret_valid_for_secs": overlap,
    })))
}

pub async fn delete(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require(PERMISSION)?;
    let origin = ctx.origin();
    client_actions::delete(&state.act(&who, &origin), &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

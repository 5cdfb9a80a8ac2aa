//! `/admin/v1/role-mappings`: the workspace's group→role rules (used by SCIM groups and,
//! later, enterprise SSO). Changes apply to each member's next token.

use crate::admin::principal::Principal;
use crate::admin::role_mappings::{self, Matcher};
use crate::authority::mapping_engine::Claims;
use crate::error::AppError;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

pub async fn list(who: Principal, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    who.require("roles:read")?;
    let rules = role_mappings::list(&state.db, who.tenant).await?;
    Ok(HttpResponse::Ok().json(json!({ "role_mappings": rules })))
}

/// `{group, role}` or `{attribute, value, role}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRule {
    group: Option<String>,
    attribute: Option<String>,
    value: Option<String>,
    role: String,
}

pub async fn create(
    who: Principal,
    ctx: RequestContext,
    body: web::Json<CreateRule>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("roles:write")?;
    let matcher = match (&body.group, &body.attribute, &body.value) {
        (Some(g), None, None) => Matcher::Group(g),
        (None, Some(name), Some(value)) => Matcher::Attribute { name, value },
        _ => {
            return Err(AppError::InvalidRequest(
                "give either group, or attribute and value".into(),
            ))
        }
    };
    let origin = ctx.origin();
    let rule = role_mappings::create(&state.act(&who, &origin), &matcher, &body.role).await?;
    Ok(HttpResponse::Created().json(rule))
}

pub async fn delete(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("roles:write")?;
    role_mappings::delete(&state.act(&who, &ctx.origin()), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sample claims: group names, and attributes with one value or several.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DryRun {
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    attributes: BTreeMap<String, OneOrMany>,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// Explains which rule gives which role for the sample claims; changes nothing.
pub async fn dry_run(
    who: Principal,
    body: web::Json<DryRun>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("roles:read")?;
    let body = body.into_inner();
    if body.groups.len() > 1000 || body.attributes.len() > 100 {
        return Err(AppError::InvalidRequest(
            "at most 1000 groups and 100 attributes".into(),
        ));
    }
    let claims = Claims {
        groups: body.groups,
        attributes: body
            .attributes
            .into_iter()
            .map(|(k, v)| match v {
                OneOrMany::One(s) => (k, vec![s]),
                OneOrMany::Many(list) => (k, list),
            })
            .collect(),
    };
    let (roles, matches) = role_mappings::dry_run(&state.db, who.tenant, &claims).await?;
    Ok(HttpResponse::Ok().json(json!({ "roles": roles, "matches": matches })))
}

//! `/admin/v1/users`.

use crate::admin::permissions::Deed;
use crate::admin::person_export;
use crate::admin::principal::Principal;
use crate::admin::user_actions::{self as actions, ProfileChange};
use crate::admin::users::{self, NewUserRequest};
use crate::error::AppError;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::ids::UserId;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    after: Option<Uuid>,
    limit: Option<i64>,
    /// Part of an email or name.
    q: Option<String>,
}

pub async fn list(
    who: Principal,
    q: web::Query<ListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("users:read")?;
    let search = q.q.as_deref().filter(|s| s.len() <= 200);
    if q.q.is_some() && search.is_none() {
        return Err(AppError::InvalidRequest(
            "q is at most 200 characters".into(),
        ));
    }
    let (after, limit) = (q.after.map(UserId), q.limit.unwrap_or(50));
    let users = users::list(&state.db, &who, after, search, limit).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "users": users })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    email: String,
    display_name: Option<String>,
    password: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
}

pub async fn create(
    who: Principal,
    ctx: RequestContext,
    body: web::Json<CreateUser>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("users:write")?;
    let req = NewUserRequest {
        email: &body.email,
        display_name: body.display_name.as_deref(),
        password: body.password.as_deref(),
        roles: &body.roles,
    };
    let origin = ctx.origin();
    let user = users::create(&state.act(&who, &origin), &state.passwords, req).await?;
    Ok(HttpResponse::Created().json(user))
}

pub async fn get(
    who: Principal,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("users:read")?;
    Ok(HttpResponse::Ok().json(users::get(&state.db, &who, UserId(*id)).await?))
}

/// `GET /admin/v1/users/{id}/export`: everything stored about the person (GDPR Art. 15/20).
pub async fn export(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require_for(Deed::ExportUser)?;
    let origin = ctx.origin();
    let doc = person_export::export(&state.act(&who, &origin), UserId(*id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(doc))
}

pub async fn disable(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require_for(Deed::DisableUser)?;
    let origin = ctx.origin();
    let user = actions::disable(&state.act(&who, &origin), UserId(*id)).await?;
    Ok(HttpResponse::Ok().json(user))
}

pub async fn enable(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require_for(Deed::EnableUser)?;
    let origin = ctx.origin();
    let user = actions::enable(&state.act(&who, &origin), UserId(*id)).await?;
    Ok(HttpResponse::Ok().json(user))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetRoles {
    roles: Vec<String>,
}

pub async fn set_roles(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: web::Json<SetRoles>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require_for(Deed::SetRoles)?;
    let origin = ctx.origin();
    let act = state.act(&who, &origin);
    let user = actions::set_roles(&act, UserId(*id), &body.roles).await?;
    Ok(HttpResponse::Ok().json(user))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    email: Option<String>,
    display_name: Option<String>,
}

pub async fn update(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    body: web::Json<UpdateUser>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("users:write")?;
    let change = ProfileChange {
        email: body.email.as_deref(),
        display_name: body.display_name.as_deref(),
    };
    let origin = ctx.origin();
    let act = state.act(&who, &origin);
    let user = actions::update_profile(&act, UserId(*id), &change).await?;
    Ok(HttpResponse::Ok().json(user))
}

#[derive(Deserialize)]
pub struct DeleteQuery {
    /// GDPR erasure: the person's mentions in the audit chain go too.
    #[serde(default)]
    erase: bool,
}

pub async fn delete(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    query: web::Query<DeleteQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("users:write")?;
    let origin = ctx.origin();
    let act = state.act(&who, &origin);
    if query.erase {
        actions::erase(&act, UserId(*id), None).await?;
    } else {
        actions::delete(&act, UserId(*id)).await?;
    }
    Ok(HttpResponse::NoContent().finish())
}

pub async fn send_reset_link(
    who: Principal,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("users:write")?;
    let origin = ctx.origin();
    let act = state.act(&who, &origin);
    let public_url = &state.settings.server.public_url;
    actions::send_reset_link(&act, public_url, UserId(*id)).await?;
    Ok(HttpResponse::Accepted().finish())
}

pub async fn sessions(
    who: Principal,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require_for(Deed::ReadSessions)?;
    let list = actions::sessions(&state.db, &who, UserId(*id), chrono::Utc::now()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "sessions": list })))
}

pub async fn end_session(
    who: Principal,
    ctx: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require_for(Deed::EndSession)?;
    let (user, session) = path.into_inner();
    let origin = ctx.origin();
    actions::end_session(&state.act(&who, &origin), UserId(user), session).await?;
    Ok(HttpResponse::NoContent().finish())
}

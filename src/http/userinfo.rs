//! OIDC `userinfo`: the person behind an access token meant for this endpoint. The token
//! must still be honoured (not revoked, session not ended, client still registered).

use crate::error::AppError;
use crate::http::state::AppState;
use crate::ids::{TenantId, UserId};
use crate::jwt::claims::ACCESS_TOKEN_TYP;
use crate::jwt::validate::Expect;
use crate::oidc::honour::still_honoured;
use crate::oidc::introspect::validate_access;
use crate::oidc::person_grants::userinfo_audience;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

pub async fn userinfo(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let bearer = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .ok_or(AppError::Unauthorized)?;
    let settings = &state.settings.tokens;
    let audience = userinfo_audience(settings);
    let expect = Expect {
        issuer: &settings.issuer,
        audience: Some(&audience),
        typ: ACCESS_TOKEN_TYP,
        leeway_secs: settings.leeway_secs,
    };
    let now = chrono::Utc::now();
    let claims = validate_access(&state.keys, bearer.trim(), &expect, now)
        .await
        .map_err(|_| AppError::Unauthorized)?;
    let honoured = still_honoured(&state.db, &claims, now)
        .await
        .map_err(|_| AppError::Unavailable)?;
    let (Some(tenant), Some(user)) = (
        claims
            .tid
            .as_deref()
            .and_then(|t| uuid::Uuid::try_parse(t).ok()),
        claims
            .sub
            .strip_prefix("user:")
            .and_then(|u| uuid::Uuid::try_parse(u).ok()),
    ) else {
        return Err(AppError::Unauthorized);
    };
    if !honoured {
        return Err(AppError::Unauthorized);
    }
    let person = crate::oidc::userinfo::active_person(&state.db, TenantId(tenant), UserId(user))
        .await?
        .ok_or(AppError::Unauthorized)?;
    let scopes: Vec<&str> = claims.scope.split(' ').collect();
    let mut body = json!({"sub": claims.sub, "tid": tenant});
    if let Some(obj) = body.as_object_mut() {
        if scopes.contains(&"email") {
            obj.insert("email".into(), person.email.into());
        }
        if scopes.contains(&"profile") {
            obj.insert("name".into(), person.display_name.into());
        }
    }
    Ok(HttpResponse::Ok().json(body))
}

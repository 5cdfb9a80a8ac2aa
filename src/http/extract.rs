//! Typed principals from the `Authorization: Bearer` header, for the admin API.

use crate::admin::principal::{self, Principal};
use crate::error::AppError;
use crate::http::state::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use std::future::Future;
use std::pin::Pin;

impl FromRequest for Principal {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let bearer = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_string());
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::internal(anyhow::anyhow!("no app state")))?;
            let bearer = bearer
                .filter(|t| !t.is_empty() && t.len() <= 4096)
                .ok_or(AppError::Unauthorized)?;
            principal::resolve(&state.principal_checks(), &bearer, chrono::Utc::now()).await
        })
    }
}

//! `/admin/v1/audit/export`: CSV for a time range (default: the last 30 days), and
//! `/admin/v1/audit/recent`: the newest entries, optionally of one kind.

use crate::admin::principal::Principal;
use crate::admin::{audit_export, audit_recent};
use crate::error::AppError;
use crate::http::request_context::RequestContext;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

pub async fn export(
    who: Principal,
    ctx: RequestContext,
    q: web::Query<Range>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("audit:read")?;
    let now = Utc::now();
    let to = q.to.unwrap_or(now + Duration::seconds(1));
    let from = q.from.unwrap_or(to - Duration::days(30));
    let csv = audit_export::export_csv(
        &state.db,
        &state.envelope,
        &who,
        from,
        to,
        &ctx.origin(),
        now,
    )
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"audit.csv\"",
        ))
        .body(csv))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recent {
    action_prefix: Option<String>,
    limit: Option<i64>,
}

pub async fn recent(
    who: Principal,
    q: web::Query<Recent>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("audit:read")?;
    let prefix = q.action_prefix.as_deref().unwrap_or("");
    let limit = q.limit.unwrap_or(20);
    let entries = audit_recent::recent(&state.db, &state.envelope, &who, prefix, limit).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "entries": entries })))
}

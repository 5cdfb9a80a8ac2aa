//! `/admin/v1/audit/export`: CSV for a time range (default: the last 30 days), and
//! `/admin/v1/audit/recent`: the newest entries, paged back; both filtered by kind of
//! action, actor and target when asked.

use crate::admin::principal::Principal;
use crate::admin::{audit_export, audit_recent};
use crate::error::AppError;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    action_prefix: Option<String>,
    actor: Option<String>,
    target: Option<String>,
}

fn text(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
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
    let mut filter = audit_recent::filter(text(&q.action_prefix), text(&q.actor), text(&q.target))?;
    (filter.from, filter.to) = (Some(from), Some(to));
    let (env, origin) = (&state.envelope, ctx.origin());
    let pages = audit_export::export_csv(&state.db, env, &who, &filter, &origin, now).await?;
    Ok(crate::http::browser::csv_download(pages))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recent {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    action_prefix: Option<String>,
    actor: Option<String>,
    target: Option<String>,
    /// Entries older than this sequence number: the next page back.
    before: Option<i64>,
    limit: Option<i64>,
}

pub async fn recent(
    who: Principal,
    q: web::Query<Recent>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    who.require("audit:read")?;
    let mut filter = audit_recent::filter(text(&q.action_prefix), text(&q.actor), text(&q.target))?;
    (filter.from, filter.to) = (q.from, q.to);
    let limit = q.limit.unwrap_or(20);
    let (db, env) = (&state.db, &state.envelope);
    let entries = audit_recent::recent(db, env, &who, &filter, q.before, limit).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "entries": entries })))
}

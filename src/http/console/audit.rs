//! The console's Audit log screen: the latest entries, of one kind of action if asked (the
//! admin API's `GET /admin/v1/audit/recent`), and CSV export of a period
//! (`GET /admin/v1/audit/export`).

use super::{ConsoleCaller, Frame};
use crate::admin::audit_export;
use crate::admin::audit_recent::{self, Entry};
use crate::http::request_context::RequestContext;
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "console/audit.html")]
struct Audit<'a> {
    frame: &'a Frame,
    title: &'a str,
    from: String,
    to: String,
    kind: &'a str,
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
pub struct Kind {
    action: Option<String>,
}

pub async fn show(
    caller: ConsoleCaller,
    q: web::Query<Kind>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let who = match caller.with("audit:read") {
        Ok(who) => who,
        Err(refused) => return *refused,
    };
    let kind = q.action.as_deref().unwrap_or("").trim();
    let entries = match audit_recent::recent(&state.db, &state.envelope, who, kind, 50).await {
        Ok(entries) => entries,
        Err(e) => return super::failed(e),
    };
    let today = Utc::now().date_naive();
    let frame = Frame::new("Audit log", "Audit log");
    let view = Audit {
        frame: &frame,
        title: frame.title,
        from: (today - Duration::days(30)).to_string(),
        to: today.to_string(),
        kind,
        entries,
    };
    frame.answer(StatusCode::OK, &view)
}

#[derive(Deserialize)]
pub struct Period {
    from: Option<String>,
    to: Option<String>,
}

fn day(v: Option<&str>) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(v?.trim(), "%Y-%m-%d").ok()
}

pub async fn export(
    caller: ConsoleCaller,
    ctx: RequestContext,
    q: web::Query<Period>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let who = match caller.with("audit:read") {
        Ok(who) => who,
        Err(refused) => return *refused,
    };
    let (Some(from), Some(to)) = (day(q.from.as_deref()), day(q.to.as_deref())) else {
        return crate::http::pages::error(
            StatusCode::BAD_REQUEST,
            "Give both dates as YYYY-MM-DD.",
        );
    };
    let start = from.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let end = (to + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc());
    let (Some(start), Some(end)) = (start, end) else {
        return crate::http::pages::error(
            StatusCode::BAD_REQUEST,
            "Give both dates as YYYY-MM-DD.",
        );
    };
    match audit_export::export_csv(
        &state.db,
        &state.envelope,
        who,
        start,
        end,
        &ctx.origin(),
        Utc::now(),
    )
    .await
    {
        Ok(csv) => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"audit-{from}-{to}.csv\""),
            ))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(csv),
        Err(e) => super::failed(e),
    }
}

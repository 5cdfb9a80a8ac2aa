//! The console's Audit log screen: the latest entries, filtered by kind of action, actor
//! and target and paged back (the admin API's `GET /admin/v1/audit/recent`), and CSV
//! export of a period with the same filter (`GET /admin/v1/audit/export`).

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
    actor: &'a str,
    target: &'a str,
    entries: Vec<Entry>,
    /// The next page back, when this one is full.
    older: Option<String>,
}

const PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct Shown {
    action: Option<String>,
    actor: Option<String>,
    target: Option<String>,
    before: Option<i64>,
}

fn text(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("").trim()
}

pub async fn show(
    caller: ConsoleCaller,
    q: web::Query<Shown>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let who = allowed!(caller, "audit:read");
    let (kind, actor, target) = (text(&q.action), text(&q.actor), text(&q.target));
    let found = match audit_recent::filter(kind, actor, target) {
        Ok(f) => audit_recent::recent(&state.db, &state.envelope, who, &f, q.before, PAGE).await,
        Err(e) => Err(e),
    };
    let entries = match found {
        Ok(entries) => entries,
        Err(e) => return super::failed(e),
    };
    let older = (entries.len() as i64 == PAGE).then(|| {
        let last = entries.last().map_or(0, |e| e.seq).to_string();
        let pairs = [
            ("action", kind),
            ("actor", actor),
            ("target", target),
            ("before", &last),
        ];
        format!(
            "/console/audit?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    });
    let today = Utc::now().date_naive();
    let frame = Frame::new("Audit log", "Audit log");
    let view = Audit {
        frame: &frame,
        title: frame.title,
        from: (today - Duration::days(30)).to_string(),
        to: today.to_string(),
        kind,
        actor,
        target,
        entries,
        older,
    };
    frame.answer(StatusCode::OK, &view)
}

#[derive(Deserialize)]
pub struct Period {
    from: Option<String>,
    to: Option<String>,
    action: Option<String>,
    actor: Option<String>,
    target: Option<String>,
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
    let who = allowed!(caller, "audit:read");
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
    let filter = match audit_recent::filter(text(&q.action), text(&q.actor), text(&q.target)) {
        Ok(f) => f,
        Err(e) => return super::failed(e),
    };
    let (env, origin) = (&state.envelope, ctx.origin());
    let period = (start, end);
    match audit_export::export_csv(&state.db, env, who, period, &filter, &origin, Utc::now()).await
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

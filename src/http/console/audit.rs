//! The console's Audit log screen: one filter (period, kind of action, actor, target) for
//! the entries shown, paged back (the admin API's `GET /admin/v1/audit/recent`), and for
//! the CSV export (`GET /admin/v1/audit/export`), posted with the CSRF check.

use super::{ConsoleCaller, Frame, Page};
use crate::admin::audit_export;
use crate::admin::audit_recent::{self, Entry, Filter};
use crate::error::AppError;
use crate::http::csrf_form::CsrfForm;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "console/audit.html")]
struct Audit<'a> {
    frame: &'a Frame,
    title: &'a str,
    asked: &'a Asked,
    entries: Vec<Entry>,
    /// The next page back, when this one is full.
    older: Option<String>,
}

const PAGE: i64 = 50;

/// The filter as the form sends it: UTC dates (the `to` day included) and exact texts.
#[derive(Deserialize, Default)]
pub struct Asked {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    target: String,
    before: Option<i64>,
}

fn midnight(day: NaiveDate) -> Option<DateTime<Utc>> {
    day.and_hms_opt(0, 0, 0).map(|t| t.and_utc())
}

/// A day as typed (empty: no bound); `next`: the bound is the end of that day.
fn bound(day: &str, next: bool) -> Result<Option<DateTime<Utc>>, AppError> {
    let day = day.trim();
    if day.is_empty() {
        return Ok(None);
    }
    let bad = || AppError::InvalidRequest("Give dates as YYYY-MM-DD.".into());
    let parsed = NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| bad())?;
    let day = if next {
        parsed + Duration::days(1)
    } else {
        parsed
    };
    midnight(day).map(Some).ok_or_else(bad)
}

impl Asked {
    fn filter(&self) -> Result<Filter, AppError> {
        let mut f = audit_recent::filter(self.action.trim(), &self.actor, &self.target)?;
        (f.from, f.to) = (bound(&self.from, false)?, bound(&self.to, true)?);
        Ok(f)
    }

    fn older_than(&self, seq: i64) -> String {
        let before = seq.to_string();
        let pairs = [
            ("from", self.from.as_str()),
            ("to", &self.to),
            ("action", &self.action),
            ("actor", &self.actor),
            ("target", &self.target),
            ("before", &before),
        ];
        let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
        format!("/console/audit?{query}")
    }
}

pub async fn show(caller: ConsoleCaller, q: web::Query<Asked>, state: web::Data<AppState>) -> Page {
    let who = caller.may("audit:read")?;
    let (env, f) = (&state.envelope, q.filter()?);
    let entries = audit_recent::recent(&state.db, env, who, &f, q.before, PAGE).await?;
    let full = entries.len() as i64 == PAGE;
    let older = entries.last().filter(|_| full).map(|e| q.older_than(e.seq));
    let frame = Frame::new("Audit log", "Audit log");
    let view = Audit {
        frame: &frame,
        title: frame.title,
        asked: &q,
        entries,
        older,
    };
    Ok(frame.answer(StatusCode::OK, &view))
}

/// The filter's entries as CSV; a period left open is the last 30 days up to now. A POST
/// with the CSRF check (the Export button carries the token): the export is recorded in
/// the audit log, so another site must not be able to make a browser do it.
pub async fn export(
    caller: ConsoleCaller,
    ctx: RequestContext,
    CsrfForm(asked): CsrfForm<Asked>,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may("audit:read")?;
    let mut filter = asked.filter()?;
    let now = Utc::now();
    let to = *filter.to.get_or_insert(now + Duration::seconds(1));
    filter.from.get_or_insert(to - Duration::days(30));
    let (env, origin) = (&state.envelope, ctx.origin());
    let pages = audit_export::export_csv(&state.db, env, who, &filter, &origin, now).await?;
    Ok(crate::http::browser::csv_download(pages))
}

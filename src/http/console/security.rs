//! The console's Security screen: the workspace's two-step verification rule (the admin
//! API's `GET`/`PUT /admin/v1/mfa-policy`).

use super::{ConsoleCaller, Frame, Page};
use crate::error::AppError;
use crate::http::browser::see_other;
use crate::http::csrf_form::CsrfForm;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::mfa::enforcement;
use crate::mfa::policy::{self, Policy};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "console/security.html")]
struct Security<'a> {
    frame: &'a Frame,
    title: &'a str,
    saved: bool,
    error: Option<&'a str>,
    required: bool,
    grace_days: i32,
    enforced_since: Option<String>,
}

fn page(status: StatusCode, policy: &Policy, saved: bool, error: Option<&str>) -> HttpResponse {
    let frame = Frame::new("Security", "Security");
    let since = policy.enforced_since.filter(|_| policy.required);
    let view = Security {
        frame: &frame,
        title: frame.title,
        saved,
        error,
        required: policy.required,
        grace_days: policy.grace_period_days,
        enforced_since: since.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
    };
    frame.answer(status, &view)
}

#[derive(Deserialize)]
pub struct Shown {
    saved: Option<String>,
}

pub async fn show(caller: ConsoleCaller, q: web::Query<Shown>, state: web::Data<AppState>) -> Page {
    let who = caller.may("users:read")?;
    let policy = policy::current(&state.db, who.tenant)
        .await
        .map_err(AppError::from)?;
    Ok(page(StatusCode::OK, &policy, q.saved.is_some(), None))
}

pub async fn save(
    caller: ConsoleCaller,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm<RuleForm>,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may("settings:write")?;
    let required = form.required.0;
    let grace = form.grace_period_days.trim();
    let grace = if grace.is_empty() { "0" } else { grace };
    let Ok(grace @ 0..=90) = grace.parse::<i32>() else {
        let current = policy::current(&state.db, who.tenant)
            .await
            .unwrap_or(Policy {
                required,
                grace_period_days: 0,
                enforced_since: None,
            });
        let why = "The grace period is a whole number of days from 0 to 90.";
        return Ok(page(StatusCode::BAD_REQUEST, &current, false, Some(why)));
    };
    let origin = ctx.origin();
    let audit = state.audit(&who.actor, &origin, chrono::Utc::now());
    enforcement::put_policy(&state.db, who.tenant, &audit, required, grace).await?;
    Ok(see_other("/console/security?saved=1"))
}

/// The MFA rule's form: required or not, and the grace period in days (typed as text, so
/// a wrong value gets the page's own message rather than a refused form).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RuleForm {
    required: super::form::Checkbox,
    grace_period_days: String,
}

//! The SSO connection screen's "Fetch the provider's metadata now" button: the scheduled
//! refresh of [`crate::sso::metadata_refresh`], run at once, its outcome shown on the page.

use super::sso::{one_page, site};
use super::{ConsoleCaller, Page};
use crate::http::csrf_form::CsrfForm;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::sso::metadata_refresh::{self, Refreshed};
use actix_web::web;
use chrono::Utc;
use uuid::Uuid;

pub async fn refresh(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    _form: CsrfForm,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may("sso:write")?;
    let (origin, now, place) = (ctx.origin(), Utc::now(), (who.tenant, *id));
    let site = site(&state);
    let ctx = state.audit(&who.actor, &origin, now);
    let done = metadata_refresh::refresh(&state.db, &ctx, &site, place);
    let (notice, error) = match done.await? {
        Refreshed::Unchanged => (Some("The provider's metadata has not changed."), None),
        Refreshed::RolledOver { .. } => (
            Some("The provider's new metadata was taken over; accounts stay linked."),
            None,
        ),
        Refreshed::Refused { reason } => (None, Some(format!("Not taken over: {reason}."))),
        Refreshed::Unreachable => (
            None,
            Some("The provider's metadata URL did not answer; nothing changed.".to_string()),
        ),
    };
    one_page(&state, who, *id, notice, error).await
}

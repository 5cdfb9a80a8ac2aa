//! The SSO connection screen's "Fetch the provider's metadata now" button: the scheduled
//! refresh of [`crate::sso::metadata_refresh`], run at once, its outcome shown on the page.

use super::sso::{one_page, site};
use super::ConsoleCaller;
use crate::http::csrf_form::CsrfForm;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::sso::metadata_refresh::{self, Refreshed};
use actix_web::{web, HttpResponse};
use chrono::Utc;
use uuid::Uuid;

pub async fn refresh(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    _form: CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    let who = allowed!(caller, "sso:write");
    let (origin, now, place) = (ctx.origin(), Utc::now(), (who.tenant, *id));
    let site = site(&state);
    let env = &state.envelope;
    let done = metadata_refresh::refresh(&state.db, env, &site, place, &who.actor, &origin, now);
    match done.await {
        Ok(Refreshed::Unchanged) => {
            let notice = Some("The provider's metadata has not changed.");
            one_page(&state, who, *id, notice, None).await
        }
        Ok(Refreshed::RolledOver { .. }) => {
            let notice = Some("The provider's new metadata was taken over; accounts stay linked.");
            one_page(&state, who, *id, notice, None).await
        }
        Ok(Refreshed::Refused { reason }) => {
            one_page(
                &state,
                who,
                *id,
                None,
                Some(format!("Not taken over: {reason}.")),
            )
            .await
        }
        Ok(Refreshed::Unreachable) => {
            let why = "The provider's metadata URL did not answer; nothing changed.".to_string();
            one_page(&state, who, *id, None, Some(why)).await
        }
        Err(e) => super::failed(e),
    }
}

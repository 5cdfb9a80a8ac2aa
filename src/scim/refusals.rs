//! Refused SCIM writes, audited so an IT admin sees them among the latest SCIM requests
//! (the console's Directory sync): which token, what it tried, and the SCIM status and
//! `scimType`. Only for an authenticated token (an unknown one names no workspace to tell),
//! and without the error's detail, which may quote the person's data.

use super::bearer_tokens::ScimClient;
use super::error::ScimError;
use crate::audit::{Action, Context};
use crate::db::Db;
use actix_web::ResponseError;
use serde_json::json;
use uuid::Uuid;

/// What was tried: the method, the resource type and its id (none for a create).
pub struct Attempt<'a> {
    pub method: &'a str,
    pub resource: &'a str,
    pub id: Option<Uuid>,
}

/// Records the refusal of `attempt` by `client`; the request's own answer does not wait on
/// it failing (a log line says so).
pub async fn record(
    db: &Db,
    ctx: &Context<'_>,
    client: &ScimClient,
    attempt: &Attempt<'_>,
    refused: &ScimError,
) {
    if matches!(
        refused,
        ScimError::Unavailable | ScimError::RateLimited { .. }
    ) {
        return;
    }
    let target = match attempt.id {
        Some(id) => format!("scim:{}/{id}", attempt.resource),
        None => format!("scim:{}", attempt.resource),
    };
    let details = json!({
        "method": attempt.method,
        "status": refused.status_code().as_u16(),
        "scim_type": refused.scim_type(),
    });
    let actor = client.actor();
    let recorded = async {
        let mut tx = db.tenant(client.tenant).await.ok()?;
        ctx.by(&actor)
            .record(&mut tx, Action::ScimRequestRefused, &target, details)
            .await
            .ok()?;
        tx.commit().await.ok()
    };
    if recorded.await.is_none() {
        tracing::warn!("a refused SCIM request could not be audited");
        crate::telemetry::lost::count(crate::telemetry::lost::AUDIT_ENTRY);
    }
}

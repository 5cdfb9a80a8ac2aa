//! Credentials die with their maker: when a person is cut off or a key is revoked, the API
//! keys and SCIM tokens they made are revoked too, down the chain of keys made by keys, in
//! the same transaction, with one audit entry naming all of them.

use crate::audit::{Action, AuditError, Context};
use crate::db::models::{api_keys, scim_tokens};
use crate::db::TenantTx;
use serde_json::json;

/// Revokes what `maker` (an actor such as `user:<id>` or `api_key:<id>`) made, and what
/// that made, for `reason`.
pub async fn revoke(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    maker: &str,
    reason: &str,
) -> Result<(), AuditError> {
    let mut makers = vec![maker.to_string()];
    let (mut keys, mut tokens) = (Vec::new(), Vec::new());
    while let Some(m) = makers.pop() {
        let revoked = api_keys::revoke_created_by(tx, &m, ctx.now).await?;
        tokens.extend(scim_tokens::revoke_created_by(tx, &m, ctx.now).await?);
        makers.extend(revoked.iter().map(|k| format!("api_key:{k}")));
        keys.extend(revoked);
    }
    if keys.is_empty() && tokens.is_empty() {
        return Ok(());
    }
    let details = json!({"api_keys": keys, "scim_tokens": tokens, "reason": reason});
    ctx.record(tx, Action::CredentialsRevokedWithMaker, maker, details)
        .await
}

//! Consent to a workspace's applications. The platform's own clients are first party and
//! a workspace may vouch for an application (`trusted`); any other application is shown to
//! the person, with what it asks for, the first time they sign in to it (and whenever it
//! asks for more, or sends `prompt=consent`). Consent is remembered per person and
//! application; withdrawing it ends the application's refresh tokens for that person.

use super::clients::Client;
use crate::audit::{Action, AuditError, Context, Origin};
use crate::auth::sessions::ActiveSession;
use crate::crypto::Envelope;
use crate::db::models::consents as model;
use crate::db::{Db, DbError, TenantTx};
use crate::ids::UserId;
use chrono::{DateTime, Utc};
use serde_json::json;

/// The scopes of a request, each once.
fn scopes_of(scope: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

/// Whether `user` must be asked before `client` gets a code for `scope`.
pub async fn needed(
    tx: &mut TenantTx,
    client: &Client,
    user: UserId,
    scope: &str,
    prompt: Option<&str>,
) -> Result<bool, DbError> {
    if !client.asks_consent() {
        return Ok(false);
    }
    if prompt.is_some_and(|p| p.split(' ').any(|p| p == "consent")) {
        return Ok(true);
    }
    Ok(match model::scopes(tx, user, &client.client_id).await? {
        None => true,
        Some(granted) => scopes_of(scope).iter().any(|s| !granted.contains(s)),
    })
}

fn person(me: &ActiveSession) -> String {
    format!("user:{}", me.user)
}

async fn record(
    tx: &mut TenantTx,
    envelope: &Envelope,
    (me, origin, now): (&ActiveSession, &Origin, DateTime<Utc>),
    action: Action,
    (client_id, details): (&str, serde_json::Value),
) -> Result<(), AuditError> {
    let actor = person(me);
    let ctx = Context {
        envelope,
        actor: &actor,
        origin,
        now,
    };
    let target = format!("client:{client_id}");
    ctx.record(tx, action, &target, details).await?;
    Ok(())
}

/// The person of `me` consents to `client` for `scope`; audited.
pub async fn grant(
    db: &Db,
    envelope: &Envelope,
    me: &ActiveSession,
    (client, scope): (&Client, &str),
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<(), AuditError> {
    let scopes = scopes_of(scope);
    let mut tx = db.tenant(me.tenant).await?;
    model::grant(&mut tx, me.user, &client.client_id, &scopes, now).await?;
    let details = json!({ "scopes": scopes });
    let who = (me, origin, now);
    let what = (client.client_id.as_str(), details);
    record(&mut tx, envelope, who, Action::ConsentGranted, what).await?;
    tx.commit().await?;
    Ok(())
}

/// An application the person consented to, as their account page lists it.
#[derive(Debug, Clone)]
pub struct Consented {
    pub client_id: String,
    pub client_name: String,
    pub scopes: Vec<String>,
    pub granted_at: DateTime<Utc>,
}

/// The applications the person has consented to.
pub async fn list(db: &Db, me: &ActiveSession) -> Result<Vec<Consented>, DbError> {
    let mut tx = db.tenant_read(me.tenant).await?;
    let all = model::list(&mut tx, me.user).await?;
    tx.commit().await?;
    let shown = all.into_iter().map(|r| Consented {
        client_id: r.client_id,
        client_name: r.client_name,
        scopes: r.scopes,
        granted_at: r.granted_at,
    });
    Ok(shown.collect())
}

/// Withdraws the consent and ends the application's refresh tokens for the person;
/// `false` when there was no such consent. Audited.
pub async fn revoke(
    db: &Db,
    envelope: &Envelope,
    me: &ActiveSession,
    client_id: &str,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<bool, AuditError> {
    let mut tx = db.tenant(me.tenant).await?;
    if !model::delete(&mut tx, me.user, client_id).await? {
        return Ok(false);
    }
    let ended =
        crate::db::models::refresh::revoke_for_user_and_client(&mut tx, me.user, client_id, now)
            .await?;
    let details = json!({ "refresh_tokens_revoked": ended });
    let who = (me, origin, now);
    record(
        &mut tx,
        envelope,
        who,
        Action::ConsentRevoked,
        (client_id, details),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::scopes_of;

    #[test]
    fn scopes_are_split_once_each() {
        assert_eq!(scopes_of("openid  email openid"), ["openid", "email"]);
        assert!(scopes_of("").is_empty());
    }
}

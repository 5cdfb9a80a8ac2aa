//! The admin console's own client: a platform client the service registers for itself on
//! first use. The console signs people in through the ordinary authorization code flow
//! (PKCE, the sign-in pages, MFA rules) and redeems the code in-process, so its secret is
//! never known to anyone; its tokens are the person's own admin-audience tokens.

use super::clients::{self, Client, ClientError, ClientSpec};
use crate::config::Settings;
use crate::crypto::Envelope;
use crate::db::{Db, DbError};
use chrono::{DateTime, Utc};

pub const CONSOLE_CLIENT_ID: &str = "identity-console";
/// Console tokens are short; an expired one is renewed silently from the sign-in session.
pub const CONSOLE_TOKEN_TTL_SECS: i64 = 900;

pub fn redirect_uri(settings: &Settings) -> String {
    format!("{}/console/callback", public(settings))
}

pub fn signed_out_uri(settings: &Settings) -> String {
    format!("{}/console/signed-out", public(settings))
}

fn public(settings: &Settings) -> &str {
    settings.server.public_url.trim_end_matches('/')
}

/// The console client, registered (or registered again after the public URL changed).
pub async fn ensure(
    db: &Db,
    envelope: &Envelope,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Client, ClientError> {
    let redirect = redirect_uri(settings);
    if let Some(found) = clients::get(db, CONSOLE_CLIENT_ID).await? {
        if found.redirect_uris == [redirect.clone()] {
            return Ok(found);
        }
        clients::delete(db, envelope, CONSOLE_CLIENT_ID, "system", now).await?;
    }
    let spec = ClientSpec {
        name: "Admin console".into(),
        client_id: Some(CONSOLE_CLIENT_ID.into()),
        grant_types: vec!["authorization_code".into()],
        redirect_uris: vec![redirect],
        post_logout_redirect_uris: vec![signed_out_uri(settings)],
        audiences: vec![settings.tokens.admin_audience.clone()],
        access_token_ttl_secs: Some(CONSOLE_TOKEN_TTL_SECS),
        ..Default::default()
    };
    let max = settings.tokens.max_token_ttl_secs;
    match clients::create(db, envelope, spec, max, "system", now).await {
        Ok((client, _secret)) => Ok(client),
        // Another instance registered it at the same moment.
        Err(ClientError::Db(DbError::Conflict(_))) => clients::get(db, CONSOLE_CLIENT_ID)
            .await?
            .ok_or(ClientError::NotFound),
        Err(e) => Err(e),
    }
}

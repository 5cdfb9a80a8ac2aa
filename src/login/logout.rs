//! RP-initiated logout, decided: where to return (only a `post_logout_redirect_uri`
//! registered for the client named by `client_id` or the `id_token_hint`, and only when an
//! `id_token_hint` of that client came with it or a session of that client was ended here:
//! otherwise the signed-out page stays on this service, so the identity domain is no open
//! redirect for any registered address), and whether the
//! browser's session may end (only when the request proves its owner or their application
//! asked: a hint for this very session, or the confirmation form posted back). A store that
//! does not answer is an outage, never "not registered" or "not signed in".

use super::first_step::{LoginError, Ports};
use crate::audit::Origin;
use crate::auth::sessions::{self, ActiveSession};
use crate::db::models::codes;
use crate::db::DbError;
use crate::jwt::keyset::KeySet;
use crate::jwt::validate::{self, IdTokenHint};
use crate::oidc::clients;
use chrono::{DateTime, Utc};

/// The request as parsed.
pub struct Logout<'a> {
    pub id_token_hint: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub post_logout_redirect_uri: Option<&'a str>,
    /// The browser's session cookie.
    pub session_cookie: Option<&'a str>,
    /// Our confirmation form came back with a valid CSRF token.
    pub confirmed: bool,
}

pub enum LogoutOutcome {
    /// Signed out (or nobody was): the cookie goes; back to `return_to` when given.
    SignedOut { return_to: Option<String> },
    /// A signed-in browser without proof of who asked: "Sign out?" first.
    Confirm,
}

/// Where to go afterwards, decided before anything ends.
async fn return_to(
    ports: &Ports<'_>,
    req: &Logout<'_>,
    hint: Option<&IdTokenHint>,
) -> Result<Option<String>, LoginError> {
    let Some(uri) = req.post_logout_redirect_uri else {
        return Ok(None);
    };
    let client_id = req.client_id.or(hint.map(|h| h.aud.as_str()));
    let client = match client_id {
        Some(id) => match clients::get(ports.db, id).await {
            Ok(found) => found,
            Err(clients::ClientError::Db(e)) => return Err(e.into()),
            Err(e) => return Err(LoginError::Unavailable(e.to_string())),
        },
        None => None,
    };
    let unknown = "The application that sent you here is not registered.";
    if hint.is_some_and(|h| client_id != Some(h.aud.as_str())) {
        return Err(LoginError::Refused(unknown));
    }
    let client = client.ok_or(LoginError::Refused(unknown))?;
    if !client.post_logout_redirect_uris.iter().any(|r| r == uri) {
        let msg = "The return address is not registered for this application.";
        return Err(LoginError::Refused(msg));
    }
    Ok(Some(uri.to_string()))
}

/// Asked for by the session's owner: a hint naming this session (or, for hints without
/// `sid`, its person), or our confirmation form posted back.
fn asked_by_owner(hint: Option<&IdTokenHint>, confirmed: bool, session: &ActiveSession) -> bool {
    let hinted = hint.is_some_and(|h| match &h.sid {
        Some(sid) => *sid == session.id.to_string(),
        None => h.sub == format!("user:{}", session.user),
    });
    hinted || confirmed
}

pub async fn logout(
    ports: &Ports<'_>,
    (keys, issuer): (&KeySet, &str),
    req: &Logout<'_>,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<LogoutOutcome, LoginError> {
    let hint = match req.id_token_hint {
        Some(t) => Some(validate::id_token_hint(keys, t, issuer, now).map_err(|_| {
            LoginError::Refused("The sign-out request carries an invalid ID token.")
        })?),
        None => None,
    };
    let return_to = return_to(ports, req, hint.as_ref()).await?;
    let session = match req.session_cookie {
        Some(c) => match sessions::resolve(ports.db, ports.sessions, c, now).await {
            Ok(found) => found,
            // A suspended workspace's session signs nobody in: nothing to end.
            Err(DbError::TenantNotActive) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let mut ended_for_client = false;
    if let Some(session) = session {
        if !asked_by_owner(hint.as_ref(), req.confirmed, &session) {
            return Ok(LogoutOutcome::Confirm);
        }
        if let (Some(client), None) = (req.client_id, hint.as_ref()) {
            let mut tx = ports.db.tenant_read(session.tenant).await?;
            ended_for_client = codes::issued_to(&mut tx, session.id, client).await?;
            tx.commit().await?;
        }
        sessions::sign_out(ports.db, ports.envelope, &session, origin, now)
            .await
            .map_err(|e| LoginError::Unavailable(e.to_string()))?;
    }
    // The hint was checked to be the client's own (`return_to`).
    let return_to = return_to.filter(|_| hint.is_some() || ended_for_client);
    Ok(LogoutOutcome::SignedOut { return_to })
}

//! The end of every sign-in route: a one-time authorization code for the session, bound to
//! the client, its redirect URI and PKCE challenge.

use super::first_step::{LoginError, Ports};
use crate::auth::sessions::ActiveSession;
use crate::oidc::authorize::AuthRequest;
use crate::oidc::codes::{self, CodeGrant};
use chrono::{DateTime, Utc};

pub async fn issue(
    ports: &Ports<'_>,
    req: &AuthRequest,
    session: &ActiveSession,
    now: DateTime<Utc>,
) -> Result<String, LoginError> {
    let mut tx = ports.db.tenant(session.tenant).await?;
    let grant = CodeGrant {
        client_id: &req.client.client_id,
        redirect_uri: &req.redirect_uri,
        user: session.user,
        session: session.id,
        code_challenge: &req.code_challenge,
        scope: &req.scope,
        nonce: req.nonce.as_deref(),
        auth_time: session.auth_time,
        amr: &session.amr,
    };
    let code = codes::issue(&mut tx, &grant, now).await?;
    tx.commit().await?;
    Ok(code)
}

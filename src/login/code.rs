//! The end of every sign-in route: a one-time authorization code for the session, bound to
//! the client, its redirect URI and PKCE challenge; or, for a workspace application the
//! person has not consented to, the question first (`consent_required` under
//! `prompt=none`, which may show nothing).

use super::first_step::{LoginError, Ports};
use crate::auth::sessions::ActiveSession;
use crate::oidc::authorize::{AuthRequest, AuthorizeError};
use crate::oidc::codes::{self, CodeGrant};
use crate::oidc::consent;
use chrono::{DateTime, Utc};

/// What the end of a sign-in gives.
pub enum Issued {
    /// The code for the client.
    Code(String),
    /// The person is asked whether the application may sign them in.
    AskConsent,
}

pub async fn issue(
    ports: &Ports<'_>,
    req: &AuthRequest,
    session: &ActiveSession,
    now: DateTime<Utc>,
) -> Result<Issued, LoginError> {
    let mut tx = ports.db.tenant(session.tenant).await?;
    let prompt = req.prompt.as_deref();
    if consent::needed(&mut tx, &req.client, session.user, &req.scope, prompt).await? {
        tx.commit().await?;
        if prompt == Some("none") {
            return Err(LoginError::Authorize(AuthorizeError::Redirect {
                redirect_uri: req.redirect_uri.clone(),
                state: req.state.clone(),
                error: "consent_required",
                description: "the person has not consented to this application",
            }));
        }
        return Ok(Issued::AskConsent);
    }
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
    Ok(Issued::Code(code))
}

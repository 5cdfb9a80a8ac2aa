//! The end of a sign-in step, finished here so that `http/` only renders: a one-time
//! authorization code for the session (bound to the client, its redirect URI and PKCE
//! challenge) and the redirect to the client built; or, for a workspace application the
//! person has not consented to, the question first (`consent_required` under
//! `prompt=none`); or the second step's page. A new session travels with the answer so its
//! cookie is set whatever comes next.

use super::first_step::{Factors, LoginError, Outcome, Ports};
use crate::auth::sessions::ActiveSession;
use crate::auth::signin::SignedIn;
use crate::mfa::factors::Enrolment;
use crate::oidc::authorize::{self, AuthRequest, AuthorizeError};
use crate::oidc::codes::{self, CodeGrant};
use crate::oidc::consent;
use chrono::{DateTime, Utc};

/// What the browser is answered with.
pub enum Answer {
    /// Back to the client at `to` (the code, `state` and `iss` in it).
    Redirect {
        to: String,
        new_session: Option<SignedIn>,
    },
    /// "Allow this application?" first (a workspace application without consent).
    AskConsent { new_session: Option<SignedIn> },
    /// A pending sign-in bound to this cookie: the second factor's page.
    AskSecondFactor {
        pending_cookie: String,
        factors: Factors,
    },
    /// A pending sign-in bound to this cookie: set up an authenticator (or skip until).
    Enrol {
        pending_cookie: String,
        enrolment: Enrolment,
        skip_until: Option<DateTime<Utc>>,
    },
}

/// The session a finished sign-in started.
pub fn active(done: &SignedIn) -> ActiveSession {
    ActiveSession {
        tenant: done.tenant,
        id: done.session.id,
        user: done.user,
        amr: done.session.amr.clone(),
        auth_time: done.session.auth_time,
    }
}

/// Finishes `outcome` for the authorization request `auth`.
pub async fn finish(
    ports: &Ports<'_>,
    auth: &AuthRequest,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> Result<Answer, LoginError> {
    match outcome {
        Outcome::Code(session) => code_for(ports, auth, &session, None, now).await,
        Outcome::SignedIn(done) => {
            let session = active(&done);
            code_for(ports, auth, &session, Some(done), now).await
        }
        Outcome::AskSecondFactor {
            pending_cookie,
            factors,
        } => Ok(Answer::AskSecondFactor {
            pending_cookie,
            factors,
        }),
        Outcome::Enrol {
            pending_cookie,
            enrolment,
            skip_until,
        } => Ok(Answer::Enrol {
            pending_cookie,
            enrolment,
            skip_until,
        }),
    }
}

async fn code_for(
    ports: &Ports<'_>,
    auth: &AuthRequest,
    session: &ActiveSession,
    new_session: Option<SignedIn>,
    now: DateTime<Utc>,
) -> Result<Answer, LoginError> {
    let code = match issue(ports, auth, session, now).await? {
        Issued::Code(code) => code,
        Issued::AskConsent => return Ok(Answer::AskConsent { new_session }),
    };
    let mut pairs = vec![("code", code.as_str())];
    if let Some(s) = auth.state.as_deref() {
        pairs.push(("state", s));
    }
    pairs.push(("iss", ports.issuer));
    let to = authorize::redirect_with(&auth.redirect_uri, &pairs);
    Ok(Answer::Redirect { to, new_session })
}

/// What the end of a sign-in gives.
pub enum Issued {
    /// The code for the client.
    Code(String),
    /// The person is asked whether the application may sign them in.
    AskConsent,
}

/// The code for `session`, or the consent question first.
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

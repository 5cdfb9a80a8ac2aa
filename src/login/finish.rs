//! The end of a sign-in step, finished here so that `http/` only renders: the code issued
//! and the redirect to the client built, or the consent question, or the second step's
//! page; a new session travels with the answer so its cookie is set whatever comes next.

use super::code::{self, Issued};
use super::first_step::{Factors, LoginError, Outcome, Ports};
use crate::auth::sessions::ActiveSession;
use crate::auth::signin::SignedIn;
use crate::mfa::factors::Enrolment;
use crate::oidc::authorize::{self, AuthRequest};
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
    let code = match code::issue(ports, auth, session, now).await? {
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

//! The step after a first factor, carried out: [`super::next`] decides; this opens the
//! workspace's transaction, starts the session or the pending sign-in (and, for enrolment,
//! a new authenticator secret), commits, and answers an [`Outcome`] for `http/` to render.
//! Nothing that grants access exists unless the outcome says so.

use super::next::{next, Facts, Next};
use crate::audit::Origin;
use crate::auth::sessions::ActiveSession;
use crate::auth::signin::{self, SignedIn};
use crate::config::SessionSettings;
use crate::crypto::Envelope;
use crate::db::models::{tenants, users::User};
use crate::db::{Db, DbError};
use crate::ids::TenantId;
use crate::mfa::enforcement;
use crate::mfa::factors::{self, Enrolment, MfaError};
use crate::mfa::pending::{self, Purpose};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The first step's result and what the request asks.
pub struct FirstStep<'a> {
    pub tenant: TenantId,
    pub user: &'a User,
    /// The browser's session, when it is already signed in.
    pub existing: Option<&'a ActiveSession>,
    /// How the first step authenticated (`pwd`; `fed`, with `mfa` when it counts).
    pub primary: &'a [String],
    pub wants_mfa: bool,
    /// The authorization request, carried through a second factor or enrolment.
    pub carried: &'a HashMap<String, String>,
}

/// What the browser gets.
/// Which second factors a person can pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Factors {
    pub code: bool,
    pub passkey: bool,
}

pub enum Outcome {
    /// Its existing session meets the request: a code for it.
    Code(ActiveSession),
    /// A new session (replacing the browser's old one, if any): set it, then a code.
    SignedIn(SignedIn),
    /// A pending sign-in bound to this cookie: ask for the second factor (the code field
    /// when an authenticator app is set up, the passkey button when passkeys are).
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

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The database (or another store) did not answer: a 503 page, never anything else.
    #[error("sign-in is unavailable: {0}")]
    Unavailable(String),
    /// Too many sign-in attempts (the IP's or the account's budget).
    #[error("too many attempts")]
    Limited { retry_after_secs: u64 },
    /// The request cannot be honoured, for the reason given (fixed text, shown as is).
    #[error("refused: {0}")]
    Refused(&'static str),
    /// The password or code of a re-authentication is wrong.
    #[error("the password or code is not correct")]
    Invalid,
    /// The workspace is suspended or cancelled.
    #[error("the workspace is suspended")]
    Suspended,
    /// The person signed in belongs to another workspace than the application.
    #[error("the application belongs to another workspace")]
    OtherWorkspace,
    /// The pending sign-in (or passkey ceremony) is unknown, used or expired.
    #[error("the sign-in expired or was already finished")]
    Expired,
    /// The authorization request is no longer valid (checked again at the end).
    #[error("the authorization request is no longer valid")]
    Authorize(crate::oidc::authorize::AuthorizeError),
    /// Enrolment may not be skipped (no grace period, or the client asked for a factor).
    #[error("a second factor is required now")]
    SecondFactorRequired,
    #[error(transparent)]
    Mfa(MfaError),
    #[error(transparent)]
    Passkey(crate::passkeys::PasskeyError),
    /// The hand-off to the identity provider could not start.
    #[error(transparent)]
    Sso(crate::sso::SsoError),
}

impl From<DbError> for LoginError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::TenantNotActive => LoginError::Suspended,
            e => LoginError::Unavailable(e.to_string()),
        }
    }
}

impl From<crate::passkeys::PasskeyError> for LoginError {
    fn from(e: crate::passkeys::PasskeyError) -> Self {
        match e {
            crate::passkeys::PasskeyError::Unavailable(e) => LoginError::Unavailable(e),
            e => LoginError::Passkey(e),
        }
    }
}

/// What the service needs to carry out a step.
pub struct Ports<'a> {
    pub db: &'a Db,
    pub envelope: &'a Envelope,
    pub sessions: &'a SessionSettings,
    /// The passkey verifier; `None` when the public URL has no domain name.
    pub webauthn: Option<&'a webauthn_rs::Webauthn>,
    pub limiter: &'a crate::ratelimit::Limiter,
    pub passwords: &'a crate::auth::password::PasswordHasher,
    pub limits: &'a crate::config::RateLimitSettings,
    /// The issuer named in the redirect back to the client (RFC 9207 `iss`).
    pub issuer: &'a str,
    /// How identity providers are reached, and this service's public URL (hand-offs).
    pub idp_net: &'a crate::sso::outbound::Outbound,
    pub public_url: &'a str,
}

pub async fn after_first_step(
    ports: &Ports<'_>,
    step: &FirstStep<'_>,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Outcome, LoginError> {
    let user = step.user;
    let mut tx = ports.db.tenant(step.tenant).await?;
    let status = factors::status(&mut tx, user.id).await?;
    let rule = enforcement::load(&mut tx).await?;
    let existing_amr = step.existing.map(|s| s.amr.as_slice());
    let decided = next(&Facts {
        rule: &rule,
        exempt: user.mfa_exempt,
        enrolled: status.has_second_factor(),
        wants_mfa: step.wants_mfa,
        primary: step.primary,
        existing: existing_amr,
        now,
    });
    let replaces = step.existing.map(|s| s.id);
    let purpose = match decided {
        Next::Code => {
            let session = step.existing.cloned().ok_or_else(|| {
                LoginError::Unavailable("the rule kept a session the browser does not have".into())
            })?;
            return Ok(Outcome::Code(session));
        }
        Next::Session => {
            let done = signin::start_session(
                &mut tx,
                ports.envelope,
                ports.sessions,
                user.id,
                step.primary,
                replaces,
                origin,
                now,
            )
            .await?;
            tx.commit().await?;
            return Ok(Outcome::SignedIn(done));
        }
        Next::SecondFactor => Purpose::Verify,
        Next::Enrol { .. } => Purpose::Enrol,
    };
    let pending_cookie = pending::start(
        &mut tx,
        user.id,
        purpose,
        step.carried,
        replaces,
        step.primary,
        now,
    )
    .await?;
    let outcome = match decided {
        Next::Enrol { skip_until } => {
            // The authenticator app shows the workspace's name as the issuer (read in this
            // transaction: a second pooled connection per sign-in would halve the pool).
            let issuer = tenants::own_display_name(&mut tx).await?;
            let enrolment = factors::begin_enrolment(
                &mut tx,
                ports.envelope,
                user.id,
                &issuer,
                &user.email,
                now,
            )
            .await
            .map_err(LoginError::Mfa)?;
            Outcome::Enrol {
                pending_cookie,
                enrolment,
                skip_until,
            }
        }
        _ => Outcome::AskSecondFactor {
            pending_cookie,
            factors: Factors {
                code: status.enrolled,
                passkey: status.passkeys > 0,
            },
        },
    };
    tx.commit().await?;
    Ok(outcome)
}

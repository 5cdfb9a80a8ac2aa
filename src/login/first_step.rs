//! The step after a first factor. [`next`] is its rule, a pure function: the workspace's
//! MFA rule (with its grace period and break-glass exemptions), the client's step-up
//! (`acr_values` asking for a second factor) and a browser's existing session decide
//! whether the person gets a code at once, a new session, a second-factor prompt, or
//! enrolment. [`after_first_step`] carries it out: it opens the workspace's transaction,
//! starts the session or the pending sign-in (and, for enrolment, a new authenticator
//! secret), commits, and answers an [`Outcome`]. Nothing that grants access exists unless
//! the outcome says so.

use crate::audit::Origin;
use crate::auth::sessions::ActiveSession;
use crate::auth::signin::{self, NewSession, SignedIn};
use crate::config::SessionSettings;
use crate::crypto::Envelope;
use crate::db::models::{tenants, users::User};
use crate::db::{Db, DbError};
use crate::ids::TenantId;
use crate::mfa::factors::{self, Enrolment, MfaError};
use crate::mfa::pending::{self, Purpose};
use crate::mfa::policy::{self, Policy, Step};
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

/// What the decision rests on.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub rule: &'a Policy,
    /// Break-glass: the rule does not apply to this person.
    pub exempt: bool,
    /// The person has a confirmed second factor.
    pub enrolled: bool,
    /// The request asks for a second factor (`acr_values`).
    pub wants_mfa: bool,
    /// How the first step authenticated: `pwd`, or `fed` (with `mfa` when the IdP's second
    /// factor counts).
    pub primary: &'a [String],
    /// The methods of the browser's existing session, if it has one.
    pub existing: Option<&'a [String]>,
    pub now: DateTime<Utc>,
}

/// What comes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The existing session meets the request and the rule: a code for it.
    Code,
    /// A new session from the first step alone, then a code.
    Session,
    /// The person's second factor must be passed first.
    SecondFactor,
    /// A second factor must be set up first; it may be skipped until `skip_until`.
    Enrol { skip_until: Option<DateTime<Utc>> },
}

pub fn next(f: &Facts<'_>) -> Next {
    if let Some(amr) = f.existing {
        let step_up = f.wants_mfa && !policy::passed_mfa(amr);
        if !step_up && !policy::blocks_tokens(f.rule, f.exempt, amr, f.now) {
            return Next::Code;
        }
    }
    // An identity provider's trusted second factor counts for a fresh sign-in.
    let mut step = if f.existing.is_none() && policy::passed_mfa(f.primary) {
        Step::None
    } else {
        policy::step_for(f.rule, f.exempt, f.enrolled, f.now)
    };
    // Step-up: a request for a second factor is never skipped, whatever the rule says.
    step = policy::with_step_up(step, f.wants_mfa, policy::passed_mfa(f.primary));
    match step {
        Step::None => Next::Session,
        Step::Verify => Next::SecondFactor,
        Step::Enrol => Next::Enrol { skip_until: None },
        Step::EnrolOrSkip { deadline } => Next::Enrol {
            skip_until: Some(deadline),
        },
    }
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

impl Ports<'_> {
    /// The audit circumstances of a step taken by a browser not yet signed in (the
    /// person, once known, is named by the step that knows them).
    pub fn audit<'b>(
        &'b self,
        origin: &'b Origin,
        now: DateTime<Utc>,
    ) -> crate::audit::Context<'b> {
        crate::audit::Context {
            envelope: self.envelope,
            actor: "anonymous",
            origin,
            now,
        }
    }
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
    let rule = policy::load(&mut tx).await?;
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
            let new = NewSession {
                user: user.id,
                amr: step.primary,
                replaces,
            };
            let ctx = ports.audit(origin, now);
            let done = signin::start_session(&mut tx, ports.sessions, &ctx, &new).await?;
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

#[cfg(test)]
mod tests;

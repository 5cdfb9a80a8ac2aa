//! The second step of sign-in, carried out: a code (TOTP or recovery code), a passkey, the
//! first code of a new authenticator, or skipping enrolment while the workspace's grace
//! period lasts. Each entry point finds the pending sign-in behind the browser's cookie,
//! checks the step, and in one transaction uses the pending sign-in up and starts the
//! session. Until then nothing that grants access exists.

use super::finish::Answer;
use super::first_step::{Factors, LoginError, Outcome, Ports};
use crate::audit::Origin;
use crate::auth::signin::{self, NewSession, SignedIn};
use crate::db::models::{tenants, users};
use crate::db::TenantTx;
use crate::mfa::factors::{self, Enrolment, MfaError, Passed};
use crate::mfa::pending::{self, Pending, Purpose};
use crate::mfa::policy::{self, Step};
use crate::oidc::authorize::{self, AuthRequest};
use crate::passkeys::PasskeyError;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// A finished sign-in: the authorization request to answer and the new session.
pub struct Finished {
    pub auth: AuthRequest,
    pub signed_in: SignedIn,
    /// `/oauth2/authorize` again with the same request (without `prompt`), for a page that
    /// continues by a link.
    pub resume: String,
}

pub enum CodeOutcome {
    /// Signed in with an authenticator code: the answer, finished (the code issued).
    SignedIn(Box<Done>),
    /// Signed in with a recovery code: the session, and how many codes remain (the page
    /// says so and continues by the link to `resume`).
    RecoveryCodeUsed { finished: Box<Finished>, left: i64 },
    /// The code is wrong: the step again (the failure is audited); its form answers to
    /// the client at `redirect_uri`.
    WrongCode {
        factors: Factors,
        redirect_uri: String,
    },
}

pub enum EnrolOutcome {
    /// The authenticator is on: the recovery codes to show once.
    SignedIn {
        finished: Box<Finished>,
        recovery_codes: Vec<String>,
    },
    /// The first code is wrong: the enrolment again.
    WrongCode {
        enrolment: Enrolment,
        skip_until: Option<DateTime<Utc>>,
        redirect_uri: String,
    },
}

/// The live pending sign-in behind `cookie` for `purpose`.
pub async fn pending(
    ports: &Ports<'_>,
    cookie: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<Pending, LoginError> {
    pending::find(ports.db, cookie, now)
        .await?
        .filter(|p| p.purpose == purpose)
        .ok_or(LoginError::Expired)
}

/// `/oauth2/authorize` again with the same request, to pick up the new session; without
/// `prompt`, so `prompt=login` does not ask for the password a second time.
fn resume_url(request: &HashMap<String, String>) -> String {
    let pairs: Vec<(&String, &String)> = request.iter().filter(|(k, _)| *k != "prompt").collect();
    format!(
        "/oauth2/authorize?{}",
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    )
}

/// Where the pending sign-in's client wants its answer.
fn redirect_uri(found: &Pending) -> String {
    found
        .request
        .get("redirect_uri")
        .cloned()
        .unwrap_or_default()
}

/// The first step's methods plus `more`, each once.
fn with(found: &Pending, more: &[String]) -> Vec<String> {
    let mut amr = found.primary_amr.clone();
    for m in more {
        if !amr.contains(m) {
            amr.push(m.clone());
        }
    }
    amr
}

/// The pending sign-in's authorization request, checked again (before any transaction is
/// opened: the check may read the database, and a step holds one connection at a time).
async fn request_of(ports: &Ports<'_>, found: &Pending) -> Result<AuthRequest, LoginError> {
    authorize::validate(ports.db, &found.request)
        .await
        .map_err(LoginError::Authorize)
}

/// Uses up the pending sign-in and starts the session, in `tx`.
async fn finish(
    ports: &Ports<'_>,
    tx: &mut TenantTx,
    (found, cookie, auth): (&Pending, &str, AuthRequest),
    amr: &[String],
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Finished, LoginError> {
    if !pending::finish(tx, cookie, now).await? {
        return Err(LoginError::Expired);
    }
    let (user, replaces) = (found.user, found.replaces_session);
    let new = NewSession {
        user,
        amr,
        replaces,
    };
    let signed_in =
        signin::start_session(tx, ports.sessions, &ports.audit(origin, now), &new).await?;
    let resume = resume_url(&found.request);
    Ok(Finished {
        auth,
        signed_in,
        resume,
    })
}

/// Counts one try at this step against the person's own budget.
async fn charge(ports: &Ports<'_>, found: &Pending) -> Result<(), LoginError> {
    factors::charge_attempt(ports.limiter, ports.limits, found.tenant, found.user)
        .await
        .map_err(LoginError::Mfa)
}

/// A TOTP or recovery code for the pending sign-in.
pub async fn verify_code(
    ports: &Ports<'_>,
    cookie: &str,
    code: &str,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<CodeOutcome, LoginError> {
    let found = pending(ports, cookie, Purpose::Verify, now).await?;
    let auth = request_of(ports, &found).await?;
    charge(ports, &found).await?;
    let mut tx = ports.db.tenant(found.tenant).await?;
    let passed = match factors::verify(&mut tx, ports.envelope, found.user, code, origin, now).await
    {
        Ok(passed) => passed,
        Err(MfaError::WrongCode) => {
            let status = factors::status(&mut tx, found.user).await?;
            signin::record_failure(&mut tx, &ports.audit(origin, now), found.user, "otp")
                .await
                .map_err(|e| LoginError::Unavailable(e.to_string()))?;
            tx.commit().await?;
            let factors = Factors {
                code: true,
                passkey: status.passkeys > 0,
            };
            let redirect_uri = redirect_uri(&found);
            return Ok(CodeOutcome::WrongCode {
                factors,
                redirect_uri,
            });
        }
        Err(e) => return Err(LoginError::Mfa(e)),
    };
    let amr = with(&found, &["otp".to_string()]);
    let finished = finish(ports, &mut tx, (&found, cookie, auth), &amr, origin, now).await?;
    tx.commit().await?;
    Ok(match passed {
        Passed::RecoveryCode { left } => CodeOutcome::RecoveryCodeUsed {
            finished: Box::new(finished),
            left,
        },
        Passed::Totp => CodeOutcome::SignedIn(Box::new(answered(ports, finished, now).await?)),
    })
}

/// A sign-in finished by the second step, answered: the authorization request and the
/// code issued for it (or the consent question).
pub struct Done {
    pub auth: AuthRequest,
    pub answer: Answer,
}

async fn answered(
    ports: &Ports<'_>,
    finished: Finished,
    now: DateTime<Utc>,
) -> Result<Done, LoginError> {
    let Finished {
        auth, signed_in, ..
    } = finished;
    let answer = super::finish::finish(ports, &auth, Outcome::SignedIn(signed_in), now).await?;
    Ok(Done { auth, answer })
}

/// A passkey as the pending sign-in's second factor.
pub async fn verify_passkey(
    ports: &Ports<'_>,
    (cookie, ceremony): (&str, &str),
    answer: &str,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Done, LoginError> {
    let found = pending(ports, cookie, Purpose::Verify, now).await?;
    let auth = request_of(ports, &found).await?;
    charge(ports, &found).await?;
    let who = (found.tenant, found.user);
    let cookies = (cookie, ceremony);
    let verified =
        match super::passkey::second_factor(ports, who, cookies, answer, origin, now).await {
            Ok(v) => v,
            // A refused passkey is a failed second step, audited like a wrong code.
            Err(e @ LoginError::Passkey(PasskeyError::Refused(_) | PasskeyError::Unknown)) => {
                let mut tx = ports.db.tenant(found.tenant).await?;
                let ctx = ports.audit(origin, now);
                signin::record_failure(&mut tx, &ctx, found.user, "passkey")
                    .await
                    .map_err(|e| LoginError::Unavailable(e.to_string()))?;
                tx.commit().await?;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
    let amr = with(&found, &verified.methods);
    let mut tx = ports.db.tenant(found.tenant).await?;
    let finished = finish(ports, &mut tx, (&found, cookie, auth), &amr, origin, now).await?;
    tx.commit().await?;
    answered(ports, finished, now).await
}

/// The first code of the authenticator being set up. Not charged to the step's budget:
/// confirming a seed the person is looking at proves nothing to a guesser, and typos here
/// should not lock the real sign-in step.
pub async fn confirm_enrolment(
    ports: &Ports<'_>,
    cookie: &str,
    code: &str,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<EnrolOutcome, LoginError> {
    let found = pending(ports, cookie, Purpose::Enrol, now).await?;
    let auth = request_of(ports, &found).await?;
    let mut tx = ports.db.tenant(found.tenant).await?;
    let user = found.user;
    let confirmed =
        factors::confirm_enrolment(&mut tx, ports.envelope, user, code, origin, now).await;
    let recovery_codes = match confirmed {
        Ok(codes) => codes,
        Err(MfaError::WrongCode) => {
            let account = users::get(&mut tx, user).await?;
            let issuer = tenants::own_display_name(&mut tx).await?;
            let enrolment =
                factors::pending_enrolment(&mut tx, ports.envelope, user, &issuer, &account.email)
                    .await
                    .map_err(LoginError::Mfa)?;
            let skip_until = skip_until(&mut tx, (&found, &auth), account.mfa_exempt, now).await?;
            tx.commit().await?;
            return Ok(EnrolOutcome::WrongCode {
                enrolment,
                skip_until,
                redirect_uri: redirect_uri(&found),
            });
        }
        Err(e) => return Err(LoginError::Mfa(e)),
    };
    let amr = with(&found, &["otp".to_string()]);
    let finished = finish(ports, &mut tx, (&found, cookie, auth), &amr, origin, now).await?;
    tx.commit().await?;
    Ok(EnrolOutcome::SignedIn {
        finished: Box::new(finished),
        recovery_codes,
    })
}

/// The end of the grace period while this pending enrolment may still be skipped: never
/// when the client asked for a second factor (step-up, [`policy::with_step_up`]).
async fn skip_until(
    tx: &mut TenantTx,
    (found, auth): (&Pending, &AuthRequest),
    exempt: bool,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, LoginError> {
    let rule = policy::load(tx).await?;
    let step = policy::step_for(&rule, exempt, false, now);
    let passed = policy::passed_mfa(&found.primary_amr);
    Ok(match policy::with_step_up(step, auth.wants_mfa, passed) {
        Step::EnrolOrSkip { deadline } => Some(deadline),
        _ => None,
    })
}

/// Not now: the session starts without a second factor, while the grace period lasts.
pub async fn skip(
    ports: &Ports<'_>,
    cookie: &str,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Done, LoginError> {
    let found = pending(ports, cookie, Purpose::Enrol, now).await?;
    let auth = request_of(ports, &found).await?;
    let mut tx = ports.db.tenant(found.tenant).await?;
    let user = users::get(&mut tx, found.user).await?;
    if skip_until(&mut tx, (&found, &auth), user.mfa_exempt, now)
        .await?
        .is_none()
    {
        return Err(LoginError::SecondFactorRequired);
    }
    let amr = found.primary_amr.clone();
    let finished = finish(ports, &mut tx, (&found, cookie, auth), &amr, origin, now).await?;
    tx.commit().await?;
    answered(ports, finished, now).await
}

//! A person's own factors: enrol (seed stored encrypted, confirmed by a first code), verify
//! a TOTP or recovery code (each accepted once), remove, and new recovery codes. Every
//! change is audited; the MFA step has its own fail-closed try budget.

use super::{recovery, totp};
use crate::audit::Action;
use crate::audit::{AuditError, Origin};
use crate::config::RateLimitSettings;
use crate::crypto::{Envelope, SecretContext};
use crate::db::models::mfa as model;
use crate::db::{DbError, TenantTx};
use crate::ids::UserId;
use crate::ratelimit::{Limiter, Refusal};
use chrono::{DateTime, Utc};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    #[error("the code is not valid")]
    WrongCode,
    #[error("multi-factor authentication is already set up")]
    AlreadyEnrolled,
    #[error("multi-factor authentication is not set up")]
    NotEnrolled,
    #[error("too many attempts")]
    Limited { retry_after_secs: u64 },
    #[error("unavailable")]
    Unavailable,
}

impl From<DbError> for MfaError {
    fn from(_: DbError) -> Self {
        MfaError::Unavailable
    }
}

impl From<AuditError> for MfaError {
    fn from(_: AuditError) -> Self {
        MfaError::Unavailable
    }
}

/// How a second factor was passed.
impl From<Refusal> for MfaError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Limited { retry_after_secs } => MfaError::Limited { retry_after_secs },
            Refusal::Unavailable => MfaError::Unavailable,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passed {
    Totp,
    RecoveryCode { left: i64 },
}

/// What an enrolment shows: the seed (base32, for typing), its URI and QR code.
pub struct Enrolment {
    pub secret_base32: String,
    pub uri: String,
    pub qr_svg: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// An authenticator app (TOTP) is set up.
    pub enrolled: bool,
    pub recovery_codes_left: i64,
    /// How many passkeys the person has.
    pub passkeys: usize,
}

impl Status {
    /// Any second factor: an authenticator app or a passkey.
    pub fn has_second_factor(&self) -> bool {
        self.enrolled || self.passkeys > 0
    }
}

fn seed_context(tx: &TenantTx, user: UserId) -> (crate::ids::TenantId, String) {
    (tx.tenant(), user.to_string())
}

async fn seal_seed(
    tx: &TenantTx,
    envelope: &Envelope,
    user: UserId,
    seed: &[u8],
) -> Result<String, MfaError> {
    let (tenant, row) = seed_context(tx, user);
    envelope
        .for_tenant(tx)
        .await?
        .seal(
            &SecretContext {
                tenant,
                table: model::TOTP_TABLE,
                column: model::TOTP_COLUMN,
                row: &row,
            },
            seed,
        )
        .map_err(|_| MfaError::Unavailable)
}

async fn open_seed(
    tx: &TenantTx,
    envelope: &Envelope,
    user: UserId,
    stored: &str,
) -> Result<zeroize::Zeroizing<Vec<u8>>, MfaError> {
    let (tenant, row) = seed_context(tx, user);
    envelope
        .for_tenant(tx)
        .await?
        .open(
            &SecretContext {
                tenant,
                table: model::TOTP_TABLE,
                column: model::TOTP_COLUMN,
                row: &row,
            },
            stored,
        )
        .map_err(|_| MfaError::Unavailable)
}

pub async fn status(tx: &mut TenantTx, user: UserId) -> Result<Status, DbError> {
    let enrolled = model::totp(tx, user.0)
        .await?
        .is_some_and(|t| t.confirmed_at.is_some());
    let left = if enrolled {
        model::recovery_codes_left(tx, user.0).await?
    } else {
        0
    };
    let passkeys = crate::db::models::passkeys::of_user(tx, user.0)
        .await?
        .len();
    Ok(Status {
        enrolled,
        recovery_codes_left: left,
        passkeys,
    })
}

/// Counts one try at the MFA step for `user`: 5 per 5 minutes by default, its own budget,
/// refused when the limiter cannot decide.
pub async fn charge_attempt(
    limiter: &Limiter,
    limits: &RateLimitSettings,
    tx_tenant: crate::ids::TenantId,
    user: UserId,
) -> Result<(), MfaError> {
    let subject = format!("{tx_tenant}:{user}");
    limiter
        .admit_one("mfa_account", &subject, limits.mfa_per_account)
        .await?;
    Ok(())
}

/// Starts (or restarts) an enrolment with a new seed; refused while a confirmed one exists.
pub async fn begin_enrolment(
    tx: &mut TenantTx,
    envelope: &Envelope,
    user: UserId,
    issuer: &str,
    account: &str,
    now: DateTime<Utc>,
) -> Result<Enrolment, MfaError> {
    let seed = zeroize::Zeroizing::new(totp::new_secret());
    let sealed = seal_seed(tx, envelope, user, &seed).await?;
    if !model::put_unconfirmed(tx, user.0, &sealed, now).await? {
        return Err(MfaError::AlreadyEnrolled);
    }
    enrolment_view(&seed, issuer, account)
}

/// The enrolment page of an unconfirmed seed, shown again (e.g. after a wrong code).
pub async fn pending_enrolment(
    tx: &mut TenantTx,
    envelope: &Envelope,
    user: UserId,
    issuer: &str,
    account: &str,
) -> Result<Enrolment, MfaError> {
    let row = model::totp(tx, user.0)
        .await?
        .ok_or(MfaError::NotEnrolled)?;
    if row.confirmed_at.is_some() {
        return Err(MfaError::AlreadyEnrolled);
    }
    let seed = open_seed(tx, envelope, user, &row.secret_enc).await?;
    enrolment_view(&seed, issuer, account)
}

fn enrolment_view(seed: &[u8], issuer: &str, account: &str) -> Result<Enrolment, MfaError> {
    let uri = totp::otpauth_uri(seed, issuer, account).ok_or(MfaError::Unavailable)?;
    let qr_svg = totp::qr_svg(&uri).ok_or(MfaError::Unavailable)?;
    Ok(Enrolment {
        secret_base32: totp::base32(seed),
        uri,
        qr_svg,
    })
}

/// Confirms the enrolment with a first code; returns the recovery codes (shown once).
pub async fn confirm_enrolment(
    tx: &mut TenantTx,
    envelope: &Envelope,
    user: UserId,
    code: &str,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Vec<String>, MfaError> {
    let row = model::totp(tx, user.0)
        .await?
        .ok_or(MfaError::NotEnrolled)?;
    if row.confirmed_at.is_some() {
        return Err(MfaError::AlreadyEnrolled);
    }
    let seed = open_seed(tx, envelope, user, &row.secret_enc).await?;
    let step = totp::matching_step(&seed, code, now).ok_or(MfaError::WrongCode)?;
    if !model::use_step(tx, user.0, step).await? || !model::confirm(tx, user.0, now).await? {
        return Err(MfaError::WrongCode);
    }
    let codes = store_new_codes(tx, user, now).await?;
    record(
        tx,
        envelope,
        user,
        Action::MfaEnrolled,
        json!({"method": "totp"}),
        origin,
        now,
    )
    .await?;
    Ok(codes)
}

async fn store_new_codes(
    tx: &mut TenantTx,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<Vec<String>, MfaError> {
    let codes = recovery::generate();
    let hashes: Vec<String> = codes.iter().filter_map(|c| recovery::hash(c)).collect();
    model::replace_recovery_codes(tx, user.0, &hashes, now).await?;
    Ok(codes)
}

/// Checks a TOTP code (6 digits) or a recovery code. A TOTP time step and a recovery code
/// are each accepted once.
pub async fn verify(
    tx: &mut TenantTx,
    envelope: &Envelope,
    user: UserId,
    code: &str,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Passed, MfaError> {
    let row = model::totp(tx, user.0)
        .await?
        .filter(|r| r.confirmed_at.is_some())
        .ok_or(MfaError::NotEnrolled)?;
    let typed = code.trim();
    if typed.len() == totp::DIGITS && typed.bytes().all(|b| b.is_ascii_digit()) {
        let seed = open_seed(tx, envelope, user, &row.secret_enc).await?;
        let step = totp::matching_step(&seed, typed, now).ok_or(MfaError::WrongCode)?;
        return if model::use_step(tx, user.0, step).await? {
            Ok(Passed::Totp)
        } else {
            Err(MfaError::WrongCode)
        };
    }
    let hash = recovery::hash(typed).ok_or(MfaError::WrongCode)?;
    if !model::use_recovery_code(tx, user.0, &hash, now).await? {
        return Err(MfaError::WrongCode);
    }
    let left = model::recovery_codes_left(tx, user.0).await?;
    record(
        tx,
        envelope,
        user,
        Action::MfaRecoveryCodeUsed,
        json!({"left": left}),
        origin,
        now,
    )
    .await?;
    Ok(Passed::RecoveryCode { left })
}

/// A new set of recovery codes; the old set stops working.
pub async fn regenerate_codes(
    tx: &mut TenantTx,
    envelope: &Envelope,
    user: UserId,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Vec<String>, MfaError> {
    if !status(tx, user).await?.enrolled {
        return Err(MfaError::NotEnrolled);
    }
    let codes = store_new_codes(tx, user, now).await?;
    record(
        tx,
        envelope,
        user,
        Action::MfaRecoveryCodesRegenerated,
        json!({}),
        origin,
        now,
    )
    .await?;
    Ok(codes)
}

/// Removes the person's factors, as `ctx.actor` (the person, or an admin resetting them).
pub async fn remove(
    tx: &mut TenantTx,
    ctx: &crate::audit::Context<'_>,
    user: UserId,
    action: Action,
) -> Result<bool, MfaError> {
    let had = model::remove_all(tx, user.0).await?;
    if had {
        ctx.record(tx, action, &format!("user:{user}"), json!({}))
            .await?;
    }
    Ok(had)
}

async fn record(
    tx: &mut TenantTx,
    envelope: &Envelope,
    user: UserId,
    action: Action,
    details: serde_json::Value,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<(), AuditError> {
    let who = format!("user:{user}");
    let ctx = crate::audit::Context {
        envelope,
        actor: &who,
        origin,
        now,
    };
    ctx.record(tx, action, &who, details).await?;
    Ok(())
}

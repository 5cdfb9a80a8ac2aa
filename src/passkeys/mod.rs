//! Passkeys: WebAuthn credentials that verify the person themselves (user verification is
//! always required), through webauthn-rs with its safe defaults. A passkey is a second
//! factor after a password and, being discoverable, a whole sign-in on its own.
//! [`relying_party`] builds the verifier from the public URL, [`ceremony`] keeps each
//! challenge server-side (single use, bound to the browser, five minutes), [`credentials`]
//! keeps a person's passkeys (audited), and [`assertion`] checks a sign-in with one.

pub mod account;
pub mod assertion;
pub mod ceremony;
pub mod credentials;
pub mod relying_party;

use crate::audit::AuditError;
use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// The public URL's host is not a domain name (an IP address cannot be a WebAuthn
    /// relying party), so passkeys are off.
    #[error("passkeys are off: the public URL has no domain name")]
    Off,
    /// The challenge is unknown, used, expired, or belongs to another browser or step.
    #[error("the passkey challenge expired or was already used")]
    Expired,
    /// The authenticator's answer did not verify (origin, challenge, signature, user
    /// verification, or a malformed answer).
    #[error("the passkey answer did not verify: {0}")]
    Refused(String),
    /// The credential is not (or no longer) registered.
    #[error("this passkey is not registered")]
    Unknown,
    /// The signature counter went backwards: a cloned authenticator is possible.
    #[error("the passkey's counter went backwards")]
    PossibleClone,
    /// The credential is already registered (to this or another account).
    #[error("this passkey is already registered")]
    Duplicate,
    /// The workspace requires a second factor and this is the person's last one.
    #[error("the workspace requires a second factor")]
    StillRequired,
    #[error("passkeys are unavailable: {0}")]
    Unavailable(String),
}

impl From<DbError> for PasskeyError {
    fn from(e: DbError) -> Self {
        PasskeyError::Unavailable(e.to_string())
    }
}

impl From<AuditError> for PasskeyError {
    fn from(e: AuditError) -> Self {
        PasskeyError::Unavailable(e.to_string())
    }
}

/// RFC 8176 methods of a sign-in with a passkey: `hwk` for a key bound to its device,
/// `swk` for one that may be synchronised (backup eligible); with `mfa`, because user
/// verification (PIN or biometric) was required on top of possession.
pub fn methods(backup_eligible: bool) -> [&'static str; 2] {
    [if backup_eligible { "swk" } else { "hwk" }, "mfa"]
}

impl From<PasskeyError> for crate::error::AppError {
    fn from(e: PasskeyError) -> Self {
        use crate::error::AppError;
        match e {
            PasskeyError::Unavailable(reason) => {
                tracing::warn!(%reason, "passkeys unavailable");
                AppError::Unavailable
            }
            PasskeyError::Unknown => AppError::NotFound,
            other => AppError::internal(other),
        }
    }
}

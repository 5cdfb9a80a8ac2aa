//! The password step of sign-in, from the posted form: the workspace (named, or found from
//! the email's domain) must be the application's; home-realm discovery may send the person
//! to their identity provider; then the password check (budgets, growing delay, one bcrypt
//! check whatever the account) and the same step after a first factor as every route.

use super::finish::{finish, Answer};
use super::first_step::{after_first_step, FirstStep, LoginError, Ports};
use super::hand_off::{self, HandOff};
use crate::audit::Origin;
use crate::auth::home_realm::{self, Stage};
use crate::auth::signin::{self, Attempt, SignInError};
use crate::ids::TenantId;
use crate::oidc::authorize::AuthRequest;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The form as posted.
pub struct PasswordForm<'a> {
    /// The workspace's slug as typed; empty to find it from the email's domain.
    pub workspace: &'a str,
    pub email: &'a str,
    pub password: &'a str,
}

/// Why the form is shown again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormAgain {
    /// The email or password is wrong (or the account cannot sign in): one answer for all.
    Invalid,
    /// The person's workspace is not the application's.
    OtherWorkspace,
    /// No workspace by that name (`named`), or none claims the email's domain.
    UnknownWorkspace { named: bool },
}

pub enum PasswordOutcome {
    /// The step after the password, finished (code issued, or the next page).
    Answer(Answer),
    /// The workspace's identity provider takes the sign-in (home-realm discovery, or a
    /// workspace that requires it of this person): the hand-off, started.
    HandOff(HandOff),
    /// The form again, for `tenant` when known.
    FormAgain {
        why: FormAgain,
        tenant: Option<TenantId>,
    },
}

impl From<SignInError> for LoginError {
    fn from(e: SignInError) -> Self {
        match e {
            SignInError::Limited { retry_after_secs } => LoginError::Limited { retry_after_secs },
            SignInError::Suspended => LoginError::Suspended,
            other => LoginError::Unavailable(other.to_string()),
        }
    }
}

pub async fn sign_in(
    ports: &Ports<'_>,
    (auth, carried): (&AuthRequest, &HashMap<String, String>),
    form: &PasswordForm<'_>,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<PasswordOutcome, LoginError> {
    let workspace = form.workspace.trim().to_lowercase();
    // Looked up once; a failed lookup is an outage, never "another workspace".
    let named = home_realm::workspace_for(ports.db, &workspace, form.email).await?;
    if auth.client.tenant_id.is_some_and(|t| named != Some(t)) {
        let why = FormAgain::OtherWorkspace;
        return Ok(PasswordOutcome::FormAgain { why, tenant: None });
    }
    // Home-realm discovery on the typed address, before any password is checked.
    let typed = match named {
        Some(tenant) => home_realm::realm_for(ports.db, tenant, form.email).await?,
        None => None,
    };
    let stage = Stage::Typed {
        password: form.password,
    };
    if let Some(started) =
        hand_off::when_idp_takes(ports, typed.as_ref(), stage, carried, now).await?
    {
        return Ok(PasswordOutcome::HandOff(started));
    }
    let attempt = Attempt {
        tenant: named,
        email: form.email,
        password: form.password,
        origin,
    };
    let checked = match signin::check_password(
        ports.db,
        ports.envelope,
        ports.passwords,
        ports.limiter,
        ports.limits,
        &attempt,
        now,
    )
    .await
    {
        Ok(checked) => checked,
        Err(SignInError::Invalid) => {
            let why = FormAgain::Invalid;
            return Ok(PasswordOutcome::FormAgain { why, tenant: named });
        }
        Err(SignInError::UnknownWorkspace) => {
            let why = FormAgain::UnknownWorkspace {
                named: !workspace.is_empty(),
            };
            return Ok(PasswordOutcome::FormAgain { why, tenant: None });
        }
        Err(e) => return Err(e.into()),
    };
    // The same rule on the account's own address, now that the password matched.
    let stored = checked.realm.as_ref();
    let stage = Stage::Proved;
    if let Some(started) = hand_off::when_idp_takes(ports, stored, stage, carried, now).await? {
        return Ok(PasswordOutcome::HandOff(started));
    }
    let primary = vec!["pwd".to_string()];
    let step = FirstStep {
        tenant: checked.tenant,
        user: &checked.user,
        existing: None,
        primary: &primary,
        wants_mfa: auth.wants_mfa,
        carried,
    };
    let outcome = after_first_step(ports, &step, origin, now).await?;
    Ok(PasswordOutcome::Answer(
        finish(ports, auth, outcome, now).await?,
    ))
}

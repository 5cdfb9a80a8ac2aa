//! The password step of sign-in, from the posted form: the workspace (named, or found from
//! the email's domain) must be the application's; home-realm discovery may send the person
//! to their identity provider; then the password check (budgets, growing delay, one bcrypt
//! check whatever the account) and the same step after a first factor as every route.

use super::finish::{finish, Answer};
use super::first_step::{after_first_step, FirstStep, LoginError, Ports};
use super::hand_off::{self, HandOff};
use crate::audit::Origin;
use crate::auth::home_realm;
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

/// Home-realm discovery's rule: a connection serving the email's domain takes the sign-in
/// when it forbids passwords (SSO enforcement), or when the password is left empty.
pub fn idp_takes_over(realm: Option<&home_realm::Realm>, password: &str) -> Option<uuid::Uuid> {
    realm
        .filter(|r| !r.password_allowed || password.is_empty())
        .map(|r| r.connection)
}

pub async fn sign_in(
    ports: &Ports<'_>,
    (auth, carried): (&AuthRequest, &HashMap<String, String>),
    form: &PasswordForm<'_>,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<PasswordOutcome, LoginError> {
    let workspace = form.workspace.trim().to_lowercase();
    // A failed lookup is an outage, never "another workspace" or "no SSO here".
    let named = signin::workspace_for(ports.db, &workspace, form.email).await?;
    if auth.client.tenant_id.is_some_and(|t| named != Some(t)) {
        let why = FormAgain::OtherWorkspace;
        return Ok(PasswordOutcome::FormAgain { why, tenant: None });
    }
    // Home-realm discovery: a connection serving the email's domain takes the sign-in,
    // always when it forbids passwords, otherwise when the password is left empty.
    if let Some(tenant) = named {
        let realm = home_realm::realm_for(ports.db, tenant, form.email).await?;
        if let Some(connection) = idp_takes_over(realm.as_ref(), form.password) {
            let started = hand_off::start(ports, (tenant, connection), carried, now).await?;
            return Ok(PasswordOutcome::HandOff(started));
        }
    }
    let attempt = Attempt {
        workspace: &workspace,
        email: form.email,
        password: form.password,
        origin,
    };
    let checked = signin::check_password(
        ports.db,
        ports.envelope,
        ports.passwords,
        ports.limiter,
        ports.limits,
        &attempt,
        now,
    )
    .await;
    let checked = match checked {
        Ok(checked) => checked,
        Err(SignInError::SsoRequired { tenant, connection }) => {
            let started = hand_off::start(ports, (tenant, connection), carried, now).await?;
            return Ok(PasswordOutcome::HandOff(started));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn realm(password_allowed: bool) -> home_realm::Realm {
        home_realm::Realm {
            tenant: TenantId::new(),
            connection: uuid::Uuid::new_v4(),
            password_allowed,
        }
    }

    #[test]
    fn sso_enforcement_hands_off_even_with_a_password() {
        let enforced = realm(false);
        let handed = idp_takes_over(Some(&enforced), "a typed password");
        assert_eq!(handed, Some(enforced.connection));
    }

    #[test]
    fn an_optional_connection_takes_only_an_empty_password() {
        let optional = realm(true);
        assert_eq!(
            idp_takes_over(Some(&optional), ""),
            Some(optional.connection)
        );
        assert_eq!(idp_takes_over(Some(&optional), "a typed password"), None);
        assert_eq!(
            idp_takes_over(None, ""),
            None,
            "no connection: the password form"
        );
    }
}

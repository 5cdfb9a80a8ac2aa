//! Re-authentication of a signed-in person before a change to their factors or passkeys:
//! a sign-in less than five minutes old (with the app's code when one is set up) is fresh;
//! otherwise the password, and the app's code when set up, make it fresh again. Tries
//! count against the sign-in and second-factor budgets.

use super::first_step::{LoginError, Ports};
use crate::audit::Origin;
use crate::auth::sessions::ActiveSession;
use crate::db::models::{sessions as session_model, users};
use crate::mfa::factors::{self, MfaError};
use crate::mfa::{policy, FRESH_SECS};
use chrono::{DateTime, Utc};

/// Signed in less than five minutes ago, with the app's code when an app is set up (a
/// passkey sign-in passes it too: `mfa`).
pub fn is_fresh(me: &ActiveSession, app_enrolled: bool, now: DateTime<Utc>) -> bool {
    (now - me.auth_time).num_seconds() <= FRESH_SECS
        && (!app_enrolled || policy::passed_mfa(&me.amr))
}

/// The session made fresh by the password (and `code`, when the person has an app);
/// [`LoginError::Invalid`] when either is wrong.
pub async fn reauthenticate(
    ports: &Ports<'_>,
    me: ActiveSession,
    (password, code): (&str, &str),
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<ActiveSession, LoginError> {
    // Read what the check needs and let the connection go: bcrypt runs with none held.
    let (status, user, hash) = {
        let mut tx = ports.db.tenant_read(me.tenant).await?;
        let status = factors::status(&mut tx, me.user).await?;
        let user = users::get(&mut tx, me.user).await?;
        let hash = users::password_hash(&mut tx, me.user).await?;
        tx.commit().await?;
        (status, user, hash)
    };
    if is_fresh(&me, status.enrolled, now) {
        return Ok(me);
    }
    let account = crate::auth::signin::account_budget_key(me.tenant, &user.email);
    let budget = ports.limits.signin_per_account;
    ports
        .limiter
        .admit_one("signin_account", &account, budget)
        .await
        .map_err(|refusal| LoginError::Mfa(refusal.into()))?;
    let ok = ports
        .passwords
        .verify_or_dummy(password, hash.as_deref())
        .await
        .unwrap_or(false);
    if !ok {
        return Err(LoginError::Invalid);
    }
    let mut amr = vec!["pwd".to_string()];
    if status.enrolled {
        factors::charge_attempt(ports.limiter, ports.limits, me.tenant, me.user)
            .await
            .map_err(LoginError::Mfa)?;
    }
    let mut tx = ports.db.tenant(me.tenant).await?;
    if status.enrolled {
        match factors::verify(&mut tx, ports.envelope, me.user, code, origin, now).await {
            Ok(_) => amr.push("otp".to_string()),
            Err(MfaError::WrongCode) => return Err(LoginError::Invalid),
            Err(e) => return Err(LoginError::Mfa(e)),
        }
    }
    session_model::reauthenticated(&mut tx, me.id, &amr, now).await?;
    tx.commit().await?;
    Ok(ActiveSession {
        auth_time: now,
        amr,
        ..me
    })
}

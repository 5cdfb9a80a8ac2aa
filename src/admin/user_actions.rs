//! What the admin API does to an existing account: disable, enable, roles, profile and
//! sign-in email, sessions, a reset link on their behalf, delete. Each starts with
//! [`Act::over`]: the caller must hold every permission the account holds
//! (`crate::authority::require_over`), so a narrower admin never acts on a wider one.

use super::person_erasure;
use super::principal::Principal;
use super::users::{grantable_roles, view, UserView};
use crate::audit::Action;
use crate::auth::cutoff;
use crate::db::models::{roles, scim_store, users};
use crate::db::{Db, TenantTx};
use crate::error::AppError;
use crate::ids::UserId;
use chrono::{DateTime, Utc};
use serde_json::json;

pub use super::act::Act;

impl Act<'_> {
    /// The account `id` in the caller's workspace (404 otherwise), once the caller is shown
    /// to reach it (403 otherwise), with the transaction to change it in.
    async fn over(&self, id: UserId) -> Result<(TenantTx, users::User), AppError> {
        let mut tx = self.db.tenant(self.who.tenant).await?;
        let user = users::get(&mut tx, id).await?;
        crate::authority::require_over(&mut tx, &self.who.permissions, id).await?;
        Ok((tx, user))
    }

    async fn audit(
        &self,
        tx: &mut TenantTx,
        action: Action,
        id: UserId,
        details: serde_json::Value,
    ) -> Result<(), AppError> {
        let target = format!("user:{id}");
        self.context().record(tx, action, &target, details).await?;
        Ok(())
    }
}

/// The workspace keeps at least one active admin.
async fn not_last_admin(tx: &mut TenantTx, id: UserId) -> Result<(), AppError> {
    let direct = roles::direct_for_user(tx, id).await?;
    if direct.iter().any(|r| r.name == "admin") && roles::active_holders(tx, "admin").await? <= 1 {
        return Err(AppError::Conflict(
            "the workspace's last admin cannot be disabled or deleted",
        ));
    }
    Ok(())
}

/// Writes `action`'s entry and answers with the account as it now is.
async fn finish(
    act: &Act<'_>,
    mut tx: TenantTx,
    action: Action,
    id: UserId,
    details: serde_json::Value,
) -> Result<UserView, AppError> {
    act.audit(&mut tx, action, id, details).await?;
    let user = users::get(&mut tx, id).await?;
    let v = view(&mut tx, user).await?;
    tx.commit().await?;
    Ok(v)
}

pub async fn disable(act: &Act<'_>, id: UserId) -> Result<UserView, AppError> {
    let (mut tx, _) = act.over(id).await?;
    not_last_admin(&mut tx, id).await?;
    users::set_status(&mut tx, id, "disabled").await?;
    cutoff::deprovision(&mut tx, &act.context(), id, "user_disabled").await?;
    finish(act, tx, Action::UserDisabled, id, json!({})).await
}

pub async fn enable(act: &Act<'_>, id: UserId) -> Result<UserView, AppError> {
    let (mut tx, _) = act.over(id).await?;
    users::set_status(&mut tx, id, "active").await?;
    finish(act, tx, Action::UserEnabled, id, json!({})).await
}

pub async fn set_roles(act: &Act<'_>, id: UserId, names: &[String]) -> Result<UserView, AppError> {
    let (mut tx, _) = act.over(id).await?;
    let before: Vec<String> = roles::direct_for_user(&mut tx, id)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect();
    let role_ids = grantable_roles(&mut tx, act.who, names).await?;
    roles::set_for_user(&mut tx, id, &role_ids).await?;
    let details = json!({"before": before, "after": names});
    finish(act, tx, Action::UserRolesChanged, id, details).await
}

/// New sign-in email and display name (each optional).
pub struct ProfileChange<'a> {
    pub email: Option<&'a str>,
    pub display_name: Option<&'a str>,
}

/// Changes the sign-in email or display name; a new email ends the person's sessions, voids
/// their reset links and tells the old address (`cutoff::email_changed`).
pub async fn update_profile(
    act: &Act<'_>,
    id: UserId,
    change: &ProfileChange<'_>,
) -> Result<UserView, AppError> {
    if change
        .email
        .is_some_and(|e| !super::bootstrap::valid_email(e))
    {
        return Err(AppError::InvalidRequest(
            "email is not a valid address".into(),
        ));
    }
    if change
        .display_name
        .is_some_and(|n| !crate::text::is_plain(n, 200))
    {
        return Err(AppError::InvalidRequest(
            "display_name must be 1-200 printable characters".into(),
        ));
    }
    let (mut tx, before) = act.over(id).await?;
    let email = change.email.map(str::trim).unwrap_or(&before.email);
    let name = change.display_name.or(before.display_name.as_deref());
    users::set_profile(&mut tx, id, email, name, act.now).await?;
    cutoff::email_changed(&mut tx, &act.context(), id, (&before.email, email)).await?;
    let details = json!({"email_changed": email != before.email});
    finish(act, tx, Action::UserUpdated, id, details).await
}

/// Deletes the account after taking every way in away (as disabling does).
pub async fn delete(act: &Act<'_>, id: UserId) -> Result<(), AppError> {
    let (mut tx, _) = act.over(id).await?;
    not_last_admin(&mut tx, id).await?;
    cutoff::deprovision(&mut tx, &act.context(), id, "deleted").await?;
    scim_store::remove_from_all_groups(&mut tx, id.0, act.now).await?;
    scim_store::delete_user(&mut tx, id.0).await?;
    act.audit(&mut tx, Action::UserDeleted, id, json!({}))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Erases the account (GDPR article 17): removed as a deletion removes it, and every mention
/// of the person in the audit chain replaced by a pseudonym nothing links back.
/// `typed`, when given (the console), must be the person's email address.
/// Interrupted, it leaves the account in place and is finished by asking again.
pub async fn erase(act: &Act<'_>, id: UserId, typed: Option<&str>) -> Result<(), AppError> {
    let (mut tx, user) = act.over(id).await?;
    if typed.is_some_and(|t| crate::text::email_key(t) != crate::text::email_key(&user.email)) {
        return Err(AppError::InvalidRequest(
            "type the person's email address to confirm the erasure".into(),
        ));
    }
    not_last_admin(&mut tx, id).await?;
    tx.rollback().await?;
    let ctx = act.context();
    let pending = person_erasure::prepare(act.db, &ctx, act.who.tenant, &user).await?;
    // Checked again: the account may have changed while the chain was rewritten.
    let (mut tx, user) = act.over(id).await?;
    not_last_admin(&mut tx, id).await?;
    person_erasure::remove(&mut tx, &ctx, &user, &pending).await?;
    tx.commit().await?;
    person_erasure::sweep(act.db, &ctx, act.who.tenant, &pending).await?;
    Ok(())
}

/// Sends the person a password reset link, as if they had asked for one.
pub async fn send_reset_link(act: &Act<'_>, public_url: &str, id: UserId) -> Result<(), AppError> {
    let (mut tx, user) = act.over(id).await?;
    if user.status != "active" {
        return Err(AppError::Conflict("the account is disabled"));
    }
    crate::auth::reset::issue_link(&mut tx, act.envelope, public_url, &user, act.now).await?;
    act.audit(&mut tx, Action::PasswordResetSent, id, json!({}))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Clears the person's second factors (authenticator app, recovery codes and passkeys: a
/// reset that left a passkey would leave a way in the person may have lost); every session
/// of theirs ends (and with them their refresh tokens and person tokens).
pub async fn reset_mfa(act: &Act<'_>, id: UserId) -> Result<(), AppError> {
    let (mut tx, _) = act.over(id).await?;
    let ctx = act.context();
    let unavailable = |_| AppError::Unavailable;
    crate::mfa::factors::remove(&mut tx, &ctx, id, Action::MfaResetByAdmin)
        .await
        .map_err(unavailable)?;
    crate::passkeys::credentials::reset(&mut tx, &ctx, id)
        .await
        .map_err(|_| AppError::Unavailable)?;
    crate::auth::sessions::end_all(&mut tx, &ctx, id, "mfa_reset").await?;
    tx.commit().await?;
    Ok(())
}

/// Removes every passkey of the person: a factor reset, under the same reach rule.
pub async fn reset_passkeys(act: &Act<'_>, id: UserId) -> Result<usize, AppError> {
    let (mut tx, _) = act.over(id).await?;
    let ctx = act.context();
    let gone = crate::passkeys::credentials::reset(&mut tx, &ctx, id).await?;
    tx.commit().await?;
    Ok(gone)
}

/// The person's passkeys, as an administrator sees them.
pub async fn passkeys(
    db: &Db,
    who: &Principal,
    id: UserId,
) -> Result<Vec<crate::passkeys::credentials::PasskeyView>, AppError> {
    let mut tx = db.tenant(who.tenant).await?;
    users::get(&mut tx, id).await?;
    let list = crate::passkeys::credentials::list(&mut tx, id).await?;
    tx.commit().await?;
    Ok(list)
}

/// Makes the person a break-glass account (or not): it weakens the account, so it needs
/// the same reach as any other action on it.
pub async fn set_mfa_exemption(act: &Act<'_>, id: UserId, exempt: bool) -> Result<(), AppError> {
    let (mut tx, _) = act.over(id).await?;
    crate::mfa::enforcement::set_exemption(&mut tx, &act.context(), id, exempt).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn sessions(
    db: &Db,
    who: &Principal,
    id: UserId,
    now: DateTime<Utc>,
) -> Result<Vec<crate::auth::sessions::SessionView>, AppError> {
    let mut tx = db.tenant(who.tenant).await?;
    users::get(&mut tx, id).await?;
    let list = crate::auth::sessions::list(&mut tx, id, now).await?;
    tx.commit().await?;
    Ok(list)
}

pub async fn end_session(act: &Act<'_>, id: UserId, session: uuid::Uuid) -> Result<(), AppError> {
    let (mut tx, _) = act.over(id).await?;
    let reason = "ended_by_admin";
    let ended = crate::auth::sessions::end(&mut tx, &act.context(), id, session, reason).await?;
    if !ended {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

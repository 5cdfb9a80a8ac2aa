//! What the admin API does to an existing account: disable, enable, roles, profile and
//! sign-in email, sessions, a reset link on their behalf, delete. Each starts with
//! [`over`]: the caller must hold every permission the account holds
//! (`crate::authority::require_over`), so a narrower admin never acts on a wider one.

use super::principal::Principal;
use super::users::{audit, grantable_roles, view, UserView};
use crate::audit::Origin;
use crate::auth::cutoff::{self, Cause};
use crate::crypto::Envelope;
use crate::db::models::{roles, scim_store, users};
use crate::db::{Db, TenantTx};
use crate::error::AppError;
use crate::ids::UserId;
use chrono::{DateTime, Utc};
use serde_json::json;

/// The account `id` in the caller's workspace (404 otherwise), once the caller is shown to
/// reach it (403 otherwise), with the transaction to change it in.
async fn over(db: &Db, who: &Principal, id: UserId) -> Result<(TenantTx, users::User), AppError> {
    let mut tx = db.tenant(who.tenant).await?;
    let user = users::get(&mut tx, id).await?;
    crate::authority::require_over(&mut tx, &who.permissions, id).await?;
    Ok((tx, user))
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

pub async fn disable(
    db: &Db,
    envelope: &Envelope,
    who: &Principal,
    id: UserId,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<UserView, AppError> {
    let (mut tx, _) = over(db, who, id).await?;
    not_last_admin(&mut tx, id).await?;
    let user = users::set_status(&mut tx, id, "disabled").await?;
    let cause = Cause {
        actor: &who.actor,
        reason: "user_disabled",
        origin,
        now,
    };
    cutoff::deprovision(&mut tx, envelope, id, &cause).await?;
    audit(
        &mut tx,
        envelope,
        who,
        "user.disabled",
        id,
        json!({}),
        origin,
        now,
    )
    .await?;
    let v = view(&mut tx, user).await?;
    tx.commit().await?;
    Ok(v)
}

pub async fn enable(
    db: &Db,
    envelope: &Envelope,
    who: &Principal,
    id: UserId,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<UserView, AppError> {
    let (mut tx, _) = over(db, who, id).await?;
    let user = users::set_status(&mut tx, id, "active").await?;
    audit(
        &mut tx,
        envelope,
        who,
        "user.enabled",
        id,
        json!({}),
        origin,
        now,
    )
    .await?;
    let v = view(&mut tx, user).await?;
    tx.commit().await?;
    Ok(v)
}

pub async fn set_roles(
    db: &Db,
    envelope: &Envelope,
    who: &Principal,
    id: UserId,
    names: &[String],
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<UserView, AppError> {
    let (mut tx, user) = over(db, who, id).await?;
    let before: Vec<String> = roles::direct_for_user(&mut tx, id)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect();
    let role_ids = grantable_roles(&mut tx, who, names).await?;
    roles::set_for_user(&mut tx, id, &role_ids).await?;
    let details = json!({"before": before, "after": names});
    audit(
        &mut tx,
        envelope,
        who,
        "user.roles_changed",
        id,
        details,
        origin,
        now,
    )
    .await?;
    let v = view(&mut tx, user).await?;
    tx.commit().await?;
    Ok(v)
}

/// New sign-in email and display name (each optional).
pub struct ProfileChange<'a> {
    pub email: Option<&'a str>,
    pub display_name: Option<&'a str>,
}

/// Changes the sign-in email or display name; a new email ends the person's sessions, voids
/// their reset links and tells the old address (`cutoff::email_changed`).
pub async fn update_profile(
    db: &Db,
    envelope: &Envelope,
    who: &Principal,
    id: UserId,
    change: &ProfileChange<'_>,
    origin: &Origin,
    now: DateTime<Utc>,
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
    let (mut tx, before) = over(db, who, id).await?;
    let email = change.email.map(str::trim).unwrap_or(&before.email);
    let name = change.display_name.or(before.display_name.as_deref());
    users::set_profile(&mut tx, id, email, name, now).await?;
    let cause = Cause {
        actor: &who.actor,
        reason: "email_changed",
        origin,
        now,
    };
    cutoff::email_changed(&mut tx, envelope, id, &before.email, email, &cause).await?;
    let details = json!({"email_changed": email != before.email});
    audit(
        &mut tx,
        envelope,
        who,
        "user.updated",
        id,
        details,
        origin,
        now,
    )
    .await?;
    let user = users::get(&mut tx, id).await?;
    let v = view(&mut tx, user).await?;
    tx.commit().await?;
    Ok(v)
}

/// Deletes the account after taking every way in away (as disabling does).
pub async fn delete(
    db: &Db,
    envelope: &Envelope,
    who: &Principal,
    id: UserId,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (mut tx, _) = over(db, who, id).await?;
    not_last_admin(&mut tx, id).await?;
    let cause = Cause {
        actor: &who.actor,
        reason: "deleted",
        origin,
        now,
    };
    cutoff::deprovision(&mut tx, envelope, id, &cause).await?;
    scim_store::remove_from_all_groups(&mut tx, id.0, now).await?;
    scim_store::delete_user(&mut tx, id.0).await?;
    audit(
        &mut tx,
        envelope,
        who,
        "user.deleted",
        id,
        json!({}),
        origin,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sends the person a password reset link, as if they had asked for one.
#[allow(clippy::too_many_arguments)]
pub async fn send_reset_link(
    db: &Db,
    envelope: &Envelope,
    public_url: &str,
    who: &Principal,
    id: UserId,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (mut tx, user) = over(db, who, id).await?;
    if user.status != "active" {
        return Err(AppError::Conflict("the account is disabled"));
    }
    crate::auth::reset::issue_link(&mut tx, envelope, public_url, &user, now).await?;
    audit(
        &mut tx,
        envelope,
        who,
        "password.reset_sent",
        id,
        json!({}),
        origin,
        now,
    )
    .await?;
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

#[allow(clippy::too_many_arguments)]
pub async fn end_session(
    db: &Db,
    envelope: &Envelope,
    who: &Principal,
    id: UserId,
    session: uuid::Uuid,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (mut tx, _) = over(db, who, id).await?;
    let actor = &who.actor;
    let ended = crate::auth::sessions::end(
        &mut tx,
        envelope,
        actor,
        id,
        session,
        "ended_by_admin",
        origin,
        now,
    )
    .await?;
    if !ended {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

//! Just-in-time provisioning: the first SSO sign-in of an IdP account creates the user (or
//! links an existing one, but only when the connection marks the email's domain verified);
//! later sign-ins refresh email, name, groups and attributes. An address is taken only when
//! the IdP vouches for it (OIDC `email_verified`) and its domain is one the connection
//! serves: otherwise an open IdP could mint accounts, or pre-register an address that a
//! verified connection would later link to. A deactivated user stays out. Each outcome is
//! audited.

use super::connections::Connection;
use super::{ExternalIdentity, SsoError};
use crate::audit::{Action, Context};
use crate::auth::domains;
use crate::db::models::sso_connections as conns;
use crate::db::models::sso_flow;
use crate::db::models::users::{self, NewUser, User};
use crate::db::TenantTx;
use crate::ids::UserId;
use serde_json::json;

fn display_name(ident: &ExternalIdentity) -> Option<String> {
    let name = [ident.given_name.as_deref(), ident.family_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let name = name.trim();
    (!name.is_empty() && name.len() <= 200).then(|| name.to_string())
}

/// An IdP may change the sign-in address of an account only within the reach of the admin
/// who configured its connection (the authority rule: an IdP is a credential too).
async fn may_rename(tx: &mut TenantTx, conn: &Connection, user: UserId) -> Result<bool, SsoError> {
    let reach = crate::authority::asserting_reach(tx, &conn.configured_by).await?;
    let held = crate::authority::held_by(tx, user).await?;
    Ok(crate::authority::covers(&reach, &held))
}

/// The user this sign-in is for, created or refreshed, and how (the audited action).
pub async fn provision(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    conn: &Connection,
    ident: &ExternalIdentity,
) -> Result<(User, Action), SsoError> {
    let now = ctx.now;
    let email = ident
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| domains::of_email(e).is_some() && e.len() <= 320)
        .ok_or(SsoError::Rejected("the IdP sent no usable email address"))?
        .to_string();
    // Some(verified for linking) when this connection serves the email's domain.
    let served = match domains::of_email(&email) {
        Some(d) => conns::for_domain(tx, &d)
            .await?
            .filter(|(c, _)| *c == conn.id)
            .map(|(_, verified)| verified),
        None => None,
    };
    let trusted = ident.email_verified && served.is_some();
    let name = display_name(ident);
    let groups = json!(ident.groups);
    let attributes = json!(ident.attributes);
    let (user, action) = match sso_flow::linked_user(tx, conn.id, &ident.subject).await? {
        Some(id) => {
            let user = users::get(tx, UserId(id)).await?;
            if user.status != "active" {
                return Err(SsoError::Inactive);
            }
            // A new address is taken only when trusted and no other account holds it.
            let email_free = match users::find_by_email(tx, &email).await? {
                Some(other) => other.id == user.id,
                None => true,
            };
            let new_email = if trusted && email_free && may_rename(tx, conn, user.id).await? {
                email.as_str()
            } else {
                user.email.as_str()
            };
            let new_name = name.as_deref().or(user.display_name.as_deref());
            if new_email != user.email || new_name != user.display_name.as_deref() {
                users::set_profile(tx, user.id, new_email, new_name, now).await?;
                let actor = format!("sso_connection:{}", conn.id);
                let emails = (user.email.as_str(), new_email);
                crate::auth::cutoff::email_changed(tx, &ctx.by(&actor), user.id, emails)
                    .await
                    .map_err(|_| SsoError::Unavailable)?;
            }
            (users::get(tx, user.id).await?, Action::SsoUserUpdated)
        }
        None if !trusted => {
            return Err(SsoError::Rejected(
                "the email is unverified or outside the connection's domains",
            ))
        }
        None => match users::find_by_email(tx, &email).await? {
            Some(existing) => {
                if served != Some(true) {
                    return Err(SsoError::AccountExists);
                }
                if existing.status != "active" {
                    return Err(SsoError::Inactive);
                }
                (existing, Action::SsoAccountLinked)
            }
            None => {
                let new = NewUser {
                    email: &email,
                    display_name: name.as_deref(),
                    password_hash: None,
                };
                (users::insert(tx, &new).await?, Action::SsoUserProvisioned)
            }
        },
    };
    sso_flow::upsert_identity(
        tx,
        conn.id,
        &ident.subject,
        user.id.0,
        &groups,
        &attributes,
        now,
    )
    .await?;
    let actor = format!("sso_connection:{}", conn.id);
    let details = json!({ "connection": conn.id, "groups": ident.groups.len() });
    ctx.by(&actor)
        .record(tx, action, &format!("user:{}", user.id), details)
        .await
        .map_err(|_| SsoError::Unavailable)?;
    Ok((user, action))
}

//! Who may configure or delete an SSO connection (the authority ceiling, invariant 7): a
//! connection's IdP asserts roles through the workspace's role mappings and vouches for
//! the accounts it links, so changing or removing one needs the reach it carries.

use super::connection_input::ConnectionInput;
use crate::admin::principal::Principal;
use crate::db::{Db, TenantTx};
use crate::error::AppError;
use uuid::Uuid;

/// A connection's IdP asserts roles through the workspace's role mappings and may link or
/// vouch for accounts: creating or changing one needs every permission the mappings could
/// hand out (`crate::authority::mapping_reach`), and a connection that may link existing
/// accounts (a verified domain) or vouch for MFA can take over any account of its domains,
/// the workspace owner's included, so it needs every right an owner has, not `sso:write`.
pub(super) async fn check_power(
    db: &Db,
    who: &Principal,
    input: &ConnectionInput,
    idp_mfa_accepted: bool,
) -> Result<(), AppError> {
    let mut tx = db.tenant_read(who.tenant).await?;
    let reach = crate::authority::mapping_reach(&mut tx).await?;
    tx.commit().await?;
    crate::authority::require_cover(&who.permissions, &reach).map_err(|_| AppError::Forbidden)?;
    if idp_mfa_accepted || input.domains.iter().any(|d| d.verified) {
        for p in ["users:write", "roles:write", "settings:write"] {
            who.require(p)?;
        }
    }
    Ok(())
}

/// Deleting a connection drops its account links, strips the roles its group rules gave
/// and locks out people who only sign in through it: it needs what creating one needs
/// (every permission the mappings could hand out) and every permission held by an account
/// linked through it.
pub(super) async fn require_delete_reach(
    tx: &mut TenantTx,
    who: &Principal,
    id: Uuid,
) -> Result<(), AppError> {
    let mut needed = crate::authority::mapping_reach(tx).await?;
    for user in crate::db::models::sso_flow::users_linked_through(tx, id).await? {
        let held = crate::authority::held_by(tx, crate::ids::UserId(user)).await?;
        needed.extend(held);
    }
    crate::authority::require_cover(&who.permissions, &needed).map_err(|_| AppError::Forbidden)
}

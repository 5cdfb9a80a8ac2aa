//! The authority model (DESIGN invariant 7): who may act on whose account, and how far a
//! credential reaches. Every credential acts with at most the permissions of whoever made
//! it, *now*; acting on another account needs every permission that account holds. The
//! rules are decided here and nowhere else: callers ask [`require_over`] (acting on an
//! account) and [`reach_of_maker`] (what a credential may do), and role mappings count
//! only within [`asserting_reach`] of whoever vouched for the group or attribute.

pub mod mapping_engine;
pub mod mapping_rules;
mod reach;
pub mod vocabulary;

pub use reach::{
    asserting_reach, asserts_beyond_reach, held_by, mapping_reach, permissions_of, reach_of_maker,
    reach_of_maker_until, roles_of,
};

use std::collections::BTreeSet;
use uuid::Uuid;

/// A set of permission names such as `users:write`.
pub type Permissions = BTreeSet<String>;

/// Who made a credential or configured an assertion source, parsed from the actor string
/// the audit log and `created_by` columns hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Maker {
    /// A person of the workspace (`user:<id>`).
    User(Uuid),
    /// An API key (`api_key:<id>`): it reaches no further than its own maker.
    ApiKey(Uuid),
    /// The platform operator at the command line (`cli`): every permission.
    Operator,
    /// Anything else (a SCIM token, the system, an unknown string) makes nothing with any
    /// authority.
    Nobody,
}

impl Maker {
    pub fn parse(actor: &str) -> Maker {
        let id = |rest: &str| Uuid::try_parse(rest).ok();
        if let Some(u) = actor.strip_prefix("user:").and_then(id) {
            Maker::User(u)
        } else if let Some(k) = actor.strip_prefix("api_key:").and_then(id) {
            Maker::ApiKey(k)
        } else if actor == OPERATOR {
            Maker::Operator
        } else {
            Maker::Nobody
        }
    }
}

/// The actor string of the platform operator (the `identity` CLI).
pub const OPERATOR: &str = "cli";

/// Every permission a role may carry: the operator's reach.
pub fn everything() -> Permissions {
    crate::authority::vocabulary::known_permissions()
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// Refused: the target holds a permission the actor lacks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the account holds permissions beyond the caller's")]
pub struct Exceeds;

/// The rule itself: `holder` covers `target` when it holds every permission `target` does.
pub fn covers(holder: &Permissions, target: &Permissions) -> bool {
    target.is_subset(holder)
}

/// [`covers`] as a check.
pub fn require_cover(holder: &Permissions, target: &Permissions) -> Result<(), Exceeds> {
    if covers(holder, target) {
        Ok(())
    } else {
        Err(Exceeds)
    }
}

/// Whether `actor` may act on account `target` (disable, roles, factors, email, sessions,
/// delete, reset on their behalf): it must hold every permission the account holds, whatever
/// the account's status (a disabled admin is still an admin to re-enable or delete).
pub async fn require_over(
    tx: &mut crate::db::TenantTx,
    actor: &Permissions,
    target: crate::ids::UserId,
) -> Result<(), OverError> {
    let held = held_by(tx, target).await?;
    require_cover(actor, &held)?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum OverError {
    #[error(transparent)]
    Exceeds(#[from] Exceeds),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

impl From<OverError> for crate::error::AppError {
    fn from(e: OverError) -> Self {
        match e {
            OverError::Exceeds(_) => crate::error::AppError::Forbidden,
            OverError::Db(db) => db.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(p: &[&str]) -> Permissions {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_holder_covers_equal_and_narrower_sets_only() {
        let admin = everything();
        let member = set(&["users:read", "crm:read", "crm:write"]);
        let helpdesk = set(&["users:read", "users:write"]);
        assert!(covers(&admin, &member));
        assert!(covers(&member, &member));
        assert!(covers(&member, &Permissions::new()));
        assert!(!covers(&member, &admin));
        // Neither of two different narrow sets covers the other.
        assert!(!covers(&helpdesk, &member));
        assert!(!covers(&member, &helpdesk));
        assert_eq!(require_cover(&helpdesk, &admin), Err(Exceeds));
    }

    #[test]
    fn makers_parse_from_actor_strings() {
        let id = Uuid::new_v4();
        assert_eq!(Maker::parse(&format!("user:{id}")), Maker::User(id));
        assert_eq!(Maker::parse(&format!("api_key:{id}")), Maker::ApiKey(id));
        assert_eq!(Maker::parse("cli"), Maker::Operator);
        // A SCIM token, the system or garbage never make anything with authority.
        assert_eq!(Maker::parse(&format!("scim_token:{id}")), Maker::Nobody);
        assert_eq!(Maker::parse("system"), Maker::Nobody);
        assert_eq!(Maker::parse("user:not-a-uuid"), Maker::Nobody);
        assert_eq!(Maker::parse("cli "), Maker::Nobody);
    }
}

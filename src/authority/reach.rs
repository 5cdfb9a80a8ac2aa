//! What a person holds and how far the credentials they made reach, read from the database
//! at the moment of use (so a role downgrade or a disable shrinks every credential at once).

use super::{everything, Maker, Permissions};
use crate::authority::mapping_engine as engine;
use crate::db::models::{api_keys, roles, users};
use crate::db::{DbError, TenantTx};
use crate::ids::UserId;
use chrono::{DateTime, Utc};

/// A key made by a key made by a key...: chains longer than this reach nothing.
const MAX_MAKER_CHAIN: usize = 8;

/// The roles `user` holds: granted directly, and given by role mappings through groups and
/// attributes, each only as far as whoever asserted the group or attribute reaches now
/// (the creator of the SCIM token that wrote the group, the admin who configured the SSO
/// connection). A mapped role beyond that reach is not given.
pub async fn roles_of(tx: &mut TenantTx, user: UserId) -> Result<Vec<roles::Role>, DbError> {
    let mut granted = roles::direct_for_user(tx, user).await?;
    let rules = super::mapping_rules::rules(tx).await?;
    if rules.is_empty() {
        return Ok(granted);
    }
    let sources = super::mapping_rules::claim_sources(tx, user.0).await?;
    if sources.is_empty() {
        return Ok(granted);
    }
    let all = roles::list(tx).await?;
    for (asserter, claims) in sources {
        let ids = engine::role_ids(&rules, &claims);
        if ids.is_empty() {
            continue;
        }
        let reach = asserting_reach(tx, &asserter).await?;
        for role in all.iter().filter(|r| ids.contains(&r.id.0)) {
            let held: Permissions = role.permissions.iter().cloned().collect();
            if super::covers(&reach, &held) && !granted.iter().any(|g| g.id == role.id) {
                granted.push(role.clone());
            }
        }
    }
    granted.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(granted)
}

fn union(roles: &[roles::Role]) -> Permissions {
    roles
        .iter()
        .flat_map(|r| r.permissions.iter().cloned())
        .collect()
}

/// Every permission the account holds through its roles, whatever its status: what acting
/// on it requires.
pub async fn held_by(tx: &mut TenantTx, user: UserId) -> Result<Permissions, DbError> {
    Ok(union(&roles_of(tx, user).await?))
}

/// What `user` may do now: their roles' permissions while active, nothing otherwise.
pub async fn permissions_of(tx: &mut TenantTx, user: UserId) -> Result<Permissions, DbError> {
    match users::get(tx, user).await {
        Ok(u) if u.status == "active" => held_by(tx, user).await,
        Ok(_) | Err(DbError::NotFound) => Ok(Permissions::new()),
        Err(e) => Err(e),
    }
}

/// Which of a person's permissions count at the end of a maker chain.
#[derive(Clone, Copy)]
enum PersonPart {
    /// Everything they hold now (direct and mapped roles).
    Current,
    /// Their directly granted roles only.
    Direct,
}

/// Walks a maker chain (keys made by keys) down to a person or the operator, intersecting
/// each key's role on the way.
async fn walk(
    tx: &mut TenantTx,
    actor: &str,
    now: DateTime<Utc>,
    part: PersonPart,
) -> Result<Permissions, DbError> {
    Ok(walk_until(tx, actor, now, part).await?.0)
}

/// [`walk`], and the earliest expiry of a key along the chain (`None`: none expires).
async fn walk_until(
    tx: &mut TenantTx,
    actor: &str,
    now: DateTime<Utc>,
    part: PersonPart,
) -> Result<(Permissions, Option<DateTime<Utc>>), DbError> {
    let mut ceiling: Option<Permissions> = None;
    let mut ends: Option<DateTime<Utc>> = None;
    let mut current = actor.to_string();
    for _ in 0..MAX_MAKER_CHAIN {
        let found = match Maker::parse(&current) {
            Maker::Operator => everything(),
            Maker::Nobody => Permissions::new(),
            // Boxed: a person's mapped roles ask for their asserters' reach in turn.
            Maker::User(id) => match part {
                PersonPart::Current => Box::pin(permissions_of(tx, UserId(id))).await?,
                PersonPart::Direct => direct_reach(tx, UserId(id)).await?,
            },
            Maker::ApiKey(id) => match api_keys::find_usable(tx, id, now).await? {
                Some((row, _, permissions)) => {
                    ends = match (ends, row.expires_at) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    let own: Permissions = permissions.into_iter().collect();
                    ceiling = Some(match ceiling {
                        Some(c) => c.intersection(&own).cloned().collect(),
                        None => own,
                    });
                    current = row.created_by;
                    continue;
                }
                None => Permissions::new(),
            },
        };
        let reach = match ceiling {
            Some(c) => c.intersection(&found).cloned().collect(),
            None => found,
        };
        return Ok((reach, ends));
    }
    Ok((Permissions::new(), ends))
}

/// How far a credential made by `actor` reaches now: a person's current permissions (none
/// once disabled), a key's role within its own maker's reach, the operator's everything.
pub async fn reach_of_maker(
    tx: &mut TenantTx,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Permissions, DbError> {
    walk(tx, actor, now, PersonPart::Current).await
}

/// [`reach_of_maker`], and when that reach ends by itself: the earliest expiry of a key
/// along the maker chain (a credential dies with its maker, expiry included).
pub async fn reach_of_maker_until(
    tx: &mut TenantTx,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(Permissions, Option<DateTime<Utc>>), DbError> {
    walk_until(tx, actor, now, PersonPart::Current).await
}

/// How far an assertion vouched for by `actor` reaches (a SCIM group's writer, an SSO
/// connection's configurer): as [`reach_of_maker`], but a person counts with their directly
/// granted roles only, so mapped authority can never vouch for more mapped authority.
pub async fn asserting_reach(tx: &mut TenantTx, actor: &str) -> Result<Permissions, DbError> {
    walk(tx, actor, Utc::now(), PersonPart::Direct).await
}

async fn direct_reach(tx: &mut TenantTx, user: UserId) -> Result<Permissions, DbError> {
    match users::get(tx, user).await {
        Ok(u) if u.status == "active" => Ok(union(&roles::direct_for_user(tx, user).await?)),
        Ok(_) | Err(DbError::NotFound) => Ok(Permissions::new()),
        Err(e) => Err(e),
    }
}

/// Every permission the workspace's role mappings could hand out: what creating a SCIM
/// token or configuring an SSO connection (the credentials that assert groups and
/// attributes) requires.
pub async fn mapping_reach(tx: &mut TenantTx) -> Result<Permissions, DbError> {
    let rules = super::mapping_rules::rules(tx).await?;
    if rules.is_empty() {
        return Ok(Permissions::new());
    }
    let all = roles::list(tx).await?;
    Ok(all
        .iter()
        .filter(|r| rules.iter().any(|rule| rule.role_id == r.id.0))
        .flat_map(|r| r.permissions.iter().cloned())
        .collect())
}

/// Whether `claims`, vouched for by `asserter`, would be turned by the workspace's role
/// mappings into a role beyond the asserter's reach. A SCIM token may not write such a
/// group: the mapping would not count, and the write would strip what a wider maker gave.
pub async fn asserts_beyond_reach(
    tx: &mut TenantTx,
    asserter: &str,
    claims: &engine::Claims,
) -> Result<bool, DbError> {
    let rules = super::mapping_rules::rules(tx).await?;
    let ids = engine::role_ids(&rules, claims);
    if ids.is_empty() {
        return Ok(false);
    }
    let reach = asserting_reach(tx, asserter).await?;
    Ok(roles::list(tx)
        .await?
        .iter()
        .filter(|r| ids.contains(&r.id.0))
        .any(|r| r.permissions.iter().any(|p| !reach.contains(p))))
}

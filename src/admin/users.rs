//! Users and role assignments, as the admin API drives them. Every change is audited with
//! the principal as actor, in the same transaction.

use super::principal::Principal;
use crate::audit::Action;
use crate::auth::password::PasswordHasher;
use crate::db::models::{roles, users};
use crate::db::{Db, DbError, TenantTx};
use crate::error::AppError;
use crate::ids::{RoleId, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Serialize)]
pub struct UserView {
    pub id: UserId,
    pub email: String,
    pub display_name: Option<String>,
    pub status: String,
    /// Every role the person holds: given here, or by group rules through SCIM groups and
    /// SSO sign-ins (within the reach of whoever asserted them).
    pub roles: Vec<String>,
    /// The roles given to the person here (what `PUT .../roles` sets).
    pub direct_roles: Vec<String>,
    /// The roles held through group rules, each with the rule's reason.
    pub mapped_roles: Vec<MappedRole>,
    /// The identity-provider accounts linked to the person (enterprise SSO).
    pub sso_links: Vec<SsoLink>,
    pub created_at: DateTime<Utc>,
    pub mfa_enrolled: bool,
    /// A break-glass account the workspace's MFA rule does not apply to.
    pub mfa_exempt: bool,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct MappedRole {
    pub role: String,
    /// e.g. `member of group "CRM-Admins"`.
    pub because: String,
}

/// Why each role held beyond those given here is held: the group rules that match what
/// the person's SCIM groups and SSO sign-ins assert (the same engine token issuance uses).
async fn mapped_roles(
    tx: &mut TenantTx,
    user: UserId,
    held: &[String],
    direct: &[String],
) -> Result<Vec<MappedRole>, DbError> {
    if held.iter().all(|r| direct.contains(r)) {
        return Ok(Vec::new());
    }
    let rules = crate::authority::mapping_rules::rules(tx).await?;
    let mut out: Vec<MappedRole> = Vec::new();
    for (_, claims) in crate::authority::mapping_rules::claim_sources(tx, user.0).await? {
        for m in crate::authority::mapping_engine::evaluate(&rules, &claims) {
            let mapped = MappedRole {
                role: m.role,
                because: m.because,
            };
            if held.contains(&mapped.role)
                && !direct.contains(&mapped.role)
                && !out.contains(&mapped)
            {
                out.push(mapped);
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Serialize)]
pub struct SsoLink {
    pub connection_id: uuid::Uuid,
    pub connection: String,
    pub linked_at: DateTime<Utc>,
    pub last_signin_at: DateTime<Utc>,
}

pub(super) async fn view(tx: &mut TenantTx, user: users::User) -> Result<UserView, DbError> {
    let direct_roles: Vec<String> = crate::db::models::roles::direct_for_user(tx, user.id)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect();
    let links = crate::db::models::sso_flow::links_of_user(tx, user.id.0).await?;
    let sso_links = links
        .into_iter()
        .map(
            |(connection_id, connection, linked_at, last_signin_at)| SsoLink {
                connection_id,
                connection,
                linked_at,
                last_signin_at,
            },
        )
        .collect();
    let roles: Vec<String> = crate::authority::roles_of(tx, user.id)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect();
    let mfa_enrolled = crate::mfa::factors::status(tx, user.id)
        .await?
        .has_second_factor();
    Ok(UserView {
        id: user.id,
        email: user.email,
        display_name: user.display_name,
        status: user.status,
        mapped_roles: mapped_roles(tx, user.id, &roles, &direct_roles).await?,
        roles,
        direct_roles,
        sso_links,
        created_at: user.created_at,
        mfa_enrolled,
        mfa_exempt: user.mfa_exempt,
    })
}

/// Resolves role names to ids, refusing unknown roles and roles with permissions the
/// principal does not hold itself (no escalation).
pub(super) async fn grantable_roles(
    tx: &mut TenantTx,
    who: &Principal,
    names: &[String],
) -> Result<Vec<RoleId>, AppError> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let role = roles::find_by_name(tx, name)
            .await?
            .ok_or_else(|| AppError::InvalidRequest("unknown role".into()))?;
        who.require_all(&role.permissions)?;
        ids.push(role.id);
    }
    Ok(ids)
}

pub async fn list(
    db: &Db,
    who: &Principal,
    after: Option<UserId>,
    search: Option<&str>,
    limit: i64,
) -> Result<Vec<UserView>, AppError> {
    let mut tx = db.tenant(who.tenant).await?;
    let mut out = Vec::new();
    for user in users::list(&mut tx, after, search, limit.clamp(1, 200)).await? {
        out.push(view(&mut tx, user).await?);
    }
    tx.commit().await?;
    Ok(out)
}

pub async fn get(db: &Db, who: &Principal, id: UserId) -> Result<UserView, AppError> {
    let mut tx = db.tenant(who.tenant).await?;
    let user = users::get(&mut tx, id).await?;
    let v = view(&mut tx, user).await?;
    tx.commit().await?;
    Ok(v)
}

pub struct NewUserRequest<'a> {
    pub email: &'a str,
    pub display_name: Option<&'a str>,
    pub password: Option<&'a str>,
    pub roles: &'a [String],
}

/// Adds a person, as `act.who`, with roles they may grant.
pub async fn create(
    act: &super::act::Act<'_>,
    hasher: &PasswordHasher,
    req: NewUserRequest<'_>,
) -> Result<UserView, AppError> {
    let (db, who) = (act.db, act.who);
    if !super::bootstrap::valid_email(req.email) {
        return Err(AppError::InvalidRequest(
            "email is not a valid address".into(),
        ));
    }
    if req
        .display_name
        .is_some_and(|n| !crate::text::is_plain(n, 200))
    {
        return Err(AppError::InvalidRequest(
            "display_name must be 1-200 printable characters".into(),
        ));
    }
    let password_hash = match req.password {
        Some(p) => {
            crate::auth::password::check_policy(p)
                .map_err(|e| AppError::InvalidRequest(e.to_string()))?;
            Some(hasher.hash(p).await.map_err(AppError::internal)?)
        }
        None => None,
    };
    let mut tx = db.tenant(who.tenant).await?;
    let role_ids = grantable_roles(&mut tx, who, req.roles).await?;
    let user = users::insert(
        &mut tx,
        &users::NewUser {
            email: req.email,
            display_name: req.display_name,
            password_hash: password_hash.as_deref(),
        },
    )
    .await?;
    roles::set_for_user(&mut tx, user.id, &role_ids).await?;
    let details = json!({"roles": req.roles});
    let target = format!("user:{}", user.id);
    act.context()
        .record(&mut tx, Action::UserCreated, &target, details)
        .await?;
    let v = view(&mut tx, user).await?;
    tx.commit().await?;
    Ok(v)
}

//! "Test connection": an admin runs a real sign-in through a connection and sees what the
//! IdP sent and what sign-in would make of it (the account it would create, link or
//! refresh, the roles the person would hold and which rule gives each), without a session
//! and without keeping anything: provisioning runs in a transaction that is rolled back.
//! A test starts from a one-time link (so it runs in the admin's browser, bound to it by
//! the usual SSO cookie) and works on a disabled connection, so it can be tried first.

use super::connections::{self, Connection};
use super::test_outcome::{Account, Matched, Outcome};
use super::{jit, ExternalIdentity, SsoError};
use crate::admin::act::Act;
use crate::audit::{Action, Context};
use crate::authority::mapping_engine as engine;
use crate::crypto::tenant_token;
use crate::db::models::{roles, sso_tests as model};
use crate::db::Db;
use crate::error::AppError;
use crate::ids::TenantId;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use uuid::Uuid;

const START_PREFIX: &str = "idt_";
/// The key in a sign-in's carried request that marks it a test.
const TEST_KEY: &str = "sso_test";
const LINK_MINUTES: i64 = 10;
/// Results are kept a day: long enough to read, short for the tester's attributes.
const KEPT_HOURS: i64 = 24;

pub struct Created {
    pub id: Uuid,
    pub start_url: String,
    pub expires_at: DateTime<Utc>,
}

/// Creates a test of connection `connection` by `who`; its one-time start link.
pub async fn create(
    act: &Act<'_>,
    public_url: &str,
    connection: Uuid,
) -> Result<Created, AppError> {
    let (db, who, now) = (act.db, act.who, act.now);
    let mut tx = db.tenant(who.tenant).await?;
    connections::load(&mut tx, connection)
        .await
        .map_err(|e| match e {
            SsoError::NotFound => AppError::NotFound,
            _ => AppError::Unavailable,
        })?;
    model::purge(&mut tx, now - Duration::hours(KEPT_HOURS)).await?;
    let (id, link) = (Uuid::new_v4(), tenant_token::mint(START_PREFIX, who.tenant));
    let expires_at = now + Duration::minutes(LINK_MINUTES);
    let new = model::NewTest {
        id,
        connection,
        started_by: &who.actor,
        start_hash: &tenant_token::hash(&link),
        now,
        expires_at,
    };
    model::insert(&mut tx, &new).await?;
    let target = format!("sso_connection:{connection}");
    let details = json!({ "test": id });
    act.context()
        .record(&mut tx, Action::SsoConnectionTestStarted, &target, details)
        .await?;
    tx.commit().await?;
    let base = public_url.trim_end_matches('/');
    Ok(Created {
        id,
        start_url: format!("{base}/sso/test/{link}"),
        expires_at,
    })
}

/// Whether `link` has the form of a start link (checked before showing its page).
pub fn is_link(link: &str) -> bool {
    tenant_token::tenant_of(START_PREFIX, link).is_some()
}

/// Takes a start link once: the workspace, the connection and the carried request that
/// marks the sign-in a test.
pub async fn take_link(
    db: &Db,
    link: &str,
    now: DateTime<Utc>,
) -> Result<(TenantId, Uuid, HashMap<String, String>), SsoError> {
    let tenant = tenant_token::tenant_of(START_PREFIX, link).ok_or(SsoError::Expired)?;
    let mut tx = db.tenant(tenant).await?;
    let (id, connection) = model::start(&mut tx, &tenant_token::hash(link), now)
        .await?
        .ok_or(SsoError::Expired)?;
    tx.commit().await?;
    let request = HashMap::from([(TEST_KEY.to_string(), id.to_string())]);
    Ok((tenant, connection, request))
}

/// Whether a sign-in's carried request is a test.
pub fn is_test(request: &HashMap<String, String>) -> bool {
    request.contains_key(TEST_KEY)
}

/// The test a stored sign-in request belongs to, if it is one.
pub fn test_of(request: &Value) -> Option<Uuid> {
    request.get(TEST_KEY)?.as_str()?.parse().ok()
}

fn refusal(e: &SsoError) -> String {
    match e {
        SsoError::Rejected(r) => (*r).to_string(),
        other => other.to_string(),
    }
}

/// The roles the person would hold after this sign-in (what they hold now, and what the
/// matched rules give within the reach of the admin who configured the connection, as
/// token issuance computes it, whether or not the connection is on yet), and the matched
/// roles withheld because they are beyond that reach.
async fn roles_after(
    tx: &mut crate::db::TenantTx,
    conn: &Connection,
    user: crate::ids::UserId,
    matches: &[engine::Match],
) -> Result<(Vec<String>, Vec<String>), SsoError> {
    let mut held: Vec<String> = crate::authority::roles_of(tx, user)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect();
    let reach = crate::authority::asserting_reach(tx, &conn.configured_by).await?;
    let mut withheld = Vec::new();
    for role in roles::list(tx).await? {
        if !matches.iter().any(|m| m.role == role.name) || held.contains(&role.name) {
            continue;
        }
        let needs: crate::authority::Permissions = role.permissions.iter().cloned().collect();
        match crate::authority::covers(&reach, &needs) {
            true => held.push(role.name),
            false => withheld.push(role.name),
        }
    }
    held.sort();
    Ok((held, withheld))
}

/// What sign-in would do with `ident`: provisioning and the roles the person would then
/// hold, in a transaction rolled back whatever happens.
async fn rehearse(
    db: &Db,
    ctx: &Context<'_>,
    conn: &Connection,
    ident: &ExternalIdentity,
) -> Result<Outcome, SsoError> {
    let mut tx = db.tenant(conn.tenant).await?;
    let rules = crate::authority::mapping_rules::rules(&mut tx).await?;
    let claims = engine::Claims {
        groups: ident.groups.clone(),
        attributes: ident.attributes.clone(),
    };
    let matches = engine::evaluate(&rules, &claims);
    let matched = Some(matches.iter().map(matched).collect());
    let provisioned = jit::provision(&mut tx, ctx, conn, ident).await;
    let outcome = match provisioned {
        Ok((user, action)) => {
            let (roles, withheld) = roles_after(&mut tx, conn, user.id, &matches).await?;
            let (result, user_id) = match action {
                Action::SsoUserProvisioned => ("would_be_created", None),
                Action::SsoAccountLinked => ("would_be_linked", Some(user.id.0)),
                _ => ("already_linked", Some(user.id.0)),
            };
            Outcome {
                status: "succeeded".into(),
                account: Some(Account {
                    result: result.into(),
                    user_id,
                }),
                roles: Some(roles),
                withheld: Some(withheld),
                matches: matched,
                ..Default::default()
            }
        }
        Err(e @ (SsoError::Unavailable | SsoError::Upstream)) => return Err(e),
        Err(e) => Outcome {
            matches: matched,
            ..Outcome::refused(refusal(&e))
        },
    };
    tx.rollback().await?;
    Ok(outcome)
}

/// Records the outcome of test `test` (a verified identity or the reason it was refused).
pub async fn record(
    db: &Db,
    ctx: &Context<'_>,
    (tenant, test): (TenantId, Uuid),
    verified: Result<(&Connection, &ExternalIdentity), &SsoError>,
) -> Result<(), SsoError> {
    let (outcome, connection) = match verified {
        Ok((conn, ident)) => {
            let mut o = rehearse(db, ctx, conn, ident).await?;
            o.identity = Some(ident.clone());
            (o, Some(conn.id))
        }
        Err(e) => (Outcome::refused(refusal(e)), None),
    };
    let stored = serde_json::to_value(&outcome).map_err(|_| SsoError::Unavailable)?;
    let mut tx = db.tenant(tenant).await?;
    model::finish(&mut tx, test, &stored, ctx.now).await?;
    let target = connection.map_or(format!("sso_test:{test}"), |c| {
        format!("sso_connection:{c}")
    });
    let details = json!({ "test": test, "status": outcome.status, "reason": outcome.reason });
    ctx.by("anonymous")
        .record(&mut tx, Action::SsoConnectionTested, &target, details)
        .await
        .map_err(|_| SsoError::Unavailable)?;
    tx.commit().await?;
    Ok(())
}

/// A test as admins read it: pending (or started) until the IdP answers, then its outcome.
#[derive(Debug, Serialize)]
pub struct TestView {
    pub id: Uuid,
    pub connection_id: Uuid,
    pub started_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// A test as the admin API shows it: pending until the IdP answers, then the outcome.
pub async fn view(
    db: &Db,
    tenant: TenantId,
    connection: Uuid,
    id: Uuid,
) -> Result<TestView, AppError> {
    let mut tx = db.tenant_read(tenant).await?;
    let row = model::get(&mut tx, connection, id).await?;
    tx.commit().await?;
    let row = row.ok_or(AppError::NotFound)?;
    let outcome = match (row.outcome, row.started_at) {
        (Some(o), _) => serde_json::from_value(o).map_err(AppError::internal)?,
        (None, started) => Outcome {
            status: if started.is_some() {
                "started"
            } else {
                "pending"
            }
            .into(),
            ..Default::default()
        },
    };
    Ok(TestView {
        id: row.id,
        connection_id: row.connection_id,
        started_by: row.started_by,
        created_at: row.created_at,
        expires_at: row.expires_at,
        finished_at: row.finished_at,
        outcome,
    })
}

fn matched(m: &engine::Match) -> Matched {
    Matched {
        rule: m.rule,
        role: m.role.clone(),
        because: m.because.clone(),
    }
}

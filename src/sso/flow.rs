//! SSO sign-ins in flight. `start` records the request (state or RelayState, the SAML
//! request id or OIDC nonce, the authorization request to resume) and binds it to the
//! browser with a cookie whose value is also the PKCE verifier; only hashes are stored.
//! `finish_saml` / `finish_oidc` take the request once, check the IdP's answer, refuse a
//! replayed assertion, and provision the user. Failures are audited with their reason.

use super::connections::{self, Kind, OIDC_CLIENT_SECRET, SAML_SP_KEY};
use super::outbound::Outbound;
use super::{connection_test, jit, oidc_rp, saml, sp_keys, SsoError};
use crate::audit::Action;
use crate::audit::{self, Event, Origin};
use crate::crypto::{random, tenant_token, Envelope};
use crate::db::models::sso_flow::{self as model, RequestRow};
use crate::db::models::users::User;
use crate::db::Db;
use crate::ids::TenantId;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Semaphore;
use uuid::Uuid;

const STATE_PREFIX: &str = "ids_";
/// How long the IdP has to send the person back.
const LIFETIME_MINS: i64 = 10;

pub struct Started {
    pub redirect: String,
    /// Value of the browser-binding cookie.
    pub browser: String,
}

/// Sends the person to the connection's IdP, to resume `request` afterwards.
pub async fn start(
    db: &Db,
    net: &Outbound,
    public_url: &str,
    tenant: TenantId,
    connection: Uuid,
    request: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> Result<Started, SsoError> {
    let mut tx = db.tenant_read(tenant).await?;
    let conn = connections::load(&mut tx, connection).await?;
    tx.commit().await?;
    if !conn.enabled && !connection_test::is_test(request) {
        return Err(SsoError::Disabled);
    }
    let state = tenant_token::mint(STATE_PREFIX, tenant);
    let browser = random::token::<32>();
    let urls = connections::urls(public_url, tenant, conn.id);
    let (redirect, saml_id, nonce) = match &conn.kind {
        Kind::Saml(s) => {
            let (url, id) = saml::authn_request(s, &urls.acs, &state)?;
            (url, Some(id), None)
        }
        Kind::Oidc(o) => {
            let nonce = random::token::<32>();
            let url =
                oidc_rp::authorization_url(net, o, &urls.oidc_redirect, &state, &nonce, &browser)
                    .await?;
            (url, None, Some(nonce))
        }
    };
    let mut tx = db.tenant(tenant).await?;
    // Keeps requests and remembered assertion ids bounded without a separate job.
    model::purge_expired(&mut tx, now).await?;
    model::insert_request(
        &mut tx,
        &model::NewRequest {
            state_hash: &tenant_token::hash(&state),
            connection: conn.id,
            browser_hash: &tenant_token::hash(&browser),
            saml_request_id: saml_id.as_deref(),
            oidc_nonce: nonce.as_deref(),
            request: &serde_json::to_value(request).unwrap_or_default(),
            now,
            expires_at: now + Duration::minutes(LIFETIME_MINS),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Started { redirect, browser })
}

/// A finished SSO sign-in: who, how, and the authorization request to resume.
pub struct Finished {
    pub tenant: TenantId,
    pub user: User,
    pub amr: Vec<String>,
    pub request: HashMap<String, String>,
}

/// How an IdP's answer ended: a sign-in to resume, or an admin's connection test whose
/// outcome is recorded (refusals included) for the console to show.
pub enum Done {
    SignedIn(Finished),
    Tested {
        tenant: TenantId,
        connection: Uuid,
        test: Uuid,
    },
}

/// What an IdP's checked answer established.
struct Verified {
    conn: connections::Connection,
    ident: super::ExternalIdentity,
    /// SAML: the assertion id and until when to remember it (replay).
    seen: Option<(String, DateTime<Utc>)>,
}

/// Takes the live request named by `state` for this browser, or fails with `Expired`.
async fn take(
    db: &Db,
    state: &str,
    browser: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(TenantId, RequestRow), SsoError> {
    let tenant = tenant_token::tenant_of(STATE_PREFIX, state).ok_or(SsoError::Expired)?;
    let browser = browser.ok_or(SsoError::Expired)?;
    let mut tx = db.tenant(tenant).await?;
    let row = model::take_request(
        &mut tx,
        &tenant_token::hash(state),
        &tenant_token::hash(browser),
        now,
    )
    .await?
    .ok_or(SsoError::Expired)?;
    tx.commit().await?;
    Ok((tenant, row))
}

async fn audit_failure(
    db: &Db,
    envelope: &Envelope,
    tenant: TenantId,
    connection: Uuid,
    e: &SsoError,
    origin: &Origin,
    now: DateTime<Utc>,
) {
    let reason = match e {
        SsoError::Rejected(r) => (*r).to_string(),
        other => other.to_string(),
    };
    tracing::info!(%connection, reason = %reason, "SSO sign-in refused");
    let event = Event {
        actor: "anonymous",
        action: Action::SsoSigninFailed,
        target: &format!("sso_connection:{connection}"),
        details: json!({ "reason": reason }),
    };
    // The person gets the refusal page whether or not this is recorded; a lost entry is
    // logged and counted, never silent.
    let recorded = async {
        let mut tx = db.tenant(tenant).await.ok()?;
        audit::record(&mut tx, envelope, event, origin, now)
            .await
            .ok()?;
        tx.commit().await.ok()
    };
    if recorded.await.is_none() {
        tracing::warn!(%connection, "a refused SSO sign-in could not be audited");
        crate::telemetry::lost::count(crate::telemetry::lost::AUDIT_ENTRY);
    }
}

fn request_map(v: serde_json::Value) -> HashMap<String, String> {
    serde_json::from_value(v).unwrap_or_default()
}

/// Provisions the person in one transaction with the replay mark (SAML).
async fn provision(
    db: &Db,
    envelope: &Envelope,
    tenant: TenantId,
    v: &Verified,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<User, SsoError> {
    let mut tx = db.tenant(tenant).await?;
    if let Some((id, until)) = &v.seen {
        if !model::first_use_of_assertion(&mut tx, v.conn.id, id, *until).await? {
            return Err(SsoError::Rejected("the assertion was already used"));
        }
    }
    let (user, _) = jit::provision(&mut tx, envelope, &v.conn, &v.ident, origin, now).await?;
    tx.commit().await?;
    Ok(user)
}

/// After the IdP's answer was checked: a test records its outcome; a sign-in provisions
/// the person, or audits why not.
async fn conclude(
    db: &Db,
    envelope: &Envelope,
    (tenant, row): (TenantId, RequestRow),
    verified: Result<Verified, SsoError>,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Done, SsoError> {
    let connection = row.connection_id;
    if let Some(test) = connection_test::test_of(&row.request) {
        let checked = verified.as_ref().map(|v| (&v.conn, &v.ident));
        connection_test::record(db, envelope, (tenant, test), checked, origin, now).await?;
        return Ok(Done::Tested {
            tenant,
            connection,
            test,
        });
    }
    let result = match verified {
        Ok(v) => provision(db, envelope, tenant, &v, origin, now)
            .await
            .map(|user| (user, v.ident.amr(v.conn.idp_mfa_accepted))),
        Err(e) => Err(e),
    };
    match result {
        Ok((user, amr)) => Ok(Done::SignedIn(Finished {
            tenant,
            user,
            amr,
            request: request_map(row.request),
        })),
        Err(e) => {
            audit_failure(db, envelope, tenant, connection, &e, origin, now).await;
            Err(e)
        }
    }
}

/// The ACS: a `SAMLResponse` posted for connection `connection_id` with `relay_state`.
#[allow(clippy::too_many_arguments)]
pub async fn finish_saml(
    db: &Db,
    envelope: &Envelope,
    checks: &Arc<Semaphore>,
    public_url: &str,
    (path_tenant, connection_id): (TenantId, Uuid),
    relay_state: &str,
    saml_response: &str,
    browser: Option<&str>,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Done, SsoError> {
    let (tenant, row) = take(db, relay_state, browser, now).await?;
    if row.connection_id != connection_id || tenant != path_tenant {
        return Err(SsoError::Expired);
    }
    let testing = connection_test::test_of(&row.request).is_some();
    let verified = async {
        let mut tx = db.tenant_read(tenant).await?;
        let conn = connections::load(&mut tx, connection_id).await?;
        let key = connections::secret(&mut tx, envelope, conn.id, SAML_SP_KEY).await?;
        tx.commit().await?;
        let (Kind::Saml(settings), true) = (&conn.kind, conn.enabled || testing) else {
            return Err(SsoError::Disabled);
        };
        let key = key.map(|pem| sp_keys::load(&pem)).transpose()?;
        let acs = connections::urls(public_url, tenant, conn.id).acs;
        let expected = row.saml_request_id.clone().unwrap_or_default();
        let (settings2, response) = (settings.clone(), saml_response.to_string());
        // xmlsec and RSA work stay off the async workers, one check per permit; the permit
        // goes with the work, so a request dropped while it runs does not free it early.
        let permit = checks
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| SsoError::Unavailable)?;
        let checked = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            saml::verify(&settings2, &acs, key, &response, &expected, now)
        })
        .await
        .map_err(|_| SsoError::Unavailable)??;
        Ok(Verified {
            conn,
            ident: checked.identity,
            seen: Some((checked.assertion_id, checked.expires_at)),
        })
    }
    .await;
    conclude(db, envelope, (tenant, row), verified, origin, now).await
}

/// The OIDC redirect URI: `code` and `state` from the provider.
#[allow(clippy::too_many_arguments)]
pub async fn finish_oidc(
    db: &Db,
    envelope: &Envelope,
    net: &Outbound,
    public_url: &str,
    state: &str,
    code: &str,
    iss: Option<&str>,
    browser: Option<&str>,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Done, SsoError> {
    let (tenant, row) = take(db, state, browser, now).await?;
    let verifier = browser.unwrap_or_default().to_string();
    let testing = connection_test::test_of(&row.request).is_some();
    let verified = async {
        let mut tx = db.tenant_read(tenant).await?;
        let conn = connections::load(&mut tx, row.connection_id).await?;
        let secret = connections::secret(&mut tx, envelope, conn.id, OIDC_CLIENT_SECRET)
            .await?
            .ok_or(SsoError::Unavailable)?;
        tx.commit().await?;
        let (Kind::Oidc(settings), true) = (&conn.kind, conn.enabled || testing) else {
            return Err(SsoError::Disabled);
        };
        let secret = String::from_utf8(secret.to_vec()).map_err(|_| SsoError::Unavailable)?;
        let redirect = connections::urls(public_url, tenant, conn.id).oidc_redirect;
        let nonce = row.oidc_nonce.clone().unwrap_or_default();
        // RFC 9207: a provider that names itself must be this sign-in's (mix-up defence).
        if iss.is_some_and(|i| i.trim_end_matches('/') != settings.issuer) {
            return Err(SsoError::Rejected("the response names another issuer"));
        }
        let ident =
            oidc_rp::finish(net, settings, &secret, &redirect, code, &nonce, &verifier).await?;
        Ok(Verified {
            conn,
            ident,
            seen: None,
        })
    }
    .await;
    conclude(db, envelope, (tenant, row), verified, origin, now).await
}

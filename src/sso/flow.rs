//! SSO sign-ins in flight. `start` records the request (state or RelayState, the SAML
//! request id or OIDC nonce, the authorization request to resume) and binds it to the
//! browser with a cookie whose value is also the PKCE verifier; only hashes are stored.
//! `finish_saml` / `finish_oidc` take the request once, check the IdP's answer, refuse a
//! replayed assertion, and provision the user. Failures are audited with their reason.

use super::connections::{self, Kind, OIDC_CLIENT_SECRET, SAML_SP_KEY};
use super::outbound::Outbound;
use super::{connection_test, jit, oidc_rp, saml, sp_keys, SsoError};
use crate::audit::{Action, Context};
use crate::crypto::{random, tenant_token};
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
    ctx: &Context<'_>,
    (tenant, connection): (TenantId, Uuid),
    e: &SsoError,
) {
    let reason = match e {
        SsoError::Rejected(r) => (*r).to_string(),
        other => other.to_string(),
    };
    tracing::info!(%connection, reason = %reason, "SSO sign-in refused");
    let target = format!("sso_connection:{connection}");
    let details = json!({ "reason": reason });
    // The person gets the refusal page whether or not this is recorded; a lost entry is
    // logged and counted, never silent.
    let recorded = async {
        let mut tx = db.tenant(tenant).await.ok()?;
        ctx.by("anonymous")
            .record(&mut tx, Action::SsoSigninFailed, &target, details)
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
    ctx: &Context<'_>,
    tenant: TenantId,
    v: &Verified,
) -> Result<User, SsoError> {
    let mut tx = db.tenant(tenant).await?;
    if let Some((id, until)) = &v.seen {
        if !model::first_use_of_assertion(&mut tx, v.conn.id, id, *until).await? {
            return Err(SsoError::Rejected("the assertion was already used"));
        }
    }
    let (user, _) = jit::provision(&mut tx, ctx, &v.conn, &v.ident).await?;
    tx.commit().await?;
    Ok(user)
}

/// After the IdP's answer was checked: a test records its outcome; a sign-in provisions
/// the person, or audits why not.
async fn conclude(
    db: &Db,
    ctx: &Context<'_>,
    (tenant, row): (TenantId, RequestRow),
    verified: Result<Verified, SsoError>,
) -> Result<Done, SsoError> {
    let connection = row.connection_id;
    if let Some(test) = connection_test::test_of(&row.request) {
        let checked = verified.as_ref().map(|v| (&v.conn, &v.ident));
        connection_test::record(db, ctx, (tenant, test), checked).await?;
        return Ok(Done::Tested {
            tenant,
            connection,
            test,
        });
    }
    let result = match verified {
        Ok(v) => provision(db, ctx, tenant, &v)
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
            audit_failure(db, ctx, (tenant, connection), &e).await;
            Err(e)
        }
    }
}

/// What a SAML IdP posted to the ACS of `place` (workspace, connection), through the
/// browser holding the binding cookie `browser`.
pub struct SamlAnswer<'a> {
    pub place: (TenantId, Uuid),
    pub relay_state: &'a str,
    pub response: &'a str,
    pub browser: Option<&'a str>,
}

/// What an OIDC provider sent to the redirect URI, through the browser.
#[derive(Clone, Copy)]
pub struct OidcAnswer<'a> {
    pub state: &'a str,
    pub code: &'a str,
    /// RFC 9207's `iss`, when the provider names itself.
    pub iss: Option<&'a str>,
    pub browser: Option<&'a str>,
}

/// The ACS: a `SAMLResponse`, checked off the async workers (at most `checks` at once).
pub async fn finish_saml(
    db: &Db,
    ctx: &Context<'_>,
    checks: &Arc<Semaphore>,
    public_url: &str,
    answer: &SamlAnswer<'_>,
) -> Result<Done, SsoError> {
    let (envelope, now) = (ctx.envelope, ctx.now);
    let (path_tenant, connection_id) = answer.place;
    let (relay_state, saml_response) = (answer.relay_state, answer.response);
    let (tenant, row) = take(db, relay_state, answer.browser, now).await?;
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
    conclude(db, ctx, (tenant, row), verified).await
}

/// The OIDC redirect URI: `code` and `state` from the provider.
pub async fn finish_oidc(
    db: &Db,
    ctx: &Context<'_>,
    net: &Outbound,
    public_url: &str,
    answer: &OidcAnswer<'_>,
) -> Result<Done, SsoError> {
    let (envelope, now) = (ctx.envelope, ctx.now);
    let OidcAnswer {
        state,
        code,
        iss,
        browser,
    } = *answer;
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
    conclude(db, ctx, (tenant, row), verified).await
}

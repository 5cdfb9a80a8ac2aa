//! SSO connections as admins read them: the URLs this service gives each connection (SP
//! entity id and ACS for SAML, the redirect URI for OIDC) and the admin view, secrets left
//! out (only whether an OIDC client secret is set).

use super::settings::{urls, OidcSettings, SamlSettings, OIDC_CLIENT_SECRET};
use crate::db::models::sso_connections::{self as model, ConnectionRow};
use crate::db::{Db, TenantTx};
use crate::error::AppError;
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// A connection as admins read it (the admin API's JSON, the console's page).
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionView {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub enabled: bool,
    pub domains: Vec<DomainView>,
    pub password_signin_allowed: bool,
    pub idp_mfa_accepted: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saml: Option<SamlView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcView>,
}

/// A domain the connection serves; `verified` links existing accounts of it.
#[derive(Debug, Clone, Serialize)]
pub struct DomainView {
    pub domain: String,
    pub verified: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SamlView {
    /// The IdP's metadata is in (a draft has none yet).
    pub configured: bool,
    pub idp_metadata_url: Option<String>,
    pub idp_entity_id: String,
    pub idp_sso_url: String,
    pub sp_entity_id: String,
    pub acs_url: String,
    pub metadata_url: String,
    pub clock_skew_secs: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct OidcView {
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub groups_claim: String,
    pub use_userinfo: bool,
    pub redirect_uri: String,
    pub client_secret_set: bool,
}

/// The admin view of a connection.
pub async fn view(
    tx: &mut TenantTx,
    row: ConnectionRow,
    public_url: &str,
) -> Result<ConnectionView, AppError> {
    let tenant = tx.tenant();
    let domains = model::domains(tx, row.id).await?;
    let u = urls(public_url, tenant, row.id);
    let (mut saml, mut oidc) = (None, None);
    if row.kind == "saml" {
        let s: SamlSettings = serde_json::from_value(row.settings).map_err(AppError::internal)?;
        saml = Some(SamlView {
            configured: !s.idp_metadata.is_empty(),
            idp_metadata_url: s.idp_metadata_url,
            idp_entity_id: s.idp_entity_id,
            idp_sso_url: s.idp_sso_url,
            sp_entity_id: s.sp_entity_id,
            acs_url: u.acs,
            metadata_url: u.metadata,
            clock_skew_secs: s.clock_skew_secs,
        });
    } else {
        let o: OidcSettings = serde_json::from_value(row.settings).map_err(AppError::internal)?;
        let secret = model::secret_row_id(tx, row.id, OIDC_CLIENT_SECRET).await?;
        oidc = Some(OidcView {
            issuer: o.issuer,
            client_id: o.client_id,
            scopes: o.scopes,
            groups_claim: o.groups_claim,
            use_userinfo: o.use_userinfo,
            redirect_uri: u.oidc_redirect,
            client_secret_set: secret.is_some(),
        });
    }
    let domains = domains
        .into_iter()
        .map(|d| DomainView {
            domain: d.domain,
            verified: d.verified,
        })
        .collect();
    Ok(ConnectionView {
        id: row.id,
        name: row.name,
        kind: row.kind,
        enabled: row.enabled,
        domains,
        password_signin_allowed: row.password_signin_allowed,
        idp_mfa_accepted: row.idp_mfa_accepted,
        created_at: row.created_at,
        updated_at: row.updated_at,
        saml,
        oidc,
    })
}

pub async fn list(
    db: &Db,
    tenant: TenantId,
    public_url: &str,
) -> Result<Vec<ConnectionView>, AppError> {
    let mut tx = db.tenant_read(tenant).await?;
    let rows = model::list(&mut tx).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(view(&mut tx, r, public_url).await?);
    }
    tx.commit().await?;
    Ok(out)
}

pub async fn get(
    db: &Db,
    tenant: TenantId,
    id: Uuid,
    public_url: &str,
) -> Result<ConnectionView, AppError> {
    let mut tx = db.tenant_read(tenant).await?;
    let row = model::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let out = view(&mut tx, row, public_url).await?;
    tx.commit().await?;
    Ok(out)
}

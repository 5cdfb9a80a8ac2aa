//! SSO connections as admins read them: the URLs this service gives each connection (SP
//! entity id and ACS for SAML, the redirect URI for OIDC) and the admin view, secrets left
//! out (only whether an OIDC client secret is set).

use super::settings::{urls, OidcSettings, SamlSettings, OIDC_CLIENT_SECRET};
use crate::db::models::sso_connections::{self as model, ConnectionRow};
use crate::db::{Db, TenantTx};
use crate::error::AppError;
use crate::ids::TenantId;
use serde_json::json;
use uuid::Uuid;

/// The admin view of a connection.
pub async fn view(
    tx: &mut TenantTx,
    row: ConnectionRow,
    public_url: &str,
) -> Result<serde_json::Value, AppError> {
    let tenant = tx.tenant();
    let doms = model::domains(tx, row.id).await?;
    let u = urls(public_url, tenant, row.id);
    let detail = match row.kind.as_str() {
        "saml" => {
            let s: SamlSettings =
                serde_json::from_value(row.settings).map_err(AppError::internal)?;
            json!({ "saml": {
                "configured": !s.idp_metadata.is_empty(), "idp_metadata_url": s.idp_metadata_url,
                "idp_entity_id": s.idp_entity_id, "idp_sso_url": s.idp_sso_url,
                "sp_entity_id": s.sp_entity_id, "acs_url": u.acs, "metadata_url": u.metadata,
                "clock_skew_secs": s.clock_skew_secs,
            }})
        }
        _ => {
            let o: OidcSettings =
                serde_json::from_value(row.settings).map_err(AppError::internal)?;
            let has_secret = model::secret_row_id(tx, row.id, OIDC_CLIENT_SECRET)
                .await?
                .is_some();
            json!({ "oidc": {
                "issuer": o.issuer, "client_id": o.client_id, "scopes": o.scopes,
                "groups_claim": o.groups_claim, "use_userinfo": o.use_userinfo,
                "redirect_uri": u.oidc_redirect, "client_secret_set": has_secret,
            }})
        }
    };
    let mut v = json!({
        "id": row.id, "name": row.name, "kind": row.kind, "enabled": row.enabled,
        "domains": doms, "password_signin_allowed": row.password_signin_allowed,
        "idp_mfa_accepted": row.idp_mfa_accepted,
        "created_at": row.created_at, "updated_at": row.updated_at,
    });
    if let (Some(obj), Some(extra)) = (v.as_object_mut(), detail.as_object()) {
        obj.extend(extra.clone());
    }
    Ok(v)
}

pub async fn list(
    db: &Db,
    tenant: TenantId,
    public_url: &str,
) -> Result<Vec<serde_json::Value>, AppError> {
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
) -> Result<serde_json::Value, AppError> {
    let mut tx = db.tenant_read(tenant).await?;
    let row = model::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let out = view(&mut tx, row, public_url).await?;
    tx.commit().await?;
    Ok(out)
}

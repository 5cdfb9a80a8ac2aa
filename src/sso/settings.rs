//! What a connection stores as its settings (SAML and OIDC), the names of its secrets, and
//! the URLs this service publishes for it. A leaf: the connection modules, the SAML SP and
//! the OIDC RP all read these, and it reads none of them.

use crate::ids::TenantId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const OIDC_CLIENT_SECRET: &str = "oidc_client_secret";
pub const SAML_SP_KEY: &str = "saml_sp_key";

/// SAML settings, stored as the connection's `settings`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SamlSettings {
    /// Empty while the connection is a draft (no IdP yet).
    pub idp_metadata: String,
    /// Where the metadata was fetched from, when it was.
    #[serde(default)]
    pub idp_metadata_url: Option<String>,
    pub idp_entity_id: String,
    pub idp_sso_url: String,
    pub sp_entity_id: String,
    /// Base64 DER of the SP certificate IdPs encrypt to.
    pub sp_cert_der: String,
    pub clock_skew_secs: i64,
}

/// OIDC settings, stored as the connection's `settings` (the client secret is in
/// `sso_secrets`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub groups_claim: String,
    pub use_userinfo: bool,
}

/// URLs of a connection at this service.
pub struct Urls {
    pub acs: String,
    pub metadata: String,
    pub oidc_redirect: String,
}

pub fn urls(public_url: &str, tenant: TenantId, id: Uuid) -> Urls {
    let base = public_url.trim_end_matches('/');
    Urls {
        acs: format!("{base}/sso/saml/{}/{id}/acs", tenant.0),
        metadata: format!("{base}/sso/saml/{}/{id}/metadata", tenant.0),
        oidc_redirect: format!("{base}/sso/oidc/callback"),
    }
}

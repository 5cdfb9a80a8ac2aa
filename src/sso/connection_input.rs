//! What an admin sends to create or replace an SSO connection, and its validation: SAML
//! metadata with a signing certificate, an https issuer for OIDC, plain names and scopes,
//! and only domains the workspace has claimed (each normalised, none twice).

use super::outbound::Outbound;
use super::settings::{urls, OidcSettings, SamlSettings};
use super::SsoError;
use crate::auth::domains;
use crate::db::models::domains as claimed;
use crate::db::models::sso_connections::DomainRow;
use crate::db::TenantTx;
use crate::error::AppError;
use crate::ids::TenantId;
use serde::Deserialize;
use uuid::Uuid;

/// The admin API's input for create and replace.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionInput {
    pub name: String,
    pub kind: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub domains: Vec<DomainInput>,
    #[serde(default = "yes")]
    pub password_signin_allowed: bool,
    /// Absent: `false` on create, the stored value on replace.
    pub idp_mfa_accepted: Option<bool>,
    pub saml: Option<SamlInput>,
    pub oidc: Option<OidcInput>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamlInput {
    /// The IdP's EntityDescriptor XML; or `idp_metadata_url` to fetch it from; or neither
    /// for a draft (disabled) connection whose SP values an admin needs before the IdP's.
    pub idp_metadata: Option<String>,
    pub idp_metadata_url: Option<String>,
    pub sp_entity_id: Option<String>,
    pub clock_skew_secs: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcInput {
    pub issuer: String,
    pub client_id: String,
    /// Required on create; on replace, absent keeps the stored secret.
    pub client_secret: Option<secrecy::SecretString>,
    pub scopes: Option<Vec<String>>,
    pub groups_claim: Option<String>,
    pub use_userinfo: Option<bool>,
}

/// One domain a connection is to serve, as given (`verified`: it may link existing
/// accounts); checked and normalised by [`checked_domains`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainInput {
    pub domain: String,
    #[serde(default)]
    pub verified: bool,
}

/// An issuer URL this service may call: https to a public address (http and private
/// addresses only where `sso.allow_private_networks` is set), no query or fragment.
fn issuer_ok(issuer: &str, net: &Outbound) -> bool {
    let Ok(u) = url::Url::parse(issuer) else {
        return false;
    };
    net.check(&u).is_ok() && u.query().is_none() && u.fragment().is_none()
}

pub(super) fn bad(m: &str) -> AppError {
    AppError::InvalidRequest(m.to_string())
}

/// IdP metadata XML and the URL it was fetched from, if it was.
pub(super) type Metadata = (String, Option<String>);

/// The IdP metadata of a SAML input: pasted, or fetched once from its URL (Okta's and
/// Entra ID's "metadata URL") through the outbound client's address checks. None: neither
/// was given (a draft on create; on replace, the stored metadata stays).
pub(super) async fn saml_metadata(
    input: &ConnectionInput,
    net: &Outbound,
) -> Result<Option<Metadata>, AppError> {
    let Some(s) = input.saml.as_ref() else {
        return Ok(None);
    };
    let pasted = s.idp_metadata.as_deref().filter(|m| !m.trim().is_empty());
    let url = s
        .idp_metadata_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    match (pasted, url) {
        (Some(_), Some(_)) => Err(bad("give idp_metadata or idp_metadata_url, not both")),
        (Some(md), None) => Ok(Some((md.to_string(), None))),
        (None, None) => Ok(None),
        (None, Some(u)) => {
            if !issuer_ok(u, net) {
                return Err(bad("idp_metadata_url must be an https URL"));
            }
            let url = url::Url::parse(u).map_err(|_| bad("idp_metadata_url is not a URL"))?;
            net.get_text(url)
                .await
                .map(|md| Some((md, Some(u.to_string()))))
                .map_err(|_| bad("the IdP metadata could not be fetched from idp_metadata_url"))
        }
    }
}

/// What IdP metadata says of the IdP, checked: at most 256 KiB, a valid EntityDescriptor,
/// and an SSO URL the browser may be sent to with the AuthnRequest (https; http and private
/// addresses only where private networks are allowed). For a connection's configuration
/// and for a refresh of its metadata alike; the error is a sentence to show.
pub(super) fn idp_facts(metadata: &str, net: &Outbound) -> Result<super::saml::IdpFacts, String> {
    if metadata.len() > 256 * 1024 {
        return Err("idp_metadata is larger than 256 KiB".into());
    }
    let (_, facts) = super::saml::parse_metadata(metadata).map_err(|e| match e {
        SsoError::InvalidConfig(m) => m,
        _ => "idp_metadata is invalid".to_string(),
    })?;
    let sso_ok = url::Url::parse(&facts.sso_url).is_ok_and(|u| net.check(&u).is_ok());
    if !sso_ok {
        return Err("the IdP's SSO URL in its metadata must be an https URL".into());
    }
    Ok(facts)
}

/// A field of the stored settings (on replace), for a field the input leaves out: what a
/// form does not show is kept, as a left-out secret is.
fn kept<T: serde::de::DeserializeOwned>(stored: Option<&serde_json::Value>, k: &str) -> Option<T> {
    serde_json::from_value(stored?.get(k)?.clone()).ok()
}

/// Checks the input; returns the settings JSON (without secrets). `stored` holds the
/// current settings on replace: fields the input leaves out keep their values.
pub(super) fn settings_of(
    input: &ConnectionInput,
    (metadata, stored): (Option<&Metadata>, Option<&serde_json::Value>),
    (id, tenant): (Uuid, TenantId),
    public_url: &str,
    sp_cert: Option<String>,
    net: &Outbound,
) -> Result<(&'static str, serde_json::Value), AppError> {
    let name = input.name.trim();
    if name.is_empty() || name.len() > 200 || !crate::text::is_plain_or_empty(name, 200) {
        return Err(bad("name must be 1 to 200 printable characters"));
    }
    match (input.kind.as_str(), &input.saml, &input.oidc) {
        ("saml", Some(s), None) => {
            let sp_entity_id = s
                .sp_entity_id
                .clone()
                .or_else(|| kept(stored, "sp_entity_id"))
                .unwrap_or_else(|| urls(public_url, tenant, id).metadata);
            if sp_entity_id.is_empty() || sp_entity_id.len() > 1024 {
                return Err(bad("sp_entity_id must be 1 to 1024 characters"));
            }
            let facts = match metadata.map(|m| m.0.as_str()) {
                Some(md) => Some(idp_facts(md, net).map_err(AppError::InvalidRequest)?),
                None if input.enabled => {
                    return Err(bad(
                        "a SAML connection needs the IdP's metadata (idp_metadata or idp_metadata_url) before it can be enabled",
                    ))
                }
                None => None,
            };
            let (entity, sso) = facts.map_or_else(Default::default, |f| (f.entity_id, f.sso_url));
            let settings = SamlSettings {
                idp_metadata: metadata.map(|m| m.0.clone()).unwrap_or_default(),
                idp_metadata_url: metadata.and_then(|m| m.1.clone()),
                idp_entity_id: entity,
                idp_sso_url: sso,
                sp_entity_id,
                sp_cert_der: sp_cert.unwrap_or_default(),
                clock_skew_secs: s
                    .clock_skew_secs
                    .or_else(|| kept(stored, "clock_skew_secs"))
                    .unwrap_or(60)
                    .clamp(0, 600),
            };
            Ok((
                "saml",
                serde_json::to_value(settings).map_err(AppError::internal)?,
            ))
        }
        ("oidc", None, Some(o)) => {
            if !issuer_ok(&o.issuer, net) {
                return Err(bad("issuer must be an https URL"));
            }
            if o.client_id.trim().is_empty() || o.client_id.len() > 512 {
                return Err(bad("client_id must be 1 to 512 characters"));
            }
            let mut scopes = o
                .scopes
                .clone()
                .or_else(|| kept(stored, "scopes"))
                .unwrap_or_else(|| vec!["openid".into(), "email".into(), "profile".into()]);
            if !scopes.iter().any(|s| s == "openid") {
                scopes.insert(0, "openid".into());
            }
            if scopes.len() > 20
                || scopes.iter().any(|s| {
                    s.is_empty() || s.len() > 100 || !s.chars().all(|c| c.is_ascii_graphic())
                })
            {
                return Err(bad("scopes must be up to 20 scope tokens"));
            }
            let settings = OidcSettings {
                issuer: o.issuer.trim_end_matches('/').to_string(),
                client_id: o.client_id.clone(),
                scopes,
                groups_claim: o
                    .groups_claim
                    .clone()
                    .or_else(|| kept(stored, "groups_claim"))
                    .unwrap_or_else(|| "groups".into()),
                use_userinfo: o
                    .use_userinfo
                    .or_else(|| kept(stored, "use_userinfo"))
                    .unwrap_or(false),
            };
            Ok((
                "oidc",
                serde_json::to_value(settings).map_err(AppError::internal)?,
            ))
        }
        _ => Err(bad(
            "kind must be saml (with a saml object) or oidc (with an oidc object)",
        )),
    }
}

/// Normalises the domains and checks that the workspace has claimed each one.
pub(super) async fn checked_domains(
    tx: &mut TenantTx,
    list: &[DomainInput],
) -> Result<Vec<DomainRow>, AppError> {
    let owned = claimed::list(tx).await?;
    let mut out: Vec<DomainRow> = Vec::new();
    for d in list {
        let domain = domains::normalize(&d.domain)
            .ok_or_else(|| bad("a domain is not a valid domain name"))?;
        if !owned.contains(&domain) {
            return Err(bad(
                "a domain is not claimed by this workspace (ask the operator to claim it first)",
            ));
        }
        if out.iter().any(|x| x.domain == domain) {
            return Err(bad("a domain is listed twice"));
        }
        out.push(DomainRow {
            domain,
            verified: d.verified,
        });
    }
    if out.len() > 50 {
        return Err(bad("at most 50 domains"));
    }
    Ok(out)
}

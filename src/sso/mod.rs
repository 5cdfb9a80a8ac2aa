//! Enterprise SSO per workspace: connections to a SAML 2.0 or OpenID Connect identity
//! provider (`connections`), the SAML service provider (`saml`, `sp_keys`), the OIDC
//! relying party (`oidc_rp`), sign-ins in flight (`flow`), just-in-time provisioning
//! (`jit`), admins' trial sign-ins (`connection_test`) and metadata kept current
//! (`metadata_refresh`). Roles come from the shared mapping engine
//! (`crate::authority::mapping_engine`) over the groups and attributes stored here;
//! home-realm discovery is `crate::auth::home_realm`.

pub mod connection_input;
mod connection_reach;
pub mod connection_test;
pub mod connection_view;
pub mod connections;
pub mod flow;
pub mod idp_trust;
pub mod jit;
pub mod metadata_refresh;
pub mod oidc_rp;
pub mod outbound;
pub mod saml;
pub mod saml_decrypt;
pub mod saml_envelope;
pub mod settings;
pub mod sp_keys;
pub mod test_outcome;

use crate::db::DbError;
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    /// The IdP's answer failed a check. The reason is safe to log and audit (no personal
    /// data); the person sees a generic page.
    #[error("the identity provider's response was refused: {0}")]
    Rejected(&'static str),
    /// No live sign-in matches (unknown, expired, used, or another browser's).
    #[error("this sign-in has expired")]
    Expired,
    #[error("invalid connection: {0}")]
    InvalidConfig(String),
    #[error("no such connection")]
    NotFound,
    #[error("the connection is disabled")]
    Disabled,
    /// An account with this email exists and the connection may not link to it.
    #[error("an account with this email already exists")]
    AccountExists,
    /// The linked account is deactivated.
    #[error("the account is not active")]
    Inactive,
    #[error("the identity provider could not be reached")]
    Upstream,
    #[error("unavailable")]
    Unavailable,
}

impl From<DbError> for SsoError {
    fn from(_: DbError) -> Self {
        SsoError::Unavailable
    }
}

impl SsoError {
    /// samael's errors, mapped to a stable reason (its messages may carry ids and URLs).
    pub fn from_samael(e: &samael::service_provider::Error) -> Self {
        use samael::service_provider::Error as E;
        SsoError::Rejected(match e {
            E::FailedToValidateSignature => "the signature is missing or invalid",
            E::DestinationValidationError { .. } => "Destination is not this ACS",
            E::AssertionExpired { .. }
            | E::ResponseExpired { .. }
            | E::AssertionConditionExpired { .. }
            | E::AssertionSubjectConfirmationExpired { .. } => "the assertion has expired",
            E::AssertionConditionExpiredBefore { .. }
            | E::AssertionSubjectConfirmationExpiredBefore { .. } => {
                "the assertion is not valid yet"
            }
            E::AssertionIssuerMismatch { .. } | E::ResponseIssuerMismatch { .. } => {
                "Issuer is not the connection's IdP"
            }
            E::AssertionConditionAudienceRestrictionFailed { .. } => {
                "the assertion's Audience is not this SP"
            }
            E::AssertionRecipientMismatch { .. } => "Recipient is not this ACS",
            E::AssertionInResponseToInvalid { .. } | E::ResponseInResponseToInvalid { .. } => {
                "InResponseTo names another request"
            }
            E::ResponseBadStatusCode { .. } => "the IdP did not report success",
            E::AssertionBearerSubjectConfirmationMissing
            | E::AssertionSubjectConfirmationMissing => "no bearer SubjectConfirmation",
            _ => "the response is malformed",
        })
    }
}

/// Who the IdP says signed in (also what a connection test stores of it).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ExternalIdentity {
    /// SAML NameID or OIDC `sub`: the stable key of the IdP account.
    pub subject: String,
    pub email: Option<String>,
    /// OIDC `email_verified`; SAML IdPs assert addresses of their own directory.
    pub email_verified: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub groups: Vec<String>,
    pub attributes: BTreeMap<String, Vec<String>>,
    /// The IdP reports a second factor (SAML AuthnContext, OIDC `amr`).
    pub mfa: bool,
}

/// Attribute names IdPs use, compared case-insensitively: Okta and pysaml2 short names,
/// Entra ID / ADFS claim URIs, and the X.500 / eduPerson OIDs.
const EMAIL: &[&str] = &[
    "email",
    "mail",
    "emailaddress",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "urn:oid:0.9.2342.19200300.100.1.3",
];
const GIVEN: &[&str] = &[
    "givenname",
    "firstname",
    "given_name",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
    "urn:oid:2.5.4.42",
];
const FAMILY: &[&str] = &[
    "surname",
    "sn",
    "lastname",
    "family_name",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
    "urn:oid:2.5.4.4",
];
const GROUPS: &[&str] = &[
    "groups",
    "group",
    "memberof",
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
    "urn:oid:1.3.6.1.4.1.5923.1.5.1.1",
];

fn first_of(attrs: &BTreeMap<String, Vec<String>>, names: &[&str]) -> Option<String> {
    attrs
        .iter()
        .find(|(k, _)| names.contains(&k.to_lowercase().as_str()))
        .and_then(|(_, v)| v.first().cloned())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl ExternalIdentity {
    /// From SAML attributes: well-known names for email, names and groups; the NameID
    /// stands in for the email when it is one.
    pub fn from_attributes(
        subject: String,
        attributes: BTreeMap<String, Vec<String>>,
        mfa: bool,
    ) -> Self {
        let email = first_of(&attributes, EMAIL)
            .or_else(|| Some(subject.clone()).filter(|s| s.contains('@')));
        let groups = attributes
            .iter()
            .filter(|(k, _)| GROUPS.contains(&k.to_lowercase().as_str()))
            .flat_map(|(_, v)| v.iter().cloned())
            .collect();
        ExternalIdentity {
            email,
            email_verified: true,
            given_name: first_of(&attributes, GIVEN),
            family_name: first_of(&attributes, FAMILY),
            groups,
            subject,
            attributes,
            mfa,
        }
    }

    /// The authentication methods of the session this sign-in starts (RFC 8176 values;
    /// `fed` for federated, as Entra ID uses): the IdP's second factor counts only when
    /// the connection trusts it.
    pub fn amr(&self, idp_mfa_accepted: bool) -> Vec<String> {
        let mut amr = vec!["fed".to_string()];
        if self.mfa && idp_mfa_accepted {
            amr.push("mfa".to_string());
        }
        amr
    }
}

//! SAML 2.0 service provider on `samael` (xmlsec): SP metadata, the AuthnRequest sent over
//! HTTP-Redirect, and the checks on a Response posted to the ACS. samael verifies the
//! signature and keeps only the signed element; around it this module closes samael's
//! gaps (DESIGN.md): a connection without an IdP signing certificate never reaches it,
//! only SHA-256 or stronger signatures pass, the audience is required, exactly one
//! assertion is allowed (no wrapping), and a decrypted assertion's own signature is
//! checked. The one-time use of assertion ids is `super::flow`'s job.

use super::saml_decrypt;
use super::saml_envelope::{self, Envelope};
use super::settings::SamlSettings;
use super::{ExternalIdentity, SsoError};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use openssl::pkey::{PKey, Private};
use samael::crypto::{AllowedSignatureAlgorithm, CertificateDer};
use samael::metadata::{EntityDescriptor, HTTP_REDIRECT_BINDING};
use samael::schema::Assertion;
use samael::service_provider::ServiceProvider;
use std::collections::BTreeMap;

/// Signature algorithms accepted from an IdP: SHA-256 or stronger (samael's default also
/// accepts RSA-SHA1).
const ALLOWED: [AllowedSignatureAlgorithm; 6] = [
    AllowedSignatureAlgorithm::RsaSha256,
    AllowedSignatureAlgorithm::RsaSha384,
    AllowedSignatureAlgorithm::RsaSha512,
    AllowedSignatureAlgorithm::EcdsaSha256,
    AllowedSignatureAlgorithm::EcdsaSha384,
    AllowedSignatureAlgorithm::EcdsaSha512,
];

const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

/// Authentication context classes that mean the IdP used more than one factor (a smart
/// card or one-time token alone is one factor).
const MFA_CONTEXTS: &[&str] = &[
    "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract",
    "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered",
    "http://schemas.microsoft.com/claims/multipleauthn",
    "https://refeds.org/profile/mfa",
];

/// What the IdP's metadata says: entity id, SSO endpoint (HTTP-Redirect) and signing
/// certificates. Fails for metadata without a signing certificate.
pub struct IdpFacts {
    pub entity_id: String,
    pub sso_url: String,
}

/// Refuses document type declarations (entity expansion, external entities) and any
/// encoding but UTF-8: libxml2 honours the declaration, so a UTF-7 document could carry a
/// DOCTYPE that this check, reading UTF-8, would not see.
fn refuse_dtd(xml: &str) -> Result<(), SsoError> {
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        return Err(SsoError::Rejected(
            "document type declarations are not allowed",
        ));
    }
    if let Some(rest) = xml.trim_start().strip_prefix("<?xml") {
        let decl = rest.split("?>").next().unwrap_or("").to_ascii_lowercase();
        let utf8 = decl.contains("encoding=\"utf-8\"") || decl.contains("encoding='utf-8'");
        if decl.contains("encoding") && !utf8 {
            return Err(SsoError::Rejected("only UTF-8 documents are accepted"));
        }
    }
    Ok(())
}

pub fn parse_metadata(xml: &str) -> Result<(EntityDescriptor, IdpFacts), SsoError> {
    let bad = |m: &'static str| SsoError::InvalidConfig(m.into());
    refuse_dtd(xml).map_err(|_| bad("the IdP metadata must not contain a DOCTYPE"))?;
    let md: EntityDescriptor = xml
        .parse()
        .map_err(|_| bad("the IdP metadata is not a SAML EntityDescriptor"))?;
    let entity_id = md
        .entity_id
        .clone()
        .filter(|e| !e.is_empty())
        .ok_or_else(|| bad("the IdP metadata has no entityID"))?;
    let sso_url = md
        .idp_sso_descriptors
        .iter()
        .flatten()
        .flat_map(|d| d.single_sign_on_services.iter())
        .find(|e| e.binding == HTTP_REDIRECT_BINDING)
        .map(|e| e.location.clone())
        .ok_or_else(|| bad("the IdP metadata has no HTTP-Redirect SingleSignOnService"))?;
    url::Url::parse(&sso_url).map_err(|_| bad("the IdP's SingleSignOnService is not a URL"))?;
    let certs = signing_certs(&md)?;
    for c in &certs {
        openssl::x509::X509::from_der(c.der_data())
            .map_err(|_| bad("an IdP signing certificate does not parse"))?;
    }
    Ok((md, IdpFacts { entity_id, sso_url }))
}

/// The IdP's signing certificates (DER, sorted) as stored metadata names them: part of what
/// a connection trusts, so a change is an IdP change.
pub fn signing_cert_ders(idp_metadata: &str) -> Vec<Vec<u8>> {
    let mut ders: Vec<Vec<u8>> = parse_metadata(idp_metadata)
        .ok()
        .and_then(|(md, _)| signing_certs(&md).ok())
        .unwrap_or_default()
        .iter()
        .map(|c| c.der_data().to_vec())
        .collect();
    ders.sort();
    ders
}

/// The IdP's signing certificates; none is an error, because samael would then skip
/// signature verification altogether.
fn signing_certs(md: &EntityDescriptor) -> Result<Vec<CertificateDer>, SsoError> {
    let sp = ServiceProvider {
        idp_metadata: md.clone(),
        ..ServiceProvider::default()
    };
    match sp.idp_signing_certs() {
        Ok(Some(certs)) if !certs.is_empty() => Ok(certs),
        _ => Err(SsoError::InvalidConfig(
            "the IdP metadata has no signing certificate; a connection without one is refused"
                .into(),
        )),
    }
}

/// The samael service provider for one connection.
fn service_provider(
    settings: &SamlSettings,
    acs_url: &str,
    key: Option<PKey<Private>>,
) -> Result<ServiceProvider, SsoError> {
    let (md, _) = parse_metadata(&settings.idp_metadata)?;
    signing_certs(&md)?;
    let skew = Duration::seconds(settings.clock_skew_secs.clamp(0, 600));
    Ok(ServiceProvider {
        entity_id: Some(settings.sp_entity_id.clone()),
        key,
        acs_url: Some(acs_url.to_string()),
        idp_metadata: md,
        allow_idp_initiated: false,
        max_clock_skew: skew,
        max_issue_delay: Duration::minutes(5) + skew,
        allowed_signature_algorithms: Some(ALLOWED.to_vec()),
        ..ServiceProvider::default()
    })
}

/// The IdP URL carrying a new AuthnRequest (HTTP-Redirect binding), and its id.
pub fn authn_request(
    settings: &SamlSettings,
    acs_url: &str,
    relay_state: &str,
) -> Result<(String, String), SsoError> {
    let sp = service_provider(settings, acs_url, None)?;
    let mut req = sp
        .make_authentication_request(&settings.idp_sso_url)
        .map_err(|_| SsoError::Unavailable)?;
    // samael's ids carry 32 random bits; InResponseTo deserves 128.
    req.id = format!("_{}", crate::crypto::random::token::<16>());
    let url = req
        .redirect(relay_state)
        .map_err(|_| SsoError::Unavailable)?
        .ok_or(SsoError::Unavailable)?;
    Ok((url.to_string(), req.id))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// SP metadata: entity id, the ACS (HTTP-POST), and the certificate IdPs encrypt to.
pub fn sp_metadata(settings: &SamlSettings, acs_url: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity}">
  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="encryption">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
      <md:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/>
      <md:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes128-gcm"/>
      <md:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/>
      <md:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
      <md:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{acs}" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
"#,
        entity = esc(&settings.sp_entity_id),
        cert = esc(&settings.sp_cert_der),
        acs = esc(acs_url),
    )
}

/// Counts elements named Assertion or EncryptedAssertion in any namespace: a response must
/// carry exactly one, so a second (wrapped, unsigned) one can never be the one read.
fn assertion_elements(xml: &str) -> usize {
    let mut n = 0;
    for (i, _) in xml.match_indices('<') {
        let rest = &xml[i + 1..];
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        let local = name.rsplit(':').next().unwrap_or(name);
        if !name.starts_with('/') && (local == "Assertion" || local == "EncryptedAssertion") {
            n += 1;
        }
    }
    n
}

/// A verified assertion, reduced to what sign-in needs.
#[derive(Debug)]
pub struct Verified {
    pub assertion_id: String,
    /// Until when the assertion id must be remembered.
    pub expires_at: DateTime<Utc>,
    pub identity: ExternalIdentity,
}

/// Checks a posted `SAMLResponse` (base64) for the request `expected` (the AuthnRequest id
/// this browser's sign-in sent). Every value returned comes from the signed element.
pub fn verify(
    settings: &SamlSettings,
    acs_url: &str,
    key: Option<PKey<Private>>,
    saml_response: &str,
    expected: &str,
    now: DateTime<Utc>,
) -> Result<Verified, SsoError> {
    let raw = STANDARD
        .decode(saml_response.trim())
        .map_err(|_| SsoError::Rejected("SAMLResponse is not base64"))?;
    let xml =
        String::from_utf8(raw).map_err(|_| SsoError::Rejected("SAMLResponse is not UTF-8"))?;
    refuse_dtd(&xml)?;
    // The envelope is read only to refuse what it says is wrong; nothing positive is
    // taken from it unless samael verified it.
    let envelope = saml_envelope::read(&xml)?;
    check_envelope(&envelope, settings, acs_url, expected)?;
    // Exactly one assertion, counted twice: namespace-aware, and by any element named so
    // (comments included), so a wrapped second one can never be the one read.
    if envelope.assertions != 1 || assertion_elements(&xml) != 1 {
        return Err(SsoError::Rejected(
            "a response must carry exactly one assertion",
        ));
    }
    let sp = service_provider(settings, acs_url, key.clone())?;
    let ids = [expected];
    let assertion = match &envelope.encrypted {
        Some(enc) => {
            let key = key.ok_or(SsoError::Rejected("encrypted assertion but no SP key"))?;
            let inner = saml_decrypt::decrypt(enc, &key)?;
            refuse_dtd(&inner)?;
            roxmltree::Document::parse(&inner)
                .map_err(|_| SsoError::Rejected("the decrypted assertion is not well-formed"))?;
            if assertion_elements(&inner) != 1 {
                return Err(SsoError::Rejected(
                    "a response must carry exactly one assertion",
                ));
            }
            // On its own, the decrypted assertion passes samael only with a valid
            // signature of its own (an unsigned root assertion is refused).
            sp.parse_xml_response(&inner, Some(&ids))
                .map_err(|e| SsoError::from_samael(&e))?
        }
        None => sp
            .parse_xml_response(&xml, Some(&ids))
            .map_err(|e| SsoError::from_samael(&e))?,
    };
    finish(&assertion, settings, now)
}

/// Refuses an envelope that names another destination, request or issuer, or failed.
fn check_envelope(
    r: &Envelope,
    settings: &SamlSettings,
    acs_url: &str,
    expected: &str,
) -> Result<(), SsoError> {
    if r.status.as_deref() != Some(SUCCESS) {
        return Err(SsoError::Rejected("the IdP did not report success"));
    }
    if r.destination.as_deref().is_some_and(|d| d != acs_url) {
        return Err(SsoError::Rejected("Destination is not this ACS"));
    }
    if r.in_response_to.as_deref().is_some_and(|i| i != expected) {
        return Err(SsoError::Rejected("InResponseTo names another request"));
    }
    if r.issuer
        .as_deref()
        .is_some_and(|i| i != settings.idp_entity_id)
    {
        return Err(SsoError::Rejected("Issuer is not the connection's IdP"));
    }
    Ok(())
}

/// The checks samael leaves out, then the identity.
fn finish(
    a: &Assertion,
    settings: &SamlSettings,
    now: DateTime<Utc>,
) -> Result<Verified, SsoError> {
    let audiences: Vec<&String> = a
        .conditions
        .as_ref()
        .and_then(|c| c.audience_restrictions.as_ref())
        .into_iter()
        .flatten()
        .flat_map(|r| r.audience.iter())
        .collect();
    if !audiences.iter().any(|x| **x == settings.sp_entity_id) {
        return Err(SsoError::Rejected(
            "the assertion's Audience is not this SP",
        ));
    }
    if a.issuer.value.as_deref() != Some(settings.idp_entity_id.as_str()) {
        return Err(SsoError::Rejected("Issuer is not the connection's IdP"));
    }
    let subject = a
        .subject
        .as_ref()
        .and_then(|s| s.name_id.as_ref())
        .map(|n| n.value.trim().to_string())
        .filter(|v| !v.is_empty() && v.len() <= 512)
        .ok_or(SsoError::Rejected("the assertion has no NameID"))?;
    let skew = Duration::seconds(settings.clock_skew_secs.clamp(0, 600));
    let expires_at = a
        .conditions
        .as_ref()
        .and_then(|c| c.not_on_or_after)
        .unwrap_or(now + Duration::minutes(10))
        + skew;
    let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for st in a.attribute_statements.iter().flatten() {
        for attr in &st.attributes {
            let Some(name) = attr.name.clone().or_else(|| attr.friendly_name.clone()) else {
                continue;
            };
            let values = attr.values.iter().filter_map(|v| v.value.clone());
            attributes.entry(name).or_default().extend(values);
        }
    }
    let contexts: Vec<String> = a
        .authn_statements
        .iter()
        .flatten()
        .filter_map(|s| s.authn_context.as_ref()?.value.as_ref()?.value.clone())
        .collect();
    let mfa = contexts.iter().any(|c| MFA_CONTEXTS.contains(&c.as_str()));
    Ok(Verified {
        assertion_id: a.id.clone(),
        expires_at,
        identity: ExternalIdentity::from_attributes(subject, attributes, mfa),
    })
}

#[cfg(test)]
mod tests {
    use super::assertion_elements;

    #[test]
    fn assertions_are_counted_in_any_namespace_prefix_and_closing_tags_are_not() {
        let one =
            r#"<samlp:Response><saml:Assertion ID="a"><x/></saml:Assertion></samlp:Response>"#;
        assert_eq!(assertion_elements(one), 1);
        let wrapped =
            r#"<Response><Assertion><Advice><saml2:Assertion/></Advice></Assertion></Response>"#;
        assert_eq!(assertion_elements(wrapped), 2);
        let enc = r#"<p:Response><s:EncryptedAssertion>..</s:EncryptedAssertion></p:Response>"#;
        assert_eq!(assertion_elements(enc), 1);
        assert_eq!(
            assertion_elements("<Response><AssertionConsumer/></Response>"),
            0
        );
    }
}

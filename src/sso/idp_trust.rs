//! What a connection trusts, and when a change of it is another IdP. For SAML that is the
//! IdP's entity id, SSO URL and signing certificates; for OIDC the issuer and client. A
//! change of any is another IdP (its subjects may be other people, so account links go),
//! except a **rollover**: new metadata fetched from the same configured URL under the same
//! entity id, which is how an IdP publishes a new signing certificate. Metadata pasted by
//! hand is never a rollover: nothing vouches that it comes from the same IdP.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn text<'a>(settings: &'a Value, key: &str) -> &'a str {
    settings
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn trust_of(settings: &Value) -> Value {
    let field = |k: &str| settings.get(k).cloned().unwrap_or_default();
    match settings.get("idp_metadata").and_then(|m| m.as_str()) {
        Some(md) => json!({
            "entity_id": field("idp_entity_id"),
            "sso_url": field("idp_sso_url"),
            "certs": fingerprints(md),
        }),
        None => json!({ "issuer": field("issuer"), "client_id": field("client_id") }),
    }
}

/// SHA-256 fingerprints (hex) of the signing certificates in IdP metadata.
pub fn fingerprints(metadata: &str) -> Vec<String> {
    super::saml::signing_cert_ders(metadata)
        .iter()
        .map(|der| hex::encode(Sha256::digest(der)))
        .collect()
}

/// New metadata from the same configured URL under the same entity id.
pub fn is_rollover(old: &Value, new: &Value) -> bool {
    let url = text(new, "idp_metadata_url");
    !url.is_empty()
        && url == text(old, "idp_metadata_url")
        && text(new, "idp_entity_id") == text(old, "idp_entity_id")
}

/// Whether `new` settings trust another IdP than `old` (a rollover is the same IdP).
pub fn is_another_idp(old: &Value, new: &Value) -> bool {
    trust_of(old) != trust_of(new) && !is_rollover(old, new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saml(url: Option<&str>, entity: &str, sso: &str) -> Value {
        json!({"idp_metadata": "<x/>", "idp_metadata_url": url, "idp_entity_id": entity,
               "idp_sso_url": sso})
    }

    #[test]
    fn only_the_same_url_and_entity_id_make_a_rollover() {
        let url = Some("https://idp.example/metadata");
        let old = saml(url, "e1", "https://idp.example/sso");
        assert!(!is_another_idp(
            &old,
            &saml(url, "e1", "https://idp.example/sso2")
        ));
        assert!(is_another_idp(
            &old,
            &saml(url, "e2", "https://idp.example/sso")
        ));
        assert!(is_another_idp(
            &old,
            &saml(None, "e1", "https://idp.example/sso2")
        ));
        let other = Some("https://evil.example/metadata");
        assert!(is_another_idp(
            &old,
            &saml(other, "e1", "https://idp.example/sso2")
        ));
        let oidc = json!({"issuer": "https://a", "client_id": "c"});
        assert!(is_another_idp(
            &oidc,
            &json!({"issuer": "https://b", "client_id": "c"})
        ));
        assert!(!is_another_idp(&oidc, &oidc.clone()));
    }
}

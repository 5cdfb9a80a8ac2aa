//! The unverified outside of a SAML Response, read namespace-aware with `roxmltree` (no DTD
//! processing): what it says about destination, request, issuer and status (used only to
//! refuse), how many assertions it carries, and the parts of an EncryptedAssertion (samael's
//! own types cannot read it when the IdP declares namespaces on outer elements, as
//! pysaml2/xmlsec do).

use super::SsoError;

const PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const XMLENC: &str = "http://www.w3.org/2001/04/xmlenc#";

/// Key transport accepted for encrypted assertions: RSA-OAEP only (RSA PKCS#1 v1.5 key
/// transport is open to padding-oracle attacks).
const KEY_TRANSPORT: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";

#[derive(Debug, Default)]
pub struct Envelope {
    pub destination: Option<String>,
    pub in_response_to: Option<String>,
    pub issuer: Option<String>,
    pub status: Option<String>,
    /// Elements named Assertion or EncryptedAssertion in the SAML assertion namespace.
    pub assertions: usize,
    pub encrypted: Option<Encrypted>,
}

/// The wrapped key (RSA-OAEP, checked here) and the data (algorithm, base64 cipher value).
#[derive(Debug)]
pub struct Encrypted {
    pub key_cipher: String,
    pub data_method: String,
    pub data_cipher: String,
}

fn child<'a, 'i>(
    n: roxmltree::Node<'a, 'i>,
    ns: &str,
    name: &str,
) -> Option<roxmltree::Node<'a, 'i>> {
    n.children().find(|c| {
        c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == Some(ns)
    })
}

fn text_of(n: Option<roxmltree::Node<'_, '_>>) -> Option<String> {
    n.and_then(|n| n.text()).map(|t| t.trim().to_string())
}

pub fn read(xml: &str) -> Result<Envelope, SsoError> {
    let doc = roxmltree::Document::parse(xml)
        .map_err(|_| SsoError::Rejected("SAMLResponse is not well-formed XML"))?;
    let root = doc.root_element();
    if root.tag_name().name() != "Response" || root.tag_name().namespace() != Some(PROTOCOL) {
        return Err(SsoError::Rejected("SAMLResponse is not a SAML Response"));
    }
    let assertions = doc
        .descendants()
        .filter(|n| {
            n.is_element()
                && n.tag_name().namespace() == Some(ASSERTION)
                && matches!(n.tag_name().name(), "Assertion" | "EncryptedAssertion")
        })
        .count();
    let status = child(root, PROTOCOL, "Status")
        .and_then(|s| child(s, PROTOCOL, "StatusCode"))
        .and_then(|c| c.attribute("Value"))
        .map(str::to_string);
    let encrypted = match child(root, ASSERTION, "EncryptedAssertion") {
        Some(ea) => Some(encrypted_parts(ea)?),
        None => None,
    };
    Ok(Envelope {
        destination: root.attribute("Destination").map(str::to_string),
        in_response_to: root.attribute("InResponseTo").map(str::to_string),
        issuer: text_of(child(root, ASSERTION, "Issuer")),
        status,
        assertions,
        encrypted,
    })
}

fn encrypted_parts(ea: roxmltree::Node<'_, '_>) -> Result<Encrypted, SsoError> {
    let bad = || SsoError::Rejected("the encrypted assertion is malformed");
    let data = child(ea, XMLENC, "EncryptedData").ok_or_else(bad)?;
    let data_method = child(data, XMLENC, "EncryptionMethod")
        .and_then(|m| m.attribute("Algorithm"))
        .ok_or_else(bad)?;
    let data_cipher =
        text_of(child(data, XMLENC, "CipherData").and_then(|c| child(c, XMLENC, "CipherValue")))
            .ok_or_else(bad)?;
    // The wrapped key sits in the data's KeyInfo or beside the data.
    let key = data
        .descendants()
        .chain(ea.children())
        .find(|n| {
            n.is_element()
                && n.tag_name().name() == "EncryptedKey"
                && n.tag_name().namespace() == Some(XMLENC)
        })
        .ok_or_else(bad)?;
    let key_method = child(key, XMLENC, "EncryptionMethod")
        .and_then(|m| m.attribute("Algorithm"))
        .ok_or_else(bad)?;
    if key_method != KEY_TRANSPORT {
        return Err(SsoError::Rejected(
            "the assertion's key transport is not RSA-OAEP",
        ));
    }
    let key_cipher =
        text_of(child(key, XMLENC, "CipherData").and_then(|c| child(c, XMLENC, "CipherValue")))
            .ok_or_else(bad)?;
    Ok(Encrypted {
        key_cipher: key_cipher.split_whitespace().collect(),
        data_method: data_method.to_string(),
        data_cipher: data_cipher.split_whitespace().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::read;

    #[test]
    fn the_envelope_is_read_namespace_aware_and_wrapped_assertions_are_counted() {
        let xml = r#"<p:Response xmlns:p="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:a="urn:oasis:names:tc:SAML:2.0:assertion" Destination="https://sp/acs" InResponseTo="_r1"><a:Issuer> idp </a:Issuer><p:Status><p:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></p:Status><a:Assertion ID="x"><a:Advice><Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion"/></a:Advice></a:Assertion></p:Response>"#;
        let e = read(xml).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.destination.as_deref(), Some("https://sp/acs"));
        assert_eq!(e.in_response_to.as_deref(), Some("_r1"));
        assert_eq!(e.issuer.as_deref(), Some("idp"));
        assert_eq!(e.assertions, 2);
        assert!(e.encrypted.is_none());
        assert!(
            read("<Response/>").is_err(),
            "not in the protocol namespace"
        );
    }

    #[test]
    fn pkcs1_v1_5_key_transport_is_refused() {
        let xml = r#"<p:Response xmlns:p="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:a="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:e="http://www.w3.org/2001/04/xmlenc#"><a:EncryptedAssertion><e:EncryptedData><e:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/><e:EncryptedKey><e:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-1_5"/><e:CipherData><e:CipherValue>AA==</e:CipherValue></e:CipherData></e:EncryptedKey><e:CipherData><e:CipherValue>AA==</e:CipherValue></e:CipherData></e:EncryptedData></a:EncryptedAssertion></p:Response>"#;
        assert!(read(xml).is_err());
    }
}

//! The SAML service provider's own key pair, one per connection: IdPs encrypt assertions to
//! its certificate (published in the SP metadata) and the SP decrypts with the private key,
//! which is stored envelope-encrypted. RSA-2048 with a self-signed certificate, as IdPs
//! expect; generating it takes tens of milliseconds, so it runs on the blocking pool.

use super::SsoError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509NameBuilder, X509};
use zeroize::Zeroizing;

/// A new key pair: (private key as PKCS#8 PEM, certificate DER as base64).
pub fn generate() -> Result<(Zeroizing<Vec<u8>>, String), SsoError> {
    let fail = |_| SsoError::Unavailable;
    let rsa = Rsa::generate(2048).map_err(fail)?;
    let key = PKey::from_rsa(rsa).map_err(fail)?;
    let mut name = X509NameBuilder::new().map_err(fail)?;
    name.append_entry_by_text("CN", "identity service SAML SP")
        .map_err(fail)?;
    let name = name.build();
    let mut serial = BigNum::new().map_err(fail)?;
    serial
        .rand(127, openssl::bn::MsbOption::MAYBE_ZERO, false)
        .map_err(fail)?;
    let mut b = X509::builder().map_err(fail)?;
    b.set_version(2).map_err(fail)?;
    let serial = serial.to_asn1_integer().map_err(fail)?;
    b.set_serial_number(&serial).map_err(fail)?;
    b.set_subject_name(&name).map_err(fail)?;
    b.set_issuer_name(&name).map_err(fail)?;
    b.set_pubkey(&key).map_err(fail)?;
    let (from, until) = (
        Asn1Time::days_from_now(0).map_err(fail)?,
        Asn1Time::days_from_now(3650).map_err(fail)?,
    );
    b.set_not_before(&from).map_err(fail)?;
    b.set_not_after(&until).map_err(fail)?;
    b.sign(&key, MessageDigest::sha256()).map_err(fail)?;
    let cert = b.build().to_der().map_err(fail)?;
    let pem = Zeroizing::new(key.private_key_to_pem_pkcs8().map_err(fail)?);
    Ok((pem, STANDARD.encode(cert)))
}

/// The private key from its PEM.
pub fn load(pem: &[u8]) -> Result<PKey<Private>, SsoError> {
    PKey::private_key_from_pem(pem).map_err(|_| SsoError::Unavailable)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_generated_pair_matches_and_the_certificate_is_self_signed() {
        let Ok((pem, cert)) = super::generate() else {
            panic!("key generation failed")
        };
        let key = super::load(&pem).unwrap_or_else(|_| panic!("pem does not load"));
        use base64::Engine;
        let der = base64::engine::general_purpose::STANDARD
            .decode(cert)
            .unwrap_or_default();
        let x = openssl::x509::X509::from_der(&der).unwrap_or_else(|_| panic!("cert"));
        let public = x.public_key().unwrap_or_else(|_| panic!("public key"));
        assert!(public.public_eq(&key));
        assert!(x.verify(&public).unwrap_or(false));
    }
}

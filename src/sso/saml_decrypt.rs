//! Decryption of a SAML EncryptedAssertion with the connection's SP key: the content key is
//! unwrapped with RSA-OAEP (MGF1/SHA-1, as XML Encryption 1.0 defines `rsa-oaep-mgf1p`),
//! the assertion decrypted with AES-CBC (XML Encryption padding) or AES-GCM. samael's own
//! helper knows only the 128-bit ciphers (Okta and Entra ID use AES-256) and slices
//! unchecked input; every length here is checked first.

use super::saml_envelope::Encrypted;
use super::SsoError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Padding;
use openssl::symm::{decrypt_aead, Cipher, Crypter, Mode};
use zeroize::Zeroizing;

fn refused() -> SsoError {
    SsoError::Rejected("the encrypted assertion does not decrypt")
}

fn cipher_of(method: &str) -> Option<(Cipher, bool)> {
    Some(match method {
        "http://www.w3.org/2001/04/xmlenc#aes128-cbc" => (Cipher::aes_128_cbc(), false),
        "http://www.w3.org/2001/04/xmlenc#aes192-cbc" => (Cipher::aes_192_cbc(), false),
        "http://www.w3.org/2001/04/xmlenc#aes256-cbc" => (Cipher::aes_256_cbc(), false),
        "http://www.w3.org/2009/xmlenc11#aes128-gcm" => (Cipher::aes_128_gcm(), true),
        "http://www.w3.org/2009/xmlenc11#aes256-gcm" => (Cipher::aes_256_gcm(), true),
        _ => return None,
    })
}

/// The plaintext assertion XML.
pub fn decrypt(enc: &Encrypted, key: &PKey<Private>) -> Result<String, SsoError> {
    let (cipher, gcm) = cipher_of(&enc.data_method).ok_or(SsoError::Rejected(
        "the assertion's cipher is not supported",
    ))?;
    let wrapped = STANDARD.decode(&enc.key_cipher).map_err(|_| refused())?;
    let rsa = key.rsa().map_err(|_| SsoError::Unavailable)?;
    let mut buf = Zeroizing::new(vec![0u8; rsa.size() as usize]);
    let n = rsa
        .private_decrypt(&wrapped, &mut buf, Padding::PKCS1_OAEP)
        .map_err(|_| refused())?;
    let cek = &buf[..n];
    if cek.len() != cipher.key_len() {
        return Err(refused());
    }
    let data = STANDARD.decode(&enc.data_cipher).map_err(|_| refused())?;
    let plain = if gcm {
        // IV (12) ‖ ciphertext ‖ tag (16)
        if data.len() < 12 + 16 {
            return Err(refused());
        }
        let (iv, rest) = data.split_at(12);
        let (body, tag) = rest.split_at(rest.len() - 16);
        decrypt_aead(cipher, cek, Some(iv), &[], body, tag).map_err(|_| refused())?
    } else {
        // IV (16) ‖ ciphertext; XML Encryption padding: the last byte says how many
        // bytes to drop (the others are arbitrary, so OpenSSL's PKCS#7 check is off).
        if data.len() < 32 || data.len() % 16 != 0 {
            return Err(refused());
        }
        let (iv, body) = data.split_at(16);
        let mut c = Crypter::new(cipher, Mode::Decrypt, cek, Some(iv)).map_err(|_| refused())?;
        c.pad(false);
        let mut out = vec![0u8; body.len() + 16];
        let mut len = c.update(body, &mut out).map_err(|_| refused())?;
        len += c.finalize(&mut out[len..]).map_err(|_| refused())?;
        out.truncate(len);
        let pad = usize::from(*out.last().ok_or_else(refused)?);
        if pad == 0 || pad > 16 || pad > out.len() {
            return Err(refused());
        }
        out.truncate(out.len() - pad);
        out
    };
    String::from_utf8(plain).map_err(|_| refused())
}

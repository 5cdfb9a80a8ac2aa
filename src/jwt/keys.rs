//! Key material for the three supported algorithms: generation (PKCS#8), public JWKs, and
//! pre-parsed signers so signing never re-parses a key.

use crate::crypto::random;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING,
    RSA_PKCS1_SHA256,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{json, Value};
use std::fmt;
use std::str::FromStr;
use zeroize::Zeroizing;

/// Signing algorithms a client may be configured with. Ed25519 is the default.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Alg {
    EdDSA,
    ES256,
    RS256,
}

impl Alg {
    pub const ALL: [Alg; 3] = [Alg::EdDSA, Alg::ES256, Alg::RS256];

    pub fn as_str(self) -> &'static str {
        match self {
            Alg::EdDSA => "EdDSA",
            Alg::ES256 => "ES256",
            Alg::RS256 => "RS256",
        }
    }

    pub fn jwt(self) -> Algorithm {
        match self {
            Alg::EdDSA => Algorithm::EdDSA,
            Alg::ES256 => Algorithm::ES256,
            Alg::RS256 => Algorithm::RS256,
        }
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Alg {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "EdDSA" => Ok(Alg::EdDSA),
            "ES256" => Ok(Alg::ES256),
            "RS256" => Ok(Alg::RS256),
            _ => Err(KeyError::UnsupportedAlgorithm),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("unsupported signing algorithm")]
    UnsupportedAlgorithm,
    #[error("key generation failed")]
    Generation,
    #[error("stored key material is invalid")]
    InvalidMaterial,
    #[error("signing failed")]
    Signing,
}

/// A new key pair: private part as PKCS#8 DER (to be envelope-encrypted), public as a JWK.
pub struct GeneratedKey {
    pub kid: String,
    pub alg: Alg,
    pub pkcs8: Zeroizing<Vec<u8>>,
    pub public_jwk: Value,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn generate(alg: Alg) -> Result<GeneratedKey, KeyError> {
    let rng = SystemRandom::new();
    let pkcs8: Vec<u8> = match alg {
        Alg::EdDSA => Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| KeyError::Generation)?
            .as_ref()
            .to_vec(),
        Alg::ES256 => EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| KeyError::Generation)?
            .as_ref()
            .to_vec(),
        Alg::RS256 => {
            let pair = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                .map_err(|_| KeyError::Generation)?;
            pair.as_der()
                .map_err(|_| KeyError::Generation)?
                .as_ref()
                .to_vec()
        }
    };
    let kid = random::token::<16>();
    let signer = Signer::from_pkcs8(&kid, alg, &pkcs8)?;
    Ok(GeneratedKey {
        public_jwk: signer.public_jwk(),
        kid,
        alg,
        pkcs8: Zeroizing::new(pkcs8),
    })
}

enum Pair {
    Ed(Ed25519KeyPair),
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

/// A parsed private key, ready to sign.
pub struct Signer {
    kid: String,
    alg: Alg,
    pair: Pair,
}

impl Signer {
    pub fn from_pkcs8(kid: &str, alg: Alg, der: &[u8]) -> Result<Self, KeyError> {
        let pair = match alg {
            Alg::EdDSA => {
                Pair::Ed(Ed25519KeyPair::from_pkcs8(der).map_err(|_| KeyError::InvalidMaterial)?)
            }
            Alg::ES256 => Pair::Ec(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(|_| KeyError::InvalidMaterial)?,
            ),
            Alg::RS256 => {
                Pair::Rsa(RsaKeyPair::from_pkcs8(der).map_err(|_| KeyError::InvalidMaterial)?)
            }
        };
        Ok(Self {
            kid: kid.to_string(),
            alg,
            pair,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// The JWS signature of `message` (ES256 in the fixed r||s form JWS requires).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.pair {
            Pair::Ed(k) => Ok(k.sign(message).as_ref().to_vec()),
            Pair::Ec(k) => k
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Signing),
            Pair::Rsa(k) => {
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
                    .map_err(|_| KeyError::Signing)?;
                Ok(sig)
            }
        }
    }

    pub fn public_jwk(&self) -> Value {
        let mut jwk = match &self.pair {
            Pair::Ed(k) => {
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64(k.public_key().as_ref())})
            }
            Pair::Ec(k) => {
                // Uncompressed point: 0x04 || x || y.
                let p = k.public_key().as_ref();
                let (x, y) = p
                    .get(1..)
                    .unwrap_or_default()
                    .split_at(32.min(p.len().saturating_sub(1)));
                json!({"kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y)})
            }
            Pair::Rsa(k) => {
                let public = k.public_key();
                json!({
                    "kty": "RSA",
                    "n": b64(public.modulus().big_endian_without_leading_zero()),
                    "e": b64(public.exponent().big_endian_without_leading_zero()),
                })
            }
        };
        if let Some(obj) = jwk.as_object_mut() {
            obj.insert("kid".into(), self.kid.clone().into());
            obj.insert("alg".into(), self.alg.as_str().into());
            obj.insert("use".into(), "sig".into());
        }
        jwk
    }
}

/// The verification key for a published JWK of algorithm `alg`.
pub fn decoding_key(alg: Alg, jwk: &Value) -> Result<DecodingKey, KeyError> {
    let field = |name: &str| {
        jwk.get(name)
            .and_then(Value::as_str)
            .ok_or(KeyError::InvalidMaterial)
    };
    let key = match alg {
        Alg::EdDSA => DecodingKey::from_ed_components(field("x")?),
        Alg::ES256 => DecodingKey::from_ec_components(field("x")?, field("y")?),
        Alg::RS256 => DecodingKey::from_rsa_components(field("n")?, field("e")?),
    };
    key.map_err(|_| KeyError::InvalidMaterial)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_generates_signs_and_publishes_a_matching_jwk() {
        for alg in Alg::ALL {
            let k = generate(alg).unwrap();
            let signer = Signer::from_pkcs8(&k.kid, alg, &k.pkcs8).unwrap();
            let jwk = signer.public_jwk();
            assert_eq!(jwk["kid"], k.kid.as_str());
            assert_eq!(jwk["alg"], alg.as_str());
            assert!(jwk.get("d").is_none(), "no private part in a JWK");
            assert!(decoding_key(alg, &jwk).is_ok());
            assert!(!signer.sign(b"message").unwrap().is_empty());
        }
    }
}

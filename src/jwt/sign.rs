//! JWS compact serialisation with a pre-parsed key: `kid` and `typ` on every token.

use super::keys::{KeyError, Signer};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use serde_json::json;

pub fn sign(signer: &Signer, typ: &str, claims: &impl Serialize) -> Result<String, KeyError> {
    let header = json!({"alg": signer.alg().as_str(), "typ": typ, "kid": signer.kid()});
    let header = serde_json::to_vec(&header).map_err(|_| KeyError::Signing)?;
    let payload = serde_json::to_vec(claims).map_err(|_| KeyError::Signing)?;
    let mut token = String::with_capacity(512);
    token.push_str(&URL_SAFE_NO_PAD.encode(header));
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(payload));
    let signature = signer.sign(token.as_bytes())?;
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(signature));
    Ok(token)
}

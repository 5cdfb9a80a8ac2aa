//! Workspace API keys. Format: `idk_` followed by the tenant id, the key id (22 base64url
//! characters each) and a 256-bit secret (43 characters): fixed length, a prefix secret
//! scanners can match, and the tenant readable without a lookup. Only SHA-256 of the whole
//! key is stored; lists show its last four characters.

pub mod made_by;
pub mod remembered;
pub mod service;

use crate::ids::TenantId;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const PREFIX: &str = "idk_";
const ID_LEN: usize = 22;
const SECRET_LEN: usize = 43;
pub const KEY_LEN: usize = PREFIX.len() + 2 * ID_LEN + SECRET_LEN;

/// The parts of a presented key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedKey {
    pub tenant: TenantId,
    pub key_id: Uuid,
}

pub fn format_key(tenant: TenantId, key_id: Uuid) -> String {
    let secret = crate::crypto::random::token::<32>();
    format!(
        "{PREFIX}{}{}{secret}",
        URL_SAFE_NO_PAD.encode(tenant.0.as_bytes()),
        URL_SAFE_NO_PAD.encode(key_id.as_bytes())
    )
}

pub fn parse(key: &str) -> Option<ParsedKey> {
    if key.len() != KEY_LEN || !key.is_ascii() {
        return None;
    }
    let body = key.strip_prefix(PREFIX)?;
    let uuid = |s: &str| -> Option<Uuid> {
        let bytes = URL_SAFE_NO_PAD.decode(s).ok()?;
        Uuid::from_slice(&bytes).ok()
    };
    Some(ParsedKey {
        tenant: TenantId(uuid(body.get(..ID_LEN)?)?),
        key_id: uuid(body.get(ID_LEN..2 * ID_LEN)?)?,
    })
}

pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

pub fn last4(key: &str) -> String {
    key.get(key.len().saturating_sub(4)..)
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_garbage_is_refused() {
        let tenant = TenantId::new();
        let id = Uuid::new_v4();
        let key = format_key(tenant, id);
        assert!(key.starts_with("idk_"));
        assert_eq!(key.len(), KEY_LEN);
        assert_eq!(parse(&key), Some(ParsedKey { tenant, key_id: id }));
        assert_ne!(format_key(tenant, id), key, "secrets are random");
        assert_eq!(parse("idk_short"), None);
        assert_eq!(parse(&key.replacen("idk_", "xyz_", 1)), None);
        assert_eq!(last4(&key).len(), 4);
    }
}

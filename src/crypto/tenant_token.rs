//! Opaque secrets that carry their tenant: `<prefix>` + the tenant id (22 base64url
//! characters) + 256 random bits (43 characters). The tenant is readable without a lookup
//! (so the right tenant transaction can be opened), only SHA-256 of the whole value is
//! stored, and the prefix lets secret scanners recognise them.

use super::random;
use crate::ids::TenantId;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

const TENANT_LEN: usize = 22;
const SECRET_LEN: usize = 43;

pub fn mint(prefix: &str, tenant: TenantId) -> String {
    format!(
        "{prefix}{}{}",
        URL_SAFE_NO_PAD.encode(tenant.0.as_bytes()),
        random::token::<32>()
    )
}

/// The tenant of a well-formed value with this prefix.
pub fn tenant_of(prefix: &str, value: &str) -> Option<TenantId> {
    let body = value.strip_prefix(prefix)?;
    if body.len() != TENANT_LEN + SECRET_LEN || !body.is_ascii() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(body.get(..TENANT_LEN)?).ok()?;
    uuid::Uuid::from_slice(&bytes).ok().map(TenantId)
}

/// What is stored instead of the value.
pub fn hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_carry_their_tenant_and_look_alikes_do_not_parse() {
        let t = TenantId::new();
        let v = mint("idc_", t);
        assert_eq!(tenant_of("idc_", &v), Some(t));
        assert_eq!(tenant_of("idr_", &v), None, "another kind's prefix");
        assert_eq!(tenant_of("idc_", "idc_short"), None);
        assert_ne!(mint("idc_", t), v);
        assert_eq!(hash(&v).len(), 64);
    }
}

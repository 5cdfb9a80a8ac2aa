//! The relying party: its id is the host of the configured public URL and the only origin
//! accepted is that URL's. An IP address cannot be a relying party id, so a service
//! reached by address has passkeys off.

use std::sync::Arc;
use webauthn_rs::prelude::Url;
use webauthn_rs::{Webauthn, WebauthnBuilder};

/// The verifier for `public_url`, or `None` when its host is not a domain name.
pub fn build(public_url: &str, name: &str) -> Option<Arc<Webauthn>> {
    let url = Url::parse(public_url).ok()?;
    let url::Host::Domain(rp_id) = url.host()? else {
        return None;
    };
    let rp_id = rp_id.to_string();
    let built = WebauthnBuilder::new(&rp_id, &url)
        .ok()?
        .rp_name(name)
        .build()
        .ok()?;
    Some(Arc::new(built))
}

#[cfg(test)]
mod tests {
    use super::build;

    #[test]
    fn a_domain_is_a_relying_party_and_an_address_is_not() {
        assert!(build("https://id.example.com", "Identity").is_some());
        assert!(build("http://localhost:8080", "Identity").is_some());
        assert!(build("http://127.0.0.1:8080", "Identity").is_none());
        assert!(build("not a url", "Identity").is_none());
    }
}

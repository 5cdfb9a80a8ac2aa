//! The `development` section: conveniences for a checkout on one machine, refused elsewhere.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Only `deploy/config/local.yaml` has this section. Anything it enables is refused when
/// `server.public_url` is not a loopback name, so a copied setting cannot reach production.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevelopmentSettings {
    /// Where the platform key is read from when `IDENTITY_PLATFORM_ENCRYPTION_KEY` is not
    /// set; relative to the settings file. `deploy/local/run.sh` writes it on first run.
    #[serde(default)]
    pub platform_key_file: Option<PathBuf>,
    /// The demo application (`identity demo-app`), linked from the landing page.
    #[serde(default)]
    pub demo_app_url: Option<String>,
    /// The test SAML IdP `run.sh` starts (`tests/external/saml_idp.py`), suggested by the
    /// console's Single sign-on screens.
    #[serde(default)]
    pub test_idp_metadata_url: Option<String>,
}

impl DevelopmentSettings {
    /// Makes relative paths relative to the settings file's folder, not the working one.
    pub(super) fn anchor(&mut self, settings_file: &Path) {
        let base = settings_file.parent().unwrap_or(Path::new("."));
        if let Some(file) = &mut self.platform_key_file {
            if file.is_relative() {
                *file = base.join(&*file);
            }
        }
    }
}

/// True for `http(s)://localhost`, `127.x` and `[::1]` URLs: a machine nobody else reaches.
pub fn is_loopback_url(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    match parsed.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_names_count_as_local() {
        assert!(is_loopback_url("http://localhost:8080"));
        assert!(is_loopback_url("http://127.0.0.1:8080"));
        assert!(is_loopback_url("http://[::1]:8080"));
        assert!(!is_loopback_url("https://id.example.com"));
        assert!(!is_loopback_url("https://localhost.example.com"));
        assert!(!is_loopback_url("not a url"));
    }

    #[test]
    fn a_relative_key_file_is_read_next_to_the_settings() {
        let mut dev = DevelopmentSettings {
            platform_key_file: Some("../../.local/platform-key".into()),
            ..Default::default()
        };
        dev.anchor(Path::new("/repo/deploy/config/local.yaml"));
        assert_eq!(
            dev.platform_key_file.unwrap(),
            PathBuf::from("/repo/deploy/config/../../.local/platform-key")
        );
    }
}

//! Every shipped settings file parses: a typo in one fails the build, not a deployment.

use identity::config::Settings;
use identity::db::target::{PgTarget, SslMode};
use secrecy::ExposeSecret;

#[test]
fn shipped_settings_files_parse() {
    for file in ["deploy/config/local.yaml", "deploy/config/production.yaml"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let settings = Settings::from_yaml_and_env(&text, Vec::new())
            .unwrap_or_else(|e| panic!("{file}: {e:#}"));
        assert!(
            settings.tokens.key_publish_ahead_secs > settings.tokens.jwks_max_age_secs as i64,
            "{file}: keys must be published longer than the JWKS is cached"
        );
    }
}

/// The production settings reach PostgreSQL and Redis only over verified TLS.
#[test]
fn production_talks_to_its_datastores_over_verified_tls() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/config/production.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let settings = Settings::from_yaml_and_env(&text, Vec::new()).unwrap();
    for url in [&settings.database.url, &settings.database.migrate_url] {
        let mode = PgTarget::mode_of(url.expose_secret()).unwrap();
        assert_eq!(mode, SslMode::VerifyFull);
    }
    assert!(settings.redis.url.expose_secret().starts_with("rediss://"));
    assert!(settings.redis.ca_file.is_some());
}

//! Every shipped settings file parses: a typo in one fails the build, not a deployment.

use identity::config::Settings;

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

//! What every request handler can reach, built once at start-up. It lives with the
//! handlers: the domain below takes the parts it needs, never the whole state.

use crate::auth::password::PasswordHasher;
use crate::config::Settings;
use crate::crypto::Envelope;
use crate::db::Db;
use crate::jwt::KeyStore;
use crate::ratelimit::Limiter;
use crate::sso::outbound::Outbound;
use crate::telemetry::metrics::Metrics;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub limiter: Limiter,
    pub envelope: Envelope,
    pub passwords: PasswordHasher,
    pub metrics: Metrics,
    pub keys: KeyStore,
    /// HTTP client for OpenID providers (SSRF-checked).
    pub idp_http: Outbound,
    /// Permits for SAML signature checks (xmlsec, RSA) on the blocking pool: at most one
    /// per core at a time, so a flood of posted responses cannot take every core.
    pub saml_checks: Arc<tokio::sync::Semaphore>,
    /// The passkey (WebAuthn) verifier for the public URL; `None` when its host is an IP
    /// address, which cannot be a relying party.
    pub webauthn: Option<Arc<webauthn_rs::Webauthn>>,
}

impl AppState {
    /// What a bearer token or console cookie is checked against.
    pub fn principal_checks(&self) -> crate::admin::principal::Checks<'_> {
        crate::admin::principal::Checks {
            db: &self.db,
            keys: &self.keys,
            tokens: &self.settings.tokens,
        }
    }

    /// One admin action by `who`, now.
    pub fn act<'a>(
        &'a self,
        who: &'a crate::admin::principal::Principal,
        origin: &'a crate::audit::Origin,
    ) -> crate::admin::act::Act<'a> {
        crate::admin::act::Act {
            db: &self.db,
            envelope: &self.envelope,
            who,
            origin,
            now: chrono::Utc::now(),
        }
    }

    /// The circumstances of one audited write by `actor` (`anonymous` for a browser not
    /// signed in), sealed with this instance's keyring.
    pub fn audit<'a>(
        &'a self,
        actor: &'a str,
        origin: &'a crate::audit::Origin,
        now: chrono::DateTime<chrono::Utc>,
    ) -> crate::audit::Context<'a> {
        crate::audit::Context {
            envelope: &self.envelope,
            actor,
            origin,
            now,
        }
    }
}

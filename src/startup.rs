//! Builds the application state and the HTTP server from settings.

use crate::auth::password::PasswordHasher;
use crate::config::Settings;
use crate::crypto::Envelope;
use crate::db::{Db, PoolSettings};
use crate::http::state::AppState;
use crate::http::{self, middleware};
use crate::jwt::{self, KeyStore};
use crate::ratelimit::Limiter;
use crate::telemetry::metrics::Metrics;
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

pub fn pool_settings(settings: &Settings) -> PoolSettings {
    PoolSettings {
        url: settings.database.url.clone(),
        keys_url: settings.database.keys_url(),
        max_size: settings.database.pool_size,
        acquire_timeout: Duration::from_millis(settings.database.acquire_timeout_ms),
    }
}

/// State shared by all workers. Connects to nothing yet: the pool and the limiter connect
/// on first use, so the service starts (and reports not-ready) while a dependency is down.
pub fn build_state(settings: Settings, envelope: Envelope) -> anyhow::Result<AppState> {
    let db = Db::connect(&pool_settings(&settings))?.with_cipher(Arc::new(envelope.clone()));
    let limiter = Limiter::new(&settings.redis)?;
    let blocking = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let retention = chrono::Duration::seconds(
        settings.tokens.max_token_ttl_secs + settings.tokens.leeway_secs as i64,
    );
    let keys = KeyStore::new(db.clone(), envelope.clone(), retention);
    let hash_threads = settings.server.password_hash_threads.unwrap_or(blocking);
    let idp_http = crate::sso::outbound::Outbound::new(settings.sso.allow_private_networks)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let webauthn = crate::passkeys::relying_party::build(&settings.server.public_url, "Identity");
    Ok(AppState {
        settings: Arc::new(settings),
        db,
        limiter,
        envelope,
        passwords: PasswordHasher::new(hash_threads),
        metrics: Metrics::new()?,
        keys,
        idp_http,
        saml_checks: Arc::new(tokio::sync::Semaphore::new(blocking)),
        webauthn,
    })
}

/// Makes sure every algorithm has an active signing key, loads the keys and keeps them
/// fresh. A database outage here is logged, not fatal: the refresher keeps trying and the
/// token endpoint answers `temporarily_unavailable` meanwhile.
pub async fn prepare(state: &AppState) {
    let now = chrono::Utc::now();
    if let Err(e) = state.db.start_feed() {
        tracing::error!(error = %e, "the change feed could not start; every hot-path read goes to the database");
    }
    if let Err(e) = jwt::rotation::ensure_active_keys(&state.db, &state.envelope, now).await {
        tracing::warn!(error = %e, "could not ensure active signing keys");
    }
    if let Err(e) = state.keys.refresh().await {
        tracing::warn!(error = %e, "could not load signing keys");
    }
    match crate::mail::sender::SmtpSender::new(&state.settings.mail) {
        Ok(sender) => sender.spawn(
            state.db.clone(),
            state.envelope.clone(),
            std::time::Duration::from_millis(state.settings.mail.poll_interval_ms.max(100)),
        ),
        Err(e) => tracing::error!(error = %e, "mail settings are invalid; no mail will be sent"),
    }
    if let Err(e) = crate::audit::chainer::spawn(&state.db, state.envelope.clone()) {
        tracing::error!(error = %e, "the audit chainer could not start; entries wait in audit_pending");
    }
    let retention = &state.settings.retention;
    crate::audit::retention::spawn(
        state.db.clone(),
        state.envelope.clone(),
        retention.audit_window(),
        std::time::Duration::from_secs(retention.run_every_secs),
    );
    crate::admin::tenant_lifecycle::spawn(
        state.db.clone(),
        state.envelope.clone(),
        retention.cancelled_days.clamp(1, 3650) as i32,
        std::time::Duration::from_secs(retention.run_every_secs),
    );
    crate::sso::metadata_refresh::spawn(
        state.db.clone(),
        state.envelope.clone(),
        state.idp_http.clone(),
        state.settings.server.public_url.clone(),
        state.settings.sso.metadata_refresh(),
    );
    state.keys.spawn_refresher(std::time::Duration::from_secs(
        state.settings.tokens.key_refresh_secs.max(1),
    ));
}

/// A running server on `listener`.
pub fn serve(state: AppState, listener: TcpListener) -> anyhow::Result<Server> {
    let workers = state.settings.server.workers;
    let body_limit = state.settings.server.max_body_bytes;
    let data = web::Data::new(state);
    // Discovery and the JWKS as served, shared by every worker (registered on their own:
    // nothing else needs them).
    let documents = web::Data::new(http::wellknown::Documents::default());
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(documents.clone())
            .app_data(http::json_config(body_limit))
            .app_data(web::PayloadConfig::new(body_limit))
            .app_data(http::query_config())
            .app_data(http::path_config())
            .wrap(from_fn(middleware::global_rate_limit))
            .wrap(from_fn(middleware::security_headers))
            .wrap(from_fn(middleware::record_metrics))
            .wrap(from_fn(middleware::request_context))
            .configure(|cfg| http::configure(cfg, &mut Vec::new()))
            .default_service(web::to(http::route_not_found))
    })
    .shutdown_timeout(10);
    if let Some(n) = workers {
        server = server.workers(n);
    }
    Ok(server.listen(listener)?.run())
}

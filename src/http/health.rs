//! Liveness, readiness and metrics.

use crate::error::PROBLEM_JSON;
use crate::http::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::json;

/// The process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Ready when the database, the keys database and Redis answer in time; otherwise 503, so
/// the load balancer stops sending traffic that would fail anyway.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let (db, keys, redis) = tokio::join!(
        state.db.ping(),
        state.db.keks().ping(),
        state.limiter.ping()
    );
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let checks = json!({"database": word(db.is_ok()), "keys_database": word(keys.is_ok()),
                        "redis": word(redis.is_ok())});
    if db.is_ok() && keys.is_ok() && redis.is_ok() {
        HttpResponse::Ok().json(json!({"status": "ready", "checks": checks}))
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
            .insert_header((header::RETRY_AFTER, "5"))
            .body(
                json!({
                    "type": "urn:identity:problem:not_ready",
                    "title": "Not ready",
                    "status": 503,
                    "code": "not_ready",
                    "checks": checks,
                })
                .to_string(),
            )
    }
}

pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let trusted = state.db.memory().is_trusted();
    state.metrics.change_feed_trusted.set(i64::from(trusted));
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}

//! Outermost middleware: assigns the request id, opens the request's tracing span (so every
//! log line carries the id), echoes `X-Request-Id`, and writes one access-log line.
//! The query string is never logged; the path goes through the log scrubber.

use crate::http::client_ip;
use crate::http::request_context::{request_id, RequestContext};
use crate::http::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage};
use std::time::Instant;
use tracing::Instrument;

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let id = request_id(req.headers());
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.server.trusted_proxies.clone())
        .unwrap_or_default();
    let ip = client_ip::resolve(req.peer_addr().map(|a| a.ip()), req.headers(), &trusted);
    req.extensions_mut().insert(RequestContext {
        request_id: id.clone(),
        client_ip: ip,
    });
    let method = req.method().to_string();
    let path = req.path().to_string();
    let span = tracing::info_span!("request", request_id = %id);
    let mut res = next.call(req).instrument(span.clone()).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    let status = res.status().as_u16();
    span.in_scope(|| {
        tracing::info!(
            method,
            path,
            status,
            duration_ms = started.elapsed().as_millis() as u64,
            "request"
        )
    });
    Ok(res)
}

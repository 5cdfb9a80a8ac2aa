//! Per-request facts set by the outermost middleware: the request id (from `traceparent`,
//! `X-Request-Id`, or generated) and the resolved client IP.

use crate::audit::Origin;
use actix_web::dev::Payload;
use actix_web::http::header::HeaderMap;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use std::future::{ready, Ready};
use std::net::IpAddr;

#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub client_ip: Option<IpAddr>,
}

impl RequestContext {
    /// What an audit entry records about this request.
    pub fn origin(&self) -> Origin {
        Origin {
            trace_id: self.request_id.clone(),
            ip: self.client_ip,
        }
    }
}

impl FromRequest for RequestContext {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let ctx = req.extensions().get::<RequestContext>().cloned();
        ready(Ok(ctx.unwrap_or_else(|| RequestContext {
            request_id: generate(),
            client_ip: req.peer_addr().map(|a| a.ip()),
        })))
    }
}

fn generate() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The W3C trace id of a valid `traceparent`, else a sane `X-Request-Id`, else a new id.
pub fn request_id(headers: &HeaderMap) -> String {
    if let Some(tp) = headers.get("traceparent").and_then(|v| v.to_str().ok()) {
        let parts: Vec<&str> = tp.trim().split('-').collect();
        if let [version, trace, span, flags] = parts[..] {
            let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
            if hex(version, 2)
                && hex(trace, 32)
                && hex(span, 16)
                && hex(flags, 2)
                && trace.bytes().any(|b| b != b'0')
            {
                return trace.to_ascii_lowercase();
            }
        }
    }
    if let Some(id) = headers.get("x-request-id").and_then(|v| v.to_str().ok()) {
        let ok = (1..=128).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if ok {
            return id.to_string();
        }
    }
    generate()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn with(name: &'static str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).unwrap(),
        );
        h
    }

    #[test]
    fn traceparent_then_request_id_then_generated() {
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(
            request_id(&with("traceparent", tp)),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(request_id(&with("x-request-id", "abc-123")), "abc-123");
        let bad = request_id(&with("x-request-id", "a b<script>"));
        assert_eq!(bad.len(), 32);
        let zero = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
        assert_ne!(
            request_id(&with("traceparent", zero)),
            "00000000000000000000000000000000"
        );
    }
}

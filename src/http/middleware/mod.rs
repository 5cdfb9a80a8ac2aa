//! Middleware, outermost first: request context (id, span, access log), metrics,
//! security headers, rate limit.

mod metrics;
mod rate_limit;
mod request_context;
mod security_headers;

pub use metrics::record_metrics;
pub use rate_limit::global_rate_limit;
pub use request_context::request_context;
pub use security_headers::{csp_with_form_target, security_headers};

/// Operational endpoints that load balancers and scrapers poll: not rate limited.
pub(crate) fn is_probe(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

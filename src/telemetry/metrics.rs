//! Prometheus metrics served at `/metrics`. Labels use route patterns, never raw paths.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub rate_limit: IntCounterVec,
    /// 1 while this instance trusts its memory (change feed connected and caught up), 0
    /// while it reads the database on every call.
    pub change_feed_trusted: IntGauge,
}

impl Metrics {
    pub fn new() -> anyhow::Result<Self> {
        let registry = Registry::new_custom(Some("identity".into()), None)?;
        let http_requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route pattern and status",
            ),
            &["method", "route", "status"],
        )?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency"),
            &["method", "route"],
        )?;
        let rate_limit = IntCounterVec::new(
            Opts::new(
                "rate_limit_decisions_total",
                "Rate limiter outcomes by budget",
            ),
            &["budget", "outcome"],
        )?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_duration.clone()))?;
        let change_feed_trusted = IntGauge::new(
            "change_feed_trusted",
            "1 while memory is trusted (change feed connected and caught up), else 0",
        )?;
        registry.register(Box::new(rate_limit.clone()))?;
        registry.register(Box::new(change_feed_trusted.clone()))?;
        super::lost::register();
        Ok(Self {
            registry,
            http_requests,
            http_duration,
            rate_limit,
            change_feed_trusted,
        })
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let mut families = self.registry.gather();
        // Process-wide counters (`super::lost`) live in the default registry.
        families.extend(prometheus::gather());
        let _ = TextEncoder::new().encode(&families, &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

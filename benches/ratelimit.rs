//! One limiter check against the local Redis, in both modes: a large budget admitted from
//! leases of its sliding-window counter (mostly no round trip), and the exact sliding log of
//! small budgets (one Lua script round trip each).
//! Needs Redis on IDENTITY_BENCH_REDIS (default redis://127.0.0.1:6379).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use identity::config::{Budget, RedisSettings};
use identity::ratelimit::{Decision, Limiter};

fn limiter_check(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url =
        std::env::var("IDENTITY_BENCH_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let settings = RedisSettings {
        url: url.into(),
        ca_file: None,
        key_prefix: format!("identity:bench:{}:", std::process::id()),
        connect_timeout_ms: 300,
        response_timeout_ms: 300,
    };
    let limiter = rt.block_on(async { Limiter::new(&settings).unwrap() });
    // A budget this run cannot exhaust: admitted from leases, most checks never reach Redis.
    let budget = Budget {
        limit: 4_000_000_000,
        window_secs: 1,
    };
    let first = rt
        .block_on(limiter.check("bench", "203.0.113.1", budget))
        .unwrap();
    assert!(matches!(first, Decision::Allowed { .. }));
    c.bench_function("ratelimit_check_leased_counter", |b| {
        b.to_async(&rt).iter(|| async {
            let d = limiter.check("bench", "203.0.113.1", budget).await.unwrap();
            assert!(matches!(d, Decision::Allowed { .. }));
        })
    });

    // Exact mode: a small budget, a fresh subject per check so none is refused.
    let small = Budget {
        limit: 20,
        window_secs: 900,
    };
    c.bench_function("ratelimit_check_local_redis_exact", |b| {
        b.to_async(&rt).iter(|| async {
            let subject = identity::crypto::random::token::<8>();
            let d = limiter.check("bench_exact", &subject, small).await.unwrap();
            assert!(matches!(d, Decision::Allowed { .. }));
        })
    });
}

criterion_group!(benches, limiter_check);
criterion_main!(benches);

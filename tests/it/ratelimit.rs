//! The global per-IP limit, and fail-closed behaviour with a Redis server that the test
//! starts, kills and restarts itself.

use crate::harness::{TestApp, TestDb};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test]
async fn the_301st_request_in_a_minute_is_refused_with_retry_after() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    for i in 1..=300 {
        let status = app.get("/").await.status();
        assert_eq!(status, 200, "request {i} should pass");
    }
    let refused = app.get("/").await;
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "retry-after {retry}");
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    // Probes are not limited, so orchestration keeps working.
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.stop().await;
}

pub struct OwnRedis {
    port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    pub fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed for the tests");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "own redis-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        OwnRedis {
            port,
            child: Some(child),
        }
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn with_redis_down_every_limited_request_gets_503_and_recovers_after() {
    let db = TestDb::new().await;
    let port = free_port();
    let mut redis = OwnRedis::start(port);
    let mut settings = db.settings();
    settings.redis.url = format!("redis://127.0.0.1:{port}").into();
    let app = TestApp::spawn(settings).await;

    assert_eq!(app.get("/").await.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);

    redis.kill();
    for i in 0..20 {
        let started = Instant::now();
        let res = app.get("/").await;
        assert_eq!(res.status(), 503, "request {i} passed while Redis was down");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "refusal took {:?}",
            started.elapsed()
        );
        assert!(res.headers().contains_key("retry-after"));
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], "rate_limiter_unavailable");
    }
    // The OAuth endpoints charge their IP budget themselves: refused too, well-formed or not.
    for path in ["/oauth2/token", "/oauth2/introspect", "/oauth2/revoke"] {
        let res = app
            .http
            .post(app.url(path))
            .basic_auth("no-such-client", Some("x"))
            .form(&[("grant_type", "client_credentials"), ("token", "t")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 503, "{path} answered while Redis was down");
        assert!(res.headers().contains_key("retry-after"));
    }
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["checks"]["redis"], "unavailable");
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "liveness does not depend on Redis"
    );

    let _redis = OwnRedis::start(redis.port);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let status = app.get("/").await.status();
        if status == 200 {
            break;
        }
        assert_eq!(status, 503);
        assert!(
            Instant::now() < deadline,
            "did not recover after Redis came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn large_budgets_count_with_a_sliding_counter_and_refuse_past_the_limit() {
    use identity::config::{Budget, RedisSettings};
    use identity::ratelimit::{Decision, Limiter, EXACT_LIMIT_MAX};
    let settings = RedisSettings {
        url: crate::harness::redis_url().into(),
        ca_file: None,
        key_prefix: format!("identity:test:counter:{}:", std::process::id()),
        connect_timeout_ms: 300,
        response_timeout_ms: 300,
    };
    let limiter = Limiter::new(&settings).unwrap();
    // A day-long window, so the run cannot straddle two windows.
    let budget = Budget {
        limit: EXACT_LIMIT_MAX + 1,
        window_secs: 86_400,
    };
    let subject = identity::crypto::random::token::<8>();
    for i in 0..budget.limit {
        let d = limiter
            .check("counter_test", &subject, budget)
            .await
            .unwrap();
        assert!(matches!(d, Decision::Allowed { .. }), "request {i} refused");
    }
    match limiter
        .check("counter_test", &subject, budget)
        .await
        .unwrap()
    {
        Decision::Limited { retry_after } => assert!(retry_after.as_secs() > 0),
        other => panic!("request past the budget allowed: {other:?}"),
    }
    // Another subject has its own budget.
    let other = limiter
        .check("counter_test", "someone-else", budget)
        .await
        .unwrap();
    assert!(matches!(other, Decision::Allowed { .. }));
}

/// Large budgets are admitted from leases an instance takes from the shared counter: two
/// instances together admit exactly the budget, never more.
#[tokio::test]
async fn two_instances_leasing_from_one_large_budget_admit_exactly_the_budget() {
    use identity::config::{Budget, RedisSettings};
    use identity::ratelimit::{Decision, Limiter, EXACT_LIMIT_MAX};
    let settings = RedisSettings {
        url: crate::harness::redis_url().into(),
        ca_file: None,
        key_prefix: format!("identity:test:lease:{}:", std::process::id()),
        connect_timeout_ms: 300,
        response_timeout_ms: 300,
    };
    let (a, b) = (
        Limiter::new(&settings).unwrap(),
        Limiter::new(&settings).unwrap(),
    );
    let budget = Budget {
        limit: EXACT_LIMIT_MAX * 3,
        window_secs: 86_400,
    };
    let subject = identity::crypto::random::token::<8>();
    let mut admitted = 0;
    for i in 0..(budget.limit * 2) {
        let limiter = if i % 3 == 0 { &a } else { &b };
        match limiter.check("lease_test", &subject, budget).await.unwrap() {
            Decision::Allowed { .. } => admitted += 1,
            Decision::Limited { retry_after } => assert!(retry_after.as_millis() > 0),
        }
    }
    assert!(
        admitted <= budget.limit,
        "{admitted} admitted on a budget of {}",
        budget.limit
    );
    // What leases hold back when the budget runs out is small: at most one lease each.
    assert!(
        admitted + 2 * identity::ratelimit::max_lease(budget.limit) >= budget.limit,
        "only {admitted} of {} admitted",
        budget.limit
    );
}

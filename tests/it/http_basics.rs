//! What every response carries: security headers, request ids, problem+json errors.

use crate::harness::{TestApp, TestDb};

fn assert_security_headers(res: &reqwest::Response) {
    let h = res.headers();
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert!(h["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
}

#[tokio::test]
async fn responses_carry_security_headers_and_errors_are_problem_json() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;

    let ok = app.get("/").await;
    assert_eq!(ok.status(), 200);
    assert_security_headers(&ok);

    let missing = app.get("/no/such/route?email=a@b.example").await;
    assert_eq!(missing.status(), 404);
    assert_security_headers(&missing);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(body["code"], "route_not_found");
    assert_eq!(body["status"], 404);
    assert!(
        !body.to_string().contains("a@b.example"),
        "input echoed: {body}"
    );

    let wrong_method = app.http.delete(app.url("/healthz")).send().await.unwrap();
    assert_eq!(wrong_method.status(), 405);
    let body: serde_json::Value = wrong_method.json().await.unwrap();
    assert_eq!(body["code"], "method_not_allowed");
    app.stop().await;
}

#[tokio::test]
async fn request_ids_come_from_traceparent_or_x_request_id_or_are_generated() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let res = app
        .http
        .get(app.url("/healthz"))
        .header("traceparent", tp)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["x-request-id"],
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
    let res = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "req-42");
    let a = app.get("/healthz").await.headers()["x-request-id"].clone();
    let b = app.get("/healthz").await.headers()["x-request-id"].clone();
    assert_ne!(a, b);
    app.stop().await;
}

#[tokio::test]
async fn readiness_and_metrics_report_real_state() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["redis"], "ok");
    app.get("/").await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"identity_http_requests_total{method="GET",route="/",status="200"} 1"#),
        "{metrics}"
    );
    assert!(metrics
        .contains(r#"identity_rate_limit_decisions_total{budget="global_ip",outcome="allowed"}"#));
    app.stop().await;

    // With the database gone, readiness says so.
    let mut settings = db.settings();
    settings.database.url = "postgres://identity_app@127.0.0.1:1/nothing"
        .to_string()
        .into();
    settings.database.acquire_timeout_ms = 500;
    let app = TestApp::spawn(settings).await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["checks"]["database"], "unavailable");
    app.stop().await;
}

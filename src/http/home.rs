//! A plain landing page so the printed URL shows something useful.

use actix_web::HttpResponse;

const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Identity service</title></head>
<body><main><h1>Identity service</h1>
<p>The service is running. Sign-in pages are reached by redirect from CRM front ends.</p>
<ul><li><a href="/healthz">Liveness</a></li><li><a href="/readyz">Readiness</a></li></ul>
</main></body></html>"#;

pub async fn index() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(PAGE)
}

//! The landing page the printed URL opens: what the service is, the demo app (in a local
//! checkout), the console and the discovery document.

use crate::http::pages;
use crate::http::state::AppState;
use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "home.html")]
struct Home<'a> {
    title: &'a str,
    demo_app_url: Option<&'a str>,
}

pub async fn index(state: web::Data<AppState>) -> HttpResponse {
    let demo_app_url = state
        .settings
        .development
        .as_ref()
        .and_then(|d| d.demo_app_url.as_deref());
    pages::render(
        StatusCode::OK,
        &Home {
            title: "Identity service",
            demo_app_url,
        },
    )
}

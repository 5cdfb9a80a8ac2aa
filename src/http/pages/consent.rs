//! The consent question and the account's list of connected applications.

use crate::oidc::consent::Consented;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage<'a> {
    pub title: &'a str,
    pub app: &'a str,
    /// What the scopes let it know, in words.
    pub scopes: Vec<&'static str>,
    /// The APIs (audiences) it may call as the person.
    pub apis: &'a [String],
    /// Where the answer goes (the redirect URI's origin).
    pub returns_to: &'a str,
    pub csrf: &'a str,
    pub hidden: &'a [(String, String)],
}

/// The scope names people read.
pub fn scope_words(scope: &str) -> Vec<&'static str> {
    let mut out = vec!["know who you are in this workspace"];
    for s in scope.split(' ') {
        let words = match s {
            "email" => "see your email address",
            "profile" => "see your name",
            "offline_access" => "stay connected while you are away",
            _ => continue,
        };
        if !out.contains(&words) {
            out.push(words);
        }
    }
    out
}

pub fn consent(page: &ConsentPage<'_>) -> HttpResponse {
    super::render(StatusCode::OK, page)
}

#[derive(Template)]
#[template(path = "account_apps.html")]
pub struct AccountApps<'a> {
    pub title: &'a str,
    pub apps: &'a [Consented],
    pub csrf: &'a str,
    pub notice: Option<&'a str>,
}

pub fn account_apps(status: StatusCode, page: &AccountApps<'_>) -> HttpResponse {
    super::render(status, page)
}

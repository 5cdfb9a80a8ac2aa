//! Server-rendered pages: askama templates (`templates/`) compiled into the binary and
//! checked with it, every value HTML-escaped by default. Styles come from
//! `/assets/identity.css` and the one script, for passkeys, from `/assets/passkeys.js`
//! (the CSP allows same-origin styles and scripts, nothing inline).

use actix_web::http::header;
use actix_web::{http::StatusCode, HttpResponse};
use askama::Template;

pub mod consent;
pub mod mfa;
pub mod passkeys;

pub const PASSKEYS_JS: &str = include_str!("passkeys.js");

pub const CONSOLE_JS: &str = include_str!("console.js");

pub const CSS: &str = include_str!("identity.css");

/// Answers a page rendered from a template (`templates/`, auto-escaped): never cached.
/// The templates are checked when the crate compiles; a rendering error is a bug, logged
/// and answered with a plain 500.
pub fn render(status: StatusCode, template: &impl Template) -> HttpResponse {
    match template.render() {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, "a page did not render");
            HttpResponse::InternalServerError().finish()
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct Message<'a> {
    title: &'a str,
    message: &'a str,
    continue_to: Option<&'a str>,
}

/// A heading and a sentence (fixed text or escaped values), with a way on when given.
pub fn message(
    status: StatusCode,
    title: &str,
    message: &str,
    continue_to: Option<&str>,
) -> HttpResponse {
    render(
        status,
        &Message {
            title,
            message,
            continue_to,
        },
    )
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

/// A friendly error page; `message` is fixed text, never input.
pub fn error(status: StatusCode, message: &str) -> HttpResponse {
    let title = "Sign-in problem";
    render(status, &ErrorPage { title, message })
}

/// The sign-in page.
#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignInForm<'a> {
    pub title: &'a str,
    pub hidden: &'a [(String, String)],
    /// (slug, display name) of the workspace, when known.
    pub workspace: Option<(&'a str, &'a str)>,
    pub email: &'a str,
    pub csrf: &'a str,
    pub error: Option<&'a str>,
    /// Offer passkeys (the service has a relying party id).
    pub passkeys: bool,
}

pub fn sign_in(status: StatusCode, form: &SignInForm<'_>) -> HttpResponse {
    render(status, form)
}

/// The page of an SSO test link: a button that starts the test.
#[derive(Template)]
#[template(path = "sso_test_start.html")]
pub struct SsoTestStart<'a> {
    pub title: &'a str,
    pub link: &'a str,
}

#[derive(Template)]
#[template(path = "redirecting.html")]
struct Redirecting<'a> {
    title: &'a str,
    url: &'a str,
}

/// The hand-off to an identity provider after a form: a page that moves on by itself
/// (meta refresh, no script) with a link as fallback. A redirect would be blocked by the
/// form's CSP `form-action`, which also covers redirects.
pub fn redirecting(url: &str) -> HttpResponse {
    let page = Redirecting {
        title: "Signing in",
        url,
    };
    render(StatusCode::OK, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_in_every_template() {
        let form = SignInForm {
            title: "Sign in",
            hidden: &[("state".into(), "\"><script>x</script>".into())],
            workspace: Some(("a", "<b>Acme</b>")),
            email: "\" onfocus=\"x",
            csrf: "c",
            error: Some("<i>no</i>"),
            passkeys: true,
        };
        let html = form.render().unwrap();
        assert!(!html.contains("<script>x"), "{html}");
        assert!(!html.contains("<b>Acme"), "{html}");
        assert!(!html.contains("\" onfocus"), "{html}");
        assert!(!html.contains("<i>no"), "{html}");
        assert!(html.contains("&#60;b&#62;Acme&#60;/b&#62;"), "{html}");
    }
}

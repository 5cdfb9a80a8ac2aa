//! Server-rendered pages: askama templates (`templates/`) compiled into the binary and
//! checked with it, every value HTML-escaped by default. Styles come from
//! `/assets/identity.css` and the one script, for passkeys, from `/assets/passkeys.js`
//! (the CSP allows same-origin styles and scripts, nothing inline).

use actix_web::http::header;
use actix_web::{http::StatusCode, HttpResponse};
use askama::Template;

pub mod mfa;
pub mod passkeys;

pub const PASSKEYS_JS: &str = include_str!("passkeys.js");

pub const CSS: &str = include_str!("identity.css");

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

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
#[template(path = "page.html")]
struct Page<'a> {
    title: &'a str,
    body: &'a str,
}

/// A page around `body`, markup the caller built with every value escaped.
pub fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    render(status, &Page { title, body })
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

/// A small form page: a heading, fixed fields, the CSRF field and hidden values.
pub struct SimpleForm<'a> {
    pub title: &'a str,
    pub action: &'a str,
    /// Fixed markup of the visible fields (no input in it).
    pub fields: &'a str,
    pub hidden: &'a [(&'a str, &'a str)],
    pub csrf: &'a str,
    pub error: Option<&'a str>,
    pub button: &'a str,
}

pub fn simple_form(status: StatusCode, form: &SimpleForm<'_>) -> HttpResponse {
    let mut hidden_html = format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        escape(form.csrf)
    );
    for (k, v) in form.hidden {
        hidden_html.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(k),
            escape(v)
        ));
    }
    let error = form
        .error
        .map(|e| format!("<p role=\"alert\" class=\"error\">{}</p>", escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>{}</h1>{error}<form method=\"post\" action=\"{}\">{hidden_html}{}<button type=\"submit\">{}</button></form>",
        escape(form.title),
        escape(form.action),
        form.fields,
        escape(form.button)
    );
    page(status, form.title, &body)
}

/// The hand-off to an identity provider after a form: a page that moves on by itself
/// (meta refresh, no script) with a link as fallback. A redirect would be blocked by the
/// form's CSP `form-action`, which also covers redirects.
pub fn redirecting(url: &str) -> HttpResponse {
    let url = escape(url);
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"0;url={url}\">\
         <title>Signing in</title><link rel=\"stylesheet\" href=\"/assets/identity.css\"></head>\
         <body><main><h1>Signing in</h1><p>Taking you to your company's sign-in page.</p>\
         <p><a id=\"continue\" href=\"{url}\">Continue</a></p></main></body></html>"
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html)
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape("<script>\"x\"&'y'</script>"),
            "&lt;script&gt;&quot;x&quot;&amp;&#x27;y&#x27;&lt;/script&gt;"
        );
    }
}

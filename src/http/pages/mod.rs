//! Server-rendered pages: templates compiled into the binary, every value HTML-escaped, no
//! JavaScript. Styles come from `/assets/identity.css` (the CSP allows same-origin styles).

use actix_web::http::header;
use actix_web::{http::StatusCode, HttpResponse};

pub mod mfa;

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

pub fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"/assets/identity.css\"></head>\
         <body><main>{body}</main></body></html>",
        escape(title)
    );
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html)
}

/// A friendly error page; `message` is fixed text, never input.
pub fn error(status: StatusCode, message: &str) -> HttpResponse {
    page(
        status,
        "Sign-in problem",
        &format!(
            "<h1>Something went wrong</h1><p role=\"alert\" class=\"error\">{}</p>",
            escape(message)
        ),
    )
}

pub struct SignInForm<'a> {
    pub hidden: &'a [(String, String)],
    /// (slug, display name) of the workspace, when known.
    pub workspace: Option<(&'a str, &'a str)>,
    pub email: &'a str,
    pub csrf: &'a str,
    pub error: Option<&'a str>,
}

pub fn sign_in(status: StatusCode, form: &SignInForm<'_>) -> HttpResponse {
    let mut hidden = String::new();
    for (k, v) in form.hidden {
        hidden.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(k),
            escape(v)
        ));
    }
    let error = form
        .error
        .map(|e| format!("<p role=\"alert\" class=\"error\">{}</p>", escape(e)))
        .unwrap_or_default();
    let (subtitle, workspace_field) = match form.workspace {
        Some((slug, name)) => (
            format!("<p class=\"workspace\">Workspace <strong>{}</strong></p>", escape(name)),
            format!("<input type=\"hidden\" name=\"workspace\" value=\"{}\">", escape(slug)),
        ),
        None => (
            String::new(),
            "<label for=\"workspace\">Workspace</label>\
             <input id=\"workspace\" name=\"workspace\" autocomplete=\"organization\" aria-describedby=\"workspace-help\">\
             <p id=\"workspace-help\" class=\"help\">Leave empty if your company's email domain is registered.</p>"
                .to_string(),
        ),
    };
    let body = format!(
        "<h1>Sign in</h1>{subtitle}{error}\
         <form method=\"post\" action=\"/signin\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">{hidden}{workspace_field}\
         <label for=\"email\">Email</label>\
         <input id=\"email\" name=\"email\" type=\"email\" required autocomplete=\"username\" value=\"{email}\">\
         <label for=\"password\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" maxlength=\"1024\" aria-describedby=\"password-help\">\
         <p id=\"password-help\" class=\"help\">Your company uses single sign-on? Leave the password empty.</p>\
         <button type=\"submit\">Sign in</button></form>\
         <p><a href=\"/password/forgot\">Forgot your password?</a></p>",
        csrf = escape(form.csrf),
        email = escape(form.email),
    );
    page(status, "Sign in", &body)
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

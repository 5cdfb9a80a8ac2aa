//! What every HTML route shares about the browser: the cookies (names and `__Host-`
//! attributes), the CSRF double submit, strict form parsing, redirects, and the CSP that
//! lets a form's answer go to its client. A leaf: it imports no other route module.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use std::collections::HashMap;

pub const SESSION_COOKIE: &str = "__Host-identity-session";
pub const CSRF_COOKIE: &str = "__Host-identity-csrf";

/// `__Host-` cookie: Secure, Path=/, no Domain; HttpOnly; SameSite=Lax.
pub(crate) fn host_cookie(name: &'static str, value: String, max_age_secs: i64) -> Cookie<'static> {
    Cookie::build(name, value)
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(CookieDuration::seconds(max_age_secs))
        .finish()
}

pub(crate) fn parse_unique(raw: &str) -> Option<HashMap<String, String>> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw).ok()?;
    let mut map = HashMap::with_capacity(pairs.len());
    for (k, v) in pairs {
        if map.insert(k, v).is_some() {
            return None;
        }
    }
    Some(map)
}

pub(crate) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// A page whose form's answer redirects to the client: its CSP must allow that target.
pub(crate) fn allow_form_target(resp: &mut HttpResponse, redirect_uri: Option<&str>) {
    let target = redirect_uri
        .and_then(crate::oidc::clients::origin_of)
        .unwrap_or("'none'");
    if let Ok(csp) =
        header::HeaderValue::from_str(&crate::http::middleware::csp_with_form_target(target))
    {
        resp.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
}

/// The browser says the request comes from another site (`Sec-Fetch-Site`). Absent (an
/// older browser, a script) is not taken as cross-site: this is a second line, never the only.
pub(crate) fn from_another_site(req: &HttpRequest) -> bool {
    req.headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.eq_ignore_ascii_case("cross-site") || v.eq_ignore_ascii_case("same-site")
        })
}

pub(crate) fn csrf_ok(req: &HttpRequest, form: &HashMap<String, String>) -> bool {
    csrf_matches(req, form.get("csrf").map(String::as_str))
}

/// Double submit: the presented token (form field or header) equals the CSRF cookie,
/// compared in constant time.
pub(crate) fn csrf_matches(req: &HttpRequest, presented: Option<&str>) -> bool {
    let (Some(cookie), Some(presented)) = (req.cookie(CSRF_COOKIE), presented) else {
        return false;
    };
    let (a, b) = (cookie.value().as_bytes(), presented.as_bytes());
    !a.is_empty()
        && a.len() == b.len()
        && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `doc` as a JSON file the browser saves as `filename`, never cached.
pub fn json_download(doc: &impl serde::Serialize, filename: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(doc)
}

/// An audit export streamed as `audit.csv`, page by page; a page that cannot be read ends
/// the download early (logged), the rows sent so far stay whole lines.
pub fn csv_download<S>(pages: S) -> HttpResponse
where
    S: futures_util::Stream<Item = Result<String, crate::error::AppError>> + 'static,
{
    use futures_util::StreamExt;
    let body = pages.map(|page| {
        page.map(actix_web::web::Bytes::from).map_err(|e| {
            tracing::warn!(error = %e, "an audit export stopped early");
            actix_web::error::ErrorServiceUnavailable("export interrupted")
        })
    });
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"audit.csv\"",
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .streaming(body)
}

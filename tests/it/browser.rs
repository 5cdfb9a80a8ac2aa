//! What every browser test needs: the PKCE pair and redirect URI the test clients use, the
//! demo password, an authorization URL, and reading what a page or a redirect carries
//! (cookies, hidden form fields, query parameters).

use reqwest::header::{HeaderMap, SET_COOKIE};

pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub const REDIRECT: &str = "https://crm.example/callback";
pub const PASSWORD: &str = "correct horse battery staple";

/// The authorization request of the `crm-web` test client for workspace `alpha`; `extra`
/// replaces (or, with an empty value, removes) parameters.
pub fn authorize_url(extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", "crm-web"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid email"),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("tenant", "alpha"),
    ];
    for (k, v) in extra {
        pairs.retain(|(key, _)| key != k);
        if !v.is_empty() {
            pairs.push((k, v));
        }
    }
    format!(
        "/oauth2/authorize?{}",
        serde_urlencoded::to_string(&pairs).unwrap()
    )
}

/// name → (value, full Set-Cookie line)
pub fn cookies(headers: &HeaderMap) -> Vec<(String, String, String)> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|line| {
            let first = line.split(';').next().unwrap();
            let (n, v) = first.split_once('=').unwrap();
            (n.to_string(), v.to_string(), line.to_string())
        })
        .collect()
}

/// The hidden fields of a page's form, unescaped.
pub fn hidden_fields(html: &str) -> Vec<(String, String)> {
    // The passkey forms are posted by the page's script, never by these tests.
    let html = html.split("<form id=\"passkey-").next().unwrap_or(html);
    let re = regex::Regex::new(r#"<input type="hidden" name="([^"]+)" value="([^"]*)">"#).unwrap();
    re.captures_iter(html)
        .map(|c| (c[1].to_string(), unescape(&c[2])))
        .collect()
}

/// The query parameters of a redirect's `Location`.
pub fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    serde_urlencoded::from_str(location.split_once('?').unwrap().1).unwrap()
}

/// Text of an HTML attribute or element as a browser reads it (the entities the templates
/// write, named or numeric).
pub fn unescape(html: &str) -> String {
    [
        ("&#34;", "\""),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&#x27;", "'"),
        ("&#60;", "<"),
        ("&lt;", "<"),
        ("&#62;", ">"),
        ("&gt;", ">"),
        ("&#38;", "&"),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(html.to_string(), |s, (entity, c)| s.replace(entity, c))
}

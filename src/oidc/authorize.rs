//! Validation of authorization requests (`/oauth2/authorize`, and again when the sign-in
//! form comes back). A bad client or redirect URI is never redirected to: it gets an error
//! page. Everything else is reported to the client's redirect URI with `state` and `iss`
//! (RFC 9207). PKCE S256 is required for every client; `plain` is refused.

use super::clients::{self, Client};
use crate::db::Db;
use std::collections::HashMap;

/// A validated request.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub client: Client,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub scope: String,
    pub prompt: Option<String>,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    /// The workspace, when the request or the client names it.
    pub tenant_slug: Option<String>,
    /// The client asked for a second factor (`acr_values` includes [`ACR_MFA`]).
    pub wants_mfa: bool,
}

impl AuthRequest {
    /// The request as form fields, to finish it after a question (consent) is answered:
    /// validated again then. `prompt` is left out: it was honoured by asking.
    pub fn as_fields(&self) -> Vec<(String, String)> {
        let mut out = vec![
            ("client_id", self.client.client_id.clone()),
            ("redirect_uri", self.redirect_uri.clone()),
            ("response_type", "code".to_string()),
            ("code_challenge", self.code_challenge.clone()),
            ("code_challenge_method", "S256".to_string()),
            ("scope", self.scope.clone()),
        ];
        let optional = [
            ("state", self.state.clone()),
            ("nonce", self.nonce.clone()),
            ("max_age", self.max_age.map(|a| a.to_string())),
            ("tenant", self.tenant_slug.clone()),
            ("acr_values", self.wants_mfa.then(|| ACR_MFA.to_string())),
        ];
        out.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
        out.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}

/// Authentication context classes: password only, and password plus a second factor.
pub const ACR_PASSWORD: &str = "urn:identity:acr:pwd";
pub const ACR_MFA: &str = "urn:identity:acr:mfa";

/// The class a sign-in with these methods reached.
pub fn acr_for(amr: &[String]) -> &'static str {
    if crate::mfa::policy::passed_mfa(amr) {
        ACR_MFA
    } else {
        ACR_PASSWORD
    }
}

#[derive(Debug)]
pub enum AuthorizeError {
    /// Shown on a page; never redirected (unknown client, unregistered redirect URI).
    Page(&'static str),
    /// Sent back to the client's redirect URI.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: &'static str,
    },
}

/// The parameters the sign-in form carries back, so the request is validated again there.
pub const CARRIED: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "scope",
    "prompt",
    "max_age",
    "tenant",
    "acr_values",
];

pub async fn validate(
    db: &Db,
    params: &HashMap<String, String>,
) -> Result<AuthRequest, AuthorizeError> {
    let get = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let client_id =
        get("client_id").ok_or(AuthorizeError::Page("The request names no application."))?;
    let client_ok = client_id.len() <= 128
        && client_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b));
    let client = match client_ok {
        true => clients::get(db, client_id)
            .await
            .map_err(|_| AuthorizeError::Page("Sign-in is unavailable right now."))?,
        false => None,
    }
    .ok_or(AuthorizeError::Page(
        "The application that sent you here is not registered.",
    ))?;
    let redirect_uri =
        get("redirect_uri").ok_or(AuthorizeError::Page("The request names no return address."))?;
    // Exact string match: no prefix, port or path leeway.
    if !client.redirect_uris.iter().any(|r| r == redirect_uri) {
        return Err(AuthorizeError::Page(
            "The return address is not registered for this application.",
        ));
    }
    let state = get("state").map(str::to_string);
    let fail = |error: &'static str, description: &'static str| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.to_string(),
        state: state.clone(),
        error,
        description,
    };
    if get("response_type") != Some("code") {
        return Err(fail(
            "unsupported_response_type",
            "only response_type=code is supported",
        ));
    }
    if !client.allows_grant("authorization_code") {
        return Err(fail(
            "unauthorized_client",
            "this client may not use the authorization code flow",
        ));
    }
    let challenge = get("code_challenge")
        .ok_or_else(|| fail("invalid_request", "code_challenge (PKCE S256) is required"))?;
    if get("code_challenge_method") != Some("S256") {
        return Err(fail(
            "invalid_request",
            "code_challenge_method must be S256",
        ));
    }
    if challenge.len() != 43
        || !challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
    {
        return Err(fail(
            "invalid_request",
            "code_challenge is not a base64url SHA-256",
        ));
    }
    let requested = get("scope").unwrap_or("openid");
    if !requested.split(' ').any(|s| s == "openid") {
        return Err(fail("invalid_scope", "scope must include openid"));
    }
    let scope = granted_scope(requested, &client.scopes);
    let prompt = get("prompt").map(str::to_string);
    if prompt
        .as_deref()
        .is_some_and(|p| !["login", "none", "consent"].contains(&p))
    {
        return Err(fail(
            "invalid_request",
            "prompt must be login, none or consent",
        ));
    }
    let max_age =
        match get("max_age") {
            Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                fail("invalid_request", "max_age must be a non-negative integer")
            })?),
            None => None,
        };
    let text = |k: &str| {
        get(k)
            .filter(|v| v.len() <= 512 && !v.chars().any(char::is_control))
            .map(str::to_string)
    };
    Ok(AuthRequest {
        tenant_slug: get("tenant").map(str::to_string),
        redirect_uri: redirect_uri.to_string(),
        state: text("state"),
        nonce: text("nonce"),
        code_challenge: challenge.to_string(),
        scope,
        prompt,
        max_age,
        login_hint: text("login_hint"),
        wants_mfa: get("acr_values").is_some_and(|v| v.split(' ').any(|a| a == ACR_MFA)),
        client,
    })
}

/// The OpenID Connect scopes any client may ask for.
pub const STANDARD_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

/// The scopes a person's tokens get: of those requested, the standard OIDC scopes and the
/// ones registered for the client, each once, in request order. Anything else is dropped
/// (RFC 6749 §3.3 lets the server grant less; the token's `scope` says what was granted),
/// so no client can mint itself an API scope it was never given.
pub fn granted_scope(requested: &str, registered: &[String]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for s in requested.split(' ').filter(|s| !s.is_empty()) {
        let allowed = STANDARD_SCOPES.contains(&s) || registered.iter().any(|r| r == s);
        if allowed && !out.contains(&s) {
            out.push(s);
        }
    }
    out.join(" ")
}

/// `redirect_uri` with the response parameters added (`code` or `error`, `state`, `iss`).
pub fn redirect_with(redirect_uri: &str, pairs: &[(&str, &str)]) -> String {
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    format!("{redirect_uri}{sep}{query}")
}

#[cfg(test)]
mod scope_tests {
    use super::granted_scope;

    #[test]
    fn person_tokens_get_standard_and_registered_scopes_only() {
        let registered = vec!["crm:read".to_string()];
        assert_eq!(
            granted_scope("openid crm:read crm:write email openid", &registered),
            "openid crm:read email"
        );
        assert_eq!(granted_scope("openid admin", &[]), "openid");
    }
}

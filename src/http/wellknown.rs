//! OpenID discovery and the JWKS, cacheable with `ETag` and `Cache-Control`.

use crate::state::AppState;
use crate::tokens::Alg;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;
use sha2::{Digest, Sha256};

fn cached_json(req: &HttpRequest, body: String, max_age: u64) -> HttpResponse {
    let etag = format!(
        "\"{}\"",
        &hex::encode(Sha256::digest(body.as_bytes()))[..32]
    );
    let cache = format!("public, max-age={max_age}");
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, cache))
            .finish();
    }
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(body)
}

pub async fn jwks(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let body = state.keys.current().jwks(chrono::Utc::now()).to_string();
    cached_json(&req, body, state.settings.tokens.jwks_max_age_secs)
}

pub async fn openid_configuration(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let base = state.settings.server.public_url.trim_end_matches('/');
    let algs: Vec<&str> = Alg::ALL.iter().map(|a| a.as_str()).collect();
    let body = json!({
        "issuer": state.settings.tokens.issuer,
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "authorization_endpoint": format!("{base}/oauth2/authorize"),
        "token_endpoint": format!("{base}/oauth2/token"),
        "introspection_endpoint": format!("{base}/oauth2/introspect"),
        "revocation_endpoint": format!("{base}/oauth2/revoke"),
        "userinfo_endpoint": format!("{base}/oauth2/userinfo"),
        "end_session_endpoint": format!("{base}/oauth2/logout"),
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials", crate::oidc::token::TOKEN_EXCHANGE],
        "claims_supported": ["sub", "tid", "email", "name", "auth_time", "amr", "acr", "sid", "nonce"],
        "acr_values_supported": [crate::oidc::authorize::ACR_PASSWORD, crate::oidc::authorize::ACR_MFA],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "token_endpoint_auth_signing_alg_values_supported": algs,
        "id_token_signing_alg_values_supported": algs,
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "code_challenge_methods_supported": ["S256"],
    })
    .to_string();
    cached_json(&req, body, 300)
}

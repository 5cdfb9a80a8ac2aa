//! OpenID discovery and the JWKS, served from memory as pre-serialised bytes with `ETag`
//! and `Cache-Control`. Discovery is built once; the JWKS again only when the set of
//! published keys changes (a rotation, or a retired key leaving it).

use crate::http::state::AppState;
use crate::jwt::Alg;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::{Arc, OnceLock, RwLock};

/// A document as served: body, its `ETag` and its `Cache-Control`.
pub struct Document {
    body: Bytes,
    etag: HeaderValue,
    cache_control: HeaderValue,
}

impl Document {
    fn new(body: String, max_age: u64) -> Self {
        let tag = format!(
            "\"{}\"",
            &hex::encode(Sha256::digest(body.as_bytes()))[..32]
        );
        Self {
            etag: HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"0\"")),
            cache_control: HeaderValue::from_str(&format!("public, max-age={max_age}"))
                .unwrap_or(HeaderValue::from_static("no-cache")),
            body: Bytes::from(body),
        }
    }

    fn respond(&self, req: &HttpRequest) -> HttpResponse {
        let etag = self.etag.as_bytes();
        let matches = req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .any(|t| t.trim().as_bytes() == etag || t.trim() == "*")
            });
        let mut resp = if matches {
            HttpResponse::NotModified().finish()
        } else {
            HttpResponse::Ok()
                .content_type(header::ContentType::json())
                .body(self.body.clone())
        };
        let headers = resp.headers_mut();
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(header::CACHE_CONTROL, self.cache_control.clone());
        resp
    }
}

/// The served documents of one instance.
#[derive(Default)]
pub struct Documents {
    discovery: OnceLock<Document>,
    /// The JWKS and the `kid`s it was built from.
    jwks: RwLock<Option<(Vec<String>, Arc<Document>)>>,
}

pub async fn jwks(
    req: HttpRequest,
    state: web::Data<AppState>,
    docs: web::Data<Documents>,
) -> HttpResponse {
    let now = chrono::Utc::now();
    let set = state.keys.current();
    let kids = set.published_kids(now);
    let current = docs
        .jwks
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .filter(|(built, _)| built.iter().map(String::as_str).eq(kids.iter().copied()))
        .map(|(_, doc)| doc.clone());
    let doc = match current {
        Some(doc) => doc,
        None => {
            let max_age = state.settings.tokens.jwks_max_age_secs;
            let doc = Arc::new(Document::new(set.jwks(now).to_string(), max_age));
            let built = kids.iter().map(|k| k.to_string()).collect();
            *docs.jwks.write().unwrap_or_else(|p| p.into_inner()) = Some((built, doc.clone()));
            doc
        }
    };
    doc.respond(&req)
}

pub async fn openid_configuration(
    req: HttpRequest,
    state: web::Data<AppState>,
    docs: web::Data<Documents>,
) -> HttpResponse {
    docs.discovery
        .get_or_init(|| Document::new(discovery(&state), 300))
        .respond(&req)
}

fn discovery(state: &AppState) -> String {
    let base = state.settings.server.public_url.trim_end_matches('/');
    let algs: Vec<&str> = Alg::ALL.iter().map(|a| a.as_str()).collect();
    json!({
        "issuer": state.settings.tokens.issuer,
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "authorization_endpoint": format!("{base}/oauth2/authorize"),
        "token_endpoint": format!("{base}/oauth2/token"),
        "introspection_endpoint": format!("{base}/oauth2/introspect"),
        "revocation_endpoint": format!("{base}/oauth2/revoke"),
        "userinfo_endpoint": format!("{base}/oauth2/userinfo"),
        "end_session_endpoint": format!("{base}/oauth2/logout"),
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials", crate::oidc::service_grants::TOKEN_EXCHANGE],
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
    .to_string()
}

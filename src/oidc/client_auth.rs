//! Client authentication at the token, introspection and revocation endpoints:
//! `client_secret_basic` (RFC 6749 §2.3.1, form-encoded id and secret) or
//! `client_secret_post`, never both.

use super::clients::Client;
use super::error::OAuthError;
use crate::db::Db;
use actix_web::http::header::HeaderMap;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Credentials as presented.
pub struct Credentials {
    pub client_id: String,
    pub secret: String,
    pub basic: bool,
}

fn form_decode(s: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
        .ok()
        .and_then(|mut v| v.pop())
        .map(|(_, v)| v)
}

pub fn credentials(
    headers: &HeaderMap,
    form_id: Option<&str>,
    form_secret: Option<&str>,
) -> Result<Credentials, OAuthError> {
    let basic = headers
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        });
    match (basic, form_secret) {
        (Some(_), Some(_)) => Err(OAuthError::InvalidRequest(
            "use one client authentication method",
        )),
        (Some(b64), None) => {
            let decoded = STANDARD
                .decode(b64.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or(OAuthError::InvalidClient { basic: true })?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or(OAuthError::InvalidClient { basic: true })?;
            let id = form_decode(id).ok_or(OAuthError::InvalidClient { basic: true })?;
            let secret = form_decode(secret).ok_or(OAuthError::InvalidClient { basic: true })?;
            if form_id.is_some_and(|f| f != id) {
                return Err(OAuthError::InvalidRequest(
                    "client_id does not match the credentials",
                ));
            }
            Ok(Credentials {
                client_id: id,
                secret,
                basic: true,
            })
        }
        (None, Some(secret)) => Ok(Credentials {
            client_id: form_id
                .ok_or(OAuthError::InvalidClient { basic: false })?
                .to_string(),
            secret: secret.to_string(),
            basic: false,
        }),
        (None, None) => Err(OAuthError::InvalidClient { basic: false }),
    }
}

/// The client the credentials authenticate, or `invalid_client`.
pub async fn authenticate(
    db: &Db,
    creds: &Credentials,
    now: DateTime<Utc>,
) -> Result<Arc<Client>, OAuthError> {
    // The same shape the database accepts: anything else (a NUL byte, say) never reaches it.
    let id_ok = (3..=128).contains(&creds.client_id.len())
        && creds
            .client_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b));
    if !id_ok || creds.secret.len() > 256 || creds.secret.contains('\0') {
        return Err(OAuthError::InvalidClient { basic: creds.basic });
    }
    super::client_lookup::authenticate(db, &creds.client_id, &creds.secret, now)
        .await?
        .ok_or(OAuthError::InvalidClient { basic: creds.basic })
}

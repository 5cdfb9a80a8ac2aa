//! The OAuth endpoints: token, introspection, revocation. Bodies are form-encoded; a
//! parameter given twice is refused (RFC 6749 §3.2); errors follow RFC 6749 §5.2.

use super::oauth_limits::IpBudget;
use crate::http::state::AppState;
use crate::oidc::clients::Client;
use crate::oidc::error::OAuthError;
use crate::oidc::person_grants::{Minting, Redemption};
use crate::oidc::service_grants::TokenResponse;
use crate::oidc::{client_auth, client_lookup};
use crate::oidc::{introspect, person_grants, service_grants};
use crate::ratelimit::Charge;
use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use std::collections::HashMap;
use std::sync::Arc;

/// Form parameters, each at most once.
struct Params(HashMap<String, String>);

impl Params {
    fn parse(req: &HttpRequest, body: &[u8]) -> Result<Self, OAuthError> {
        let form_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
            });
        if !form_type {
            return Err(OAuthError::InvalidRequest(
                "body must be application/x-www-form-urlencoded",
            ));
        }
        // Each parameter at most once (RFC 6749 §3.2).
        let map = std::str::from_utf8(body)
            .ok()
            .and_then(super::browser::parse_unique)
            .ok_or(OAuthError::InvalidRequest(
                "malformed form body, or a parameter given twice",
            ))?;
        Ok(Params(map))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn require(&self, name: &'static str) -> Result<&str, OAuthError> {
        self.get(name).ok_or(OAuthError::InvalidRequest(name))
    }
}

/// The authenticated client, charged against its own budget (with the IP's, in one call).
/// Only authenticated requests count against a client, so nobody can spend its budget by
/// presenting its id with wrong secrets (those count against their IP).
async fn authenticated_client(
    state: &AppState,
    req: &HttpRequest,
    params: &Params,
    ip: &mut IpBudget,
    (budget_name, budget): (&str, crate::config::Budget),
) -> Result<Arc<Client>, OAuthError> {
    let creds = client_auth::credentials(
        req.headers(),
        params.get("client_id"),
        params.get("client_secret"),
    )?;
    if !client_lookup::in_memory(&state.db, &creds.client_id) {
        // The database will be asked: the IP pays first.
        ip.charge(state, None).await?;
    }
    let client = client_auth::authenticate(&state.db, &creds, chrono::Utc::now()).await?;
    let own = Charge {
        budget_name,
        subject: &client.client_id,
        budget,
    };
    ip.charge(state, Some(own)).await?;
    Ok(client)
}

fn no_store(resp: &mut HttpResponse) {
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    resp.headers_mut()
        .insert(header::PRAGMA, header::HeaderValue::from_static("no-cache"));
}

pub async fn token_endpoint(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthError> {
    let mut ip = IpBudget::of(&req);
    let outcome = grant(&req, &body, &state, &mut ip).await;
    let response = ip.settle(&state, outcome).await?;
    let mut resp = HttpResponse::Ok().json(response);
    no_store(&mut resp);
    Ok(resp)
}

/// One grant of the token endpoint.
async fn grant(
    req: &HttpRequest,
    body: &[u8],
    state: &AppState,
    ip: &mut IpBudget,
) -> Result<TokenResponse, OAuthError> {
    let params = Params::parse(req, body)?;
    let now = chrono::Utc::now();
    let settings = &state.settings.tokens;
    let budget = state.settings.rate_limits.token_per_client;
    let response = match params.require("grant_type")? {
        "client_credentials" => {
            let client =
                authenticated_client(state, req, &params, ip, ("token_client", budget)).await?;
            crate::oidc::client_audiences::require_client_in_bounds(&state.db, settings, &client)
                .await?;
            // RSA signing costs about a millisecond: off the async workers (DESIGN).
            let slow = client.signing_alg == crate::jwt::Alg::RS256;
            let keys = state.keys.current();
            let owned = |name: &str| params.get(name).map(str::to_string);
            let (audience, resource, scope) =
                (owned("audience"), owned("resource"), owned("scope"));
            let settings = settings.clone();
            let issue = move || {
                service_grants::client_credentials(
                    &keys,
                    &settings,
                    &client,
                    audience.as_deref(),
                    resource.as_deref(),
                    scope.as_deref(),
                    now,
                )
            };
            if slow {
                web::block(issue).await.map_err(OAuthError::server)??
            } else {
                issue()?
            }
        }
        service_grants::TOKEN_EXCHANGE => {
            let subject = params.require("subject_token")?;
            let subject_type = params.require("subject_token_type")?;
            if params
                .get("requested_token_type")
                .is_some_and(|t| t != service_grants::ACCESS_TOKEN_TYPE)
            {
                return Err(OAuthError::InvalidRequest(
                    "only access tokens can be requested",
                ));
            }
            // The key is looked up in the database: the IP pays first.
            ip.charge(state, None).await?;
            let identity =
                service_grants::api_key_subject_token(&state.db, subject, subject_type, now)
                    .await?;
            let key_id = identity.key_id.to_string();
            let own = Charge {
                budget_name: "token_api_key",
                subject: &key_id,
                budget,
            };
            ip.charge(state, Some(own)).await?;
            service_grants::exchange_api_key(
                &state.keys.current(),
                settings,
                &identity,
                params.get("audience"),
                params.get("resource"),
                now,
            )?
        }
        "authorization_code" => {
            let client =
                authenticated_client(state, req, &params, ip, ("token_client", budget)).await?;
            let keys = state.keys.current();
            let mint = Minting {
                keys: &keys,
                settings,
            };
            let asked = Redemption {
                code: params.require("code")?,
                redirect_uri: params.require("redirect_uri")?,
                verifier: params.require("code_verifier")?,
                resource: params.get("resource"),
            };
            person_grants::authorization_code(&state.db, mint, &client, &asked, now).await?
        }
        "refresh_token" => {
            let client =
                authenticated_client(state, req, &params, ip, ("token_client", budget)).await?;
            let origin = req
                .extensions()
                .get::<crate::http::request_context::RequestContext>()
                .map(|c| c.origin())
                .unwrap_or_default();
            let keys = state.keys.current();
            let mint = Minting {
                keys: &keys,
                settings,
            };
            let ctx = state.audit(&client.client_id, &origin, now);
            let token = params.require("refresh_token")?;
            person_grants::refresh_token(&state.db, &ctx, mint, &client, token).await?
        }
        _ => return Err(OAuthError::UnsupportedGrantType),
    };
    Ok(response)
}

/// The caller of introspection or revocation and the `token` it presents.
async fn token_caller(
    state: &AppState,
    req: &HttpRequest,
    body: &[u8],
    ip: &mut IpBudget,
) -> Result<(Arc<Client>, String), OAuthError> {
    let params = Params::parse(req, body)?;
    let budget = state.settings.rate_limits.introspect_per_client;
    let caller =
        authenticated_client(state, req, &params, ip, ("introspect_client", budget)).await?;
    Ok((caller, params.require("token")?.to_string()))
}

pub async fn introspect_endpoint(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthError> {
    let mut ip = IpBudget::of(&req);
    let outcome = async {
        let (caller, token) = token_caller(&state, &req, &body, &mut ip).await?;
        let (keys, settings) = (&state.keys, &state.settings.tokens);
        introspect::introspect(
            &state.db,
            keys,
            settings,
            &caller,
            &token,
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    let answer = ip.settle(&state, outcome).await?;
    let mut resp = HttpResponse::Ok()
        .content_type(header::ContentType::json())
        .body(answer);
    no_store(&mut resp);
    Ok(resp)
}

pub async fn revoke_endpoint(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthError> {
    let mut ip = IpBudget::of(&req);
    let outcome = async {
        let (caller, token) = token_caller(&state, &req, &body, &mut ip).await?;
        let (keys, settings) = (&state.keys, &state.settings.tokens);
        introspect::revoke(
            &state.db,
            keys,
            settings,
            &caller,
            &token,
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    ip.settle(&state, outcome).await?;
    let mut resp = HttpResponse::Ok().finish();
    no_store(&mut resp);
    Ok(resp)
}

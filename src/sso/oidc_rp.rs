//! OpenID Connect relying party on the `openidconnect` crate: discovery (whose issuer must
//! equal the configured one), the authorization URL with PKCE S256, state and nonce, the
//! code exchange, and ID-token validation (signature by the provider's JWKS, exact `iss`,
//! `aud` = our client id, `exp`, nonce, and an asymmetric algorithm: never HMAC keyed with
//! the client secret). Optional userinfo must name the same `sub`. Every request goes
//! through `super::outbound` (https, public addresses, no redirects, capped responses).

use super::outbound::Outbound;
use super::settings::OidcSettings;
use super::{ExternalIdentity, SsoError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use std::collections::BTreeMap;

/// Whether the provider reports more than one factor (RFC 8176): `mfa` itself, or two
/// different methods (`pwd` + `otp`, `hwk` + `pin`); a lone `otp` or `sms` is one factor.
fn multi_factor(amr: &[String]) -> bool {
    let mut distinct: Vec<&str> = amr
        .iter()
        .map(String::as_str)
        .filter(|m| *m != "mfa")
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    amr.iter().any(|m| m == "mfa") || distinct.len() >= 2
}

/// Algorithms accepted for ID tokens: asymmetric only.
const ALGS: [CoreJwsSigningAlgorithm; 8] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

async fn metadata(
    settings: &OidcSettings,
    net: &Outbound,
) -> Result<CoreProviderMetadata, SsoError> {
    let issuer = IssuerUrl::new(settings.issuer.clone())
        .map_err(|_| SsoError::InvalidConfig("issuer".into()))?;
    let call = |req: HttpRequest| net.send(req);
    CoreProviderMetadata::discover_async(issuer, &call)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "OIDC discovery failed");
            SsoError::Upstream
        })
}

/// The provider URL to send the browser to. `verifier` is the PKCE code verifier (43+
/// URL-safe characters), `state` and `nonce` what the callback must see again.
pub async fn authorization_url(
    net: &Outbound,
    settings: &OidcSettings,
    redirect_uri: &str,
    state: &str,
    nonce: &str,
    verifier: &str,
) -> Result<String, SsoError> {
    let md = metadata(settings, net).await?;
    let redirect = RedirectUrl::new(redirect_uri.to_string()).map_err(|_| SsoError::Unavailable)?;
    let rp =
        CoreClient::from_provider_metadata(md, ClientId::new(settings.client_id.clone()), None)
            .set_redirect_uri(redirect);
    let challenge =
        PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier.to_string()));
    let (state_s, nonce_s) = (state.to_string(), nonce.to_string());
    let mut req = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(state_s),
            move || Nonce::new(nonce_s),
        )
        .set_pkce_challenge(challenge);
    for s in settings.scopes.iter().filter(|s| *s != "openid") {
        req = req.add_scope(Scope::new(s.clone()));
    }
    let (url, _, _) = req.url();
    Ok(url.to_string())
}

/// Exchanges the code and validates the ID token; returns who signed in.
pub async fn finish(
    net: &Outbound,
    settings: &OidcSettings,
    client_secret: &str,
    redirect_uri: &str,
    code: &str,
    nonce: &str,
    verifier: &str,
) -> Result<ExternalIdentity, SsoError> {
    let md = metadata(settings, net).await?;
    let userinfo_url = md.userinfo_endpoint().map(|u| u.url().clone());
    let redirect = RedirectUrl::new(redirect_uri.to_string()).map_err(|_| SsoError::Unavailable)?;
    let rp = CoreClient::from_provider_metadata(
        md,
        ClientId::new(settings.client_id.clone()),
        Some(ClientSecret::new(client_secret.to_string())),
    )
    .set_redirect_uri(redirect);
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|_| SsoError::InvalidConfig("the provider has no token endpoint".into()))?
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_string()))
        .request_async(&|req: HttpRequest| net.send(req))
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "OIDC code exchange failed");
            SsoError::Rejected("the code exchange failed")
        })?;
    let id_token = tokens
        .id_token()
        .ok_or(SsoError::Rejected("the token response has no ID token"))?;
    let expected = Nonce::new(nonce.to_string());
    let claims = id_token
        .claims(&rp.id_token_verifier().set_allowed_algs(ALGS), &expected)
        .map_err(|e| {
            tracing::info!(error = %e, "ID token refused");
            SsoError::Rejected(id_token_reason(&e))
        })?;
    let subject = claims.subject().as_str().to_string();
    if subject.is_empty() || subject.len() > 512 {
        return Err(SsoError::Rejected("the ID token's sub is unusable"));
    }
    // Claims beyond the standard set (groups, custom attributes) are read from the payload
    // of the token whose signature and claims were just verified.
    let mut extra = payload(&id_token.to_string()).unwrap_or_default();
    if settings.use_userinfo {
        if let Some(url) = userinfo_url {
            let info = net
                .get_json(url, tokens.access_token().secret())
                .await
                .map_err(|e| {
                    tracing::warn!(error = %e, "OIDC userinfo failed");
                    SsoError::Upstream
                })?;
            if info.get("sub").and_then(|v| v.as_str()) != Some(subject.as_str()) {
                return Err(SsoError::Rejected("userinfo names another subject"));
            }
            extra.extend(info);
        }
    }
    let amr: Vec<String> = claims
        .auth_method_refs()
        .map(|list| list.iter().map(|m| m.to_string()).collect())
        .unwrap_or_default();
    let str_of = |k: &str| extra.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let groups = match extra.get(&settings.groups_claim) {
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in &extra {
        match v {
            serde_json::Value::String(s) => {
                attributes.insert(k.clone(), vec![s.clone()]);
            }
            serde_json::Value::Array(a) => {
                let list = a.iter().filter_map(|x| x.as_str().map(str::to_string));
                attributes.insert(k.clone(), list.collect());
            }
            _ => {}
        }
    }
    for k in ["nonce", "at_hash", "c_hash", "sid", "iss", "aud", "azp"] {
        attributes.remove(k);
    }
    Ok(ExternalIdentity {
        subject,
        email: claims.email().map(|e| e.as_str().to_string()),
        email_verified: claims.email_verified().unwrap_or(false),
        given_name: str_of("given_name"),
        family_name: str_of("family_name"),
        groups,
        attributes,
        mfa: multi_factor(&amr),
    })
}

fn id_token_reason(e: &openidconnect::ClaimsVerificationError) -> &'static str {
    use openidconnect::ClaimsVerificationError as E;
    match e {
        E::Expired(_) => "the ID token has expired",
        E::InvalidAudience(_) => "the ID token's audience is not this client",
        E::InvalidIssuer(_) => "the ID token's issuer is not the connection's",
        E::InvalidNonce(_) => "the ID token's nonce is not this sign-in's",
        E::SignatureVerification(_) => "the ID token's signature is invalid",
        _ => "the ID token is invalid",
    }
}

fn payload(jwt: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let part = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

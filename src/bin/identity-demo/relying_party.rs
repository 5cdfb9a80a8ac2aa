//! The demo app's OpenID Connect client, on the `openidconnect` crate as any Rust CRM service
//! would write it: discovery, code + PKCE S256 with state and nonce, the code exchange with
//! the client secret, and ID-token verification (JWKS signature, `iss`, `aud`, `exp`, nonce).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::Deserialize;
use serde_json::Value;

/// The service signs with one of these; HMAC is never accepted.
const ALGS: [CoreJwsSigningAlgorithm; 3] = [
    CoreJwsSigningAlgorithm::EdDsa,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
];

/// The client registration `deploy/local/run.sh` writes.
#[derive(Deserialize)]
pub struct Registration {
    pub client_id: String,
    pub client_secret: String,
}

pub struct RelyingParty {
    http: openidconnect::reqwest::Client,
    issuer: String,
    registration: Registration,
    redirect_uri: String,
}

/// What the callback needs to see again.
pub struct Pending {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

/// Who signed in, and the tokens' claims for the page.
pub struct SignedIn {
    pub who: String,
    pub id_token: String,
    pub id_claims: Value,
    pub access_claims: Value,
}

impl RelyingParty {
    pub fn new(issuer: String, registration: Registration, redirect_uri: String) -> Self {
        let http = openidconnect::reqwest::Client::builder()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            http,
            issuer,
            registration,
            redirect_uri,
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Discovery on every sign-in: the service's keys may have rotated since the last one.
    async fn client(&self) -> anyhow::Result<DemoClient> {
        let issuer = IssuerUrl::new(self.issuer.clone())?;
        let md = CoreProviderMetadata::discover_async(issuer, &self.http).await?;
        Ok(CoreClient::from_provider_metadata(
            md,
            ClientId::new(self.registration.client_id.clone()),
            Some(ClientSecret::new(self.registration.client_secret.clone())),
        )
        .set_redirect_uri(RedirectUrl::new(self.redirect_uri.clone())?))
    }

    /// The authorization URL to send the browser to.
    pub async fn start(&self) -> anyhow::Result<(String, Pending)> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        let pending = Pending {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
        };
        Ok((url.to_string(), pending))
    }

    /// Exchanges the code and verifies the ID token.
    pub async fn finish(&self, code: &str, pending: Pending) -> anyhow::Result<SignedIn> {
        let client = self.client().await?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .request_async(&self.http)
            .await?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| anyhow::anyhow!("the token response has no ID token"))?;
        let verifier = client.id_token_verifier().set_allowed_algs(ALGS);
        let claims = id_token.claims(&verifier, &Nonce::new(pending.nonce))?;
        // The profile and email claims come from userinfo (the ID token proves who; the
        // userinfo answer, checked to name the same subject, says what they are called).
        let info: openidconnect::core::CoreUserInfoClaims = client
            .user_info(
                tokens.access_token().clone(),
                Some(claims.subject().clone()),
            )?
            .request_async(&self.http)
            .await?;
        let who = info
            .email()
            .map(|e| e.as_str().to_string())
            .unwrap_or_else(|| claims.subject().as_str().to_string());
        let raw = id_token.to_string();
        Ok(SignedIn {
            who,
            id_claims: payload(&raw)?,
            access_claims: payload(tokens.access_token().secret())?,
            id_token: raw,
        })
    }

    /// Where to send the browser to sign out of the service too (RP-initiated logout).
    pub async fn logout_url(&self, id_token: &str, come_back_to: &str) -> anyhow::Result<String> {
        let discovery = format!("{}/.well-known/openid-configuration", self.issuer);
        let doc: Value = self.http.get(discovery).send().await?.json().await?;
        let endpoint = doc["end_session_endpoint"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("the service has no end_session_endpoint"))?;
        let mut url = url::Url::parse(endpoint)?;
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token)
            .append_pair("client_id", &self.registration.client_id)
            .append_pair("post_logout_redirect_uri", come_back_to);
        Ok(url.to_string())
    }
}

type DemoClient = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// The claims of a JWT, for display (the ID token's were verified above; the access token
/// came straight from the token endpoint and is its audience's to verify).
fn payload(jwt: &str) -> anyhow::Result<Value> {
    let part = jwt
        .split('.')
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("not a JWT"))?;
    Ok(serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part)?)?)
}

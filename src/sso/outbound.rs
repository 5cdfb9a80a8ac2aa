//! Outbound HTTP to OpenID providers (discovery, JWKS, token, userinfo). A workspace admin
//! chooses the issuer, so every request is checked against server-side request forgery:
//! https only, no redirects, and no loopback, private, link-local or otherwise internal
//! address, whether the URL names one or a host name resolves to one (a resolver that drops
//! them). Responses are capped in size, requests in time. `sso.allow_private_networks`
//! lifts the address and https rules for development and tests only.

use super::SsoError;
use openidconnect::{HttpRequest, HttpResponse};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Largest response read from a provider.
const MAX_BODY: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("refused destination: {0}")]
    Refused(&'static str),
    #[error("request failed: {0}")]
    Failed(String),
}

/// Whether `ip` is an ordinary public address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64/10, carrier-grade NAT
                || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0/24, protocol assignments
                || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18/15, benchmarking
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated, still routed inside)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                // NAT64 (64:ff9b::/96, 64:ff9b:1::/48) and 6to4 (2002::/16) carry an IPv4
                // address a gateway reaches, internal ones included; IPv4-compatible
                // (::/96) likewise: none is an ordinary public address.
                || (s[0] == 0x64 && s[1] == 0xff9b)
                || s[0] == 0x2002
                || s[..6].iter().all(|x| *x == 0))
        }
    }
}

/// Resolves host names and drops every address that is not public.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err("the host resolves to no public address".into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// The HTTP client for identity providers.
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    allow_private: bool,
}

impl Outbound {
    pub fn new(allow_private: bool) -> Result<Self, SsoError> {
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // Never through a proxy from the environment: the address checks would check
            // the proxy, not the identity provider.
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10));
        if !allow_private {
            b = b.dns_resolver(Arc::new(PublicOnly));
        }
        Ok(Outbound {
            client: b.build().map_err(|_| SsoError::Unavailable)?,
            allow_private,
        })
    }

    /// Refuses URLs this service must not call: not https (unless private networks are
    /// allowed), or an address literal that is not public.
    pub fn check(&self, url: &url::Url) -> Result<(), OutboundError> {
        if self.allow_private {
            return match url.scheme() {
                "https" | "http" => Ok(()),
                _ => Err(OutboundError::Refused("not an http(s) URL")),
            };
        }
        if url.scheme() != "https" {
            return Err(OutboundError::Refused("not https"));
        }
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(url::Host::Domain(_)) => None,
            None => return Err(OutboundError::Refused("no host")),
        };
        if literal.is_some_and(|ip| !is_public(ip)) {
            return Err(OutboundError::Refused("not a public address"));
        }
        Ok(())
    }

    /// Sends one request (the `openidconnect` client calls this).
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, OutboundError> {
        let failed = |e: &dyn std::fmt::Display| OutboundError::Failed(e.to_string());
        let req: reqwest::Request = request.try_into().map_err(|e| failed(&e))?;
        self.check(req.url())?;
        let mut resp = self.client.execute(req).await.map_err(|e| failed(&e))?;
        let mut builder = openidconnect::http::Response::builder().status(resp.status());
        for (name, value) in resp.headers() {
            builder = builder.header(name, value);
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| failed(&e))? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(OutboundError::Refused("the response is too large"));
            }
            body.extend_from_slice(&chunk);
        }
        builder.body(body).map_err(|e| failed(&e))
    }

    /// GET of a document (SAML metadata), as text.
    pub async fn get_text(&self, url: url::Url) -> Result<String, OutboundError> {
        let request = openidconnect::http::Request::builder()
            .method("GET")
            .uri(url.as_str())
            .header(
                "accept",
                "application/samlmetadata+xml, application/xml, text/xml",
            )
            .body(Vec::new())
            .map_err(|e| OutboundError::Failed(e.to_string()))?;
        let resp = self.send(request).await?;
        if !resp.status().is_success() {
            return Err(OutboundError::Failed(format!("status {}", resp.status())));
        }
        String::from_utf8(resp.body().clone()).map_err(|e| OutboundError::Failed(e.to_string()))
    }

    /// GET with a bearer token, JSON object back (userinfo).
    pub async fn get_json(
        &self,
        url: url::Url,
        bearer: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>, OutboundError> {
        let request = openidconnect::http::Request::builder()
            .method("GET")
            .uri(url.as_str())
            .header("authorization", format!("Bearer {bearer}"))
            .header("accept", "application/json")
            .body(Vec::new())
            .map_err(|e| OutboundError::Failed(e.to_string()))?;
        let resp = self.send(request).await?;
        if !resp.status().is_success() {
            return Err(OutboundError::Failed(format!("status {}", resp.status())));
        }
        serde_json::from_slice(resp.body()).map_err(|e| OutboundError::Failed(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_not_public() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::a00:1",
            "2002:a9fe:a9fe::1",
            "::a9fe:a9fe",
            "fec0::1",
        ] {
            let ip: IpAddr = internal.parse().unwrap_or_else(|_| panic!("{internal}"));
            assert!(!is_public(ip), "{internal}");
        }
        for public in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            let ip: IpAddr = public.parse().unwrap_or_else(|_| panic!("{public}"));
            assert!(is_public(ip), "{public}");
        }
    }

    #[test]
    fn only_https_to_public_literals_unless_private_networks_are_allowed() {
        let strict = Outbound::new(false).unwrap_or_else(|_| panic!("client"));
        let url = |s: &str| url::Url::parse(s).unwrap_or_else(|_| panic!("{s}"));
        assert!(strict.check(&url("https://idp.example.com/x")).is_ok());
        assert!(strict.check(&url("http://idp.example.com/x")).is_err());
        assert!(strict
            .check(&url("https://169.254.169.254/latest"))
            .is_err());
        assert!(strict.check(&url("https://[::1]/")).is_err());
        let dev = Outbound::new(true).unwrap_or_else(|_| panic!("client"));
        assert!(dev.check(&url("http://127.0.0.1:8080/")).is_ok());
        assert!(dev.check(&url("file:///etc/passwd")).is_err());
    }
}

//! Rate limits of the OAuth endpoints (token, introspection, revocation). The global
//! middleware leaves their per-IP budget to them, so that the IP and the authenticated
//! client are charged together in one limiter call. Every request is still charged to its
//! IP, whatever its outcome: [`IpBudget::settle`] charges it when nothing else did, and a
//! client that memory does not know yet is charged to its IP before the database is asked.

use crate::http::state::AppState;
use crate::oidc::error::OAuthError;
use crate::ratelimit::{Charge, Refusal};
use actix_web::{HttpMessage, HttpRequest};

/// Whether the middleware leaves the per-IP budget of this request to the handler.
pub fn charged_by_handler(method: &actix_web::http::Method, path: &str) -> bool {
    method == actix_web::http::Method::POST
        && matches!(
            path,
            "/oauth2/token" | "/oauth2/introspect" | "/oauth2/revoke"
        )
}

/// The per-IP budget of one request, charged at most once.
pub struct IpBudget {
    ip: String,
    charged: bool,
}

impl IpBudget {
    pub fn of(req: &HttpRequest) -> Self {
        let ip = req
            .extensions()
            .get::<crate::http::request_context::RequestContext>()
            .and_then(|c| c.client_ip)
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "unknown".into());
        Self { ip, charged: false }
    }

    /// Charges the IP (unless already done) together with `also`, in one call.
    pub async fn charge(
        &mut self,
        state: &AppState,
        also: Option<Charge<'_>>,
    ) -> Result<(), OAuthError> {
        let ip = Charge {
            budget_name: "global_ip",
            subject: &self.ip,
            budget: state.settings.rate_limits.global_per_ip,
        };
        let charges: Vec<Charge<'_>> = (!self.charged)
            .then_some(ip)
            .into_iter()
            .chain(also)
            .collect();
        if charges.is_empty() {
            return Ok(());
        }
        let outcome = state.limiter.admit(&charges).await;
        self.charged = true;
        let label = match outcome {
            Ok(_) => "allowed",
            Err(Refusal::Limited { .. }) => "limited",
            Err(Refusal::Unavailable) => "unavailable",
        };
        state
            .metrics
            .rate_limit
            .with_label_values(&["oauth", label])
            .inc();
        outcome.map(|_| ()).map_err(OAuthError::from)
    }

    /// `outcome`, once the IP is charged: a request refused early still counts.
    pub async fn settle<T>(
        mut self,
        state: &AppState,
        outcome: Result<T, OAuthError>,
    ) -> Result<T, OAuthError> {
        if !self.charged {
            self.charge(state, None).await?;
        }
        outcome
    }
}

//! The global per-IP budget on every request (probes and SCIM excepted). Fails closed: when the
//! limiter cannot answer, the request is refused with 503 and `Retry-After`.

use crate::error::AppError;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::ratelimit::Refusal;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, ResponseError};

pub async fn global_rate_limit<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    // SCIM resources have budgets of their own (per IP and per token, in the handlers).
    let scim = ["/scim/v2/Users", "/scim/v2/Groups"]
        .iter()
        .any(|p| req.path().starts_with(p));
    // The OAuth endpoints charge the IP with the client, in one call (`oauth_limits`).
    let oauth = crate::http::oauth_limits::charged_by_handler(req.method(), req.path());
    if super::is_probe(req.path()) || scim || oauth {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(refuse(
            req,
            AppError::LimiterUnavailable {
                retry_after_secs: 1,
            },
        ));
    };
    let ip = req
        .extensions()
        .get::<RequestContext>()
        .and_then(|c| c.client_ip)
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "unknown".into());
    let budget = state.settings.rate_limits.global_per_ip;
    let outcome = state.limiter.admit_one("global_ip", &ip, budget).await;
    let (label, refusal) = match outcome {
        Ok(_) => ("allowed", None),
        Err(r @ Refusal::Limited { .. }) => ("limited", Some(AppError::from(r))),
        Err(r @ Refusal::Unavailable) => ("unavailable", Some(AppError::from(r))),
    };
    state
        .metrics
        .rate_limit
        .with_label_values(&["global_ip", label])
        .inc();
    match refusal {
        None => Ok(next.call(req).await?.map_into_left_body()),
        Some(err) => Ok(refuse(req, err)),
    }
}

fn refuse<B>(req: ServiceRequest, err: AppError) -> ServiceResponse<EitherBody<B>> {
    req.into_response(err.error_response())
        .map_into_right_body()
}

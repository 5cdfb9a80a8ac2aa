//! The console's caller: the person whose admin-audience token the console cookie holds,
//! checked by `admin::principal::resolve` as the admin API checks a bearer token.

use crate::admin::principal::{self, Principal};
use crate::apikeys;
use crate::error::AppError;
use crate::http::browser::see_other;
use crate::http::pages;
use crate::http::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use futures_util::future::LocalBoxFuture;

pub const CONSOLE_COOKIE: &str = "__Host-identity-console";

pub struct ConsoleCaller(pub Principal);

impl ConsoleCaller {
    /// The caller, when their roles hold `permission`: a handler's first line, as
    /// `caller.may(PERMISSION)?`.
    pub fn may(&self, permission: &'static str) -> Result<&Principal, super::PageError> {
        self.0
            .require(permission)
            .map(|()| &self.0)
            .map_err(|_| super::PageError::NotAllowed(permission))
    }
}

/// No usable console token: sign in (again, silently while the sign-in session lasts), or
/// a page for an outage or a suspended workspace.
#[derive(Debug)]
pub enum ConsoleRefused {
    /// `step_up`: the workspace requires a second factor this sign-in has not passed.
    SignIn {
        return_to: String,
        step_up: bool,
    },
    Failed(AppError),
}

impl std::fmt::Display for ConsoleRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConsoleRefused::SignIn { .. } => f.write_str("console sign-in needed"),
            ConsoleRefused::Failed(e) => write!(f, "console caller: {e}"),
        }
    }
}

impl ResponseError for ConsoleRefused {
    fn status_code(&self) -> StatusCode {
        match self {
            ConsoleRefused::SignIn { .. } => StatusCode::SEE_OTHER,
            ConsoleRefused::Failed(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ConsoleRefused::SignIn { return_to, step_up } => {
                let mut pairs = vec![("return_to", return_to.as_str())];
                if *step_up {
                    pairs.push(("step_up", "1"));
                }
                let query = serde_urlencoded::to_string(pairs);
                see_other(&format!("/console/signin?{}", query.unwrap_or_default()))
            }
            ConsoleRefused::Failed(e) => outage_page(e),
        }
    }
}

/// The page for a failure that is not the request's fault: a suspended workspace, or an
/// outage (logged, never shown).
pub(super) fn outage_page(e: &AppError) -> HttpResponse {
    match e {
        AppError::TenantSuspended => pages::error(
            StatusCode::FORBIDDEN,
            "This workspace is suspended. Contact your provider.",
        ),
        e => {
            tracing::warn!(error = %e, "a console page could not be answered");
            pages::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "The console is unavailable right now. Try again in a moment.",
            )
        }
    }
}

/// Where to come back to after signing in: this console page (GET), or the console home.
fn return_to(req: &HttpRequest) -> String {
    let here = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/console");
    if req.method() == actix_web::http::Method::GET && here.starts_with("/console") {
        here.to_string()
    } else {
        "/console".into()
    }
}

impl FromRequest for ConsoleCaller {
    type Error = ConsoleRefused;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        // A person's token only: an API key is never a console session.
        let token = req
            .cookie(CONSOLE_COOKIE)
            .map(|c| c.value().to_string())
            .filter(|t| !t.is_empty() && t.len() <= 4096 && !t.starts_with(apikeys::PREFIX));
        let back = return_to(req);
        let again = |step_up| ConsoleRefused::SignIn {
            return_to: back,
            step_up,
        };
        Box::pin(async move {
            let state = state.ok_or_else(|| ConsoleRefused::Failed(AppError::Unavailable))?;
            let Some(token) = token else {
                return Err(again(false));
            };
            match principal::resolve(&state.principal_checks(), &token, chrono::Utc::now()).await {
                Ok(who) if who.signed_in.is_some() => Ok(ConsoleCaller(who)),
                Ok(_) | Err(AppError::Unauthorized) => Err(again(false)),
                Err(AppError::MfaRequired) => Err(again(true)),
                Err(e) => Err(ConsoleRefused::Failed(e)),
            }
        })
    }
}

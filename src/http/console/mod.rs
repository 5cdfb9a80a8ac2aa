//! The workspace admin console at `/console`: server-rendered pages that are thin clients
//! of the admin API's domain functions. A person signs in through the service's own
//! sign-in (the first-party `identity-console` client); the console then holds that
//! person's admin-audience access token in a `__Host-` cookie and checks it, and each
//! page's permission, exactly as the admin API checks a bearer token. Every change is a
//! form with the CSRF double submit.

mod api_keys;
mod application;
mod applications;
mod audit;
mod caller;
mod directory;
mod form;
mod roles;
mod security;
mod signin;
mod sso;
mod sso_metadata;
mod sso_test;
mod user;
mod users;

pub use caller::ConsoleCaller;

use super::browser::{host_cookie, CSRF_COOKIE};
use super::pages;
use super::{get, post, Routes};
use crate::crypto::random;
use crate::error::AppError;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use actix_web::ResponseError;
use askama::Template;

pub(super) fn routes(r: &mut Routes<'_>) {
    r.resource("/console", vec![get(users::overview)]);
    r.resource("/console/signin", vec![get(signin::start)]);
    r.resource("/console/callback", vec![get(signin::callback)]);
    r.resource("/console/signout", vec![post(signin::sign_out)]);
    r.resource("/console/signed-out", vec![get(signin::signed_out)]);
    r.resource(
        "/console/users",
        vec![get(users::list), post(users::create)],
    );
    r.resource("/console/users/{id}", vec![get(user::show)]);
    r.resource("/console/users/{id}/disable", vec![post(user::disable)]);
    r.resource("/console/users/{id}/export", vec![post(user::export)]);
    r.resource("/console/users/{id}/erase", vec![post(user::erase)]);
    r.resource("/console/users/{id}/enable", vec![post(user::enable)]);
    r.resource("/console/users/{id}/reset-mfa", vec![post(user::reset_mfa)]);
    r.resource("/console/users/{id}/roles", vec![post(user::set_roles)]);
    r.resource(
        "/console/users/{id}/mfa-exemption",
        vec![post(user::set_exemption)],
    );
    r.resource(
        "/console/users/{id}/sessions/{session}/end",
        vec![post(user::end_session)],
    );
    r.resource("/console/roles", vec![get(roles::show)]);
    r.resource("/console/roles/rules", vec![post(roles::add_rule)]);
    r.resource(
        "/console/roles/rules/{id}/delete",
        vec![post(roles::delete_rule)],
    );
    r.resource(
        "/console/security",
        vec![get(security::show), post(security::save)],
    );
    r.resource("/console/audit", vec![get(audit::show)]);
    r.resource("/console/audit.csv", vec![post(audit::export)]);
    r.resource(
        "/console/api-keys",
        vec![get(api_keys::show), post(api_keys::create)],
    );
    r.resource(
        "/console/api-keys/{id}/rotate",
        vec![post(api_keys::rotate)],
    );
    r.resource(
        "/console/api-keys/{id}/revoke",
        vec![post(api_keys::revoke)],
    );
    r.resource(
        "/console/applications",
        vec![get(applications::show), post(applications::create)],
    );
    r.resource(
        "/console/applications/{id}",
        vec![get(application::show), post(application::save)],
    );
    r.resource(
        "/console/applications/{id}/rotate",
        vec![post(applications::rotate)],
    );
    r.resource(
        "/console/applications/{id}/delete",
        vec![post(applications::delete)],
    );
    r.resource("/console/directory", vec![get(directory::show)]);
    r.resource("/console/directory/tokens", vec![post(directory::create)]);
    r.resource(
        "/console/directory/tokens/{id}/revoke",
        vec![post(directory::revoke)],
    );
    r.resource("/console/sso", vec![get(sso::show), post(sso::create)]);
    r.resource(
        "/console/sso/{id}",
        vec![get(sso::show_one), post(sso::save)],
    );
    r.resource("/console/sso/{id}/delete", vec![post(sso::delete)]);
    r.resource("/console/sso/{id}/test", vec![post(sso_test::start)]);
    r.resource(
        "/console/sso/{id}/metadata-refresh",
        vec![post(sso_metadata::refresh)],
    );
    r.resource(
        "/console/sso/{id}/tests/{test}",
        vec![get(sso_test::result)],
    );
    r.resource("/assets/console.js", vec![get(directory::script)]);
}

/// What every console page shows around its content.
pub struct Frame {
    pub title: &'static str,
    /// The nav entry to mark as the current page.
    pub current: &'static str,
    pub csrf: String,
}

impl Frame {
    pub fn new(title: &'static str, current: &'static str) -> Self {
        Self {
            title,
            current,
            csrf: random::token::<32>(),
        }
    }

    pub fn is_current(&self, label: &str) -> bool {
        self.current == label
    }

    /// The rendered page, with the CSRF cookie its forms (sign-out included) need.
    pub fn answer(&self, status: StatusCode, page: &impl Template) -> HttpResponse {
        let mut resp = pages::render(status, page);
        let _ = resp.add_cookie(&host_cookie(CSRF_COOKIE, self.csrf.clone(), 3600));
        resp
    }
}

#[derive(Template)]
#[template(path = "console/refused.html")]
struct Refused<'a> {
    frame: &'a Frame,
    title: &'a str,
    message: &'a str,
}

/// What a console handler answers: its page, or why not as a [`PageError`], so `?` on a
/// domain call replaces a hand-written match.
pub type Page = Result<HttpResponse, PageError>;

/// A console page that could not be shown: rendered as the friendly page for it.
#[derive(Debug)]
pub enum PageError {
    /// The caller's roles lack this permission.
    NotAllowed(&'static str),
    App(AppError),
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError::App(e)
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::NotAllowed(p) => write!(f, "not allowed: {p}"),
            PageError::App(e) => write!(f, "{e}"),
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::NotAllowed(_) => StatusCode::FORBIDDEN,
            PageError::App(e) => match e {
                AppError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
                AppError::NotFound => StatusCode::NOT_FOUND,
                AppError::Conflict(_) => StatusCode::CONFLICT,
                AppError::Forbidden | AppError::MfaRequired | AppError::TenantSuspended => {
                    StatusCode::FORBIDDEN
                }
                _ => StatusCode::SERVICE_UNAVAILABLE,
            },
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::NotAllowed(p) => not_allowed(p),
            PageError::App(e) => failure_page(e),
        }
    }
}

/// The page for a refused or failed call: the reason when it is the request's own fault.
fn failure_page(e: &AppError) -> HttpResponse {
    match e {
        AppError::InvalidRequest(why) => pages::error(StatusCode::BAD_REQUEST, why),
        AppError::NotFound => pages::error(
            StatusCode::NOT_FOUND,
            "There is no such item in this workspace.",
        ),
        AppError::Forbidden => pages::error(StatusCode::FORBIDDEN, "Your roles do not allow this."),
        AppError::Conflict(why) => pages::error(StatusCode::CONFLICT, why),
        AppError::MfaRequired => pages::message(
            StatusCode::FORBIDDEN,
            "Two-step verification needed",
            "This workspace requires two-step verification for this. Sign in again with it.",
            Some("/console/signin?step_up=1"),
        ),
        other => caller::outage_page(other),
    }
}

/// A console page for a permission the person's roles do not include.
pub fn not_allowed(permission: &str) -> HttpResponse {
    let frame = Frame::new("Not allowed", "");
    let message = format!(
        "Your roles in this workspace do not include \"{permission}\", which this page needs. \
         Ask an admin of the workspace."
    );
    frame.answer(
        StatusCode::FORBIDDEN,
        &Refused {
            frame: &frame,
            title: frame.title,
            message: &message,
        },
    )
}

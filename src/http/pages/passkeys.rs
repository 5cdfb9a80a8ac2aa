//! The account's passkeys page: the list, adding one (after re-authentication), removing.

use crate::passkeys::credentials::PasskeyView;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

#[derive(Template)]
#[template(path = "account_passkeys.html")]
pub struct AccountPasskeys<'a> {
    pub title: &'a str,
    pub passkeys: &'a [PasskeyView],
    /// Signed in recently enough to add or remove; otherwise the re-authentication form.
    pub fresh: bool,
    /// The re-authentication form asks for the authenticator app's code too.
    pub code: bool,
    pub csrf: &'a str,
    pub error: Option<&'a str>,
    pub notice: Option<&'a str>,
}

pub fn account(status: StatusCode, page: &AccountPasskeys<'_>) -> HttpResponse {
    super::render(status, page)
}

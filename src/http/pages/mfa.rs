//! Pages of the second factor: the code step, enrolment with its QR code, the recovery
//! codes shown once, and the account's MFA settings (templates in `templates/`).

use super::render;
use crate::mfa::factors::{Enrolment, Status};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;
use chrono::{DateTime, Utc};

#[derive(Template)]
#[template(path = "second_factor.html")]
struct SecondFactor<'a> {
    title: &'a str,
    csrf: &'a str,
    error: Option<&'a str>,
    code: bool,
    passkey: bool,
}

/// The step after the password for a person who has a second factor: the code field for
/// an authenticator app, the passkey button for passkeys.
pub fn code_step(
    status: StatusCode,
    csrf: &str,
    factors: crate::login::Factors,
    error: Option<&str>,
) -> HttpResponse {
    let page = SecondFactor {
        title: "Two-step verification",
        csrf,
        error,
        code: factors.code,
        passkey: factors.passkey,
    };
    render(status, &page)
}

#[derive(Template)]
#[template(path = "enrol.html")]
struct Enrol<'a> {
    title: &'a str,
    qr_svg: &'a str,
    secret: &'a str,
    uri: &'a str,
    action: &'a str,
    csrf: &'a str,
    skip_until: Option<DateTime<Utc>>,
    error: Option<&'a str>,
}

/// Enrolment: the QR code, the key for typing, and a first code to confirm. `skip_until`
/// offers skipping while the workspace's grace period lasts.
pub fn enrol(
    status: StatusCode,
    enrolment: &Enrolment,
    action: &str,
    csrf: &str,
    skip_until: Option<DateTime<Utc>>,
    error: Option<&str>,
) -> HttpResponse {
    let page = Enrol {
        title: "Set up two-step verification",
        qr_svg: &enrolment.qr_svg,
        secret: &enrolment.secret_base32,
        uri: &enrolment.uri,
        action,
        csrf,
        skip_until,
        error,
    };
    render(status, &page)
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodes<'a> {
    title: &'a str,
    codes: &'a [String],
    all: String,
    csrf: &'a str,
    continue_to: &'a str,
}

/// The new recovery codes, shown this once, with a plain-text download.
pub fn recovery_codes(codes: &[String], csrf: &str, continue_to: &str) -> HttpResponse {
    let page = RecoveryCodes {
        title: "Your recovery codes",
        codes,
        all: codes.join(" "),
        csrf,
        continue_to,
    };
    render(StatusCode::OK, &page)
}

/// A short message with a way on (e.g. how many recovery codes remain).
pub fn notice(title: &str, message: &str, continue_to: &str) -> HttpResponse {
    super::message(StatusCode::OK, title, message, Some(continue_to))
}

#[derive(Template)]
#[template(path = "mfa_settings.html")]
struct Settings<'a> {
    title: &'a str,
    enrolled: bool,
    recovery_codes_left: i64,
    fresh: bool,
    csrf: &'a str,
    error: Option<&'a str>,
}

/// The account's two-step verification settings. Changes need the password (and the
/// current code when set up) unless the sign-in is less than five minutes old.
pub fn settings(
    status: StatusCode,
    state: &Status,
    fresh: bool,
    csrf: &str,
    error: Option<&str>,
) -> HttpResponse {
    let page = Settings {
        title: "Two-step verification",
        enrolled: state.enrolled,
        recovery_codes_left: state.recovery_codes_left,
        fresh,
        csrf,
        error,
    };
    render(status, &page)
}

//! Pages of the second factor: the code step, enrolment with its QR code, the recovery
//! codes shown once, and the account's MFA settings. Every value escaped.

use super::{escape, page};
use crate::mfa::factors::{Enrolment, Status};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;
use chrono::{DateTime, Utc};

const CODE_FIELD: &str = "<label for=\"code\">Authentication code or recovery code</label>\
     <input id=\"code\" name=\"code\" required autocomplete=\"one-time-code\" inputmode=\"text\" \
     maxlength=\"32\" aria-describedby=\"code-help\">\
     <p id=\"code-help\" class=\"help\">The 6-digit code from your authenticator app, or one of your recovery codes.</p>";

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
    super::render(status, &page)
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
    let error = error
        .map(|e| format!("<p role=\"alert\" class=\"error\">{}</p>", escape(e)))
        .unwrap_or_default();
    let skip = skip_until
        .map(|d| {
            format!(
                "<form method=\"post\" action=\"/signin/mfa/skip\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
                 <p class=\"help\">Your workspace requires this from {}.</p>\
                 <button type=\"submit\" class=\"secondary\">Skip for now</button></form>",
                escape(csrf),
                d.format("%Y-%m-%d")
            )
        })
        .unwrap_or_default();
    // The SVG is produced by the QR encoder from our own URI; it holds no input markup.
    let body = format!(
        "<h1>Set up two-step verification</h1>{error}\
         <p>Scan this code with an authenticator app, then enter the 6-digit code it shows.</p>\
         <figure class=\"qr\" role=\"img\" aria-label=\"QR code for your authenticator app\">{qr}</figure>\
         <p class=\"help\">Cannot scan? Enter this key: <code id=\"secret\">{secret}</code>, \
         or <a href=\"{uri}\">open it in an authenticator app on this device</a>.</p>\
         <form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label for=\"code\">6-digit code</label>\
         <input id=\"code\" name=\"code\" required autocomplete=\"one-time-code\" inputmode=\"numeric\" pattern=\"[0-9]{{6}}\" maxlength=\"6\">\
         <button type=\"submit\">Turn on</button></form>{skip}",
        qr = enrolment.qr_svg,
        secret = escape(&enrolment.secret_base32),
        uri = escape(&enrolment.uri),
        action = escape(action),
        csrf = escape(csrf),
    );
    page(status, "Set up two-step verification", &body)
}

/// The new recovery codes, shown this once, with a plain-text download.
pub fn recovery_codes(codes: &[String], csrf: &str, continue_to: &str) -> HttpResponse {
    let list: String = codes
        .iter()
        .map(|c| format!("<li><code>{}</code></li>", escape(c)))
        .collect();
    let body = format!(
        "<h1>Your recovery codes</h1>\
         <p>Each code signs you in once if you lose your authenticator. They are shown only now: save them somewhere safe.</p>\
         <ol class=\"codes\">{list}</ol>\
         <form method=\"post\" action=\"/account/mfa/recovery-codes.txt\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <input type=\"hidden\" name=\"codes\" value=\"{all}\">\
         <button type=\"submit\" class=\"secondary\">Download as text</button></form>\
         <p><a class=\"button\" href=\"{next}\">Continue</a></p>",
        csrf = escape(csrf),
        all = escape(&codes.join(" ")),
        next = escape(continue_to),
    );
    page(StatusCode::OK, "Your recovery codes", &body)
}

/// A short message with a way on (e.g. how many recovery codes remain).
pub fn notice(title: &str, message: &str, continue_to: &str) -> HttpResponse {
    let body = format!(
        "<h1>{}</h1><p role=\"status\">{}</p><p><a class=\"button\" href=\"{}\">Continue</a></p>",
        escape(title),
        escape(message),
        escape(continue_to)
    );
    page(StatusCode::OK, title, &body)
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
    let error = error
        .map(|e| format!("<p role=\"alert\" class=\"error\">{}</p>", escape(e)))
        .unwrap_or_default();
    let reauth = if fresh {
        String::new()
    } else {
        let code = if state.enrolled { CODE_FIELD } else { "" };
        format!(
            "<p class=\"help\">Confirm it is you.</p>\
             <label for=\"password\">Password</label>\
             <input id=\"password\" name=\"password\" type=\"password\" required autocomplete=\"current-password\" maxlength=\"1024\">{code}"
        )
    };
    let action = |path: &str, label: &str| {
        format!(
            "<form method=\"post\" action=\"{path}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">{reauth}<button type=\"submit\">{label}</button></form>",
            escape(csrf)
        )
    };
    let body = if state.enrolled {
        format!(
            "<h1>Two-step verification</h1>{error}<p role=\"status\">On. {} recovery codes left.</p>{}{}",
            state.recovery_codes_left,
            action("/account/mfa/recovery-codes", "New recovery codes"),
            action("/account/mfa/remove", "Turn off")
        )
    } else {
        format!(
            "<h1>Two-step verification</h1>{error}<p role=\"status\">Off.</p>{}",
            action("/account/mfa/enrol", "Set up an authenticator app")
        )
    };
    page(status, "Two-step verification", &body)
}

//! TOTP per RFC 6238 (`totp-rs`): SHA-1, 6 digits, 30-second steps, as every authenticator
//! app expects. A code is accepted within one step either side of `now`; the caller then
//! records the matched step so it is never accepted again.

use chrono::{DateTime, Utc};
use qrcode::render::svg;
use qrcode::QrCode;
use totp_rs::{Algorithm, Secret, TOTP};

pub const STEP_SECS: i64 = 30;
pub const DIGITS: usize = 6;
/// Steps accepted either side of the current one (clock drift, slow typing).
pub const WINDOW: i64 = 1;
/// 160-bit seeds, the size RFC 4226 recommends for HMAC-SHA-1.
const SECRET_BYTES: usize = 20;

pub fn new_secret() -> Vec<u8> {
    crate::crypto::random::bytes::<SECRET_BYTES>().to_vec()
}

pub fn base32(secret: &[u8]) -> String {
    Secret::Raw(secret.to_vec()).to_encoded().to_string()
}

fn totp(secret: &[u8], issuer: &str, account: &str) -> Option<TOTP> {
    // The otpauth label uses ':' as its separator, so neither part may contain one.
    let clean = |s: &str| s.replace(':', " ");
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        0,
        STEP_SECS as u64,
        secret.to_vec(),
        Some(clean(issuer)),
        clean(account),
    )
    .ok()
}

/// The `otpauth://` URI an authenticator app reads from the QR code.
pub fn otpauth_uri(secret: &[u8], issuer: &str, account: &str) -> Option<String> {
    totp(secret, issuer, account).map(|t| t.get_url())
}

/// The QR code of `uri` as an SVG document fragment (rendered on the server, no script).
pub fn qr_svg(uri: &str) -> Option<String> {
    let code = QrCode::new(uri.as_bytes()).ok()?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .dark_color(svg::Color("#111827"))
        .light_color(svg::Color("#ffffff"))
        .build();
    // Drop the XML declaration: the SVG sits inline in an HTML page.
    Some(match image.find("<svg") {
        Some(start) => image[start..].to_string(),
        None => image,
    })
}

pub fn step_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(STEP_SECS)
}

/// The code for time step `step`.
pub fn code_for_step(secret: &[u8], step: i64) -> Option<String> {
    let t = u64::try_from(step.checked_mul(STEP_SECS)?).ok()?;
    totp(secret, "x", "x").map(|totp| totp.generate(t))
}

/// The step within the window whose code equals `code`, compared in constant time.
pub fn matching_step(secret: &[u8], code: &str, now: DateTime<Utc>) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_of(now);
    let mut found = None;
    for step in current - WINDOW..=current + WINDOW {
        if let Some(expected) = code_for_step(secret, step) {
            let same = expected
                .bytes()
                .zip(code.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
            if same && found.is_none() {
                found = Some(step);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// RFC 6238 appendix B, SHA-1 seed "12345678901234567890", truncated to 6 digits.
    #[test]
    fn codes_match_the_rfc_vectors() {
        let seed = b"12345678901234567890";
        assert_eq!(code_for_step(seed, 59 / 30).as_deref(), Some("287082"));
        assert_eq!(
            code_for_step(seed, 1_111_111_109 / 30).as_deref(),
            Some("081804")
        );
        assert_eq!(
            code_for_step(seed, 2_000_000_000 / 30).as_deref(),
            Some("279037")
        );
    }

    #[test]
    fn one_step_either_side_matches_two_do_not() {
        let seed = new_secret();
        let now = Utc.timestamp_opt(1_800_000_015, 0).unwrap();
        let step = step_of(now);
        for d in [-1, 0, 1] {
            let code = code_for_step(&seed, step + d).unwrap();
            assert_eq!(matching_step(&seed, &code, now), Some(step + d));
        }
        for d in [-2, 2] {
            let code = code_for_step(&seed, step + d).unwrap();
            // A code of a farther step could collide with a near one by chance (1 in 10^6).
            let near: Vec<_> = (-1..=1)
                .filter_map(|n| code_for_step(&seed, step + n))
                .collect();
            if !near.contains(&code) {
                assert_eq!(matching_step(&seed, &code, now), None);
            }
        }
        assert_eq!(matching_step(&seed, "12345", now), None);
        assert_eq!(matching_step(&seed, "abcdef", now), None);
    }

    #[test]
    fn the_uri_names_issuer_and_account_and_the_qr_is_svg() {
        let seed = new_secret();
        let uri = otpauth_uri(&seed, "Acme: CRM", "ada@acme.example").unwrap();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains(&format!("secret={}", base32(&seed))), "{uri}");
        assert!(uri.contains("issuer=Acme"), "{uri}");
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("</svg>"));
    }
}

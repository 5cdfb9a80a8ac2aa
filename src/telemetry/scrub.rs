//! Removes personal data and credentials from log lines: email addresses, phone numbers,
//! bearer tokens and JWTs, cookies, passwords, IPv4 and IPv6 addresses. The service avoids
//! logging such values in the first place; this is the safety net.

use regex::Regex;
use std::borrow::Cow;

pub struct Scrubber {
    rules: Vec<(Regex, &'static str)>,
}

/// Every prefix of a credential this service issues: API keys, client secrets, sessions
/// (and SSO states), refresh tokens, codes, reset links, pending MFA sign-ins, passkey
/// ceremonies, SCIM tokens, SSO connection-test links.
/// A test reads the source for `PREFIX` constants and fails when one is missing here.
pub const CREDENTIAL_PREFIXES: &[&str] = &[
    "idk_", "ics_", "ids_", "idr_", "idc_", "idw_", "idm_", "idpk_", "idscim_", "idt_",
];

/// The rule for this service's own secrets, from [`CREDENTIAL_PREFIXES`].
fn credential_rule() -> String {
    let names: Vec<&str> = CREDENTIAL_PREFIXES
        .iter()
        .map(|p| p.trim_end_matches('_'))
        .collect();
    format!(r"\b(?:{})_[A-Za-z0-9_-]{{20,}}", names.join("|"))
}

impl Default for Scrubber {
    fn default() -> Self {
        Self::new()
    }
}

/// (pattern, replacement). Order matters: credentials first, then addresses.
const RULES: &[(&str, &str)] = &[
    // Authorization-style credentials.
    (
        r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]+=*",
        "$1 [redacted]",
    ),
    // JWTs anywhere.
    (
        r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*",
        "[jwt]",
    ),
    // Cookie headers and values, `key=value` or JSON `"cookie":"..."` forms.
    (
        r#"(?i)((?:set-)?cookie"?\s*[:=]\s*"?)[^"\n]*"#,
        "$1[redacted]",
    ),
    (
        r"(?i)(__(?:Host|Secure)-[A-Za-z0-9_-]+=)[^;\s\x22]*",
        "$1[redacted]",
    ),
    // Passwords, secrets and tokens given as key/value pairs.
    (
        r#"(?i)((?:password|passwd|secret|token|api_key|apikey)\\?"?\s*[:=]\s*\\?"?)[^"\\&\s,}]*"#,
        "$1[redacted]",
    ),
    // Email addresses (also percent-encoded @).
    (
        r"(?i)[A-Z0-9._%+-]+(?:@|%40)[A-Z0-9.-]+\.[A-Z]{2,}",
        "[email]",
    ),
    // IPv6: full form, or compressed with at least one group after `::`.
    (r"(?i)\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b", "[ip]"),
    (
        r"(?i)\b(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}:){0,5}[0-9a-f]{1,4}\b",
        "[ip]",
    ),
    (
        r"(?i)(^|[^0-9a-z:])::(?:ffff:)?(?:[0-9a-f]{1,4}:){0,6}[0-9a-f.]{1,15}\b",
        "$1[ip]",
    ),
    // IPv4.
    (
        r"\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b",
        "[ip]",
    ),
    // Phone numbers: international `+…` form, or 3-3-4 groups.
    (r"\+\d[\d \-().]{6,}\d", "[phone]"),
    (r"\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b", "[phone]"),
];

impl Scrubber {
    pub fn new() -> Self {
        let mut rules: Vec<(Regex, &'static str)> = RULES
            .iter()
            .filter_map(|(p, r)| Regex::new(p).ok().map(|re| (re, *r)))
            .collect();
        // Right after the Authorization-style rule: before addresses can split a secret.
        if let Ok(re) = Regex::new(&credential_rule()) {
            rules.insert(1.min(rules.len()), (re, "[secret]"));
        }
        Self { rules }
    }

    /// Number of compiled rules (all of them, checked by a test).
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    pub fn scrub<'a>(&self, line: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(line);
        for (re, replacement) in &self.rules {
            if re.is_match(&out) {
                out = Cow::Owned(re.replace_all(&out, *replacement).into_owned());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_compiles() {
        assert_eq!(Scrubber::new().rule_count(), RULES.len() + 1);
    }

    #[test]
    fn removes_personal_data_and_credentials() {
        let s = Scrubber::new();
        let cases = [
            (
                "user alice.smith+crm@example.co.uk signed in",
                "alice.smith",
            ),
            ("path /users/bob%40example.com", "bob%40example"),
            ("authorization: Bearer abc.DEF-123_xyz", "abc.DEF-123_xyz"),
            (
                "token eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.c2ln",
                "eyJzdWIiOiIxIn0",
            ),
            (
                r#"{"cookie":"__Host-session=s3cr3tvalue; csrf=1"}"#,
                "s3cr3tvalue",
            ),
            ("set __Host-sid=abcdef123; Path=/", "abcdef123"),
            (r#"{"password":"hunter2hunter2"}"#, "hunter2hunter2"),
            ("password=hunter2&x=1", "hunter2"),
            (
                r#"{"message":"body {\"password\":\"s3cretpass\"}"}"#,
                "s3cretpass",
            ),
            (
                "key idk_AAAAAAAAAAAAAAAAAAAAAAbbbbbbbbbbbbbbbbbbbbbbcccc in use",
                "idk_AAAA",
            ),
            (
                "secret ics_0123456789abcdefghijklmnopqrstuv rotated",
                "ics_0123",
            ),
            ("peer 203.0.113.77 connected", "203.0.113.77"),
            (
                "peer 2001:db8:85a3::8a2e:370:7334 connected",
                "2001:db8:85a3::8a2e:370:7334",
            ),
            (r#"{"peer":"::1"}"#, "::1"),
            ("call +44 20 7946 0958 now", "7946 0958"),
            ("call (415) 555-0100 now", "555-0100"),
        ];
        for (line, secret) in cases {
            let out = s.scrub(line);
            assert!(!out.contains(secret), "{line:?} -> {out:?}");
        }
    }

    #[test]
    fn every_credential_prefix_the_service_issues_is_scrubbed() {
        // The prefixes the source declares: a new credential type must be listed.
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let declared = prefixes_declared_under(std::path::Path::new(src));
        assert!(declared.len() >= 8, "found only {declared:?}");
        for p in &declared {
            assert!(
                CREDENTIAL_PREFIXES.contains(&p.as_str()),
                "{p} is not scrubbed"
            );
        }
        let s = Scrubber::new();
        let tenant = crate::ids::TenantId::new();
        for prefix in CREDENTIAL_PREFIXES {
            let value = crate::crypto::tenant_token::mint(prefix, tenant);
            let line = format!("presented {value} here");
            let out = s.scrub(&line);
            assert!(!out.contains(&value[prefix.len()..]), "{prefix}: {out}");
            assert!(out.contains("[secret]"), "{prefix}: {out}");
        }
    }

    /// `"xxx_"` values of `PREFIX` constants in the source.
    fn prefixes_declared_under(dir: &std::path::Path) -> Vec<String> {
        let re = Regex::new(r#"PREFIX: &str = "([a-z]+_)";"#).unwrap();
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(prefixes_declared_under(&path));
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.extend(re.captures_iter(&text).map(|c| c[1].to_string()));
            }
        }
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn keeps_what_operators_need() {
        let s = Scrubber::new();
        let line = r#"{"timestamp":"2026-11-24T12:00:00.123456Z","level":"INFO","target":"identity::http::middleware","request_id":"550e8400-e29b-41d4-a716-446655440000","status":200,"duration_ms":12}"#;
        assert_eq!(s.scrub(line), line);
    }
}

//! Removes personal data and credentials from log lines: email addresses, phone numbers,
//! bearer tokens and JWTs, cookies, passwords, IPv4 and IPv6 addresses. The service avoids
//! logging such values in the first place; this is the safety net.

use regex::Regex;
use std::borrow::Cow;

pub struct Scrubber {
    rules: Vec<(Regex, &'static str)>,
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
    // This service's own secrets by their prefixes: API keys and client secrets.
    (r"\b(?:idk|ics|ids)_[A-Za-z0-9_-]{20,}", "[secret]"),
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
        let rules = RULES
            .iter()
            .filter_map(|(p, r)| Regex::new(p).ok().map(|re| (re, *r)))
            .collect();
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
        assert_eq!(Scrubber::new().rule_count(), RULES.len());
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
    fn keeps_what_operators_need() {
        let s = Scrubber::new();
        let line = r#"{"timestamp":"2026-11-24T12:00:00.123456Z","level":"INFO","target":"identity::http::middleware","request_id":"550e8400-e29b-41d4-a716-446655440000","status":200,"duration_ms":12}"#;
        assert_eq!(s.scrub(line), line);
    }
}

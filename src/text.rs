//! Checks for free text that users give (names, descriptions): printable, bounded. Control
//! characters (a NUL byte above all, which PostgreSQL refuses) never reach the database.
//! And the one way an email address becomes a lookup key.

use unicode_normalization::UnicodeNormalization;

/// The form an email address is compared in, everywhere (account lookup, home-realm
/// discovery, SSO enforcement, rate-limit keys): trimmed, NFKC-normalised, then lower-cased.
/// Look-alikes such as the Kelvin sign (U+212A) fold to the letter they imitate, so no path
/// can see another account or another domain than the rest. The `users.email_key` column
/// is `lower(normalize(email, NFKC))`, the same key.
pub fn email_key(email: &str) -> String {
    email.trim().nfkc().collect::<String>().to_lowercase()
}

/// Non-empty after trimming, at most `max_chars` characters, no control characters.
pub fn is_plain(s: &str, max_chars: usize) -> bool {
    !s.trim().is_empty() && s.chars().count() <= max_chars && !s.chars().any(char::is_control)
}

/// Like [`is_plain`], but the empty string is allowed (optional descriptions).
pub fn is_plain_or_empty(s: &str, max_chars: usize) -> bool {
    s.is_empty() || is_plain(s, max_chars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_blank_text_are_refused() {
        assert!(is_plain("Sam O'Neil", 200));
        assert!(!is_plain("nul\0byte", 200));
        assert!(!is_plain("line\nbreak", 200));
        assert!(!is_plain("   ", 200));
        assert!(!is_plain(&"x".repeat(201), 200));
        assert!(is_plain_or_empty("", 10));
    }

    #[test]
    fn look_alike_addresses_share_one_key() {
        // Kelvin sign and fullwidth letters fold to plain ASCII.
        assert_eq!(
            email_key(" Admin@\u{212A}elvin.Example "),
            "admin@kelvin.example"
        );
        assert_eq!(email_key("\u{FF41}dmin@x.example"), "admin@x.example");
        assert_ne!(email_key("admin@x.example"), email_key("admim@x.example"));
    }
}

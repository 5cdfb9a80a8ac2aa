//! Checks for free text that users give (names, descriptions): printable, bounded. Control
//! characters (a NUL byte above all, which PostgreSQL refuses) never reach the database.

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
}

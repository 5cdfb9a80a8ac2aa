//! Randomness from the operating system's CSPRNG.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// `N` random bytes. Failure of the OS generator is unrecoverable for a security service.
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("operating system random generator failed");
    buf
}

/// A URL-safe random token carrying `N` bytes of entropy.
pub fn token<const N: usize>() -> String {
    URL_SAFE_NO_PAD.encode(bytes::<N>())
}

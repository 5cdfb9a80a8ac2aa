//! One-time recovery codes: ten at a time, about 59 bits each, shown once; only SHA-256 of
//! each is stored (they are random, so a fast hash is the right store).

use sha2::{Digest, Sha256};

pub const COUNT: usize = 10;
/// Lower-case letters and digits without the look-alikes 0/o, 1/l/i.
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
const LEN: usize = 12;

/// A new set, formatted `xxxx-xxxx-xxxx`.
pub fn generate() -> Vec<String> {
    (0..COUNT)
        .map(|_| {
            let raw: String = crate::crypto::random::bytes::<LEN>()
                .iter()
                .map(|b| pick(*b))
                .collect();
            format!("{}-{}-{}", &raw[..4], &raw[4..8], &raw[8..])
        })
        .collect()
}

/// Maps a random byte to the alphabet without bias: bytes past the last full multiple of
/// the alphabet's size are re-drawn.
fn pick(mut b: u8) -> char {
    let n = ALPHABET.len();
    let limit = (256 / n * n) as u16;
    while u16::from(b) >= limit {
        b = crate::crypto::random::bytes::<1>()[0];
    }
    ALPHABET[usize::from(b) % n] as char
}

/// The canonical form of typed input (case, spaces and dashes ignored), or `None` when it
/// cannot be a recovery code.
pub fn normalize(input: &str) -> Option<String> {
    let s: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (s.len() == LEN && s.bytes().all(|b| ALPHABET.contains(&b))).then_some(s)
}

pub fn hash(code: &str) -> Option<String> {
    normalize(code).map(|n| hex::encode(Sha256::digest(n.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_well_formed_and_hash_alike_however_typed() {
        let set = generate();
        assert_eq!(set.len(), COUNT);
        let unique: std::collections::HashSet<_> = set.iter().collect();
        assert_eq!(unique.len(), COUNT);
        for c in &set {
            assert_eq!(c.len(), 14);
            assert!(normalize(c).is_some(), "{c}");
            let typed = format!(" {} ", c.to_uppercase().replace('-', " "));
            assert_eq!(hash(&typed), hash(c));
        }
        assert_eq!(normalize("123456"), None);
        assert_eq!(
            normalize("oooo-oooo-oooo"),
            None,
            "look-alikes are not in the alphabet"
        );
    }
}

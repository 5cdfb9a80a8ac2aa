//! The per-tenant hash chain: each entry's hash is an HMAC-SHA256, under the tenant's chain
//! key, of the previous hash and a canonical encoding of the entry. Any edit, deletion or
//! reordering breaks the chain, and because the key is envelope-encrypted, not even the
//! database owner can recompute a rewritten chain.

use crate::db::models::audit::AuditRow;
use aws_lc_rs::hmac;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// `prev_hash` of the first entry of every chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Timestamps are hashed at the database's precision (microseconds).
pub fn to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// A timestamp as hashed: UTC, microseconds.
pub fn time_text(t: DateTime<Utc>) -> String {
    to_micros(t).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// JSON with object keys sorted at every level: the same text whatever order the database
/// (jsonb) or serde gives back.
pub fn canonical_json(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical_json(&map[k])))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => {
            format!(
                "[{}]",
                items
                    .iter()
                    .map(canonical_json)
                    .collect::<Vec<_>>()
                    .join(",")
            )
        }
        other => other.to_string(),
    }
}

/// The hash of `row` (its own `hash` field is ignored) given its predecessor's hash.
pub fn entry_hash(key: &[u8], prev_hash: &str, row: &AuditRow) -> String {
    let body = serde_json::json!({
        "seq": row.seq,
        "time": time_text(row.occurred_at),
        "actor": row.actor,
        "action": row.action,
        "target": row.target,
        "trace_id": row.trace_id,
        "ip_hash": row.ip_hash,
        "details": row.details,
    });
    let mut mac = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA256, key));
    mac.update(prev_hash.as_bytes());
    mac.update(b"\n");
    mac.update(canonical_json(&body).as_bytes());
    hex::encode(mac.sign().as_ref())
}

/// The first place where a chain stops being honest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// Entry `expected` is missing: the next one found was `found` (deleted entries).
    Missing { expected: i64, found: i64 },
    /// Entry `seq` does not hash to its stored hash (edited, or moved to another position).
    Altered { seq: i64 },
    /// Entry `seq` does not link to the entry before it (a predecessor was rewritten).
    Unlinked { seq: i64 },
    /// The chain starts at `first`, after entries no retention cut in the chain accounts
    /// for (removed by hand, or the cut's record was removed too).
    Uncut { first: i64 },
}

impl Break {
    pub fn seq(&self) -> i64 {
        match self {
            Break::Missing { expected, .. } => *expected,
            Break::Altered { seq } | Break::Unlinked { seq } => *seq,
            Break::Uncut { first } => *first,
        }
    }
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::Missing { expected, found } => {
                write!(
                    f,
                    "entry {expected} is missing (next entry found is {found}): deleted"
                )
            }
            Break::Altered { seq } => write!(f, "entry {seq} was altered or reordered"),
            Break::Unlinked { seq } => {
                write!(
                    f,
                    "entry {seq} does not link to its predecessor: the chain was rewritten"
                )
            }
            Break::Uncut { first } => write!(
                f,
                "the chain starts at entry {first}, but no retention cut in it removed the entries before: deleted"
            ),
        }
    }
}

/// Walks a chain in sequence order.
/// The action of the entry that records a retention cut (`crate::audit::retention`).
pub const RETENTION_CUT: &str = "audit.retention_cut";

pub struct Verifier {
    key: Vec<u8>,
    next_seq: i64,
    prev_hash: String,
    checked: u64,
    /// The chain began after a retention cut: the last removed (seq, hash), until a
    /// chained `audit.retention_cut` entry vouches for exactly that cut.
    unvouched_cut: Option<(i64, String)>,
}

impl Verifier {
    pub fn new(key: &[u8]) -> Self {
        Self {
            key: key.to_vec(),
            next_seq: 1,
            prev_hash: GENESIS.to_string(),
            checked: 0,
            unvouched_cut: None,
        }
    }

    pub fn push(&mut self, row: &AuditRow) -> Result<(), Break> {
        // A chain that does not start at 1 starts after a retention cut, which a later
        // entry of the chain itself (keyed, so not forgeable) must name.
        if self.checked == 0 && row.seq > 1 && self.next_seq == 1 {
            self.next_seq = row.seq;
            self.prev_hash.clone_from(&row.prev_hash);
            self.unvouched_cut = Some((row.seq - 1, row.prev_hash.clone()));
        }
        if row.seq != self.next_seq {
            return Err(Break::Missing {
                expected: self.next_seq,
                found: row.seq,
            });
        }
        if entry_hash(&self.key, &row.prev_hash, row) != row.hash {
            return Err(Break::Altered { seq: row.seq });
        }
        if row.prev_hash != self.prev_hash {
            return Err(Break::Unlinked { seq: row.seq });
        }
        self.next_seq += 1;
        self.prev_hash.clone_from(&row.hash);
        self.checked += 1;
        if row.action == RETENTION_CUT {
            let named = (&row.details["through_seq"], &row.details["last_hash"]);
            if self
                .unvouched_cut
                .as_ref()
                .is_some_and(|(seq, hash)| named.0 == seq && named.1 == hash.as_str())
            {
                self.unvouched_cut = None;
            }
        }
        Ok(())
    }

    /// The end of the chain: a cut no entry vouched for is a break.
    pub fn finish(&self) -> Result<(), Break> {
        match &self.unvouched_cut {
            Some((through, _)) => Err(Break::Uncut { first: through + 1 }),
            None => Ok(()),
        }
    }

    pub fn checked(&self) -> u64 {
        self.checked
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let a = json!({"b": 1, "a": {"d": [1, {"z": 0, "y": 1}], "c": "x"}});
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"c":"x","d":[1,{"y":1,"z":0}]},"b":1}"#
        );
    }

    const KEY: &[u8] = b"test chain key";

    fn row(seq: i64, prev: &str) -> AuditRow {
        let mut r = AuditRow {
            seq,
            occurred_at: to_micros(Utc::now()),
            actor: "cli".into(),
            action: "test".into(),
            target: String::new(),
            trace_id: String::new(),
            ip_hash: None,
            details: json!({"n": seq}),
            prev_hash: prev.into(),
            hash: String::new(),
        };
        r.hash = entry_hash(KEY, prev, &r);
        r
    }

    #[test]
    fn verifier_names_the_first_broken_entry() {
        let r1 = row(1, GENESIS);
        let r2 = row(2, &r1.hash);
        let r3 = row(3, &r2.hash);
        let mut v = Verifier::new(KEY);
        for r in [&r1, &r2, &r3] {
            v.push(r).unwrap();
        }
        let mut edited = r2.clone();
        edited.details = json!({"n": 99});
        let mut v = Verifier::new(KEY);
        v.push(&r1).unwrap();
        assert_eq!(v.push(&edited), Err(Break::Altered { seq: 2 }));
        let mut v = Verifier::new(KEY);
        v.push(&r1).unwrap();
        assert_eq!(
            v.push(&r3),
            Err(Break::Missing {
                expected: 2,
                found: 3
            })
        );
    }
}

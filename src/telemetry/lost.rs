//! Events the service dropped rather than fail a request over: an audit entry of a refusal
//! that could not be written (the refused request's answer does not wait on it), a stored
//! credential that no longer parses. Each is logged where it happens and counted here;
//! `/metrics` shows `identity_events_lost_total{what}`, which should stay at zero.

use prometheus::{IntCounterVec, Opts};
use std::sync::LazyLock;

/// An audit entry that could not be written.
pub const AUDIT_ENTRY: &str = "audit_entry";
/// A stored credential (a passkey) that does not parse and so cannot be used.
pub const STORED_CREDENTIAL: &str = "stored_credential";

static LOST: LazyLock<Option<IntCounterVec>> = LazyLock::new(|| {
    let opts = Opts::new(
        "identity_events_lost_total",
        "Events dropped instead of failing a request (should stay 0)",
    );
    let counter = IntCounterVec::new(opts, &["what"]).ok()?;
    prometheus::register(Box::new(counter.clone())).ok()?;
    Some(counter)
});

/// Counts one lost event of kind `what` ([`AUDIT_ENTRY`], [`STORED_CREDENTIAL`]).
pub fn count(what: &'static str) {
    if let Some(counter) = LOST.as_ref() {
        counter.with_label_values(&[what]).inc();
    }
}

/// Makes the counter exist (at zero) before anything is lost, so it shows on `/metrics`.
pub fn register() {
    LazyLock::force(&LOST);
}

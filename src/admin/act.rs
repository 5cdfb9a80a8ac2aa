//! One admin action's circumstances, shared by every admin module: who acts, through what,
//! from where and when. A leaf (the actions themselves are in `user_actions`, `users`,
//! `roles`, `key_actions`, `client_actions`), so those modules never import each other for it.

use super::principal::Principal;
use crate::audit::Origin;
use crate::crypto::Envelope;
use crate::db::Db;
use chrono::{DateTime, Utc};

/// One admin action: who acts, through what, and the facts its audit entries carry.
pub struct Act<'a> {
    pub db: &'a Db,
    pub envelope: &'a Envelope,
    pub who: &'a Principal,
    pub origin: &'a Origin,
    pub now: DateTime<Utc>,
}

impl Act<'_> {
    /// This action's audit context: the caller, from where, when, and the sealing key.
    pub fn context(&self) -> crate::audit::Context<'_> {
        crate::audit::Context {
            envelope: self.envelope,
            actor: &self.who.actor,
            origin: self.origin,
            now: self.now,
        }
    }
}

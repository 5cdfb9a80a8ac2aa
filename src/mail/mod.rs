//! Outgoing mail: an outbox written in the same transaction as the action that sends it,
//! and a sender that delivers over SMTP with retries and exponential back-off.

pub mod outbox;
pub mod sender;

//! The workspace's MFA rule, read from its store, and what it asks of one person at
//! sign-in.

use crate::db::models::mfa as model;
use crate::db::{Db, DbError, TenantTx};
use crate::ids::TenantId;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Policy {
    pub required: bool,
    pub grace_period_days: i32,
    /// When `required` was last switched on; the grace period counts from here.
    pub enforced_since: Option<DateTime<Utc>>,
}

impl Policy {
    /// The end of the grace period, while MFA is required.
    pub fn deadline(&self) -> Option<DateTime<Utc>> {
        if !self.required {
            return None;
        }
        let since = self.enforced_since?;
        Some(since + Duration::days(i64::from(self.grace_period_days)))
    }
}

/// What sign-in asks of a person after the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// No second factor: the person has none and none is required.
    None,
    /// The person has a factor: it must be passed.
    Verify,
    /// Required but not set up, within the grace period: enrol, or skip until `deadline`.
    EnrolOrSkip { deadline: DateTime<Utc> },
    /// Required and not set up: enrol before any session or token.
    Enrol,
}

pub fn step_for(policy: &Policy, exempt: bool, enrolled: bool, now: DateTime<Utc>) -> Step {
    if enrolled {
        return Step::Verify;
    }
    if !policy.required || exempt {
        return Step::None;
    }
    match policy.deadline() {
        Some(deadline) if now < deadline => Step::EnrolOrSkip { deadline },
        _ => Step::Enrol,
    }
}

/// Step-up, the one place it is decided: when the application asks for a second factor
/// (`acr_values`) and the sign-in has not passed one, no factor (`None`) or a skippable
/// enrolment (`EnrolOrSkip`) becomes an enrolment that cannot be skipped.
pub fn with_step_up(step: Step, wants_mfa: bool, passed: bool) -> Step {
    if wants_mfa && !passed && matches!(step, Step::None | Step::EnrolOrSkip { .. }) {
        Step::Enrol
    } else {
        step
    }
}

/// Whether tokens must be refused for a session authenticated by `amr`: the rule requires
/// MFA of this person, the grace period is over, and the session has no second factor.
pub fn blocks_tokens(policy: &Policy, exempt: bool, amr: &[String], now: DateTime<Utc>) -> bool {
    let over = policy.deadline().is_some_and(|d| now >= d);
    over && !exempt && !passed_mfa(amr)
}

/// A one-time code here (`otp`), or an IdP's second factor the connection trusts (`mfa`).
pub fn passed_mfa(amr: &[String]) -> bool {
    amr.iter().any(|m| m == "otp" || m == "mfa")
}

/// The workspace's rule as stored (none stored: not required).
pub async fn load(tx: &mut TenantTx) -> Result<Policy, DbError> {
    Ok(model::policy(tx)
        .await?
        .map(|r| Policy {
            required: r.required,
            grace_period_days: r.grace_period_days,
            enforced_since: r.enforced_since,
        })
        .unwrap_or_default())
}

/// The workspace's rule, read in its own session.
pub async fn current(db: &Db, tenant: TenantId) -> Result<Policy, DbError> {
    let mut tx = db.tenant_read(tenant).await?;
    let policy = load(&mut tx).await?;
    tx.commit().await?;
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn required(grace: i32, since: DateTime<Utc>) -> Policy {
        Policy {
            required: true,
            grace_period_days: grace,
            enforced_since: Some(since),
        }
    }

    #[test]
    fn the_rule_asks_for_the_right_step() {
        let now = Utc::now();
        let off = Policy::default();
        assert_eq!(step_for(&off, false, false, now), Step::None);
        assert_eq!(step_for(&off, false, true, now), Step::Verify);
        let strict = required(0, now);
        assert_eq!(step_for(&strict, false, false, now), Step::Enrol);
        assert_eq!(
            step_for(&strict, true, false, now),
            Step::None,
            "break-glass"
        );
        let grace = required(7, now);
        assert_eq!(
            step_for(&grace, false, false, now),
            Step::EnrolOrSkip {
                deadline: now + Duration::days(7)
            }
        );
        assert_eq!(
            step_for(&grace, false, false, now + Duration::days(7)),
            Step::Enrol
        );
    }

    #[test]
    fn tokens_are_blocked_only_past_the_deadline_without_a_second_factor() {
        let now = Utc::now();
        let pwd = vec!["pwd".to_string()];
        let otp = vec!["pwd".to_string(), "otp".to_string()];
        let grace = required(3, now);
        assert!(!blocks_tokens(&grace, false, &pwd, now));
        assert!(blocks_tokens(&grace, false, &pwd, now + Duration::days(3)));
        assert!(!blocks_tokens(&grace, false, &otp, now + Duration::days(3)));
        assert!(!blocks_tokens(&grace, true, &pwd, now + Duration::days(3)));
        assert!(!blocks_tokens(&Policy::default(), false, &pwd, now));
    }
}

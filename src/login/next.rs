//! The rule of the step after a first factor, as a pure function: the workspace's MFA rule
//! (with its grace period and break-glass exemptions), the client's step-up (`acr_values`
//! asking for a second factor) and a browser's existing session decide whether the person
//! gets a code at once, a new session, a second-factor prompt, or enrolment.

use crate::mfa::policy::{self, Policy, Step};
use chrono::{DateTime, Utc};

/// What the decision rests on.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub rule: &'a Policy,
    /// Break-glass: the rule does not apply to this person.
    pub exempt: bool,
    /// The person has a confirmed second factor.
    pub enrolled: bool,
    /// The request asks for a second factor (`acr_values`).
    pub wants_mfa: bool,
    /// How the first step authenticated: `pwd`, or `fed` (with `mfa` when the IdP's second
    /// factor counts).
    pub primary: &'a [String],
    /// The methods of the browser's existing session, if it has one.
    pub existing: Option<&'a [String]>,
    pub now: DateTime<Utc>,
}

/// What comes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The existing session meets the request and the rule: a code for it.
    Code,
    /// A new session from the first step alone, then a code.
    Session,
    /// The person's second factor must be passed first.
    SecondFactor,
    /// A second factor must be set up first; it may be skipped until `skip_until`.
    Enrol { skip_until: Option<DateTime<Utc>> },
}

pub fn next(f: &Facts<'_>) -> Next {
    if let Some(amr) = f.existing {
        let step_up = f.wants_mfa && !policy::passed_mfa(amr);
        if !step_up && !policy::blocks_tokens(f.rule, f.exempt, amr, f.now) {
            return Next::Code;
        }
    }
    // An identity provider's trusted second factor counts for a fresh sign-in.
    let mut step = if f.existing.is_none() && policy::passed_mfa(f.primary) {
        Step::None
    } else {
        policy::step_for(f.rule, f.exempt, f.enrolled, f.now)
    };
    // Step-up: a request for a second factor is never skipped, whatever the rule says.
    step = policy::with_step_up(step, f.wants_mfa, policy::passed_mfa(f.primary));
    match step {
        Step::None => Next::Session,
        Step::Verify => Next::SecondFactor,
        Step::Enrol => Next::Enrol { skip_until: None },
        Step::EnrolOrSkip { deadline } => Next::Enrol {
            skip_until: Some(deadline),
        },
    }
}

#[cfg(test)]
mod tests;

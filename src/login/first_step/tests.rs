//! Every transition of the step after a first factor.

use super::*;
use chrono::Duration;

fn amr(methods: &[&str]) -> Vec<String> {
    methods.iter().map(|m| m.to_string()).collect()
}

fn required(grace_days: i32, since: DateTime<Utc>) -> Policy {
    Policy {
        required: true,
        grace_period_days: grace_days,
        enforced_since: Some(since),
    }
}

struct Case {
    rule: Policy,
    exempt: bool,
    enrolled: bool,
    wants_mfa: bool,
    primary: Vec<String>,
    existing: Option<Vec<String>>,
}

impl Case {
    fn new() -> Self {
        Case {
            rule: Policy::default(),
            exempt: false,
            enrolled: false,
            wants_mfa: false,
            primary: amr(&["pwd"]),
            existing: None,
        }
    }

    fn at(&self, now: DateTime<Utc>) -> Next {
        next(&Facts {
            rule: &self.rule,
            exempt: self.exempt,
            enrolled: self.enrolled,
            wants_mfa: self.wants_mfa,
            primary: &self.primary,
            existing: self.existing.as_deref(),
            now,
        })
    }
}

#[test]
fn a_password_alone_gives_a_session_when_nothing_asks_for_more() {
    assert_eq!(Case::new().at(Utc::now()), Next::Session);
}

#[test]
fn a_person_with_a_factor_passes_it_first() {
    let case = Case {
        enrolled: true,
        ..Case::new()
    };
    assert_eq!(case.at(Utc::now()), Next::SecondFactor);
}

#[test]
fn enforcement_without_grace_allows_enrolment_only() {
    let now = Utc::now();
    let case = Case {
        rule: required(0, now),
        ..Case::new()
    };
    assert_eq!(case.at(now), Next::Enrol { skip_until: None });
}

#[test]
fn within_the_grace_period_enrolment_may_be_skipped_until_its_end() {
    let now = Utc::now();
    let case = Case {
        rule: required(7, now),
        ..Case::new()
    };
    let end = now + Duration::days(7);
    assert_eq!(
        case.at(now),
        Next::Enrol {
            skip_until: Some(end)
        }
    );
    assert_eq!(case.at(end), Next::Enrol { skip_until: None });
}

#[test]
fn break_glass_accounts_are_not_held_by_the_rule() {
    let now = Utc::now();
    let case = Case {
        rule: required(0, now),
        exempt: true,
        ..Case::new()
    };
    assert_eq!(case.at(now), Next::Session);
}

#[test]
fn step_up_asks_for_a_factor_and_never_lets_enrolment_be_skipped() {
    let now = Utc::now();
    let without = Case {
        wants_mfa: true,
        ..Case::new()
    };
    assert_eq!(without.at(now), Next::Enrol { skip_until: None });
    let in_grace = Case {
        wants_mfa: true,
        rule: required(7, now),
        ..Case::new()
    };
    assert_eq!(in_grace.at(now), Next::Enrol { skip_until: None });
    let enrolled = Case {
        wants_mfa: true,
        enrolled: true,
        ..Case::new()
    };
    assert_eq!(enrolled.at(now), Next::SecondFactor);
    let exempt = Case {
        wants_mfa: true,
        exempt: true,
        ..Case::new()
    };
    assert_eq!(
        exempt.at(now),
        Next::Enrol { skip_until: None },
        "break-glass does not bypass a client's step-up"
    );
}

#[test]
fn an_identity_providers_trusted_second_factor_counts() {
    let now = Utc::now();
    let case = Case {
        rule: required(0, now),
        wants_mfa: true,
        primary: amr(&["fed", "mfa"]),
        ..Case::new()
    };
    assert_eq!(case.at(now), Next::Session);
    let plain = Case {
        rule: required(0, now),
        primary: amr(&["fed"]),
        ..Case::new()
    };
    assert_eq!(plain.at(now), Next::Enrol { skip_until: None });
}

#[test]
fn an_existing_session_gets_a_code_only_when_it_meets_request_and_rule() {
    let now = Utc::now();
    let signed_in = Case {
        existing: Some(amr(&["pwd"])),
        ..Case::new()
    };
    assert_eq!(signed_in.at(now), Next::Code);
    let step_up = Case {
        existing: Some(amr(&["pwd"])),
        wants_mfa: true,
        enrolled: true,
        ..Case::new()
    };
    assert_eq!(step_up.at(now), Next::SecondFactor);
    let passed = Case {
        existing: Some(amr(&["pwd", "otp"])),
        wants_mfa: true,
        enrolled: true,
        ..Case::new()
    };
    assert_eq!(passed.at(now), Next::Code);
    // The rule's grace period ended after this session began without a second factor.
    let past_deadline = Case {
        existing: Some(amr(&["pwd"])),
        rule: required(1, now - Duration::days(2)),
        ..Case::new()
    };
    assert_eq!(past_deadline.at(now), Next::Enrol { skip_until: None });
    // An existing session never rides on an IdP's claim of a second factor it did not make.
    let fed = Case {
        existing: Some(amr(&["fed"])),
        primary: amr(&["fed", "mfa"]),
        rule: required(0, now - Duration::days(1)),
        enrolled: true,
        ..Case::new()
    };
    assert_eq!(fed.at(now), Next::SecondFactor);
}

#[test]
fn password_then_second_factor_then_the_session_gets_codes() {
    let now = Utc::now();
    let first = Case {
        rule: required(0, now - Duration::days(30)),
        enrolled: true,
        ..Case::new()
    };
    assert_eq!(
        first.at(now),
        Next::SecondFactor,
        "the password alone: the factor first"
    );
    let after = Case {
        existing: Some(amr(&["pwd", "otp"])),
        ..first
    };
    assert_eq!(
        after.at(now),
        Next::Code,
        "the session that passed it: a code"
    );
}

#[test]
fn a_passkey_alone_satisfies_the_rule_and_step_up() {
    let now = Utc::now();
    let case = Case {
        rule: required(0, now - Duration::days(30)),
        enrolled: true,
        wants_mfa: true,
        primary: amr(&["hwk", "mfa"]),
        ..Case::new()
    };
    assert_eq!(case.at(now), Next::Session);
    let signed_in = Case {
        existing: Some(amr(&["swk", "mfa"])),
        ..case
    };
    assert_eq!(signed_in.at(now), Next::Code);
}

#[test]
fn a_half_finished_sign_in_has_no_session_so_it_never_gets_a_code() {
    // A pending second factor leaves no session: the next request starts again from the
    // first step, which again asks for the factor.
    let case = Case {
        enrolled: true,
        existing: None,
        ..Case::new()
    };
    assert_ne!(case.at(Utc::now()), Next::Code);
    assert_ne!(case.at(Utc::now()), Next::Session);
}

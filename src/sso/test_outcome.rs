//! What a connection test found, as one typed record: stored with the test when the IdP
//! answers, read back by the admin API (its JSON) and the console's result page. The
//! identity the IdP asserted, the account sign-in would create or link, the roles the
//! person would hold (and those withheld beyond the configuring admin's reach), and the
//! mapping rules that matched; or why the answer was refused.

use super::ExternalIdentity;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `succeeded` or `refused`, with what each knows.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Outcome {
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<ExternalIdentity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withheld: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<Vec<Matched>>,
}

/// The account sign-in would use: `would_be_created`, `would_be_linked` (with its id) or
/// `already_linked`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub result: String,
    pub user_id: Option<Uuid>,
}

/// A mapping rule that matched, and why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Matched {
    pub rule: Uuid,
    pub role: String,
    pub because: String,
}

impl Outcome {
    pub fn refused(reason: String) -> Self {
        Outcome {
            status: "refused".into(),
            reason: Some(reason),
            ..Default::default()
        }
    }
}

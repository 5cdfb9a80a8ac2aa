//! How long data is kept: the audit log's retention window, a cancelled workspace's kept
//! period, and how often the jobs that enforce them run.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Audit entries older than this many days are removed (the chain is cut at a
    /// checkpoint recorded in it). At least one day.
    #[serde(default = "default_audit_days")]
    pub audit_days: u32,
    /// How often the retention job looks for work, in seconds (hourly by default).
    #[serde(default = "default_run_every_secs")]
    pub run_every_secs: u64,
    /// Days a cancelled workspace's data is kept (resumable) before it is purged, unless
    /// the workspace has its own (`identity tenants cancel --keep-days`).
    #[serde(default = "default_cancelled_days")]
    pub cancelled_days: u32,
}

fn default_cancelled_days() -> u32 {
    30
}

fn default_audit_days() -> u32 {
    365
}

fn default_run_every_secs() -> u64 {
    3600
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            audit_days: default_audit_days(),
            run_every_secs: default_run_every_secs(),
            cancelled_days: default_cancelled_days(),
        }
    }
}

impl RetentionSettings {
    /// The audit window, never shorter than a day.
    pub fn audit_window(&self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.audit_days.max(1)))
    }
}

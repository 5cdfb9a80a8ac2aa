//! Local admission for large budgets. Instead of one Redis call per request, an instance
//! takes a lease of units from the shared counter (reserved there first, so all instances
//! together never admit more than the budget) and admits from it locally. A lease lives at
//! most the limiter's deadline, so when Redis goes away an instance stops admitting within
//! the same time a direct check would have failed. Lease sizes adapt to the traffic (double
//! when a lease is used up, halve when one expires unused), so a quiet subject does not sit
//! on units it will not use: what leases hold back is at most [`MAX_LEASE`] units (or 1% of
//! the budget, if smaller) per instance and subject.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The largest lease, in units.
pub const MAX_LEASE: u32 = 1_000;
/// Leases kept before expired ones are swept.
const SWEEP_AT: usize = 10_000;

struct Lease {
    remaining: u32,
    expires: Instant,
    size: u32,
}

pub struct Leases {
    ttl: Duration,
    map: Mutex<HashMap<String, Lease>>,
}

/// The largest lease for a budget of `limit` units.
pub fn max_lease(limit: u32) -> u32 {
    (limit / 100).clamp(1, MAX_LEASE)
}

impl Leases {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Admits one request from a live lease on `key`; answers the units left, or `None`.
    pub fn take(&self, key: &str, now: Instant) -> Option<u32> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let lease = map.get_mut(key)?;
        if lease.remaining == 0 || lease.expires <= now {
            return None;
        }
        lease.remaining -= 1;
        Some(lease.remaining)
    }

    /// How many units to ask for on `key` next.
    pub fn want(&self, key: &str, limit: u32, now: Instant) -> u32 {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let size = match map.get(key) {
            None => 1,
            Some(l) if l.remaining == 0 => l.size.saturating_mul(2),
            Some(l) if l.expires <= now => l.size / 2,
            Some(l) => l.size,
        };
        size.clamp(1, max_lease(limit))
    }

    /// Records a new lease of `granted` units on `key`, one of them used by this request.
    pub fn grant(&self, key: &str, granted: u32, asked: u32, now: Instant) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= SWEEP_AT {
            map.retain(|_, l| l.expires > now);
        }
        map.insert(
            key.to_string(),
            Lease {
                remaining: granted.saturating_sub(1),
                expires: now + self.ttl,
                size: asked.max(1),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_admits_what_it_was_granted_and_no_more() {
        let leases = Leases::new(Duration::from_secs(1));
        let now = Instant::now();
        assert_eq!(leases.take("k", now), None);
        assert_eq!(leases.want("k", 100_000, now), 1);
        leases.grant("k", 3, 4, now);
        assert_eq!(leases.take("k", now), Some(1));
        assert_eq!(leases.take("k", now), Some(0));
        assert_eq!(leases.take("k", now), None);
        assert_eq!(leases.want("k", 100_000, now), 8);
    }

    #[test]
    fn a_lease_dies_with_its_time_and_shrinks_when_unused() {
        let leases = Leases::new(Duration::from_millis(10));
        let now = Instant::now();
        leases.grant("k", 40, 40, now);
        let later = now + Duration::from_millis(11);
        assert_eq!(leases.take("k", later), None);
        assert_eq!(leases.want("k", 100_000, later), 20);
    }

    #[test]
    fn leases_stay_within_a_hundredth_of_the_budget() {
        let leases = Leases::new(Duration::from_secs(1));
        let now = Instant::now();
        leases.grant("k", 0, 64, now);
        assert_eq!(leases.want("k", 3_000, now), 30);
        assert_eq!(max_lease(50), 1);
        assert_eq!(max_lease(1_000_000_000), MAX_LEASE);
    }
}

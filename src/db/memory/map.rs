//! A bounded map whose inserts are conditional, for [`super::Memory`].

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;

/// Reads share a lock; inserts and removals take it alone. Full: an arbitrary entry goes.
pub struct GuardedMap<K, V> {
    map: RwLock<HashMap<K, V>>,
    capacity: usize,
}

impl<K: Hash + Eq + Clone, V: Clone> GuardedMap<K, V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            map: RwLock::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        self.map
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
    }

    /// Inserts when `still_valid()` holds, checked under the write lock: whoever forgets
    /// first bumps the generation `still_valid` reads, then takes this lock to remove, so
    /// an insert either sees the bump or is removed after it.
    pub fn insert_if(&self, key: K, value: V, still_valid: impl FnOnce() -> bool) {
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        if !still_valid() {
            return;
        }
        if map.len() >= self.capacity && !map.contains_key(&key) {
            if let Some(victim) = map.keys().next().cloned() {
                map.remove(&victim);
            }
        }
        map.insert(key, value);
    }

    pub fn remove(&self, key: &K) {
        self.map
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }

    /// Keeps only the entries whose key passes `keep`.
    pub fn retain(&self, mut keep: impl FnMut(&K) -> bool) {
        self.map
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|k, _| keep(k));
    }

    pub fn clear(&self) {
        self.map.write().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub fn len(&self) -> usize {
        self.map.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

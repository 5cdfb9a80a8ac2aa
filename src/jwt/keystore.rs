//! The signing keys as this instance knows them. Refreshed from the database when the change
//! feed announces a key change (or reconnects), on a timer, and on demand when a token names
//! an unknown `kid`, so rotations reach every instance without a restart. It also holds the
//! tokens this instance has verified ([`VerifiedTokens`]) and the JWKS as served. Keys are published `publish_ahead` before they sign, which is much longer than
//! the refresh interval, so every instance knows a key before any instance signs with it.

use super::keyset::KeySet;
use super::verified::VerifiedTokens;
use crate::crypto::Envelope;
use crate::db::feed::Event;
use crate::db::models::signing_keys;
use crate::db::Db;
use chrono::Duration;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

#[derive(Clone)]
pub struct KeyStore {
    inner: Arc<Inner>,
}

struct Inner {
    current: RwLock<Arc<KeySet>>,
    db: Db,
    envelope: Envelope,
    retention: Duration,
    last_refresh: Mutex<Option<Instant>>,
    verified: VerifiedTokens,
}

impl KeyStore {
    /// An empty store; call [`KeyStore::refresh`] before use.
    pub fn new(db: Db, envelope: Envelope, retention: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                current: RwLock::new(Arc::new(KeySet::default())),
                db,
                envelope,
                retention,
                last_refresh: Mutex::new(None),
                verified: VerifiedTokens::default(),
            }),
        }
    }

    pub fn current(&self) -> Arc<KeySet> {
        match self.inner.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn verified(&self) -> &VerifiedTokens {
        &self.inner.verified
    }

    pub async fn refresh(&self) -> anyhow::Result<()> {
        let mut tx = self.inner.db.platform().await?;
        let rows = signing_keys::list_all(&mut tx).await?;
        tx.commit().await?;
        let previous = self.current().signers();
        let envelope = self.inner.envelope.clone();
        let retention = self.inner.retention;
        // Parsing RSA keys is CPU work: off the async workers.
        let set = tokio::task::spawn_blocking(move || {
            KeySet::build(rows, &envelope, retention, &previous)
        })
        .await??;
        match self.inner.current.write() {
            Ok(mut guard) => *guard = Arc::new(set),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(set),
        }
        if let Ok(mut last) = self.inner.last_refresh.lock() {
            *last = Some(Instant::now());
        }
        Ok(())
    }

    /// Refreshes unless the last refresh is younger than `min_interval` (so a flood of
    /// tokens with made-up `kid`s cannot hammer the database).
    pub async fn refresh_if_older_than(&self, min_interval: std::time::Duration) -> bool {
        let due = match self.inner.last_refresh.lock() {
            Ok(mut last) => {
                let due = last.is_none_or(|t| t.elapsed() >= min_interval);
                if due {
                    *last = Some(Instant::now());
                }
                due
            }
            Err(_) => false,
        };
        if due {
            if let Err(e) = self.refresh().await {
                tracing::warn!(error = %e, "signing key refresh failed");
            }
        }
        due
    }

    /// Refreshes every `every`, and whenever the change feed announces a key change or
    /// reconnects, for as long as the runtime lives.
    pub fn spawn_refresher(&self, every: std::time::Duration) {
        let store = self.clone();
        let mut events = self.inner.db.feed().subscribe();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    event = events.recv() => match event {
                        Ok(Event::Changed(crate::db::memory::Change::SigningKeys) | Event::Resync)
                        | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                        Ok(_) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    },
                }
                if let Err(e) = store.refresh().await {
                    tracing::warn!(error = %e, "signing key refresh failed");
                }
            }
        });
    }
}

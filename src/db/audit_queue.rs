//! Tenants whose audit entries wait to be chained. A committed transaction that wrote
//! entries marks its tenant here; the chainer (`crate::audit::chainer`) takes the marks.

use crate::ids::TenantId;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::Notify;

/// Shared by every clone of a [`super::Db`]; cheap to clone.
#[derive(Clone, Default)]
pub struct AuditQueue {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    marked: Mutex<HashSet<TenantId>>,
    wake: Notify,
}

impl AuditQueue {
    /// `tenant` has entries to chain.
    pub fn mark(&self, tenant: TenantId) {
        self.inner
            .marked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(tenant);
        self.inner.wake.notify_one();
    }

    /// Every marked tenant, clearing the marks.
    pub fn take(&self) -> Vec<TenantId> {
        let mut marked = self.inner.marked.lock().unwrap_or_else(|p| p.into_inner());
        marked.drain().collect()
    }

    /// Resolves once a tenant is marked (at once if one was marked since the last wait).
    pub async fn marked(&self) {
        self.inner.wake.notified().await
    }

    /// A handle that does not keep the queue alive: the chainer ends once every database
    /// handle that could mark it is gone.
    pub fn downgrade(&self) -> WeakAuditQueue {
        WeakAuditQueue(Arc::downgrade(&self.inner))
    }
}

pub struct WeakAuditQueue(Weak<Inner>);

impl WeakAuditQueue {
    pub fn upgrade(&self) -> Option<AuditQueue> {
        self.0.upgrade().map(|inner| AuditQueue { inner })
    }
}

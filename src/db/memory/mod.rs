//! What an instance remembers of the database to answer the hot path without a round trip
//! (invariant 8: memory is a cache, never the authority). Entries are read through from the
//! database and forgotten when the change feed (`super::feed`) announces a change to them.
//!
//! The rule that makes it safe: memory is consulted and filled only while the feed is
//! *trusted* (its LISTEN connection is up and its heartbeat comes back in time). Otherwise
//! every caller reads the database. Two races are closed by a generation counter, bumped
//! before any entry is forgotten and whenever trust is lost: a read that began before a
//! change was announced cannot store its (possibly older) answer afterwards, because
//! [`Ticket`] stores only while the generation is the one it saw before reading.

mod map;

pub use map::GuardedMap;

use super::kek_rows::StoredKek;
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Most entries per kind: beyond it an arbitrary entry makes room (a miss, not an error).
const CAPACITY: usize = 100_000;

/// A credential's holder as the domain parsed it (opaque to the store: an OAuth client, an
/// API key's identity), and the hashes of its unexpired secrets with their expiry, as of its
/// last change.
pub struct Credential {
    pub holder: Arc<dyn std::any::Any + Send + Sync>,
    pub secrets: Vec<(String, Option<DateTime<Utc>>)>,
    /// When its use was last recorded (unix seconds), for writers that record use.
    pub last_recorded: std::sync::atomic::AtomicI64,
}

impl Credential {
    pub fn new(
        holder: Arc<dyn std::any::Any + Send + Sync>,
        secrets: Vec<(String, Option<DateTime<Utc>>)>,
    ) -> Self {
        Self {
            holder,
            secrets,
            last_recorded: std::sync::atomic::AtomicI64::new(0),
        }
    }

    /// Whether `presented` (a secret's hash) is one of the unexpired secrets at `now`.
    pub fn accepts(&self, presented: &str, now: DateTime<Utc>) -> bool {
        self.secrets.iter().any(|(hash, expires)| {
            expires.is_none_or(|e| e > now)
                && aws_lc_rs::constant_time::verify_slices_are_equal(
                    hash.as_bytes(),
                    presented.as_bytes(),
                )
                .is_ok()
        })
    }
}

/// A session's state: `None` when it has ended or does not exist.
pub type SessionEntry = Option<(DateTime<Utc>, DateTime<Utc>)>;

/// A usable API key's expiry (`Some(None)`: never), or `None` when it is not usable.
pub type ApiKeyEntry = Option<Option<DateTime<Utc>>>;

/// Shared by every clone of a [`super::Db`] of one instance; cheap to clone.
#[derive(Clone)]
pub struct Memory {
    inner: Arc<Inner>,
}

struct Inner {
    trusted: AtomicBool,
    generation: AtomicU64,
    clients: GuardedMap<(TenantId, String), Arc<Credential>>,
    api_key_credentials: GuardedMap<(TenantId, uuid::Uuid), Arc<Credential>>,
    revoked: GuardedMap<(TenantId, String), bool>,
    sessions: GuardedMap<(TenantId, uuid::Uuid), SessionEntry>,
    api_keys: GuardedMap<(TenantId, uuid::Uuid), ApiKeyEntry>,
    tenants_active: GuardedMap<TenantId, bool>,
    /// A workspace's key-encryption keys as wrapped in the keys database (never unwrapped
    /// here); forgotten with any change to the workspace, which a new version or a purge
    /// announces.
    tenant_keks: GuardedMap<TenantId, Arc<Vec<StoredKek>>>,
}

/// Permission to store one read: valid only if nothing was forgotten since it was taken.
#[derive(Debug, Clone, Copy)]
pub struct Ticket {
    generation: u64,
}

/// What a change-feed announcement names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Client(TenantId, String),
    Revoked(TenantId, String),
    Session(TenantId, uuid::Uuid),
    ApiKey(TenantId, uuid::Uuid),
    Tenant(TenantId),
    /// Roles, grants, mappings, groups or a person's status changed in a tenant: what the
    /// API keys its people made may do.
    Authority(TenantId),
    SigningKeys,
    Mail(TenantId),
    Audit(TenantId),
    /// Local only (never announced): every session of a tenant, after a bulk change.
    SessionsOf(TenantId),
    /// Local only: every API key of a tenant, after a bulk change.
    ApiKeysOf(TenantId),
}

impl Change {
    /// Parses `<kind>:<tenant>[:<key>]` as written by `identity_announce()` (migration 17).
    pub fn parse(payload: &str) -> Option<Self> {
        let mut parts = payload.splitn(3, ':');
        let kind = parts.next()?;
        let tenant = TenantId(uuid::Uuid::try_parse(parts.next()?).ok()?);
        let key = parts.next();
        let id = || key.and_then(|k| uuid::Uuid::try_parse(k).ok());
        Some(match kind {
            "client" => Change::Client(tenant, key?.to_string()),
            "revoked" => Change::Revoked(tenant, key?.to_string()),
            "session" => Change::Session(tenant, id()?),
            "apikey" => Change::ApiKey(tenant, id()?),
            "tenant" => Change::Tenant(tenant),
            "authority" => Change::Authority(tenant),
            "keys" => Change::SigningKeys,
            "mail" => Change::Mail(tenant),
            "audit" => Change::Audit(tenant),
            _ => return None,
        })
    }
}

impl Default for Memory {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                trusted: AtomicBool::new(false),
                generation: AtomicU64::new(0),
                clients: GuardedMap::new(CAPACITY),
                api_key_credentials: GuardedMap::new(CAPACITY),
                revoked: GuardedMap::new(CAPACITY),
                sessions: GuardedMap::new(CAPACITY),
                api_keys: GuardedMap::new(CAPACITY),
                tenants_active: GuardedMap::new(CAPACITY),
                tenant_keks: GuardedMap::new(CAPACITY),
            }),
        }
    }
}

impl Memory {
    /// A ticket to read memory and store reads, or `None` while the feed is not trusted.
    pub fn ticket(&self) -> Option<Ticket> {
        // The generation first: if trust is lost after this load, the bump that goes with
        // it voids the ticket.
        let generation = self.inner.generation.load(Ordering::Acquire);
        self.inner
            .trusted
            .load(Ordering::Acquire)
            .then_some(Ticket { generation })
    }

    pub fn is_trusted(&self) -> bool {
        self.inner.trusted.load(Ordering::Acquire)
    }

    /// The feed is connected and caught up (`true`), or not (`false`: forget nothing yet,
    /// but stop trusting). Losing trust voids every outstanding ticket.
    pub fn set_trusted(&self, trusted: bool) {
        if !trusted {
            self.inner.generation.fetch_add(1, Ordering::AcqRel);
        }
        self.inner.trusted.store(trusted, Ordering::Release);
    }

    /// Forgets everything (after a reconnect: announcements may have been missed).
    pub fn forget_all(&self) {
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        let i = &self.inner;
        i.clients.clear();
        i.api_key_credentials.clear();
        i.revoked.clear();
        i.sessions.clear();
        i.api_keys.clear();
        i.tenants_active.clear();
        i.tenant_keks.clear();
    }

    /// Applies an announcement: forgets what it names.
    pub fn apply(&self, change: &Change) {
        let i = &self.inner;
        match change {
            Change::Client(t, id) => self.forget(&i.clients, &(*t, id.clone())),
            Change::Revoked(t, jti) => self.forget(&i.revoked, &(*t, jti.clone())),
            Change::Session(t, id) => self.forget(&i.sessions, &(*t, *id)),
            // Any key's change may change every key it made (and theirs): the workspace's
            // keys are forgotten, as for an authority change.
            Change::ApiKey(t, _) => self.apply(&Change::ApiKeysOf(*t)),
            Change::Authority(t) => {
                self.inner.generation.fetch_add(1, Ordering::AcqRel);
                i.api_key_credentials.retain(|(tenant, _)| tenant != t);
            }
            Change::Tenant(t) => {
                self.forget(&i.tenants_active, t);
                i.tenant_keks.remove(t);
            }
            Change::SessionsOf(t) => {
                self.inner.generation.fetch_add(1, Ordering::AcqRel);
                i.sessions.retain(|(tenant, _)| tenant != t);
            }
            Change::ApiKeysOf(t) => {
                self.inner.generation.fetch_add(1, Ordering::AcqRel);
                i.api_keys.retain(|(tenant, _)| tenant != t);
                i.api_key_credentials.retain(|(tenant, _)| tenant != t);
            }
            Change::SigningKeys | Change::Mail(_) | Change::Audit(_) => {}
        }
    }

    fn forget<K: std::hash::Hash + Eq + Clone, V: Clone>(&self, map: &GuardedMap<K, V>, key: &K) {
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        map.remove(key);
    }

    fn store<K: std::hash::Hash + Eq + Clone, V: Clone>(
        &self,
        ticket: Ticket,
        map: &GuardedMap<K, V>,
        key: K,
        value: V,
    ) {
        map.insert_if(key, value, || {
            self.inner.trusted.load(Ordering::Acquire)
                && self.inner.generation.load(Ordering::Acquire) == ticket.generation
        });
    }

    pub fn tenant_keks(&self, _: Ticket, tenant: TenantId) -> Option<Arc<Vec<StoredKek>>> {
        self.inner.tenant_keks.get(&tenant)
    }

    pub fn remember_tenant_keks(
        &self,
        ticket: Ticket,
        tenant: TenantId,
        keks: Arc<Vec<StoredKek>>,
    ) {
        self.store(ticket, &self.inner.tenant_keks, tenant, keks);
    }

    pub fn client(&self, _: Ticket, tenant: TenantId, id: &str) -> Option<Arc<Credential>> {
        self.inner.clients.get(&(tenant, id.to_string()))
    }

    pub fn remember_client(&self, ticket: Ticket, tenant: TenantId, id: &str, e: Arc<Credential>) {
        self.store(ticket, &self.inner.clients, (tenant, id.to_string()), e);
    }

    /// A usable API key's identity and secrets, if remembered.
    pub fn api_key(&self, _: Ticket, tenant: TenantId, id: uuid::Uuid) -> Option<Arc<Credential>> {
        self.inner.api_key_credentials.get(&(tenant, id))
    }

    pub fn remember_api_key_credential(
        &self,
        ticket: Ticket,
        tenant: TenantId,
        id: uuid::Uuid,
        e: Arc<Credential>,
    ) {
        self.store(ticket, &self.inner.api_key_credentials, (tenant, id), e);
    }

    pub fn revoked(&self, _: Ticket, tenant: TenantId, jti: &str) -> Option<bool> {
        self.inner.revoked.get(&(tenant, jti.to_string()))
    }

    pub fn remember_revoked(&self, ticket: Ticket, tenant: TenantId, jti: &str, revoked: bool) {
        let key = (tenant, jti.to_string());
        self.store(ticket, &self.inner.revoked, key, revoked);
    }

    /// Whether the session is active at `now`, if known. A remembered idle expiry that has
    /// passed is not trusted (activity elsewhere may have pushed it out): `None`.
    pub fn session_active(
        &self,
        _: Ticket,
        tenant: TenantId,
        id: uuid::Uuid,
        now: DateTime<Utc>,
    ) -> Option<bool> {
        match self.inner.sessions.get(&(tenant, id))? {
            None => Some(false),
            Some((idle, absolute)) if idle > now && absolute > now => Some(true),
            Some(_) => None,
        }
    }

    pub fn remember_session(
        &self,
        ticket: Ticket,
        tenant: TenantId,
        id: uuid::Uuid,
        e: SessionEntry,
    ) {
        self.store(ticket, &self.inner.sessions, (tenant, id), e);
    }

    /// Whether the API key is usable at `now`, if known.
    pub fn api_key_usable(
        &self,
        _: Ticket,
        tenant: TenantId,
        id: uuid::Uuid,
        now: DateTime<Utc>,
    ) -> Option<bool> {
        let entry = self.inner.api_keys.get(&(tenant, id))?;
        Some(entry.is_some_and(|exp| exp.is_none_or(|e| e > now)))
    }

    pub fn remember_api_key(
        &self,
        ticket: Ticket,
        tenant: TenantId,
        id: uuid::Uuid,
        e: ApiKeyEntry,
    ) {
        self.store(ticket, &self.inner.api_keys, (tenant, id), e);
    }

    pub fn tenant_active(&self, _: Ticket, tenant: TenantId) -> Option<bool> {
        self.inner.tenants_active.get(&tenant)
    }

    pub fn remember_tenant(&self, ticket: Ticket, tenant: TenantId, active: bool) {
        self.store(ticket, &self.inner.tenants_active, tenant, active);
    }
}

#[cfg(test)]
mod tests;

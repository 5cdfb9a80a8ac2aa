//! One SCIM request against the store: the bearer is checked in the workspace it claims,
//! and the same transaction (a read session for reads) then lists, reads or writes and
//! commits. The HTTP layer only charges budgets between opening and using it.

use super::bearer_tokens::{self, ScimClient};
use super::error::ScimError;
use super::resource::{ListParams, WriteCtx};
use super::{groups, users};
use crate::admin::person_erasure;
use crate::audit::Origin;
use crate::crypto::Envelope;
use crate::db::{Db, TenantTx};
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
pub enum Resource {
    Users,
    Groups,
}

/// A write; `if_match` is the request's `If-Match`.
pub enum Write<'a> {
    Create(&'a Value),
    Replace(Uuid, &'a Value),
    Patch(Uuid, &'a Value),
    Delete(Uuid),
}

/// Where a write's audit entries and `meta.location`s come from.
pub struct Written<'a> {
    pub envelope: &'a Envelope,
    pub origin: &'a Origin,
    pub base: &'a str,
    pub if_match: Option<&'a str>,
    pub now: DateTime<Utc>,
}

pub struct Session {
    client: ScimClient,
    tx: TenantTx,
    /// For what follows a commit (an erasure's rewrite of the audit chain).
    db: Db,
}

impl Session {
    /// Checks `bearer` in the workspace it claims, in a transaction (`write`) or a read
    /// session.
    pub async fn open(
        db: &Db,
        bearer: &str,
        write: bool,
        now: DateTime<Utc>,
    ) -> Result<Self, ScimError> {
        let tenant = bearer_tokens::claimed_tenant(bearer)?;
        let mut tx = if write {
            db.tenant(tenant).await?
        } else {
            db.tenant_read(tenant).await?
        };
        let client = bearer_tokens::authenticate(&mut tx, bearer, now).await?;
        Ok(Self {
            client,
            tx,
            db: db.clone(),
        })
    }

    pub fn client(&self) -> &ScimClient {
        &self.client
    }

    /// A page of resources and the total.
    pub async fn list(
        mut self,
        res: Resource,
        params: &ListParams,
        base: &str,
    ) -> Result<(Vec<Value>, i64), ScimError> {
        let found = match res {
            Resource::Users => users::list(&mut self.tx, params, base).await?,
            Resource::Groups => groups::list(&mut self.tx, params, base).await?,
        };
        self.tx.commit().await?;
        Ok(found)
    }

    /// A search across Users and Groups (RFC 7644 §3.4.3, `POST /.search`): Users first,
    /// then Groups, paged over both. A filter naming an attribute one type lacks matches
    /// none of that type; it is an error only when it fits neither.
    pub async fn search_all(
        mut self,
        params: &ListParams,
        base: &str,
    ) -> Result<(Vec<Value>, i64), ScimError> {
        let start = params.start_index.max(1);
        let mut wide = params.clone();
        wide.start_index = 1;
        wide.count = start - 1 + params.count.max(0);
        let (mut all, mut total, mut refused) = (Vec::new(), 0, None);
        for res in [Resource::Users, Resource::Groups] {
            let found = match res {
                Resource::Users => users::list(&mut self.tx, &wide, base).await,
                Resource::Groups => groups::list(&mut self.tx, &wide, base).await,
            };
            match found {
                Ok((list, n)) => {
                    all.extend(list);
                    total += n;
                }
                Err(e) if e.scim_type() == Some("invalidFilter") => refused = Some(e),
                Err(e) => return Err(e),
            }
        }
        self.tx.commit().await?;
        if let (Some(e), true) = (refused, total == 0 && all.is_empty()) {
            return Err(e);
        }
        let skip = usize::try_from(start - 1).unwrap_or(0);
        let take = usize::try_from(params.count.max(0)).unwrap_or(0);
        Ok((all.into_iter().skip(skip).take(take).collect(), total))
    }

    pub async fn get(mut self, res: Resource, id: Uuid, base: &str) -> Result<Value, ScimError> {
        let found = match res {
            Resource::Users => users::get(&mut self.tx, id, base).await?,
            Resource::Groups => groups::get(&mut self.tx, id, base).await?,
        };
        self.tx.commit().await?;
        Ok(found)
    }

    /// The resource as written (none for a delete), committed with its audit entries.
    pub async fn write(
        mut self,
        res: Resource,
        op: Write<'_>,
        w: &Written<'_>,
    ) -> Result<Option<Value>, ScimError> {
        let ctx = WriteCtx {
            envelope: w.envelope,
            client: &self.client,
            origin: w.origin,
            base: w.base,
            now: w.now,
        };
        // An erasure's first step runs before anything is written (`person_erasure`).
        let erasing = match (res, &op) {
            (Resource::Users, Write::Delete(id)) => {
                let user = users::to_erase(&mut self.tx, &ctx, *id, w.if_match).await?;
                let actor = self.client.actor();
                let (db, tenant) = (&self.db, self.tx.tenant());
                Some(person_erasure::prepare(db, &ctx.audit(&actor), tenant, &user).await?)
            }
            _ => None,
        };
        let (tx, im) = (&mut self.tx, w.if_match);
        let written = match (res, op) {
            (Resource::Users, Write::Create(b)) => Some(users::create(tx, &ctx, b).await?),
            (Resource::Users, Write::Replace(id, b)) => {
                Some(users::replace(tx, &ctx, id, b, im).await?)
            }
            (Resource::Users, Write::Patch(id, b)) => {
                Some(users::patch(tx, &ctx, id, b, im).await?)
            }
            (Resource::Users, Write::Delete(id)) => match &erasing {
                Some(prepared) => users::delete(tx, &ctx, id, im, prepared)
                    .await
                    .map(|_| None)?,
                None => None,
            },
            (Resource::Groups, Write::Create(b)) => Some(groups::create(tx, &ctx, b).await?),
            (Resource::Groups, Write::Replace(id, b)) => {
                Some(groups::replace(tx, &ctx, id, b, im).await?)
            }
            (Resource::Groups, Write::Patch(id, b)) => {
                Some(groups::patch(tx, &ctx, id, b, im).await?)
            }
            (Resource::Groups, Write::Delete(id)) => {
                groups::delete(tx, &ctx, id, im).await.map(|_| None)?
            }
        };
        let tenant = self.tx.tenant();
        self.tx.commit().await?;
        if let Some(prepared) = erasing {
            let actor = self.client.actor();
            person_erasure::sweep(&self.db, &ctx.audit(&actor), tenant, &prepared).await?;
        }
        Ok(written)
    }
}

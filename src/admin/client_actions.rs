//! A workspace's own applications (OAuth clients), as its administrators manage them
//! through the admin API: list, register, read, rotate the secret with an overlap, delete.
//! Only applications that sign people in (authorization code, refresh): their tokens reach
//! no further than the person signed in. Machine credentials of a workspace are API keys,
//! which stay within their maker's reach; client-credential clients remain an operator's
//! (CLI) decision. A client of another workspace is not found.

use super::user_actions::Act;
use crate::audit::Context;
use crate::error::AppError;
use crate::oidc::client_changes::{self, ClientEdit};
use crate::oidc::clients::{self, Client, ClientError, ClientSpec};
use crate::oidc::resources::ResourceServer;
use chrono::Duration;

/// The grants a workspace administrator may give its applications.
pub const PERSON_GRANTS: &[&str] = &["authorization_code", "refresh_token"];

/// What an administrator registers.
pub struct NewClient {
    pub name: String,
    pub grant_types: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub audiences: Vec<String>,
    /// No consent screen for the workspace's people (see [`require_trust_reach`]).
    pub trusted: bool,
}

fn ctx<'a>(act: &'a Act<'_>) -> Context<'a> {
    act.context()
}

impl From<ClientError> for AppError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Invalid(what) => AppError::InvalidRequest(format!("invalid {what}")),
            ClientError::NotFound => AppError::NotFound,
            ClientError::Db(e) => e.into(),
            ClientError::Audit(e) => e.into(),
        }
    }
}

/// The client `id` when it is of the caller's workspace.
async fn mine(act: &Act<'_>, id: &str) -> Result<Client, AppError> {
    clients::get(act.db, id)
        .await
        .map_err(|e| match e {
            // An id that names another workspace (or none) is simply not found.
            ClientError::Db(crate::db::DbError::TenantNotActive) => AppError::NotFound,
            e => e.into(),
        })?
        .filter(|c| c.tenant_id == Some(act.who.tenant))
        .ok_or(AppError::NotFound)
}

/// A client of the workspace that signs people in only: the ones an administrator may
/// change. A machine client (registered by the operator) stays the operator's: rotating
/// its secret or widening it would hand out a credential beyond the administrator's reach.
async fn changeable(act: &Act<'_>, id: &str) -> Result<Client, AppError> {
    let client = mine(act, id).await?;
    if client
        .grant_types
        .iter()
        .any(|g| !PERSON_GRANTS.contains(&g.as_str()))
    {
        return Err(AppError::Forbidden);
    }
    Ok(client)
}

/// A trusted application gets a person's tokens without asking them, and its tokens carry
/// whatever roles that person holds: whoever marks it trusted, or changes a trusted one
/// (where its codes go, what it may reach, its secret), must hold every permission.
fn require_trust_reach(act: &Act<'_>) -> Result<(), AppError> {
    crate::authority::require_cover(&act.who.permissions, &crate::authority::everything())
        .map_err(|_| AppError::Forbidden)
}

fn person_grants_only(grants: &[String]) -> Result<(), AppError> {
    if grants.is_empty() || grants.iter().any(|g| !PERSON_GRANTS.contains(&g.as_str())) {
        return Err(AppError::InvalidRequest(
            "grant_types: a workspace's applications sign people in (authorization_code, refresh_token); use an API key for a machine".into(),
        ));
    }
    Ok(())
}

pub async fn list(act: &Act<'_>) -> Result<Vec<Client>, AppError> {
    Ok(clients::list(act.db, Some(act.who.tenant)).await?)
}

/// The platform's resource servers: the audiences an application may hold.
pub async fn resource_servers(act: &Act<'_>) -> Result<Vec<ResourceServer>, AppError> {
    crate::oidc::resources::list(act.db)
        .await
        .map_err(|e| match e {
            crate::oidc::resources::ResourceError::Db(e) => e.into(),
            e => AppError::internal(anyhow::anyhow!(e)),
        })
}

pub async fn get(act: &Act<'_>, id: &str) -> Result<Client, AppError> {
    mine(act, id).await
}

/// Registers an application; answers it and its secret (shown once).
pub async fn create(
    act: &Act<'_>,
    new: NewClient,
    max_ttl: i64,
) -> Result<(Client, String), AppError> {
    person_grants_only(&new.grant_types)?;
    if new.trusted {
        require_trust_reach(act)?;
    }
    let spec = ClientSpec {
        tenant: Some(act.who.tenant),
        name: new.name,
        grant_types: new.grant_types,
        redirect_uris: new.redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        audiences: new.audiences,
        trusted: new.trusted,
        ..Default::default()
    };
    Ok(clients::register(act.db, spec, max_ttl, &ctx(act)).await?)
}

/// Changes an application's name, grants, URIs or audiences.
pub async fn update(act: &Act<'_>, id: &str, edit: ClientEdit) -> Result<Client, AppError> {
    let client = changeable(act, id).await?;
    if client.trusted || edit.trusted == Some(true) {
        require_trust_reach(act)?;
    }
    if let Some(grants) = &edit.grant_types {
        person_grants_only(grants)?;
    }
    Ok(client_changes::update(act.db, id, edit, &ctx(act)).await?)
}

/// A new secret; the previous ones stay valid for `overlap`.
pub async fn rotate(act: &Act<'_>, id: &str, overlap: Duration) -> Result<String, AppError> {
    if changeable(act, id).await?.trusted {
        require_trust_reach(act)?;
    }
    Ok(clients::rotate(act.db, id, overlap, &ctx(act)).await?)
}

pub async fn delete(act: &Act<'_>, id: &str) -> Result<(), AppError> {
    changeable(act, id).await?;
    Ok(clients::remove(act.db, id, &ctx(act)).await?)
}

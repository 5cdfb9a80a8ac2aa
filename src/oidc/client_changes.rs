//! Changing a registered client: its name, grants, redirect and post-logout URIs and
//! audiences, checked by the same rules as at registration, audited, and forgotten by every
//! instance's memory when the change commits.

use super::clients::{audit_client, check, Client, ClientError, ClientSpec};
use crate::audit::{Action, Context};
use crate::db::models::clients as model;
use crate::db::Db;
use serde_json::json;

/// What changes; `None` keeps the current value.
#[derive(Debug, Default)]
pub struct ClientEdit {
    pub name: Option<String>,
    pub grant_types: Option<Vec<String>>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub audiences: Option<Vec<String>>,
    pub trusted: Option<bool>,
}

pub async fn update(
    db: &Db,
    client_id: &str,
    edit: ClientEdit,
    ctx: &Context<'_>,
) -> Result<Client, ClientError> {
    let mut tx = db.tenant(super::clients::tenant_of(client_id)).await?;
    let mut row = model::find(&mut tx, client_id)
        .await?
        .ok_or(ClientError::NotFound)?;
    let changed: Vec<&str> = [
        ("name", edit.name.is_some()),
        ("grant_types", edit.grant_types.is_some()),
        ("redirect_uris", edit.redirect_uris.is_some()),
        (
            "post_logout_redirect_uris",
            edit.post_logout_redirect_uris.is_some(),
        ),
        ("audiences", edit.audiences.is_some()),
        ("trusted", edit.trusted.is_some()),
    ]
    .into_iter()
    .filter_map(|(field, set)| set.then_some(field))
    .collect();
    row.name = edit.name.unwrap_or(row.name);
    row.grant_types = edit.grant_types.unwrap_or(row.grant_types);
    row.redirect_uris = edit.redirect_uris.unwrap_or(row.redirect_uris);
    row.post_logout_redirect_uris = edit
        .post_logout_redirect_uris
        .unwrap_or(row.post_logout_redirect_uris);
    row.audiences = edit.audiences.unwrap_or(row.audiences);
    row.trusted = edit.trusted.unwrap_or(row.trusted);
    check(&ClientSpec {
        name: row.name.clone(),
        grant_types: row.grant_types.clone(),
        redirect_uris: row.redirect_uris.clone(),
        post_logout_redirect_uris: row.post_logout_redirect_uris.clone(),
        audiences: row.audiences.clone(),
        scopes: row.scopes.clone(),
        ..Default::default()
    })?;
    if tx.tenant() != crate::ids::TenantId::PLATFORM {
        super::clients::require_registered(&mut tx, &row.audiences).await?;
    }
    if !model::update(&mut tx, &row).await? {
        return Err(ClientError::NotFound);
    }
    let details = json!({ "changed": changed });
    audit_client(&mut tx, ctx, Action::ClientUpdated, client_id, details).await?;
    tx.commit().await?;
    Client::from_row(row)
}

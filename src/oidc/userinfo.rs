//! Who a person token names, for `/oauth2/userinfo`: the person's address and name, only
//! while their account is active.

use crate::db::models::users;
use crate::db::{Db, DbError};
use crate::ids::{TenantId, UserId};

/// What userinfo may tell about a person.
pub struct Person {
    pub email: String,
    pub display_name: Option<String>,
}

/// The active person `user` of `tenant`; `None` when there is none (or it is disabled).
pub async fn active_person(
    db: &Db,
    tenant: TenantId,
    user: UserId,
) -> Result<Option<Person>, DbError> {
    let mut tx = db.tenant_read(tenant).await?;
    let found = match users::get(&mut tx, user).await {
        Ok(u) => Some(u),
        Err(DbError::NotFound) => None,
        Err(e) => return Err(e),
    };
    tx.commit().await?;
    Ok(found.filter(|u| u.status == "active").map(|u| Person {
        email: u.email,
        display_name: u.display_name,
    }))
}

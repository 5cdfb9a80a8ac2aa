//! Rows of the keys database (`super::kek_store`), shared with what memory holds of them.

use diesel::sql_types::{Integer, Nullable, Text, Uuid as SqlUuid};
use diesel::QueryableByName;

/// One KEK version of a workspace: the platform-wrapped key, `None` once destroyed.
#[derive(Debug, Clone, QueryableByName)]
pub struct StoredKek {
    #[diesel(sql_type = Integer)]
    pub version: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub wrapped: Option<String>,
}

/// A wrapped KEK of some workspace, for platform-key rotation.
#[derive(Debug, Clone, QueryableByName)]
pub struct WrappedKek {
    #[diesel(sql_type = SqlUuid)]
    pub tenant_id: uuid::Uuid,
    #[diesel(sql_type = Integer)]
    pub version: i32,
    #[diesel(sql_type = Text)]
    pub wrapped: String,
}

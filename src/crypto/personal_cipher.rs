//! The crypto layer's side of `db::personal_keys`: a person's fields sealed under the
//! workspace's KEK like every other value (`ev2`), and blind indexes keyed per workspace.

use super::envelope::{Envelope, EnvelopeError, SecretContext};
use crate::db::kek_store::StoredKek;
use crate::db::personal_keys::{Field, FieldCipher};
use crate::db::DbError;
use crate::ids::TenantId;
use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::sync::Arc;

fn context<'a>(field: &'a Field<'a>) -> SecretContext<'a> {
    SecretContext {
        tenant: field.tenant,
        table: field.table,
        column: field.column,
        row: field.row,
    }
}

fn sealed_error(e: EnvelopeError) -> DbError {
    DbError::Sealed(e.to_string())
}

impl FieldCipher for Envelope {
    fn new_kek(&self, tenant: TenantId, version: i32) -> String {
        super::tenant_keys::new_wrapped_kek(self, tenant, version)
    }

    fn seal(
        &self,
        keks: &Arc<Vec<StoredKek>>,
        field: &Field<'_>,
        clear: &str,
    ) -> Result<String, DbError> {
        self.sealer_over(field.tenant, keks.clone())
            .seal(&context(field), clear.as_bytes())
            .map_err(sealed_error)
    }

    fn open(
        &self,
        keks: &Arc<Vec<StoredKek>>,
        field: &Field<'_>,
        stored: &str,
    ) -> Result<String, DbError> {
        let clear = self
            .sealer_over(field.tenant, keks.clone())
            .open(&context(field), stored)
            .map_err(sealed_error)?;
        String::from_utf8(clear.to_vec()).map_err(|_| DbError::Sealed("not text".into()))
    }

    fn blind_index(
        &self,
        keks: &Arc<Vec<StoredKek>>,
        tenant: TenantId,
        purpose: &str,
        normalized: &str,
    ) -> Result<String, DbError> {
        let key = self
            .sealer_over(tenant, keks.clone())
            .index_key()
            .map_err(sealed_error)?;
        let mut ctx = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA256, &key));
        // Length-prefixed, so no purpose and value pair reads as another.
        ctx.update(&(purpose.len() as u32).to_be_bytes());
        ctx.update(purpose.as_bytes());
        ctx.update(normalized.as_bytes());
        Ok(URL_SAFE_NO_PAD.encode(ctx.sign().as_ref()))
    }
}

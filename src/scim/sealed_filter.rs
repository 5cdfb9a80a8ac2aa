//! Filters on a user's sealed attributes. userName, externalId, displayName, emails and the
//! rest of the SCIM document are encrypted at rest (`db::models::person_fields`), so SQL
//! cannot read them: equality goes through their keyed blind indexes, presence through
//! whether a ciphertext is stored, and nothing else (`co`, `sw`, `gt`, sorting) is possible.
//! Each condition also matches a row still held in clear (written before sealing, until
//! `identity encryption rotate` seals it), so a lookup never misses a person mid-migration.

use super::binds::Binds;
use super::error::ScimError;
use super::filter::{AttrPath, CompareOp, Filter, Value as FValue};
use crate::db::models::person_fields as pf;
use crate::db::personal_keys::PersonalKeys;
use crate::text::email_key;

/// A user attribute stored sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sealed {
    UserName,
    ExternalId,
    DisplayName,
    /// `emails` or `emails.value`.
    Emails,
}

fn refused(name: &str) -> ScimError {
    ScimError::invalid_filter(format!(
        "'{name}' is encrypted at rest: it can be compared with eq or ne, or tested with pr \
         (userName, emails.value and externalId), nothing else"
    ))
}

/// Why an attribute of the user's SCIM document (name, phoneNumbers, title, extensions...)
/// cannot be filtered on.
pub fn unsupported(path: &AttrPath) -> ScimError {
    ScimError::invalid_filter(format!(
        "'{}' is encrypted at rest and cannot be filtered on; filter on userName, \
         emails.value or externalId (eq), or on id, active and meta dates",
        path.attr
    ))
}

/// `<attr> pr`.
pub fn present(attr: Sealed) -> String {
    match attr {
        Sealed::UserName | Sealed::Emails => "true".into(),
        Sealed::ExternalId => {
            "(u.external_id_sealed IS NOT NULL OR u.external_id IS NOT NULL)".into()
        }
        Sealed::DisplayName => {
            "(u.display_name_sealed IS NOT NULL OR u.display_name IS NOT NULL)".into()
        }
    }
}

fn text(value: &FValue, name: &str) -> Result<String, ScimError> {
    match value {
        FValue::Str(s) => Ok(s.clone()),
        _ => Err(refused(name)),
    }
}

fn index_error(e: crate::db::DbError) -> ScimError {
    ScimError::from(e)
}

/// The rows whose stored emails include `value` (of `kind`, when given).
fn emails_eq(
    keys: &PersonalKeys,
    kind: Option<&str>,
    value: &str,
    b: &mut Binds,
) -> Result<String, ScimError> {
    let index = b.push(pf::emails_index(keys, kind, value).map_err(index_error)?);
    let lowered = b.push(email_key(value));
    let legacy_kind = match kind {
        Some(k) => format!(" AND lower(e->>'type') = {}", b.push(k.to_lowercase())),
        None => String::new(),
    };
    let account = if kind.is_none() {
        format!(" OR u.email_key = {lowered}")
    } else {
        String::new()
    };
    Ok(format!(
        "(u.id = ANY (ARRAY(SELECT x.user_id FROM user_email_indexes x WHERE \
         x.tenant_id = $1::uuid AND x.value = {index})){account} OR (u.email_sealed IS NULL AND \
         EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(u.scim->'emails', '[]'::jsonb)) \
         AS e WHERE lower(normalize(e->>'value', NFKC)) = {lowered}{legacy_kind})))"
    ))
}

fn equal(
    keys: &PersonalKeys,
    attr: Sealed,
    value: &str,
    b: &mut Binds,
) -> Result<String, ScimError> {
    match attr {
        Sealed::UserName => {
            let index = b.push(pf::user_name_index(keys, value).map_err(index_error)?);
            let lowered = b.push(value.to_lowercase());
            Ok(format!(
                "(u.user_name_index = {index} OR u.user_name_key = {lowered})"
            ))
        }
        Sealed::ExternalId => {
            let index = b.push(pf::external_id_index(keys, value).map_err(index_error)?);
            let clear = b.push(value.to_string());
            Ok(format!(
                "(u.external_id_index = {index} OR (u.email_sealed IS NULL AND \
                 u.external_id = {clear}))"
            ))
        }
        Sealed::Emails => emails_eq(keys, None, value, b),
        Sealed::DisplayName => Err(refused("displayName")),
    }
}

/// `<attr> <op> <value>`: eq and ne only.
pub fn compare(
    keys: &PersonalKeys,
    attr: Sealed,
    name: &str,
    op: CompareOp,
    value: &FValue,
    b: &mut Binds,
) -> Result<String, ScimError> {
    let value = text(value, name)?;
    match op {
        CompareOp::Eq => equal(keys, attr, &value, b),
        CompareOp::Ne => Ok(format!(
            "(NOT coalesce({}, false))",
            equal(keys, attr, &value, b)?
        )),
        _ => Err(refused(name)),
    }
}

/// `emails[...]`: `value eq "x"`, optionally `and type eq "work"` (Entra ID's
/// `emails[type eq "work"].value eq "x"` parses to this).
pub fn emails_value_path(
    keys: &PersonalKeys,
    filter: &Filter,
    b: &mut Binds,
) -> Result<String, ScimError> {
    let mut value = None;
    let mut kind = None;
    let mut terms = vec![filter];
    while let Some(f) = terms.pop() {
        match f {
            Filter::And(l, r) => terms.extend([l.as_ref(), r.as_ref()]),
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value: FValue::Str(v),
            } if path.sub.is_none() => match path.attr.to_ascii_lowercase().as_str() {
                "value" if value.is_none() => value = Some(v.as_str()),
                "type" if kind.is_none() => kind = Some(v.as_str()),
                _ => return Err(refused("emails")),
            },
            _ => return Err(refused("emails")),
        }
    }
    let value = value.ok_or_else(|| refused("emails"))?;
    emails_eq(keys, kind, value, b)
}

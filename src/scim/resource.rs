//! What Users and Groups share: the context of a SCIM write, list parameters, ETags, the
//! list response, and the `meta` block.

use super::bearer_tokens::ScimClient;
use super::error::ScimError;
use super::filter::{parse_filter, Filter};
use super::schema::LIST_RESPONSE;
use crate::audit::Origin;
use crate::crypto::Envelope;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Everything a SCIM write needs besides its transaction.
pub struct WriteCtx<'a> {
    pub envelope: &'a Envelope,
    pub client: &'a ScimClient,
    pub origin: &'a Origin,
    /// `https://host` — resources' `meta.location` and `$ref` start here.
    pub base: &'a str,
    pub now: DateTime<Utc>,
}

impl WriteCtx<'_> {
    /// This write's audit context, acted by `actor` (the SCIM token's).
    pub fn audit<'b>(&'b self, actor: &'b str) -> crate::audit::Context<'b> {
        crate::audit::Context {
            envelope: self.envelope,
            actor,
            origin: self.origin,
            now: self.now,
        }
    }
}

/// Page size when the client gives none, and the most one page may hold.
pub const DEFAULT_COUNT: i64 = 100;
pub const MAX_COUNT: i64 = 1000;

#[derive(Debug, Default, Clone)]
pub struct ListParams {
    pub filter: Option<Filter>,
    pub sort_by: Option<String>,
    pub descending: bool,
    /// 1-based.
    pub start_index: i64,
    pub count: i64,
    pub attributes: Vec<String>,
    pub excluded: Vec<String>,
}

fn split_list(v: Option<&str>) -> Vec<String> {
    v.map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

impl ListParams {
    /// From query parameters or a `/.search` body (same names).
    pub fn from_pairs(get: impl Fn(&str) -> Option<String>) -> Result<Self, ScimError> {
        let filter = match get("filter") {
            Some(f) if !f.trim().is_empty() => {
                Some(parse_filter(&f).map_err(|e| ScimError::invalid_filter(e.message))?)
            }
            _ => None,
        };
        let number = |name: &str, default: i64| -> Result<i64, ScimError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| ScimError::invalid_value(format!("{name} must be an integer"))),
            }
        };
        let descending = match get("sortOrder").as_deref() {
            None | Some("ascending") => false,
            Some("descending") => true,
            Some(_) => {
                return Err(ScimError::invalid_value(
                    "sortOrder must be ascending or descending",
                ))
            }
        };
        Ok(ListParams {
            filter,
            sort_by: get("sortBy").filter(|s| !s.is_empty()),
            descending,
            start_index: number("startIndex", 1)?.max(1),
            count: number("count", DEFAULT_COUNT)?.clamp(0, MAX_COUNT),
            attributes: split_list(get("attributes").as_deref()),
            excluded: split_list(get("excludedAttributes").as_deref()),
        })
    }
}

pub fn list_response(resources: Vec<Value>, total: i64, start_index: i64) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Adds `meta` (with a weak ETag over everything else in the resource) to `resource`.
pub fn with_meta(
    resource: &mut Value,
    kind: &str,
    location: String,
    created: DateTime<Utc>,
    modified: DateTime<Utc>,
) {
    resource["meta"] = json!({
        "resourceType": kind,
        "created": time(created),
        "lastModified": time(modified),
        "location": location,
    });
    let digest = Sha256::digest(resource.to_string().as_bytes());
    resource["meta"]["version"] = json!(format!("W/\"{}\"", &hex::encode(digest)[..16]));
}

pub fn etag_of(resource: &Value) -> Option<&str> {
    resource["meta"]["version"].as_str()
}

/// `If-Match`: `*` or one of the listed ETags must be the current one.
pub fn check_if_match(if_match: Option<&str>, current: &Value) -> Result<(), ScimError> {
    let Some(header) = if_match else {
        return Ok(());
    };
    let now = etag_of(current).unwrap_or_default();
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_string();
    if header.trim() == "*" || header.split(',').any(|t| strip(t) == strip(now)) {
        Ok(())
    } else {
        Err(ScimError::PreconditionFailed)
    }
}

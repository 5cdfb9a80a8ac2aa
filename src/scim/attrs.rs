//! Attribute handling guided by the published schemas: checking and normalising what a
//! client sends (unknown attributes ignored, protected ones refused, canonical names, coerced
//! types, read-only values dropped), trimming what is returned (`attributes`,
//! `excludedAttributes`), and matching an element of a multi-valued attribute against a
//! value filter (for PATCH paths).

use super::error::ScimError;
use super::filter::{CompareOp, Filter, Value as FValue};
use super::schema::{model, Attr, Kind, Schema};
use serde_json::{Map, Value};

/// Coerces `v` to the attribute's type. Strings "True"/"False" become booleans (Entra ID
/// sends them); `null` means "no value".
fn coerce(attr: &Attr, v: &Value, path: &str) -> Result<Option<Value>, ScimError> {
    if v.is_null() {
        return Ok(None);
    }
    if attr.multi_valued {
        let items: Vec<Value> = match v {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        let mut out = Vec::with_capacity(items.len());
        for item in &items {
            if let Some(c) = coerce_single(attr, item, path)? {
                out.push(c);
            }
        }
        return Ok(if out.is_empty() {
            None
        } else {
            Some(Value::Array(out))
        });
    }
    coerce_single(attr, v, path)
}

fn coerce_single(attr: &Attr, v: &Value, path: &str) -> Result<Option<Value>, ScimError> {
    let wrong = || ScimError::invalid_value(format!("'{path}' must be of type {}", attr.kind));
    Ok(Some(match attr.kind.as_str() {
        "boolean" => match v {
            Value::Bool(b) => Value::Bool(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => return Err(wrong()),
        },
        "complex" => {
            let Value::Object(obj) = v else {
                return Err(wrong());
            };
            let mut out = Map::new();
            for (k, sv) in obj {
                let Some(sub) = attr.sub(k) else {
                    return Err(ScimError::invalid_value(format!(
                        "'{path}' has no sub-attribute '{k}'"
                    )));
                };
                // `null` is "no value" here too (Entra sends `"$ref": null` in members).
                if !sub.writable() || sv.is_null() {
                    continue;
                }
                if let Some(c) = coerce_single(sub, sv, &format!("{path}.{}", sub.name))? {
                    out.insert(sub.name.clone(), c);
                }
            }
            if out.is_empty() {
                return Ok(None);
            }
            Value::Object(out)
        }
        "integer" | "decimal" => match v {
            Value::Number(_) => v.clone(),
            _ => return Err(wrong()),
        },
        // string, reference, dateTime, binary
        _ => match v {
            Value::String(s) if s.len() <= 2048 => Value::String(s.clone()),
            Value::String(_) => {
                return Err(ScimError::invalid_value(format!("'{path}' is too long")))
            }
            Value::Bool(_) | Value::Number(_) => Value::String(v.to_string()),
            _ => return Err(wrong()),
        },
    }))
}

/// What a body is written for: Okta sends a placeholder `password` with every create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Create,
    Replace,
}

/// Attributes that would carry authority or credentials. SCIM never sets them here: roles
/// come from the workspace's group rules and passwords from the person.
const PROTECTED: [&str; 4] = ["roles", "entitlements", "x509Certificates", "password"];

/// `Ok(true)` when `key` is protected and its value changes nothing, so it is ignored: an
/// empty value (Entra sends `"roles": []`) or the password Okta sends on create (its docs:
/// "a placeholder ... isn't relevant"; it is never stored). Any other value is refused.
pub fn ignore_protected(key: &str, v: &Value, write: Write) -> Result<bool, ScimError> {
    let Some(name) = PROTECTED.iter().find(|p| p.eq_ignore_ascii_case(key)) else {
        return Ok(false);
    };
    let empty = match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    };
    if empty || (*name == "password" && write == Write::Create) {
        return Ok(true);
    }
    Err(ScimError::mutability(format!(
        "'{name}' cannot be set over SCIM in this service; roles come from the workspace's \
         group rules, and passwords are set by the person"
    )))
}

/// Checks a whole resource body against `kind`'s schemas. Returns the attributes as a
/// canonical document (core attributes by name, each extension under its URN). `id`,
/// `meta`, read-only attributes, schemas and attributes this service does not know are
/// ignored (RFC 7644 lets a provider ignore what it does not support; nothing unknown is
/// ever stored). Protected attributes with a value are refused ([`ignore_protected`]).
pub fn normalize(kind: Kind, body: &Value, write: Write) -> Result<Map<String, Value>, ScimError> {
    let Value::Object(obj) = body else {
        return Err(ScimError::invalid_syntax("the body must be a JSON object"));
    };
    let m = model();
    let core = m.core(kind);
    if let Some(schemas) = obj.get("schemas") {
        let list = schemas
            .as_array()
            .ok_or_else(|| ScimError::invalid_syntax("schemas must be an array"))?;
        // Other URIs (Entra adds its ADSCIM group schema) are ignored; a name that is not
        // a string is a malformed body.
        if list.iter().any(|s| !s.is_string()) {
            return Err(ScimError::invalid_syntax(
                "schemas must be an array of URIs",
            ));
        }
    }
    let mut out = Map::new();
    for (key, v) in obj {
        if ["schemas", "id", "meta"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key))
        {
            continue;
        }
        if ignore_protected(key, v, write)? {
            continue;
        }
        if key.eq_ignore_ascii_case("externalId") {
            match v {
                Value::String(s) if s.len() <= 512 => {
                    out.insert("externalId".into(), v.clone());
                }
                Value::Null => {}
                _ => return Err(ScimError::invalid_value("externalId must be a string")),
            }
            continue;
        }
        if let Some(ext) = m.schema_for(kind, Some(key)).filter(|s| s.id != core.id) {
            let Value::Object(ext_obj) = v else {
                return Err(ScimError::invalid_value(format!(
                    "'{key}' must be an object"
                )));
            };
            let mut ext_out = Map::new();
            put_attrs(ext, ext_obj, &mut ext_out)?;
            if !ext_out.is_empty() {
                out.insert(ext.id.clone(), Value::Object(ext_out));
            }
            continue;
        }
        // "urn:...:User:attr" (Entra ID writes extension attributes this way).
        if let Some((urn, attr)) = key.rsplit_once(':') {
            if let Some(ext) = m.schema_for(kind, Some(urn)) {
                let one: Map<String, Value> = [(attr.to_string(), v.clone())].into_iter().collect();
                if ext.id == core.id {
                    put_attrs(core, &one, &mut out)?;
                } else {
                    let entry = out
                        .entry(ext.id.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(ext_out) = entry {
                        put_attrs(ext, &one, ext_out)?;
                    }
                }
                continue;
            }
        }
        let single: Map<String, Value> = [(key.clone(), v.clone())].into_iter().collect();
        put_attrs(core, &single, &mut out)?;
    }
    for required in core.attributes.iter().filter(|a| a.required_by_schema()) {
        if !out.contains_key(&required.name) {
            return Err(ScimError::invalid_value(format!(
                "'{}' is required",
                required.name
            )));
        }
    }
    Ok(out)
}

fn put_attrs(
    schema: &Schema,
    from: &Map<String, Value>,
    out: &mut Map<String, Value>,
) -> Result<(), ScimError> {
    for (key, v) in from {
        // An extension object may repeat its own `schemas`.
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        let Some(attr) = schema.attr(key) else {
            continue;
        };
        if !attr.writable() {
            continue;
        }
        match coerce(attr, v, &attr.name)? {
            Some(c) => {
                out.insert(attr.name.clone(), c);
            }
            None => {
                out.remove(&attr.name);
            }
        }
    }
    Ok(())
}

/// Trims a rendered resource to `attributes` (plus `id` and `schemas`), or removes
/// `excludedAttributes`. Paths may carry a sub-attribute or a schema URN.
pub fn project(resource: &mut Value, attributes: &[String], excluded: &[String]) {
    let Value::Object(obj) = resource else { return };
    let split = |p: &str| -> (Option<String>, String, Option<String>) {
        let (urn, rest) = match p.rsplit_once(':') {
            Some((u, r)) if p.to_ascii_lowercase().starts_with("urn:") => {
                (Some(u.to_string()), r.to_string())
            }
            _ => (None, p.to_string()),
        };
        match rest.split_once('.') {
            Some((a, s)) => (urn, a.to_string(), Some(s.to_string())),
            None => (urn, rest, None),
        }
    };
    let key_of = |obj: &Map<String, Value>, name: &str| {
        obj.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
    };
    if !attributes.is_empty() {
        let mut kept = Map::new();
        for k in ["schemas", "id"] {
            if let Some(v) = obj.get(k) {
                kept.insert(k.to_string(), v.clone());
            }
        }
        for p in attributes {
            let (urn, attr, sub) = split(p);
            let container = match &urn {
                Some(u) => match key_of(obj, u) {
                    Some(k) => obj.get(&k).and_then(Value::as_object),
                    None => None,
                },
                None => Some(&*obj),
            };
            let Some(container) = container else {
                // A bare extension URN keeps the whole extension.
                if let Some(k) = key_of(obj, p) {
                    kept.insert(k.clone(), obj[&k].clone());
                }
                continue;
            };
            let Some(k) = key_of(container, &attr) else {
                continue;
            };
            let value = match (&sub, &container[&k]) {
                (Some(s), Value::Object(o)) => match key_of(o, s) {
                    Some(sk) => Value::Object([(sk.clone(), o[&sk].clone())].into_iter().collect()),
                    None => continue,
                },
                (Some(s), Value::Array(items)) => Value::Array(
                    items
                        .iter()
                        .filter_map(|i| i.as_object())
                        .filter_map(|o| {
                            key_of(o, s).map(|sk| {
                                Value::Object([(sk.clone(), o[&sk].clone())].into_iter().collect())
                            })
                        })
                        .collect(),
                ),
                (_, v) => v.clone(),
            };
            match &urn {
                Some(u) => {
                    let uk = key_of(obj, u).unwrap_or_else(|| u.clone());
                    let entry = kept.entry(uk).or_insert_with(|| Value::Object(Map::new()));
                    merge_into(entry, &k, value);
                }
                None => {
                    let entry = kept.entry(k.clone()).or_insert(Value::Null);
                    if entry.is_null() {
                        *entry = value;
                    } else if let (Value::Object(a), Value::Object(b)) = (entry, value) {
                        a.extend(b);
                    }
                }
            }
        }
        *obj = kept;
        return;
    }
    for p in excluded {
        let (urn, attr, sub) = split(p);
        if attr.eq_ignore_ascii_case("id") || attr.eq_ignore_ascii_case("schemas") {
            continue;
        }
        let container = match &urn {
            Some(u) => match key_of(obj, u) {
                Some(k) => obj.get_mut(&k).and_then(Value::as_object_mut),
                None => None,
            },
            None => Some(&mut *obj),
        };
        let Some(container) = container else {
            if let Some(k) = key_of(obj, p) {
                obj.remove(&k);
            }
            continue;
        };
        let Some(k) = key_of(container, &attr) else {
            continue;
        };
        match sub {
            None => {
                container.remove(&k);
            }
            Some(s) => match container.get_mut(&k) {
                Some(Value::Object(o)) => {
                    if let Some(sk) = key_of(o, &s) {
                        o.remove(&sk);
                    }
                }
                Some(Value::Array(items)) => {
                    for i in items.iter_mut().filter_map(Value::as_object_mut) {
                        if let Some(sk) = key_of(i, &s) {
                            i.remove(&sk);
                        }
                    }
                }
                _ => {}
            },
        }
    }
}

fn merge_into(entry: &mut Value, key: &str, value: Value) {
    if let Value::Object(o) = entry {
        match (o.get_mut(key), value) {
            (Some(Value::Object(a)), Value::Object(b)) => a.extend(b),
            (_, v) => {
                o.insert(key.to_string(), v);
            }
        }
    }
}

/// Whether an element of a multi-valued attribute matches a value filter; sub-attribute
/// comparisons follow each sub-attribute's case rule.
pub fn element_matches(attr: &Attr, element: &Value, filter: &Filter) -> bool {
    match filter {
        Filter::And(a, b) => element_matches(attr, element, a) && element_matches(attr, element, b),
        Filter::Or(a, b) => element_matches(attr, element, a) || element_matches(attr, element, b),
        Filter::Not(f) => !element_matches(attr, element, f),
        Filter::ValuePath { .. } => false,
        Filter::Present(p) => element_field(element, &p.attr)
            .is_some_and(|v| !v.is_null() && v != &Value::String(String::new())),
        Filter::Compare { path, op, value } => {
            let case_exact = attr.sub(&path.attr).is_some_and(|s| s.case_exact);
            let field = element_field(element, &path.attr);
            compare(field, *op, value, case_exact)
        }
    }
}

fn element_field<'a>(element: &'a Value, name: &str) -> Option<&'a Value> {
    match element {
        Value::Object(o) => o
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v),
        // A multi-valued attribute of plain values: the value itself is "value".
        other if name.eq_ignore_ascii_case("value") => Some(other),
        _ => None,
    }
}

fn compare(field: Option<&Value>, op: CompareOp, value: &FValue, case_exact: bool) -> bool {
    let Some(field) = field.filter(|f| !f.is_null()) else {
        return matches!(op, CompareOp::Ne) && !matches!(value, FValue::Null);
    };
    match (field, value) {
        (Value::Bool(b), FValue::Bool(v)) => match op {
            CompareOp::Eq => b == v,
            CompareOp::Ne => b != v,
            _ => false,
        },
        (Value::Number(n), FValue::Num(v)) => {
            let n = n.as_f64().unwrap_or(f64::NAN);
            match op {
                CompareOp::Eq => n == *v,
                CompareOp::Ne => n != *v,
                CompareOp::Gt => n > *v,
                CompareOp::Ge => n >= *v,
                CompareOp::Lt => n < *v,
                CompareOp::Le => n <= *v,
                _ => false,
            }
        }
        (Value::String(s), FValue::Str(v)) => {
            let (a, b) = if case_exact {
                (s.clone(), v.clone())
            } else {
                (s.to_lowercase(), v.to_lowercase())
            };
            match op {
                CompareOp::Eq => a == b,
                CompareOp::Ne => a != b,
                CompareOp::Co => a.contains(&b),
                CompareOp::Sw => a.starts_with(&b),
                CompareOp::Ew => a.ends_with(&b),
                CompareOp::Gt => a > b,
                CompareOp::Ge => a >= b,
                CompareOp::Lt => a < b,
                CompareOp::Le => a <= b,
            }
        }
        (_, FValue::Null) => matches!(op, CompareOp::Ne),
        _ => matches!(op, CompareOp::Ne),
    }
}

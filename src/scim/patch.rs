//! PATCH (RFC 7644 §3.5.2) on a resource's attribute document: `add`, `remove` and
//! `replace`, with or without a path, value filters in paths, and the shapes Entra ID and
//! Okta send (capitalised ops, `"False"` strings, attribute paths as keys of a path-less
//! value, member removal by value list). The result is checked again like a PUT body.

use super::attrs::{element_matches, ignore_protected, Write};
use super::error::ScimError;
use super::filter::{parse_patch_path, CompareOp, Filter, PatchPath, Value as FValue};
use super::schema::{model, Attr, Kind, PATCH_OP};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Remove,
    Replace,
}

/// At most this many operations in one request.
pub const MAX_OPERATIONS: usize = 1000;

/// Applies `body`'s operations to `doc`, the attributes of resource `id`.
pub fn apply(
    kind: Kind,
    id: &str,
    doc: &mut Map<String, Value>,
    body: &Value,
) -> Result<(), ScimError> {
    let schemas = body.get("schemas").and_then(Value::as_array);
    if !schemas.is_some_and(|s| s.iter().any(|v| v.as_str() == Some(PATCH_OP))) {
        return Err(ScimError::invalid_syntax(format!(
            "schemas must include {PATCH_OP}"
        )));
    }
    let ops = body
        .get("Operations")
        .or_else(|| body.get("operations"))
        .and_then(Value::as_array)
        // Microsoft's validator sends an empty list and expects success: nothing to do.
        .ok_or_else(|| ScimError::invalid_syntax("Operations must be an array"))?;
    if ops.len() > MAX_OPERATIONS {
        return Err(ScimError::TooLarge);
    }
    for operation in ops {
        let op = match operation
            .get("op")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("add") => Op::Add,
            Some("remove") => Op::Remove,
            Some("replace") => Op::Replace,
            _ => {
                return Err(ScimError::invalid_syntax(
                    "op must be add, remove or replace",
                ))
            }
        };
        let value = operation.get("value");
        match operation.get("path").and_then(Value::as_str) {
            Some(path) => apply_path(kind, doc, op, path, value)?,
            None => {
                if op == Op::Remove {
                    return Err(ScimError::no_target("remove needs a path"));
                }
                let Some(Value::Object(values)) = value else {
                    return Err(ScimError::invalid_syntax(
                        "a patch without path needs an object value",
                    ));
                };
                for (key, v) in values {
                    if !path_less_key_applies(kind, id, key, v)? {
                        continue;
                    }
                    let ext = model()
                        .schema_for(kind, Some(key))
                        .filter(|s| s.id != model().core(kind).id);
                    match (ext, v) {
                        (Some(ext), Value::Object(inner)) => {
                            for (k, iv) in inner {
                                apply_path(kind, doc, op, &format!("{}:{k}", ext.id), Some(iv))?;
                            }
                        }
                        _ => apply_path(kind, doc, op, key, Some(v))?,
                    }
                }
            }
        }
    }
    Ok(())
}

/// Whether a key of a path-less value is applied. Okta repeats the resource's own `id`
/// (ignored when unchanged, refused otherwise); `schemas`, `meta` and attributes this
/// service does not know are ignored, as in a PUT; protected ones follow
/// [`ignore_protected`].
fn path_less_key_applies(kind: Kind, id: &str, key: &str, v: &Value) -> Result<bool, ScimError> {
    if key.eq_ignore_ascii_case("id") {
        return match v.as_str() {
            Some(same) if same.eq_ignore_ascii_case(id) => Ok(false),
            _ => Err(ScimError::mutability("'id' cannot be changed")),
        };
    }
    if ["schemas", "meta"]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(key))
        || ignore_protected(key, v, Write::Replace)?
    {
        return Ok(false);
    }
    let m = model();
    if m.schema_for(kind, Some(key)).is_some() || key.eq_ignore_ascii_case("externalId") {
        return Ok(true);
    }
    let (urn, name) = match key.rsplit_once(':') {
        Some((urn, name)) if m.schema_for(kind, Some(urn)).is_some() => (Some(urn), name),
        _ => (None, key),
    };
    let top = name.split(['.', '[']).next().unwrap_or(name);
    let schema = m.schema_for(kind, urn).unwrap_or_else(|| m.core(kind));
    Ok(schema.attr(top).is_some())
}

/// `externalId` is common to every resource but not part of a schema's attributes.
fn external_id_attr() -> Attr {
    Attr {
        name: "externalId".into(),
        kind: "string".into(),
        multi_valued: false,
        case_exact: true,
        mutability: "readWrite".into(),
        required: false,
        sub_attributes: Vec::new(),
    }
}

fn apply_path(
    kind: Kind,
    doc: &mut Map<String, Value>,
    op: Op,
    path: &str,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let m = model();
    if let Some(ext) = m
        .schema_for(kind, Some(path.trim()))
        .filter(|s| s.id != m.core(kind).id)
    {
        // The whole extension: `"path": "urn:...:enterprise:2.0:User"`.
        match (op, value) {
            (Op::Remove, _) => {
                doc.remove(&ext.id);
            }
            (Op::Replace, Some(v)) => {
                doc.insert(ext.id.clone(), v.clone());
            }
            (Op::Add, Some(Value::Object(v))) => {
                let entry = doc
                    .entry(ext.id.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                match entry {
                    Value::Object(o) => o.extend(v.clone()),
                    other => *other = Value::Object(v.clone()),
                }
            }
            _ => {
                return Err(ScimError::invalid_value(format!(
                    "'{path}' needs an object value"
                )))
            }
        }
        return Ok(());
    }
    let pp: PatchPath = parse_patch_path(path)
        .map_err(|e| ScimError::invalid_path(format!("'{path}': {}", e.message)))?;
    let schema = m
        .schema_for(kind, pp.path.urn.as_deref())
        .ok_or_else(|| ScimError::invalid_path(format!("unknown schema in '{path}'")))?;
    let external = external_id_attr();
    let attr = if pp.path.urn.is_none() && pp.path.attr.eq_ignore_ascii_case("externalId") {
        &external
    } else {
        schema
            .attr(&pp.path.attr)
            .ok_or_else(|| ScimError::invalid_path(format!("unknown attribute in '{path}'")))?
    };
    if !attr.writable() {
        return Err(ScimError::mutability(format!(
            "'{}' is read-only",
            attr.name
        )));
    }
    // A sub-attribute written as attr.sub (no filter).
    let sub_name = pp.sub.clone().or_else(|| pp.path.sub.clone());
    let sub = match &sub_name {
        Some(s) => Some(attr.sub(s).ok_or_else(|| {
            ScimError::invalid_path(format!("unknown sub-attribute in '{path}'"))
        })?),
        None => None,
    };
    if let Some(s) = sub {
        if !s.writable() {
            return Err(ScimError::mutability(format!(
                "'{}.{}' is read-only",
                attr.name, s.name
            )));
        }
    }
    if pp.filter.is_some() && !attr.multi_valued {
        return Err(ScimError::invalid_path(format!(
            "'{}' is not multi-valued",
            attr.name
        )));
    }
    let container = if schema.id == m.core(kind).id {
        doc
    } else {
        let entry = doc
            .entry(schema.id.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        match entry {
            Value::Object(o) => o,
            _ => return Err(ScimError::Unavailable),
        }
    };
    let name = attr.name.clone();
    let needs_value = || value.filter(|v| !v.is_null()).cloned();
    match (&pp.filter, sub) {
        (None, None) => match op {
            Op::Remove => remove_plain(container, &name, attr, value),
            Op::Replace => {
                match needs_value() {
                    Some(v) => container.insert(name, v),
                    None => container.remove(&name),
                };
            }
            Op::Add => {
                let Some(v) = needs_value() else {
                    return Err(ScimError::invalid_value(format!(
                        "add to '{name}' needs a value"
                    )));
                };
                add_plain(container, &name, attr, v);
            }
        },
        (None, Some(s)) => {
            let target = container.entry(name.clone()).or_insert(Value::Null);
            if attr.multi_valued {
                if let Value::Array(items) = target {
                    for item in items.iter_mut() {
                        set_sub(item, &s.name, op, value);
                    }
                }
            } else {
                if target.is_null() {
                    *target = Value::Object(Map::new());
                }
                set_sub(target, &s.name, op, value);
            }
            if container
                .get(&name)
                .is_some_and(|v| v.as_object().is_some_and(Map::is_empty))
            {
                container.remove(&name);
            }
        }
        (Some(filter), sub) => {
            let items = match container.get_mut(&name) {
                Some(Value::Array(a)) => a,
                _ => {
                    container.insert(name.clone(), Value::Array(Vec::new()));
                    match container.get_mut(&name) {
                        Some(Value::Array(a)) => a,
                        _ => return Err(ScimError::Unavailable),
                    }
                }
            };
            let matched: Vec<usize> = items
                .iter()
                .enumerate()
                .filter(|(_, e)| element_matches(attr, e, filter))
                .map(|(i, _)| i)
                .collect();
            match op {
                Op::Remove => {
                    if let Some(s) = sub {
                        for i in &matched {
                            set_sub(&mut items[*i], &s.name, Op::Remove, None);
                        }
                    } else {
                        let mut i = 0;
                        items.retain(|_| {
                            let keep = !matched.contains(&i);
                            i += 1;
                            keep
                        });
                    }
                }
                Op::Add | Op::Replace => {
                    if matched.is_empty() {
                        // Entra ID adds `emails[type eq "work"].value` to a user without
                        // one: create the element the filter describes.
                        let mut element = element_from(filter).ok_or_else(|| {
                            ScimError::no_target(format!("no value of '{name}' matches the filter"))
                        })?;
                        match sub {
                            Some(s) => set_sub(&mut element, &s.name, Op::Replace, value),
                            None => merge(&mut element, value),
                        }
                        items.push(element);
                    } else {
                        for i in matched {
                            match sub {
                                Some(s) => set_sub(&mut items[i], &s.name, Op::Replace, value),
                                None if op == Op::Replace => {
                                    if let Some(v) = value {
                                        items[i] = v.clone();
                                    }
                                }
                                None => merge(&mut items[i], value),
                            }
                        }
                    }
                }
            }
            if items.is_empty() {
                container.remove(&name);
            }
        }
    }
    Ok(())
}

fn remove_plain(
    container: &mut Map<String, Value>,
    name: &str,
    attr: &Attr,
    value: Option<&Value>,
) {
    // Entra ID and Okta remove members with `"path": "members", "value": [{"value": id}]`.
    if let (true, Some(Value::Array(gone)), Some(Value::Array(items))) =
        (attr.multi_valued, value, container.get_mut(name))
    {
        let ids: Vec<&Value> = gone.iter().filter_map(|g| g.get("value")).collect();
        items.retain(|i| !i.get("value").is_some_and(|v| ids.contains(&v)));
        if items.is_empty() {
            container.remove(name);
        }
        return;
    }
    container.remove(name);
}

fn add_plain(container: &mut Map<String, Value>, name: &str, attr: &Attr, v: Value) {
    if attr.multi_valued {
        let new: Vec<Value> = match v {
            Value::Array(a) => a,
            other => vec![other],
        };
        let entry = container
            .entry(name.to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        if !entry.is_array() {
            *entry = Value::Array(Vec::new());
        }
        if let Value::Array(items) = entry {
            for n in new {
                // The same value twice is one value (members especially).
                let same = |i: &Value| {
                    i == &n || (i.get("value").is_some() && i.get("value") == n.get("value"))
                };
                if !items.iter().any(same) {
                    items.push(n);
                }
            }
        }
        return;
    }
    match (container.get_mut(name), v) {
        (Some(Value::Object(old)), Value::Object(new)) if attr.is_complex() => old.extend(new),
        (_, v) => {
            container.insert(name.to_string(), v);
        }
    }
}

fn set_sub(target: &mut Value, sub: &str, op: Op, value: Option<&Value>) {
    if !target.is_object() {
        return;
    }
    if let Value::Object(o) = target {
        let key = o
            .keys()
            .find(|k| k.eq_ignore_ascii_case(sub))
            .cloned()
            .unwrap_or_else(|| sub.to_string());
        match (op, value) {
            (Op::Remove, _) | (_, None) | (_, Some(Value::Null)) => {
                o.remove(&key);
            }
            (_, Some(v)) => {
                o.insert(key, v.clone());
            }
        }
    }
}

fn merge(target: &mut Value, value: Option<&Value>) {
    match (target, value) {
        (Value::Object(t), Some(Value::Object(v))) => t.extend(v.clone()),
        (t, Some(v)) => *t = v.clone(),
        _ => {}
    }
}

/// The element a filter of `eq` comparisons joined by `and` describes.
fn element_from(filter: &Filter) -> Option<Value> {
    fn collect(f: &Filter, out: &mut Map<String, Value>) -> bool {
        match f {
            Filter::And(a, b) => collect(a, out) && collect(b, out),
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value,
            } => {
                let v = match value {
                    FValue::Str(s) => Value::String(s.clone()),
                    FValue::Bool(b) => Value::Bool(*b),
                    FValue::Num(n) => serde_json::Number::from_f64(*n)
                        .map(Value::Number)
                        .unwrap_or(Value::Null),
                    FValue::Null => return false,
                };
                out.insert(path.attr.clone(), v);
                true
            }
            _ => false,
        }
    }
    let mut out = Map::new();
    collect(filter, &mut out).then_some(Value::Object(out))
}

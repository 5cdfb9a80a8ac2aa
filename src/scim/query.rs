//! Filters (RFC 7644 §3.4.2.2) as parameterised SQL. Every attribute path is resolved
//! against the published schema (an allow-list: names in the SQL text come from the
//! schema, never from the request); every compared value is a bind parameter. Each
//! attribute's case rule and type decide the comparison.

pub use super::binds::Binds;
use super::error::ScimError;
use super::filter::{AttrPath, CompareOp, Filter, Value as FValue};
use super::schema::{model, Attr, Kind};
use super::sealed_filter::{self as sealed, Sealed};
use crate::db::personal_keys::PersonalKeys;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Text,
    Bool,
    Time,
}

enum Target {
    Scalar {
        expr: String,
        ty: Ty,
        case_exact: bool,
    },
    /// A multi-valued attribute: a jsonb array and the attribute's definition.
    Multi {
        array: String,
        attr: Attr,
        sub: String,
    },
    /// A complex single-valued attribute (only `pr` applies).
    Complex { expr: String },
    /// `schemas`: which schema URNs the resource carries.
    Schemas,
    /// A user attribute stored sealed (`super::sealed_filter`), and its name as written.
    Sealed(Sealed, String),
}

fn table_alias(kind: Kind) -> &'static str {
    match kind {
        Kind::User => "u",
        Kind::Group => "g",
    }
}

fn ty_of(attr: &Attr) -> Ty {
    match attr.kind.as_str() {
        "boolean" => Ty::Bool,
        "dateTime" => Ty::Time,
        _ => Ty::Text,
    }
}

fn json_text(base: &str, attr: &Attr) -> String {
    let expr = format!("{base}->>'{}'", attr.name);
    match ty_of(attr) {
        Ty::Bool => format!("({expr})::boolean"),
        _ => expr,
    }
}

fn resolve(kind: Kind, path: &AttrPath) -> Result<Target, ScimError> {
    let t = table_alias(kind);
    let unknown = || ScimError::invalid_filter(format!("'{}' cannot be filtered on", path.attr));
    let m = model();
    let schema = m
        .schema_for(kind, path.urn.as_deref())
        .ok_or_else(unknown)?;
    let is_core = schema.id == m.core(kind).id;
    let a = path.attr.to_ascii_lowercase();
    let sub = path.sub.as_deref().map(str::to_ascii_lowercase);
    if is_core {
        let scalar = |expr: String, ty, case_exact| {
            Ok(Target::Scalar {
                expr,
                ty,
                case_exact,
            })
        };
        let seal = |attr| Ok(Target::Sealed(attr, path.attr.clone()));
        match (a.as_str(), sub.as_deref(), kind) {
            ("username", None, Kind::User) => return seal(Sealed::UserName),
            ("externalid", None, Kind::User) => return seal(Sealed::ExternalId),
            ("displayname", None, Kind::User) => return seal(Sealed::DisplayName),
            ("emails", None | Some("value"), Kind::User) => return seal(Sealed::Emails),
            ("id", None, _) => return scalar(format!("{t}.id::text"), Ty::Text, true),
            ("externalid", None, _) => return scalar(format!("{t}.external_id"), Ty::Text, true),
            ("meta", Some("created"), _) => {
                return scalar(format!("{t}.created_at"), Ty::Time, true)
            }
            ("meta", Some("lastmodified"), _) => {
                return scalar(format!("{t}.updated_at"), Ty::Time, true)
            }
            ("schemas", None, _) => return Ok(Target::Schemas),
            ("active", None, Kind::User) => {
                return scalar("(u.status = 'active')".into(), Ty::Bool, true)
            }
            ("displayname", None, Kind::Group) => {
                return scalar("g.display_name".into(), Ty::Text, false)
            }
            ("members", _, Kind::Group) => {
                let attr = schema.attr("members").ok_or_else(unknown)?.clone();
                let sub = sub.unwrap_or_else(|| "value".into());
                if sub != "value" {
                    return Err(unknown());
                }
                return Ok(Target::Multi {
                    array: "g.members".into(),
                    attr,
                    sub,
                });
            }
            ("groups", _, Kind::User) | ("meta", _, _) => return Err(unknown()),
            _ => {}
        }
    }
    let attr = schema.attr(&path.attr).ok_or_else(unknown)?;
    if kind == Kind::User {
        // The rest of a user's document is sealed whole.
        return Err(sealed::unsupported(path));
    }
    let base = if is_core {
        format!("{t}.scim")
    } else {
        format!("({t}.scim->'{}')", schema.id)
    };
    if attr.multi_valued {
        let sub_name = match &path.sub {
            Some(s) => attr.sub(s).ok_or_else(unknown)?.name.clone(),
            None => "value".to_string(),
        };
        return Ok(Target::Multi {
            array: format!("coalesce({base}->'{}', '[]'::jsonb)", attr.name),
            attr: attr.clone(),
            sub: sub_name,
        });
    }
    if attr.is_complex() {
        return match &path.sub {
            Some(s) => {
                let sa = attr.sub(s).ok_or_else(unknown)?;
                Ok(Target::Scalar {
                    expr: json_text(&format!("({base}->'{}')", attr.name), sa),
                    ty: ty_of(sa),
                    case_exact: sa.case_exact,
                })
            }
            None => Ok(Target::Complex {
                expr: format!("{base}->'{}'", attr.name),
            }),
        };
    }
    if path.sub.is_some() {
        return Err(unknown());
    }
    Ok(Target::Scalar {
        expr: json_text(&base, attr),
        ty: ty_of(attr),
        case_exact: attr.case_exact,
    })
}

fn text_of(value: &FValue) -> Option<String> {
    match value {
        FValue::Str(s) => Some(s.clone()),
        FValue::Num(n) => Some(n.to_string()),
        FValue::Bool(b) => Some(b.to_string()),
        FValue::Null => None,
    }
}

fn compare(
    expr: &str,
    ty: Ty,
    case_exact: bool,
    op: CompareOp,
    value: &FValue,
    b: &mut Binds,
) -> Result<String, ScimError> {
    let Some(text) = text_of(value) else {
        return match op {
            CompareOp::Eq => Ok(format!("({expr}) IS NULL")),
            CompareOp::Ne => Ok(format!("({expr}) IS NOT NULL")),
            _ => Err(ScimError::invalid_filter(
                "null can only be compared with eq or ne",
            )),
        };
    };
    match ty {
        Ty::Bool => {
            let v = match text.to_ascii_lowercase().as_str() {
                "true" => "true",
                "false" => "false",
                _ => {
                    return Err(ScimError::invalid_filter(
                        "a boolean attribute compares with true or false",
                    ))
                }
            };
            let p = b.push(v.to_string());
            match op {
                CompareOp::Eq => Ok(format!("({expr}) = {p}::boolean")),
                CompareOp::Ne => Ok(format!("({expr}) IS DISTINCT FROM {p}::boolean")),
                _ => Err(ScimError::invalid_filter(
                    "a boolean attribute supports eq and ne only",
                )),
            }
        }
        Ty::Time => {
            if chrono::DateTime::parse_from_rfc3339(&text).is_err() {
                return Err(ScimError::invalid_filter(
                    "a dateTime value must be RFC 3339",
                ));
            }
            let p = format!("{}::timestamptz", b.push(text));
            let sql_op = match op {
                CompareOp::Eq => "=",
                CompareOp::Ne => "<>",
                CompareOp::Gt => ">",
                CompareOp::Ge => ">=",
                CompareOp::Lt => "<",
                CompareOp::Le => "<=",
                _ => {
                    return Err(ScimError::invalid_filter(
                        "co, sw and ew do not apply to dates",
                    ))
                }
            };
            let x = if expr.contains("->>") {
                format!("({expr})::timestamptz")
            } else {
                expr.to_string()
            };
            Ok(format!("{x} {sql_op} {p}"))
        }
        Ty::Text => {
            let (x, v) = if case_exact {
                (format!("({expr})"), text)
            } else {
                (format!("lower({expr})"), text.to_lowercase())
            };
            let p = b.push(v);
            Ok(match op {
                CompareOp::Eq => format!("{x} = {p}"),
                CompareOp::Ne => format!("({x} IS NULL OR {x} <> {p})"),
                CompareOp::Co => format!("strpos({x}, {p}) > 0"),
                CompareOp::Sw => format!("starts_with({x}, {p})"),
                CompareOp::Ew => format!("right({x}, char_length({p})) = {p}"),
                CompareOp::Gt => format!("{x} > {p} COLLATE \"C\""),
                CompareOp::Ge => format!("{x} >= {p} COLLATE \"C\""),
                CompareOp::Lt => format!("{x} < {p} COLLATE \"C\""),
                CompareOp::Le => format!("{x} <= {p} COLLATE \"C\""),
            })
        }
    }
}

fn element_cond(
    attr: &Attr,
    sub: &str,
    op: Option<(CompareOp, &FValue)>,
    b: &mut Binds,
) -> Result<String, ScimError> {
    let sa = attr
        .sub(sub)
        .ok_or_else(|| ScimError::invalid_filter(format!("'{}' has no '{sub}'", attr.name)))?;
    let expr = json_text("e", sa);
    match op {
        None => Ok(format!("(({expr}) IS NOT NULL)")),
        Some((op, v)) => compare(&expr, ty_of(sa), sa.case_exact, op, v, b),
    }
}

/// The keys that blind-index a user's sealed attributes (none for groups).
fn keys_for(keys: Option<&PersonalKeys>) -> Result<&PersonalKeys, ScimError> {
    keys.ok_or_else(|| ScimError::invalid_filter("this attribute cannot be filtered on"))
}

/// The SQL condition of `filter` for resources of `kind` (table alias `u` or `g`); `keys`
/// are the workspace's, for the blind indexes of a user's sealed attributes.
pub fn condition(
    kind: Kind,
    filter: &Filter,
    keys: Option<&PersonalKeys>,
    b: &mut Binds,
) -> Result<String, ScimError> {
    Ok(match filter {
        Filter::And(l, r) => format!(
            "({} AND {})",
            condition(kind, l, keys, b)?,
            condition(kind, r, keys, b)?
        ),
        Filter::Or(l, r) => format!(
            "({} OR {})",
            condition(kind, l, keys, b)?,
            condition(kind, r, keys, b)?
        ),
        Filter::Not(f) => format!("(NOT coalesce({}, false))", condition(kind, f, keys, b)?),
        Filter::Present(path) => match resolve(kind, path)? {
            Target::Sealed(attr, _) => sealed::present(attr),
            Target::Scalar {
                expr, ty: Ty::Text, ..
            } => format!("(({expr}) IS NOT NULL AND ({expr}) <> '')"),
            Target::Scalar { expr, .. } | Target::Complex { expr } => {
                format!("(({expr}) IS NOT NULL)")
            }
            Target::Multi { array, attr, sub } => format!(
                "EXISTS (SELECT 1 FROM jsonb_array_elements({array}) AS e WHERE {})",
                element_cond(&attr, &sub, None, b)?
            ),
            Target::Schemas => "true".into(),
        },
        Filter::Compare { path, op, value } => match resolve(kind, path)? {
            Target::Scalar {
                expr,
                ty,
                case_exact,
            } => compare(&expr, ty, case_exact, *op, value, b)?,
            Target::Sealed(attr, name) => {
                sealed::compare(keys_for(keys)?, attr, &name, *op, value, b)?
            }
            Target::Multi { array, attr, sub } => format!(
                "EXISTS (SELECT 1 FROM jsonb_array_elements({array}) AS e WHERE {})",
                element_cond(&attr, &sub, Some((*op, value)), b)?
            ),
            Target::Complex { .. } => {
                return Err(ScimError::invalid_filter(format!(
                    "compare a sub-attribute of '{}'",
                    path.attr
                )))
            }
            Target::Schemas => schemas_condition(kind, *op, value, b)?,
        },
        Filter::ValuePath { path, filter } => match resolve(kind, path)? {
            Target::Sealed(Sealed::Emails, _) => {
                sealed::emails_value_path(keys_for(keys)?, filter, b)?
            }
            Target::Multi { array, attr, .. } => format!(
                "EXISTS (SELECT 1 FROM jsonb_array_elements({array}) AS e WHERE {})",
                element_filter(&attr, filter, b)?
            ),
            _ => {
                return Err(ScimError::invalid_filter(format!(
                    "'{}' is not multi-valued",
                    path.attr
                )))
            }
        },
    })
}

fn element_filter(attr: &Attr, filter: &Filter, b: &mut Binds) -> Result<String, ScimError> {
    Ok(match filter {
        Filter::And(l, r) => format!(
            "({} AND {})",
            element_filter(attr, l, b)?,
            element_filter(attr, r, b)?
        ),
        Filter::Or(l, r) => format!(
            "({} OR {})",
            element_filter(attr, l, b)?,
            element_filter(attr, r, b)?
        ),
        Filter::Not(f) => format!("(NOT coalesce({}, false))", element_filter(attr, f, b)?),
        Filter::Present(p) => element_cond(attr, &p.attr, None, b)?,
        Filter::Compare { path, op, value } => {
            element_cond(attr, &path.attr, Some((*op, value)), b)?
        }
        Filter::ValuePath { .. } => {
            return Err(ScimError::invalid_filter("value paths cannot nest"))
        }
    })
}

fn schemas_condition(
    kind: Kind,
    op: CompareOp,
    value: &FValue,
    _b: &mut Binds,
) -> Result<String, ScimError> {
    let FValue::Str(urn) = value else {
        return Err(ScimError::invalid_filter(
            "schemas compares with a schema URN",
        ));
    };
    let m = model();
    let has = match m.schema_for(kind, Some(urn)) {
        Some(s) if s.id == m.core(kind).id => "true".to_string(),
        // A user's extensions are in its sealed document.
        Some(_) if kind == Kind::User => {
            return Err(ScimError::invalid_filter(
                "a user's extension schemas are encrypted at rest and cannot be filtered on",
            ))
        }
        Some(s) => format!("({}.scim ? '{}')", table_alias(kind), s.id),
        None => "false".to_string(),
    };
    match op {
        CompareOp::Eq => Ok(has),
        CompareOp::Ne => Ok(format!("(NOT {has})")),
        _ => Err(ScimError::invalid_filter("schemas supports eq and ne")),
    }
}

/// `ORDER BY` for `sortBy` (default: oldest first); ties broken by id.
pub fn order_by(kind: Kind, sort_by: Option<&str>, descending: bool) -> Result<String, ScimError> {
    let t = table_alias(kind);
    let dir = if descending { "DESC" } else { "ASC" };
    let Some(sort_by) = sort_by else {
        return Ok(format!("{t}.created_at {dir}, {t}.id {dir}"));
    };
    let path = super::filter::parse_patch_path(sort_by)
        .map_err(|_| ScimError::invalid_value("sortBy is not an attribute path"))?;
    if path.filter.is_some() {
        return Err(ScimError::invalid_value("sortBy is not an attribute path"));
    }
    let expr = match resolve(kind, &path.path)? {
        Target::Scalar {
            expr,
            case_exact: false,
            ..
        } => format!("lower({expr})"),
        Target::Scalar { expr, .. } => expr,
        Target::Sealed(_, name) => {
            return Err(ScimError::invalid_value(format!(
                "'{name}' is encrypted at rest and cannot be sorted on; sort by meta.created, \
                 meta.lastModified or id"
            )))
        }
        Target::Multi { array, sub, .. } => format!("({array}->0->>'{sub}')"),
        _ => return Err(ScimError::invalid_value("cannot sort by that attribute")),
    };
    Ok(format!("{expr} {dir} NULLS LAST, {t}.id {dir}"))
}

/// The condition, order and binds of a list request for `kind` in `tenant`.
pub fn list_parts(
    kind: Kind,
    tenant: String,
    keys: Option<&PersonalKeys>,
    params: &super::resource::ListParams,
) -> Result<(String, String, Binds), ScimError> {
    let mut binds = Binds::new(tenant);
    let condition = match &params.filter {
        Some(f) => condition(kind, f, keys, &mut binds)?,
        None => "true".into(),
    };
    let order = order_by(kind, params.sort_by.as_deref(), params.descending)?;
    Ok((condition, order, binds))
}

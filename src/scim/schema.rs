//! The SCIM schemas this server publishes (`schemas/`, compiled in) and the attribute model
//! read from them: which attributes exist, their types, whether they are multi-valued,
//! case-exact or writable. Filters, PATCH and rendering consult this one model, so what is
//! published is exactly what is accepted.

use serde::Deserialize;
use serde_json::Value;
use std::sync::OnceLock;

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

const USER_DOC: &str = include_str!("../../schemas/user.json");
const ENTERPRISE_DOC: &str = include_str!("../../schemas/enterprise_user.json");
const GROUP_DOC: &str = include_str!("../../schemas/group.json");
pub const RESOURCE_TYPES_DOC: &str = include_str!("../../schemas/resource_types.json");
pub const SERVICE_PROVIDER_CONFIG_DOC: &str =
    include_str!("../../schemas/service_provider_config.json");

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attr {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub multi_valued: bool,
    #[serde(default)]
    pub case_exact: bool,
    pub mutability: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub sub_attributes: Vec<Attr>,
}

impl Attr {
    pub fn is_complex(&self) -> bool {
        self.kind == "complex"
    }

    pub fn required_by_schema(&self) -> bool {
        self.required
    }

    pub fn writable(&self) -> bool {
        self.mutability != "readOnly"
    }

    pub fn sub(&self, name: &str) -> Option<&Attr> {
        self.sub_attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Schema {
    pub id: String,
    pub attributes: Vec<Attr>,
}

impl Schema {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// The schemas of one resource type: the core one and its extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Group,
}

pub struct Model {
    pub user: Schema,
    pub enterprise: Schema,
    pub group: Schema,
    /// The documents as served.
    pub documents: Vec<Value>,
}

/// The parsed schemas (the files are part of the binary and checked by tests).
pub fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let parse = |doc: &str| {
            serde_json::from_str::<Schema>(doc).unwrap_or_else(|_| Schema {
                id: String::new(),
                attributes: Vec::new(),
            })
        };
        let documents = [USER_DOC, ENTERPRISE_DOC, GROUP_DOC]
            .iter()
            .filter_map(|d| serde_json::from_str::<Value>(d).ok())
            .collect();
        Model {
            user: parse(USER_DOC),
            enterprise: parse(ENTERPRISE_DOC),
            group: parse(GROUP_DOC),
            documents,
        }
    })
}

impl Model {
    pub fn core(&self, kind: Kind) -> &Schema {
        match kind {
            Kind::User => &self.user,
            Kind::Group => &self.group,
        }
    }

    /// The extension schemas a resource of `kind` may carry.
    pub fn extensions(&self, kind: Kind) -> Vec<&Schema> {
        match kind {
            Kind::User => vec![&self.enterprise],
            Kind::Group => vec![],
        }
    }

    /// The schema a path's URN names (none: the core schema), if this kind has it.
    pub fn schema_for(&self, kind: Kind, urn: Option<&str>) -> Option<&Schema> {
        let core = self.core(kind);
        match urn {
            None => Some(core),
            Some(u) if u.eq_ignore_ascii_case(&core.id) => Some(core),
            Some(u) => self
                .extensions(kind)
                .into_iter()
                .find(|s| s.id.eq_ignore_ascii_case(u)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_documents_parse_into_the_model() {
        let m = model();
        assert_eq!(m.user.id, USER);
        assert_eq!(m.enterprise.id, ENTERPRISE_USER);
        assert_eq!(m.group.id, GROUP);
        assert_eq!(m.documents.len(), 3);
        let emails = m.user.attr("EMAILS").unwrap();
        assert!(emails.multi_valued && emails.is_complex() && emails.sub("value").is_some());
        assert!(!m.user.attr("groups").unwrap().writable());
        assert!(
            m.user.attr("roles").is_none(),
            "roles are never set over SCIM"
        );
        assert!(m.user.attr("password").is_none(), "nor passwords");
        let types: Value = serde_json::from_str(RESOURCE_TYPES_DOC).unwrap();
        assert_eq!(types.as_array().unwrap().len(), 2);
        let spc: Value = serde_json::from_str(SERVICE_PROVIDER_CONFIG_DOC).unwrap();
        assert_eq!(spc["bulk"]["supported"], false);
    }
}

//! The requests Microsoft documents for Entra ID provisioning and Okta documents for its
//! SCIM 2.0 integration, sent verbatim (only the ids the server assigned are put in):
//! Entra's "SCIM protocol requests and responses" and "Known issues with SCIM 2.0
//! compliance" pages (with and without the `aadOptscim062020` flag), and Okta's "SCIM 2.0
//! protocol reference" and its OIN "SCIM 2.0 SPEC Test" suite.

use crate::browser::{Browser, Reached, Site, PASSWORD};
use crate::scim::{setup, Scim};
use reqwest::Method;
use serde_json::Value;

const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

#[derive(Clone, Copy)]
enum Vendor {
    Entra,
    Okta,
}

impl Scim {
    /// `body` as the vendor sends it: Entra with `application/scim+json`, Okta with its
    /// user agent and `application/json`.
    async fn send(&self, vendor: Vendor, method: Method, path: &str, body: &str) -> (u16, Value) {
        let mut req = self
            .app
            .http
            .request(method, self.app.url(&format!("/scim/v2{path}")))
            .bearer_auth(&self.token);
        req = match vendor {
            Vendor::Entra => req.header("content-type", "application/scim+json"),
            Vendor::Okta => req
                .header("user-agent", "Okta SCIM Client 1.0.0")
                .header("content-type", "application/json"),
        };
        if !body.is_empty() {
            req = req.body(body.to_string());
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn entra(&self, method: Method, path: &str, body: &str) -> (u16, Value) {
        self.send(Vendor::Entra, method, path, body).await
    }

    async fn okta(&self, method: Method, path: &str, body: &str) -> (u16, Value) {
        self.send(Vendor::Okta, method, path, body).await
    }
}

fn filter(resource: &str, expr: &str, rest: &str) -> String {
    let q = serde_urlencoded::to_string([("filter", expr)]).unwrap();
    format!("/{resource}?{q}{rest}")
}

fn ok_or_no_content(status: u16, body: &Value) {
    assert!(status == 200 || status == 204, "{status}: {body}");
}

const MS_CREATE_USER: &str = r#"{
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
    "active": true,
    "emails": [{
        "primary": true,
        "type": "work",
        "value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"
    }],
    "meta": {
        "resourceType": "User"
    },
    "name": {
        "formatted": "givenName familyName",
        "familyName": "familyName",
        "givenName": "givenName"
    },
    "roles": []
}"#;

const MS_UPDATE_MULTI: &str = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
            {
            "op": "Replace",
            "path": "emails[type eq \"work\"].value",
            "value": "updatedEmail@microsoft.com"
            },
            {
            "op": "Replace",
            "path": "name.familyName",
            "value": "updatedFamilyName"
            }
    ]
}"#;

const MS_UPDATE_SINGLE: &str = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Replace",
        "path": "userName",
        "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    }]
}"#;

const MS_DISABLE: &str = r#"{
    "Operations": [
        {
            "op": "Replace",
            "path": "active",
            "value": false
        }
    ],
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ]
}"#;

const MS_DISABLE_NO_FLAG: &str = r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "Replace",
            "path": "active",
            "value": "False"
        }
    ]
  }"#;

const MS_ADD_NICKNAME: &str = r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
      {
        "op": "Add",
        "path": "nickName",
        "value": "Babs"
      }
    ]
  }"#;

const MS_REPLACE_MANY_FLAG: &str = r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "replace",
            "path": "emails[type eq \"work\"].value",
            "value": "TestMhvaes@test.microsoft.com"
        },
        {
            "op": "replace",
            "value": {
                "displayName": "Bjfe",
                "name.givenName": "Kkom",
                "name.familyName": "Unua",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq"
            }
        }
    ]
  }"#;

const MS_REPLACE_MANY_NO_FLAG: &str = r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "Replace",
            "path": "displayName",
            "value": "Pvlo"
        },
        {
            "op": "Replace",
            "path": "emails[type eq \"work\"].value",
            "value": "TestBcwqnm@test.microsoft.com"
        },
        {
            "op": "Replace",
            "path": "name.givenName",
            "value": "Gtfd"
        },
        {
            "op": "Replace",
            "path": "name.familyName",
            "value": "Pkqf"
        },
        {
            "op": "Replace",
            "path": "externalId",
            "value": "Eqpj"
        },
        {
            "op": "Replace",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "value": "Eqpj"
        }
    ]
  }"#;

const MS_CREATE_GROUP: &str = r#"{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
    "displayName": "displayName",
    "meta": {
        "resourceType": "Group"
    }
}"#;

const MS_RENAME_GROUP: &str = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Replace",
        "path": "displayName",
        "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    }]
}"#;

const MS_ADD_MEMBERS: &str = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Add",
        "path": "members",
        "value": [{
            "$ref": null,
            "value": "f648f8d5ea4e4cd38e9c"
        }]
    }]
}"#;

const MS_REMOVE_MEMBERS: &str = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Remove",
        "path": "members",
        "value": [{
            "$ref": null,
            "value": "f648f8d5ea4e4cd38e9c"
        }]
    }]
}"#;

const MS_REMOVE_MEMBER_FLAG: &str = r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "remove",
            "path": "members[value eq \"7f4bc1a3-285e-48ae-8202-5accb43efb0e\"]"
        }
    ]
  }"#;

/// A second member for the group steps, so a removal that wipes everyone shows.
async fn bystander(s: &Scim) -> String {
    let body = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bystander@testuser.com","active":true}"#;
    let (status, user) = s.entra(Method::POST, "/Users", body).await;
    assert_eq!(status, 201, "{user}");
    user["id"].as_str().unwrap().to_string()
}

async fn member_ids(s: &Scim, gid: &str) -> Vec<String> {
    let (status, g) = s.entra(Method::GET, &format!("/Groups/{gid}"), "").await;
    assert_eq!(status, 200, "{g}");
    let mut ids: Vec<String> = g["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|x| x["value"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

#[tokio::test]
async fn entra_id_documented_requests_work_unchanged() {
    let s = setup().await;
    // "Test Connection" asks for a user that does not exist by a random GUID.
    let guid = uuid::Uuid::new_v4().to_string();
    let (status, none) = s
        .entra(
            Method::GET,
            &filter("Users", &format!("userName eq \"{guid}\""), ""),
            "",
        )
        .await;
    assert_eq!(status, 200, "{none}");
    assert_eq!(
        (none["totalResults"].as_i64(), none["schemas"][0].as_str()),
        (Some(0), Some(LIST))
    );

    let (status, user) = s.entra(Method::POST, "/Users", MS_CREATE_USER).await;
    assert_eq!(
        status, 201,
        "client meta, the enterprise URN without its object and roles: [] are accepted: {user}"
    );
    let id = user["id"].as_str().unwrap().to_string();
    assert_eq!(user["externalId"], "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef");
    assert_eq!(user["name"]["givenName"], "givenName");
    assert!(user.get("roles").is_none(), "{user}");

    let (status, got) = s.entra(Method::GET, &format!("/Users/{id}"), "").await;
    assert_eq!(
        (status, got["userName"].as_str()),
        (200, Some("Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"))
    );
    let (status, missing) = s
        .entra(Method::GET, "/Users/5171a35d82074e068ce2", "")
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        (missing["schemas"][0].as_str(), missing["status"].as_str()),
        (Some(ERROR), Some("404"))
    );

    let by_name = filter(
        "Users",
        "userName eq \"Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee\"",
        "",
    );
    let (_, list) = s.entra(Method::GET, &by_name, "").await;
    assert_eq!(
        (
            list["totalResults"].as_i64(),
            list["Resources"][0]["id"].as_str()
        ),
        (Some(1), Some(id.as_str()))
    );
    let by_email = filter("Users", "emails[type eq \"work\"].value eq \"Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com\"", "");
    let (_, list) = s.entra(Method::GET, &by_email, "").await;
    assert_eq!(list["totalResults"], 1, "{list}");
    let (_, list) = s
        .entra(
            Method::GET,
            &filter("Users", "userName eq \"non-existent user\"", ""),
            "",
        )
        .await;
    assert_eq!(list["totalResults"], 0);

    let user_path = format!("/Users/{id}");
    let (status, u) = s.entra(Method::PATCH, &user_path, MS_UPDATE_MULTI).await;
    assert_eq!(status, 200, "{u}");
    assert_eq!(
        u["emails"].as_array().unwrap().len(),
        1,
        "the work email changed in place: {u}"
    );
    assert_eq!(
        (
            u["emails"][0]["value"].as_str(),
            u["emails"][0]["primary"].as_bool()
        ),
        (Some("updatedEmail@microsoft.com"), Some(true))
    );
    assert_eq!(u["name"]["familyName"], "updatedFamilyName");
    let (status, u) = s.entra(Method::PATCH, &user_path, MS_UPDATE_SINGLE).await;
    assert_eq!(
        (status, u["userName"].as_str()),
        (
            200,
            Some("5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com")
        )
    );
    let (status, u) = s.entra(Method::PATCH, &user_path, MS_ADD_NICKNAME).await;
    assert_eq!((status, u["nickName"].as_str()), (200, Some("Babs")), "{u}");

    // Several attributes at once, in both of Entra's shapes.
    let flagged = format!("{user_path}?aadOptscim062020");
    let (status, u) = s.entra(Method::PATCH, &flagged, MS_REPLACE_MANY_FLAG).await;
    assert_eq!(status, 200, "{u}");
    assert_eq!(
        (
            u["displayName"].as_str(),
            u["name"]["givenName"].as_str(),
            u["name"]["familyName"].as_str()
        ),
        (Some("Bjfe"), Some("Kkom"), Some("Unua"))
    );
    assert_eq!(
        u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["employeeNumber"],
        "Aklq"
    );
    assert_eq!(u["emails"][0]["value"], "TestMhvaes@test.microsoft.com");
    let (status, u) = s
        .entra(Method::PATCH, &user_path, MS_REPLACE_MANY_NO_FLAG)
        .await;
    assert_eq!(status, 200, "{u}");
    assert_eq!(
        (
            u["displayName"].as_str(),
            u["externalId"].as_str(),
            u["name"]["givenName"].as_str()
        ),
        (Some("Pvlo"), Some("Eqpj"), Some("Gtfd"))
    );
    assert_eq!(
        u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["employeeNumber"],
        "Eqpj"
    );

    // Disabling: the documented boolean, then "False" (no flag) after a "True" re-enable;
    // a disabled person is still returned.
    let (status, u) = s.entra(Method::PATCH, &flagged, MS_DISABLE).await;
    assert_eq!((status, u["active"].as_bool()), (200, Some(false)));
    let enable = MS_DISABLE_NO_FLAG.replace("\"False\"", "\"True\"");
    let (status, u) = s.entra(Method::PATCH, &user_path, &enable).await;
    assert_eq!((status, u["active"].as_bool()), (200, Some(true)));
    let (status, u) = s.entra(Method::PATCH, &user_path, MS_DISABLE_NO_FLAG).await;
    assert_eq!((status, u["active"].as_bool()), (200, Some(false)));
    let (status, u) = s.entra(Method::GET, &user_path, "").await;
    assert_eq!((status, u["active"].as_bool()), (200, Some(false)));

    // Groups: created with an extra schema URI and no members, read without members.
    let other = bystander(&s).await;
    let (status, g) = s.entra(Method::POST, "/Groups", MS_CREATE_GROUP).await;
    assert_eq!(status, 201, "{g}");
    let gid = g["id"].as_str().unwrap().to_string();
    let (status, g) = s
        .entra(
            Method::GET,
            &format!("/Groups/{gid}?excludedAttributes=members"),
            "",
        )
        .await;
    assert_eq!(
        (status, g["displayName"].as_str()),
        (200, Some("displayName"))
    );
    assert!(g.get("members").is_none(), "{g}");
    let by_name = filter("Groups", "displayName eq \"displayName\"", "");
    let by_name = by_name.replace("/Groups?", "/Groups?excludedAttributes=members&");
    let (_, list) = s.entra(Method::GET, &by_name, "").await;
    assert_eq!(
        (
            list["totalResults"].as_i64(),
            list["Resources"][0]["id"].as_str()
        ),
        (Some(1), Some(gid.as_str()))
    );
    assert!(list["Resources"][0].get("members").is_none(), "{list}");

    let group_path = format!("/Groups/{gid}");
    let (status, body) = s.entra(Method::PATCH, &group_path, MS_RENAME_GROUP).await;
    ok_or_no_content(status, &body);
    let add = |member: &str| MS_ADD_MEMBERS.replace("f648f8d5ea4e4cd38e9c", member);
    for member in [&id, &other] {
        let (status, body) = s.entra(Method::PATCH, &group_path, &add(member)).await;
        ok_or_no_content(status, &body);
    }
    let mut both = vec![id.clone(), other.clone()];
    both.sort();
    assert_eq!(member_ids(&s, &gid).await, both);
    // Removal with a value list removes those members only, not everyone.
    let remove = MS_REMOVE_MEMBERS.replace("f648f8d5ea4e4cd38e9c", &id);
    let (status, body) = s.entra(Method::PATCH, &group_path, &remove).await;
    ok_or_no_content(status, &body);
    assert_eq!(member_ids(&s, &gid).await, vec![other.clone()]);
    let remove = MS_REMOVE_MEMBER_FLAG.replace("7f4bc1a3-285e-48ae-8202-5accb43efb0e", &other);
    let (status, body) = s
        .entra(
            Method::PATCH,
            &format!("{group_path}?aadOptscim062020"),
            &remove,
        )
        .await;
    ok_or_no_content(status, &body);
    assert!(member_ids(&s, &gid).await.is_empty());
    let (_, g) = s.entra(Method::GET, &group_path, "").await;
    assert_eq!(
        g["displayName"],
        "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    );

    let (status, _) = s.entra(Method::DELETE, &group_path, "").await;
    assert_eq!(status, 204);
    let (status, _) = s.entra(Method::DELETE, &user_path, "").await;
    assert_eq!(status, 204);
    let (status, _) = s.entra(Method::GET, &user_path, "").await;
    assert_eq!(status, 404);
    s.app.stop().await;
}

#[tokio::test]
async fn entra_id_observed_variants_are_accepted() {
    let s = setup().await;
    let (_, user) = s
        .entra(Method::POST, "/Users?aadOptscim062020", MS_CREATE_USER)
        .await;
    let path = format!("/Users/{}", user["id"].as_str().unwrap());
    // Lower-case string booleans, a string boolean on a sub-attribute, Add on a filtered
    // path that creates the element (several Adds fill one element), Add next to Replace.
    let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
        {"op":"Replace","path":"active","value":"false"},
        {"op":"Add","path":"emails[type eq \"work\"].primary","value":"true"},
        {"op":"Add","path":"addresses[type eq \"work\"].formatted","value":"1 Main St"},
        {"op":"Add","path":"addresses[type eq \"work\"].locality","value":"Springfield"},
        {"op":"Add","path":"name.givenName","value":"Bar"},
        {"op":"Replace","path":"name.familyName","value":"Foo2"}]}"#;
    let (status, u) = s.entra(Method::PATCH, &path, body).await;
    assert_eq!(status, 200, "{u}");
    assert_eq!(
        (u["active"].as_bool(), u["emails"][0]["primary"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(u["addresses"].as_array().unwrap().len(), 1, "{u}");
    assert_eq!(
        (
            u["addresses"][0]["formatted"].as_str(),
            u["addresses"][0]["locality"].as_str()
        ),
        (Some("1 Main St"), Some("Springfield"))
    );
    assert_eq!(
        (
            u["name"]["givenName"].as_str(),
            u["name"]["familyName"].as_str()
        ),
        (Some("Bar"), Some("Foo2"))
    );
    let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op": "replace", "value": {"name.formatted" : "test test2", "name.familyName" : "test"}}]}"#;
    let (status, u) = s.entra(Method::PATCH, &path, body).await;
    assert_eq!(
        (status, u["name"]["familyName"].as_str()),
        (200, Some("test")),
        "{u}"
    );
    // An empty PatchOp changes nothing and succeeds.
    let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}"#;
    let (status, _) = s.entra(Method::PATCH, &path, body).await;
    assert_eq!(status, 200);
    s.app.stop().await;
}

const OKTA_CREATE_USER: &str = r#"{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "test.user@okta.local",
    "name": {
        "givenName": "Test",
        "familyName": "User"
    },
    "emails": [{
        "primary": true,
        "value": "test.user@okta.local",
        "type": "work"
    }],
    "displayName": "Test User",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": true
}"#;

const OKTA_PUT_USER: &str = r#"{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "id": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
    "userName": "test.user@okta.local",
    "name": {
        "givenName": "Another",
        "middleName": "Excited",
        "familyName": "User"
    },
    "emails": [{
        "primary": true,
        "value": "test.user@okta.local",
        "type": "work",
        "display": "test.user@okta.local"
    }],
    "active": true,
    "groups": [],
    "meta": {
        "resourceType": "User"
    }
}"#;

const OKTA_DEACTIVATE: &str = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "replace",
        "value": {
            "active": false
        }
    }]
}"#;

const OKTA_CREATE_GROUP: &str = r#"{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
    "displayName": "Test SCIMv2",
    "members": []
}"#;

const OKTA_RENAME_GROUP: &str = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "replace",
        "value": {
            "id": "abf4dd94-a4c0-4f67-89c9-76b03340cb9b",
            "displayName": "Test SCIMv2"
        }
    }]
}"#;

const OKTA_MEMBERSHIP: &str = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
          "op": "remove",
          "path": "members[value eq \"89bb1940-b905-4575-9e7f-6f887cfb368e\"]"
        },
        {
          "op": "add",
          "path": "members",
          "value": [{
              "value": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
              "display": "test.user@okta.local"
        }]
    }]
}"#;

const OKTA_REPLACE_MEMBERS: &str = r#"{
  "schemas": [
    "urn:ietf:params:scim:api:messages:2.0:PatchOp"
  ],
  "Operations": [
    {
      "op": "replace",
      "path": "members",
      "value": [
        {
          "value": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
          "display": "test.user@okta.local"
        },
        {
          "value": "89bb1940-b905-4575-9e7f-6f887cfb368e",
          "display": "test.user@okta.local"
        }
      ]
    }
  ]
}"#;

#[tokio::test]
async fn okta_documented_requests_work_unchanged() {
    let s = setup().await;
    let lookup = filter(
        "Users",
        "userName eq \"test.user@okta.local\"",
        "&startIndex=1&count=100",
    );
    let (status, none) = s.okta(Method::GET, &lookup, "").await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            none["totalResults"].as_i64(),
            none["startIndex"].as_i64(),
            none["itemsPerPage"].as_i64()
        ),
        (Some(0), Some(1), Some(0))
    );

    let (status, user) = s.okta(Method::POST, "/Users", OKTA_CREATE_USER).await;
    assert_eq!(
        status, 201,
        "the placeholder password and groups: [] are accepted: {user}"
    );
    assert!(user.get("password").is_none(), "{user}");
    assert_eq!(
        (user["locale"].as_str(), user["displayName"].as_str()),
        (Some("en-US"), Some("Test User"))
    );
    let id = user["id"].as_str().unwrap().to_string();
    let (status, dup) = s.okta(Method::POST, "/Users", OKTA_CREATE_USER).await;
    assert_eq!(
        (status, dup["scimType"].as_str(), dup["schemas"][0].as_str()),
        (409, Some("uniqueness"), Some(ERROR))
    );

    let (status, page) = s
        .okta(Method::GET, "/Users?startIndex=1&count=100", "")
        .await;
    assert_eq!(status, 200);
    assert!(
        page["totalResults"].is_i64()
            && page["itemsPerPage"].is_i64()
            && page["startIndex"].is_i64(),
        "{page}"
    );
    let user_path = format!("/Users/{id}");
    let (status, got) = s.okta(Method::GET, &user_path, "").await;
    assert_eq!((status, got["id"].as_str()), (200, Some(id.as_str())));

    // PUT echoes id, meta, groups and emails[].display from its GET.
    let put = OKTA_PUT_USER.replace("23a35c27-23d3-4c03-b4c5-6443c09e7173", &id);
    let (status, u) = s.okta(Method::PUT, &user_path, &put).await;
    assert_eq!(status, 200, "{u}");
    assert_eq!(
        (
            u["name"]["givenName"].as_str(),
            u["name"]["middleName"].as_str()
        ),
        (Some("Another"), Some("Excited"))
    );
    let (status, u) = s.okta(Method::PATCH, &user_path, OKTA_DEACTIVATE).await;
    ok_or_no_content(status, &u);
    let (_, u) = s.okta(Method::GET, &user_path, "").await;
    assert_eq!(u["active"], false);
    let (status, u) = s
        .okta(
            Method::PATCH,
            &user_path,
            &OKTA_DEACTIVATE.replace("false", "true"),
        )
        .await;
    ok_or_no_content(status, &u);

    // Group push: create, find by name, rename (repeating its id), membership changes.
    let (status, g) = s.okta(Method::POST, "/Groups", OKTA_CREATE_GROUP).await;
    assert_eq!(status, 201, "{g}");
    let gid = g["id"].as_str().unwrap().to_string();
    let (status, list) = s
        .okta(Method::GET, "/Groups?startIndex=1&count=100", "")
        .await;
    assert_eq!((status, list["totalResults"].as_i64()), (200, Some(1)));
    let by_name = filter(
        "Groups",
        "displayName eq \"Test SCIMv2\"",
        "&startIndex=1&count=100",
    );
    let (_, list) = s.okta(Method::GET, &by_name, "").await;
    assert_eq!(list["Resources"][0]["id"], gid.as_str());
    let group_path = format!("/Groups/{gid}");
    let rename = OKTA_RENAME_GROUP.replace("abf4dd94-a4c0-4f67-89c9-76b03340cb9b", &gid);
    let (status, body) = s.okta(Method::PATCH, &group_path, &rename).await;
    ok_or_no_content(status, &body);
    let other = bystander(&s).await;
    let membership = OKTA_MEMBERSHIP
        .replace("23a35c27-23d3-4c03-b4c5-6443c09e7173", &id)
        .replace("89bb1940-b905-4575-9e7f-6f887cfb368e", &other);
    let (status, body) = s.okta(Method::PATCH, &group_path, &membership).await;
    ok_or_no_content(status, &body);
    assert_eq!(member_ids(&s, &gid).await, vec![id.clone()]);
    let all = OKTA_REPLACE_MEMBERS
        .replace("23a35c27-23d3-4c03-b4c5-6443c09e7173", &id)
        .replace("89bb1940-b905-4575-9e7f-6f887cfb368e", &other);
    let (status, body) = s.okta(Method::PATCH, &group_path, &all).await;
    ok_or_no_content(status, &body);
    let mut both = vec![id.clone(), other.clone()];
    both.sort();
    assert_eq!(member_ids(&s, &gid).await, both);
    // Renaming with another resource's id is refused and changes nothing.
    let (status, refused) = s
        .okta(
            Method::PATCH,
            &group_path,
            &OKTA_RENAME_GROUP.replace("Test SCIMv2", "Hijack"),
        )
        .await;
    assert_eq!(
        (status, refused["scimType"].as_str()),
        (400, Some("mutability"))
    );
    let (status, _) = s.okta(Method::DELETE, &group_path, "").await;
    assert_eq!(status, 204);
    s.app.stop().await;
}

/// Okta's OIN "SCIM 2.0 SPEC Test" (Okta-SCIM-20-SPEC-Test.json), step by step.
#[tokio::test]
async fn okta_spec_test_suite_passes() {
    let s = setup().await;
    let (_, seed) = s.okta(Method::POST, "/Users", OKTA_CREATE_USER).await;
    assert!(seed["id"].is_string());
    // The suite's precondition: the first listed user (here the workspace's first admin,
    // made without a name) has a name and an email.
    let (_, page) = s.okta(Method::GET, "/Users?count=1&startIndex=1", "").await;
    let named = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","value":{"name":{"givenName":"Ada","familyName":"Admin"},"emails":[{"value":"admin@alpha.example","type":"work","primary":true}]}}]}"#;
    let first = format!("/Users/{}", page["Resources"][0]["id"].as_str().unwrap());
    let (status, body) = s.okta(Method::PATCH, &first, named).await;
    ok_or_no_content(status, &body);
    let (status, page) = s.okta(Method::GET, "/Users?count=1&startIndex=1", "").await;
    assert_eq!((status, page["schemas"][0].as_str()), (200, Some(LIST)));
    let first = &page["Resources"][0];
    for field in ["id", "userName", "active"] {
        assert!(!first[field].is_null(), "{field}: {page}");
    }
    assert!(
        first["name"]["familyName"].is_string()
            && first["name"]["givenName"].is_string()
            && first["emails"][0]["value"].is_string()
    );
    let isv = first["id"].as_str().unwrap();
    let (status, got) = s.okta(Method::GET, &format!("/Users/{isv}"), "").await;
    assert_eq!((status, got["id"].as_str()), (200, Some(isv)));
    let (status, none) = s
        .okta(
            Method::GET,
            &filter("Users", "userName eq \"abcdefgh@atko.com\"", ""),
            "",
        )
        .await;
    assert_eq!((status, none["totalResults"].as_i64()), (200, Some(0)));
    let (status, missing) = s
        .okta(Method::GET, "/Users/010101001010101011001010101011", "")
        .await;
    assert_eq!((status, missing["schemas"][0].as_str()), (404, Some(ERROR)));
    assert!(missing["detail"].as_str().is_some_and(|d| !d.is_empty()));
    let email = "RunscopeJqwertyui123@atko.com"
        .to_lowercase()
        .replace("runscope", "Runscope");
    let body = format!(
        r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"{email}","name":{{"givenName":"Runscope123","familyName":"Qwertyuio123"}},"emails":[{{"primary":true,"value":"{email}","type":"work"}}],"displayName":"Runscope123 Qwertyuio123","active":true}}"#
    );
    let (status, _) = s
        .okta(
            Method::GET,
            &filter("Users", &format!("userName eq \"{email}\""), ""),
            "",
        )
        .await;
    assert_eq!(status, 200);
    let (status, made) = s.okta(Method::POST, "/Users", &body).await;
    assert_eq!(
        (status, made["active"].as_bool(), made["userName"].as_str()),
        (201, Some(true), Some(email.as_str()))
    );
    assert_eq!(made["name"]["familyName"], "Qwertyuio123");
    let (status, again) = s
        .okta(
            Method::GET,
            &format!("/Users/{}", made["id"].as_str().unwrap()),
            "",
        )
        .await;
    assert_eq!(
        (status, again["name"]["givenName"].as_str()),
        (200, Some("Runscope123"))
    );
    let (status, _) = s.okta(Method::POST, "/Users", &body).await;
    assert_eq!(status, 409, "recreating the same user");
    let caps = filter(
        "Users",
        &format!("userName eq \"{}\"", email.to_uppercase()),
        "",
    );
    let (status, found) = s.okta(Method::GET, &caps, "").await;
    assert_eq!(
        (status, found["totalResults"].as_i64()),
        (200, Some(1)),
        "user names ignore case"
    );
    let (status, groups) = s.okta(Method::GET, "/Groups", "").await;
    assert_eq!(status, 200);
    assert!(groups["Resources"].is_array());
    let res = s
        .app
        .http
        .get(s.app.url(&format!("/scim/v2{caps}")))
        .header("authorization", "non-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let unauthorized: Value = res.json().await.unwrap();
    assert_eq!(
        (
            unauthorized["schemas"][0].as_str(),
            unauthorized["status"].as_str()
        ),
        (Some(ERROR), Some("401"))
    );
    assert!(unauthorized["detail"]
        .as_str()
        .is_some_and(|d| !d.is_empty()));
    let (status, missing) = s.okta(Method::GET, "/Users/00919288221112222", "").await;
    assert_eq!((status, missing["status"].as_str()), (404, Some("404")));
    s.app.stop().await;
}

#[tokio::test]
async fn the_password_okta_sends_on_create_is_never_stored_and_signs_nobody_in() {
    let site = Site::start(Reached::ByAddress).await;
    let res = site
        .app
        .http
        .post(site.app.url("/admin/v1/scim-tokens"))
        .bearer_auth(&site.admin_key)
        .json(&serde_json::json!({"name": "Okta"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let token: Value = res.json().await.unwrap();
    // The attack: whoever holds the SCIM token picks a password and signs in as the person.
    let body = OKTA_CREATE_USER
        .replace("test.user@okta.local", "okta.user@alpha.example")
        .replace("1mz050nq", PASSWORD);
    let res = site
        .app
        .http
        .post(site.app.url("/scim/v2/Users"))
        .bearer_auth(token["token"].as_str().unwrap())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let mut b = Browser::new(&site.app);
    let (status, html, location) = b.password("okta.user@alpha.example", &[]).await;
    assert_ne!(
        status, 303,
        "no code for a password SCIM tried to set: {location:?}"
    );
    assert!(html.contains("error"), "{html}");
}

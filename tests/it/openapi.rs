//! `openapi.yaml` is the contract: it lists exactly the routes the service registers, and
//! each listed operation is answered by a real handler.

use crate::harness::{TestApp, TestDb};
use std::collections::BTreeSet;

fn spec() -> serde_yaml::Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

fn spec_operations() -> BTreeSet<(String, String)> {
    let spec = spec();
    let mut ops = BTreeSet::new();
    for (path, item) in spec["paths"].as_mapping().unwrap() {
        for (method, _) in item.as_mapping().unwrap() {
            let m = method.as_str().unwrap();
            if ["get", "post", "put", "patch", "delete"].contains(&m) {
                ops.insert((m.to_uppercase(), path.as_str().unwrap().to_string()));
            }
        }
    }
    ops
}

fn served_operations() -> BTreeSet<(String, String)> {
    identity::http::route_table()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p))
        .collect()
}

#[test]
fn spec_and_routes_list_the_same_operations() {
    let spec = spec_operations();
    let served = served_operations();
    let undocumented: Vec<_> = served.difference(&spec).collect();
    let unserved: Vec<_> = spec.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in openapi.yaml: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "in openapi.yaml but not served: {unserved:?}"
    );
    assert_eq!(spec_version(), "3.1.0");
}

fn spec_version() -> String {
    spec()["openapi"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn every_documented_get_is_answered_by_its_handler_with_a_documented_status() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let spec = spec();
    for (method, path) in spec_operations() {
        if method != "GET" || path.contains('{') {
            continue;
        }
        let res = app.get(&path).await;
        let status = res.status().as_u16().to_string();
        let documented = &spec["paths"][path.as_str()]["get"]["responses"];
        assert!(
            documented.get(status.as_str()).is_some(),
            "GET {path} answered {status}, which openapi.yaml does not document"
        );
        if res.status() == 404 {
            let body: serde_json::Value = res.json().await.unwrap();
            assert_ne!(body["code"], "route_not_found", "GET {path} has no handler");
        }
    }
    app.stop().await;
}

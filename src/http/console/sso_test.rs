//! The console's "Test connection": starts a test through the admin API's domain function
//! (`POST /admin/v1/sso-connections/{id}/tests`), sends the admin's browser to its
//! one-time link, and shows the outcome it comes back to (`GET .../tests/{test}`): what
//! the IdP sent, the account sign-in would create or link, and the roles it would give.

use super::{ConsoleCaller, Frame};
use crate::http::browser::see_other;
use crate::http::csrf_form::CsrfForm;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::sso::connection_test;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde_json::Value;
use uuid::Uuid;

const PERMISSION: &str = "sso:write";

#[derive(Template)]
#[template(path = "console/sso_test.html")]
struct Outcome<'a> {
    frame: &'a Frame,
    title: &'a str,
    connection: Uuid,
    status: String,
    reason: String,
    /// (what, value) the IdP asserted about the person.
    facts: Vec<(&'static str, String)>,
    groups: Vec<String>,
    attributes: Vec<(String, String)>,
    account: &'static str,
    roles: Vec<String>,
    /// Matched roles beyond the reach of the admin who configured the connection.
    withheld: Vec<String>,
    /// (role, because) for each rule that matched.
    matches: Vec<(String, String)>,
}

fn strings(v: &Value) -> Vec<String> {
    let items = v.as_array().into_iter().flatten();
    items
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

fn account(v: &Value) -> &'static str {
    match v["account"]["result"].as_str() {
        Some("would_be_created") => "A new account would be created for this person.",
        Some("would_be_linked") => "This person's existing account would be linked to the IdP.",
        Some("already_linked") => "This IdP account is already linked to a person here.",
        _ => "",
    }
}

fn outcome(v: &Value, connection: Uuid, frame: &Frame) -> HttpResponse {
    let who = &v["identity"];
    let fact = |k: &str| who[k].as_str().unwrap_or("(not sent)").to_string();
    let facts = match who.is_object() {
        true => vec![
            ("Subject (NameID or sub)", fact("subject")),
            ("Email", fact("email")),
            ("Given name", fact("given_name")),
            ("Family name", fact("family_name")),
            (
                "Second factor at the IdP",
                if who["mfa"] == true { "yes" } else { "no" }.into(),
            ),
        ],
        false => Vec::new(),
    };
    let attributes = who["attributes"].as_object().into_iter().flatten();
    let matches = v["matches"].as_array().into_iter().flatten();
    let page = Outcome {
        frame,
        title: frame.title,
        connection,
        status: v["status"].as_str().unwrap_or_default().to_string(),
        reason: v["reason"].as_str().unwrap_or_default().to_string(),
        facts,
        groups: strings(&who["groups"]),
        attributes: attributes
            .map(|(k, vals)| (k.clone(), strings(vals).join(", ")))
            .collect(),
        account: account(v),
        roles: strings(&v["roles"]),
        withheld: strings(&v["withheld"]),
        matches: matches
            .map(|m| (text(&m["role"]), text(&m["because"])))
            .collect(),
    };
    frame.answer(StatusCode::OK, &page)
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// Starts a test and sends the browser to its link (and on to the IdP).
pub async fn start(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    _form: CsrfForm,
    state: web::Data<AppState>,
) -> HttpResponse {
    let who = allowed!(caller, PERMISSION);
    let (url, origin) = (&state.settings.server.public_url, ctx.origin());
    match connection_test::create(&state.act(who, &origin), url, *id).await {
        Ok(created) => see_other(&created.start_url),
        Err(e) => super::failed(e),
    }
}

pub async fn result(
    caller: ConsoleCaller,
    path: web::Path<(Uuid, Uuid)>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let who = allowed!(caller, PERMISSION);
    let (connection, test) = path.into_inner();
    match connection_test::view(&state.db, who.tenant, connection, test).await {
        Ok(v) => outcome(
            &v,
            connection,
            &Frame::new("Connection test", "Single sign-on"),
        ),
        Err(e) => super::failed(e),
    }
}

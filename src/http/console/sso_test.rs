//! The console's "Test connection": starts a test through the admin API's domain function
//! (`POST /admin/v1/sso-connections/{id}/tests`), sends the admin's browser to its
//! one-time link, and shows the outcome it comes back to (`GET .../tests/{test}`): what
//! the IdP sent, the account sign-in would create or link, and the roles it would give.

use super::{ConsoleCaller, Frame, Page};
use crate::http::browser::see_other;
use crate::http::csrf_form::CsrfForm;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::sso::connection_test;
use crate::sso::test_outcome::Outcome;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use uuid::Uuid;

const PERMISSION: &str = "sso:write";

#[derive(Template)]
#[template(path = "console/sso_test.html")]
struct ResultPage<'a> {
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

fn account(o: &Outcome) -> &'static str {
    match o.account.as_ref().map(|a| a.result.as_str()) {
        Some("would_be_created") => "A new account would be created for this person.",
        Some("would_be_linked") => "This person's existing account would be linked to the IdP.",
        Some("already_linked") => "This IdP account is already linked to a person here.",
        _ => "",
    }
}

fn outcome(o: &Outcome, connection: Uuid, frame: &Frame) -> HttpResponse {
    let sent = |v: Option<&String>| v.cloned().unwrap_or_else(|| "(not sent)".into());
    let facts = match &o.identity {
        Some(who) => vec![
            ("Subject (NameID or sub)", who.subject.clone()),
            ("Email", sent(who.email.as_ref())),
            ("Given name", sent(who.given_name.as_ref())),
            ("Family name", sent(who.family_name.as_ref())),
            (
                "Second factor at the IdP",
                if who.mfa { "yes" } else { "no" }.into(),
            ),
        ],
        None => Vec::new(),
    };
    let who = o.identity.as_ref();
    let page = ResultPage {
        frame,
        title: frame.title,
        connection,
        status: o.status.clone(),
        reason: o.reason.clone().unwrap_or_default(),
        facts,
        groups: who.map(|w| w.groups.clone()).unwrap_or_default(),
        attributes: who
            .map(|w| {
                w.attributes
                    .iter()
                    .map(|(k, v)| (k.clone(), v.join(", ")))
                    .collect()
            })
            .unwrap_or_default(),
        account: account(o),
        roles: o.roles.clone().unwrap_or_default(),
        withheld: o.withheld.clone().unwrap_or_default(),
        matches: o
            .matches
            .iter()
            .flatten()
            .map(|m| (m.role.clone(), m.because.clone()))
            .collect(),
    };
    frame.answer(StatusCode::OK, &page)
}

/// Starts a test and sends the browser to its link (and on to the IdP).
pub async fn start(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    _form: CsrfForm,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may(PERMISSION)?;
    let (url, origin) = (&state.settings.server.public_url, ctx.origin());
    let created = connection_test::create(&state.act(who, &origin), url, *id).await?;
    Ok(see_other(&created.start_url))
}

pub async fn result(
    caller: ConsoleCaller,
    path: web::Path<(Uuid, Uuid)>,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may(PERMISSION)?;
    let (connection, test) = path.into_inner();
    let found = connection_test::view(&state.db, who.tenant, connection, test).await?;
    let frame = Frame::new("Connection test", "Single sign-on");
    Ok(outcome(&found.outcome, connection, &frame))
}

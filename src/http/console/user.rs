//! The console's page for one person (the admin API's `GET /admin/v1/users/{id}` and its
//! sessions) and its actions: disable, enable, reset two-step verification, end a session,
//! set the roles given here, make a break-glass account; each under the admin API's
//! permission and reach rules.

use super::form::{Checkbox, TickedRoles};
use super::{ConsoleCaller, Frame, Page};
use crate::admin::permissions::{self, Deed};
use crate::admin::person_export;
use crate::admin::principal::Principal;
use crate::admin::user_actions::{self as actions, Act};
use crate::admin::users::{self, UserView};
use crate::auth::sessions::SessionView;
use crate::http::browser::json_download;
use crate::http::browser::see_other;
use crate::http::csrf_form::CsrfForm;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::ids::UserId;
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "console/user.html")]
struct Person<'a> {
    frame: &'a Frame,
    title: &'a str,
    user: &'a UserView,
    sessions: Option<Vec<SessionView>>,
    done: Option<&'a str>,
    /// Every role of the workspace, and whether it is given to the person here.
    all_roles: Vec<(String, bool)>,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// What each action says when it is done (the query names it; nothing else is shown).
fn done_text(key: Option<&str>) -> Option<&'static str> {
    Some(match key? {
        "disabled" => "Disabled: every session and API key of this person ended.",
        "enabled" => "Enabled: this person can sign in again.",
        "mfa-reset" => "Two-step verification reset: their authenticator app, recovery codes and passkeys were removed and their sessions ended; they set it up again at their next sign-in.",
        "session-ended" => "The session ended.",
        "roles-saved" => "Roles saved: they apply to this person's next token.",
        "exempt" => {
            "Now a break-glass account: the two-step verification rule does not apply to it."
        }
        "not-exempt" => "The two-step verification rule applies to this account again.",
        "created" => "Added. They got an email with a link to choose their password.",
        _ => return None,
    })
}

pub async fn show(
    caller: ConsoleCaller,
    id: web::Path<Uuid>,
    q: web::Query<Done>,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may("users:read")?;
    let user = users::get(&state.db, who, UserId(*id)).await?;
    let sessions = match who.require_for(Deed::ReadSessions) {
        Ok(()) => Some(actions::sessions(&state.db, who, user.id, chrono::Utc::now()).await?),
        Err(_) => None,
    };
    let roles = crate::admin::roles::list(&state.db, who).await?;
    let all_roles = roles
        .into_iter()
        .map(|r| {
            let given = user.direct_roles.contains(&r.name);
            (r.name, given)
        })
        .collect();
    let frame = Frame::new("Person", "Users");
    let done = done_text(q.done.as_deref());
    Ok(frame.answer(
        StatusCode::OK,
        &Person {
            frame: &frame,
            title: frame.title,
            user: &user,
            sessions,
            done,
            all_roles,
        },
    ))
}

/// What a form on the page asks for.
pub enum Action {
    Disable,
    Enable,
    ResetMfa,
    EndSession(Uuid),
    /// The roles given here, by name (the admin API's `PUT .../roles`).
    SetRoles(Vec<String>),
    /// A break-glass account outside the MFA rule, or not (`PUT .../mfa-exemption`).
    Exempt(bool),
}

async fn perform(
    act: &Act<'_>,
    id: UserId,
    action: Action,
) -> Result<&'static str, crate::error::AppError> {
    Ok(match action {
        Action::Disable => actions::disable(act, id).await.map(|_| "disabled")?,
        Action::Enable => actions::enable(act, id).await.map(|_| "enabled")?,
        Action::ResetMfa => actions::reset_mfa(act, id).await.map(|_| "mfa-reset")?,
        Action::EndSession(s) => actions::end_session(act, id, s)
            .await
            .map(|_| "session-ended")?,
        Action::SetRoles(names) => actions::set_roles(act, id, &names)
            .await
            .map(|_| "roles-saved")?,
        Action::Exempt(exempt) => actions::set_mfa_exemption(act, id, exempt).await.map(|_| {
            if exempt {
                "exempt"
            } else {
                "not-exempt"
            }
        })?,
    })
}

async fn answer(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: Uuid,
    action: Action,
    state: &AppState,
) -> Page {
    // The admin API's table: the same permissions for the same action.
    let needs = permissions::needs(match action {
        Action::Disable => Deed::DisableUser,
        Action::Enable => Deed::EnableUser,
        Action::ResetMfa => Deed::ResetMfa,
        Action::EndSession(_) => Deed::EndSession,
        Action::SetRoles(_) => Deed::SetRoles,
        Action::Exempt(_) => Deed::SetMfaExemption,
    });
    let mut who: &Principal = &caller.0;
    for permission in needs {
        who = caller.may(permission)?;
    }
    let origin = ctx.origin();
    let done = perform(&state.act(who, &origin), UserId(id), action).await?;
    Ok(see_other(&format!("/console/users/{id}?done={done}")))
}

pub async fn disable(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    _f: CsrfForm,
    state: web::Data<AppState>,
) -> Page {
    answer(caller, ctx, *id, Action::Disable, &state).await
}

pub async fn enable(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    _f: CsrfForm,
    state: web::Data<AppState>,
) -> Page {
    answer(caller, ctx, *id, Action::Enable, &state).await
}

pub async fn reset_mfa(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    _f: CsrfForm,
    state: web::Data<AppState>,
) -> Page {
    answer(caller, ctx, *id, Action::ResetMfa, &state).await
}

pub async fn end_session(
    caller: ConsoleCaller,
    ctx: RequestContext,
    ids: web::Path<(Uuid, Uuid)>,
    _f: CsrfForm,
    state: web::Data<AppState>,
) -> Page {
    let (id, session) = *ids;
    answer(caller, ctx, id, Action::EndSession(session), &state).await
}

/// The roles form: the roles ticked ([`TickedRoles`]).
pub async fn set_roles(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    CsrfForm(TickedRoles(names)): CsrfForm<TickedRoles>,
    state: web::Data<AppState>,
) -> Page {
    answer(caller, ctx, *id, Action::SetRoles(names), &state).await
}

/// The break-glass form: `exempt=true` ticked, or not.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ExemptForm {
    exempt: Checkbox,
}

/// Makes the account a break-glass account outside the MFA rule (`exempt=true`), or not.
pub async fn set_exemption(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    CsrfForm(form): CsrfForm<ExemptForm>,
    state: web::Data<AppState>,
) -> Page {
    answer(caller, ctx, *id, Action::Exempt(form.exempt.0), &state).await
}

/// The erase form: the person's email address, typed as confirmation.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct EraseForm {
    confirm: String,
}

/// "Erase": the account and every mention of the person in the audit chain.
pub async fn erase(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    CsrfForm(form): CsrfForm<EraseForm>,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may("users:write")?;
    let origin = ctx.origin();
    let act = state.act(who, &origin);
    actions::erase(&act, UserId(*id), Some(&form.confirm)).await?;
    Ok(see_other("/console/users"))
}

/// "Export data": the person's export as a JSON file (a POST: the export is audited, so
/// another site must not make a browser do it).
pub async fn export(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    _f: CsrfForm,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may("users:read")?;
    let origin = ctx.origin();
    let doc = person_export::export(&state.act(who, &origin), UserId(*id)).await?;
    Ok(json_download(&doc, &format!("person-{}.json", *id)))
}

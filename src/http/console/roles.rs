//! The console's Roles screen (the admin API's `/admin/v1/roles` and `/role-mappings`):
//! the roles, the group rules (add, remove) and the rules' dry run ("what would this person
//! get, and why").

use super::{ConsoleCaller, Frame, Page};
use crate::admin::role_mappings::{self, Matcher};
use crate::admin::roles::{self, RoleView};
use crate::authority::mapping_engine::Claims;
use crate::http::browser::see_other;
use crate::http::csrf_form::CsrfForm;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

pub struct RuleLine {
    id: Uuid,
    when: String,
    role: String,
}

#[derive(Template)]
#[template(path = "console/roles.html")]
struct Roles<'a> {
    frame: &'a Frame,
    title: &'a str,
    roles: Vec<RoleView>,
    rules: Vec<RuleLine>,
    tried_groups: String,
    /// The dry run: roles, and why each rule matched.
    result: Option<(Vec<String>, Vec<String>)>,
}

#[derive(Deserialize)]
pub struct Try {
    groups: Option<String>,
}

pub async fn show(caller: ConsoleCaller, q: web::Query<Try>, state: web::Data<AppState>) -> Page {
    let who = caller.may("roles:read")?;
    let roles = roles::list(&state.db, who).await?;
    let rules = role_mappings::list(&state.db, who.tenant).await?;
    let rules = rules
        .into_iter()
        .map(|r| {
            let when = match (&r.group, &r.attribute, &r.value) {
                (Some(g), _, _) => format!("member of the group \"{g}\""),
                (None, Some(a), Some(v)) => format!("attribute \"{a}\" is \"{v}\""),
                _ => "(unreadable rule)".into(),
            };
            RuleLine {
                id: r.id,
                when,
                role: r.role,
            }
        })
        .collect();
    let tried: Vec<String> = q
        .groups
        .as_deref()
        .unwrap_or("")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(1000)
        .map(str::to_string)
        .collect();
    let result = match q.groups.is_some() {
        false => None,
        true => match role_mappings::dry_run(
            &state.db,
            who.tenant,
            &Claims {
                groups: tried.clone(),
                ..Default::default()
            },
        )
        .await
        {
            Ok((roles, matches)) => Some((
                roles,
                matches
                    .into_iter()
                    .map(|m| format!("{}: {}", m.role, m.because))
                    .collect(),
            )),
            Err(e) => return Err(e.into()),
        },
    };
    let frame = Frame::new("Roles", "Roles");
    let page = Roles {
        frame: &frame,
        title: frame.title,
        roles,
        rules,
        tried_groups: tried.join("\n"),
        result,
    };
    Ok(frame.answer(StatusCode::OK, &page))
}

pub async fn add_rule(
    caller: ConsoleCaller,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm<GroupRule>,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may("roles:write")?;
    let origin = ctx.origin();
    let group = Matcher::Group(form.group.trim());
    role_mappings::create(&state.act(who, &origin), &group, &form.role).await?;
    Ok(see_other("/console/roles"))
}

/// A new rule from the roles page: people of IdP group `group` get `role`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct GroupRule {
    group: String,
    role: String,
}

pub async fn delete_rule(
    caller: ConsoleCaller,
    ctx: RequestContext,
    id: web::Path<Uuid>,
    _f: CsrfForm,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may("roles:write")?;
    role_mappings::delete(&state.act(who, &ctx.origin()), *id).await?;
    Ok(see_other("/console/roles"))
}

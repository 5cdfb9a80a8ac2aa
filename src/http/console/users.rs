//! The console's home and Users screen (the admin API's `GET /admin/v1/users`), and adding a
//! person (`POST /admin/v1/users`, then its password-reset link as their invitation).

use super::{ConsoleCaller, Frame, Page};
use crate::admin::users::{self, NewUserRequest, UserView};
use crate::http::browser::see_other;
use crate::http::csrf_form::CsrfForm;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::ids::UserId;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

const PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "console/home.html")]
struct Home<'a> {
    frame: &'a Frame,
    title: &'a str,
}

pub async fn overview(_caller: ConsoleCaller) -> HttpResponse {
    let frame = Frame::new("Your workspace", "");
    frame.answer(
        StatusCode::OK,
        &Home {
            frame: &frame,
            title: frame.title,
        },
    )
}

#[derive(Template)]
#[template(path = "console/users.html")]
struct List<'a> {
    frame: &'a Frame,
    title: &'a str,
    query: &'a str,
    users: &'a [UserView],
    next: Option<String>,
    /// The workspace's role names, for the "Add a person" form.
    roles: Vec<String>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    after: Option<Uuid>,
}

pub async fn list(
    caller: ConsoleCaller,
    q: web::Query<ListQuery>,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may("users:read")?;
    let query: String = q.q.as_deref().unwrap_or("").chars().take(200).collect();
    let people = users::list(&state.db, who, q.after.map(UserId), Some(&query), PAGE).await?;
    let next = (people.len() as i64 == PAGE).then(|| {
        let last = people
            .last()
            .map(|u| u.id.0.to_string())
            .unwrap_or_default();
        let pairs = [("q", query.as_str()), ("after", last.as_str())];
        format!(
            "/console/users?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    });
    let all = crate::admin::roles::list(&state.db, who).await?;
    let roles = all.into_iter().map(|r| r.name).collect();
    let frame = Frame::new("Users", "Users");
    let page = List {
        frame: &frame,
        title: frame.title,
        query: &query,
        users: &people,
        next,
        roles,
    };
    Ok(frame.answer(StatusCode::OK, &page))
}

/// Adds a person with the role chosen (if any) and emails them a link to choose their
/// password; on to their page.
pub async fn create(
    caller: ConsoleCaller,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm<NewPerson>,
    state: web::Data<AppState>,
) -> Page {
    let who = caller.may("users:write")?;
    let filled = |v: &str| Some(v.trim()).filter(|v| !v.is_empty()).map(str::to_string);
    let roles: Vec<String> = filled(&form.role).into_iter().collect();
    let display_name = filled(&form.display_name);
    let req = NewUserRequest {
        email: form.email.trim(),
        display_name: display_name.as_deref(),
        password: None,
        roles: &roles,
    };
    let origin = ctx.origin();
    let act = state.act(who, &origin);
    let user = users::create(&act, &state.passwords, req).await?;
    let url = &state.settings.server.public_url;
    crate::admin::user_actions::send_reset_link(&act, url, user.id).await?;
    Ok(see_other(&format!(
        "/console/users/{}?done=created",
        user.id
    )))
}

/// The "Add a person" form.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct NewPerson {
    email: String,
    display_name: String,
    /// One role to start with, or none.
    role: String,
}

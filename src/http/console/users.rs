//! The console's home and Users screen (the admin API's `GET /admin/v1/users`).

use super::{ConsoleCaller, Frame};
use crate::admin::users::{self, UserView};
use crate::ids::UserId;
use crate::state::AppState;
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
) -> HttpResponse {
    let who = match caller.with("users:read") {
        Ok(who) => who,
        Err(page) => return *page,
    };
    let query: String = q.q.as_deref().unwrap_or("").chars().take(200).collect();
    let found = users::list(&state.db, who, q.after.map(UserId), Some(&query), PAGE).await;
    let people = match found {
        Ok(p) => p,
        Err(e) => return super::failed(e),
    };
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
    let frame = Frame::new("Users", "Users");
    let page = List {
        frame: &frame,
        title: frame.title,
        query: &query,
        users: &people,
        next,
    };
    frame.answer(StatusCode::OK, &page)
}

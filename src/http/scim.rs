//! `/scim/v2`: discovery documents, Users and Groups for the workspace whose SCIM token
//! calls. Errors are SCIM error bodies; bodies are read up to the configured limit.

use super::request_context::RequestContext;
use crate::http::state::AppState;
use crate::ratelimit::Refusal;
use crate::scim::error::{ScimError, SCIM_JSON};
use crate::scim::refusals::{self, Attempt};
use crate::scim::resource::{list_response, ListParams};
use crate::scim::schema::{self, model};
use crate::scim::session::{Resource, Session, Write, Written};
use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use chrono::Utc;
use futures_util::StreamExt;
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

type Answer = Result<HttpResponse, ScimError>;

fn scim_json(status: actix_web::http::StatusCode, body: &Value) -> HttpResponse {
    let mut resp = HttpResponse::build(status);
    resp.content_type(SCIM_JSON);
    if let Some(etag) = body["meta"]["version"].as_str() {
        resp.insert_header((header::ETAG, etag.to_string()));
    }
    if status == actix_web::http::StatusCode::CREATED {
        if let Some(loc) = body["meta"]["location"].as_str() {
            resp.insert_header((header::LOCATION, loc.to_string()));
        }
    }
    resp.body(body.to_string())
}

fn ok(body: &Value) -> HttpResponse {
    scim_json(actix_web::http::StatusCode::OK, body)
}

/// One request against `budget`; refused when over it, and when the limiter cannot say.
async fn charge(
    state: &AppState,
    name: &str,
    subject: &str,
    budget: crate::config::Budget,
) -> Result<(), ScimError> {
    match state.limiter.admit_one(name, subject, budget).await {
        Ok(_) => Ok(()),
        Err(Refusal::Limited { retry_after_secs }) => {
            Err(ScimError::RateLimited { retry_after_secs })
        }
        Err(Refusal::Unavailable) => Err(ScimError::Unavailable),
    }
}

fn bearer(req: &HttpRequest) -> Result<String, ScimError> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 512)
        .map(str::to_string)
        .ok_or(ScimError::Unauthorized)
}

/// The calling SCIM client's session, within its per-IP and per-token budgets; a write
/// session (`write`) is a transaction, a read one a read session.
async fn client(req: &HttpRequest, state: &AppState, write: bool) -> Result<Session, ScimError> {
    let ip = req
        .extensions()
        .get::<RequestContext>()
        .and_then(|c| c.client_ip)
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "unknown".into());
    let limits = &state.settings.rate_limits;
    charge(state, "scim_ip", &ip, limits.scim_per_ip).await?;
    let bearer = bearer(req)?;
    let session = Session::open(&state.db, &bearer, write, Utc::now()).await?;
    let token = session.client().token.to_string();
    charge(state, "scim_token", &token, limits.scim_per_token).await?;
    Ok(session)
}

/// The JSON body, at most `server.max_body_bytes` long.
async fn body(mut payload: web::Payload, limit: usize) -> Result<Value, ScimError> {
    let mut buf = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ScimError::invalid_syntax("the body could not be read"))?;
        if buf.len() + chunk.len() > limit {
            return Err(ScimError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&buf)
        .map_err(|_| ScimError::invalid_syntax("the body is not valid JSON"))
}

fn base(state: &AppState) -> String {
    state
        .settings
        .server
        .public_url
        .trim_end_matches('/')
        .to_string()
}

fn if_match(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn resource_id(raw: &str) -> Result<Uuid, ScimError> {
    // Another workspace's id, or no id at all, is simply not found.
    Uuid::try_parse(raw).map_err(|_| ScimError::NotFound)
}

// ---- discovery ----

pub async fn service_provider_config() -> HttpResponse {
    let doc: Value = serde_json::from_str(schema::SERVICE_PROVIDER_CONFIG_DOC).unwrap_or_default();
    ok(&doc)
}

pub async fn schemas() -> Answer {
    let docs = model().documents.clone();
    let total = docs.len() as i64;
    Ok(ok(&list_response(docs, total, 1)))
}

pub async fn schema_by_id(id: web::Path<String>) -> Answer {
    model()
        .documents
        .iter()
        .find(|d| d["id"].as_str() == Some(id.as_str()))
        .map(ok)
        .ok_or(ScimError::NotFound)
}

fn resource_types() -> Vec<Value> {
    serde_json::from_str(schema::RESOURCE_TYPES_DOC).unwrap_or_default()
}

pub async fn resource_types_list() -> Answer {
    let types = resource_types();
    let total = types.len() as i64;
    Ok(ok(&list_response(types, total, 1)))
}

pub async fn resource_type_by_id(id: web::Path<String>) -> Answer {
    resource_types()
        .into_iter()
        .find(|d| d["id"].as_str() == Some(id.as_str()))
        .map(|d| ok(&d))
        .ok_or(ScimError::NotFound)
}

/// `POST /.search`: Users and Groups at once (RFC 7644 §3.4.3).
pub async fn root_search(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Answer {
    let params = search_params(payload, &state).await?;
    let session = client(&req, &state, false).await?;
    let (list, total) = session.search_all(&params, &base(&state)).await?;
    Ok(ok(&list_response(list, total, params.start_index)))
}

// ---- resources ----

type Res = Resource;

async fn do_list(state: &AppState, session: Session, params: ListParams, res: Res) -> Answer {
    let (list, total) = session.list(res, &params, &base(state)).await?;
    Ok(ok(&list_response(list, total, params.start_index)))
}

fn query_params(req: &HttpRequest) -> Result<ListParams, ScimError> {
    let pairs: HashMap<String, String> = serde_urlencoded::from_str(req.query_string())
        .map_err(|_| ScimError::invalid_syntax("the query string is malformed"))?;
    ListParams::from_pairs(|k| pairs.get(k).cloned())
}

async fn search_params(payload: web::Payload, state: &AppState) -> Result<ListParams, ScimError> {
    let b = body(payload, state.settings.server.max_body_bytes).await?;
    ListParams::from_pairs(|k| match b.get(k) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Array(a)) => Some(
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","),
        ),
        _ => None,
    })
}

async fn do_get(req: &HttpRequest, state: &AppState, id: &str, res: Res) -> Answer {
    let session = client(req, state, false).await?;
    let id = resource_id(id)?;
    let params = query_params(req)?;
    let mut r = session.get(res, id, &base(state)).await?;
    crate::scim::attrs::project(&mut r, &params.attributes, &params.excluded);
    Ok(ok(&r))
}

/// A write in one tenant transaction; `id` is None for a create.
async fn do_write(
    req: &HttpRequest,
    ctx: &RequestContext,
    state: &AppState,
    payload: Option<web::Payload>,
    id: Option<&str>,
    res: Res,
    method: &str,
) -> Answer {
    // The body first: no database connection waits on a slow client.
    let body = match payload {
        Some(p) => Some(body(p, state.settings.server.max_body_bytes).await?),
        None => None,
    };
    let session = client(req, state, true).await?;
    let id = id.map(resource_id).transpose()?;
    let b = body.unwrap_or(Value::Null);
    let op = match (method, id) {
        ("POST", None) => Write::Create(&b),
        ("PUT", Some(id)) => Write::Replace(id, &b),
        ("PATCH", Some(id)) => Write::Patch(id, &b),
        ("DELETE", Some(id)) => Write::Delete(id),
        _ => return Err(ScimError::NotFound),
    };
    let (origin, base, if_match) = (ctx.origin(), base(state), if_match(req));
    let written = Written {
        envelope: &state.envelope,
        origin: &origin,
        base: &base,
        if_match: if_match.as_deref(),
        now: Utc::now(),
    };
    let client = session.client().clone();
    let outcome = session.write(res, op, &written).await;
    if let Err(refused) = &outcome {
        let resource = match res {
            Res::Users => "Users",
            Res::Groups => "Groups",
        };
        let attempt = Attempt {
            method,
            resource,
            id,
        };
        let ctx = state.audit("anonymous", &origin, written.now);
        refusals::record(&state.db, &ctx, &client, &attempt, refused).await;
    }
    Ok(match outcome? {
        None => HttpResponse::NoContent().finish(),
        Some(r) if method == "POST" => scim_json(actix_web::http::StatusCode::CREATED, &r),
        Some(mut r) => {
            let params = query_params(req)?;
            crate::scim::attrs::project(&mut r, &params.attributes, &params.excluded);
            ok(&r)
        }
    })
}

macro_rules! handlers {
    ($res:expr, $list:ident, $search:ident, $create:ident, $get:ident, $put:ident, $patch:ident, $delete:ident) => {
        pub async fn $list(req: HttpRequest, state: web::Data<AppState>) -> Answer {
            let params = query_params(&req)?;
            let session = client(&req, &state, false).await?;
            do_list(&state, session, params, $res).await
        }
        pub async fn $search(
            req: HttpRequest,
            payload: web::Payload,
            state: web::Data<AppState>,
        ) -> Answer {
            let params = search_params(payload, &state).await?;
            let session = client(&req, &state, false).await?;
            do_list(&state, session, params, $res).await
        }
        pub async fn $create(
            req: HttpRequest,
            ctx: RequestContext,
            payload: web::Payload,
            state: web::Data<AppState>,
        ) -> Answer {
            do_write(&req, &ctx, &state, Some(payload), None, $res, "POST").await
        }
        pub async fn $get(
            req: HttpRequest,
            id: web::Path<String>,
            state: web::Data<AppState>,
        ) -> Answer {
            do_get(&req, &state, &id, $res).await
        }
        pub async fn $put(
            req: HttpRequest,
            ctx: RequestContext,
            id: web::Path<String>,
            payload: web::Payload,
            state: web::Data<AppState>,
        ) -> Answer {
            do_write(&req, &ctx, &state, Some(payload), Some(&id), $res, "PUT").await
        }
        pub async fn $patch(
            req: HttpRequest,
            ctx: RequestContext,
            id: web::Path<String>,
            payload: web::Payload,
            state: web::Data<AppState>,
        ) -> Answer {
            do_write(&req, &ctx, &state, Some(payload), Some(&id), $res, "PATCH").await
        }
        pub async fn $delete(
            req: HttpRequest,
            ctx: RequestContext,
            id: web::Path<String>,
            state: web::Data<AppState>,
        ) -> Answer {
            do_write(&req, &ctx, &state, None, Some(&id), $res, "DELETE").await
        }
    };
}

handlers!(
    Res::Users,
    list_users,
    search_users,
    create_user,
    get_user,
    put_user,
    patch_user,
    delete_user
);
handlers!(
    Res::Groups,
    list_groups,
    search_groups,
    create_group,
    get_group,
    put_group,
    patch_group,
    delete_group
);

/// Anything else under `/scim/v2`: a SCIM 404.
pub async fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&ScimError::NotFound)
}

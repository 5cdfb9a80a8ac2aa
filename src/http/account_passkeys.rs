//! A signed-in person's passkeys (`/account/passkeys`): the list, adding one (the script
//! asks for options, the browser creates the credential, the form posts it), removing one.
//! Adding and removing need a fresh sign-in, as the other factors do (re-authentication
//! with the password, and the app's code when one is set up).

use super::account_mfa::{fresh_session, is_fresh, status_of, with_csrf};
use super::browser_session::BrowserSession;
use super::csrf_form::CsrfForm;
use super::login_pages::{page_for, problem_for};
use super::pages::passkeys::{account, AccountPasskeys};
use super::passkey_signin::{ceremony_cookie, csrf_header, forget_ceremony, options_response};
use super::request_context::RequestContext;
use crate::audit::Context;
use crate::auth::sessions::ActiveSession;
use crate::crypto::random;
use crate::error::AppError;
use crate::http::state::AppState;
use crate::login::LoginError;
use crate::passkeys::account as mine;
use crate::passkeys::assertion::Parts;
use crate::passkeys::PasskeyError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use uuid::Uuid;

fn parts(state: &AppState) -> Result<Parts<'_>, PasskeyError> {
    Ok(Parts {
        db: &state.db,
        envelope: &state.envelope,
        webauthn: state.webauthn.as_deref().ok_or(PasskeyError::Off)?,
    })
}

/// The page, with a message after a change.
async fn page(
    state: &AppState,
    me: &ActiveSession,
    status: StatusCode,
    message: Result<&str, &str>,
) -> HttpResponse {
    if state.webauthn.is_none() {
        return page_for(&PasskeyError::Off.into());
    }
    let (list, factors) = match (mine::list(&state.db, me).await, status_of(state, me).await) {
        (Ok(list), Ok(factors)) => (list, factors),
        (Err(e), _) => return page_for(&e.into()),
        (_, Err(e)) => return page_for(&LoginError::Mfa(e)),
    };
    let csrf = random::token::<32>();
    let view = AccountPasskeys {
        title: "Passkeys",
        passkeys: &list,
        fresh: is_fresh(me, factors.enrolled),
        code: factors.enrolled,
        csrf: &csrf,
        error: message.err().filter(|m| !m.is_empty()),
        notice: message.ok().filter(|m| !m.is_empty()),
    };
    with_csrf(account(status, &view), csrf)
}

/// `GET /account/passkeys`
pub async fn show(BrowserSession(me): BrowserSession, state: web::Data<AppState>) -> HttpResponse {
    page(&state, &me, StatusCode::OK, Ok("")).await
}

/// `POST /account/passkeys/confirm`: re-authentication, then the page with its forms.
pub async fn confirm(
    ctx: RequestContext,
    CsrfForm(form): CsrfForm,
    BrowserSession(me): BrowserSession,
    state: web::Data<AppState>,
) -> HttpResponse {
    match fresh_session(me, form, &state, &ctx).await {
        Ok((me, _)) => page(&state, &me, StatusCode::OK, Ok("")).await,
        Err(refused) => refused,
    }
}

/// The session, when it is fresh enough to change passkeys.
async fn fresh(state: &AppState, me: &ActiveSession) -> Result<(), LoginError> {
    let factors = status_of(state, me).await.map_err(LoginError::Mfa)?;
    if is_fresh(me, factors.enrolled) {
        Ok(())
    } else {
        Err(LoginError::Passkey(PasskeyError::Expired))
    }
}

/// `POST /account/passkeys/options` (JSON)
pub async fn options(
    req: HttpRequest,
    BrowserSession(me): BrowserSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    csrf_header(&req)?;
    fresh(&state, &me).await.map_err(|_| AppError::Forbidden)?;
    let parts = parts(&state).map_err(|e| problem_for(e.into()))?;
    let (options, cookie) = mine::registration_options(&parts, &me, Utc::now())
        .await
        .map_err(|e| problem_for(e.into()))?;
    Ok(options_response(&options, cookie))
}

fn context<'a>(state: &'a AppState, actor: &'a str, ctx: &'a crate::audit::Origin) -> Context<'a> {
    Context {
        envelope: &state.envelope,
        actor,
        origin: ctx,
        now: Utc::now(),
    }
}

/// `POST /account/passkeys`: the new credential, with its name.
pub async fn add(
    req: HttpRequest,
    ctx: RequestContext,
    CsrfForm(form): CsrfForm,
    BrowserSession(me): BrowserSession,
    state: web::Data<AppState>,
) -> HttpResponse {
    if let Err(e) = fresh(&state, &me).await {
        return page_for(&e);
    }
    let (actor, origin) = (format!("user:{}", me.user), ctx.origin());
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let added = match parts(&state) {
        Ok(parts) => {
            let answer = (field("name"), field("credential"));
            let audit = context(&state, &actor, &origin);
            mine::register(&parts, &me, &ceremony_cookie(&req), answer, &audit).await
        }
        Err(e) => Err(e),
    };
    let mut resp = match added {
        Ok(_) => page(&state, &me, StatusCode::OK, Ok("Passkey added.")).await,
        Err(PasskeyError::Refused(reason)) => {
            tracing::info!(%reason, "a new passkey was refused");
            let message = Err("That passkey could not be added. Check its name and try again.");
            page(&state, &me, StatusCode::BAD_REQUEST, message).await
        }
        Err(e) => page_for(&e.into()),
    };
    forget_ceremony(&mut resp);
    resp
}

/// `POST /account/passkeys/{id}/remove`
pub async fn remove(
    ctx: RequestContext,
    id: web::Path<Uuid>,
    CsrfForm(_): CsrfForm,
    BrowserSession(me): BrowserSession,
    state: web::Data<AppState>,
) -> HttpResponse {
    if let Err(e) = fresh(&state, &me).await {
        return page_for(&e);
    }
    let (actor, origin) = (format!("user:{}", me.user), ctx.origin());
    let removed = match parts(&state) {
        Ok(parts) => mine::remove(&parts, &me, *id, &context(&state, &actor, &origin)).await,
        Err(e) => Err(e),
    };
    match removed {
        Ok(()) => page(&state, &me, StatusCode::OK, Ok("Passkey removed.")).await,
        Err(PasskeyError::Unknown) => {
            page(
                &state,
                &me,
                StatusCode::NOT_FOUND,
                Err("That passkey is not yours or is gone."),
            )
            .await
        }
        Err(e) => page_for(&e.into()),
    }
}

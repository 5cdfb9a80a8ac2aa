//! The start of a sign-in, from a validated authorization request: a browser whose session
//! meets the request gets its answer at once (a code, or the step it still lacks); with
//! `prompt=none` and no such session the client hears `login_required`; otherwise the
//! sign-in form, for the workspace the request names when it names one.

use super::first_step::{after_first_step, FirstStep, LoginError, Outcome, Ports};
use crate::audit::Origin;
use crate::auth::home_realm;
use crate::auth::sessions::{self, ActiveSession};
use crate::db::models::{tenants, users};
use crate::db::{Db, DbError};
use crate::ids::TenantId;
use crate::oidc::authorize::AuthRequest;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// (slug, display name) of a workspace, as the form shows it.
pub type Workspace = Option<(String, String)>;

pub enum Begin {
    /// The browser's session answers (a code for it, or the next page), finished.
    Answer(super::finish::Answer),
    /// `prompt=none`, and nobody suitable is signed in.
    LoginRequired,
    /// The sign-in form, for this workspace when known, with the login hint as email.
    ShowForm { workspace: Workspace, email: String },
}

/// The workspace of `tenant` as the form shows it.
pub async fn workspace(db: &Db, tenant: TenantId) -> Result<Workspace, LoginError> {
    let mut ptx = db.platform().await?;
    let found = tenants::get(&mut ptx, tenant).await?;
    ptx.commit().await?;
    Ok(found.map(|t| (t.slug, t.display_name)))
}

/// The request's session, when the cookie names a live one (a suspended workspace's
/// session signs nobody in: the form then says why).
async fn session_of(
    ports: &Ports<'_>,
    cookie: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<ActiveSession>, LoginError> {
    let Some(cookie) = cookie else {
        return Ok(None);
    };
    match sessions::resolve(ports.db, ports.sessions, cookie, now).await {
        Ok(found) => Ok(found),
        Err(DbError::TenantNotActive) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The workspace the request names: its client's, or its `tenant` parameter.
async fn wanted(ports: &Ports<'_>, auth: &AuthRequest) -> Result<Option<TenantId>, LoginError> {
    Ok(match (&auth.tenant_slug, auth.client.tenant_id) {
        (_, Some(t)) => Some(t),
        (Some(slug), None) => home_realm::tenant_by_slug(ports.db, slug).await?,
        (None, None) => None,
    })
}

/// What the request asks of an existing session.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub prompt: Option<&'a str>,
    pub max_age: Option<i64>,
    /// The workspace the request names (its client's, or its `tenant` parameter).
    pub wanted: Option<TenantId>,
}

/// How a request starts, decided without I/O.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// The session answers (a code, or the step it still lacks).
    UseSession,
    /// `prompt=none`: the client hears `login_required`.
    LoginRequired,
    /// The sign-in form.
    Form,
}

/// A session answers unless the request asks to sign in again (`prompt=login`), wants a
/// more recent sign-in (`max_age`) or names another workspace. A sign-in waiting for its
/// second factor has no session, so it never answers here, `prompt=none` included.
pub fn start(
    asked: &Asked<'_>,
    session: Option<(TenantId, DateTime<Utc>)>,
    now: DateTime<Utc>,
) -> Start {
    if let Some((tenant, auth_time)) = session {
        let fresh_enough = asked
            .max_age
            .is_none_or(|age| (now - auth_time).num_seconds() <= age);
        let same_tenant = asked.wanted.is_none_or(|t| t == tenant);
        if asked.prompt != Some("login") && fresh_enough && same_tenant {
            return Start::UseSession;
        }
    }
    if asked.prompt == Some("none") {
        Start::LoginRequired
    } else {
        Start::Form
    }
}

pub async fn begin(
    ports: &Ports<'_>,
    (auth, carried): (&AuthRequest, &HashMap<String, String>),
    session_cookie: Option<&str>,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Begin, LoginError> {
    let signed_in = session_of(ports, session_cookie, now).await?;
    let wanted = wanted(ports, auth).await?;
    let asked = Asked {
        prompt: auth.prompt.as_deref(),
        max_age: auth.max_age,
        wanted,
    };
    let facts = signed_in.as_ref().map(|s| (s.tenant, s.auth_time));
    match (start(&asked, facts, now), signed_in) {
        (Start::UseSession, Some(session)) => {
            let outcome = for_session(ports, (auth, carried), &session, origin, now).await?;
            let answer = super::finish::finish(ports, auth, outcome, now).await?;
            return Ok(Begin::Answer(answer));
        }
        (Start::LoginRequired, _) => return Ok(Begin::LoginRequired),
        _ => {}
    }
    let tenant = match (wanted, &auth.login_hint) {
        (Some(t), _) => Some(t),
        (None, Some(hint)) => home_realm::workspace_for(ports.db, "", hint)
            .await
            .unwrap_or(None),
        (None, None) => None,
    };
    let workspace = match tenant {
        Some(t) => workspace(ports.db, t).await?,
        None => None,
    };
    // A login hint of an SSO domain fills in the form but never hands off by itself: a
    // cross-site GET must not start a sign-in that an attacker's IdP could finish silently
    // (login CSRF). The person's submit (CSRF-checked) does.
    let email = auth.login_hint.clone().unwrap_or_default();
    Ok(Begin::ShowForm { workspace, email })
}

/// A signed-in browser: a code at once, unless the request (`acr_values`) or the
/// workspace's MFA rule needs a second factor the session has not passed. It keeps how it
/// first signed in (password, passkey or SSO).
async fn for_session(
    ports: &Ports<'_>,
    (auth, carried): (&AuthRequest, &HashMap<String, String>),
    session: &ActiveSession,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Outcome, LoginError> {
    let mut tx = ports.db.tenant_read(session.tenant).await?;
    let user = users::get(&mut tx, session.user).await?;
    tx.commit().await?;
    let step = FirstStep {
        tenant: session.tenant,
        user: &user,
        existing: Some(session),
        primary: &session.amr,
        wants_mfa: auth.wants_mfa,
        carried,
    };
    after_first_step(ports, &step, origin, now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn asked(prompt: Option<&str>, max_age: Option<i64>, wanted: Option<TenantId>) -> Asked<'_> {
        Asked {
            prompt,
            max_age,
            wanted,
        }
    }

    #[test]
    fn a_session_answers_unless_the_request_wants_a_new_sign_in() {
        let (now, t) = (Utc::now(), TenantId::new());
        let recent = Some((t, now - Duration::seconds(60)));
        assert_eq!(
            start(&asked(None, None, None), recent, now),
            Start::UseSession
        );
        assert_eq!(
            start(&asked(None, None, Some(t)), recent, now),
            Start::UseSession
        );
        assert_eq!(
            start(&asked(Some("login"), None, None), recent, now),
            Start::Form
        );
        assert_eq!(
            start(&asked(None, Some(30), None), recent, now),
            Start::Form
        );
        let other = Some(TenantId::new());
        assert_eq!(start(&asked(None, None, other), recent, now), Start::Form);
    }

    #[test]
    fn prompt_none_without_a_usable_session_is_login_required_never_a_code() {
        let (now, t) = (Utc::now(), TenantId::new());
        // A half-finished sign-in (second factor pending) has no session at all.
        assert_eq!(
            start(&asked(Some("none"), None, None), None, now),
            Start::LoginRequired
        );
        let old = Some((t, now - Duration::hours(2)));
        let none_fresh = asked(Some("none"), Some(60), None);
        assert_eq!(start(&none_fresh, old, now), Start::LoginRequired);
    }
}

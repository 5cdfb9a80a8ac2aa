//! The answer to the consent question: allowed, the consent is recorded (audited) and the
//! request starts again as if just sent, so every rule of [`super::begin`] (the MFA rule,
//! step-up, the workspace) holds for it; refused, the client hears `access_denied`.

use super::begin::{self, Begin};
use super::first_step::{LoginError, Ports};
use crate::audit::Origin;
use crate::auth::sessions;
use crate::oidc::authorize::{AuthRequest, AuthorizeError};
use crate::oidc::consent;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

pub async fn decide(
    ports: &Ports<'_>,
    (auth, carried): (&AuthRequest, &HashMap<String, String>),
    session_cookie: Option<&str>,
    allow: bool,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Begin, LoginError> {
    if !allow {
        return Err(LoginError::Authorize(AuthorizeError::Redirect {
            redirect_uri: auth.redirect_uri.clone(),
            state: auth.state.clone(),
            error: "access_denied",
            description: "the person did not allow this application",
        }));
    }
    let cookie = session_cookie.ok_or(LoginError::Expired)?;
    let me = sessions::resolve(ports.db, ports.sessions, cookie, now)
        .await?
        .ok_or(LoginError::Expired)?;
    if auth.client.tenant_id != Some(me.tenant) {
        return Err(LoginError::OtherWorkspace);
    }
    let request = (&auth.client, auth.scope.as_str());
    consent::grant(ports.db, ports.envelope, &me, request, origin, now)
        .await
        .map_err(|e| match e {
            crate::audit::AuditError::Db(e) => LoginError::from(e),
            e => LoginError::Unavailable(e.to_string()),
        })?;
    begin::begin(ports, (auth, carried), Some(cookie), origin, now).await
}

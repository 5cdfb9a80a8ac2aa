//! The identity provider returned (SAML or OIDC, already checked by [`crate::sso::flow`]):
//! the authorization request it carried is validated again, must be of the same workspace,
//! and the sign-in goes on as after any first factor (`fed`, with `mfa` when the IdP's
//! second factor counts).

use super::finish::{finish, Answer};
use super::first_step::{after_first_step, FirstStep, LoginError, Ports};
use crate::audit::Origin;
use crate::oidc::authorize::{self, AuthRequest};
use crate::sso::flow::Finished;
use chrono::{DateTime, Utc};

pub async fn returned(
    ports: &Ports<'_>,
    done: &Finished,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<(AuthRequest, Answer), LoginError> {
    let auth = authorize::validate(ports.db, &done.request)
        .await
        .map_err(LoginError::Authorize)?;
    if auth.client.tenant_id.is_some_and(|t| t != done.tenant) {
        return Err(LoginError::OtherWorkspace);
    }
    let step = FirstStep {
        tenant: done.tenant,
        user: &done.user,
        existing: None,
        primary: &done.amr,
        wants_mfa: auth.wants_mfa,
        carried: &done.request,
    };
    let outcome = after_first_step(ports, &step, origin, now).await?;
    let answer = finish(ports, &auth, outcome, now).await?;
    Ok((auth, answer))
}

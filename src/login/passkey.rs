//! The passkey steps of sign-in. Passwordless: the browser asks for options, the
//! authenticator answers with a discoverable credential, and that alone is the whole
//! sign-in (possession plus user verification: `hwk`/`swk` and `mfa`), after which the
//! same rule as every first step decides ([`super::after_first_step`]). As a second
//! factor: only the pending person's passkeys are asked for, bound to the pending sign-in.

use super::first_step::{after_first_step, FirstStep, LoginError, Ports};
use super::hand_off;
use crate::audit::Origin;
use crate::auth::home_realm::{self, Stage};
use crate::db::models::users;
use crate::ids::{TenantId, UserId};
use crate::passkeys::assertion::{self, Parts, Verified};
use crate::passkeys::ceremony::{self, Purpose};
use crate::passkeys::PasskeyError;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, PasskeyAuthentication, PublicKeyCredential,
    RequestChallengeResponse,
};

fn parts<'a>(ports: &Ports<'a>) -> Result<Parts<'a>, LoginError> {
    let webauthn = ports.webauthn.ok_or(PasskeyError::Off)?;
    Ok(Parts {
        db: ports.db,
        envelope: ports.envelope,
        webauthn,
    })
}

fn parse(answer: &str) -> Result<PublicKeyCredential, LoginError> {
    serde_json::from_str(answer)
        .map_err(|e| LoginError::Passkey(PasskeyError::Refused(format!("malformed answer: {e}"))))
}

/// Options for a passwordless sign-in, and the cookie that binds them to the browser.
pub async fn sign_in_options(
    ports: &Ports<'_>,
    now: DateTime<Utc>,
) -> Result<(RequestChallengeResponse, String), LoginError> {
    let parts = parts(ports)?;
    let (options, state) = assertion::sign_in_options(parts.webauthn)?;
    let cookie = ceremony::start(ports.db, Purpose::SignIn, "", &state, now).await?;
    Ok((options, cookie))
}

/// A passwordless sign-in's answer, with what the authorization request asks.
pub struct PasskeySignIn<'a> {
    /// The ceremony cookie of [`sign_in_options`].
    pub cookie: &'a str,
    /// The authenticator's answer, as the page posted it (JSON).
    pub answer: &'a str,
    /// The authorization request (its application's workspace, when it has one, is the
    /// only one whose passkeys count).
    pub auth: &'a crate::oidc::authorize::AuthRequest,
    pub carried: &'a HashMap<String, String>,
}

/// What a passwordless sign-in leads to.
pub enum PasskeyOutcome {
    /// The step after a first factor, as for a password, finished.
    Answer(super::finish::Answer),
    /// The person's domain must sign in with its identity provider: the hand-off, started.
    HandOff(super::hand_off::HandOff),
}

pub async fn sign_in(
    ports: &Ports<'_>,
    input: &PasskeySignIn<'_>,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<PasskeyOutcome, LoginError> {
    let parts = parts(ports)?;
    let answer = parse(input.answer)?;
    let state: DiscoverableAuthentication =
        ceremony::take(ports.db, input.cookie, Purpose::SignIn, "", now).await?;
    let verified = assertion::check_sign_in(&parts, &answer, state, origin, now).await?;
    if input
        .auth
        .client
        .tenant_id
        .is_some_and(|t| t != verified.tenant)
    {
        return Err(LoginError::OtherWorkspace);
    }
    let mut tx = ports.db.tenant_read(verified.tenant).await?;
    let user = users::get(&mut tx, verified.user).await?;
    let realm = home_realm::realm_in(&mut tx, &user.email).await?;
    tx.commit().await?;
    if user.status != "active" {
        return Err(PasskeyError::Unknown.into());
    }
    let (stage, carried) = (Stage::Proved, input.carried);
    if let Some(started) =
        hand_off::when_idp_takes(ports, realm.as_ref(), stage, carried, now).await?
    {
        return Ok(PasskeyOutcome::HandOff(started));
    }
    let step = FirstStep {
        tenant: verified.tenant,
        user: &user,
        existing: None,
        primary: &verified.methods,
        wants_mfa: input.auth.wants_mfa,
        carried: input.carried,
    };
    let outcome = after_first_step(ports, &step, origin, now).await?;
    let answer = super::finish::finish(ports, input.auth, outcome, now).await?;
    Ok(PasskeyOutcome::Answer(answer))
}

/// Options for a passkey as the second factor of the pending sign-in behind
/// `pending_cookie`, and the ceremony cookie bound to it.
pub async fn second_factor_options(
    ports: &Ports<'_>,
    (tenant, user): (TenantId, UserId),
    pending_cookie: &str,
    now: DateTime<Utc>,
) -> Result<(RequestChallengeResponse, String), LoginError> {
    let parts = parts(ports)?;
    let (options, state) = assertion::second_factor_options(&parts, tenant, user)
        .await?
        .ok_or(PasskeyError::Unknown)?;
    let cookie =
        ceremony::start(ports.db, Purpose::SecondFactor, pending_cookie, &state, now).await?;
    Ok((options, cookie))
}

/// Checks a passkey answer as the pending person's second factor; the methods it proved.
pub async fn second_factor(
    ports: &Ports<'_>,
    (tenant, user): (TenantId, UserId),
    (pending_cookie, ceremony_cookie): (&str, &str),
    answer: &str,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Verified, LoginError> {
    let parts = parts(ports)?;
    let answer = parse(answer)?;
    let state: PasskeyAuthentication = ceremony::take(
        ports.db,
        ceremony_cookie,
        Purpose::SecondFactor,
        pending_cookie,
        now,
    )
    .await?;
    let who = (tenant, user);
    Ok(assertion::check_second_factor(&parts, who, &answer, &state, origin, now).await?)
}

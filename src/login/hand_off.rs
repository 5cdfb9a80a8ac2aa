//! The hand-off to a workspace's identity provider, started here rather than by `http/`:
//! the SAML AuthnRequest or OIDC authorization request built and the sign-in in flight
//! stored ([`crate::sso::flow::start`]); `http/` sets the browser-binding cookie and shows
//! the page that moves on.

use super::first_step::{LoginError, Ports};
use crate::auth::home_realm::{self, Realm, Stage};
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use uuid::Uuid;

/// A started hand-off: where the browser goes, and the value binding the sign-in to it.
pub struct HandOff {
    pub redirect: String,
    pub browser: String,
}

/// Sends the person to `connection`'s IdP, to resume the authorization request `carried`.
pub async fn start(
    ports: &Ports<'_>,
    (tenant, connection): (TenantId, Uuid),
    carried: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> Result<HandOff, LoginError> {
    let (net, url) = (ports.idp_net, ports.public_url);
    let started = crate::sso::flow::start(ports.db, net, url, tenant, connection, carried, now)
        .await
        .map_err(LoginError::Sso)?;
    Ok(HandOff {
        redirect: started.redirect,
        browser: started.browser,
    })
}

/// The hand-off, started, when the SSO rule ([`home_realm::idp_for`]) gives the sign-in to
/// `realm`'s connection at this `stage`; `None` when the sign-in stays here.
pub async fn when_idp_takes(
    ports: &Ports<'_>,
    realm: Option<&Realm>,
    stage: Stage<'_>,
    carried: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> Result<Option<HandOff>, LoginError> {
    let (Some(connection), Some(r)) = (home_realm::idp_for(realm, stage), realm) else {
        return Ok(None);
    };
    Ok(Some(
        start(ports, (r.tenant, connection), carried, now).await?,
    ))
}

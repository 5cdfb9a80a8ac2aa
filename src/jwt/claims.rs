//! Claims of the access tokens this service issues (RFC 9068). Every field is required
//! on the way in, so a token missing any of them does not validate.

use serde::{Deserialize, Serialize};

/// `typ` header of access tokens.
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// `typ` header of ID tokens; never accepted where an access token is expected.
pub const ID_TOKEN_TYP: &str = "JWT";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    /// Exactly one audience: an array is refused by deserialisation.
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: String,
    pub client_id: String,
    pub scope: String,
    /// The tenant, for tenant-scoped tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<String>,
    /// The sign-in session the token belongs to; ending the session ends the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Role names in the tenant, for tokens that act for a person or an API key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// How the person signed in (`pwd`, `otp`), for tokens that act for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// The authentication context class the sign-in reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
}

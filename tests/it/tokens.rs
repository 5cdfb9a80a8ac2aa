//! Issued access tokens: verified by third-party libraries from the JWKS for each
//! algorithm, and every way of forging or misusing one is refused.

use crate::harness::{envelope, TestApp, TestDb};
use crate::support::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use identity::jwt::claims::{AccessClaims, ACCESS_TOKEN_TYP, ID_TOKEN_TYP};
use identity::jwt::sign::sign;
use identity::jwt::Alg;
use serde_json::{json, Value};

#[tokio::test]
async fn pyjwt_and_jose_verify_issued_tokens_for_every_algorithm() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let jwks = app.url("/.well-known/jwks.json");
    for alg in Alg::ALL {
        let c = platform_client(&pool, alg, &[API], None).await;
        let token = client_token(&app, &c, API).await;
        let (header, claims) = peek(&token);
        assert_eq!(header["alg"], alg.as_str());
        assert_eq!(header["typ"], "at+jwt");
        assert!(header["kid"].is_string());
        for claim in [
            "iss",
            "aud",
            "sub",
            "client_id",
            "scope",
            "exp",
            "iat",
            "nbf",
            "jti",
        ] {
            assert!(claims.get(claim).is_some(), "{alg}: missing {claim}");
        }
        assert_eq!(claims["aud"], API);
        assert_eq!(claims["iss"], ISSUER);

        let (ok, out) = pyjwt(&jwks, &token, ISSUER, API, alg.as_str());
        assert!(ok, "PyJWT refused a {alg} token: {out}");
        let (ok, out) = jose(&jwks, &token, ISSUER, API, alg.as_str());
        assert!(ok, "jose refused a {alg} token: {out}");
        assert!(out.contains(&c.id), "{out}");

        // The same libraries refuse it for another audience or issuer: iss and aud are strict.
        let (ok, _) = pyjwt(&jwks, &token, ISSUER, BILLING, alg.as_str());
        assert!(!ok, "PyJWT accepted a {alg} token for the wrong audience");
        let (ok, _) = jose(&jwks, &token, "https://evil.example", API, alg.as_str());
        assert!(!ok, "jose accepted a {alg} token from the wrong issuer");
    }
    app.stop().await;
}

/// A resource server (audience API) that introspects, and a way to sign arbitrary tokens
/// with the service's real EdDSA key.
struct Rig {
    app: TestApp,
    resource: TestClient,
    keys: identity::jwt::KeyStore,
    _db: TestDb,
}

async fn rig() -> Rig {
    let site = crate::browser::Site::build().start().await;
    let resource = platform_client(&site.pool, Alg::EdDSA, &[API], Some(API)).await;
    let keys = keystore(&site.pool, &envelope(&[1])).await;
    Rig {
        app: site.app,
        resource,
        keys,
        _db: site.db,
    }
}

impl Rig {
    fn claims(&self) -> AccessClaims {
        let now = chrono::Utc::now().timestamp();
        AccessClaims {
            iss: ISSUER.into(),
            sub: self.resource.id.clone(),
            aud: API.into(),
            exp: now + 300,
            iat: now,
            nbf: now,
            jti: format!("forged-{now}-{}", rand_suffix()),
            client_id: self.resource.id.clone(),
            scope: "crm.read".into(),
            tid: None,
            roles: None,
            sid: None,
            amr: None,
            acr: None,
        }
    }

    fn signer(&self) -> std::sync::Arc<identity::jwt::keys::Signer> {
        self.keys
            .current()
            .signer(Alg::EdDSA, chrono::Utc::now())
            .unwrap()
    }

    fn signed(&self, typ: &str, claims: &impl serde::Serialize) -> String {
        sign(&self.signer(), typ, claims).unwrap()
    }

    /// Header and payload exactly as given, signed with the real key.
    fn raw(&self, header: &Value, payload: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        );
        let sig = self.signer().sign(input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    fn header(&self) -> Value {
        json!({"alg": "EdDSA", "typ": "at+jwt", "kid": self.signer().kid()})
    }

    async fn active(&self, token: &str) -> bool {
        introspect(&self.app, &self.resource, token).await["active"] == true
    }

    async fn assert_rejected(&self, token: &str, what: &str) {
        assert!(!self.active(token).await, "{what} was accepted");
    }
}

fn rand_suffix() -> String {
    identity::crypto::random::token::<6>()
}

#[tokio::test]
async fn a_correctly_signed_token_with_correct_claims_is_active() {
    // The control for every forgery below: the forging rig itself produces valid tokens.
    let r = rig().await;
    assert!(r.active(&r.signed(ACCESS_TOKEN_TYP, &r.claims())).await);
    assert!(
        r.active(&r.raw(&r.header(), &serde_json::to_value(r.claims()).unwrap()))
            .await
    );
}

#[tokio::test]
async fn alg_none_is_rejected() {
    let r = rig().await;
    let header = json!({"alg": "none", "typ": "at+jwt", "kid": r.signer().kid()});
    let token = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(serde_json::to_string(&r.claims()).unwrap())
    );
    r.assert_rejected(&token, "alg none").await;
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_is_rejected() {
    let r = rig().await;
    let jwks: Value = r
        .app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let kid = r.signer().kid().to_string();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap()
        .clone();
    let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": kid});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(serde_json::to_string(&r.claims()).unwrap())
    );
    for secret in [
        URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap(),
        jwk.to_string().into_bytes(),
    ] {
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &secret);
        let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
        let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()));
        r.assert_rejected(&token, "HS256 with the public key as secret")
            .await;
    }
}

#[tokio::test]
async fn unknown_kid_is_rejected() {
    let r = rig().await;
    let mut header = r.header();
    header["kid"] = json!("not-a-published-kid");
    r.assert_rejected(
        &r.raw(&header, &serde_json::to_value(r.claims()).unwrap()),
        "unknown kid",
    )
    .await;
    let mut header = r.header();
    header.as_object_mut().unwrap().remove("kid");
    r.assert_rejected(
        &r.raw(&header, &serde_json::to_value(r.claims()).unwrap()),
        "missing kid",
    )
    .await;
}

#[tokio::test]
async fn wrong_audience_is_rejected() {
    let r = rig().await;
    let mut c = r.claims();
    c.aud = BILLING.into();
    r.assert_rejected(&r.signed(ACCESS_TOKEN_TYP, &c), "wrong aud")
        .await;
    // Several audiences including the right one: still not exactly one.
    let mut v = serde_json::to_value(r.claims()).unwrap();
    v["aud"] = json!([API, BILLING]);
    r.assert_rejected(&r.raw(&r.header(), &v), "aud array")
        .await;
}

#[tokio::test]
async fn wrong_issuer_is_rejected() {
    let r = rig().await;
    let mut c = r.claims();
    c.iss = "http://localhost:8080/".into();
    r.assert_rejected(
        &r.signed(ACCESS_TOKEN_TYP, &c),
        "issuer with trailing slash",
    )
    .await;
    c.iss = "https://evil.example".into();
    r.assert_rejected(&r.signed(ACCESS_TOKEN_TYP, &c), "foreign issuer")
        .await;
}

#[tokio::test]
async fn expired_token_is_rejected() {
    let r = rig().await;
    let mut c = r.claims();
    c.exp = chrono::Utc::now().timestamp() - 120;
    c.iat = c.exp - 300;
    c.nbf = c.iat;
    r.assert_rejected(&r.signed(ACCESS_TOKEN_TYP, &c), "expired")
        .await;
}

#[tokio::test]
async fn nbf_in_the_future_is_rejected() {
    let r = rig().await;
    let mut c = r.claims();
    c.nbf = chrono::Utc::now().timestamp() + 600;
    r.assert_rejected(&r.signed(ACCESS_TOKEN_TYP, &c), "nbf in the future")
        .await;
}

#[tokio::test]
async fn exp_as_a_string_is_rejected() {
    let r = rig().await;
    let mut v = serde_json::to_value(r.claims()).unwrap();
    v["exp"] = json!((chrono::Utc::now().timestamp() + 300).to_string());
    r.assert_rejected(&r.raw(&r.header(), &v), "exp as string")
        .await;
    let mut v = serde_json::to_value(r.claims()).unwrap();
    v.as_object_mut().unwrap().remove("exp");
    r.assert_rejected(&r.raw(&r.header(), &v), "no exp").await;
    let mut v = serde_json::to_value(r.claims()).unwrap();
    v.as_object_mut().unwrap().remove("sub");
    r.assert_rejected(&r.raw(&r.header(), &v), "no sub").await;
}

#[tokio::test]
async fn a_token_signed_by_a_removed_key_is_rejected() {
    let r = rig().await;
    let token = r.signed(ACCESS_TOKEN_TYP, &r.claims());
    assert!(r.active(&token).await);
    let removed = r.signer().kid().to_string();
    let pool = r._db.db();
    identity::jwt::rotation::revoke(&pool, &envelope(&[1]), &removed, "test", chrono::Utc::now())
        .await
        .unwrap();
    // Every instance drops the key within its refresh interval.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    while r.active(&token).await {
        assert!(
            std::time::Instant::now() < deadline,
            "token of a removed key still active"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let jwks: Value = r
        .app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !jwks.to_string().contains(&removed),
        "removed key still published"
    );
    // A fresh key took over at once: new tokens are signed by it and valid.
    let caller = platform_client(&pool, Alg::EdDSA, &[API], None).await;
    let fresh = client_token(&r.app, &caller, API).await;
    assert_ne!(peek(&fresh).0["kid"], removed.as_str());
    assert!(r.active(&fresh).await);
}

#[tokio::test]
async fn an_id_token_is_not_an_access_token() {
    let r = rig().await;
    r.assert_rejected(&r.signed(ID_TOKEN_TYP, &r.claims()), "typ JWT")
        .await;
    let mut header = r.header();
    header.as_object_mut().unwrap().remove("typ");
    r.assert_rejected(
        &r.raw(&header, &serde_json::to_value(r.claims()).unwrap()),
        "no typ",
    )
    .await;
}

#[tokio::test]
async fn jku_x5u_and_embedded_jwk_headers_are_never_trusted() {
    let r = rig().await;
    let claims = serde_json::to_value(r.claims()).unwrap();
    for (name, value) in [
        ("jku", json!("https://evil.example/jwks.json")),
        ("x5u", json!("https://evil.example/cert.pem")),
        (
            "jwk",
            json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}),
        ),
    ] {
        let mut header = r.header();
        header[name] = value;
        r.assert_rejected(&r.raw(&header, &claims), name).await;
    }
}

#[tokio::test]
async fn token_endpoint_errors_follow_rfc_6749() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let c = platform_client(&db.db(), Alg::EdDSA, &[API, BILLING], None).await;
    let check = |res: reqwest::Response, status: u16, error: &'static str| async move {
        assert_eq!(res.status(), status);
        assert_eq!(res.headers()["cache-control"], "no-store");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], error, "{body}");
    };
    let wrong = TestClient {
        id: c.id.clone(),
        secret: "ics_wrong".into(),
    };
    let res = token_response(
        &app,
        &wrong,
        &[("grant_type", "client_credentials"), ("audience", API)],
    )
    .await;
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic"));
    check(res, 401, "invalid_client").await;
    check(
        token_response(
            &app,
            &c,
            &[
                ("grant_type", "client_credentials"),
                ("audience", "https://other"),
            ],
        )
        .await,
        400,
        "invalid_target",
    )
    .await;
    check(
        token_response(&app, &c, &[("grant_type", "client_credentials")]).await,
        400,
        "invalid_target",
    )
    .await;
    check(
        token_response(
            &app,
            &c,
            &[
                ("grant_type", "client_credentials"),
                ("audience", API),
                ("scope", "admin"),
            ],
        )
        .await,
        400,
        "invalid_scope",
    )
    .await;
    check(
        token_response(&app, &c, &[("grant_type", "password")]).await,
        400,
        "unsupported_grant_type",
    )
    .await;
    check(
        token_response(
            &app,
            &c,
            &[
                ("grant_type", "client_credentials"),
                ("audience", API),
                ("audience", BILLING),
            ],
        )
        .await,
        400,
        "invalid_request",
    )
    .await;
    let json_body = app
        .http
        .post(app.url("/oauth2/token"))
        .basic_auth(&c.id, Some(&c.secret))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    check(json_body, 400, "invalid_request").await;
    // Both auth methods at once is ambiguous.
    let both = app
        .http
        .post(app.url("/oauth2/token"))
        .basic_auth(&c.id, Some(&c.secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("audience", API),
            ("client_id", &c.id),
            ("client_secret", &c.secret),
        ])
        .send()
        .await
        .unwrap();
    check(both, 400, "invalid_request").await;
    // client_secret_post works on its own.
    let post = app
        .http
        .post(app.url("/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("audience", API),
            ("client_id", &c.id),
            ("client_secret", &c.secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 200);
    let body: Value = post.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "crm.read crm.write");
    app.stop().await;
}

#[tokio::test]
async fn discovery_and_jwks_are_cacheable_with_etags() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let conf: Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(conf["issuer"], ISSUER);
    assert!(conf["jwks_uri"]
        .as_str()
        .unwrap()
        .ends_with("/.well-known/jwks.json"));
    let res = app.get("/.well-known/jwks.json").await;
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age=300"));
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let jwks: Value = res.json().await.unwrap();
    let algs: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["alg"].as_str().unwrap())
        .collect();
    for alg in ["EdDSA", "ES256", "RS256"] {
        assert!(algs.contains(&alg), "{algs:?}");
    }
    assert!(
        !jwks.to_string().contains("\"d\""),
        "private key material published"
    );
    let again = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    app.stop().await;
}

//! Authorization codes and refresh tokens at the domain level: single use, bound to client,
//! redirect URI and PKCE, reuse revokes what was issued; refresh rotation with family
//! revocation on reuse. (The HTTP flow around them comes with the sign-in pages.)

use crate::harness::{envelope, settle_audit, tenant, TestDb};
use identity::audit::Origin;
use identity::auth::sessions;
use identity::config::SessionSettings;
use identity::db::models::revocations;
use identity::db::Db;
use identity::ids::TenantId;
use identity::oidc::codes::{self, CodeError, CodeGrant};
use identity::oidc::refresh::{self, Family, RefreshError};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "https://crm.example/callback";

struct Fixture {
    _db: TestDb,
    pool: Db,
    tenant: TenantId,
    user: identity::ids::UserId,
    session: uuid::Uuid,
}

async fn fixture() -> Fixture {
    let db = TestDb::new().await;
    let pool = db.db();
    let t = tenant(&pool, &envelope(&[1]), "alpha").await;
    let mut tx = pool.tenant(t.tenant_id).await.unwrap();
    let settings = SessionSettings {
        idle_timeout_secs: 3600,
        absolute_timeout_secs: 86_400 * 40,
    };
    let (session, _) = sessions::start(
        &mut tx,
        &settings,
        t.admin_user_id,
        &["pwd".into()],
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    Fixture {
        pool,
        tenant: t.tenant_id,
        user: t.admin_user_id,
        session: session.id,
        _db: db,
    }
}

impl Fixture {
    async fn code(&self) -> String {
        let mut tx = self.pool.tenant(self.tenant).await.unwrap();
        let grant = CodeGrant {
            client_id: "crm-web",
            redirect_uri: REDIRECT,
            user: self.user,
            session: self.session,
            code_challenge: CHALLENGE,
            scope: "openid",
            nonce: Some("n-1"),
            auth_time: chrono::Utc::now(),
            amr: &["pwd".to_string()],
        };
        let code = codes::issue(&mut tx, &grant, chrono::Utc::now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        code
    }

    async fn redeem(
        &self,
        code: &str,
        client: &str,
        redirect: &str,
        verifier: &str,
        secs_later: i64,
    ) -> Result<codes::Redeemed, CodeError> {
        let tenant = codes::tenant_of(code).unwrap();
        assert_eq!(tenant, self.tenant);
        let mut tx = self.pool.tenant(tenant).await.unwrap();
        let now = chrono::Utc::now() + chrono::Duration::seconds(secs_later);
        let out = codes::redeem(&mut tx, code, client, redirect, verifier, now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        out
    }
}

#[tokio::test]
async fn a_code_works_once_and_its_reuse_revokes_what_it_issued() {
    let f = fixture().await;
    let code = f.code().await;
    assert!(code.starts_with("idc_"));
    let now = chrono::Utc::now();
    let mut tx = f.pool.tenant(f.tenant).await.unwrap();
    let redeemed = codes::redeem(&mut tx, &code, "crm-web", REDIRECT, VERIFIER, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(redeemed.nonce.as_deref(), Some("n-1"));
    // As the token endpoint will: a refresh family and an access token, recorded.
    let family = Family::start(
        "crm-web",
        redeemed.user,
        redeemed.session,
        &redeemed.scope,
        now,
    );
    let rt = refresh::issue(&mut tx, &family, now).await.unwrap();
    codes::record_issued(
        &mut tx,
        &redeemed,
        Some(family.id),
        "jti-first",
        now + chrono::Duration::minutes(15),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    assert_eq!(
        f.redeem(&code, "crm-web", REDIRECT, VERIFIER, 1)
            .await
            .unwrap_err(),
        CodeError::Reused
    );
    let mut tx = f.pool.tenant(f.tenant).await.unwrap();
    assert!(
        revocations::is_revoked(&mut tx, "jti-first").await.unwrap(),
        "access token of the first use still valid"
    );
    let env = envelope(&[1]);
    let spent = refresh::rotate(
        &mut tx,
        &env,
        &rt,
        "crm-web",
        &Origin::default(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(
        spent.unwrap_err(),
        RefreshError::Invalid,
        "refresh token of the first use still valid"
    );
}

#[tokio::test]
async fn codes_are_bound_to_client_redirect_uri_and_verifier_and_burn_on_failure() {
    let f = fixture().await;
    for (client, redirect, verifier, expected) in [
        ("crm-admin", REDIRECT, VERIFIER, CodeError::WrongClient),
        (
            "crm-web",
            "https://crm.example/callback/extra",
            VERIFIER,
            CodeError::WrongRedirect,
        ),
        (
            "crm-web",
            "https://crm.example:8443/callback",
            VERIFIER,
            CodeError::WrongRedirect,
        ),
        (
            "crm-web",
            REDIRECT,
            "wrong-verifier-wrong-verifier-wrong-verifier-x",
            CodeError::WrongVerifier,
        ),
        ("crm-web", REDIRECT, CHALLENGE, CodeError::WrongVerifier),
    ] {
        let code = f.code().await;
        assert_eq!(
            f.redeem(&code, client, redirect, verifier, 0)
                .await
                .unwrap_err(),
            expected
        );
        // A failed attempt spends the code: the right values no longer help.
        assert_eq!(
            f.redeem(&code, "crm-web", REDIRECT, VERIFIER, 0)
                .await
                .unwrap_err(),
            CodeError::Reused
        );
    }
    let code = f.code().await;
    assert_eq!(
        f.redeem(&code, "crm-web", REDIRECT, VERIFIER, 61)
            .await
            .unwrap_err(),
        CodeError::Expired
    );
    let forged = format!("{}{}", &code[..26], "A".repeat(43));
    assert_eq!(
        f.redeem(&forged, "crm-web", REDIRECT, VERIFIER, 0)
            .await
            .unwrap_err(),
        CodeError::Unknown
    );
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family_and_ends_the_session() {
    let f = fixture().await;
    let env = envelope(&[1]);
    let now = chrono::Utc::now();
    let family = Family::start("crm-web", f.user, f.session, "openid offline_access", now);
    let mut tx = f.pool.tenant(f.tenant).await.unwrap();
    let first = refresh::issue(&mut tx, &family, now).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(refresh::tenant_of(&first), Some(f.tenant));

    let rotate = |token: String, client: &'static str, later: chrono::Duration| {
        let pool = f.pool.clone();
        let env = env.clone();
        let tenant = f.tenant;
        async move {
            let mut tx = pool.tenant(tenant).await.unwrap();
            let out = refresh::rotate(
                &mut tx,
                &env,
                &token,
                client,
                &Origin::default(),
                chrono::Utc::now() + later,
            )
            .await
            .unwrap();
            let next = match &out {
                Ok(family) => Some(
                    refresh::issue(&mut tx, family, chrono::Utc::now() + later)
                        .await
                        .unwrap(),
                ),
                Err(_) => None,
            };
            tx.commit().await.unwrap();
            out.map(|_| next.unwrap())
        }
    };
    let zero = chrono::Duration::zero();
    assert_eq!(
        rotate(first.clone(), "crm-admin", zero).await.unwrap_err(),
        RefreshError::Invalid,
        "another client's token"
    );
    let second = rotate(first.clone(), "crm-web", zero).await.unwrap();
    let third = rotate(second.clone(), "crm-web", zero).await.unwrap();
    // The first token again: stolen or replayed. Everything in the family dies, and so does the session.
    assert_eq!(
        rotate(first, "crm-web", zero).await.unwrap_err(),
        RefreshError::Reused
    );
    assert_eq!(
        rotate(third, "crm-web", zero).await.unwrap_err(),
        RefreshError::Invalid
    );
    let mut tx = f.pool.tenant(f.tenant).await.unwrap();
    assert!(
        sessions::list(&mut tx, f.user, chrono::Utc::now())
            .await
            .unwrap()
            .is_empty(),
        "session not ended"
    );
    settle_audit(&f.pool).await;
    let rows = identity::db::models::audit::page(&mut tx, 0, None, 1000)
        .await
        .unwrap();
    assert!(rows
        .iter()
        .any(|r| r.action == "session.ended"
            && r.details.to_string().contains("refresh_token_reused")));
}

#[tokio::test]
async fn a_refresh_family_ends_30_days_after_sign_in() {
    let f = fixture().await;
    let env = envelope(&[1]);
    let now = chrono::Utc::now();
    let family = Family::start("crm-web", f.user, f.session, "openid", now);
    let mut tx = f.pool.tenant(f.tenant).await.unwrap();
    let token = refresh::issue(&mut tx, &family, now).await.unwrap();
    let later = now + chrono::Duration::days(30) + chrono::Duration::seconds(1);
    let out = refresh::rotate(&mut tx, &env, &token, "crm-web", &Origin::default(), later)
        .await
        .unwrap();
    assert_eq!(out.unwrap_err(), RefreshError::Invalid);
}

//! A workspace found from the email's domain: the operator claims a domain for a workspace,
//! sign-in without a workspace name lands there; a domain belongs to one workspace only, and
//! the discovery policy shows the named domain's claim and nothing else.

use crate::browser::{authorize_url, cookies, hidden_fields, query_of, PASSWORD};
use crate::browser::{Reached, Site};
use crate::harness::{envelope, run_cli, tenant};

impl Site {
    /// The sign-in form without a workspace parameter, posted with an empty workspace.
    async fn sign_in_by_domain(&self, hint: &str, email: &str) -> reqwest::Response {
        let page = self
            .get(
                &authorize_url(&[("tenant", ""), ("login_hint", hint)]),
                None,
            )
            .await;
        assert_eq!(page.status(), 200);
        let csrf = cookies(page.headers())
            .into_iter()
            .find(|c| c.0 == "__Host-identity-csrf")
            .unwrap()
            .1;
        let mut form = hidden_fields(&page.text().await.unwrap());
        form.retain(|(k, _)| k != "workspace");
        form.push(("workspace".into(), String::new()));
        form.push(("email".into(), email.into()));
        form.push(("password".into(), PASSWORD.into()));
        self.app
            .http
            .post(self.app.url("/signin"))
            .header("cookie", format!("__Host-identity-csrf={csrf}"))
            .form(&form)
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_claimed_domain_finds_the_workspace_and_an_unclaimed_one_asks_for_it() {
    let r = Site::start(Reached::ByAddress).await;
    let env = r.db.env();

    let unclaimed = r
        .sign_in_by_domain("admin@alpha.example", "admin@alpha.example")
        .await;
    assert_eq!(unclaimed.status(), 400);
    let html = unclaimed.text().await.unwrap();
    assert!(
        html.contains("no workspace is registered for that email"),
        "{html}"
    );

    let (code, out, err) = run_cli(
        &env,
        &[
            "domains",
            "claim",
            "--tenant",
            "alpha",
            "--domain",
            "Alpha.Example",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("claimed alpha.example"), "{out}");

    let page = r
        .get(
            &authorize_url(&[("tenant", ""), ("login_hint", "admin@alpha.example")]),
            None,
        )
        .await;
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Workspace <strong>alpha</strong>"),
        "the hint's domain names the workspace: {html}"
    );

    let res = r.sign_in_by_domain("", "Admin@ALPHA.example").await;
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap();
    assert!(query_of(location).contains_key("code"), "{location}");

    let (code, out, _) = run_cli(
        &env,
        &["domains", "list", "--tenant", "alpha", "--json"],
        None,
    );
    assert_eq!(code, 0);
    assert_eq!(out.trim(), r#"["alpha.example"]"#);

    let (code, _, err) = run_cli(
        &env,
        &[
            "domains",
            "release",
            "--tenant",
            "alpha",
            "--domain",
            "alpha.example",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let res = r.sign_in_by_domain("", "admin@alpha.example").await;
    assert_eq!(res.status(), 400, "a released domain no longer routes");
}

#[tokio::test]
async fn a_domain_belongs_to_one_workspace_and_discovery_reveals_only_the_named_claim() {
    let r = Site::start(Reached::ByAddress).await;
    let env = r.db.env();
    tenant(&r.db.db(), &envelope(&[1]), "beta").await;
    for (slug, domain) in [("alpha", "alpha.example"), ("beta", "beta.example")] {
        let (code, _, err) = run_cli(
            &env,
            &["domains", "claim", "--tenant", slug, "--domain", domain],
            None,
        );
        assert_eq!(code, 0, "{err}");
    }
    let (code, _, err) = run_cli(
        &env,
        &[
            "domains",
            "claim",
            "--tenant",
            "beta",
            "--domain",
            "alpha.example",
        ],
        None,
    );
    assert_ne!(code, 0, "a second workspace cannot take a claimed domain");
    assert!(err.contains("another workspace"), "{err}");

    // beta's admin cannot sign in through alpha's domain.
    let res = r.sign_in_by_domain("", "admin@beta.example").await;
    assert_eq!(res.status(), 303, "beta's own domain routes to beta");
    let res = r.sign_in_by_domain("", "admin@alpha.example").await;
    assert_eq!(res.status(), 303);

    let app = r.db.app().await;
    let count = |sql: &'static str| {
        let app = &app;
        async move {
            app.batch_execute(sql).await.unwrap();
            let n: i64 = app
                .query_one("SELECT count(*) FROM tenant_domains", &[])
                .await
                .unwrap()
                .get(0);
            app.batch_execute("COMMIT").await.unwrap();
            n
        }
    };
    assert_eq!(count("BEGIN").await, 0, "no tenant, no lookup: nothing");
    assert_eq!(
        count("BEGIN; SELECT set_config('app.domain_lookup', 'alpha.example', true)").await,
        1,
        "the named domain's claim only"
    );
    assert_eq!(
        count("BEGIN; SELECT set_config('app.domain_lookup', '', true)").await,
        0
    );
    app.batch_execute("BEGIN; SELECT set_config('app.domain_lookup', 'alpha.example', true)")
        .await
        .unwrap();
    let changed = app
        .execute(
            "UPDATE tenant_domains SET domain = 'evil.example' WHERE domain = 'alpha.example'",
            &[],
        )
        .await
        .unwrap();
    let deleted = app
        .execute("DELETE FROM tenant_domains", &[])
        .await
        .unwrap();
    app.batch_execute("COMMIT").await.unwrap();
    assert_eq!((changed, deleted), (0, 0), "discovery is read only");
}

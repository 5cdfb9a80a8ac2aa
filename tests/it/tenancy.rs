//! Tenant isolation, both layers: row-level security seen through raw SQL as the runtime
//! role, and the application-layer tenant filter with row-level security switched off.

use crate::catalog::TENANT_TABLES_SQL;
use crate::harness::{envelope, tenant, TestDb};
use identity::db::models::{roles, users};
use identity::db::DbError;

#[tokio::test]
async fn runtime_role_sees_nothing_without_a_tenant_and_only_its_tenant_with_one() {
    let db = TestDb::new().await;
    let pool = db.db();
    let env = envelope(&[1]);
    let a = tenant(&pool, &env, "alpha").await;
    let b = tenant(&pool, &env, "bravo").await;
    let tables: Vec<String> = db
        .owner()
        .await
        .query(TENANT_TABLES_SQL, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();

    let app = db.app().await;
    for t in &tables {
        let n: i64 = app
            .query_one(&format!("SELECT count(*) FROM {t}"), &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 0, "{t} visible with no tenant set");
    }

    app.batch_execute("BEGIN").await.unwrap();
    app.execute(
        "SELECT set_config('app.tenant_id', $1, true)",
        &[&a.tenant_id.to_string()],
    )
    .await
    .unwrap();
    let mut seen_own = 0;
    for t in &tables {
        let own: i64 = app
            .query_one(&format!("SELECT count(*) FROM {t}"), &[])
            .await
            .unwrap()
            .get(0);
        let other: i64 = app
            .query_one(
                &format!("SELECT count(*) FROM {t} WHERE tenant_id = $1::text::uuid"),
                &[&b.tenant_id.to_string()],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(other, 0, "{t}: tenant B's rows visible to tenant A");
        seen_own += own;
    }
    assert!(seen_own > 0, "tenant A should see its own rows");

    // Writing B's rows from A's transaction fails or touches nothing.
    let b_id = b.tenant_id.to_string();
    let err = app
        .execute(
            "INSERT INTO users (id, tenant_id, email) VALUES (gen_random_uuid(), $1::text::uuid, 'x@evil.example')",
            &[&b_id],
        )
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("row-level security"), "{err:?}");
    app.batch_execute("ROLLBACK").await.unwrap();

    app.batch_execute("BEGIN").await.unwrap();
    app.execute(
        "SELECT set_config('app.tenant_id', $1, true)",
        &[&a.tenant_id.to_string()],
    )
    .await
    .unwrap();
    let moved = app
        .execute("UPDATE users SET tenant_id = $1::text::uuid", &[&b_id])
        .await
        .unwrap_err();
    assert!(
        format!("{moved:?}").contains("row-level security"),
        "{moved:?}"
    );
    app.batch_execute("ROLLBACK").await.unwrap();

    app.batch_execute("BEGIN").await.unwrap();
    app.execute(
        "SELECT set_config('app.tenant_id', $1, true)",
        &[&a.tenant_id.to_string()],
    )
    .await
    .unwrap();
    let touched = app
        .execute(
            "UPDATE users SET display_name = 'pwned' WHERE tenant_id = $1::text::uuid",
            &[&b_id],
        )
        .await
        .unwrap();
    assert_eq!(touched, 0);
    let deleted = app
        .execute(
            "DELETE FROM roles WHERE tenant_id = $1::text::uuid",
            &[&b_id],
        )
        .await
        .unwrap();
    assert_eq!(deleted, 0);
    app.batch_execute("COMMIT").await.unwrap();

    // After the transaction the setting is gone: '' must read as "no tenant", not an error.
    let n: i64 = app
        .query_one("SELECT count(*) FROM users", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn model_functions_filter_on_the_tenant_even_without_rls() {
    let db = TestDb::new().await;
    let pool = db.db();
    let env = envelope(&[1]);
    let a = tenant(&pool, &env, "alpha").await;
    let b = tenant(&pool, &env, "bravo").await;
    // Simulate a dropped policy: the application layer alone must still hold.
    let owner = db.owner().await;
    for t in ["users", "roles", "user_roles"] {
        owner
            .batch_execute(&format!("ALTER TABLE {t} DISABLE ROW LEVEL SECURITY"))
            .await
            .unwrap();
    }
    let mut tx = pool.tenant(a.tenant_id).await.unwrap();
    assert!(matches!(
        users::get(&mut tx, b.admin_user_id).await,
        Err(DbError::NotFound)
    ));
    assert!(users::find_by_email(&mut tx, "admin@bravo.example")
        .await
        .unwrap()
        .is_none());
    assert_eq!(users::count(&mut tx).await.unwrap(), 1);
    assert!(roles::direct_for_user(&mut tx, b.admin_user_id)
        .await
        .unwrap()
        .is_empty());
    let a_roles = roles::direct_for_user(&mut tx, a.admin_user_id)
        .await
        .unwrap();
    assert_eq!(
        a_roles.into_iter().map(|r| r.name).collect::<Vec<_>>(),
        vec!["admin"]
    );
    // A grant across tenants is refused by the composite foreign keys.
    let b_role = {
        let mut btx = pool.tenant(b.tenant_id).await.unwrap();
        let r = roles::find_by_name(&mut btx, "viewer")
            .await
            .unwrap()
            .unwrap();
        btx.commit().await.unwrap();
        r
    };
    assert!(roles::grant(&mut tx, a.admin_user_id, b_role.id)
        .await
        .is_err());
}

#[tokio::test]
async fn email_is_unique_per_tenant_ignoring_case() {
    let db = TestDb::new().await;
    let pool = db.db();
    let env = envelope(&[1]);
    let a = tenant(&pool, &env, "alpha").await;
    let b = tenant(&pool, &env, "bravo").await;
    let new = |email| users::NewUser {
        email,
        display_name: None,
        password_hash: None,
    };
    let mut tx = pool.tenant(a.tenant_id).await.unwrap();
    let err = users::insert(&mut tx, &new("ADMIN@Alpha.Example"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DbError::Conflict("a user with this email already exists")
        ),
        "{err:?}"
    );
    drop(tx);
    let mut tx = pool.tenant(b.tenant_id).await.unwrap();
    users::insert(&mut tx, &new("admin@alpha.example"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_tenant_left_on_a_pooled_connection_never_leaks_into_the_next_use() {
    let db = TestDb::new().await;
    let env = envelope(&[1]);
    let setup = db.db();
    let a = tenant(&setup, &env, "alpha").await;
    let b = tenant(&setup, &env, "bravo").await;
    // One connection, so every use below gets the one the previous use left behind.
    let pool = identity::db::Db::connect(&identity::db::PoolSettings {
        url: db.app_url().into(),
        keys_url: db.keys_app_url().into(),
        max_size: 1,
        acquire_timeout: std::time::Duration::from_secs(5),
    })
    .unwrap()
    .with_cipher(std::sync::Arc::new(env.clone()));
    let mut read = pool.tenant_read(a.tenant_id).await.unwrap();
    assert_eq!(users::count(&mut read).await.unwrap(), 1);
    read.commit().await.unwrap();
    // A platform transaction clears the tenant on the same connection and still works.
    let mut ptx = pool.platform().await.unwrap();
    let tenants = identity::db::models::tenants::list(&mut ptx).await.unwrap();
    assert!(tenants.len() >= 3);
    drop(ptx);
    let mut read = pool.tenant_read(b.tenant_id).await.unwrap();
    assert!(users::get(&mut read, a.admin_user_id).await.is_err());
    assert!(users::get(&mut read, b.admin_user_id).await.is_ok());
    read.commit().await.unwrap();
    // A transaction dropped half-way is not reused: the next use starts clean.
    let mut tx = pool.tenant(a.tenant_id).await.unwrap();
    users::insert(
        &mut tx,
        &users::NewUser {
            email: "ghost@alpha.example",
            display_name: None,
            password_hash: None,
        },
    )
    .await
    .unwrap();
    drop(tx);
    let mut read = pool.tenant_read(a.tenant_id).await.unwrap();
    assert!(
        users::find_by_email(&mut read, "ghost@alpha.example")
            .await
            .unwrap()
            .is_none(),
        "uncommitted insert survived"
    );
    read.commit().await.unwrap();
    // A platform transaction really has no tenant: raw count through the same pool's role.
    let app = db.app().await;
    app.execute(
        "SELECT set_config('app.tenant_id', $1, false)",
        &[&a.tenant_id.to_string()],
    )
    .await
    .unwrap();
    let n: i64 = app
        .query_one("SELECT count(*) FROM users", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1, "a session setting scopes reads to that tenant");
}

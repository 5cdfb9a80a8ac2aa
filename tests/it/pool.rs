//! The connection pool: a pooled connection serves any runtime, whatever the runtime that
//! opened it is doing (see `src/db/driver.rs`).

use crate::harness::TestDb;
use std::time::Duration;

#[tokio::test(flavor = "current_thread")]
async fn a_connection_opened_here_serves_another_runtime_while_this_one_is_blocked() {
    let db = TestDb::new().await;
    let pool = db.db();
    // Opens a connection from this runtime and returns it to the pool.
    pool.ping().await.unwrap();
    let other = pool.clone();
    let elsewhere = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async { tokio::time::timeout(Duration::from_secs(3), other.ping()).await })
    });
    // This runtime now blocks (as a test does while an external client calls the service).
    let answer = elsewhere.join().unwrap();
    assert!(
        matches!(answer, Ok(Ok(()))),
        "the pooled connection stalled while the runtime that opened it was blocked"
    );
}

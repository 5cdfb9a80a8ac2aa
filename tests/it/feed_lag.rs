//! Heartbeats per instance: two instances share one PostgreSQL; the one whose change-feed
//! connection is made to lag (a proxy that holds back what the server sends it) stops
//! trusting its memory within the feed's bound, while the other keeps serving from memory.
//! Before heartbeats carried an instance nonce, the older instance's pings (a larger
//! counter) arriving on the lagging connection counted as its own echo, and it stayed
//! trusted however far behind it was.

use crate::harness::{host_port, TestApp, TestDb};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A TCP proxy to `upstream` that delays everything the server sends by `delay_ms`.
struct LaggingProxy {
    port: u16,
    delay_ms: Arc<AtomicU64>,
}

impl LaggingProxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let delay_ms = Arc::new(AtomicU64::new(0));
        let delay = delay_ms.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                tokio::spawn(pipe(client, server, delay.clone()));
            }
        });
        LaggingProxy { port, delay_ms }
    }
}

/// Client to server at once; server to client each chunk held for the current delay,
/// in order.
async fn pipe(client: TcpStream, server: TcpStream, delay: Arc<AtomicU64>) {
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    tokio::spawn(async move { tokio::io::copy(&mut cr, &mut sw).await });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        while let Ok(n) = sr.read(&mut buf).await {
            if n == 0 || tx.send((Instant::now(), buf[..n].to_vec())).is_err() {
                break;
            }
        }
    });
    while let Some((at, bytes)) = rx.recv().await {
        let due = at + Duration::from_millis(delay.load(Ordering::Acquire));
        tokio::time::sleep_until(due.into()).await;
        if cw.write_all(&bytes).await.is_err() {
            break;
        }
    }
}

async fn until(what: &str, limit: Duration, mut holds: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !holds() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    started.elapsed()
}

#[tokio::test]
async fn a_lagging_listener_stops_trusting_memory_while_the_other_instance_keeps_it() {
    let db = TestDb::new().await;
    // B first: its heartbeat counter runs ahead of A's.
    let b = TestApp::spawn(db.settings()).await;
    b.feed_trusted().await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let proxy = LaggingProxy::start(host_port()).await;
    let mut settings = db.settings();
    settings.database.url = format!(
        "postgres://identity_app@127.0.0.1:{}/{}",
        proxy.port, db.name
    )
    .into();
    let a = TestApp::spawn(settings).await;
    a.feed_trusted().await;

    // A's connections now hear the server three seconds late; B's pings keep arriving
    // on A's listener all the while (late too), and must not stand in for A's own.
    proxy.delay_ms.store(3_000, Ordering::Release);
    let bound = identity::db::feed::PING_EVERY + identity::db::feed::LAG_LIMIT * 2;
    let took = until("A distrusts its lagging feed", bound, || {
        !a.state.db.memory().is_trusted()
    })
    .await;
    println!("A stopped trusting memory after {took:?} (bound {bound:?})");
    // And it stays so while it lags: neither B's heartbeats nor its own late echoes make
    // three-second-old memory trusted.
    let watch = Instant::now();
    while watch.elapsed() < Duration::from_secs(4) {
        assert!(
            !a.state.db.memory().is_trusted(),
            "A trusted its memory while lagging three seconds ({:?} in)",
            watch.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    until("B keeps trusting its feed", Duration::from_secs(2), || {
        b.state.db.memory().is_trusted()
    })
    .await;

    // Lag gone: A trusts its memory again by itself.
    proxy.delay_ms.store(0, Ordering::Release);
    until("A recovers", Duration::from_secs(15), || {
        a.state.db.memory().is_trusted()
    })
    .await;
    a.stop().await;
    b.stop().await;
}

//! The change feed: one PostgreSQL connection per instance that LISTENs on
//! `identity_changes` (announced by the triggers of migration 17), applies every
//! announcement to the instance's [`Memory`] and passes it on to subscribers (signing keys,
//! mail, audit). It decides when memory may be trusted (invariant 8):
//!
//! - only once LISTEN is in place and memory has been emptied after it (anything
//!   remembered before may have changed unannounced);
//! - only while its heartbeat (a NOTIFY it sends itself every [`PING_EVERY`], marked with
//!   a nonce of this connection) comes back within [`LAG_LIMIT`] and the newest echo was
//!   sent at most [`PING_EVERY`] + [`LAG_LIMIT`] ago: announcements arrive in commit
//!   order, so an echo proves every announcement made before it was sent has been
//!   applied, and a late echo proves only old news. Other instances'
//!   heartbeats share the channel and prove nothing about this one: they are ignored;
//! - never after the connection drops: it reconnects with back-off, and meanwhile every
//!   caller reads the database.
//!
//! It runs on a thread and runtime of its own, so busy request workers cannot delay it.

use super::memory::{Change, Memory};
use super::target::PgTarget;
use super::Db;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;
use tokio_postgres::AsyncMessage;

pub const CHANNEL: &str = "identity_changes";
/// How often the feed checks that it is caught up.
pub const PING_EVERY: Duration = Duration::from_millis(250);
/// A heartbeat older than this without its echo: the feed is lagging, memory is not used.
pub const LAG_LIMIT: Duration = Duration::from_millis(500);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// A heartbeat this late means the connection is stuck, not slow: start over.
const STUCK_AFTER: Duration = Duration::from_secs(5);

/// Events for subscribers: announcements, plus [`Event::Resync`] after a (re)connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Changed(Change),
    /// Announcements may have been missed: whoever keeps state of their own reloads it.
    Resync,
}

/// Shared by every clone of a [`Db`]; cheap to clone.
#[derive(Clone)]
pub struct Feed {
    inner: Arc<Inner>,
}

struct Inner {
    events: broadcast::Sender<Event>,
    listener_pid: AtomicI32,
    started: AtomicBool,
}

impl Default for Feed {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                events: broadcast::channel(1024).0,
                listener_pid: AtomicI32::new(0),
                started: AtomicBool::new(false),
            }),
        }
    }
}

impl Feed {
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    /// The server process id of the LISTEN connection while it is up (for operators and
    /// tests that cut it).
    pub fn listener_pid(&self) -> Option<i32> {
        Some(self.inner.listener_pid.load(Ordering::Acquire)).filter(|p| *p != 0)
    }
}

impl Db {
    /// Starts this instance's change feed (once); it ends when every handle of `self` is gone.
    pub fn start_feed(&self) -> std::io::Result<()> {
        let feed = self.feed();
        if feed.inner.started.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let weak = Arc::downgrade(&feed.inner);
        let memory = self.memory().clone();
        let target = self.target().clone();
        std::thread::Builder::new()
            .name("change-feed".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(run(weak, memory, target)),
                    Err(e) => tracing::error!(error = %e, "the change feed could not start"),
                }
            })?;
        Ok(())
    }
}

async fn run(feed: Weak<Inner>, memory: Memory, target: PgTarget) {
    let mut backoff = Duration::from_millis(100);
    loop {
        memory.set_trusted(false);
        let Some(inner) = feed.upgrade() else { return };
        inner.listener_pid.store(0, Ordering::Release);
        drop(inner);
        match listen(&feed, &memory, &target).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, "change feed disconnected; reading the database until it is back")
            }
        }
        memory.set_trusted(false);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// Heartbeat bookkeeping shared by the pinger and the reader.
#[derive(Default)]
struct Beat {
    /// Marks this connection's heartbeats (`ping:<nonce>:<n>`).
    nonce: String,
    listening: AtomicBool,
    sent: AtomicU64,
    echoed: AtomicU64,
    /// The heartbeat without an echo yet (one at a time: the oldest unanswered send), and
    /// when it went out.
    waiting_since: Mutex<Option<Instant>>,
    /// When the newest heartbeat that came back went out: everything announced before
    /// then has been applied. Memory is as fresh as this, no fresher.
    applied_up_to: Mutex<Option<Instant>>,
}

impl Beat {
    /// How long the oldest heartbeat has waited for its echo.
    fn waiting(&self) -> Duration {
        self.waiting_since
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .map_or(Duration::ZERO, |t| t.elapsed())
    }

    /// Its own heartbeat came back: memory has caught up to when it was sent.
    fn echoed(&self, n: u64) {
        self.echoed.fetch_max(n, Ordering::AcqRel);
        if n >= self.sent.load(Ordering::Acquire) {
            let sent_at = self
                .waiting_since
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            if let Some(at) = sent_at {
                *self.applied_up_to.lock().unwrap_or_else(|p| p.into_inner()) = Some(at);
            }
        }
    }

    /// Listening, and what it has applied is at most one heartbeat interval plus
    /// [`LAG_LIMIT`] old: a late echo (a lagging reader) does not make memory fresh.
    fn caught_up(&self) -> bool {
        let fresh = self
            .applied_up_to
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some_and(|at| at.elapsed() < PING_EVERY + LAG_LIMIT);
        self.listening.load(Ordering::Acquire) && fresh && self.waiting() < LAG_LIMIT
    }
}

/// One connection's life: `Ok` when the feed is no longer wanted, `Err` when it broke.
async fn listen(feed: &Weak<Inner>, memory: &Memory, target: &PgTarget) -> anyhow::Result<()> {
    let (client, mut conn) = tokio::time::timeout(CONNECT_TIMEOUT, target.connect()).await??;
    let beat = Arc::new(Beat {
        nonce: uuid::Uuid::new_v4().simple().to_string(),
        ..Beat::default()
    });
    let mut pinger = AbortOnDrop(tokio::spawn(ping(
        client,
        beat.clone(),
        feed.clone(),
        memory.clone(),
    )));
    let mut check = tokio::time::interval(PING_EVERY / 2);
    loop {
        tokio::select! {
            message = std::future::poll_fn(|cx| conn.poll_message(cx)) => match message {
                Some(Ok(AsyncMessage::Notification(n))) => {
                    let Some(inner) = feed.upgrade() else { return Ok(()) };
                    received(&inner, memory, &beat, n.payload());
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                None => anyhow::bail!("connection closed"),
            },
            _ = &mut pinger.0 => anyhow::bail!("the heartbeat stopped"),
            _ = check.tick() => {
                if feed.strong_count() == 0 {
                    return Ok(());
                }
                if beat.waiting() > STUCK_AFTER {
                    anyhow::bail!("no heartbeat came back for {STUCK_AFTER:?}");
                }
                memory.set_trusted(beat.caught_up());
            }
        }
    }
}

/// The number of a heartbeat of this connection, `Some(None)` for anybody else's, `None`
/// when the payload is not a heartbeat.
fn heartbeat(payload: &str, nonce: &str) -> Option<Option<u64>> {
    let rest = payload.strip_prefix("ping:")?;
    Some(
        rest.split_once(':')
            .filter(|(n, _)| *n == nonce)
            .and_then(|(_, k)| k.parse().ok()),
    )
}

fn received(inner: &Inner, memory: &Memory, beat: &Beat, payload: &str) {
    if let Some(mine) = heartbeat(payload, &beat.nonce) {
        // Another instance's heartbeat says nothing about this connection's lag.
        let Some(n) = mine else { return };
        beat.echoed(n);
        memory.set_trusted(beat.caught_up());
        return;
    }
    match Change::parse(payload) {
        Some(change) => {
            memory.apply(&change);
            // Nobody listening is fine.
            let _ = inner.events.send(Event::Changed(change));
        }
        None => tracing::warn!("change feed: an announcement of an unknown shape was ignored"),
    }
}

/// LISTEN, then a heartbeat every [`PING_EVERY`] (one outstanding at a time).
async fn ping(client: tokio_postgres::Client, beat: Arc<Beat>, feed: Weak<Inner>, memory: Memory) {
    let pid = async {
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        let row = client.query_one("SELECT pg_backend_pid()", &[]).await?;
        Ok::<i32, tokio_postgres::Error>(row.get(0))
    };
    let pid = match tokio::time::timeout(CONNECT_TIMEOUT, pid).await {
        Ok(Ok(pid)) => pid,
        _ => return, // the reader sees the heartbeat stop and starts over
    };
    let Some(inner) = feed.upgrade() else { return };
    // Listening now: whatever was remembered before may have changed unannounced.
    memory.forget_all();
    inner.listener_pid.store(pid, Ordering::Release);
    beat.listening.store(true, Ordering::Release);
    let _ = inner.events.send(Event::Resync);
    drop(inner);
    let mut tick = tokio::time::interval(PING_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let n = beat.sent.load(Ordering::Acquire);
        if beat.echoed.load(Ordering::Acquire) < n {
            continue; // still waiting for the last one; the reader judges the lag
        }
        let next = n + 1;
        beat.sent.store(next, Ordering::Release);
        *beat.waiting_since.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        let sql = format!(
            "SELECT pg_notify('{CHANNEL}', 'ping:{}:{next}')",
            beat.nonce
        );
        if client.batch_execute(&sql).await.is_err() {
            return;
        }
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::heartbeat;

    #[test]
    fn only_this_connections_heartbeats_count() {
        assert_eq!(heartbeat("ping:abc:7", "abc"), Some(Some(7)));
        assert_eq!(heartbeat("ping:xyz:900", "abc"), Some(None));
        // The unmarked heartbeat of an older instance counts for nobody.
        assert_eq!(heartbeat("ping:900", "abc"), Some(None));
        assert_eq!(heartbeat("client:t:c", "abc"), None);
    }
}

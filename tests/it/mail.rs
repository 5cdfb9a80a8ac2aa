//! The outbox and the SMTP sender against a real SMTP server (Python aiosmtpd, storing what
//! it receives in a Maildir): retries while the server is down, delivery when it is back.

use crate::harness::{envelope, tenant, TestDb};
use identity::config::MailSettings;
use identity::db::models::outbox;
use identity::mail::{outbox::enqueue, sender::SmtpSender};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SmtpServer {
    child: Child,
}

impl SmtpServer {
    pub fn start(port: u16, maildir: &Path) -> Self {
        let python = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/external/.venv/bin/python"
        );
        let child = Command::new(python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd must be installed (tests/external/install.sh)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpServer { child }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn settings(port: u16, max_attempts: i32) -> MailSettings {
    MailSettings {
        from: "Identity <no-reply@identity.test>".into(),
        smtp_host: "127.0.0.1".into(),
        smtp_port: port,
        tls: identity::config::SmtpTls::None,
        username: None,
        password: None,
        poll_interval_ms: 1000,
        max_attempts,
        timeout_ms: 2000,
    }
}

pub fn received(maildir: &Path) -> Vec<String> {
    let new = maildir.join("new");
    std::fs::read_dir(&new)
        .map(|d| {
            d.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn messages_are_retried_while_smtp_is_down_and_delivered_when_it_is_back() {
    let db = TestDb::new().await;
    let pool = db.db();
    let env = envelope(&[1]);
    let t = tenant(&pool, &env, "alpha").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let tmp = tempfile::tempdir().unwrap();
    // aiosmtpd creates the Maildir only where nothing exists yet.
    let maildir = tmp.path().join("maildir");
    let sender = SmtpSender::new(&settings(port, 8)).unwrap();

    let now = chrono::Utc::now();
    let mut tx = pool.tenant(t.tenant_id).await.unwrap();
    let id = enqueue(
        &mut tx,
        &env,
        "pat@alpha.example",
        "Reset your password",
        "Open https://id.example/reset?token=s3cret-link",
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // At rest, neither the address nor the link is readable.
    let raw: String = db
        .owner()
        .await
        .query_one("SELECT recipient_enc || body_enc FROM mail_outbox", &[])
        .await
        .unwrap()
        .get(0);
    assert!(!raw.contains("pat@") && !raw.contains("s3cret-link"));

    // No server: the message stays pending with a later retry.
    let report = sender.deliver_due(&pool, &env, now).await.unwrap();
    assert_eq!((report.sent, report.retried), (0, 1));
    let mut read = pool.tenant_read(t.tenant_id).await.unwrap();
    let row = outbox::get(&mut read, id).await.unwrap();
    read.commit().await.unwrap();
    assert_eq!(row.status, "pending");
    assert_eq!(row.attempts, 1);
    assert!(row.next_attempt_at > now);
    assert!(
        !row.last_error.unwrap().contains("pat@"),
        "the error names the recipient"
    );
    // Not due again before its back-off.
    assert_eq!(
        sender.deliver_due(&pool, &env, now).await.unwrap().retried,
        0
    );

    let _server = SmtpServer::start(port, &maildir);
    let later = now + chrono::Duration::minutes(5);
    let report = sender.deliver_due(&pool, &env, later).await.unwrap();
    let mut read = pool.tenant_read(t.tenant_id).await.unwrap();
    let row = outbox::get(&mut read, id).await.unwrap();
    read.commit().await.unwrap();
    assert_eq!(report.sent, 1, "{report:?} {:?}", row.last_error);
    let mail = received(&maildir);
    assert_eq!(mail.len(), 1, "exactly one message delivered");
    assert!(mail[0].contains("Subject: Reset your password"));
    assert!(mail[0].contains("To: pat@alpha.example"));
    assert!(mail[0].contains("s3cret-link"));
    // Sent once: another pass sends nothing more.
    assert_eq!(
        sender
            .deliver_due(&pool, &env, later + chrono::Duration::hours(1))
            .await
            .unwrap(),
        Default::default()
    );
    assert_eq!(received(&maildir).len(), 1);
}

#[tokio::test]
async fn a_message_is_marked_failed_after_the_last_attempt() {
    let db = TestDb::new().await;
    let pool = db.db();
    let env = envelope(&[1]);
    let t = tenant(&pool, &env, "alpha").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sender = SmtpSender::new(&settings(port, 2)).unwrap();
    let mut now = chrono::Utc::now();
    let mut tx = pool.tenant(t.tenant_id).await.unwrap();
    let id = enqueue(&mut tx, &env, "pat@alpha.example", "Hello", "Body", now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        sender.deliver_due(&pool, &env, now).await.unwrap().retried,
        1
    );
    now += chrono::Duration::hours(2);
    assert_eq!(
        sender.deliver_due(&pool, &env, now).await.unwrap().failed,
        1
    );
    let mut read = pool.tenant_read(t.tenant_id).await.unwrap();
    assert_eq!(outbox::get(&mut read, id).await.unwrap().status, "failed");
}

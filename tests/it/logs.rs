//! The real binary's log stream: JSON lines with the request id, and no email address,
//! bearer token, cookie or IP address in them.

use crate::harness::TestDb;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test]
async fn logs_carry_the_request_id_but_no_personal_data_or_credentials() {
    let db = TestDb::new().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_identity"))
        .arg("serve")
        .envs(db.env())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let collector = std::thread::spawn(move || {
        let mut all = String::new();
        let _ = stdout.read_to_string(&mut all);
        all
    });
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut base = None;
    for line in stderr.lines() {
        let line = line.unwrap();
        if let Some(url) = line.split("listening on ").nth(1) {
            base = Some(url.trim().to_string());
            break;
        }
    }
    let base = base.expect("serve printed its URL");

    let http = reqwest::Client::new();
    let res = http
        .get(format!("{base}/users/alice.secret@example.com/profile?email=bob.hidden@example.org&phone=%2B14155550100"))
        .header("authorization", "Bearer sekr3t-token-value-123")
        .header("cookie", "__Host-session=cookie-secret-value; theme=dark")
        .header("x-request-id", "log-test-1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = child.kill();
    let _ = child.wait();
    let logs = collector.join().unwrap();

    let request_lines: Vec<&str> = logs.lines().filter(|l| l.contains("log-test-1")).collect();
    assert!(
        !request_lines.is_empty(),
        "no log line carries the request id:\n{logs}"
    );
    for line in logs.lines() {
        let parsed: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(parsed.get("level").is_some());
    }
    assert!(
        request_lines
            .iter()
            .any(|l| l.contains("/users/[email]/profile")),
        "the access line should keep the path with the address removed:\n{logs}"
    );
    for secret in [
        "alice.secret",
        "bob.hidden",
        "sekr3t-token-value-123",
        "cookie-secret-value",
        "4155550100",
        "127.0.0.1",
    ] {
        assert!(!logs.contains(secret), "{secret} leaked into logs:\n{logs}");
    }
}

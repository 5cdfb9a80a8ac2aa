//! Delivers due outbox messages over SMTP (`lettre`). Rows are claimed with
//! `FOR UPDATE SKIP LOCKED`, so any number of instances can run the sender at once.
//! Failures are retried with exponential back-off until `max_attempts`, then marked failed;
//! the stored error never contains the recipient.

use super::outbox::context;
use crate::config::{MailSettings, SmtpTls};
use crate::crypto::Envelope;
use crate::db::feed::Event;
use crate::db::memory::Change;
use crate::db::models::{due_work, outbox as model};
use crate::db::{Db, DbError};
use chrono::{DateTime, Duration, Utc};
use lettre::message::{header::ContentType, Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;
use tokio::sync::broadcast::error::RecvError;

const BATCH: i64 = 50;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: u32,
    pub retried: u32,
    pub failed: u32,
}

#[derive(Clone)]
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    max_attempts: i32,
}

impl SmtpSender {
    pub fn new(settings: &MailSettings) -> anyhow::Result<Self> {
        let builder = match settings.tls {
            SmtpTls::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.smtp_host)
            }
            SmtpTls::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.smtp_host)?
            }
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.smtp_host)?,
        };
        let mut builder = builder
            .port(settings.smtp_port)
            .timeout(Some(std::time::Duration::from_millis(settings.timeout_ms)));
        if let (Some(user), Some(pass)) = (&settings.username, &settings.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                pass.expose_secret().to_string(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from: settings.from.parse()?,
            max_attempts: settings.max_attempts.max(1),
        })
    }

    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let to: Mailbox = to
            .parse()
            .map_err(|_| "invalid recipient address".to_string())?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| format!("building the message: {e}"))?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| {
            // lettre's errors describe the transport, not the message.
            // The reply code helps operators and names nobody.
            let code = e.status().map(|c| format!(" ({c})")).unwrap_or_default();
            if e.is_transient() {
                format!("transient SMTP error{code}")
            } else if e.is_permanent() {
                format!("permanent SMTP error{code}")
            } else {
                "SMTP connection failed".to_string()
            }
        })
    }

    /// Back-off after the `attempt`-th failure: 5 s, 10 s, 20 s, ... at most an hour.
    fn retry_at(&self, attempt: i32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (attempt < self.max_attempts)
            .then(|| now + Duration::seconds((5i64 << attempt.clamp(0, 10)).min(3600)))
    }

    /// Sends every due message of every tenant once.
    pub async fn deliver_due(
        &self,
        db: &Db,
        envelope: &Envelope,
        now: DateTime<Utc>,
    ) -> Result<DeliveryReport, DbError> {
        // Only the workspaces with mail due: one narrow query, whatever their number.
        let mut ptx = db.platform().await?;
        let due = due_work::tenants_with_due_mail(&mut ptx, now).await?;
        ptx.commit().await?;
        let mut report = DeliveryReport::default();
        for tenant in due {
            let mut tx = db.tenant_any_status(tenant).await?;
            let sealer = envelope.for_tenant(&tx).await?;
            for row in model::claim_due(&mut tx, now, BATCH).await? {
                let id = row.id.to_string();
                let opened = sealer
                    .open(
                        &context(tenant, model::RECIPIENT_COLUMN, &id),
                        &row.recipient_enc,
                    )
                    .and_then(|to| {
                        Ok((
                            to,
                            sealer
                                .open(&context(tenant, model::BODY_COLUMN, &id), &row.body_enc)?,
                        ))
                    });
                let result = match opened {
                    Ok((to, body)) => {
                        let to = String::from_utf8_lossy(&to).into_owned();
                        let body = String::from_utf8_lossy(&body).into_owned();
                        self.send(&to, &row.subject, &body).await
                    }
                    Err(e) => Err(format!("cannot open the stored message: {e}")),
                };
                match result {
                    Ok(()) => {
                        model::mark_sent(&mut tx, row.id, now).await?;
                        report.sent += 1;
                    }
                    Err(error) => {
                        let next = self.retry_at(row.attempts + 1, now);
                        if next.is_some() {
                            report.retried += 1;
                        } else {
                            report.failed += 1;
                        }
                        tracing::warn!(message_id = %row.id, attempt = row.attempts + 1, %error, "mail delivery failed");
                        model::mark_failed(&mut tx, row.id, &error, next).await?;
                    }
                }
            }
            tx.commit().await?;
        }
        Ok(report)
    }

    /// Runs [`SmtpSender::deliver_due`] every `every` (retries come due with time) and as
    /// soon as the change feed announces new mail, for as long as the runtime lives.
    pub fn spawn(self, db: Db, envelope: Envelope, every: std::time::Duration) {
        let mut announced = db.feed().subscribe();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    event = announced.recv() => match event {
                        Ok(Event::Changed(Change::Mail(_)) | Event::Resync) | Err(RecvError::Lagged(_)) => {}
                        Ok(_) => continue,
                        Err(RecvError::Closed) => return,
                    },
                }
                if let Err(e) = self.deliver_due(&db, &envelope, Utc::now()).await {
                    tracing::warn!(error = %e, "mail sender pass failed");
                }
            }
        });
    }
}

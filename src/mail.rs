//! Outgoing e-mail: SMTP through lettre when `SMTP_URL` is set; otherwise, in demo mode or
//! with `MAIL_OUTBOX=1`, a dev outbox table that `covalynce outbox` prints; otherwise off.
//! The outbox keeps whole messages, reset links included: it is for development and demos,
//! never for a production database.

use crate::db::{now_ms, Db};
use anyhow::Context;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::Row;

#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
    Outbox,
    /// No way to reach anyone: features that need e-mail say so instead of pretending.
    Off,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct OutboxMessage {
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
}

impl Mailer {
    /// `smtp_url` like `smtps://user:pass@smtp.example.com:465`; `from` like `Covalynce <no-reply@example.com>`.
    pub fn from_config(smtp_url: Option<&str>, from: &str, dev_outbox: bool) -> anyhow::Result<Self> {
        match smtp_url {
            Some(url) => {
                let transport =
                    AsyncSmtpTransport::<Tokio1Executor>::from_url(url).context("SMTP_URL is not a valid smtp:// or smtps:// URL")?.build();
                let from = from.parse().context("MAIL_FROM is not a valid mailbox")?;
                Ok(Self::Smtp { transport: Box::new(transport), from })
            }
            None if dev_outbox => Ok(Self::Outbox),
            None => Ok(Self::Off),
        }
    }

    /// `smtp`, `outbox` or `off` (for `/health` and logs).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Smtp { .. } => "smtp",
            Self::Outbox => "outbox",
            Self::Off => "off",
        }
    }

    pub async fn send(&self, db: &Db, to: &str, subject: &str, body: &str) -> anyhow::Result<()> {
        match self {
            Self::Smtp { transport, from } => {
                let msg = Message::builder()
                    .from(from.clone())
                    .to(to.parse().context("recipient address")?)
                    .subject(subject)
                    .body(body.to_string())?;
                transport.send(msg).await.context("sending e-mail over SMTP")?;
            }
            Self::Outbox => {
                sqlx::query("insert into outbox (id, recipient, subject, body, created_at) values ($1, $2, $3, $4, $5)")
                    .bind(uuid::Uuid::new_v4().to_string())
                    .bind(to)
                    .bind(subject)
                    .bind(body)
                    .bind(now_ms())
                    .execute(db.pool())
                    .await?;
            }
            Self::Off => anyhow::bail!("e-mail is not configured (set SMTP_URL, or MAIL_OUTBOX=1 for a dev outbox)"),
        }
        Ok(())
    }
}

/// Newest first.
pub async fn outbox(db: &Db, recipient: Option<&str>, limit: i64) -> anyhow::Result<Vec<OutboxMessage>> {
    let rows = sqlx::query(
        "select recipient, subject, body, created_at from outbox where ($1 = '' or recipient = $1) order by created_at desc limit $2",
    )
    .bind(recipient.unwrap_or("").to_lowercase())
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| OutboxMessage {
            recipient: r.get("recipient"),
            subject: r.get("subject"),
            body: r.get("body"),
            created_at: r.get("created_at"),
        })
        .collect())
}

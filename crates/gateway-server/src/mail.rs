//! Outgoing mail: the gateway's [`Mailer`]. Every message is delivered through the SMTP relay
//! named by `mail.smtp_url` when one is set (lettre, as the message is sent: the request that
//! sends it waits, at most `mail.smtp_timeout_ms`), and kept in this instance's outbox (for test
//! suites, `GET /admin/outbox`) when `emulator.outbox_capacity` is not 0. A message the relay
//! refuses is not kept: the outbox holds what was sent. With neither, nothing is sent and the
//! flow that wanted to answers that the service is unavailable.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use gateway_core::{CoreError, Mail, Mailer};
use lettre::{
    Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};

use crate::emulator::outbox::Outbox;

/// An SMTP relay.
pub struct SmtpRelay {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Address,
}

impl std::fmt::Debug for SmtpRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpRelay")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl SmtpRelay {
    /// Whether `url` names an SMTP relay lettre can reach; the error is one line without the
    /// URL's password.
    pub fn check_url(url: &str) -> Result<(), String> {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map(drop)
            .map_err(|e| {
                format!(
                    "mail.smtp_url {} is not an SMTP relay URL (smtp://HOST:PORT, smtps://HOST:PORT): {e}",
                    redacted_url(url)
                )
            })
    }

    /// The relay of `url`, sending as `from`, giving up on a delivery after `timeout`.
    pub fn new(url: &str, from: &str, timeout: Duration) -> anyhow::Result<Self> {
        Self::check_url(url).map_err(anyhow::Error::msg)?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("mail.smtp_url: {e}"))?
            .timeout(Some(timeout))
            .build();
        let from = from
            .parse()
            .map_err(|e| anyhow::anyhow!("mail.from {from:?}: {e}"))?;
        Ok(Self { transport, from })
    }

    /// Delivers `mail`: accepted by the relay, or an unavailable error (logged without the body,
    /// which may carry a one-time code).
    async fn deliver(&self, mail: &Mail) -> Result<(), CoreError> {
        let refused = |why: String| {
            tracing::warn!(kind = mail.kind, error = %why, "mail not delivered");
            CoreError::unavailable("the mail could not be delivered")
        };
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| refused(format!("recipient: {e}")))?;
        let message = Message::builder()
            .from(Mailbox::new(
                Some(mail.from_name.clone()),
                self.from.clone(),
            ))
            .to(to)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone())
            .map_err(|e| refused(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(drop)
            .map_err(|e| refused(e.to_string()))
    }
}

/// The gateway's mailer: the relay (if any), then the outbox.
#[derive(Debug)]
pub struct Postman {
    outbox: Arc<Outbox>,
    relay: Option<SmtpRelay>,
}

impl Postman {
    /// Delivers through `relay` (when given) and keeps a copy in `outbox`.
    pub fn new(outbox: Arc<Outbox>, relay: Option<SmtpRelay>) -> Self {
        Self { outbox, relay }
    }
}

#[async_trait]
impl Mailer for Postman {
    async fn send(&self, mail: Mail) -> Result<(), CoreError> {
        match &self.relay {
            Some(relay) => relay.deliver(&mail).await?,
            None if self.outbox.capacity() == 0 => {
                return Err(CoreError::unavailable(
                    "mail cannot be sent: no SMTP relay (mail.smtp_url) and no outbox (emulator.outbox_capacity is 0)",
                ));
            }
            None => {}
        }
        self.outbox.keep(mail);
        Ok(())
    }
}

/// `url` with its password (if any) replaced, for messages and `Debug`.
pub fn redacted_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Cannot fail: the URL has a host, since it has a password.
            let _ = parsed.set_password(Some("redacted"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) if url.contains('@') => "[unparsable, redacted]".into(),
        Err(_) => url.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_never_shown() {
        assert_eq!(
            redacted_url("smtp://user:hunter2@mail.test:2525"),
            "smtp://user:redacted@mail.test:2525"
        );
        assert_eq!(redacted_url("smtp://mail.test:25"), "smtp://mail.test:25");
        assert!(!redacted_url("smtp://u:p@ss@[bad").contains("ss@"));
        let e = SmtpRelay::check_url("ftp://user:hunter2@mail.test").unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn relay_urls_are_checked() {
        assert!(SmtpRelay::check_url("smtp://127.0.0.1:2525").is_ok());
        assert!(SmtpRelay::check_url("smtps://mail.test").is_ok());
        assert!(SmtpRelay::check_url("http://mail.test").is_err());
        assert!(SmtpRelay::check_url("not a url").is_err());
    }
}

//! Mail the gateway sends (a password reset code today): the message, and the port that delivers
//! it. The server's implementation keeps a bounded outbox per instance (for test suites, through
//! the admin API) and relays to an SMTP server when one is configured; the core only composes
//! nothing and sends: the text of a message is its dialect's, in its vendor's words.

use async_trait::async_trait;

use crate::{CoreError, Gateway};

/// One message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The recipient's address.
    pub to: String,
    /// The sender's display name (the address is the deployment's, `mail.from`).
    pub from_name: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// What it is (`password_reset`, ...): for filtering the outbox.
    pub kind: &'static str,
}

/// The port that delivers mail.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Accepts `mail` for delivery. An error means it will not be delivered.
    async fn send(&self, mail: Mail) -> Result<(), CoreError>;
}

/// The mailer of a gateway built without one: refuses every message, so nothing claims a mail
/// was sent that was not.
#[derive(Debug, Default)]
pub struct NoMailer;

#[async_trait]
impl Mailer for NoMailer {
    async fn send(&self, _mail: Mail) -> Result<(), CoreError> {
        Err(CoreError::unavailable("no mailer is configured"))
    }
}

impl Gateway {
    /// Sends `mail` through the configured [`Mailer`].
    pub async fn send_mail(&self, mail: Mail) -> Result<(), CoreError> {
        self.mailer.send(mail).await
    }
}

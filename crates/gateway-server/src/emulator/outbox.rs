//! The outbox: every mail this instance sent, kept in memory for test suites to read through the
//! admin API (`GET /admin/outbox`), as the vendors' own e2e suites read a mailbox. Bounded
//! (`emulator.outbox_capacity` messages, the oldest dropped first); per instance and never
//! written to disk, because a message carries a live one-time code. A capacity of 0 keeps none
//! (the production profile). Messages reach it through the gateway's mailer, `crate::mail`.

use std::{
    collections::VecDeque,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use chrono::{DateTime, Utc};
use gateway_core::Mail;
use serde::Serialize;

/// One message as the outbox shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    /// Increasing per instance.
    pub id: u64,
    /// When it was accepted.
    pub sent_at: DateTime<Utc>,
    /// `"Name <address>"`.
    pub from: String,
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// What it is (`password_reset`, ...).
    pub kind: &'static str,
}

/// The outbox (shared by the gateway's mailer and the admin API).
#[derive(Debug)]
pub struct Outbox {
    sent: Mutex<VecDeque<Sent>>,
    capacity: usize,
    from_address: String,
    next: AtomicU64,
}

impl Outbox {
    /// An outbox keeping `capacity` messages, sending as `from_address`.
    pub fn new(capacity: usize, from_address: impl Into<String>) -> Self {
        Self {
            sent: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
            capacity,
            from_address: from_address.into(),
            next: AtomicU64::new(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Sent>> {
        self.sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Messages newest first, to `to` (any letter case) and of `kind` when given, at most `limit`.
    pub fn list(&self, to: Option<&str>, kind: Option<&str>, limit: usize) -> Vec<Sent> {
        self.lock()
            .iter()
            .rev()
            .filter(|m| to.is_none_or(|t| m.to.eq_ignore_ascii_case(t)))
            .filter(|m| kind.is_none_or(|k| m.kind == k))
            .take(limit)
            .cloned()
            .collect()
    }

    /// Forgets every message.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many messages are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Outbox {
    /// How many messages it keeps at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Keeps `mail` as sent now, dropping the oldest past the capacity (none with a capacity of 0).
    pub fn keep(&self, mail: Mail) {
        if self.capacity == 0 {
            return;
        }
        let Mail {
            to,
            from_name,
            subject,
            text,
            kind,
        } = mail;
        let sent = Sent {
            id: self.next.fetch_add(1, Ordering::Relaxed),
            sent_at: Utc::now(),
            from: format!("{from_name} <{}>", self.from_address),
            to,
            subject,
            text,
            kind,
        };
        let mut box_ = self.lock();
        while box_.len() >= self.capacity {
            box_.pop_front();
        }
        box_.push_back(sent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(to: &str) -> Mail {
        Mail {
            to: to.into(),
            from_name: "P".into(),
            subject: "s".into(),
            text: "t".into(),
            kind: "password_reset",
        }
    }

    #[test]
    fn keeps_the_newest_capacity_messages_and_filters() {
        let outbox = Outbox::new(2, "noreply@example.com");
        for to in ["a@x.test", "b@x.test", "A@x.test"] {
            outbox.keep(mail(to));
        }
        let all = outbox.list(None, None, 10);
        assert_eq!(all.iter().map(|m| m.id).collect::<Vec<_>>(), [3, 2]);
        assert_eq!(all[0].from, "P <noreply@example.com>");
        assert_eq!(outbox.list(Some("a@x.test"), None, 10).len(), 1);
        assert_eq!(outbox.list(None, Some("other"), 10).len(), 0);
        outbox.clear();
        assert!(outbox.is_empty());
    }

    #[tokio::test]
    async fn without_relay_or_outbox_nothing_is_sent() {
        use gateway_core::Mailer;
        let outbox = std::sync::Arc::new(Outbox::new(0, "noreply@example.com"));
        let postman = crate::mail::Postman::new(outbox.clone(), None);
        assert!(postman.send(mail("a@x.test")).await.is_err());
        assert!(outbox.is_empty());
        let outbox = std::sync::Arc::new(Outbox::new(1, "noreply@example.com"));
        let postman = crate::mail::Postman::new(outbox.clone(), None);
        postman.send(mail("a@x.test")).await.unwrap();
        assert_eq!(outbox.len(), 1);
    }
}

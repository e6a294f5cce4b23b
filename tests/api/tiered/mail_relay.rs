//! Mail through a real SMTP relay (`mail.smtp_url`, issue #16): aiosmtpd receives the tiered
//! surface's password-reset mail, the flow is finished with the code read from that mailbox, the
//! outbox holds the same message; a relay that does not answer fails the flow (503) and keeps
//! nothing in the outbox.

use base64::Engine as _;
use gateway_tests::smtp::{SmtpReceiver, header};
use reqwest::Method;
use serde_json::json;

use super::{
    password_reset::{ask_reset, mail_to, sign_in, signed_up},
    teams::{Vendor, expect},
};

/// A gateway whose mail goes through `smtp_url` (outbox kept as usual).
async fn vendor_with_relay(smtp_url: &str) -> Vendor {
    let db = gateway_tests::TestDb::sqlite();
    let mut settings = gateway_tests::test_settings(&db).unwrap();
    settings.mail.smtp_url = smtp_url.into();
    settings.mail.smtp_timeout_ms = 3000;
    let app = gateway_tests::spawn_with(db, settings).await.unwrap();
    Vendor::on(app, json!({})).await
}

/// The text body of a raw message (7bit, quoted-printable or base64, as lettre chose).
fn body(message: &str) -> String {
    let message = message.replace("\r\n", "\n");
    let (_, raw) = message.split_once("\n\n").expect("a body");
    match header(&message, "Content-Transfer-Encoding").as_deref() {
        Some(e) if e.eq_ignore_ascii_case("quoted-printable") => {
            let joined = raw.replace("=\n", "");
            let mut out = Vec::new();
            let bytes = joined.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'=' && i + 3 <= bytes.len() {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 3;
                } else {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
            String::from_utf8(out).unwrap()
        }
        Some(e) if e.eq_ignore_ascii_case("base64") => String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(raw.split_whitespace().collect::<String>())
                .unwrap(),
        )
        .unwrap(),
        _ => raw.to_owned(),
    }
}

#[tokio::test]
async fn reset_mail_is_delivered_through_the_relay_and_finishes_the_flow() {
    let receiver = SmtpReceiver::start().unwrap();
    let mut v = vendor_with_relay(&receiver.url()).await;
    let email = "relayed@example.com";
    signed_up(&mut v, email).await;
    expect(
        &ask_reset(&v, email).await,
        200,
        json!({"success": "maybe, only if user with e-mail exists"}),
    );

    let received = receiver.wait_for(1).await;
    assert_eq!(received.len(), 1, "one message at the receiver");
    let message = &received[0];
    assert_eq!(header(message, "To").as_deref(), Some(email), "{message}");
    assert_eq!(
        header(message, "From").as_deref(),
        Some("Teams <noreply@example.com>"),
        "{message}"
    );
    assert_eq!(
        header(message, "Subject").as_deref(),
        Some("Reset your password at Teams")
    );
    let text = body(message);
    let outbox = mail_to(&v, email).await;
    assert_eq!(outbox.len(), 1, "the outbox keeps what was sent");
    assert_eq!(
        text.trim_end(),
        outbox[0]["text"].as_str().unwrap().trim_end(),
        "the relayed text is the outbox's"
    );

    // The code as the user reads it from the mailbox finishes the reset.
    let link = regex::Regex::new(r"some-callback-url\?code=([0-9a-z]+)").unwrap();
    let code = link.captures(&text).expect("a reset link")[1].to_owned();
    let a = v
        .send(
            "client",
            Method::POST,
            "/api/v1/auth/password/reset",
            Some(json!({"code": code, "password": "a-relayed-password"})),
        )
        .await;
    expect(&a, 200, json!({"success": true}));
    assert_eq!(sign_in(&v, email, "a-relayed-password").await, 200);
}

#[tokio::test]
async fn a_relay_that_does_not_answer_fails_the_flow_and_keeps_nothing() {
    // A port nothing listens on: bound, read, released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut v = vendor_with_relay(&format!("smtp://127.0.0.1:{port}")).await;
    let email = "unrelayed@example.com";
    signed_up(&mut v, email).await;
    let a = ask_reset(&v, email).await;
    assert_eq!(a.status, 503, "{}", a.text);
    assert!(!a.text.contains("127.0.0.1"), "no relay detail: {}", a.text);
    assert!(mail_to(&v, email).await.is_empty(), "nothing kept unsent");
}

#[test]
fn a_relay_url_is_checked_at_start_and_its_password_never_shown() {
    let mut settings = gateway_server::Settings::defaults().unwrap();
    settings.mail.smtp_url = "smtp://user:hunter2@mail.test:2525".into();
    assert!(!format!("{settings:?}").contains("hunter2"));
    settings.mail.smtp_url = "http://user:hunter2@mail.test".into();
    let e = gateway_server::mail::SmtpRelay::check_url(&settings.mail.smtp_url).unwrap_err();
    assert!(!e.contains("hunter2"), "{e}");
}

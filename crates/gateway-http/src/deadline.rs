//! A deadline for request bodies. actix's `client_request_timeout` bounds only the request head;
//! without this a client trickling its body one byte at a time holds a connection (and whatever
//! the handler holds) for as long as it likes. With it, a body that has not fully arrived within
//! the configured time ends with a payload error, which each dialect's body extractor renders in
//! its own envelope (a 4xx), and the connection is closed.
//!
//! Use with `actix_web::middleware::from_fn(move |req, next| deadline::body_deadline(timeout,
//! req, next))`.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use actix_web::{
    Error,
    body::MessageBody,
    dev::{Payload, ServiceRequest, ServiceResponse},
    error::PayloadError,
    middleware::Next,
    rt::time::{Instant, Sleep, sleep_until},
    web::Bytes,
};
use futures_util::Stream;

/// Gives the request body `timeout` (from the moment the head was read) to arrive.
pub async fn body_deadline<B: MessageBody>(
    timeout: Duration,
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, Error> {
    let inner = std::mem::replace(req.parts_mut().1, Payload::None);
    let limited = Deadline {
        inner,
        sleep: Box::pin(sleep_until(Instant::now() + timeout)),
        expired: false,
    };
    req.set_payload(Payload::Stream {
        payload: Box::pin(limited),
    });
    next.call(req).await
}

/// The body stream, ending with a timeout error once the deadline passes.
struct Deadline {
    inner: Payload,
    sleep: Pin<Box<Sleep>>,
    expired: bool,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(item) => Poll::Ready(item),
            Poll::Pending => match self.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    self.expired = true;
                    Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the request body did not arrive in time",
                    )))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::{App, HttpResponse, middleware::from_fn, test, web};
    use futures_util::{StreamExt as _, stream};

    use super::*;

    async fn echo_len(body: web::Bytes) -> HttpResponse {
        HttpResponse::Ok().body(body.len().to_string())
    }

    #[actix_web::test]
    async fn a_body_in_time_passes_and_a_trickled_one_is_cut_off() {
        let app = test::init_service(
            App::new()
                .wrap(from_fn(|req, next| {
                    body_deadline(Duration::from_millis(200), req, next)
                }))
                .route("/", web::post().to(echo_len)),
        )
        .await;
        let res = test::call_service(
            &app,
            test::TestRequest::post()
                .uri("/")
                .set_payload("hello")
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), 200);
        assert_eq!(test::read_body(res).await, "5");

        // One chunk now, the rest never: the deadline ends the body with an error, a 4xx.
        let slow = stream::iter([Ok::<_, PayloadError>(Bytes::from_static(b"he"))])
            .chain(stream::pending());
        let (req, _) = test::TestRequest::post()
            .uri("/")
            .to_request()
            .replace_payload(Payload::Stream {
                payload: Box::pin(slow) as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>,
            });
        let started = std::time::Instant::now();
        let res = test::call_service(&app, req).await;
        assert!(res.status().is_client_error(), "{}", res.status());
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "cut off after {:?}",
            started.elapsed()
        );
    }
}

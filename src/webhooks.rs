//! The webhook listener: Stripe (or `stripe listen --forward-to`, or localstripe) posts events
//! to 127.0.0.1; each delivery is verified on its raw bytes, then applied once like a polled
//! event.
//!
//! HTTP is hyper's (keep-alive, chunked bodies). A client gets 10 s to send its headers and
//! its body, and at most 1 MiB of body: a slow or endless sender is cut off without holding
//! up other deliveries. Answers: 400 to a bad, stale or altered signature (and to anything
//! malformed), 413 to a body over the limit, 200 to a valid event, also one it does not act
//! on, 500 when applying failed (Stripe retries).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use crate::payments::webhook::{DEFAULT_TOLERANCE_SECS, verify_signature};
use crate::payments::{Event, StripeClient};
use crate::{Shop, checkout};

/// The largest delivery accepted; Stripe's events are a few kilobytes.
pub const MAX_BODY: usize = 1024 * 1024;
/// How long a client may take to send its headers, and then its body.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The pause after a failed `accept` (say, out of file descriptors), so that a lasting failure
/// does not spin: doubled on each failure in a row, up to a second.
const FIRST_ACCEPT_BACKOFF: Duration = Duration::from_millis(5);
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

struct Listener {
    shop: Arc<Shop>,
    client: StripeClient,
    secret: String,
}

/// Serves webhook deliveries on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, shop: Arc<Shop>, client: StripeClient, secret: String) {
    let state = Arc::new(Listener {
        shop,
        client,
        secret,
    });
    let mut backoff = FIRST_ACCEPT_BACKOFF;
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => {
                backoff = FIRST_ACCEPT_BACKOFF;
                stream
            }
            Err(e) => {
                tracing::warn!(error = %e, pause = ?backoff, "webhook listener cannot accept");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_ACCEPT_BACKOFF);
                continue;
            }
        };
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(handle(&state, request).await) }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "webhook connection ended");
            }
        });
    }
}

async fn handle(state: &Listener, request: Request<Incoming>) -> Response<Full<Bytes>> {
    if request.method() != Method::POST {
        return reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "only POST is accepted".into(),
        );
    }
    let Some(signature) = request
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return reply(StatusCode::BAD_REQUEST, "no Stripe-Signature header".into());
    };
    let body = Limited::new(request.into_body(), MAX_BODY);
    let body = match tokio::time::timeout(READ_TIMEOUT, body.collect()).await {
        Err(_) => return reply(StatusCode::REQUEST_TIMEOUT, "the body took too long".into()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            tracing::warn!("webhook refused: body over {MAX_BODY} bytes");
            return reply(StatusCode::PAYLOAD_TOO_LARGE, "body too large".into());
        }
        Ok(Err(e)) => return reply(StatusCode::BAD_REQUEST, format!("unreadable body: {e}")),
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let (status, text) = respond(state, &signature, &body).await;
    reply(status, text)
}

async fn respond(state: &Listener, signature: &str, body: &[u8]) -> (StatusCode, String) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    if let Err(e) = verify_signature(body, signature, &state.secret, now, DEFAULT_TOLERANCE_SECS) {
        tracing::warn!(error = %e, "webhook refused");
        return (StatusCode::BAD_REQUEST, e.to_string());
    }
    let event = match serde_json::from_slice(body)
        .map_err(|e| e.to_string())
        .and_then(|v| Event::from_json(&v))
    {
        Ok(event) => event,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("not a Stripe event: {e}")),
    };
    match checkout::apply_event_once(&state.shop, &state.client, &event).await {
        Ok(applied) => {
            tracing::info!(event = %event.id, kind = %event.event_type, applied, "webhook event");
            (StatusCode::OK, "ok".into())
        }
        Err(e) => {
            tracing::warn!(event = %event.id, error = %e, "webhook event not applied");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "not applied; retry later".into(),
            )
        }
    }
}

fn reply(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain"),
    );
    response
}

//! The webhook listener: Stripe (or `stripe listen --forward-to`, or localstripe) posts events
//! to 127.0.0.1; each delivery is verified on its raw bytes, then applied once like a polled
//! event.
//!
//! A deliberately small HTTP/1.1 server: one POST per connection, a body of at most 1 MiB.
//! Answers: 400 to a bad, stale or altered signature (and to anything malformed), 200 to a
//! valid event, also one it does not act on, 500 when applying failed (Stripe retries).

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::payments::webhook::{DEFAULT_TOLERANCE_SECS, verify_signature};
use crate::payments::{Event, StripeClient};
use crate::{Shop, checkout};

const MAX_BODY: usize = 1024 * 1024;

/// Serves webhook deliveries on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, shop: Arc<Shop>, client: StripeClient, secret: String) {
    let client = Arc::new(client);
    let secret: Arc<str> = secret.into();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (shop, client, secret) = (Arc::clone(&shop), Arc::clone(&client), Arc::clone(&secret));
        tokio::spawn(async move {
            if let Err(e) = handle(stream, &shop, &client, &secret).await {
                tracing::warn!(error = %e, "webhook connection failed");
            }
        });
    }
}

async fn handle(
    mut stream: TcpStream,
    shop: &Arc<Shop>,
    client: &StripeClient,
    secret: &str,
) -> std::io::Result<()> {
    let (status, text) = match read_request(&mut stream).await? {
        Err(reason) => (400, reason),
        Ok((signature, body)) => respond(shop, client, secret, &signature, &body).await,
    };
    let reply = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        if status == 200 {
            "OK"
        } else if status == 400 {
            "Bad Request"
        } else {
            "Internal Server Error"
        },
        text.len()
    );
    stream.write_all(reply.as_bytes()).await?;
    stream.shutdown().await
}

async fn respond(
    shop: &Arc<Shop>,
    client: &StripeClient,
    secret: &str,
    signature: &str,
    body: &[u8],
) -> (u16, String) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    if let Err(e) = verify_signature(body, signature, secret, now, DEFAULT_TOLERANCE_SECS) {
        tracing::warn!(error = %e, "webhook refused");
        return (400, e.to_string());
    }
    let event = match serde_json::from_slice(body)
        .map_err(|e| e.to_string())
        .and_then(|v| Event::from_json(&v))
    {
        Ok(event) => event,
        Err(e) => return (400, format!("not a Stripe event: {e}")),
    };
    match checkout::apply_event_once(shop, client, &event).await {
        Ok(applied) => {
            tracing::info!(event = %event.id, kind = %event.event_type, applied, "webhook event");
            (200, "ok".into())
        }
        Err(e) => {
            tracing::warn!(event = %event.id, error = %e, "webhook event not applied");
            (500, "not applied; retry later".into())
        }
    }
}

/// Reads one request: its `Stripe-Signature` header and raw body, or why it is malformed.
async fn read_request(
    stream: &mut TcpStream,
) -> std::io::Result<Result<(String, Vec<u8>), String>> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        if buffer.len() > 64 * 1024 {
            return Ok(Err("headers too long".into()));
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(Err("connection closed before the headers ended".into()));
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).into_owned();
    let header = |name: &str| {
        head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    if !head.starts_with("POST ") {
        return Ok(Err("only POST is accepted".into()));
    }
    let Some(length) = header("content-length").and_then(|l| l.parse::<usize>().ok()) else {
        return Ok(Err("a Content-Length is required".into()));
    };
    if length > MAX_BODY {
        return Ok(Err("body too large".into()));
    }
    let Some(signature) = header("stripe-signature") else {
        return Ok(Err("no Stripe-Signature header".into()));
    };
    let mut body = buffer[header_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(Err("connection closed before the body ended".into()));
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Ok(Ok((signature, body)))
}

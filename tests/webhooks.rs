//! The webhook listener on 127.0.0.1: signatures checked on the raw body, each event applied
//! once, the PaymentIntent read back from a real localstripe before the order moves.

mod common;

use std::sync::Arc;

use common::localstripe::LocalStripe;
use common::{blank_shop, buyer, flag, variant};
use flagshop::payments::webhook::sign;
use flagshop::{Money, PaymentStatus, Shop};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &str = "whsec_test_flagshop";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn post(addr: std::net::SocketAddr, body: &[u8], signature: &str) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /webhook HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Connection: close\r\nStripe-Signature: {signature}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.unwrap();
    reply[9..12].parse().unwrap()
}

#[test]
fn deliveries_are_verified_and_applied_once() {
    let stripe = LocalStripe::start();
    let (dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![variant("PL", &["3x5 ft"], 2500, 5)],
    ))
    .unwrap();
    let shop = Arc::new(shop);
    let order = shop
        .place_order(&[("PL".into(), 2)], &buyer(), None)
        .unwrap();
    shop.begin_payment_attempt(&order.number).unwrap();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = stripe.client();
        // Paid at Stripe (e.g. after 3-D Secure in the customer's browser); the shop has not
        // heard of it yet.
        let intent = client
            .create_payment_intent(Money::new(order.totals.total, order.totals.currency), "webhook test", &[], "wh-intent")
            .await
            .unwrap();
        shop.set_payment_intent(&order.number, &intent.id).unwrap();
        client.confirm_payment_intent(&intent.id, Some("pm_card_visa"), "wh-confirm").await.unwrap();

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(flagshop::webhooks::serve(listener, Arc::clone(&shop), client, SECRET.into()));

        let body = serde_json::to_vec(&serde_json::json!({
            "id": "evt_test_paid",
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": now(),
            "data": {"object": {"id": intent.id, "object": "payment_intent"}}
        }))
        .unwrap();
        let pending = || shop.order(&order.number).unwrap().payment_status == PaymentStatus::Pending;

        assert_eq!(post(addr, &body, &sign(&body, "whsec_wrong", now())).await, 400);
        assert_eq!(post(addr, &body, &sign(&body, SECRET, now() - 301)).await, 400, "stale");
        let mut altered = body.clone();
        let last = altered.len() - 2;
        altered[last] = b' ';
        assert_eq!(post(addr, &altered, &sign(&body, SECRET, now())).await, 400, "altered");
        assert_eq!(post(addr, &body, "t=1,v2=abc").await, 400, "no v1");
        assert!(pending(), "refused deliveries change nothing");

        // Signed an hour "ahead": this machine's clock is slow. Stripe's own libraries accept
        // it (they check the age only), and so does the shop.
        assert_eq!(post(addr, &body, &sign(&body, SECRET, now() + 3_600)).await, 200);
        assert_eq!(shop.order(&order.number).unwrap().payment_status, PaymentStatus::Paid);
        assert_eq!(shop.stock_level("PL").unwrap().on_hand, 3);

        // Stripe delivers again: answered 200, applied once.
        assert_eq!(post(addr, &body, &sign(&body, SECRET, now())).await, 200);
        assert_eq!(shop.stock_level("PL").unwrap().on_hand, 3);
        assert_eq!(shop.stock_history("PL").unwrap().len(), 2);

        // An event the shop does not act on is still acknowledged.
        let other = br#"{"id":"evt_other","type":"customer.created","created":1,"data":{"object":{"id":"cus_1"}}}"#;
        assert_eq!(post(addr, other, &sign(other, SECRET, now())).await, 200);
    });
    assert!(
        Shop::open_blank(dir.path())
            .unwrap()
            .stripe_event_applied("evt_test_paid")
            .unwrap()
    );
}

#[test]
fn a_refund_made_outside_the_app_is_picked_up_from_charge_refunded_once() {
    let stripe = LocalStripe::start();
    let (_dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![variant("PL", &["3x5 ft"], 2500, 5)],
    ))
    .unwrap();
    let shop = Arc::new(shop);
    let order = shop
        .place_order(&[("PL".into(), 2)], &buyer(), None)
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = stripe.client();
        let paid = flagshop::checkout::pay(&shop, &client, &order.number, "pm_card_visa")
            .await
            .unwrap();
        assert_eq!(paid.payment_status, PaymentStatus::Paid);
        let intent = paid.payment_intent_id.clone().unwrap();
        let charge = client
            .retrieve_payment_intent(&intent)
            .await
            .unwrap()
            .latest_charge
            .unwrap();

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(flagshop::webhooks::serve(
            listener,
            Arc::clone(&shop),
            client.clone(),
            SECRET.into(),
        ));
        // What Stripe sends when the owner refunds in its dashboard. localstripe emits no
        // charge.refunded, so the event is made here; the refund itself is real, on the server.
        // The event's amounts are deliberately wrong: the shop must read the refunds back.
        let charge_refunded = |event_id: &str| {
            serde_json::to_vec(&serde_json::json!({
                "id": event_id,
                "object": "event",
                "type": "charge.refunded",
                "created": now(),
                "data": {"object": {
                    "id": charge, "object": "charge", "payment_intent": intent,
                    "amount_refunded": 1, "refunded": true
                }}
            }))
            .unwrap()
        };

        let first = client
            .create_refund(&intent, Some(1000), "outside-the-app-1")
            .await
            .unwrap();
        let body = charge_refunded("evt_refund_1");
        assert_eq!(post(addr, &body, &sign(&body, SECRET, now())).await, 200);
        let after = shop.order(&order.number).unwrap();
        assert_eq!(
            (after.payment_status, after.amount_refunded),
            (PaymentStatus::PartiallyRefunded, 1000)
        );
        let refunded: Vec<_> = after
            .events
            .iter()
            .filter(|e| e.kind == "refunded")
            .collect();
        assert_eq!(refunded.len(), 1);
        assert!(
            refunded[0].message.contains(&first.id),
            "{}",
            refunded[0].message
        );
        assert_eq!(shop.stock_level("PL").unwrap().on_hand, 3, "no restock");

        // Delivered again: acknowledged, nothing changes.
        assert_eq!(post(addr, &body, &sign(&body, SECRET, now())).await, 200);
        assert_eq!(shop.order(&order.number).unwrap(), after);

        // The rest refunded outside too: only the new refund is recorded.
        // (An amount: localstripe would refund the whole charge again without one.)
        client
            .create_refund(&intent, Some(paid.totals.total - 1000), "outside-the-app-2")
            .await
            .unwrap();
        let body = charge_refunded("evt_refund_2");
        assert_eq!(post(addr, &body, &sign(&body, SECRET, now())).await, 200);
        let after = shop.order(&order.number).unwrap();
        assert_eq!(
            (after.payment_status, after.amount_refunded),
            (PaymentStatus::Refunded, after.totals.total)
        );
        assert_eq!(
            after.events.iter().filter(|e| e.kind == "refunded").count(),
            2
        );
        assert_eq!(
            shop.stock_level("PL").unwrap().on_hand,
            3,
            "still no restock"
        );
    });
}

/// A listener with a shop and a client that must never be needed: the deliveries below are
/// refused or about nothing the shop acts on.
async fn bare_listener() -> (tempfile::TempDir, Arc<Shop>, std::net::SocketAddr) {
    let (dir, shop) = blank_shop();
    let shop = Arc::new(shop);
    let client =
        flagshop::payments::StripeClient::new("http://127.0.0.1:9", "sk_test_unused").unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(flagshop::webhooks::serve(
        listener,
        Arc::clone(&shop),
        client,
        SECRET.into(),
    ));
    (dir, shop, addr)
}

fn ignored_event(id: &str) -> Vec<u8> {
    format!(r#"{{"id":"{id}","type":"customer.created","created":1,"data":{{"object":{{"id":"cus_1"}}}}}}"#)
        .into_bytes()
}

#[tokio::test]
async fn a_client_sending_a_byte_a_second_is_cut_off_without_holding_up_others() {
    let (_dir, _shop, addr) = bare_listener().await;
    let started = std::time::Instant::now();
    let slow = tokio::spawn(async move {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST /webhook HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            .await
            .unwrap();
        // One byte a second, for as long as the server listens.
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            if stream.write_all(b"a").await.is_err() {
                return started.elapsed();
            }
            let mut probe = [0u8; 1];
            if let Ok(Ok(0)) =
                tokio::time::timeout(std::time::Duration::from_millis(1), stream.read(&mut probe))
                    .await
            {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "never cut off"
            );
        }
    });
    // Meanwhile a real delivery is answered at once.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let body = ignored_event("evt_meanwhile");
    let asked = std::time::Instant::now();
    assert_eq!(post(addr, &body, &sign(&body, SECRET, now())).await, 200);
    assert!(asked.elapsed() < std::time::Duration::from_secs(2));

    let cut_after = slow.await.unwrap();
    assert!(
        cut_after >= std::time::Duration::from_secs(9)
            && cut_after < std::time::Duration::from_secs(20),
        "cut off after {cut_after:?}, expected about {:?}",
        flagshop::webhooks::READ_TIMEOUT
    );
}

#[tokio::test]
async fn an_oversized_body_gets_413_and_nothing_is_applied() {
    let (_dir, shop, addr) = bare_listener().await;
    let mut body = ignored_event("evt_huge");
    body.truncate(body.len() - 1);
    body.extend_from_slice(br#","padding":""#);
    body.resize(body.len() + 10 * 1024 * 1024, b'x');
    body.extend_from_slice(br#""}"#);
    let signature = sign(&body, SECRET, now());
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /webhook HTTP/1.1\r\nHost: localhost\r\nStripe-Signature: {signature}\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // The server may answer and close before taking all of it.
    let _ = stream.write_all(&body).await;
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply).await;
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(!shop.stripe_event_applied("evt_huge").unwrap());
}

#[tokio::test]
async fn chunked_bodies_and_keep_alive_work() {
    let (_dir, shop, addr) = bare_listener().await;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    for id in ["evt_chunked_1", "evt_chunked_2"] {
        let body = ignored_event(id);
        let (first, rest) = body.split_at(10);
        let request = format!(
            "POST /webhook HTTP/1.1\r\nHost: localhost\r\nStripe-Signature: {}\r\n\
             Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{}\r\n{:x}\r\n{}\r\n0\r\n\r\n",
            sign(&body, SECRET, now()),
            first.len(),
            String::from_utf8_lossy(first),
            rest.len(),
            String::from_utf8_lossy(rest)
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        // One answer per request on the same connection.
        let mut reply = vec![0u8; 1024];
        let n = stream.read(&mut reply).await.unwrap();
        let reply = String::from_utf8_lossy(&reply[..n]);
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        assert!(shop.stripe_event_applied(id).unwrap());
    }
}

/// CPU time (user + system, in clock ticks) the process has used.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn a_flood_of_idle_connections_under_a_low_file_limit_does_not_spin_the_listener() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    // 64 files: far fewer than the 200 connections below, so accept() keeps failing.
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 64 && exec \"$0\" --data-dir \"$1\" stripe listen --port {port}"
        ))
        .arg(env!("CARGO_BIN_EXE_flagshop"))
        .arg(dir.path())
        .env("STRIPE_SECRET_KEY", "sk_test_flood")
        .env("STRIPE_API_BASE", "http://127.0.0.1:9")
        .env("STRIPE_WEBHOOK_SECRET", SECRET)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert!(line.contains("Listening"), "{line}");

    let idle: Vec<_> = (0..200)
        .filter_map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).ok())
        .collect();
    assert!(idle.len() > 100, "the flood could not connect");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let before = cpu_ticks(child.id());
    std::thread::sleep(std::time::Duration::from_secs(2));
    let used = cpu_ticks(child.id()) - before;
    // Clock ticks are 1/100 s here: 40 ticks in 2 s is 20 % of a core.
    assert!(
        used < 40,
        "the listener used {used} ticks of CPU in 2 s while idle"
    );

    // The flood ends: a delivery is answered again.
    drop(idle);
    let body = ignored_event("evt_after_flood");
    let rt = common::runtime();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let status = rt.block_on(async {
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        post(addr, &body, &sign(&body, SECRET, now())).await
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(status, 200);
}

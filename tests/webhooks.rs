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
         Stripe-Signature: {signature}\r\nContent-Length: {}\r\n\r\n",
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

//! Stripe does not promise the order of its events. Whatever order a payment's events arrive
//! in, the order must end where Stripe's objects say, with its stock sold exactly once.
//! Against the test server in today's-Stripe mode (it has refunds and disputes).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::localstripe::LocalStripe;
use common::{buyer, runtime};
use flagshop::checkout::{self, apply_event_once};
use flagshop::payments::{Event, StripeClient};
use flagshop::{Order, PaymentStatus, Shop, StockReason};

/// A shop selling PL, `on_hand` in stock at 25.00.
fn shop(on_hand: i64) -> (tempfile::TempDir, Arc<Shop>) {
    common::poland(on_hand)
}

/// The events the server holds about `intent` (its object, or the object's payment_intent),
/// of the given types, oldest first.
fn events_about(stripe: &LocalStripe, intent: &str, types: &[&str]) -> Vec<Event> {
    let mut events = Vec::new();
    let mut after = String::new();
    loop {
        let page = stripe.get(&format!("/v1/events?limit=100{after}"));
        let data = page["data"].as_array().unwrap();
        for event in data {
            let object = &event["data"]["object"];
            let about = object["id"] == intent || object["payment_intent"] == intent;
            if about && types.contains(&event["type"].as_str().unwrap()) {
                events.push(Event::from_json(event).unwrap());
            }
        }
        if page["has_more"] != true {
            break;
        }
        after = format!(
            "&starting_after={}",
            data.last().unwrap()["id"].as_str().unwrap()
        );
    }
    events.reverse();
    events
}

/// Every ordering of `items`.
fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut all = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let first = rest.remove(i);
        for mut tail in permutations(&rest) {
            tail.insert(0, first.clone());
            all.push(tail);
        }
    }
    all
}

fn sold_rows(shop: &Shop) -> Vec<i64> {
    shop.stock_history("PL")
        .unwrap()
        .into_iter()
        .filter(|e| e.reason == StockReason::Sold)
        .map(|e| e.delta)
        .collect()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "{what} never happened");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// An order waiting for the customer to authenticate its payment `intent`, as the shop has it
/// before any event arrives.
fn waiting_order(shop: &Shop, intent: &str) -> Order {
    let order = shop
        .place_order(&[("PL".into(), 1)], &buyer(), None)
        .unwrap();
    shop.begin_payment_attempt(&order.number).unwrap();
    shop.set_payment_intent(&order.number, intent).unwrap();
    shop.mark_requires_action(&order.number).unwrap()
}

#[test]
fn every_order_of_a_payments_events_ends_where_stripe_says_with_stock_sold_once() {
    let stripe = LocalStripe::start_today();
    let client: StripeClient = stripe.client();
    let rt = runtime();

    // At Stripe: paid, 10.00 refunded from the dashboard, then disputed by the cardholder.
    let (_probe_dir, probe) = shop(5);
    let total = probe
        .quote(&[("PL".into(), 1)], "US", None)
        .unwrap()
        .total_money();
    let intent = rt
        .block_on(client.create_payment_intent(total, "events in any order", &[], "eo-intent"))
        .unwrap()
        .id;
    rt.block_on(client.confirm_payment_intent(&intent, Some("pm_card_createDispute"), "eo-pay"))
        .unwrap();
    let (status, refund) = stripe.post(
        "/v1/refunds",
        &format!("payment_intent={intent}&amount=1000"),
    );
    assert_eq!(status, 200, "{refund}");
    wait_for("the dispute", || {
        let disputes = stripe.get(&format!("/v1/disputes?payment_intent={intent}"));
        disputes["data"].as_array().is_some_and(|d| !d.is_empty())
    });
    let events = events_about(
        &stripe,
        &intent,
        &[
            "payment_intent.succeeded",
            "refund.created",
            "charge.refunded",
            "charge.dispute.created",
        ],
    );
    let kinds: Vec<_> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(kinds.len(), 4, "{kinds:?}");

    let orders = permutations(&events);
    assert_eq!(orders.len(), 24);
    for events in orders {
        let (_dir, shop) = shop(5);
        let order = waiting_order(&shop, &intent);
        for event in &events {
            assert!(
                rt.block_on(apply_event_once(&shop, &client, event))
                    .unwrap()
            );
        }
        let arrival: Vec<_> = events.iter().map(|e| e.event_type.as_str()).collect();
        let after = shop.order(&order.number).unwrap();
        assert_eq!(
            after.payment_status,
            PaymentStatus::PartiallyRefunded,
            "{arrival:?}"
        );
        assert_eq!(after.amount_refunded, 1000, "{arrival:?}");
        let dispute = after.dispute.as_ref().expect("the dispute");
        assert_eq!(dispute.status, "needs_response", "{arrival:?}");
        assert_eq!(sold_rows(&shop), [-1], "sold exactly once: {arrival:?}");
        let level = shop.stock_level("PL").unwrap();
        assert_eq!((level.on_hand, level.reserved), (4, 0), "{arrival:?}");
        assert_eq!(
            after.events.iter().filter(|e| e.kind == "paid").count(),
            1,
            "{arrival:?}"
        );
        assert!(shop.verify_stock().unwrap().mismatches.is_empty());

        // Delivered again, in any order: applied once.
        for event in events.iter().rev() {
            assert!(
                !rt.block_on(apply_event_once(&shop, &client, event))
                    .unwrap()
            );
        }
        assert_eq!(shop.order(&order.number).unwrap(), after, "{arrival:?}");
    }
}

#[test]
fn a_refund_arriving_before_a_late_payment_leaves_one_sale_and_one_refunded_order() {
    let stripe = LocalStripe::start_today();
    let client = stripe.client();
    let rt = runtime();
    let (dir, shop) = shop(1);

    // A pays for the only unit through 3-D Secure, and takes too long: the reservation lapses.
    let a = shop
        .place_order(&[("PL".into(), 1)], &buyer(), None)
        .unwrap();
    let a = rt
        .block_on(checkout::pay(
            &shop,
            &client,
            &a.number,
            "pm_card_threeDSecure2Required",
        ))
        .unwrap();
    assert_eq!(a.payment_status, PaymentStatus::RequiresAction);
    rusqlite::Connection::open(dir.path().join("shop.db"))
        .unwrap()
        .execute(
            "UPDATE stock_reservations SET expires_at = '2000-01-01T00:00:00.000Z'
             WHERE order_id = ?1",
            [a.id],
        )
        .unwrap();
    assert_eq!(shop.release_expired_reservations().unwrap(), 1);

    // B buys the unit meanwhile.
    let b = shop
        .place_order(&[("PL".into(), 1)], &buyer(), None)
        .unwrap();
    let b = rt
        .block_on(checkout::pay(&shop, &client, &b.number, "pm_card_visa"))
        .unwrap();
    assert_eq!(b.payment_status, PaymentStatus::Paid);

    // A completes the challenge after all, and the owner refunds A in Stripe's dashboard. The
    // refund's event reaches the shop before the payment's.
    let intent = a.payment_intent_id.clone().unwrap();
    rt.block_on(stripe.complete_3ds(&client, &intent, true));
    let (status, refund) = stripe.post("/v1/refunds", &format!("payment_intent={intent}"));
    assert_eq!(status, 200, "{refund}");
    let mut events = events_about(
        &stripe,
        &intent,
        &["payment_intent.succeeded", "charge.refunded"],
    );
    events.reverse();
    assert_eq!(events[0].event_type, "charge.refunded");
    for event in &events {
        rt.block_on(apply_event_once(&shop, &client, event))
            .unwrap();
    }

    let a = shop.order(&a.number).unwrap();
    assert_eq!(a.payment_status, PaymentStatus::Refunded);
    assert_eq!(a.amount_refunded, a.totals.total);
    assert!(
        a.events.iter().any(|e| e.kind == "oversold"),
        "paid for a unit that was gone: {:?}",
        a.events
    );
    assert_eq!(
        shop.order(&b.number).unwrap().payment_status,
        PaymentStatus::Paid
    );
    assert_eq!(sold_rows(&shop), [-1], "the unit was sold once, to B");
    assert_eq!(shop.stock_level("PL").unwrap().on_hand, 0);
    assert!(shop.verify_stock().unwrap().mismatches.is_empty());
}

/// An order waiting for 3-D Secure whose reservation lapses, then the unit goes to another
/// customer who pays at once: returns (late order, the other order).
fn sold_under_a_waiting_order(
    stripe: &LocalStripe,
    shop: &Arc<Shop>,
    dir: &std::path::Path,
) -> (Order, Order) {
    let client = stripe.client();
    let rt = runtime();
    let late = shop
        .place_order(&[("PL".into(), 1)], &buyer(), None)
        .unwrap();
    let late = rt
        .block_on(checkout::pay(
            shop,
            &client,
            &late.number,
            "pm_card_threeDSecure2Required",
        ))
        .unwrap();
    rusqlite::Connection::open(dir.join("shop.db"))
        .unwrap()
        .execute(
            "UPDATE stock_reservations SET expires_at = '2000-01-01T00:00:00.000Z'
             WHERE order_id = ?1",
            [late.id],
        )
        .unwrap();
    shop.release_expired_reservations().unwrap();
    let other = shop
        .place_order(&[("PL".into(), 1)], &buyer(), None)
        .unwrap();
    let other = rt
        .block_on(checkout::pay(shop, &client, &other.number, "pm_card_visa"))
        .unwrap();
    assert_eq!(other.payment_status, PaymentStatus::Paid);
    // The late customer authenticates after all: paid, for a unit that is gone.
    let intent = late.payment_intent_id.clone().unwrap();
    rt.block_on(stripe.complete_3ds(&client, &intent, true));
    let late = rt
        .block_on(checkout::refresh(shop, &client, &late.number))
        .unwrap();
    (late, other)
}

#[test]
fn an_oversold_order_is_in_front_of_the_owner_until_restocked() {
    let stripe = LocalStripe::start_today();
    let (dir, shop) = shop(1);
    let (late, _) = sold_under_a_waiting_order(&stripe, &shop, dir.path());
    assert_eq!(late.payment_status, PaymentStatus::Paid);
    assert_eq!(late.oversold_units, 1);
    assert!(late.events.iter().any(|e| e.kind == "oversold"));

    let oversold = flagshop::OrderQuery {
        oversold: true,
        ..flagshop::OrderQuery::default()
    };
    let listed = shop.search_orders(&oversold).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].number, late.number);
    assert!(listed[0].oversold);
    assert_eq!(shop.dashboard().unwrap().oversold_orders, 1);

    // The owner receives another unit for it: received, then sold to the order.
    let restocked = shop.restock_oversold(&late.number).unwrap();
    assert_eq!(restocked.oversold_units, 0);
    assert!(
        restocked
            .events
            .iter()
            .any(|e| e.kind == "oversold_restocked")
    );
    assert!(shop.search_orders(&oversold).unwrap().is_empty());
    assert_eq!(shop.dashboard().unwrap().oversold_orders, 0);
    assert_eq!(sold_rows(&shop), [-1, -1], "each order sold its unit once");
    assert_eq!(shop.stock_level("PL").unwrap().on_hand, 0);
    assert!(shop.verify_stock().unwrap().mismatches.is_empty());
    let again = shop.restock_oversold(&late.number).unwrap_err();
    assert!(again.to_string().contains("is not oversold"), "{again}");
}

#[test]
fn an_oversold_order_refunded_and_cancelled_leaves_the_books_straight() {
    let stripe = LocalStripe::start_today();
    let client = stripe.client();
    let (dir, shop) = shop(1);
    let (late, other) = sold_under_a_waiting_order(&stripe, &shop, dir.path());
    assert_eq!(late.oversold_units, 1);

    let cancelled = runtime()
        .block_on(checkout::cancel(&shop, &client, &late.number))
        .unwrap();
    assert_eq!(cancelled.status, "cancelled");
    assert_eq!(cancelled.payment_status, PaymentStatus::Refunded);
    assert_eq!(cancelled.amount_refunded, cancelled.totals.total);
    assert_eq!(cancelled.oversold_units, 0);
    assert_eq!(shop.dashboard().unwrap().oversold_orders, 0);
    // Nothing was sold to it, so nothing comes back: the unit stays with the other order.
    assert_eq!(sold_rows(&shop), [-1]);
    assert_eq!(shop.stock_level("PL").unwrap().on_hand, 0);
    assert_eq!(
        shop.order(&other.number).unwrap().payment_status,
        PaymentStatus::Paid
    );
    assert!(shop.verify_stock().unwrap().mismatches.is_empty());
}

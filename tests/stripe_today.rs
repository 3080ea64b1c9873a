//! What only today's Stripe does, against the test server in today's-Stripe mode (whatever
//! FLAGSHOP_STRIPE_MODE says): events newest first across pages, idempotent replay, refunds
//! that stay pending or fail later, and disputes.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::localstripe::LocalStripe;
use common::{buyer, runtime};
use flagshop::checkout;
use flagshop::payments::{self, RefundStatus, StripeClient};
use flagshop::{Currency, Money, Order, OrderQuery, PaymentStatus, Shop, StockReason};

/// A shop selling PL (10 in stock at 25.00).
fn shop() -> (tempfile::TempDir, Arc<Shop>) {
    common::poland(10)
}

/// Places an order for one PL and pays it through the pipeline with `payment_method`.
fn buy(shop: &Arc<Shop>, client: &StripeClient, payment_method: &str) -> Order {
    let order = shop
        .place_order(&[("PL".into(), 1)], &buyer(), None)
        .unwrap();
    runtime()
        .block_on(checkout::pay(shop, client, &order.number, payment_method))
        .unwrap()
}

/// Catches up with Stripe's events until `done` holds for the order, as the app does when
/// Stripe acts "some time later"; polls, for at most 20 s.
fn catch_up_until(
    shop: &Arc<Shop>,
    client: &StripeClient,
    number: &str,
    what: &str,
    done: impl Fn(&Order) -> bool,
) -> Order {
    let rt = runtime();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        rt.block_on(checkout::sync_events(shop, client)).unwrap();
        let order = shop.order(number).unwrap();
        if done(&order) {
            return order;
        }
        assert!(
            Instant::now() < deadline,
            "{what} never happened: {order:#?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn kinds(order: &Order, kind: &str) -> usize {
    order.events.iter().filter(|e| e.kind == kind).count()
}

fn applied_events(data_dir: &Path) -> i64 {
    rusqlite::Connection::open(data_dir.join("shop.db"))
        .unwrap()
        .query_row("SELECT count(*) FROM stripe_events", [], |row| row.get(0))
        .unwrap()
}

/// Every event the server holds, paging back as Stripe does.
fn events_on_the_server(stripe: &LocalStripe) -> usize {
    let mut count = 0;
    let mut after = String::new();
    loop {
        let page = stripe.get(&format!("/v1/events?limit=100{after}"));
        let data = page["data"].as_array().unwrap();
        count += data.len();
        if page["has_more"] != true {
            return count;
        }
        after = format!(
            "&starting_after={}",
            data.last().unwrap()["id"].as_str().unwrap()
        );
    }
}

/// An order whose payment went through at Stripe without the shop hearing of it (say, 3-D
/// Secure completed while the app was closed).
fn paid_behind_the_shops_back(shop: &Arc<Shop>, client: &StripeClient) -> Order {
    let rt = runtime();
    let order = shop
        .place_order(&[("PL".into(), 2)], &buyer(), None)
        .unwrap();
    shop.begin_payment_attempt(&order.number).unwrap();
    let intent = rt
        .block_on(client.create_payment_intent(
            Money::new(order.totals.total, order.totals.currency),
            "paid elsewhere",
            &[],
            &shop.idempotency_key("behind-intent").unwrap(),
        ))
        .unwrap();
    shop.set_payment_intent(&order.number, &intent.id).unwrap();
    rt.block_on(client.confirm_payment_intent(
        &intent.id,
        Some("pm_card_visa"),
        &shop.idempotency_key("behind-confirm").unwrap(),
    ))
    .unwrap();
    shop.order(&order.number).unwrap()
}

#[test]
fn a_catch_up_pages_back_through_150_events_and_applies_each_once() {
    let stripe = LocalStripe::start_today();
    let client = stripe.client();
    let (dir, shop) = shop();
    let rt = runtime();
    rt.block_on(checkout::sync_events(&shop, &client)).unwrap();

    // 150 events since the last catch-up, newest first at 100 a page: the payment is among
    // the oldest, on the second page.
    let order = paid_behind_the_shops_back(&shop, &client);
    assert_eq!(order.payment_status, PaymentStatus::Pending);
    let intent = order.payment_intent_id.clone().unwrap();
    let burst = stripe.config(
        "/_config/events/burst",
        &format!("count=150&payment_intent={intent}&type=payment_intent.succeeded"),
    );
    let report = rt.block_on(checkout::sync_events(&shop, &client)).unwrap();
    assert!(report.seen >= 150, "{report:?}");

    let order = shop.order(&order.number).unwrap();
    assert_eq!(order.payment_status, PaymentStatus::Paid);
    assert_eq!(
        kinds(&order, "paid"),
        1,
        "one timeline line for the payment"
    );
    let sold: Vec<_> = shop
        .stock_history("PL")
        .unwrap()
        .into_iter()
        .filter(|e| e.reason == StockReason::Sold)
        .collect();
    assert_eq!(sold.len(), 1, "sold once: {sold:?}");
    for id in [&burst["oldest"], &burst["newest"]] {
        assert!(shop.stripe_event_applied(id.as_str().unwrap()).unwrap());
    }
    assert_eq!(
        applied_events(dir.path()) as usize,
        events_on_the_server(&stripe)
    );

    let again = rt.block_on(checkout::sync_events(&shop, &client)).unwrap();
    assert_eq!(again.applied, 0, "{again:?}");
    assert_eq!(kinds(&shop.order(&order.number).unwrap(), "paid"), 1);
}

#[test]
fn a_catch_up_killed_halfway_applies_the_rest_when_run_again() {
    let stripe = LocalStripe::start_today();
    let client = stripe.client();
    let (dir, shop) = shop();
    let order = paid_behind_the_shops_back(&shop, &client);
    let intent = order.payment_intent_id.clone().unwrap();
    // Each event about our payment makes the catch-up read the payment back from Stripe (the
    // first one already finds it paid): 600 of them keep it busy long enough to be killed in
    // the middle.
    stripe.config(
        "/_config/events/burst",
        &format!("count=600&payment_intent={intent}&type=payment_intent.processing"),
    );
    let total = events_on_the_server(&stripe) as i64;

    let mut child = Command::new(env!("CARGO_BIN_EXE_flagshop"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["stripe", "sync"])
        .env("STRIPE_API_BASE", stripe.base_url())
        .env("STRIPE_SERVER_KIND", stripe.server_kind_env())
        .env("STRIPE_SECRET_KEY", "sk_test_flagshop")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while applied_events(dir.path()) < 20 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let applied_when_killed = applied_events(dir.path());
    assert!(
        applied_when_killed > 0,
        "the catch-up never started applying"
    );
    assert!(
        applied_when_killed < total,
        "the catch-up finished before it could be killed ({applied_when_killed} of {total})"
    );

    let report = runtime()
        .block_on(checkout::sync_events(&shop, &client))
        .unwrap();
    assert_eq!(report.seen as i64, total, "{report:?}");
    assert_eq!(
        applied_events(dir.path()),
        total,
        "each event recorded once"
    );
    let order = shop.order(&order.number).unwrap();
    assert_eq!(order.payment_status, PaymentStatus::Paid);
    assert_eq!(kinds(&order, "paid"), 1);
    assert_eq!(shop.stock_level("PL").unwrap().on_hand, 8, "sold once");
}

#[test]
fn two_shops_on_one_stripe_account_never_share_an_idempotency_key() {
    let stripe = LocalStripe::start_today();
    let client = stripe.client();
    let (dir_a, a) = shop();
    let (_dir_b, b) = shop();
    // Both shops' first order is order 1, FS-1001: the same local ids.
    let paid_a = buy(&a, &client, "pm_card_visa");
    let paid_b = buy(&b, &client, "pm_card_visa");
    assert_eq!((paid_a.id, paid_b.id), (1, 1));
    assert_eq!(paid_a.payment_status, PaymentStatus::Paid);
    assert_eq!(paid_b.payment_status, PaymentStatus::Paid);
    assert_ne!(
        paid_a.payment_intent_id, paid_b.payment_intent_id,
        "the second shop got a PaymentIntent of its own, not the first one's replayed"
    );
    let intents = stripe.get("/v1/payment_intents?limit=100");
    assert_eq!(intents["data"].as_array().unwrap().len(), 2);

    let key = |shop: &Shop| shop.idempotency_key("order-1-payment-intent").unwrap();
    assert_eq!(key(&a), key(&a), "stable across retries");
    assert_ne!(key(&a), key(&b));
    assert!(key(&a).ends_with("-order-1-payment-intent"), "{}", key(&a));

    // A copy of the shop (a backup restored elsewhere, a second install) gets its own keys.
    let original = key(&a);
    drop(a);
    let copy = tempfile::tempdir().unwrap();
    for file in ["shop.db", "shop.db-wal", "shop.db-shm"] {
        let from = dir_a.path().join(file);
        if from.exists() {
            std::fs::copy(&from, copy.path().join(file)).unwrap();
        }
    }
    let copied = Shop::open_blank(copy.path()).unwrap();
    assert_ne!(key(&copied), original);
    let reopened = Shop::open_blank(dir_a.path()).unwrap();
    assert_eq!(key(&reopened), original, "the original keeps its keys");
}

#[test]
fn a_pending_refund_counts_until_stripe_says_it_succeeded() {
    let stripe = LocalStripe::start_today();
    let client = stripe.client();
    let (_dir, shop) = shop();
    let order = buy(&shop, &client, "pm_card_pendingRefund");
    assert_eq!(order.payment_status, PaymentStatus::Paid);
    assert_eq!(shop.stock_level("PL").unwrap().on_hand, 9);
    // Refunded with the goods back in stock: they go back once the money did.
    let refunded = runtime()
        .block_on(checkout::refund(&shop, &client, &order.number, None, true))
        .unwrap();
    assert_eq!(refunded.payment_status, PaymentStatus::Refunded);
    assert_eq!(refunded.amount_refunded, order.totals.total);
    assert_eq!(refunded.amount_refund_pending, order.totals.total);
    assert!(
        refunded
            .events
            .iter()
            .any(|e| e.message.starts_with("Refund pending")),
        "{:?}",
        refunded.events
    );
    assert_eq!(refunded.events.last().unwrap().kind, "restock_waiting");
    assert_eq!(
        shop.stock_level("PL").unwrap().on_hand,
        9,
        "not restocked while the refund is pending"
    );
    let nothing_left = shop.prepare_refund(&order.number, None).unwrap_err();
    assert!(
        nothing_left.to_string().contains("left to refund"),
        "{nothing_left}"
    );

    let settled = catch_up_until(&shop, &client, &order.number, "the refund settling", |o| {
        o.amount_refund_pending == 0
    });
    assert_eq!(settled.payment_status, PaymentStatus::Refunded);
    assert_eq!(settled.amount_refunded, order.totals.total);
    assert!(
        settled
            .events
            .iter()
            .any(|e| e.message.starts_with("Refund of") && e.message.contains("completed")),
        "{:?}",
        settled.events
    );
    assert!(
        settled.events.iter().any(|e| e.kind == "restocked"),
        "{:?}",
        settled.events
    );
    assert_eq!(
        shop.stock_level("PL").unwrap().on_hand,
        10,
        "back in stock, once"
    );
    rt_catch_up_again(&shop, &client);
    assert_eq!(shop.stock_level("PL").unwrap().on_hand, 10);
}

fn rt_catch_up_again(shop: &Arc<Shop>, client: &StripeClient) {
    runtime()
        .block_on(checkout::sync_events(shop, client))
        .unwrap();
}

#[test]
fn a_refund_that_fails_later_stops_counting_and_can_be_made_again() {
    let stripe = LocalStripe::start_today();
    let client = stripe.client();
    let (_dir, shop) = shop();
    let order = buy(&shop, &client, "pm_card_refundFail");
    let rt = runtime();
    let part = rt
        .block_on(checkout::refund(
            &shop,
            &client,
            &order.number,
            Some(1000),
            false,
        ))
        .unwrap();
    assert_eq!(part.payment_status, PaymentStatus::PartiallyRefunded);
    assert_eq!(part.amount_refunded, 1000);
    assert_eq!(
        shop.dashboard().unwrap().sales_today,
        order.totals.total - 1000
    );

    let failed = catch_up_until(&shop, &client, &order.number, "the refund failing", |o| {
        o.amount_refunded == 0
    });
    assert_eq!(failed.payment_status, PaymentStatus::Paid);
    assert_eq!(kinds(&failed, "refund_failed"), 1, "{:?}", failed.events);
    assert_eq!(
        shop.dashboard().unwrap().sales_today,
        order.totals.total,
        "a failed refund gave nothing back"
    );
    let (amount, _, _) = shop.prepare_refund(&order.number, None).unwrap();
    assert_eq!(
        amount, order.totals.total,
        "all of it may be refunded again"
    );

    // The failure came by a catch-up; applying it again changes nothing.
    rt.block_on(checkout::sync_events(&shop, &client)).unwrap();
    assert_eq!(
        kinds(&shop.order(&order.number).unwrap(), "refund_failed"),
        1
    );
}

#[test]
fn a_pending_refund_that_fails_stops_counting_and_a_late_pending_does_not_revive_it() {
    let (_dir, shop) = shop();
    let order = shop
        .place_order(&[("PL".into(), 1)], &buyer(), None)
        .unwrap();
    shop.begin_payment_attempt(&order.number).unwrap();
    shop.mark_paid(&order.number, "Paid", None).unwrap();
    let refund = |status| payments::Refund {
        id: "re_1".into(),
        amount: Money::new(1500, Currency::USD),
        status,
        payment_intent: None,
        charge: None,
        created: None,
    };
    let pending = shop
        .record_stripe_refund(&order.number, &refund(RefundStatus::Pending), false)
        .unwrap();
    assert_eq!(
        (pending.amount_refunded, pending.amount_refund_pending),
        (1500, 1500)
    );
    assert_eq!(pending.payment_status, PaymentStatus::PartiallyRefunded);

    let failed = shop
        .record_stripe_refund(&order.number, &refund(RefundStatus::Failed), false)
        .unwrap();
    assert_eq!(
        (failed.amount_refunded, failed.amount_refund_pending),
        (0, 0)
    );
    assert_eq!(failed.payment_status, PaymentStatus::Paid);
    assert!(
        failed.events.last().unwrap().message.contains("failed"),
        "{:?}",
        failed.events
    );

    // A stale "pending" never takes back a refund that succeeded.
    let other = |status| payments::Refund {
        id: "re_2".into(),
        ..refund(status)
    };
    shop.record_stripe_refund(&order.number, &other(RefundStatus::Succeeded), false)
        .unwrap();
    let stale = shop
        .record_stripe_refund(&order.number, &other(RefundStatus::Pending), false)
        .unwrap();
    assert_eq!(
        (stale.amount_refunded, stale.amount_refund_pending),
        (1500, 0)
    );
    shop.record_stripe_refund(&order.number, &other(RefundStatus::Failed), false)
        .unwrap();

    // Events out of order: a stale "pending" after the failure changes nothing.
    let before = shop.order(&order.number).unwrap();
    let late = shop
        .record_stripe_refund(&order.number, &refund(RefundStatus::Pending), false)
        .unwrap();
    assert_eq!(
        (late.amount_refunded, late.payment_status),
        (0, PaymentStatus::Paid)
    );
    assert_eq!(late, before);
}

#[test]
fn a_dispute_is_flagged_filtered_and_counted_until_it_closes() {
    let stripe = LocalStripe::start_today();
    let client = stripe.client();
    let (_dir, shop) = shop();
    let order = buy(&shop, &client, "pm_card_createDispute");
    assert_eq!(order.payment_status, PaymentStatus::Paid);
    assert!(order.dispute.is_none());

    let disputed = catch_up_until(&shop, &client, &order.number, "the dispute", |o| {
        o.dispute.is_some()
    });
    let dispute = disputed.dispute.clone().unwrap();
    assert_eq!(dispute.reason, "fraudulent");
    assert_eq!(dispute.status, "needs_response");
    assert!(dispute.needs_response && !dispute.closed);
    assert_eq!(dispute.amount, order.totals.total);
    let due = dispute
        .evidence_due_by
        .clone()
        .expect("a response deadline");
    assert!(due > disputed.created_at, "{due}");
    assert_eq!(
        disputed.payment_status,
        PaymentStatus::Paid,
        "a flag, not a payment status"
    );
    let opened = disputed
        .events
        .iter()
        .find(|e| e.kind == "dispute_opened")
        .unwrap();
    assert!(
        opened.message.contains("fraudulent") && opened.message.contains(&due[..10]),
        "{opened:?}"
    );

    let only_disputed = OrderQuery {
        disputed: true,
        ..OrderQuery::default()
    };
    let listed = shop.search_orders(&only_disputed).unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].disputed);
    let dashboard = shop.dashboard().unwrap();
    assert_eq!(dashboard.disputes_needing_response, 1);
    assert_eq!(
        dashboard.next_dispute_deadline.as_deref(),
        Some(due.as_str())
    );

    // The owner accepts the dispute in Stripe's dashboard: it closes as lost.
    let (status, _) = stripe.post(
        &format!("/v1/disputes/{}/close", dispute.stripe_dispute_id),
        "",
    );
    assert_eq!(status, 200);
    let closed = catch_up_until(&shop, &client, &order.number, "the dispute closing", |o| {
        o.dispute.as_ref().is_some_and(|d| d.closed)
    });
    assert_eq!(closed.dispute.as_ref().unwrap().status, "lost");
    assert_eq!(kinds(&closed, "dispute_opened"), 1);
    assert_eq!(kinds(&closed, "dispute_closed"), 1);
    assert!(shop.search_orders(&only_disputed).unwrap().is_empty());
    assert_eq!(shop.dashboard().unwrap().disputes_needing_response, 0);
    assert!(!shop.search_orders(&OrderQuery::default()).unwrap()[0].disputed);
}

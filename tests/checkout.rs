//! The whole checkout pipeline against a real localstripe process: orders, payments, stock.

mod common;

use std::process::Command;
use std::sync::Arc;

use common::localstripe::LocalStripe;
use common::{blank_shop, buyer, flag, runtime, selling_poland, variant};
use flagshop::checkout::{self, TestCard};
use flagshop::payments::PaymentError;
use flagshop::{Error, PaymentStatus, Shop, StockReason};

fn buy(shop: &Arc<Shop>, stripe: &LocalStripe, card: TestCard, quantity: i64) -> flagshop::Order {
    let client = stripe.client();
    let rt = runtime();
    let method = rt.block_on(card.payment_method(&client)).unwrap();
    let order = shop
        .place_order(&[("PL".into(), quantity)], &buyer(), None)
        .unwrap();
    rt.block_on(checkout::pay(shop, &client, &order.number, &method))
        .unwrap()
}

fn stock(shop: &Shop) -> (i64, i64, i64) {
    let l = shop.stock_level("PL").unwrap();
    (l.on_hand, l.reserved, l.available)
}

#[test]
fn a_visa_payment_marks_the_order_paid_and_sells_the_stock() {
    let (_dir, shop, stripe) = selling_poland();
    let order = buy(&shop, &stripe, TestCard::Visa, 2);
    assert_eq!(order.payment_status, PaymentStatus::Paid);
    assert_eq!(stock(&shop), (3, 0, 3));
    let sale = &shop.stock_history("PL").unwrap()[0];
    assert_eq!(
        (sale.delta, sale.reason, sale.order_id),
        (-2, StockReason::Sold, Some(order.id))
    );
    let pi = order.payment_intent_id.clone().unwrap();
    let intent = runtime()
        .block_on(stripe.client().retrieve_payment_intent(&pi))
        .unwrap();
    assert_eq!(
        intent.amount.amount, order.totals.total,
        "Stripe charged the order's total"
    );
    assert_eq!(intent.metadata.get("order_number"), Some(&order.number));
    assert!(
        order
            .events
            .iter()
            .any(|e| e.kind == "paid" && e.message.contains("4242"))
    );
}

#[test]
fn a_card_declined_on_charge_fails_the_order_and_releases_the_stock() {
    let (_dir, shop, stripe) = selling_poland();
    let order = buy(&shop, &stripe, TestCard::ChargeDeclined, 2);
    assert_eq!(order.payment_status, PaymentStatus::Failed);
    assert_eq!(stock(&shop), (5, 0, 5));
    let failure = order
        .events
        .iter()
        .find(|e| e.kind == "payment_failed")
        .unwrap();
    assert!(
        failure.message.contains("card_declined"),
        "{}",
        failure.message
    );

    // A retry reuses the order's PaymentIntent (Stripe lets a declined intent take another
    // card). localstripe refuses to confirm a declined intent again; whatever the server says,
    // a refused attempt leaves the order failed with its stock released, never pending.
    let client = stripe.client();
    let retried = runtime()
        .block_on(checkout::pay(&shop, &client, &order.number, "pm_card_visa"))
        .unwrap();
    assert_eq!(retried.payment_intent_id, order.payment_intent_id);
    assert_eq!(retried.payment_attempts, 2);
    match retried.payment_status {
        PaymentStatus::Paid => assert_eq!(stock(&shop), (3, 0, 3)),
        PaymentStatus::Failed => {
            assert_eq!(stock(&shop), (5, 0, 5));
            assert!(retried.events.last().unwrap().message.contains("refused"));
        }
        other => panic!("a retry ends paid or failed, not {other:?}"),
    }
}

#[test]
fn three_d_secure_waits_then_follows_the_challenge() {
    let (_dir, shop, stripe) = selling_poland();
    let client = stripe.client();
    let rt = runtime();
    for (success, expected, stock_after) in [
        (true, PaymentStatus::Paid, (4, 0, 4)),
        (false, PaymentStatus::Failed, (4, 0, 4)),
    ] {
        let order = buy(&shop, &stripe, TestCard::ThreeDSecure, 1);
        assert_eq!(order.payment_status, PaymentStatus::RequiresAction);
        assert_eq!(
            stock(&shop).1,
            1,
            "stock stays reserved while the customer authenticates"
        );
        let pi = order.payment_intent_id.clone().unwrap();
        rt.block_on(stripe.complete_3ds(&client, &pi, success));
        let after = rt
            .block_on(checkout::refresh(&shop, &client, &order.number))
            .unwrap();
        assert_eq!(after.payment_status, expected);
        assert_eq!(stock(&shop), stock_after);
    }
}

#[test]
fn cards_the_emulator_cannot_run_are_reported_not_faked() {
    let (_dir, _shop, stripe) = selling_poland();
    let client = stripe.client();
    for card in [
        TestCard::Declined,
        TestCard::InsufficientFunds,
        TestCard::LostCard,
        TestCard::ExpiredCard,
        TestCard::IncorrectCvc,
        TestCard::ProcessingError,
        TestCard::Dispute,
    ] {
        let method = runtime().block_on(card.payment_method(&client));
        if stripe.today() {
            // Stripe knows every test card by its documented PaymentMethod id.
            assert!(method.unwrap().starts_with("pm_card_"), "{card:?}");
            continue;
        }
        let err = method.unwrap_err();
        assert!(
            matches!(err, PaymentError::NotSupportedByServer(_)),
            "{err}"
        );
        assert!(
            err.to_string()
                .ends_with("is not supported by this Stripe server")
        );
    }
}

#[test]
fn a_paid_order_cannot_be_paid_again() {
    let (_dir, shop, stripe) = selling_poland();
    let order = buy(&shop, &stripe, TestCard::Visa, 1);
    let err = runtime()
        .block_on(checkout::pay(
            &shop,
            &stripe.client(),
            &order.number,
            "pm_card_visa",
        ))
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err}");
    assert_eq!(stock(&shop), (4, 0, 4));
}

fn cli(data_dir: &std::path::Path, stripe: &LocalStripe, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_flagshop"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("STRIPE_API_BASE", stripe.base_url())
        .env("STRIPE_SERVER_KIND", stripe.server_kind_env())
        .env("STRIPE_SECRET_KEY", "sk_test_flagshop")
        .output()
        .unwrap()
}

#[test]
fn cli_checkout_reports_paid_failed_and_requires_action() {
    let stripe = LocalStripe::start();
    let dir = tempfile::tempdir().unwrap();
    let sku = "UA-SNK-3X5-NYL";
    let on_hand =
        |dir: &std::path::Path| Shop::open(dir).unwrap().stock_level(sku).unwrap().on_hand;
    let mut expected = on_hand(dir.path());
    for (card, status, drop) in [
        ("visa", "paid", 1),
        ("charge_declined", "failed", 0),
        ("3ds", "requires_action", 0),
    ] {
        let out = cli(
            dir.path(),
            &stripe,
            &[
                "checkout",
                "--sku",
                &format!("{sku}:1"),
                "--email",
                "buyer@example.com",
                "--card",
                card,
                "--json",
            ],
        );
        assert!(
            out.status.success(),
            "{card}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["payment_status"], status, "{card}");
        assert!(
            json["payment_intent_id"]
                .as_str()
                .unwrap()
                .starts_with("pi_")
        );
        assert!(json["number"].as_str().unwrap().starts_with("FS-"));
        expected -= drop;
        assert_eq!(on_hand(dir.path()), expected, "{card}: on hand after");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_flagshop"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["checkout", "--sku", sku, "--email", "b@example.com"])
        .env("STRIPE_API_BASE", stripe.base_url())
        .env("STRIPE_SERVER_KIND", stripe.server_kind_env())
        .env("STRIPE_SECRET_KEY", "sk_live_123")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: live Stripe keys are refused"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1);
}

#[test]
fn twenty_concurrent_cli_checkouts_of_five_units_pay_exactly_five() {
    let stripe = LocalStripe::start();
    let (dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![variant("PL", &["3x5 ft"], 2500, 5)],
    ))
    .unwrap();
    drop(shop);
    let children: Vec<_> = (0..20)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_flagshop"))
                .arg("--data-dir")
                .arg(dir.path())
                .args([
                    "checkout",
                    "--sku",
                    "PL:1",
                    "--email",
                    "buyer@example.com",
                    "--json",
                ])
                .env("STRIPE_API_BASE", stripe.base_url())
                .env("STRIPE_SERVER_KIND", stripe.server_kind_env())
                .env("STRIPE_SECRET_KEY", "sk_test_flagshop")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let paid = outputs
        .iter()
        .filter(|o| o.status.success())
        .map(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap())
        .filter(|j| j["payment_status"] == "paid")
        .count();
    assert_eq!(paid, 5);
    for refused in outputs.iter().filter(|o| !o.status.success()) {
        assert_eq!(
            String::from_utf8_lossy(&refused.stderr),
            "error: only 0 of \"PL\" available (asked for 1)\n"
        );
    }
    let shop = Shop::open_blank(dir.path()).unwrap();
    assert_eq!(stock(&Arc::new(shop)), (0, 0, 0));
    let shop = Shop::open_blank(dir.path()).unwrap();
    let ledger: i64 = shop
        .stock_history("PL")
        .unwrap()
        .iter()
        .map(|e| e.delta)
        .sum();
    assert_eq!(ledger, 0);
    assert_eq!(
        shop.orders().unwrap().len(),
        5,
        "refused checkouts leave no order"
    );
}

#[test]
fn refunds_are_limited_to_what_was_paid_and_can_restock() {
    let (_dir, shop, stripe) = selling_poland();
    let client = stripe.client();
    let rt = runtime();
    let order = buy(&shop, &stripe, TestCard::Visa, 2); // 50.00 + 5.00 shipping
    assert_eq!(order.totals.total, 5500);

    let err = rt
        .block_on(checkout::refund(
            &shop,
            &client,
            &order.number,
            Some(5501),
            false,
        ))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot refund 55.01 USD of order {}: 55.00 USD is left to refund",
            order.number
        )
    );
    let part = rt
        .block_on(checkout::refund(
            &shop,
            &client,
            &order.number,
            Some(1500),
            false,
        ))
        .unwrap();
    assert_eq!(
        (part.payment_status, part.amount_refunded),
        (PaymentStatus::PartiallyRefunded, 1500)
    );
    assert_eq!(stock(&shop), (3, 0, 3), "no restock asked");

    let err = rt
        .block_on(checkout::refund(
            &shop,
            &client,
            &order.number,
            Some(4001),
            false,
        ))
        .unwrap_err();
    assert!(
        err.to_string().contains("40.00 USD is left to refund"),
        "{err}"
    );
    let full = rt
        .block_on(checkout::refund(&shop, &client, &order.number, None, true))
        .unwrap();
    assert_eq!(
        (full.payment_status, full.amount_refunded),
        (PaymentStatus::Refunded, 5500)
    );
    assert_eq!(stock(&shop), (5, 0, 5), "restocked");
    let returned = &shop.stock_history("PL").unwrap()[0];
    assert_eq!(
        (returned.delta, returned.reason),
        (2, StockReason::Returned)
    );
    assert_eq!(
        full.events.iter().filter(|e| e.kind == "refunded").count(),
        2
    );
    let err = rt
        .block_on(checkout::refund(&shop, &client, &order.number, None, false))
        .unwrap_err();
    assert!(
        err.to_string().contains("0.00 USD is left to refund"),
        "{err}"
    );
}

#[test]
fn polled_events_bring_in_what_happened_at_stripe_once() {
    let (_dir, shop, stripe) = selling_poland();
    let client = stripe.client();
    let rt = runtime();
    // Paid by another process (another till, the desktop app): this shop handle learns it only
    // from the server's events.
    let elsewhere = buy(&shop, &stripe, TestCard::Visa, 1);
    let order = shop
        .place_order(&[("PL".into(), 2)], &buyer(), None)
        .unwrap();
    shop.begin_payment_attempt(&order.number).unwrap();
    let intent = rt
        .block_on(client.create_payment_intent(
            flagshop::Money::new(order.totals.total, order.totals.currency),
            "paid elsewhere",
            &[],
            "sync-test-intent",
        ))
        .unwrap();
    shop.set_payment_intent(&order.number, &intent.id).unwrap();
    rt.block_on(client.confirm_payment_intent(
        &intent.id,
        Some("pm_card_visa"),
        "sync-test-confirm",
    ))
    .unwrap();
    assert_eq!(
        shop.order(&order.number).unwrap().payment_status,
        PaymentStatus::Pending
    );

    let report = rt.block_on(checkout::sync_events(&shop, &client)).unwrap();
    let listed = stripe.get("/v1/events?limit=100")["data"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(report.seen, listed, "{report:?}");
    assert!((2..=listed).contains(&report.applied), "{report:?}");
    let after = shop.order(&order.number).unwrap();
    assert_eq!(after.payment_status, PaymentStatus::Paid);
    assert_eq!(
        shop.order(&elsewhere.number).unwrap().payment_status,
        PaymentStatus::Paid
    );
    assert_eq!(stock(&shop), (2, 0, 2), "each order sold once");

    // Polling again applies nothing twice.
    let again = rt.block_on(checkout::sync_events(&shop, &client)).unwrap();
    assert_eq!(again.applied, 0, "{again:?}");
    assert_eq!(stock(&shop), (2, 0, 2));
    assert_eq!(shop.stock_history("PL").unwrap().len(), 3);
}

#[test]
fn a_checkout_killed_mid_payment_leaves_a_consistent_shop_that_releases_the_stock() {
    let (dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![variant("PL", &["3x5 ft"], 2500, 5)],
    ))
    .unwrap();
    drop(shop);
    // A "Stripe" that accepts connections and never answers: the checkout hangs mid-payment.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", silent.local_addr().unwrap());
    let mut child = Command::new(env!("CARGO_BIN_EXE_flagshop"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["checkout", "--sku", "PL:2", "--email", "buyer@example.com"])
        .env("STRIPE_API_BASE", &base)
        .env("STRIPE_SECRET_KEY", "sk_test_flagshop")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let placed = Shop::open_blank(dir.path())
            .unwrap()
            .orders()
            .unwrap()
            .len();
        if placed == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the checkout never placed its order"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let shop = Shop::open_blank(dir.path()).unwrap();
    let order = &shop.orders().unwrap()[0];
    assert_eq!(order.payment_status, PaymentStatus::Pending);
    assert_eq!(
        stock(&shop),
        (5, 2, 3),
        "still reserved for the hung checkout"
    );
    // The customer never comes back: 16 minutes pass on the shop's clock.
    let clock = flagshop::clock::ManualClock::now();
    shop.set_clock(clock.clone());
    clock.advance(std::time::Duration::from_secs(16 * 60));
    assert_eq!(stock(&shop), (5, 0, 5), "the reservation ran out");
    assert_eq!(shop.release_expired_reservations().unwrap(), 1);
    let ledger: i64 = shop
        .stock_history("PL")
        .unwrap()
        .iter()
        .map(|e| e.delta)
        .sum();
    assert_eq!(ledger, 5);
}

/// The storefront's path: Stripe.js (here, the emulator's stand-in) tokenises the card in the
/// page with the publishable key, and the app pays with the token's card id.
#[test]
fn a_card_tokenised_in_the_page_pays_and_the_order_names_the_card() {
    let (_dir, shop, stripe) = selling_poland();
    let form = "key=pk_test_page&card[number]=4242424242424242&card[exp_month]=12\
                &card[exp_year]=2034&card[cvc]=123";
    let port = stripe
        .base_url()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (status, body) = common::localstripe::http(port, "POST", "/v1/tokens", Some(form)).unwrap();
    assert_eq!(status, 200, "{body}");
    let token: serde_json::Value = serde_json::from_str(&body).unwrap();
    let card_id = token["card"]["id"].as_str().unwrap();
    assert!(card_id.starts_with("card_"), "{token}");

    let order = shop
        .place_order(&[("PL".into(), 1)], &buyer(), None)
        .unwrap();
    let paid = runtime()
        .block_on(checkout::pay(
            &shop,
            &stripe.client(),
            &order.number,
            card_id,
        ))
        .unwrap();
    assert_eq!(paid.payment_status, PaymentStatus::Paid);
    assert_eq!(paid.card_last4.as_deref(), Some("4242"));
    assert_eq!(
        paid.card_brand.as_deref().map(str::to_lowercase).as_deref(),
        Some("visa")
    );
    assert_eq!(stock(&shop), (4, 0, 4));
}

#[test]
fn a_refused_connection_fails_the_payment_and_releases_the_stock_at_once() {
    let (_dir, shop) = common::poland(5);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed); // nobody listens there now: every connection is refused
    let client = flagshop::payments::StripeClient::new(&base, "sk_test_flagshop").unwrap();
    let order = shop
        .place_order(&[("PL".into(), 2)], &buyer(), None)
        .unwrap();
    let after = runtime()
        .block_on(checkout::pay(&shop, &client, &order.number, "pm_card_visa"))
        .unwrap();
    assert_eq!(after.payment_status, PaymentStatus::Failed);
    assert_eq!(
        stock(&shop),
        (5, 0, 5),
        "released at once, not in 15 minutes"
    );
    let last = &after.events.last().unwrap().message;
    assert!(last.contains("nothing was sent"), "{last}");

    // A server that takes the connection and never answers may have acted: unknown, reserved.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", silent.local_addr().unwrap());
    let client = flagshop::payments::StripeClient::new(&base, "sk_test_flagshop")
        .unwrap()
        .with_timeout(std::time::Duration::from_millis(500));
    let order = shop
        .place_order(&[("PL".into(), 2)], &buyer(), None)
        .unwrap();
    let err = runtime()
        .block_on(checkout::pay(&shop, &client, &order.number, "pm_card_visa"))
        .unwrap_err();
    assert!(
        matches!(err, Error::Payment(PaymentError::OutcomeUnknown { .. })),
        "{err}"
    );
    assert_eq!(
        shop.order(&order.number).unwrap().payment_status,
        PaymentStatus::Pending
    );
    assert_eq!(
        stock(&shop),
        (5, 2, 3),
        "held until Stripe's answer is known"
    );
}

#[test]
fn cli_checkout_ships_to_the_address_given() {
    let stripe = LocalStripe::start();
    let dir = tempfile::tempdir().unwrap();
    let out = cli(
        dir.path(),
        &stripe,
        &[
            "checkout",
            "--sku",
            "UA-SNK-3X5-NYL:1",
            "--email",
            "olena@example.com",
            "--name",
            "Olena Buyer",
            "--street",
            "12 Khreshchatyk St",
            "--city",
            "Kyiv",
            "--postcode",
            "01001",
            "--country",
            "UA",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let order = Shop::open(dir.path())
        .unwrap()
        .order(json["number"].as_str().unwrap())
        .unwrap();
    assert_eq!(order.customer_name, "Olena Buyer");
    assert_eq!(
        (
            order.address.line1.as_str(),
            order.address.city.as_str(),
            order.address.postal_code.as_str(),
            order.address.country.as_str()
        ),
        ("12 Khreshchatyk St", "Kyiv", "01001", "UA")
    );
}

#[test]
fn an_event_that_cannot_be_applied_does_not_hold_up_the_others_and_is_retried() {
    use common::localstripe::{Recorder, Reply};
    use std::sync::atomic::{AtomicBool, Ordering};

    let (_dir, shop) = common::poland(5);
    let waiting = |intent: &str| {
        let order = shop
            .place_order(&[("PL".into(), 1)], &buyer(), None)
            .unwrap();
        shop.begin_payment_attempt(&order.number).unwrap();
        shop.set_payment_intent(&order.number, intent).unwrap();
        order.number
    };
    let (blocked, fine) = (waiting("pi_blocked"), waiting("pi_fine"));
    let intent = |id: &str| {
        serde_json::json!({"id": id, "object": "payment_intent", "status": "succeeded",
                           "amount": 3000, "currency": "usd", "created": 1_800_000_000})
    };
    let event = |id: &str, created: i64, intent_id: &str| {
        serde_json::json!({"id": id, "object": "event", "type": "payment_intent.succeeded",
                           "created": created, "data": {"object": intent(intent_id)}})
    };
    // Newest first, as Stripe lists them: the blocked payment's event is the older one.
    let events = serde_json::json!({"object": "list", "url": "/v1/events", "has_more": false,
        "data": [event("evt_fine", 1_800_000_200, "pi_fine"),
                 event("evt_blocked", 1_800_000_100, "pi_blocked")]});
    let allowed = Arc::new(AtomicBool::new(false));
    let server = Recorder::start({
        let allowed = Arc::clone(&allowed);
        move |request| {
            let body = if request.path.starts_with("/v1/events") {
                events.clone()
            } else if request.path.starts_with("/v1/payment_intents/pi_fine") {
                intent("pi_fine")
            } else if allowed.load(Ordering::SeqCst) {
                intent("pi_blocked")
            } else {
                // A restricted key without read access to this one, say.
                let refused = serde_json::json!({"error": {"type": "invalid_request_error",
                    "message": "The provided key does not have the required permissions"}});
                return Reply::With(403, "application/json", refused.to_string());
            };
            Reply::With(200, "application/json", body.to_string())
        }
    });
    let client = flagshop::payments::StripeClient::new(&server.url(), "sk_test_flagshop")
        .unwrap()
        .speaking(flagshop::payments::ServerKind::Stripe);
    let rt = runtime();

    let report = rt.block_on(checkout::sync_events(&shop, &client)).unwrap();
    assert_eq!(
        (report.seen, report.applied, report.failed),
        (2, 1, 1),
        "{report:?}"
    );
    assert!(
        report
            .first_failure
            .as_deref()
            .unwrap()
            .contains("evt_blocked")
    );
    assert_eq!(
        shop.order(&fine).unwrap().payment_status,
        PaymentStatus::Paid
    );
    assert_eq!(
        shop.order(&blocked).unwrap().payment_status,
        PaymentStatus::Pending
    );
    assert_eq!(
        shop.stripe_events_synced_until().unwrap(),
        Some(1_800_000_100),
        "the next catch-up resumes before the event that failed"
    );

    allowed.store(true, Ordering::SeqCst);
    let again = rt.block_on(checkout::sync_events(&shop, &client)).unwrap();
    assert_eq!((again.applied, again.failed), (1, 0), "{again:?}");
    assert_eq!(
        shop.order(&blocked).unwrap().payment_status,
        PaymentStatus::Paid
    );
    assert_eq!(
        shop.stripe_events_synced_until().unwrap(),
        Some(1_800_000_200)
    );
    assert_eq!(shop.stock_level("PL").unwrap().on_hand, 3, "each sold once");
}

#[test]
fn a_refund_stripe_refused_is_retried_with_a_new_key_and_an_unclear_one_with_the_same() {
    use common::localstripe::{Recorder, Reply};
    use std::sync::atomic::{AtomicUsize, Ordering};

    let (_dir, shop) = common::poland(5);
    let order = shop
        .place_order(&[("PL".into(), 1)], &buyer(), None)
        .unwrap();
    shop.begin_payment_attempt(&order.number).unwrap();
    shop.set_payment_intent(&order.number, "pi_1").unwrap();
    shop.mark_paid(&order.number, "Paid", None).unwrap();

    // Refused once (say, the balance was short), then no answer, then refunded.
    let calls = Arc::new(AtomicUsize::new(0));
    let server = Recorder::start({
        let calls = Arc::clone(&calls);
        move |_| {
            match calls.fetch_add(1, Ordering::SeqCst) {
            0 => Reply::With(
                400,
                "application/json",
                r#"{"error":{"type":"invalid_request_error","code":"balance_insufficient","message":"Insufficient balance."}}"#.into(),
            ),
            1..=3 => Reply::Silence,
            _ => Reply::With(
                200,
                "application/json",
                r#"{"id":"re_1","object":"refund","amount":1000,"currency":"usd","status":"succeeded","payment_intent":"pi_1","created":1}"#.into(),
            ),
        }
        }
    });
    let client = flagshop::payments::StripeClient::new(&server.url(), "sk_test_flagshop")
        .unwrap()
        .with_timeout(std::time::Duration::from_millis(300));
    let rt = runtime();
    let refund = || checkout::refund(&shop, &client, &order.number, Some(1000), false);

    let refused = rt.block_on(refund()).unwrap_err();
    assert!(
        refused.to_string().contains("Insufficient balance"),
        "{refused}"
    );
    let unclear = rt.block_on(refund()).unwrap_err();
    assert!(
        matches!(unclear, Error::Payment(PaymentError::OutcomeUnknown { .. })),
        "{unclear}"
    );
    let done = rt.block_on(refund()).unwrap();
    assert_eq!(done.amount_refunded, 1000);

    let keys: Vec<String> = server
        .drain()
        .iter()
        .map(|r| r.header("Idempotency-Key").unwrap().to_owned())
        .collect();
    assert_eq!(keys.len(), 5, "{keys:?}");
    assert_ne!(
        keys[0], keys[1],
        "a refused refund does not block the next try"
    );
    assert!(
        keys[1..].iter().all(|k| k == &keys[1]),
        "tries of a refund whose outcome was unclear share one key: {keys:?}"
    );
}

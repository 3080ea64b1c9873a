//! The Stripe layer against a real localstripe process (one per test), plus a recording HTTP
//! server for what localstripe cannot show: headers, retries, a server that never answers.
//!
//! Needs `scripts/localstripe.sh` to have been run.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::localstripe::{LocalStripe, Recorder, Reply, TEST_KEY};
use flagshop::payments::webhook::{DEFAULT_TOLERANCE_SECS, verify_signature};
use flagshop::payments::{
    Event, Outcome, PaymentError, PaymentIntent, PaymentIntentStatus, RefundStatus, StripeClient,
};
use flagshop::{Currency, Money};

fn usd(amount: i64) -> Money {
    Money::new(amount, Currency::USD)
}

fn now() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970");
    i64::try_from(since_epoch.as_secs()).expect("seconds fit in i64")
}

/// Creates an intent for `amount` and confirms it with `payment_method`.
async fn pay(client: &StripeClient, amount: Money, payment_method: &str, key: &str) -> Outcome {
    let pi = client
        .create_payment_intent(amount, "Order #1001", &[("order_id", "1")], key)
        .await
        .expect("create the PaymentIntent");
    assert_eq!(pi.status, PaymentIntentStatus::RequiresPaymentMethod);
    client
        .confirm_payment_intent(&pi.id, Some(payment_method), &format!("{key}:confirm"))
        .await
        .expect("the confirmation gets an answer")
}

fn succeeded(outcome: Outcome) -> PaymentIntent {
    match outcome {
        Outcome::Succeeded(pi) => pi,
        other => panic!("expected a successful payment, got {other:?}"),
    }
}

#[tokio::test]
async fn a_visa_payment_succeeds_and_reads_back_as_succeeded() {
    let server = LocalStripe::start();
    let client = server.client();
    client
        .account_check()
        .await
        .expect("the test connection works");

    let pi = succeeded(pay(&client, usd(2500), "pm_card_visa", "order-1-attempt-1").await);
    assert_eq!(pi.amount, usd(2500));
    assert!(pi.latest_charge.is_some(), "{pi:?}");
    let card = pi.card.clone().expect("the card's brand and last four");
    assert_eq!(card.last4.as_deref(), Some("4242"));
    assert_eq!(card.brand.as_deref(), Some("visa"));
    assert_eq!(pi.metadata.get("order_id").map(String::as_str), Some("1"));
    if server.today() {
        // Today's Stripe wants automatic payment methods without redirects for a card paid
        // without a return_url (https://docs.stripe.com/upgrades#2023-08-16).
        let raw = server.get(&format!("/v1/payment_intents/{}", pi.id));
        assert_eq!(raw["description"], "Order #1001");
        assert_eq!(raw["automatic_payment_methods"]["enabled"], true);
        assert_eq!(raw["automatic_payment_methods"]["allow_redirects"], "never");
    } else {
        // localstripe refuses `description`: on an emulator it travels in the metadata.
        assert_eq!(
            pi.metadata.get("description").map(String::as_str),
            Some("Order #1001")
        );
    }

    let again = client
        .retrieve_payment_intent(&pi.id)
        .await
        .expect("read back");
    assert_eq!(again.status, PaymentIntentStatus::Succeeded);
    assert_eq!(again.latest_charge, pi.latest_charge);
    assert!(again.last_payment_error.is_none());
}

#[tokio::test]
async fn a_card_declined_on_charge_is_a_structured_decline() {
    let server = LocalStripe::start();
    let client = server.client();
    // localstripe 1.15.10 maps pm_card_chargeCustomerFail to 4000000000000341 (declined on
    // charge); its pm_card_visa_chargeDeclined is 4000000000000002, which it only declines
    // when attached to a customer, so a PaymentIntent with it succeeds there.
    let outcome = pay(&client, usd(1200), "pm_card_chargeCustomerFail", "order-2").await;
    let Outcome::Declined(decline) = outcome else {
        panic!("expected a decline, got {outcome:?}");
    };
    assert_eq!(decline.code.as_deref(), Some("card_declined"));
    assert_eq!(decline.message.as_deref(), Some("Your card was declined."));
    assert!(decline.charge.is_some(), "{decline:?}");
    let pi_id = decline.payment_intent.clone().expect("the intent's id");

    let pi = client
        .retrieve_payment_intent(&pi_id)
        .await
        .expect("read back");
    assert_eq!(pi.status, PaymentIntentStatus::RequiresPaymentMethod);
    let error = pi.last_payment_error.expect("the decline is on the intent");
    assert_eq!(error.code.as_deref(), Some("card_declined"));
}

/// A PaymentMethod for test card `number`: from the number on the emulator, which takes it
/// from the backend; Stripe's documented `pm_card_…` id otherwise (card numbers never go to
/// Stripe from the backend, and the client refuses to send them there).
async fn card(
    server: &LocalStripe,
    client: &StripeClient,
    number: &str,
    stripe_id: &str,
) -> String {
    if server.today() {
        let refused = client
            .emulator_card_payment_method(number, 12, 2034, "123")
            .await;
        assert!(
            matches!(refused, Err(PaymentError::NotSupportedByServer(_))),
            "{refused:?}"
        );
        return stripe_id.to_owned();
    }
    let pm = client
        .emulator_card_payment_method(number, 12, 2034, "123")
        .await
        .expect("the card is accepted as a payment method");
    assert_eq!(
        pm.card.and_then(|c| c.last4).as_deref(),
        Some(&number[12..]),
        "only the last four come back"
    );
    pm.id
}

/// Completes or fails the 3-D Secure challenge: on Stripe the customer does it in the page
/// (the test plays them), on the emulator its own endpoint does. Returns the intent after.
async fn authenticate(
    server: &LocalStripe,
    client: &StripeClient,
    pi: &PaymentIntent,
    secret: &str,
    success: bool,
) -> PaymentIntent {
    if server.today() {
        let refused = client
            .emulator_authenticate_3ds(&pi.id, secret, success)
            .await;
        assert!(
            matches!(refused, Err(PaymentError::NotSupportedByServer(_))),
            "{refused:?}"
        );
        server.complete_3ds_in_the_page(&pi.id, secret, success);
        client
            .retrieve_payment_intent(&pi.id)
            .await
            .expect("read back")
    } else {
        client
            .emulator_authenticate_3ds(&pi.id, secret, success)
            .await
            .expect("authenticate")
    }
}

#[tokio::test]
async fn card_4000000000000341_attaches_but_is_declined_on_confirm() {
    let server = LocalStripe::start();
    let client = server.client();
    let pm = card(
        &server,
        &client,
        "4000000000000341",
        "pm_card_chargeCustomerFail",
    )
    .await;
    let outcome = pay(&client, usd(999), &pm, "order-3").await;
    assert!(
        matches!(&outcome, Outcome::Declined(d) if d.code.as_deref() == Some("card_declined")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn three_d_secure_requires_action_then_succeeds_when_authenticated() {
    let server = LocalStripe::start();
    let client = server.client();
    let pm = card(
        &server,
        &client,
        "4000002500003155",
        "pm_card_threeDSecure2Required",
    )
    .await;
    let Outcome::RequiresAction(pi) = pay(&client, usd(4200), &pm, "order-4").await else {
        panic!("a 3-D Secure card must ask for authentication");
    };
    let secret = pi
        .client_secret
        .clone()
        .expect("a client secret for Stripe.js");
    let read = client.retrieve_payment_intent(&pi.id).await.expect("read");
    assert_eq!(read.status, PaymentIntentStatus::RequiresAction);

    let pi = authenticate(&server, &client, &pi, &secret, true).await;
    assert_eq!(pi.status, PaymentIntentStatus::Succeeded);
    let last4 = if server.today() { "3220" } else { "3155" };
    assert_eq!(pi.card.and_then(|c| c.last4).as_deref(), Some(last4));
}

#[tokio::test]
async fn three_d_secure_failure_leaves_the_payment_unpaid_with_an_error() {
    let server = LocalStripe::start();
    let client = server.client();
    let pm = card(
        &server,
        &client,
        "4000002500003155",
        "pm_card_threeDSecure2Required",
    )
    .await;
    let Outcome::RequiresAction(pi) = pay(&client, usd(4200), &pm, "order-5").await else {
        panic!("a 3-D Secure card must ask for authentication");
    };
    let secret = pi.client_secret.clone().expect("a client secret");
    let failed = authenticate(&server, &client, &pi, &secret, false).await;
    assert_eq!(failed.status, PaymentIntentStatus::RequiresPaymentMethod);
    let error = failed.last_payment_error.expect("why it failed");
    assert_eq!(
        error.code.as_deref(),
        Some("payment_intent_authentication_failure")
    );

    // Another card can then pay the same intent.
    let retry = client
        .confirm_payment_intent(&pi.id, Some("pm_card_visa"), "order-5:retry-1")
        .await
        .expect("an answer");
    assert!(matches!(retry, Outcome::Succeeded(_)), "{retry:?}");
}

#[tokio::test]
async fn a_partial_refund_then_the_rest() {
    let server = LocalStripe::start();
    let client = server.client();
    let pi = succeeded(pay(&client, usd(5000), "pm_card_visa", "order-6").await);

    let first = client
        .create_refund(&pi.id, Some(2000), "order-6:refund-1")
        .await
        .expect("partial refund");
    assert_eq!(first.amount, usd(2000));
    assert_eq!(first.status, RefundStatus::Succeeded);
    assert_eq!(first.payment_intent.as_deref(), Some(pi.id.as_str()));

    let rest = client
        .create_refund(&pi.id, Some(3000), "order-6:refund-2")
        .await
        .expect("the rest");
    assert_eq!(rest.amount, usd(3000));
    assert_ne!(rest.id, first.id);

    let read = client.retrieve_refund(&first.id).await.expect("read back");
    assert_eq!(read, first);
    let missing = client.retrieve_refund("re_doesnotexist").await;
    assert!(
        matches!(&missing, Err(e) if e.is_not_found()),
        "{missing:?}"
    );
}

#[tokio::test]
async fn events_after_a_payment_include_payment_intent_succeeded() {
    let server = LocalStripe::start();
    let client = server.client();
    let before = now() - 1;
    let pi = succeeded(pay(&client, usd(700), "pm_card_visa", "order-7").await);

    let events = client
        .list_events(Some(before), None, 100)
        .await
        .expect("list events");
    let succeeded: Vec<&Event> = events
        .events
        .iter()
        .filter(|e| e.event_type == "payment_intent.succeeded")
        .collect();
    assert_eq!(succeeded.len(), 1, "{events:?}");
    assert_eq!(succeeded[0].object_id.as_deref(), Some(pi.id.as_str()));
    assert_eq!(succeeded[0].object["amount"], 700);

    let later = client
        .list_events(None, Some(&succeeded[0].id), 100)
        .await
        .expect("list after the last event seen");
    assert!(
        later.events.iter().all(|e| e.id != succeeded[0].id),
        "starting_after excludes the event itself"
    );
    let none = client
        .list_events(Some(now() + 60), None, 10)
        .await
        .expect("list future events");
    assert!(none.events.is_empty() && !none.has_more, "{none:?}");
}

#[tokio::test]
async fn a_live_key_is_refused_before_any_request() {
    let watcher = Recorder::start(|_| Reply::With(200, "application/json", "{}".into()));
    for key in ["sk_live_abc123", "rk_live_abc123"] {
        let refused = StripeClient::new(&watcher.url(), key);
        assert!(
            matches!(refused, Err(PaymentError::LiveKeyRefused)),
            "{refused:?}"
        );
    }
    let refused = StripeClient::new(&watcher.url(), "pk_test_abc123");
    assert!(
        matches!(refused, Err(PaymentError::NotATestKey)),
        "{refused:?}"
    );
    assert!(
        watcher.next(Duration::from_millis(300)).is_none(),
        "no request may reach the server"
    );
}

/// An intent as localstripe would answer, for the recording server.
fn canned_intent(status: &str) -> String {
    format!(
        r#"{{"id":"pi_canned","object":"payment_intent","status":"{status}","amount":2500,
            "currency":"usd","client_secret":"pi_canned_secret","latest_charge":null,
            "payment_method":null,"metadata":{{}}}}"#
    )
}

#[tokio::test]
async fn money_moving_requests_carry_their_idempotency_key() {
    let server =
        Recorder::start(|_| Reply::With(200, "application/json", canned_intent("succeeded")));
    let client = StripeClient::new(&server.url(), TEST_KEY).expect("client");

    client
        .create_payment_intent(
            usd(2500),
            "Order #1",
            &[("order_id", "1")],
            "order-1-attempt-1",
        )
        .await
        .expect("create");
    let create = server
        .next(Duration::from_secs(5))
        .expect("the create request");
    assert_eq!(create.method, "POST");
    assert_eq!(create.path, "/v1/payment_intents");
    assert_eq!(create.header("idempotency-key"), Some("order-1-attempt-1"));
    assert_eq!(
        create.header("authorization"),
        Some(format!("Bearer {TEST_KEY}").as_str())
    );
    let body = create.body_text();
    assert!(body.contains("amount=2500"), "{body}");
    assert!(body.contains("currency=usd"), "{body}");

    client
        .confirm_payment_intent(
            "pi_canned",
            Some("pm_card_visa"),
            "order-1-attempt-1:confirm",
        )
        .await
        .expect("confirm");
    let attach = server
        .next(Duration::from_secs(5))
        .expect("the attach request");
    assert_eq!(attach.path, "/v1/payment_intents/pi_canned");
    assert_eq!(
        attach.header("idempotency-key"),
        Some("order-1-attempt-1:confirm:attach")
    );
    let confirm = server
        .next(Duration::from_secs(5))
        .expect("the confirm request");
    assert_eq!(confirm.path, "/v1/payment_intents/pi_canned/confirm");
    assert_eq!(
        confirm.header("idempotency-key"),
        Some("order-1-attempt-1:confirm")
    );

    let refused = client
        .create_refund("pi_canned", None, "")
        .await
        .expect_err("an empty key is refused");
    assert!(matches!(refused, PaymentError::BadIdempotencyKey(_)));
}

#[tokio::test]
async fn a_post_that_times_out_is_retried_with_the_same_key_then_reported_unknown() {
    let server = Recorder::start(|_| Reply::Silence);
    let client = StripeClient::new(&server.url(), TEST_KEY)
        .expect("client")
        .with_timeout(Duration::from_secs(1));
    let error = client
        .create_payment_intent(usd(100), "Order", &[], "order-9-attempt-1")
        .await
        .expect_err("no answer");
    assert!(
        matches!(error, PaymentError::OutcomeUnknown { .. }),
        "{error:?}"
    );
    let attempts = server.drain();
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    assert!(
        attempts
            .iter()
            .all(|r| r.header("idempotency-key") == Some("order-9-attempt-1"))
    );
}

#[tokio::test]
async fn a_server_error_or_an_unreadable_answer_after_a_post_is_an_unknown_outcome() {
    let failing =
        Recorder::start(|_| Reply::With(502, "text/html", "<html>Bad gateway</html>".into()));
    let client = StripeClient::new(&failing.url(), TEST_KEY).expect("client");
    let error = client
        .create_refund("pi_1", Some(100), "refund-1")
        .await
        .expect_err("a 502");
    assert!(
        matches!(error, PaymentError::OutcomeUnknown { .. }),
        "{error:?}"
    );

    let garbled = Recorder::start(|_| Reply::With(200, "application/json", r#"{"id": 12"#.into()));
    let client = StripeClient::new(&garbled.url(), TEST_KEY).expect("client");
    let error = client
        .confirm_payment_intent("pi_1", None, "confirm-1")
        .await
        .expect_err("an unreadable answer");
    assert!(
        matches!(error, PaymentError::OutcomeUnknown { .. }),
        "{error:?}"
    );
    assert_eq!(
        garbled.drain().len(),
        1,
        "an unreadable answer is not retried"
    );

    let wrong_shape = Recorder::start(|_| Reply::With(200, "application/json", "{}".into()));
    let client = StripeClient::new(&wrong_shape.url(), TEST_KEY).expect("client");
    let error = client
        .create_payment_intent(usd(1), "x", &[], "create-1")
        .await
        .expect_err("an intent without an id");
    assert!(
        matches!(error, PaymentError::OutcomeUnknown { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_closed_port_is_unreachable_for_reads_and_not_sent_for_writes() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let client = StripeClient::new(&format!("http://127.0.0.1:{port}"), TEST_KEY)
        .expect("client")
        .with_timeout(Duration::from_secs(2));
    let error = client.account_check().await.expect_err("nothing listens");
    assert!(
        matches!(error, PaymentError::Unreachable { .. }),
        "{error:?}"
    );
    let error = client
        .create_refund("pi_1", None, "refund-x")
        .await
        .expect_err("nothing listens");
    // Every connection was refused: the refund was never sent, for certain.
    assert!(matches!(error, PaymentError::NotSent { .. }), "{error:?}");
}

#[tokio::test]
async fn a_webhook_from_localstripe_carries_a_signature_we_verify() {
    let server = LocalStripe::start();
    let client = server.client();
    let endpoint = Recorder::start(|_| Reply::With(200, "text/plain", "ok".into()));
    let secret = "whsec_flagshop_test";
    server.register_webhook(
        "flagshop",
        &format!("{}/stripe/webhook", endpoint.url()),
        secret,
    );

    let pi = succeeded(pay(&client, usd(1500), "pm_card_visa", "order-8").await);

    // localstripe delivers about a second after the event.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let delivery = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let delivery = endpoint
            .next(left)
            .expect("a payment_intent.succeeded delivery within 15 s");
        let event: serde_json::Value =
            serde_json::from_slice(&delivery.body).expect("a JSON event");
        if event["type"] == "payment_intent.succeeded" {
            break delivery;
        }
    };
    assert_eq!(delivery.method, "POST");
    assert_eq!(delivery.path, "/stripe/webhook");
    let header = delivery
        .header("stripe-signature")
        .expect("a Stripe-Signature header")
        .to_owned();
    assert_eq!(
        verify_signature(
            &delivery.body,
            &header,
            secret,
            now(),
            DEFAULT_TOLERANCE_SECS
        ),
        Ok(())
    );
    assert!(verify_signature(&delivery.body, &header, "whsec_other", now(), 300).is_err());
    let mut altered = delivery.body.clone();
    altered.push(b' ');
    assert!(verify_signature(&altered, &header, secret, now(), 300).is_err());

    let event =
        Event::from_json(&serde_json::from_slice(&delivery.body).expect("JSON")).expect("an event");
    assert_eq!(event.object_id.as_deref(), Some(pi.id.as_str()));
}

#[tokio::test]
async fn a_refusal_after_a_try_that_got_no_answer_leaves_the_outcome_unknown() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let tries = std::sync::Arc::new(AtomicUsize::new(0));
    // The first try takes effect but its answer is lost; a server that ignores
    // Idempotency-Key then refuses the repeat, because the payment is already made.
    let server = Recorder::start({
        let tries = std::sync::Arc::clone(&tries);
        move |_| {
            if tries.fetch_add(1, Ordering::SeqCst) == 0 {
                Reply::Silence
            } else {
                Reply::With(
                    400,
                    "application/json",
                    r#"{"error":{"type":"invalid_request_error","message":"This PaymentIntent's status is succeeded."}}"#.into(),
                )
            }
        }
    });
    let client = StripeClient::new(&server.url(), TEST_KEY)
        .expect("client")
        .with_timeout(Duration::from_millis(500));
    let error = client
        .confirm_payment_intent("pi_1", None, "fs-order-1-attempt-1-confirm")
        .await
        .expect_err("no clear answer");
    assert!(
        matches!(error, PaymentError::OutcomeUnknown { .. }),
        "{error:?}"
    );
    assert_eq!(tries.load(Ordering::SeqCst), 2);
}

//! Contract tests: Stripe's own example objects (`fixtures3.json`, from stripe/openapi) served
//! over HTTP to the real client, which must read every object the shop acts on with the right
//! values. List envelopes and error bodies are not in the fixtures: they are written here from
//! Stripe's API reference (https://docs.stripe.com/api/pagination,
//! https://docs.stripe.com/api/errors).
//!
//! The fixtures are read in place from `../shared/fixtures/stripe/` (present in CI); without
//! them each test says so and checks nothing.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::localstripe::{Recorder, Reply, TEST_KEY};
use flagshop::payments::{
    Outcome, PaymentError, PaymentIntentStatus, RefundStatus, ServerKind, StripeClient,
};
use flagshop::{Currency, Money};
use serde_json::{Value, json};

fn fixtures() -> Option<Value> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/stripe/fixtures3.json");
    match std::fs::read(&path) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).expect("fixtures3.json is JSON")),
        Err(e) => {
            eprintln!(
                "SKIPPED: Stripe's API fixtures are absent ({}: {e}); they live in \
                 ../shared/fixtures/stripe/, present in CI",
                path.display()
            );
            None
        }
    }
}

fn resource(fixtures: &Value, name: &str) -> Value {
    fixtures["resources"][name].clone()
}

/// A "Stripe" that answers each path with the JSON `route` gives (status, body).
fn serve(route: impl Fn(&str) -> (u16, Value) + Send + Sync + 'static) -> Recorder {
    Recorder::start(move |request| {
        let (status, body) = route(&request.path);
        Reply::With(status, "application/json", body.to_string())
    })
}

fn client(server: &Recorder) -> StripeClient {
    StripeClient::new(&server.url(), TEST_KEY)
        .unwrap()
        .speaking(ServerKind::Stripe)
        .with_timeout(Duration::from_secs(5))
}

fn list(data: Vec<Value>, has_more: bool, url: &str) -> Value {
    json!({"object": "list", "url": url, "has_more": has_more, "data": data})
}

#[tokio::test]
async fn a_payment_intent_reads_as_stripe_documents_it() {
    let Some(fixtures) = fixtures() else { return };
    let pi = resource(&fixtures, "payment_intent");
    let served = pi.clone();
    let server = serve(move |_| (200, served.clone()));
    let read = client(&server)
        .retrieve_payment_intent(pi["id"].as_str().unwrap())
        .await
        .expect("Stripe's example PaymentIntent parses");
    assert_eq!(read.id, "pi_1PgafyB7WZ01zgkWSjxsAJo3");
    assert_eq!(read.status, PaymentIntentStatus::RequiresPaymentMethod);
    assert_eq!(read.amount, Money::new(1099, Currency::USD));
    assert_eq!(
        read.client_secret.as_deref(),
        Some("pi_1PgafyB7WZ01zgkWSjxsAJo3_secret_Dm43xiq1k0ywrRRjDoi8y1gkM")
    );
    assert_eq!(read.latest_charge, None);
    assert_eq!(read.payment_method, None);
    assert_eq!(read.created, Some(1_234_567_890));
    let error = read.last_payment_error.expect("its last_payment_error");
    assert_eq!((error.code, error.decline_code), (None, None));

    // The same intent succeeded, with today's shapes: latest_charge an id, payment_method
    // expanded as asked.
    let mut paid = pi.clone();
    paid["status"] = json!("succeeded");
    paid["last_payment_error"] = Value::Null;
    paid["latest_charge"] = resource(&fixtures, "charge")["id"].clone();
    paid["payment_method"] = resource(&fixtures, "payment_method");
    let server = serve(move |_| (200, paid.clone()));
    let read = client(&server)
        .retrieve_payment_intent("pi_1PgafyB7WZ01zgkWSjxsAJo3")
        .await
        .unwrap();
    assert_eq!(read.status, PaymentIntentStatus::Succeeded);
    assert_eq!(
        read.latest_charge.as_deref(),
        Some("ch_1PgafuB7WZ01zgkWXYmPNZs8")
    );
    assert_eq!(
        read.payment_method.as_deref(),
        Some("pm_1Pgc75B7WZ01zgkWlHVgdEGJ")
    );
    let card = read.card.expect("the card of the expanded PaymentMethod");
    assert_eq!(
        (card.brand.as_deref(), card.last4.as_deref()),
        (Some("visa"), Some("4242"))
    );
}

#[tokio::test]
async fn a_refund_and_a_list_of_refunds_read_as_documented() {
    let Some(fixtures) = fixtures() else { return };
    let refund = resource(&fixtures, "refund");
    let mut pending = refund.clone();
    pending["id"] = json!("re_pending");
    pending["status"] = json!("pending");
    pending["payment_intent"] = json!("pi_1PgafyB7WZ01zgkWSjxsAJo3");
    let (one, many) = (refund.clone(), vec![pending, refund.clone()]);
    let server = serve(move |path| {
        if path.starts_with("/v1/refunds/") {
            (200, one.clone())
        } else {
            (200, list(many.clone(), false, "/v1/refunds"))
        }
    });
    let client = client(&server);
    let read = client
        .retrieve_refund("re_1Pgc72B7WZ01zgkWqPvrRrPE")
        .await
        .unwrap();
    assert_eq!(read.id, "re_1Pgc72B7WZ01zgkWqPvrRrPE");
    assert_eq!(read.amount, Money::new(100, Currency::USD));
    assert_eq!(read.status, RefundStatus::Succeeded);
    assert_eq!(read.charge.as_deref(), Some("ch_1PgafuB7WZ01zgkWXYmPNZs8"));
    assert_eq!(read.payment_intent, None);

    let listed = client
        .list_refunds("pi_1PgafyB7WZ01zgkWSjxsAJo3")
        .await
        .unwrap();
    let statuses: Vec<_> = listed.iter().map(|r| r.status.clone()).collect();
    assert_eq!(statuses, [RefundStatus::Pending, RefundStatus::Succeeded]);
}

#[tokio::test]
async fn a_dispute_reads_with_its_deadline_and_a_charge_names_its_payment_intent() {
    let Some(fixtures) = fixtures() else { return };
    let dispute = resource(&fixtures, "dispute");
    let mut charge = resource(&fixtures, "charge");
    charge["payment_intent"] = json!("pi_1PgafyB7WZ01zgkWSjxsAJo3");
    let server = serve(move |path| {
        if path.starts_with("/v1/disputes/") {
            (200, dispute.clone())
        } else {
            (200, charge.clone())
        }
    });
    let client = client(&server);
    let read = client
        .retrieve_dispute("dp_1Pgc71B7WZ01zgkWMevJiAUx")
        .await
        .unwrap();
    assert_eq!(read.id, "dp_1Pgc71B7WZ01zgkWMevJiAUx");
    assert_eq!(read.amount, Money::new(1000, Currency::USD));
    assert_eq!(read.reason, "general");
    assert_eq!(read.status, "warning_needs_response");
    assert_eq!(read.charge.as_deref(), Some("ch_1PgafuB7WZ01zgkWXYmPNZs8"));
    assert_eq!(read.evidence_due_by, Some(1_723_679_999));
    assert_eq!(
        client
            .payment_intent_of_charge("ch_1PgafuB7WZ01zgkWXYmPNZs8")
            .await
            .unwrap()
            .as_deref(),
        Some("pi_1PgafyB7WZ01zgkWSjxsAJo3")
    );
}

#[tokio::test]
async fn events_read_from_a_list_page_newest_first_with_has_more() {
    let Some(fixtures) = fixtures() else { return };
    let event = resource(&fixtures, "event");
    let mut newer = event.clone();
    newer["id"] = json!("evt_newer");
    newer["created"] = json!(1_234_567_899);
    newer["type"] = json!("payment_intent.succeeded");
    newer["data"]["object"] = resource(&fixtures, "payment_intent");
    let page = list(vec![newer, event], true, "/v1/events");
    let server = serve(move |_| (200, page.clone()));
    let client = client(&server);
    let read = client.list_events(Some(1), None, 100).await.unwrap();
    assert!(read.has_more);
    let ids: Vec<_> = read.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["evt_newer", "evt_1Pgc76B7WZ01zgkWwyRHS12y"]);
    let plan = &read.events[1];
    assert_eq!(plan.event_type, "plan.created");
    assert_eq!(plan.created, 1_234_567_890);
    assert_eq!(
        plan.object_id.as_deref(),
        Some("price_1PgafmB7WZ01zgkW6dKueIc5")
    );
    assert_eq!(
        read.events[0].object_id.as_deref(),
        Some("pi_1PgafyB7WZ01zgkWSjxsAJo3")
    );
    let request = server.drain().pop().expect("the request");
    assert!(
        request.path.contains("created[gt]=1") || request.path.contains("created%5Bgt%5D=1"),
        "{}",
        request.path
    );
}

#[tokio::test]
async fn a_card_error_with_a_decline_code_is_a_decline_naming_its_intent() {
    let Some(fixtures) = fixtures() else { return };
    let mut intent = resource(&fixtures, "payment_intent");
    intent["last_payment_error"] = json!({
        "type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds",
        "message": "Your card has insufficient funds."
    });
    // https://docs.stripe.com/api/errors: the error object, with the PaymentIntent embedded.
    let body = json!({"error": {
        "type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds",
        "message": "Your card has insufficient funds.",
        "charge": "ch_1PgafuB7WZ01zgkWXYmPNZs8",
        "doc_url": "https://docs.stripe.com/error-codes/card-declined",
        "payment_intent": intent,
        "request_log_url": "https://dashboard.stripe.com/test/logs/req_1"
    }});
    let server = serve(move |_| (402, body.clone()));
    let outcome = client(&server)
        .confirm_payment_intent(
            "pi_1PgafyB7WZ01zgkWSjxsAJo3",
            None,
            "fs0-order-1-attempt-1-confirm",
        )
        .await
        .unwrap();
    let Outcome::Declined(decline) = outcome else {
        panic!("a 402 card_error is a decline: {outcome:?}");
    };
    assert_eq!(decline.code.as_deref(), Some("card_declined"));
    assert_eq!(decline.decline_code.as_deref(), Some("insufficient_funds"));
    assert_eq!(
        decline.payment_intent.as_deref(),
        Some("pi_1PgafyB7WZ01zgkWSjxsAJo3")
    );
    assert_eq!(
        decline.charge.as_deref(),
        Some("ch_1PgafuB7WZ01zgkWXYmPNZs8")
    );
}

#[tokio::test]
async fn an_unknown_object_and_an_idempotency_error_are_refusals() {
    if fixtures().is_none() {
        return;
    }
    let server = serve(|path| {
        if path.starts_with("/v1/disputes/") {
            (
                404,
                json!({"error": {
                    "type": "invalid_request_error", "code": "resource_missing",
                    "param": "dispute", "message": "No such dispute: 'dp_x'"
                }}),
            )
        } else {
            (
                400,
                json!({"error": {
                    "type": "idempotency_error",
                    "message": "Keys for idempotent requests can only be used with the same \
                                parameters they were first used with."
                }}),
            )
        }
    });
    let client = client(&server);
    let missing = client.retrieve_dispute("dp_x").await.unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");
    let reused = client
        .create_refund("pi_1", Some(100), "fs0-order-1-refund-1")
        .await
        .unwrap_err();
    assert!(
        matches!(&reused, PaymentError::Rejected { status: 400, message, .. }
            if message.contains("same parameters")),
        "{reused:?}"
    );
}

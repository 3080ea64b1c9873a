//! The back office's order actions: fulfil, cancel, note, with every forbidden transition
//! refused with a reason; cancellations void or refund through a real localstripe process.

mod common;

use std::sync::Arc;

use common::localstripe::LocalStripe;
use common::{blank_shop, buyer, flag, runtime, selling_poland, variant};
use flagshop::checkout::{self, TestCard};
use flagshop::payments::PaymentIntentStatus;
use flagshop::{Error, Order, PaymentStatus, Shop, StockReason};

/// Places an order for `quantity` PL and pays it with `card` (one attempt).
fn buy(shop: &Arc<Shop>, stripe: &LocalStripe, card: TestCard, quantity: i64) -> Order {
    let order = shop
        .place_order(&[("PL".into(), quantity)], &buyer(), None)
        .unwrap();
    pay(shop, stripe, &order.number, card)
}

fn pay(shop: &Arc<Shop>, stripe: &LocalStripe, number: &str, card: TestCard) -> Order {
    let client = stripe.client();
    let rt = runtime();
    let method = rt.block_on(card.payment_method(&client)).unwrap();
    rt.block_on(checkout::pay(shop, &client, number, &method))
        .unwrap()
}

fn cancel(shop: &Arc<Shop>, stripe: &LocalStripe, number: &str) -> Result<Order, Error> {
    runtime().block_on(checkout::cancel(shop, &stripe.client(), number))
}

fn stock(shop: &Shop) -> (i64, i64, i64) {
    let l = shop.stock_level("PL").unwrap();
    (l.on_hand, l.reserved, l.available)
}

/// The ledger adds up to on-hand.
fn assert_ledger_consistent(shop: &Shop) {
    let ledger: i64 = shop
        .stock_history("PL")
        .unwrap()
        .iter()
        .map(|e| e.delta)
        .sum();
    assert_eq!(ledger, stock(shop).0, "ledger sums to on-hand");
}

fn forbidden(err: Error) -> (String, String) {
    match err {
        Error::Forbidden { order, reason } => (order, reason),
        other => panic!("expected a forbidden transition, got {other:?}"),
    }
}

fn kinds(order: &Order) -> Vec<&str> {
    order.events.iter().map(|e| e.kind.as_str()).collect()
}

#[test]
fn a_paid_order_is_fulfilled_once_with_its_carrier_and_tracking() {
    let (_dir, shop, stripe) = selling_poland();
    let order = buy(&shop, &stripe, TestCard::Visa, 2);
    assert_eq!(order.payment_status, PaymentStatus::Paid);

    let fulfilled = shop
        .fulfil_order(&order.number, Some(" UPS "), " 1Z999AA10123456784 ")
        .unwrap();
    assert_eq!(fulfilled.fulfillment_status, "fulfilled");
    assert_eq!(fulfilled.carrier.as_deref(), Some("UPS"));
    assert_eq!(
        fulfilled.tracking_number.as_deref(),
        Some("1Z999AA10123456784")
    );
    assert!(fulfilled.fulfilled_at.is_some());
    let event = fulfilled.events.last().unwrap();
    assert_eq!(event.kind, "fulfilled");
    assert_eq!(
        event.message,
        "Fulfilled: shipped with UPS, tracking 1Z999AA10123456784"
    );

    let err = shop
        .fulfil_order(&order.number, None, "another")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("order {} is already fulfilled", order.number)
    );
    assert_eq!(
        shop.order(&order.number)
            .unwrap()
            .tracking_number
            .as_deref(),
        Some("1Z999AA10123456784"),
        "a refused fulfilment changes nothing"
    );
}

#[test]
fn fulfilling_needs_a_paid_open_order_and_a_tracking_number() {
    let (_dir, shop, stripe) = selling_poland();
    let unpaid = shop
        .place_order(&[("PL".into(), 1)], &buyer(), None)
        .unwrap();
    let (number, reason) = forbidden(shop.fulfil_order(&unpaid.number, None, "T1").unwrap_err());
    assert_eq!(
        (number.as_str(), reason.as_str()),
        (
            unpaid.number.as_str(),
            "cannot be fulfilled: it is not paid (pending)"
        )
    );

    let three_ds = buy(&shop, &stripe, TestCard::ThreeDSecure, 1);
    assert_eq!(three_ds.payment_status, PaymentStatus::RequiresAction);
    let (_, reason) = forbidden(shop.fulfil_order(&three_ds.number, None, "T1").unwrap_err());
    assert_eq!(
        reason,
        "cannot be fulfilled: it is not paid (requires_action)"
    );

    let failed = buy(&shop, &stripe, TestCard::ChargeDeclined, 1);
    assert_eq!(failed.payment_status, PaymentStatus::Failed);
    let (_, reason) = forbidden(shop.fulfil_order(&failed.number, None, "T1").unwrap_err());
    assert_eq!(reason, "cannot be fulfilled: its payment failed");

    let refunded = buy(&shop, &stripe, TestCard::Visa, 1);
    runtime()
        .block_on(checkout::refund(
            &shop,
            &stripe.client(),
            &refunded.number,
            None,
            false,
        ))
        .unwrap();
    let (_, reason) = forbidden(shop.fulfil_order(&refunded.number, None, "T1").unwrap_err());
    assert_eq!(reason, "cannot be fulfilled: it was refunded in full");

    cancel(&shop, &stripe, &unpaid.number).unwrap();
    let (_, reason) = forbidden(shop.fulfil_order(&unpaid.number, None, "T1").unwrap_err());
    assert_eq!(reason, "cannot be fulfilled: it is cancelled");

    let paid = buy(&shop, &stripe, TestCard::Visa, 1);
    let err = shop
        .fulfil_order(&paid.number, Some("DHL"), "  ")
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    assert_eq!(
        shop.order(&paid.number).unwrap().fulfillment_status,
        "unfulfilled"
    );
    // Partly refunded is still owed its goods.
    runtime()
        .block_on(checkout::refund(
            &shop,
            &stripe.client(),
            &paid.number,
            Some(500),
            false,
        ))
        .unwrap();
    let shipped = shop.fulfil_order(&paid.number, None, "T2").unwrap();
    assert_eq!(
        (shipped.fulfillment_status.as_str(), shipped.carrier),
        ("fulfilled", None)
    );
    assert_eq!(
        shipped.events.last().unwrap().message,
        "Fulfilled: tracking T2"
    );
}

#[test]
fn cancelling_an_unpaid_order_without_a_payment_releases_its_stock() {
    let (_dir, shop, stripe) = selling_poland();
    let order = shop
        .place_order(&[("PL".into(), 2)], &buyer(), None)
        .unwrap();
    assert_eq!(stock(&shop), (5, 2, 3));

    let cancelled = cancel(&shop, &stripe, &order.number).unwrap();
    assert_eq!(cancelled.status, "cancelled");
    assert!(cancelled.cancelled_at.is_some());
    assert_eq!(
        cancelled.payment_status,
        PaymentStatus::Pending,
        "nothing to void"
    );
    assert_eq!(stock(&shop), (5, 0, 5));
    assert!(
        shop.stock_history("PL").unwrap().len() == 1,
        "no ledger movement"
    );
    assert_eq!(kinds(&cancelled), ["placed", "cancelled"]);

    let (_, reason) = forbidden(cancel(&shop, &stripe, &order.number).unwrap_err());
    assert_eq!(reason, "is already cancelled");
    let err = shop.begin_payment_attempt(&order.number).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("order {} cannot be paid: it is cancelled", order.number)
    );
    assert_eq!(stock(&shop), (5, 0, 5));
}

#[test]
fn cancelling_a_failed_or_unauthenticated_order_voids_its_payment_intent_at_stripe() {
    let (_dir, shop, stripe) = selling_poland();
    let client = stripe.client();
    for card in [TestCard::ChargeDeclined, TestCard::ThreeDSecure] {
        let order = buy(&shop, &stripe, card, 2);
        let intent = order.payment_intent_id.clone().unwrap();
        let cancelled = cancel(&shop, &stripe, &order.number).unwrap();
        assert_eq!(
            (cancelled.status.as_str(), cancelled.payment_status),
            ("cancelled", PaymentStatus::Voided),
            "{card:?}"
        );
        let at_stripe = runtime()
            .block_on(client.retrieve_payment_intent(&intent))
            .unwrap();
        assert_eq!(at_stripe.status, PaymentIntentStatus::Canceled, "{card:?}");
        assert_eq!(stock(&shop), (5, 0, 5), "{card:?}: reservation released");
        assert!(
            cancelled
                .events
                .last()
                .unwrap()
                .message
                .contains(&format!("payment {intent} voided")),
            "{card:?}"
        );
        // Voided at Stripe, so the customer cannot pay it any more.
        let err = shop.begin_payment_attempt(&order.number).unwrap_err();
        assert!(err.to_string().contains("cannot be paid"), "{err}");
    }
    assert_ledger_consistent(&shop);
}

#[test]
fn a_payment_that_went_through_at_stripe_is_not_cancelled_as_unpaid() {
    let (_dir, shop, stripe) = selling_poland();
    let client = stripe.client();
    let rt = runtime();
    let order = shop
        .place_order(&[("PL".into(), 2)], &buyer(), None)
        .unwrap();
    shop.begin_payment_attempt(&order.number).unwrap();
    // Paid in the customer's browser; the shop has not heard of it yet.
    let intent = rt
        .block_on(client.create_payment_intent(
            flagshop::Money::new(order.totals.total, order.totals.currency),
            "paid meanwhile",
            &[],
            "cancel-race-intent",
        ))
        .unwrap();
    shop.set_payment_intent(&order.number, &intent.id).unwrap();
    rt.block_on(client.confirm_payment_intent(&intent.id, Some("pm_card_visa"), "cancel-race"))
        .unwrap();

    let (_, reason) = forbidden(cancel(&shop, &stripe, &order.number).unwrap_err());
    assert_eq!(
        reason,
        "cannot be cancelled as unpaid: its payment is succeeded at Stripe; the order is now paid"
    );
    let now = shop.order(&order.number).unwrap();
    assert_eq!(
        (now.status.as_str(), now.payment_status),
        ("open", PaymentStatus::Paid)
    );
    assert_eq!(stock(&shop), (3, 0, 3));
}

#[test]
fn cancelling_a_paid_order_refunds_it_through_stripe_and_restocks_every_line() {
    let (_dir, shop, stripe) = selling_poland();
    let client = stripe.client();
    let order = buy(&shop, &stripe, TestCard::Visa, 2);
    assert_eq!(stock(&shop), (3, 0, 3));

    let cancelled = cancel(&shop, &stripe, &order.number).unwrap();
    assert_eq!(cancelled.status, "cancelled");
    assert_eq!(cancelled.payment_status, PaymentStatus::Refunded);
    assert_eq!(cancelled.amount_refunded, order.totals.total);
    assert_eq!(stock(&shop), (5, 0, 5));
    let returned = &shop.stock_history("PL").unwrap()[0];
    assert_eq!(
        (returned.delta, returned.reason, returned.order_id),
        (2, StockReason::Returned, Some(order.id))
    );
    assert_ledger_consistent(&shop);
    let refunds = runtime()
        .block_on(client.list_refunds(order.payment_intent_id.as_deref().unwrap()))
        .unwrap();
    assert_eq!(
        refunds.iter().map(|r| r.amount.amount).collect::<Vec<_>>(),
        [order.totals.total],
        "one full refund at Stripe"
    );
    assert_eq!(
        kinds(&cancelled),
        [
            "placed",
            "payment_attempt",
            "paid",
            "refunded",
            "restocked",
            "cancelled"
        ]
    );
}

#[test]
fn cancelling_a_partly_refunded_order_refunds_the_rest_and_never_restocks_twice() {
    let (_dir, shop, stripe) = selling_poland();
    let client = stripe.client();
    let order = buy(&shop, &stripe, TestCard::Visa, 2);
    runtime()
        .block_on(checkout::refund(
            &shop,
            &client,
            &order.number,
            Some(1000),
            true,
        ))
        .unwrap();
    assert_eq!(stock(&shop), (5, 0, 5), "restocked with the first refund");

    let cancelled = cancel(&shop, &stripe, &order.number).unwrap();
    assert_eq!(
        (cancelled.payment_status, cancelled.amount_refunded),
        (PaymentStatus::Refunded, order.totals.total)
    );
    assert_eq!(stock(&shop), (5, 0, 5), "the goods were already back");
    assert_ledger_consistent(&shop);
}

#[test]
fn a_fulfilled_order_cannot_be_cancelled_without_a_full_refund() {
    let (_dir, shop, stripe) = selling_poland();
    let order = buy(&shop, &stripe, TestCard::Visa, 2);
    shop.fulfil_order(&order.number, Some("USPS"), "9400")
        .unwrap();

    let (number, reason) = forbidden(cancel(&shop, &stripe, &order.number).unwrap_err());
    assert_eq!(number, order.number);
    assert!(
        reason.contains("a fulfilled order cannot be cancelled without a refund"),
        "{reason}"
    );
    let after = shop.order(&order.number).unwrap();
    assert_eq!(
        (after.status.as_str(), after.payment_status),
        ("open", PaymentStatus::Paid),
        "nothing refunded or cancelled"
    );

    // Refunded in full (the goods stay with the customer), it can be closed: nothing restocked.
    runtime()
        .block_on(checkout::refund(
            &shop,
            &stripe.client(),
            &order.number,
            None,
            false,
        ))
        .unwrap();
    let cancelled = cancel(&shop, &stripe, &order.number).unwrap();
    assert_eq!(cancelled.status, "cancelled");
    assert_eq!(stock(&shop), (3, 0, 3));
}

/// The actions the core sends with an order say what each would do, and are what it then
/// does: the UI shows them instead of deciding for itself.
#[test]
fn an_order_says_what_each_action_would_do() {
    let (_dir, shop, stripe) = selling_poland();
    let unpaid = shop
        .place_order(&[("PL".into(), 2)], &buyer(), None)
        .unwrap();
    let a = &unpaid.actions;
    assert_eq!(a.refundable, 0);
    assert!(
        a.fulfil_refused
            .as_deref()
            .unwrap()
            .contains("it is not paid")
    );
    assert_eq!(
        (
            a.cancel.refused.as_deref(),
            a.cancel.release_units,
            a.cancel.voids_payment
        ),
        (None, 2, false)
    );

    let paid = buy(&shop, &stripe, TestCard::Visa, 1);
    assert!(paid.paid);
    assert_eq!(paid.lines[0].total, paid.lines[0].unit_price);
    assert_eq!(paid.actions.fulfil_refused, None);
    assert_eq!(paid.actions.refundable, paid.totals.total);
    assert_eq!(
        (
            paid.actions.cancel.refund,
            paid.actions.cancel.restock_units
        ),
        (paid.totals.total, 1)
    );

    // Shipped: cancelling is refused with the reason the action would give.
    let shipped = shop.fulfil_order(&paid.number, None, "9400").unwrap();
    let refusal = shipped.actions.cancel.refused.clone().unwrap();
    let (_, reason) = forbidden(cancel(&shop, &stripe, &paid.number).unwrap_err());
    assert_eq!(refusal, format!("Order {} {reason}", paid.number));
    assert!(
        shipped
            .actions
            .fulfil_refused
            .unwrap()
            .contains("already fulfilled")
    );

    // Shipped and refunded in full: cancelling refunds nothing and restocks nothing — and
    // that is what cancelling then does.
    let refunded = runtime()
        .block_on(checkout::refund(
            &shop,
            &stripe.client(),
            &paid.number,
            None,
            false,
        ))
        .unwrap();
    assert_eq!(refunded.net_payment, 0);
    assert_eq!(refunded.actions.refundable, 0);
    let preview = &refunded.actions.cancel;
    assert_eq!(
        (
            preview.refused.as_deref(),
            preview.refund,
            preview.restock_units
        ),
        (None, 0, 0)
    );
    let before = stock(&shop);
    cancel(&shop, &stripe, &paid.number).unwrap();
    assert_eq!(stock(&shop), before, "the preview said nothing comes back");
}

#[test]
fn notes_go_on_the_timeline_and_an_empty_one_is_refused() {
    let (_dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![variant("PL", &["3x5 ft"], 2500, 5)],
    ))
    .unwrap();
    let order = shop
        .place_order(&[("PL".into(), 1)], &buyer(), None)
        .unwrap();
    let noted = shop
        .add_order_note(&order.number, "  Customer asked for gift wrap ")
        .unwrap();
    let note = noted.events.last().unwrap();
    assert_eq!(
        (note.kind.as_str(), note.message.as_str()),
        ("note", "Customer asked for gift wrap")
    );
    assert!(matches!(
        shop.add_order_note(&order.number, " \n ").unwrap_err(),
        Error::Invalid(_)
    ));
    assert!(matches!(
        shop.add_order_note("FS-9", "x").unwrap_err(),
        Error::UnknownOrder(_)
    ));
    assert_eq!(shop.order(&order.number).unwrap().events.len(), 2);
}

#[test]
fn the_timeline_tells_the_whole_story_and_the_card_is_kept() {
    let (_dir, shop, stripe) = selling_poland();
    let client = stripe.client();
    let rt = runtime();

    // localstripe refuses to confirm a declined intent again, so the decline is its own order.
    let declined = buy(&shop, &stripe, TestCard::ChargeDeclined, 1);
    assert_eq!(
        kinds(&declined),
        ["placed", "payment_attempt", "payment_failed"]
    );
    let failure = &declined.events[2].message;
    assert!(failure.contains("card_declined"), "{failure}");
    assert!(declined.card_brand.is_none() && declined.paid_at.is_none());

    let order = buy(&shop, &stripe, TestCard::ThreeDSecure, 1);
    let pi = order.payment_intent_id.clone().unwrap();
    rt.block_on(stripe.complete_3ds(&client, &pi, true));
    // Stripe's 3-D Secure test PaymentMethod is the 4000 0000 0000 3220 card.
    let last4 = if stripe.today() { "3220" } else { "3155" };
    let paid = rt
        .block_on(checkout::refresh(&shop, &client, &order.number))
        .unwrap();
    assert_eq!(paid.payment_status, PaymentStatus::Paid);
    assert_eq!(
        (paid.card_brand.as_deref(), paid.card_last4.as_deref()),
        (Some("visa"), Some(last4)),
        "brand and last four from Stripe, kept on the order"
    );
    assert!(paid.paid_at.is_some());
    shop.fulfil_order(&order.number, Some("DHL"), "JD014600")
        .unwrap();
    rt.block_on(checkout::refund(
        &shop,
        &client,
        &order.number,
        Some(700),
        false,
    ))
    .unwrap();
    let order = shop
        .add_order_note(&order.number, "Partial refund: bent pole")
        .unwrap();

    assert_eq!(
        kinds(&order),
        [
            "placed",
            "payment_attempt",
            "requires_action",
            "paid",
            "fulfilled",
            "refunded",
            "note"
        ]
    );
    let message = |kind: &str| {
        order
            .events
            .iter()
            .find(|e| e.kind == kind)
            .unwrap()
            .message
            .clone()
    };
    assert!(message("paid").contains(last4), "{}", message("paid"));
    assert!(message("fulfilled").contains("JD014600"));
    assert!(
        message("refunded").contains("7.00 USD"),
        "{}",
        message("refunded")
    );
}

#[test]
fn a_refund_recorded_twice_restocks_only_once() {
    let (_dir, shop, stripe) = selling_poland();
    let order = buy(&shop, &stripe, TestCard::Visa, 2);
    // A webhook records Stripe's refund first (no restock); then the app, which made it,
    // records it with the restock the owner asked for.
    shop.record_refund(&order.number, "re_race", 1000, false)
        .unwrap();
    assert_eq!(stock(&shop), (3, 0, 3));
    let after = shop
        .record_refund(&order.number, "re_race", 1000, true)
        .unwrap();
    assert_eq!(after.amount_refunded, 1000, "the refund counts once");
    assert_eq!(stock(&shop), (5, 0, 5));
    shop.record_refund(&order.number, "re_race", 1000, true)
        .unwrap();
    shop.record_refund(&order.number, "re_other", 500, true)
        .unwrap();
    assert_eq!(stock(&shop), (5, 0, 5), "never more than was sold");
    assert_ledger_consistent(&shop);

    let err = shop
        .record_refund(&order.number, "re_too_much", order.totals.total, false)
        .unwrap_err();
    let (_, reason) = forbidden(err);
    assert!(reason.contains("is left to refund"), "{reason}");
    assert_eq!(shop.order(&order.number).unwrap().amount_refunded, 1500);
}

#[test]
fn an_order_cancelled_while_being_paid_never_takes_its_payment() {
    let (_dir, shop) = common::blank_shop();
    shop.create_product(&common::flag(
        "pl",
        "Poland",
        vec![common::variant("PL", &["3x5 ft"], 2500, 5)],
    ))
    .unwrap();
    let shop = Arc::new(shop);
    let order = shop
        .place_order(&[("PL".into(), 1)], &common::buyer(), None)
        .unwrap();
    // The customer starts paying; before the PaymentIntent is recorded the owner cancels
    // (nothing to void at Stripe yet, so no request is made).
    shop.begin_payment_attempt(&order.number).unwrap();
    let client =
        flagshop::payments::StripeClient::new("http://127.0.0.1:9", "sk_test_unused").unwrap();
    let cancelled = runtime()
        .block_on(checkout::cancel(&shop, &client, &order.number))
        .unwrap();
    assert_eq!(cancelled.status, "cancelled");
    let err = shop
        .set_payment_intent(&order.number, "pi_late")
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err}");
    assert_eq!(shop.order(&order.number).unwrap().payment_intent_id, None);
    assert_eq!(shop.stock_level("PL").unwrap().reserved, 0);
}

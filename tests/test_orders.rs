//! Test orders (the Checkout lab's and `flagshop checkout`'s) go through the real pipeline but
//! stay out of the books, and are deleted in bulk: money back at Stripe first, stock back
//! through the ledger, ledger rows kept. Against a real localstripe process.

mod common;

use std::sync::Arc;

use common::localstripe::LocalStripe;
use common::{buyer, runtime};
use flagshop::checkout::{self, TestCard};
use flagshop::test_orders::delete_test_orders;
use flagshop::{CustomerDetails, Error, Order, OrderQuery, PaymentStatus, Shop, StockReason};

fn tester() -> CustomerDetails {
    CustomerDetails {
        email: "lab@example.com".into(),
        name: "Lab Tester".into(),
        ..buyer()
    }
}

/// Places an order for `quantity` PL (a test order when `test`) and pays it with `card`.
fn bought(
    shop: &Arc<Shop>,
    stripe: &LocalStripe,
    test: bool,
    quantity: i64,
    card: TestCard,
) -> Order {
    let lines = [("PL".to_owned(), quantity)];
    let order = if test {
        shop.place_test_order(&lines, &tester(), None).unwrap()
    } else {
        shop.place_order(&lines, &buyer(), None).unwrap()
    };
    let client = stripe.client();
    let rt = runtime();
    let method = rt.block_on(card.payment_method(&client)).unwrap();
    rt.block_on(checkout::pay(shop, &client, &order.number, &method))
        .unwrap()
}

#[test]
fn test_orders_are_marked_filterable_and_out_of_the_books() {
    let stripe = LocalStripe::start();
    let (_dir, shop) = common::poland(10);
    let real = bought(&shop, &stripe, false, 1, TestCard::Visa);
    let test = bought(&shop, &stripe, true, 2, TestCard::Visa);
    assert!(!real.test);
    assert!(test.test);
    assert_eq!(test.payment_status, PaymentStatus::Paid);
    // The pipeline is the real one: the test order sold its stock.
    assert_eq!(shop.stock_level("PL").unwrap().on_hand, 7);

    let listed = |test: Option<bool>| -> Vec<(String, bool)> {
        shop.search_orders(&OrderQuery {
            test,
            ..OrderQuery::default()
        })
        .unwrap()
        .into_iter()
        .map(|o| (o.number, o.test))
        .collect()
    };
    assert_eq!(
        listed(None),
        [(test.number.clone(), true), (real.number.clone(), false)]
    );
    assert_eq!(listed(Some(true)), [(test.number.clone(), true)]);
    assert_eq!(listed(Some(false)), [(real.number.clone(), false)]);

    // Sales, orders to fulfil and customers count the real order only.
    let dashboard = shop.dashboard().unwrap();
    assert_eq!(dashboard.sales_today, real.totals.total);
    assert_eq!(dashboard.orders_to_fulfil, 1);
    let customers = shop.customers().unwrap();
    assert_eq!(customers.len(), 1, "{customers:?}");
    assert_eq!(customers[0].email, "buyer@example.com");
    assert_eq!(customers[0].lifetime_spend, real.totals.total);
    assert_eq!(customers[0].average_order, real.totals.total);
    assert!(matches!(
        shop.customer("lab@example.com"),
        Err(Error::UnknownCustomer(_))
    ));

    // A refund of the test order does not touch the day's sales either.
    let rt = runtime();
    rt.block_on(checkout::refund(
        &shop,
        &stripe.client(),
        &test.number,
        Some(500),
        false,
    ))
    .unwrap();
    assert_eq!(shop.dashboard().unwrap().sales_today, real.totals.total);

    // A customer who also bought for real counts only the real order.
    let mixed = shop
        .place_test_order(&[("PL".into(), 1)], &buyer(), None)
        .unwrap();
    let customer = shop.customer("buyer@example.com").unwrap();
    assert_eq!(customer.customer.orders_count, 1);
    assert!(customer.orders.iter().all(|o| o.number != mixed.number));
}

#[test]
fn deleting_test_orders_gives_the_money_and_the_stock_back_and_keeps_the_ledger() {
    let stripe = LocalStripe::start();
    let (_dir, shop) = common::poland(10);
    let client = stripe.client();
    let rt = runtime();

    let real = bought(&shop, &stripe, false, 1, TestCard::Visa);
    let paid = bought(&shop, &stripe, true, 2, TestCard::Visa);
    let shipped = bought(&shop, &stripe, true, 1, TestCard::Visa);
    shop.fulfil_order(&shipped.number, None, "TEST-1").unwrap();
    let waiting = bought(&shop, &stripe, true, 1, TestCard::ThreeDSecure);
    assert_eq!(waiting.payment_status, PaymentStatus::RequiresAction);
    let unpaid = shop
        .place_test_order(&[("PL".into(), 1)], &tester(), None)
        .unwrap();
    let level = shop.stock_level("PL").unwrap();
    assert_eq!((level.on_hand, level.reserved), (6, 2));
    let ledger_before = shop.stock_history("PL").unwrap();

    let numbers: Vec<String> = [&paid, &shipped, &waiting, &unpaid, &real]
        .iter()
        .map(|o| o.number.clone())
        .collect();

    // The preview says what will happen and refuses the real order, changing nothing.
    let preview = shop.preview_test_order_deletion(&numbers).unwrap();
    assert_eq!(preview.orders, numbers[..4]);
    assert_eq!(preview.refunds, 2);
    assert_eq!(
        preview.refund_amount,
        paid.totals.total + shipped.totals.total
    );
    assert_eq!(preview.voids, 1, "the one waiting for 3-D Secure");
    assert_eq!(preview.units_restocked, 3);
    assert_eq!(preview.refused.len(), 1);
    assert_eq!(preview.refused[0].number, real.number);
    assert!(
        preview.refused[0].reason.contains("not a test order"),
        "{:?}",
        preview.refused
    );
    assert_eq!(shop.stock_history("PL").unwrap(), ledger_before);

    let done = rt
        .block_on(delete_test_orders(&shop, Some(&client), &numbers))
        .unwrap();
    assert_eq!(done.deleted, numbers[..4]);
    assert_eq!(done.units_restocked, 3);
    assert_eq!(done.refused.len(), 1);
    assert_eq!(done.refused[0].number, real.number);

    // Gone from every list and lookup; the real order is untouched.
    for order in [&paid, &shipped, &waiting, &unpaid] {
        assert!(matches!(
            shop.order(&order.number),
            Err(Error::UnknownOrder(_))
        ));
    }
    let left: Vec<String> = shop
        .search_orders(&OrderQuery::default())
        .unwrap()
        .into_iter()
        .map(|o| o.number)
        .collect();
    assert_eq!(left, [real.number.as_str()]);
    assert_eq!(
        shop.order(&real.number).unwrap().payment_status,
        PaymentStatus::Paid
    );

    // The money went back at Stripe: both paid ones refunded in full, the waiting one voided.
    for order in [&paid, &shipped] {
        let intent = order.payment_intent_id.as_deref().unwrap();
        let refunds = rt.block_on(client.list_refunds(intent)).unwrap();
        let refunded: i64 = refunds.iter().map(|r| r.amount.amount).sum();
        assert_eq!(refunded, order.totals.total, "{}", order.number);
    }
    let intent = stripe.get(&format!(
        "/v1/payment_intents/{}",
        waiting.payment_intent_id.as_deref().unwrap()
    ));
    assert_eq!(intent["status"], "canceled");

    // The stock came back through new ledger rows naming each test order; none was removed.
    let level = shop.stock_level("PL").unwrap();
    assert_eq!((level.on_hand, level.reserved), (9, 0));
    let ledger = shop.stock_history("PL").unwrap();
    assert_eq!(
        &ledger[ledger.len() - ledger_before.len()..],
        &ledger_before[..]
    );
    let returned: Vec<(i64, String)> = ledger[..ledger.len() - ledger_before.len()]
        .iter()
        .map(|e| {
            assert_eq!(e.reason, StockReason::Returned);
            (e.delta, e.note.clone())
        })
        .collect();
    assert_eq!(
        returned,
        [
            (1, format!("Test order {} deleted", shipped.number)),
            (2, format!("Test order {} deleted", paid.number)),
        ]
    );
    assert!(shop.verify_stock().unwrap().mismatches.is_empty());

    // The Stripe events of the refunds and the void arrive later, and find no order to move.
    let report = rt.block_on(checkout::sync_events(&shop, &client)).unwrap();
    assert_eq!(report.failed, 0, "{report:?}");
    assert_eq!(shop.stock_level("PL").unwrap().on_hand, 9);

    // A deleted order's number is not used again.
    let next = shop
        .place_test_order(&[("PL".into(), 1)], &tester(), None)
        .unwrap();
    assert!(!numbers.contains(&next.number));
}

#[test]
fn without_stripe_only_orders_with_nothing_there_are_deleted() {
    let stripe = LocalStripe::start();
    let (_dir, shop) = common::poland(5);
    let paid = bought(&shop, &stripe, true, 1, TestCard::Visa);
    let unpaid = shop
        .place_test_order(&[("PL".into(), 2)], &tester(), None)
        .unwrap();
    let numbers = vec![paid.number.clone(), unpaid.number.clone()];
    let done = runtime()
        .block_on(delete_test_orders(&shop, None, &numbers))
        .unwrap();
    assert_eq!(done.deleted, [unpaid.number.as_str()]);
    assert_eq!(done.refused.len(), 1);
    assert!(
        done.refused[0].reason.contains("Stripe is not set up"),
        "{:?}",
        done.refused
    );
    assert_eq!(
        shop.order(&paid.number).unwrap().payment_status,
        PaymentStatus::Paid
    );
    let level = shop.stock_level("PL").unwrap();
    assert_eq!((level.on_hand, level.reserved), (4, 0));
}

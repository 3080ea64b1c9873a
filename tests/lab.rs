//! The Checkout lab against a real localstripe process: every scenario through the real order
//! pipeline, the ones localstripe cannot run reported as such, with no order left behind.

mod common;

use std::sync::Arc;

use common::localstripe::LocalStripe;
use common::{blank_shop, flag, variant};
use flagshop::lab::{self, LabScenario, LabVerdict};
use flagshop::{PaymentStatus, StockReason};

#[test]
fn every_scenario_runs_through_the_pipeline_or_says_it_cannot() {
    let (_dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![variant("PL", &["3x5 ft"], 2500, 20)],
    ))
    .unwrap();
    let shop = Arc::new(shop);
    let stripe = LocalStripe::start();
    let client = stripe.client();
    let rt = common::runtime();

    assert_eq!(lab::sample_sku(&shop).unwrap(), "PL");
    let mut results = Vec::new();
    for scenario in LabScenario::ALL {
        let mut result = rt
            .block_on(lab::run(&shop, &client, scenario, "PL"))
            .unwrap();
        if result.verdict == LabVerdict::AwaitingAuthentication {
            // Stripe asks the customer in the page: the test plays the customer.
            let order = shop.order(result.order_number.as_ref().unwrap()).unwrap();
            stripe.complete_3ds_in_the_page(
                order.payment_intent_id.as_deref().unwrap(),
                result.client_secret.as_deref().unwrap(),
                scenario == LabScenario::ThreeDSecurePassed,
            );
            result = rt.block_on(lab::finish(&shop, &client, result)).unwrap();
        }
        results.push(result);
    }
    let verdicts: Vec<_> = results.iter().map(|r| (r.scenario, r.verdict)).collect();
    // Today's Stripe runs every scenario; plain localstripe cannot decline most test cards on
    // a payment, nor open disputes.
    let expected: Vec<_> = LabScenario::ALL
        .into_iter()
        .map(|scenario| {
            let unsupported = matches!(
                scenario,
                LabScenario::GenericDecline
                    | LabScenario::InsufficientFunds
                    | LabScenario::LostCard
                    | LabScenario::ExpiredCard
                    | LabScenario::IncorrectCvc
                    | LabScenario::ProcessingError
                    | LabScenario::Dispute
            );
            let verdict = if unsupported && !stripe.today() {
                LabVerdict::NotSupported
            } else {
                LabVerdict::Pass
            };
            (scenario, verdict)
        })
        .collect();
    assert_eq!(verdicts, expected, "{results:#?}");

    // What each row shows is what the order and the stock say.
    let mut orders = 0;
    for result in &results {
        let Some(number) = &result.order_number else {
            assert!(result.actual.is_none());
            assert!(
                result.note.contains("not supported by this Stripe server"),
                "{result:?}"
            );
            continue;
        };
        orders += 1;
        let order = shop.order(number).unwrap();
        let actual = result.actual.as_ref().unwrap();
        assert_eq!(order.payment_status, actual.payment_status);
        assert_eq!(order.dispute.is_some(), actual.disputed);
        assert_eq!(order.email, lab::LAB_EMAIL);
        assert!(order.test, "a lab order is a test order: {number}");
    }
    let row = |scenario| results.iter().find(|r| r.scenario == scenario).unwrap();
    let declined = row(LabScenario::ChargeDeclined);
    assert_eq!(
        declined.actual.as_ref().unwrap().payment_status,
        PaymentStatus::Failed
    );
    assert!(declined.note.contains("card_declined"), "{declined:?}");
    let duplicate = row(LabScenario::DuplicateConfirm);
    if stripe.today() {
        assert!(
            duplicate.note.contains("answered from the first one"),
            "Stripe replays a repeated idempotent request: {duplicate:?}"
        );
        for (scenario, code) in [
            (LabScenario::InsufficientFunds, "insufficient_funds"),
            (LabScenario::LostCard, "lost_card"),
            (LabScenario::ExpiredCard, "expired_card"),
            (LabScenario::IncorrectCvc, "incorrect_cvc"),
            (LabScenario::ProcessingError, "processing_error"),
        ] {
            assert!(row(scenario).note.contains(code), "{:?}", row(scenario));
        }
    } else {
        assert!(
            duplicate.note.contains("refused the repeated confirmation"),
            "localstripe ignores idempotency keys: {duplicate:?}"
        );
    }

    // Paid: success, 3-D Secure passed, the duplicate, and the disputed one (today's mode);
    // each sold once. The refunded one sold and came back.
    assert_eq!(shop.orders().unwrap().len(), orders);
    let paid_and_kept = if stripe.today() { 4 } else { 3 };
    let level = shop.stock_level("PL").unwrap();
    assert_eq!((level.on_hand, level.reserved), (20 - paid_and_kept, 0));
    let history = shop.stock_history("PL").unwrap();
    let sold: Vec<_> = history
        .iter()
        .filter(|e| e.reason == StockReason::Sold)
        .collect();
    assert_eq!(sold.len() as i64, paid_and_kept + 1, "{sold:?}");
    assert!(sold.iter().all(|e| e.delta == -1));
    let returned = history
        .iter()
        .filter(|e| e.reason == StockReason::Returned)
        .count();
    assert_eq!(returned, 1, "the refund scenario restocks its unit");

    // Out of the books: no sales, no customer; then deleted, every unit comes back.
    let dashboard = shop.dashboard().unwrap();
    assert_eq!((dashboard.sales_today, dashboard.orders_to_fulfil), (0, 0));
    assert_eq!(dashboard.disputes_needing_response, 0);
    assert!(shop.customers().unwrap().is_empty());
    let numbers: Vec<String> = results
        .iter()
        .filter_map(|r| r.order_number.clone())
        .collect();
    let done = rt
        .block_on(flagshop::test_orders::delete_test_orders(
            &shop,
            Some(&client),
            &numbers,
        ))
        .unwrap();
    assert!(done.refused.is_empty(), "{:?}", done.refused);
    assert_eq!(done.deleted.len(), orders);
    assert!(shop.orders().unwrap().is_empty());
    let level = shop.stock_level("PL").unwrap();
    assert_eq!((level.on_hand, level.reserved), (20, 0));
    assert!(shop.verify_stock().unwrap().mismatches.is_empty());
}

#[test]
fn the_lab_needs_stock_to_buy() {
    let (_dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![variant("PL", &["3x5 ft"], 2500, 0)],
    ))
    .unwrap();
    let err = lab::sample_sku(&shop).unwrap_err();
    assert!(
        err.to_string().contains("no product on sale has stock"),
        "{err}"
    );
}

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
        vec![variant("PL", &["3x5 ft"], 2500, 10)],
    ))
    .unwrap();
    let shop = Arc::new(shop);
    let stripe = LocalStripe::start();
    let client = stripe.client();
    let rt = common::runtime();

    assert_eq!(lab::sample_sku(&shop).unwrap(), "PL");
    let mut results = Vec::new();
    for scenario in LabScenario::ALL {
        let result = rt
            .block_on(lab::run(&shop, &client, scenario, "PL"))
            .unwrap();
        results.push(result);
    }
    let verdicts: Vec<_> = results.iter().map(|r| (r.scenario, r.verdict)).collect();
    assert_eq!(
        verdicts,
        vec![
            (LabScenario::Success, LabVerdict::Pass),
            (LabScenario::GenericDecline, LabVerdict::NotSupported),
            (LabScenario::ChargeDeclined, LabVerdict::Pass),
            (LabScenario::InsufficientFunds, LabVerdict::NotSupported),
            (LabScenario::ThreeDSecurePassed, LabVerdict::Pass),
            (LabScenario::ThreeDSecureFailed, LabVerdict::Pass),
            (LabScenario::DuplicateConfirm, LabVerdict::Pass),
        ],
        "{results:#?}"
    );

    // What each row shows is what the order and the stock say.
    for result in &results {
        let Some(number) = &result.order_number else {
            assert!(result.actual.is_none());
            assert!(
                result.note.contains("not supported by this Stripe server"),
                "{result:?}"
            );
            continue;
        };
        let order = shop.order(number).unwrap();
        let actual = result.actual.as_ref().unwrap();
        assert_eq!(order.payment_status, actual.payment_status);
        assert_eq!(order.email, lab::LAB_EMAIL);
    }
    let declined = &results[2];
    assert_eq!(
        declined.actual.as_ref().unwrap().payment_status,
        PaymentStatus::Failed
    );
    assert!(declined.note.contains("card_declined"), "{declined:?}");
    let duplicate = &results[6];
    assert!(
        duplicate.note.contains("refused the repeated confirmation"),
        "localstripe ignores idempotency keys: {duplicate:?}"
    );

    // Five orders (no order for the two unsupported cards); three sold, once each.
    assert_eq!(shop.orders().unwrap().len(), 5);
    let level = shop.stock_level("PL").unwrap();
    assert_eq!((level.on_hand, level.reserved), (7, 0));
    let sold: Vec<_> = shop
        .stock_history("PL")
        .unwrap()
        .into_iter()
        .filter(|e| e.reason == StockReason::Sold)
        .collect();
    assert_eq!(sold.len(), 3, "{sold:?}");
    assert!(sold.iter().all(|e| e.delta == -1));
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

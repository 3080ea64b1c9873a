//! Orders on real SQLite: placing, reserving stock, payment outcomes, expiry, concurrency.

mod common;

use std::sync::{Arc, Barrier};

use common::{blank_shop, buyer, flag, variant};
use flagshop::{
    CustomerDetails, DiscountCode, Error, PaymentStatus, PricingRules, ShippingRate, Shop,
    StockReason,
};

fn lines(items: &[(&str, i64)]) -> Vec<(String, i64)> {
    items.iter().map(|(s, q)| (s.to_string(), *q)).collect()
}

/// A shop selling PL (5 in stock, 25.00) and DE (2 in stock, 10.00) with 5.00 flat shipping.
fn shop() -> (tempfile::TempDir, Shop) {
    let (dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![variant("PL", &["3x5 ft"], 2500, 5)],
    ))
    .unwrap();
    shop.create_product(&flag(
        "de",
        "Germany",
        vec![variant("DE", &["3x5 ft"], 1000, 2)],
    ))
    .unwrap();
    (dir, shop)
}

fn available(shop: &Shop, sku: &str) -> (i64, i64, i64) {
    let l = shop.stock_level(sku).unwrap();
    (l.on_hand, l.reserved, l.available)
}

#[test]
fn placing_an_order_reserves_its_stock_and_prices_it() {
    let (_dir, shop) = shop();
    let order = shop
        .place_order(&lines(&[("PL", 2), ("DE", 1)]), &buyer(), None)
        .unwrap();
    assert!(order.number.starts_with("FS-"));
    assert_eq!(order.payment_status, PaymentStatus::Pending);
    assert_eq!(order.address.country, "US");
    let t = order.totals;
    assert_eq!(
        (t.subtotal, t.shipping, t.tax, t.total),
        (6000, 500, 0, 6500)
    );
    assert_eq!(available(&shop, "PL"), (5, 2, 3));
    assert_eq!(available(&shop, "DE"), (2, 1, 1));
    assert_eq!(order.events[0].kind, "placed");
    assert_eq!(shop.order(&order.number).unwrap(), order);
}

#[test]
fn lines_of_the_same_variant_are_summed_and_a_short_line_writes_nothing() {
    let (_dir, shop) = shop();
    let err = shop
        .place_order(&lines(&[("DE", 1), ("PL", 3), ("PL", 3)]), &buyer(), None)
        .unwrap_err();
    assert!(
        matches!(&err, Error::QuantityUnavailable { sku, requested: 6, available: 5 } if sku == "PL"),
        "{err}"
    );
    assert_eq!(err.to_string(), "only 5 of \"PL\" available (asked for 6)");
    assert!(shop.orders().unwrap().is_empty());
    assert_eq!(available(&shop, "DE"), (2, 0, 2));
    assert_eq!(available(&shop, "PL"), (5, 0, 5));
}

#[test]
fn quantities_that_would_overflow_are_refused_by_name() {
    let (_dir, shop) = shop();
    let err = shop
        .place_order(&lines(&[("PL", i64::MAX - 1), ("PL", 2)]), &buyer(), None)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "quantity of \"PL\" is too large: {} and 2 together are more than any order can hold",
            i64::MAX - 1
        )
    );
    assert!(shop.orders().unwrap().is_empty());
    assert_eq!(available(&shop, "PL"), (5, 0, 5));
}

#[test]
fn payment_turns_the_reservation_into_a_sale_once() {
    let (_dir, shop) = shop();
    let order = shop
        .place_order(&lines(&[("PL", 2)]), &buyer(), None)
        .unwrap();
    assert_eq!(shop.begin_payment_attempt(&order.number).unwrap(), 1);
    let paid = shop.mark_paid(&order.number, "Paid by card", None).unwrap();
    assert_eq!(paid.payment_status, PaymentStatus::Paid);
    assert_eq!(available(&shop, "PL"), (3, 0, 3));
    let sale = &shop.stock_history("PL").unwrap()[0];
    assert_eq!(
        (sale.delta, sale.reason, sale.order_id),
        (-2, StockReason::Sold, Some(order.id))
    );

    // The same success again (a webhook and a poll) changes nothing.
    shop.mark_paid(&order.number, "Paid by card", None).unwrap();
    assert_eq!(available(&shop, "PL"), (3, 0, 3));
    assert_eq!(shop.stock_history("PL").unwrap().len(), 2);
    // An older failure arriving late does not move the order backwards.
    let after = shop
        .mark_payment_failed(&order.number, "card_declined")
        .unwrap();
    assert_eq!(after.payment_status, PaymentStatus::Paid);
    let err = shop.begin_payment_attempt(&order.number).unwrap_err();
    assert!(
        err.to_string().contains("cannot be paid: it is paid"),
        "{err}"
    );
}

#[test]
fn a_failed_payment_releases_stock_and_a_retry_reserves_it_again() {
    let (_dir, shop) = shop();
    let order = shop
        .place_order(&lines(&[("DE", 2)]), &buyer(), None)
        .unwrap();
    shop.begin_payment_attempt(&order.number).unwrap();
    let failed = shop
        .mark_payment_failed(&order.number, "Your card was declined (card_declined)")
        .unwrap();
    assert_eq!(failed.payment_status, PaymentStatus::Failed);
    assert_eq!(available(&shop, "DE"), (2, 0, 2));
    assert!(
        failed
            .events
            .iter()
            .any(|e| e.kind == "payment_failed" && e.message.contains("card_declined"))
    );

    assert_eq!(shop.begin_payment_attempt(&order.number).unwrap(), 2);
    assert_eq!(available(&shop, "DE"), (2, 2, 0));
    shop.mark_paid(&order.number, "", None).unwrap();
    assert_eq!(available(&shop, "DE"), (0, 0, 0));
}

#[test]
fn a_retry_is_refused_when_the_stock_went_elsewhere() {
    let (_dir, shop) = shop();
    let first = shop
        .place_order(&lines(&[("DE", 2)]), &buyer(), None)
        .unwrap();
    shop.mark_payment_failed(&first.number, "declined").unwrap();
    let second = shop
        .place_order(&lines(&[("DE", 2)]), &buyer(), None)
        .unwrap();
    shop.mark_paid(&second.number, "", None).unwrap();
    let err = shop.begin_payment_attempt(&first.number).unwrap_err();
    assert_eq!(err.to_string(), "only 0 of \"DE\" available (asked for 2)");
}

#[test]
fn requires_action_keeps_the_stock_reserved() {
    let (_dir, shop) = shop();
    let order = shop
        .place_order(&lines(&[("PL", 1)]), &buyer(), None)
        .unwrap();
    let waiting = shop.mark_requires_action(&order.number).unwrap();
    assert_eq!(waiting.payment_status, PaymentStatus::RequiresAction);
    assert_eq!(available(&shop, "PL"), (5, 1, 4));
}

#[test]
fn expired_reservations_stop_counting_and_are_released() {
    let (_dir, shop) = shop();
    shop.set_reservation_seconds(0).unwrap();
    let order = shop
        .place_order(&lines(&[("DE", 2)]), &buyer(), None)
        .unwrap();
    assert_eq!(
        available(&shop, "DE"),
        (2, 0, 2),
        "a 0-second reservation has run out"
    );
    assert_eq!(shop.release_expired_reservations().unwrap(), 1);
    assert_eq!(shop.release_expired_reservations().unwrap(), 0);
    let order = shop.order(&order.number).unwrap();
    assert!(order.events.iter().any(|e| e.kind == "reservation_expired"));

    // Paid after all, while the stock is still there: it is sold normally.
    shop.mark_paid(&order.number, "", None).unwrap();
    assert_eq!(available(&shop, "DE"), (0, 0, 0));
}

#[test]
fn payment_after_the_stock_was_sold_elsewhere_marks_the_order_oversold() {
    let (_dir, shop) = shop();
    shop.set_reservation_seconds(0).unwrap();
    let late = shop
        .place_order(&lines(&[("DE", 2)]), &buyer(), None)
        .unwrap();
    shop.set_reservation_seconds(900).unwrap();
    let other = shop
        .place_order(&lines(&[("DE", 2)]), &buyer(), None)
        .unwrap();
    shop.mark_paid(&other.number, "", None).unwrap();
    let late = shop.mark_paid(&late.number, "", None).unwrap();
    assert_eq!(late.payment_status, PaymentStatus::Paid);
    assert!(
        late.events.iter().any(|e| e.kind == "oversold"),
        "{:?}",
        late.events
    );
    assert_eq!(available(&shop, "DE"), (0, 0, 0), "never below zero");
}

#[test]
fn twenty_concurrent_checkouts_of_five_units_sell_exactly_five() {
    let (dir, setup) = shop();
    let shops: Vec<Arc<Shop>> = (0..2)
        .map(|_| Arc::new(Shop::open_blank(dir.path()).unwrap()))
        .collect();
    let barrier = Arc::new(Barrier::new(20));
    let threads: Vec<_> = (0..20)
        .map(|i| {
            let shop = Arc::clone(&shops[i % 2]);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                match shop.place_order(&lines(&[("PL", 1)]), &buyer(), None) {
                    Ok(order) => {
                        shop.mark_paid(&order.number, "", None).unwrap();
                        Ok(())
                    }
                    Err(e) => Err(e.to_string()),
                }
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 5);
    for refusal in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(refusal, "only 0 of \"PL\" available (asked for 1)");
    }
    assert_eq!(available(&setup, "PL"), (0, 0, 0));
    let ledger: i64 = setup
        .stock_history("PL")
        .unwrap()
        .iter()
        .map(|e| e.delta)
        .sum();
    assert_eq!(ledger, 0);
    assert_eq!(setup.orders().unwrap().len(), 5);
}

#[test]
fn discount_codes_apply_within_their_limits() {
    let (_dir, shop) = shop();
    shop.save_discount_code(&DiscountCode {
        code: "SLAVA10".into(),
        percent: true,
        value: 1000,
        starts_at: None,
        ends_at: None,
        usage_limit: Some(1),
        times_used: 0,
    })
    .unwrap();
    shop.save_discount_code(&DiscountCode {
        code: "OLD".into(),
        percent: false,
        value: 500,
        starts_at: None,
        ends_at: Some("2020-01-01T00:00:00Z".into()),
        usage_limit: None,
        times_used: 0,
    })
    .unwrap();
    let order = shop
        .place_order(&lines(&[("PL", 2)]), &buyer(), Some("slava10"))
        .unwrap();
    assert_eq!((order.totals.discount, order.totals.total), (500, 5000));
    assert_eq!(order.discount_code.as_deref(), Some("SLAVA10"));
    let err = shop
        .place_order(&lines(&[("PL", 1)]), &buyer(), Some("SLAVA10"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "discount code \"SLAVA10\" has been used up"
    );
    let err = shop
        .place_order(&lines(&[("PL", 1)]), &buyer(), Some("OLD"))
        .unwrap_err();
    assert_eq!(err.to_string(), "discount code \"OLD\" is not valid now");
    let err = shop
        .place_order(&lines(&[("PL", 1)]), &buyer(), Some("NOPE"))
        .unwrap_err();
    assert_eq!(err.to_string(), "unknown discount code \"NOPE\"");
    assert_eq!(shop.orders().unwrap().len(), 1);
}

#[test]
fn tax_and_shipping_come_from_the_settings() {
    let (_dir, shop) = shop();
    shop.set_pricing_rules(&PricingRules {
        tax_rate_bps: 2000,
        prices_include_tax: true,
        shipping_rates: vec![ShippingRate {
            zone: "UA".into(),
            countries: vec!["UA".into()],
            amount: 0,
        }],
    })
    .unwrap();
    let mut ua = buyer();
    ua.address.country = "UA".into();
    let order = shop.place_order(&lines(&[("PL", 3)]), &ua, None).unwrap();
    assert_eq!((order.totals.tax, order.totals.total), (1250, 7500));
    let err = shop
        .place_order(&lines(&[("PL", 1)]), &buyer(), None)
        .unwrap_err();
    assert_eq!(err.to_string(), "the shop does not ship to US");

    let mut bad = shop.pricing_rules().unwrap();
    bad.tax_rate_bps = 10_001;
    assert!(shop.set_pricing_rules(&bad).is_err());
    bad.tax_rate_bps = 0;
    bad.shipping_rates[0].amount = -1;
    let err = shop.set_pricing_rules(&bad).unwrap_err();
    assert_eq!(err.to_string(), "shipping rate \"UA\" is negative");
    assert_eq!(
        shop.pricing_rules().unwrap().tax_rate_bps,
        2000,
        "refused rules are not saved"
    );
}

#[test]
fn bad_customer_details_are_named() {
    let (_dir, shop) = shop();
    type Spoil = fn(&mut CustomerDetails);
    let cases: Vec<(Spoil, &str)> = vec![
        (
            |c| c.email = "not-an-email".into(),
            "\"not-an-email\" is not an email address",
        ),
        (
            |c| c.email = "a@b".into(),
            "\"a@b\" is not an email address",
        ),
        (
            |c| c.email = "<script>@x.com".into(),
            "\"<script>@x.com\" is not an email address",
        ),
        (
            |c| c.email = "a@-.x".into(),
            "\"a@-.x\" is not an email address",
        ),
        (|c| c.name = " ".into(), "name is empty"),
        (|c| c.address.city = "".into(), "city is empty"),
        (
            |c| c.address.country = "USA".into(),
            "country \"USA\" must be a two-letter code",
        ),
    ];
    for (spoil, expected) in cases {
        let mut c = buyer();
        spoil(&mut c);
        let err = shop
            .place_order(&lines(&[("PL", 1)]), &c, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(expected),
            "expected {expected:?}, got {err:?}"
        );
    }
    let err = shop
        .place_order(&lines(&[("XX", 1)]), &buyer(), None)
        .unwrap_err();
    assert_eq!(err.to_string(), "unknown SKU \"XX\"");
    let err = shop
        .place_order(&lines(&[("PL", 0)]), &buyer(), None)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "quantity of \"PL\" must be at least 1, not 0"
    );
    assert!(shop.orders().unwrap().is_empty());
}

#[test]
fn ordering_from_the_cart_empties_it() {
    let (_dir, shop) = shop();
    shop.add_to_cart("PL", 2).unwrap();
    let order = shop.place_order_from_cart(&buyer(), None).unwrap();
    assert_eq!(order.lines[0].quantity, 2);
    assert_eq!(shop.cart().unwrap().item_count, 0);
}

//! The back office's order list: search by number, email or name; filters by payment and
//! fulfilment status and by the day placed; newest first.

mod common;

use common::{blank_shop, buyer, flag, variant};
use flagshop::{CustomerDetails, Error, OrderQuery, PaymentStatus, Shop};

fn numbers(shop: &Shop, query: &OrderQuery) -> Vec<String> {
    shop.search_orders(query)
        .unwrap()
        .into_iter()
        .map(|o| o.number)
        .collect()
}

#[test]
fn orders_are_found_by_text_status_and_day_newest_first() {
    let (dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![variant("PL", &["3x5 ft"], 2500, 20)],
    ))
    .unwrap();
    let maria = CustomerDetails {
        email: "maria.kowalska@example.pl".into(),
        name: "Maria Kowalska".into(),
        ..buyer()
    };
    let place = |customer: &CustomerDetails| {
        shop.place_order(&[("PL".into(), 1)], customer, None)
            .unwrap()
            .number
    };
    let old = place(&buyer());
    let paid = place(&maria);
    let shipped = place(&buyer());
    for number in [&paid, &shipped] {
        shop.begin_payment_attempt(number).unwrap();
        shop.mark_paid(number, "Paid", None).unwrap();
    }
    shop.fulfil_order(&shipped, None, "T1").unwrap();
    // The first order was placed in January.
    let conn = rusqlite::Connection::open(dir.path().join("shop.db")).unwrap();
    conn.execute(
        "UPDATE orders SET created_at = '2026-01-15T10:00:00.000Z' WHERE number = ?1",
        [&old],
    )
    .unwrap();

    let all = shop.search_orders(&OrderQuery::default()).unwrap();
    assert_eq!(
        all.iter().map(|o| o.number.as_str()).collect::<Vec<_>>(),
        [shipped.as_str(), paid.as_str(), old.as_str()],
        "newest first"
    );
    assert_eq!(
        (all[1].customer_name.as_str(), all[1].items, all[1].total),
        ("Maria Kowalska", 1, shop.order(&paid).unwrap().totals.total)
    );

    let text = |t: &str| OrderQuery {
        text: Some(t.into()),
        ..OrderQuery::default()
    };
    assert_eq!(numbers(&shop, &text("KOWALSKA")), [paid.as_str()], "name");
    assert_eq!(
        numbers(&shop, &text("example.PL")),
        [paid.as_str()],
        "email"
    );
    assert_eq!(
        numbers(&shop, &text(&shipped.to_lowercase())),
        [shipped.as_str()],
        "number"
    );
    assert_eq!(numbers(&shop, &text("FS-")).len(), 3);
    assert!(numbers(&shop, &text("nobody")).is_empty());
    assert_eq!(
        numbers(&shop, &text("  ")).len(),
        3,
        "blank text is no filter"
    );

    let by_payment = |p| OrderQuery {
        payment_status: Some(p),
        ..OrderQuery::default()
    };
    assert_eq!(
        numbers(&shop, &by_payment(PaymentStatus::Paid)),
        [shipped.as_str(), paid.as_str()]
    );
    assert_eq!(
        numbers(&shop, &by_payment(PaymentStatus::Pending)),
        [old.as_str()]
    );

    let unfulfilled_paid = OrderQuery {
        payment_status: Some(PaymentStatus::Paid),
        fulfillment_status: Some("unfulfilled".into()),
        ..OrderQuery::default()
    };
    assert_eq!(numbers(&shop, &unfulfilled_paid), [paid.as_str()]);

    let days = |from: Option<&str>, to: Option<&str>| OrderQuery {
        placed_from: from.map(Into::into),
        placed_to: to.map(Into::into),
        ..OrderQuery::default()
    };
    assert_eq!(
        numbers(&shop, &days(Some("2026-01-15"), Some("2026-01-15"))),
        [old.as_str()],
        "both ends are included"
    );
    assert!(numbers(&shop, &days(Some("2026-01-16"), Some("2026-01-31"))).is_empty());
    assert_eq!(numbers(&shop, &days(None, Some("2026-01-14"))).len(), 0);
    assert_eq!(
        numbers(&shop, &days(Some("2026-01-16"), None)),
        [shipped.as_str(), paid.as_str()]
    );

    for bad in [
        days(Some("2026-02-30"), None),
        days(None, Some("15/01/2026")),
        OrderQuery {
            fulfillment_status: Some("shipped".into()),
            ..OrderQuery::default()
        },
    ] {
        let err = shop.search_orders(&bad).unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{bad:?}: {err:?}");
    }
}

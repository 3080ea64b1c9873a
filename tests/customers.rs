//! Customers: the list with orders count, lifetime spend and last order, and each one's history.

mod common;

use common::{blank_shop, buyer, flag, variant};
use flagshop::{CustomerDetails, Error, PaymentStatus, Shop};

fn shop() -> (tempfile::TempDir, Shop) {
    let (dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![variant("PL", &["3x5 ft"], 2500, 20)],
    ))
    .unwrap();
    (dir, shop)
}

fn bob() -> CustomerDetails {
    CustomerDetails {
        email: "bob@example.com".into(),
        name: "Bob Builder".into(),
        ..buyer()
    }
}

fn paid_order(shop: &Shop, customer: &CustomerDetails, quantity: i64) -> flagshop::Order {
    let order = shop
        .place_order(&[("PL".into(), quantity)], customer, None)
        .unwrap();
    shop.begin_payment_attempt(&order.number).unwrap();
    shop.mark_paid(&order.number, "Paid", None).unwrap()
}

#[test]
fn lifetime_spend_is_paid_minus_refunded_and_the_latest_customer_comes_first() {
    let (_dir, shop) = shop();
    assert!(shop.customers().unwrap().is_empty());

    let first = paid_order(&shop, &buyer(), 2);
    let second = paid_order(&shop, &buyer(), 1);
    shop.record_refund(&second.number, "re_1", 1000, false)
        .unwrap();
    // Placed but never paid, and paid then refunded in full: orders, but no spend.
    let unpaid = shop
        .place_order(&[("PL".into(), 1)], &buyer(), None)
        .unwrap();
    let refunded = paid_order(&shop, &buyer(), 1);
    shop.record_refund(&refunded.number, "re_2", refunded.totals.total, false)
        .unwrap();
    let failed = shop.place_order(&[("PL".into(), 3)], &bob(), None).unwrap();
    shop.begin_payment_attempt(&failed.number).unwrap();
    shop.mark_payment_failed(&failed.number, "declined")
        .unwrap();

    let customers = shop.customers().unwrap();
    assert_eq!(customers.len(), 2);
    let (b, a) = (&customers[0], &customers[1]);
    assert_eq!(
        (
            b.email.as_str(),
            b.name.as_str(),
            b.orders_count,
            b.lifetime_spend
        ),
        ("bob@example.com", "Bob Builder", 1, 0)
    );
    assert_eq!(b.last_order_at.as_deref(), Some(failed.created_at.as_str()));
    assert_eq!(a.email, "buyer@example.com");
    assert_eq!(a.orders_count, 4);
    assert_eq!(
        a.lifetime_spend,
        first.totals.total + second.totals.total - 1000
    );
    assert_eq!(a.currency.code(), "USD");
    assert_eq!(
        a.last_order_at.as_deref(),
        Some(refunded.created_at.as_str())
    );

    let detail = shop.customer("  BUYER@example.com ").unwrap();
    assert_eq!(&detail.customer, a);
    let numbers: Vec<&str> = detail.orders.iter().map(|o| o.number.as_str()).collect();
    assert_eq!(
        numbers,
        [
            refunded.number.as_str(),
            unpaid.number.as_str(),
            second.number.as_str(),
            first.number.as_str()
        ]
    );
    assert_eq!(detail.orders[0].payment_status, PaymentStatus::Refunded);
    assert_eq!(detail.orders[2].amount_refunded, 1000);
    assert_eq!(detail.orders[3].items, 2);
}

#[test]
fn a_customer_is_named_as_on_their_latest_order_and_an_unknown_one_is_an_error() {
    let (_dir, shop) = shop();
    shop.place_order(&[("PL".into(), 1)], &buyer(), None)
        .unwrap();
    let renamed = CustomerDetails {
        name: "Olena Buyer-Shevchenko".into(),
        ..buyer()
    };
    shop.place_order(&[("PL".into(), 1)], &renamed, None)
        .unwrap();
    let customers = shop.customers().unwrap();
    assert_eq!(customers.len(), 1);
    assert_eq!(customers[0].name, "Olena Buyer-Shevchenko");
    assert_eq!(customers[0].orders_count, 2);

    let err = shop.customer("nobody@example.com").unwrap_err();
    assert!(matches!(&err, Error::UnknownCustomer(e) if e == "nobody@example.com"));
    assert_eq!(
        err.to_string(),
        "no customer with email \"nobody@example.com\""
    );
}

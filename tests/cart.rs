mod common;

use common::{blank_shop, flag, variant};
use flagshop::{Cart, Error, ProductStatus, ProductUpdate, Shop, StockReason};

/// A blank shop selling Poland in two sizes (10 and 3 on hand) and a one-size Lithuania.
fn stocked_shop() -> (tempfile::TempDir, Shop) {
    let (dir, shop) = blank_shop();
    shop.create_product(&flag(
        "poland",
        "Poland",
        vec![
            variant("PL-3X5", &["3x5 ft"], 2500, 10),
            variant("PL-4X6", &["4x6 ft"], 3900, 3),
        ],
    ))
    .unwrap();
    shop.create_product(&flag(
        "lithuania",
        "Lithuania",
        vec![variant("LT-3X5", &["3x5 ft"], 2750, 8)],
    ))
    .unwrap();
    (dir, shop)
}

fn quantities(cart: &Cart) -> Vec<(&str, i64)> {
    cart.lines
        .iter()
        .map(|l| (l.sku.as_str(), l.quantity))
        .collect()
}

#[test]
fn a_new_shop_has_an_empty_cart_in_its_currency() {
    let (_dir, shop) = stocked_shop();
    let cart = shop.cart().unwrap();
    assert!(cart.lines.is_empty());
    assert_eq!((cart.item_count, cart.subtotal), (0, 0));
    assert_eq!(cart.currency.code(), "USD");
}

#[test]
fn adding_accumulates_and_totals_add_up() {
    let (_dir, shop) = stocked_shop();
    shop.add_to_cart("PL-4X6", 1).unwrap();
    shop.add_to_cart("LT-3X5", 2).unwrap();
    let cart = shop.add_to_cart("PL-4X6", 1).unwrap();

    assert_eq!(quantities(&cart), [("PL-4X6", 2), ("LT-3X5", 2)]);
    let line = &cart.lines[0];
    assert_eq!(
        (
            line.product_handle.as_str(),
            line.product_title.as_str(),
            line.options.clone(),
            line.unit_price,
            line.line_total,
            line.available
        ),
        ("poland", "Poland", vec!["4x6 ft".to_owned()], 3900, 7800, 3)
    );
    assert_eq!(cart.item_count, 4);
    assert_eq!(cart.subtotal, 2 * 3900 + 2 * 2750);
    assert_eq!(shop.cart().unwrap(), cart);
}

#[test]
fn setting_a_quantity_replaces_it_and_zero_removes_the_line() {
    let (_dir, shop) = stocked_shop();
    shop.add_to_cart("PL-3X5", 4).unwrap();
    shop.add_to_cart("LT-3X5", 1).unwrap();

    let cart = shop.set_cart_quantity("PL-3X5", 2).unwrap();
    assert_eq!(quantities(&cart), [("PL-3X5", 2), ("LT-3X5", 1)]);
    let cart = shop.set_cart_quantity("PL-3X5", 0).unwrap();
    assert_eq!(quantities(&cart), [("LT-3X5", 1)]);
    // Setting a SKU that is not in the cart adds it.
    let cart = shop.set_cart_quantity("PL-4X6", 3).unwrap();
    assert_eq!(quantities(&cart), [("LT-3X5", 1), ("PL-4X6", 3)]);
    let cart = shop.remove_from_cart("LT-3X5").unwrap();
    assert_eq!(quantities(&cart), [("PL-4X6", 3)]);
    // Removing what is not there changes nothing.
    assert_eq!(shop.remove_from_cart("LT-3X5").unwrap(), cart);
}

#[test]
fn the_cart_survives_reopening_the_shop() {
    let (dir, shop) = stocked_shop();
    shop.add_to_cart("LT-3X5", 2).unwrap();
    shop.add_to_cart("PL-3X5", 1).unwrap();
    let before = shop.cart().unwrap();
    drop(shop);

    let reopened = Shop::open(dir.path()).unwrap();
    assert_eq!(reopened.cart().unwrap(), before);
    assert_eq!(quantities(&before), [("LT-3X5", 2), ("PL-3X5", 1)]);
}

#[test]
fn more_than_is_available_is_refused_and_nothing_changes() {
    let (_dir, shop) = stocked_shop();
    let before = shop.add_to_cart("PL-4X6", 2).unwrap();

    let err = shop.add_to_cart("PL-4X6", 2).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::QuantityUnavailable { sku, requested: 4, available: 3 } if sku == "PL-4X6"
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "only 3 of \"PL-4X6\" available (asked for 4)"
    );
    let err = shop.set_cart_quantity("PL-4X6", 9).unwrap_err();
    assert!(matches!(err, Error::QuantityUnavailable { .. }), "{err:?}");
    assert_eq!(shop.cart().unwrap(), before);
}

#[test]
fn stock_sold_elsewhere_limits_the_cart_but_lowering_still_works() {
    let (_dir, shop) = stocked_shop();
    shop.add_to_cart("PL-3X5", 8).unwrap();
    shop.adjust_stock("PL-3X5", -6, StockReason::Damaged, "flood")
        .unwrap();

    let cart = shop.cart().unwrap();
    assert_eq!((cart.lines[0].quantity, cart.lines[0].available), (8, 4));
    let err = shop.set_cart_quantity("PL-3X5", 5).unwrap_err();
    assert!(
        matches!(err, Error::QuantityUnavailable { available: 4, .. }),
        "{err:?}"
    );
    assert_eq!(
        quantities(&shop.set_cart_quantity("PL-3X5", 4).unwrap()),
        [("PL-3X5", 4)]
    );
}

#[test]
fn unknown_skus_zero_quantities_and_products_off_sale_are_refused() {
    let (_dir, shop) = stocked_shop();
    let err = shop.add_to_cart("NOPE", 1).unwrap_err();
    assert!(
        matches!(&err, Error::UnknownSku(s) if s == "NOPE"),
        "{err:?}"
    );
    let err = shop.add_to_cart("PL-3X5", 0).unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");

    for status in [ProductStatus::Draft, ProductStatus::Archived] {
        shop.update_product(
            "lithuania",
            &ProductUpdate {
                status: Some(status),
                ..ProductUpdate::default()
            },
        )
        .unwrap();
        let err = shop.add_to_cart("LT-3X5", 1).unwrap_err();
        assert!(
            matches!(&err, Error::NotForSale(t) if t == "Lithuania"),
            "{err:?}"
        );
        assert_eq!(err.to_string(), "\"Lithuania\" is not for sale");
    }
    assert!(shop.cart().unwrap().lines.is_empty());
}

#[test]
fn the_demo_snake_island_flag_goes_in_the_cart_with_its_price_and_image() {
    let dir = tempfile::tempdir().unwrap();
    let shop = Shop::open(dir.path()).unwrap();
    let cart = shop.add_to_cart("UA-SNK-3X5-NYL", 2).unwrap();
    let line = &cart.lines[0];
    assert_eq!(line.product_handle, "ukraine-snake-island-flag");
    assert_eq!(line.options, ["3x5 ft", "Nylon"]);
    assert_eq!(
        (line.unit_price, cart.subtotal, cart.item_count),
        (3900, 7800, 2)
    );
    let product = shop.product("ukraine-snake-island-flag").unwrap();
    assert_eq!(line.image.as_ref(), product.images.first());
}

#[test]
fn only_a_payment_that_failed_for_certain_puts_its_lines_back_in_the_cart() {
    let (_dir, shop) = stocked_shop();
    shop.add_to_cart("PL-4X6", 2).unwrap();
    shop.add_to_cart("LT-3X5", 1).unwrap();
    let order = shop.place_order_from_cart(&common::buyer(), None).unwrap();
    assert!(shop.cart().unwrap().lines.is_empty());

    // The payment's outcome is not known yet (pending, or the answer was lost): refilling the
    // cart would let the shopper pay the same goods twice.
    shop.begin_payment_attempt(&order.number).unwrap();
    let err = shop.restore_cart(&order.number).unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err}");
    assert!(err.to_string().contains("may still go through"), "{err}");
    shop.mark_requires_action(&order.number).unwrap();
    assert!(shop.restore_cart(&order.number).is_err());
    assert!(shop.cart().unwrap().lines.is_empty());

    // Declined: the lines come back for another try.
    shop.mark_payment_failed(&order.number, "Your card was declined.")
        .unwrap();
    let cart = shop.restore_cart(&order.number).unwrap();
    assert_eq!(quantities(&cart), [("PL-4X6", 2), ("LT-3X5", 1)]);
    // Asked again (a second tab, a retry): the cart is not doubled.
    let again = shop.restore_cart(&order.number).unwrap();
    assert_eq!(quantities(&again), [("PL-4X6", 2), ("LT-3X5", 1)]);

    // A paid order never goes back.
    shop.set_cart_quantity("PL-4X6", 0).unwrap();
    shop.set_cart_quantity("LT-3X5", 0).unwrap();
    shop.add_to_cart("LT-3X5", 1).unwrap();
    let paid = shop.place_order_from_cart(&common::buyer(), None).unwrap();
    shop.begin_payment_attempt(&paid.number).unwrap();
    shop.mark_paid(&paid.number, "Paid", None).unwrap();
    assert!(shop.restore_cart(&paid.number).is_err());
    assert!(shop.cart().unwrap().lines.is_empty());
}

//! "Verify stock": on-hand recomputed from the ledger, mismatches reported.

mod common;

use common::{blank_shop, buyer, flag, variant};
use flagshop::{StockMismatch, StockReason};

#[test]
fn verify_stock_finds_an_on_hand_written_around_the_ledger() {
    let (dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![
            variant("PL-S", &["2x3 ft"], 1500, 4),
            variant("PL-L", &["3x5 ft"], 2500, 6),
        ],
    ))
    .unwrap();
    shop.create_product(&flag(
        "de",
        "Germany",
        vec![variant("DE", &["3x5 ft"], 3000, 0)],
    ))
    .unwrap();
    // Ordinary movements keep the ledger and on-hand together.
    shop.adjust_stock("DE", 5, StockReason::Received, "PO 1")
        .unwrap();
    let order = shop
        .place_order(&[("PL-L".into(), 2)], &buyer(), None)
        .unwrap();
    shop.begin_payment_attempt(&order.number).unwrap();
    shop.mark_paid(&order.number, "Paid", None).unwrap();
    let clean = shop.verify_stock().unwrap();
    assert_eq!(clean.variants_checked, 3);
    assert!(clean.mismatches.is_empty(), "{:?}", clean.mismatches);

    // Someone edits the database by hand.
    let conn = rusqlite::Connection::open(dir.path().join("shop.db")).unwrap();
    conn.execute("UPDATE variants SET on_hand = 9 WHERE sku = 'PL-L'", [])
        .unwrap();
    conn.execute(
        "DELETE FROM stock_ledger WHERE id = (SELECT max(l.id) FROM stock_ledger l
                                              JOIN variants v ON v.id = l.variant_id
                                              WHERE v.sku = 'DE')",
        [],
    )
    .unwrap();

    let check = shop.verify_stock().unwrap();
    assert_eq!(check.variants_checked, 3);
    assert_eq!(
        check.mismatches,
        [
            StockMismatch {
                sku: "DE".into(),
                product_title: "Germany".into(),
                stored: 5,
                from_ledger: 0,
            },
            StockMismatch {
                sku: "PL-L".into(),
                product_title: "Poland".into(),
                stored: 9,
                from_ledger: 4,
            },
        ]
    );
    assert_eq!(
        shop.stock_level("PL-L").unwrap().on_hand,
        9,
        "verifying changes nothing"
    );
}

mod common;

use std::sync::{Arc, Barrier};

use common::{blank_shop, flag, variant};
use flagshop::{Error, ProductUpdate, Shop, StockReason};
use proptest::prelude::*;

#[test]
fn adjustments_move_stock_and_write_the_ledger() {
    let (_dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![variant("PL", &["3x5 ft"], 2500, 10)],
    ))
    .unwrap();
    let e = shop
        .adjust_stock("PL", 5, StockReason::Received, "  PO 1042 ")
        .unwrap();
    assert_eq!(
        (e.delta, e.balance_after, e.note.as_str()),
        (5, 15, "PO 1042")
    );
    shop.adjust_stock("PL", -2, StockReason::Damaged, "water damage")
        .unwrap();
    shop.adjust_stock("PL", -1, StockReason::Correction, "cycle count")
        .unwrap();

    assert_eq!(shop.stock_level("PL").unwrap().on_hand, 12);
    let history = shop.stock_history("PL").unwrap();
    let summary: Vec<(i64, StockReason, i64)> = history
        .iter()
        .map(|e| (e.delta, e.reason, e.balance_after))
        .collect();
    assert_eq!(
        summary,
        [
            (-1, StockReason::Correction, 12),
            (-2, StockReason::Damaged, 13),
            (5, StockReason::Received, 15),
            (10, StockReason::Received, 10),
        ]
    );
    assert_eq!(history[1].note, "water damage");
}

#[test]
fn stock_never_goes_below_zero_and_a_refusal_writes_nothing() {
    let (_dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![variant("PL", &["3x5 ft"], 2500, 3)],
    ))
    .unwrap();
    let err = shop
        .adjust_stock("PL", -4, StockReason::Lost, "")
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotEnoughStock {
                remove: 4,
                on_hand: 3,
                available: 3,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "cannot remove 4 of \"PL\": only 3 available (3 on hand, 0 reserved for orders)"
    );
    assert_eq!(shop.stock_level("PL").unwrap().on_hand, 3);
    assert_eq!(shop.stock_history("PL").unwrap().len(), 1);
    shop.adjust_stock("PL", -3, StockReason::Lost, "").unwrap();
    assert_eq!(shop.stock_level("PL").unwrap().on_hand, 0);
}

#[test]
fn the_reason_decides_the_direction() {
    let (_dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![variant("PL", &["3x5 ft"], 2500, 3)],
    ))
    .unwrap();
    let err = shop
        .adjust_stock("PL", -1, StockReason::Received, "")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "stock received must be a positive number of units, not -1"
    );
    let err = shop
        .adjust_stock("PL", 2, StockReason::Damaged, "")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "stock damaged must be a negative number of units, not 2"
    );
    let err = shop
        .adjust_stock("PL", 0, StockReason::Correction, "")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "a stock adjustment must move at least one unit"
    );
    assert_eq!(shop.stock_history("PL").unwrap().len(), 1);
}

#[test]
fn unknown_sku_is_named() {
    let (_dir, shop) = blank_shop();
    let err = shop
        .adjust_stock("UA-SNK-3X5-XX", 1, StockReason::Received, "")
        .unwrap_err();
    assert_eq!(err.to_string(), "unknown SKU \"UA-SNK-3X5-XX\"");
    assert!(matches!(
        shop.stock_history("NOPE"),
        Err(Error::UnknownSku(_))
    ));
}

#[test]
fn low_stock_lists_active_variants_at_or_below_their_threshold() {
    let (_dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![
            variant("PL-LOW", &["2x3 ft"], 100, 5),
            variant("PL-OK", &["3x5 ft"], 100, 6),
            variant("PL-OUT", &["4x6 ft"], 100, 0),
        ],
    ))
    .unwrap();
    shop.create_product(&flag(
        "de",
        "Germany",
        vec![variant("DE-LOW", &["3x5 ft"], 100, 1)],
    ))
    .unwrap();
    let low: Vec<String> = shop
        .low_stock()
        .unwrap()
        .into_iter()
        .map(|l| l.sku)
        .collect();
    assert_eq!(low, ["PL-OUT", "DE-LOW", "PL-LOW"], "emptiest first");

    shop.update_product(
        "de",
        &ProductUpdate {
            status: Some(flagshop::ProductStatus::Archived),
            ..ProductUpdate::default()
        },
    )
    .unwrap();
    shop.adjust_stock("PL-LOW", 10, StockReason::Received, "")
        .unwrap();
    let low: Vec<String> = shop
        .low_stock()
        .unwrap()
        .into_iter()
        .map(|l| l.sku)
        .collect();
    assert_eq!(low, ["PL-OUT"]);
}

#[test]
fn concurrent_removals_from_two_connections_never_oversell() {
    let dir = tempfile::tempdir().unwrap();
    let setup = Shop::open_blank(dir.path()).unwrap();
    setup
        .create_product(&flag(
            "pl",
            "Poland",
            vec![variant("PL", &["3x5 ft"], 100, 10)],
        ))
        .unwrap();
    // Two handles = two SQLite connections, as the desktop app and the CLI would have.
    let shops = [
        Arc::new(Shop::open_blank(dir.path()).unwrap()),
        Arc::new(Shop::open_blank(dir.path()).unwrap()),
    ];
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let shop = Arc::clone(&shops[i % 2]);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                (0..3)
                    .filter(|_| shop.adjust_stock("PL", -1, StockReason::Lost, "").is_ok())
                    .count()
            })
        })
        .collect();
    let removed: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(removed, 10, "24 attempts on 10 units");
    assert_eq!(setup.stock_level("PL").unwrap().on_hand, 0);
    let ledger_sum: i64 = setup
        .stock_history("PL")
        .unwrap()
        .iter()
        .map(|e| e.delta)
        .sum();
    assert_eq!(ledger_sum, 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever adjustments are tried, on-hand equals the ledger's sum, never goes negative,
    /// and each ledger row's running balance is right.
    #[test]
    fn on_hand_always_equals_the_ledger(
        start in 0_i64..20,
        moves in prop::collection::vec((-15_i64..15, 0_usize..6), 1..25),
    ) {
        let (_dir, shop) = blank_shop();
        shop.create_product(&flag("pl", "Poland", vec![variant("PL", &["3x5 ft"], 100, start)]))
            .unwrap();
        for (delta, reason) in moves {
            let _ = shop.adjust_stock("PL", delta, StockReason::ALL[reason], "");
            let level = shop.stock_level("PL").unwrap();
            prop_assert!(level.on_hand >= 0);
            let history = shop.stock_history("PL").unwrap();
            prop_assert_eq!(history.iter().map(|e| e.delta).sum::<i64>(), level.on_hand);
            let mut balance = 0;
            for entry in history.iter().rev() {
                balance += entry.delta;
                prop_assert_eq!(entry.balance_after, balance);
            }
        }
    }
}

#[test]
fn stock_levels_list_every_variant_by_product_title() {
    let (_dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![
            variant("PL-2", &["2x3 ft"], 1500, 4),
            variant("PL-1", &["3x5 ft"], 2500, 3),
        ],
    ))
    .unwrap();
    shop.create_product(&flag(
        "de",
        "Germany",
        vec![variant("DE", &["3x5 ft"], 2500, 0)],
    ))
    .unwrap();
    shop.update_product(
        "de",
        &ProductUpdate {
            status: Some(flagshop::ProductStatus::Archived),
            ..ProductUpdate::default()
        },
    )
    .unwrap();
    let rows: Vec<(String, i64)> = shop
        .stock_levels()
        .unwrap()
        .into_iter()
        .map(|l| (l.sku, l.on_hand))
        .collect();
    assert_eq!(
        rows,
        [
            ("DE".to_owned(), 0),
            ("PL-2".to_owned(), 4),
            ("PL-1".to_owned(), 3)
        ]
    );
}

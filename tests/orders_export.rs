//! The orders export for the accountant: real orders only, one row per line item in Shopify's
//! orders export columns, order fields on the first row, totals that add up to the orders'.

mod common;

use common::{blank_shop, buyer, flag, variant};
use flagshop::{Money, OrderQuery};

fn cell<'a>(headers: &csv::StringRecord, row: &'a csv::StringRecord, name: &str) -> &'a str {
    let at = headers.iter().position(|h| h == name).unwrap();
    &row[at]
}

#[test]
fn real_orders_export_one_row_per_line_item_with_totals_that_match() {
    let (_dir, shop) = blank_shop();
    shop.create_product(&flag(
        "snake-island-flag",
        "Snake Island Flag",
        vec![
            variant("SIF-3X5", &["3x5 ft"], 3900, 20),
            variant("SIF-4X6", &["4x6 ft"], 4900, 20),
        ],
    ))
    .unwrap();
    let two_lines = shop
        .place_order(
            &[("SIF-3X5".into(), 2), ("SIF-4X6".into(), 1)],
            &buyer(),
            None,
        )
        .unwrap();
    shop.mark_paid(&two_lines.number, "Paid", None).unwrap();
    shop.fulfil_order(&two_lines.number, Some("UPS"), "1Z999")
        .unwrap();
    let unpaid = shop
        .place_order(&[("SIF-4X6".into(), 1)], &buyer(), None)
        .unwrap();
    let test = shop
        .place_test_order(&[("SIF-3X5".into(), 1)], &buyer(), None)
        .unwrap();

    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("orders.csv");
    let summary = shop.export_orders_to(&file, None, None).unwrap();
    assert_eq!((summary.orders, summary.rows), (2, 3));

    let mut reader = csv::Reader::from_path(&file).unwrap();
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3, "one row per line item");
    let names: Vec<&str> = rows.iter().map(|r| cell(&headers, r, "Name")).collect();
    assert_eq!(
        names,
        [two_lines.number.as_str(), &two_lines.number, &unpaid.number]
    );
    assert!(
        !names.contains(&test.number.as_str()),
        "test orders stay out"
    );

    let first = &rows[0];
    assert_eq!(cell(&headers, first, "Financial Status"), "paid");
    assert_eq!(cell(&headers, first, "Fulfillment Status"), "fulfilled");
    assert_eq!(cell(&headers, first, "Tracking Number"), "1Z999");
    assert_eq!(cell(&headers, first, "Lineitem sku"), "SIF-3X5");
    assert_eq!(cell(&headers, first, "Lineitem quantity"), "2");
    assert_eq!(cell(&headers, first, "Lineitem price"), "39.00");
    assert_eq!(
        cell(&headers, first, "Billing Country"),
        buyer().address.country
    );
    assert_eq!(
        cell(&headers, &rows[1], "Total"),
        "",
        "order fields on the first row only"
    );
    assert_eq!(cell(&headers, &rows[2], "Financial Status"), "pending");

    // Totals over the rows that carry them are the orders' totals.
    let currency = shop.currency().unwrap();
    let exported: i64 = rows
        .iter()
        .map(|r| cell(&headers, r, "Total"))
        .filter(|t| !t.is_empty())
        .map(|t| Money::parse(t, currency).unwrap().amount)
        .sum();
    let real: i64 = shop
        .search_orders(&OrderQuery {
            test: Some(false),
            ..OrderQuery::default()
        })
        .unwrap()
        .iter()
        .map(|o| o.total)
        .sum();
    assert_eq!(exported, real);

    // A day range that holds no order exports the header alone.
    let empty = shop
        .export_orders_to(&file, Some("2001-01-01"), Some("2001-01-31"))
        .unwrap();
    assert_eq!((empty.orders, empty.rows), (0, 0));
    let bad = shop.export_orders_to(&file, Some("yesterday"), None);
    assert!(bad.unwrap_err().to_string().contains("must be a day"));
}

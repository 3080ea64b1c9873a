//! The dashboard's figures, on a real shop whose orders were paid and refunded on different
//! (UTC) days.

mod common;

use common::{blank_shop, buyer, flag, variant};
use flagshop::{CHART_DAYS, Order, OrderQuery, Shop};

fn paid_order(shop: &Shop, sku: &str) -> Order {
    let order = shop
        .place_order(&[(sku.into(), 1)], &buyer(), None)
        .unwrap();
    shop.begin_payment_attempt(&order.number).unwrap();
    shop.mark_paid(&order.number, "Paid", None).unwrap()
}

#[test]
fn the_dashboard_counts_net_sales_by_utc_day_and_what_waits_for_shipping() {
    let (dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![variant("PL", &["3x5 ft"], 2500, 20)],
    ))
    .unwrap();
    shop.create_product(&flag(
        "de",
        "Germany",
        vec![variant("DE", &["3x5 ft"], 3000, 2)],
    ))
    .unwrap();
    let empty = shop.dashboard().unwrap();
    assert_eq!(
        (
            empty.sales_today,
            empty.sales_this_month,
            empty.orders_to_fulfil
        ),
        (0, 0, 0)
    );
    assert_eq!(empty.low_stock_variants, 1, "DE: 2 left, threshold 5");
    assert_eq!(empty.daily_sales.len(), CHART_DAYS);
    assert!(empty.daily_sales.iter().all(|d| d.sales == 0));

    let today_partly_refunded = paid_order(&shop, "PL");
    shop.record_refund(&today_partly_refunded.number, "re_1", 1000, false)
        .unwrap();
    let today_refunded = paid_order(&shop, "PL");
    shop.record_refund(
        &today_refunded.number,
        "re_2",
        today_refunded.totals.total,
        false,
    )
    .unwrap();
    let three_days_ago = paid_order(&shop, "PL");
    shop.fulfil_order(&three_days_ago.number, None, "T1")
        .unwrap();
    let forty_days_ago = paid_order(&shop, "PL");
    shop.place_order(&[("PL".into(), 1)], &buyer(), None)
        .unwrap(); // unpaid: no sale
    let conn = rusqlite::Connection::open(dir.path().join("shop.db")).unwrap();
    for (number, when) in [
        (&three_days_ago.number, "-3 days"),
        (&forty_days_ago.number, "-40 days"),
    ] {
        conn.execute(
            "UPDATE orders SET paid_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?2)
             WHERE number = ?1",
            [number, when],
        )
        .unwrap();
    }
    let day = |offset: &str| -> String {
        conn.query_row("SELECT date('now', ?1)", [offset], |row| row.get(0))
            .unwrap()
    };

    let dashboard = shop.dashboard().unwrap();
    assert_eq!(dashboard.today, day("+0 days"));
    assert_eq!(dashboard.currency.code(), "USD");
    let sales_today = today_partly_refunded.totals.total - 1000;
    assert_eq!(dashboard.sales_today, sales_today);

    let days: Vec<&str> = dashboard
        .daily_sales
        .iter()
        .map(|d| d.day.as_str())
        .collect();
    let expected_days: Vec<String> = (0..CHART_DAYS)
        .rev()
        .map(|back| day(&format!("-{back} days")))
        .collect();
    assert_eq!(
        days, expected_days,
        "every day, oldest first, zeros included"
    );
    let sales_on = |d: &str| {
        dashboard
            .daily_sales
            .iter()
            .find(|s| s.day == d)
            .unwrap()
            .sales
    };
    assert_eq!(sales_on(&day("+0 days")), sales_today);
    assert_eq!(sales_on(&day("-3 days")), three_days_ago.totals.total);
    assert_eq!(
        dashboard.daily_sales.iter().map(|d| d.sales).sum::<i64>(),
        sales_today + three_days_ago.totals.total,
        "forty days ago is off the chart"
    );
    let month = &dashboard.today[..7];
    let this_month: i64 = dashboard
        .daily_sales
        .iter()
        .filter(|d| d.day.starts_with(month))
        .map(|d| d.sales)
        .sum();
    assert_eq!(dashboard.sales_this_month, this_month);

    // Partly refunded today and paid forty days ago wait for shipping; the fulfilled, the fully
    // refunded and the unpaid do not.
    assert_eq!(dashboard.orders_to_fulfil, 2);
    // The card opens the order list filtered to exactly those orders.
    let to_fulfil: Vec<String> = shop
        .search_orders(&OrderQuery {
            to_fulfil: true,
            ..OrderQuery::default()
        })
        .unwrap()
        .into_iter()
        .map(|o| o.number)
        .collect();
    assert_eq!(
        to_fulfil,
        [
            forty_days_ago.number.clone(),
            today_partly_refunded.number.clone()
        ],
        "newest first"
    );
    assert_eq!(dashboard.low_stock_variants, 1);

    // A refund today of an order paid three days ago lowers today, not that day.
    shop.record_refund(&three_days_ago.number, "re_3", 500, false)
        .unwrap();
    let after = shop.dashboard().unwrap();
    assert_eq!(after.sales_today, sales_today - 500);
    assert_eq!(
        after
            .daily_sales
            .iter()
            .find(|s| s.day == day("-3 days"))
            .unwrap()
            .sales,
        three_days_ago.totals.total
    );
}

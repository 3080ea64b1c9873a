//! Whatever the back office does to orders, in any order: stock stays the sum of its ledger,
//! an order never gets back more goods than it sold nor more money than it paid, and a
//! cancelled order holds no stock.

mod common;

use std::sync::Arc;

use common::{blank_shop, buyer, flag, variant};
use flagshop::PaymentStatus;
use flagshop::payments::StripeClient;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Action {
    Place(i64),
    BeginPayment(usize),
    Paid(usize),
    Failed(usize),
    Fulfil(usize),
    Refund {
        order: usize,
        amount: i64,
        restock: bool,
    },
    Cancel(usize),
}

fn action() -> impl Strategy<Value = Action> {
    // A few orders, acted on often, so that sequences such as "paid, refunded with restock,
    // refunded with restock again, cancelled" come up.
    let order = || 0_usize..3;
    prop_oneof![
        2 => (1_i64..4).prop_map(Action::Place),
        1 => order().prop_map(Action::BeginPayment),
        3 => order().prop_map(Action::Paid),
        1 => order().prop_map(Action::Failed),
        2 => order().prop_map(Action::Fulfil),
        4 => (order(), 1_i64..4000, any::<bool>()).prop_map(|(order, amount, restock)| {
            Action::Refund {
                order,
                amount,
                restock,
            }
        }),
        2 => order().prop_map(Action::Cancel),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn order_actions_keep_stock_money_and_reservations_consistent(
        actions in prop::collection::vec(action(), 1..30),
    ) {
        let (dir, shop) = blank_shop();
        shop.create_product(&flag("pl", "Poland", vec![variant("PL", &["3x5 ft"], 2500, 6)]))
            .unwrap();
        let shop = Arc::new(shop);
        // Cancelling is only tried where it needs no Stripe call (no PaymentIntent, or nothing
        // left to refund), so a server that does not exist is never reached.
        let client = StripeClient::new("http://127.0.0.1:1", "sk_test_properties").unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let db = rusqlite::Connection::open(dir.path().join("shop.db")).unwrap();
        let mut numbers: Vec<String> = Vec::new();
        let mut refunds = 0;
        for action in actions {
            let pick = |i: usize| (!numbers.is_empty()).then(|| numbers[i % numbers.len()].clone());
            // Refusals are part of the game: only their effects are checked, below.
            match action {
                Action::Place(quantity) => {
                    if let Ok(order) = shop.place_order(&[("PL".into(), quantity)], &buyer(), None) {
                        numbers.push(order.number);
                    }
                }
                Action::BeginPayment(i) => if let Some(n) = pick(i) {
                    let _ = shop.begin_payment_attempt(&n);
                },
                Action::Paid(i) => if let Some(n) = pick(i) {
                    let _ = shop.mark_paid(&n, "Paid", None);
                },
                Action::Failed(i) => if let Some(n) = pick(i) {
                    let _ = shop.mark_payment_failed(&n, "declined");
                },
                Action::Fulfil(i) => if let Some(n) = pick(i) {
                    let _ = shop.fulfil_order(&n, None, "T");
                },
                Action::Refund { order, amount, restock } => if let Some(n) = pick(order) {
                    refunds += 1;
                    let _ = shop.record_refund(&n, &format!("re_{refunds}"), amount, restock);
                },
                Action::Cancel(i) => if let Some(n) = pick(i) {
                    let status = shop.order(&n).unwrap().payment_status;
                    if !matches!(status, PaymentStatus::Paid | PaymentStatus::PartiallyRefunded) {
                        let _ = rt.block_on(flagshop::checkout::cancel(&shop, &client, &n));
                    }
                },
            }

            prop_assert!(shop.verify_stock().unwrap().mismatches.is_empty());
            let level = shop.stock_level("PL").unwrap();
            prop_assert!(level.on_hand >= 0 && level.available >= 0, "{level:?}");
            for n in &numbers {
                let order = shop.order(n).unwrap();
                prop_assert!(order.amount_refunded <= order.totals.total);
                let (net_goods, held): (i64, i64) = db.query_row(
                    "SELECT (SELECT coalesce(sum(delta), 0) FROM stock_ledger WHERE order_id = ?1),
                            (SELECT count(*) FROM stock_reservations
                             WHERE order_id = ?1 AND released_at IS NULL
                               AND expires_at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                    [order.id],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                ).unwrap();
                prop_assert!(net_goods <= 0, "{n} got back more than it sold");
                if order.status == "cancelled" {
                    prop_assert_eq!(held, 0, "{} is cancelled but holds stock", n);
                }
                if order.fulfillment_status == "fulfilled" {
                    prop_assert!(order.payment_status.is_settled(), "{n} shipped unpaid");
                    if order.status == "cancelled" {
                        prop_assert_eq!(order.payment_status, PaymentStatus::Refunded);
                    }
                }
            }
        }
    }
}

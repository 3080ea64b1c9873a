//! Orders the core really produces, in each state the back office shows, written for the UI's
//! tests (`ui/src/lib/bindings/orderFixtures.ts`, beside the bindings, and checked for
//! staleness with them): the UI's fakes are checked against these, so a fake cannot let an
//! order do what the core refuses. No Stripe here: payments are applied as the checkout
//! applies Stripe's answers, on a clock that stands still.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::ManualClock;
use crate::payments::CardSummary;
use crate::{Address, Currency, CustomerDetails, Money, NewProduct, NewVariant, Order, Shop};

/// 2026-11-27T10:00:00Z.
const START: i64 = 1_795_773_600_000;

fn customer() -> CustomerDetails {
    CustomerDetails {
        email: "olena@example.com".into(),
        name: "Olena Buyer".into(),
        address: Address {
            line1: "1 Khreshchatyk St".into(),
            line2: String::new(),
            city: "Kyiv".into(),
            postal_code: "01001".into(),
            country: "UA".into(),
        },
    }
}

fn variant(sku: &str, size: &str, price: i64, on_hand: i64) -> NewVariant {
    NewVariant {
        sku: sku.into(),
        options: vec![size.into()],
        price: Money::new(price, Currency::USD),
        compare_at: None,
        barcode: None,
        weight_grams: 150,
        on_hand,
        low_stock_threshold: 5,
    }
}

struct Fixtures {
    shop: Shop,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

impl Fixtures {
    fn new() -> Fixtures {
        let dir = tempfile::tempdir().unwrap();
        let shop = Shop::open_blank(dir.path()).unwrap();
        let clock = ManualClock::at(START);
        shop.set_clock(clock.clone());
        shop.create_product(&NewProduct {
            handle: "ukraine-snake-island-flag".into(),
            title: "Ukraine Snake Island Flag".into(),
            options: vec!["Size".into()],
            variants: vec![
                variant("UA-SNK-3X5-NYL", "3x5 ft", 3900, 50),
                variant("UA-SNK-2X3-POL", "2x3 ft", 1900, 1),
            ],
            ..NewProduct::default()
        })
        .unwrap();
        Fixtures {
            shop,
            clock,
            _dir: dir,
        }
    }

    fn tick(&self) {
        self.clock.advance(Duration::from_secs(60));
    }

    fn place(&self, sku: &str) -> String {
        self.tick();
        self.shop
            .place_order(&[(sku.into(), 1)], &customer(), None)
            .unwrap()
            .number
    }

    /// The customer confirms the payment (Stripe then takes its time to answer).
    fn start_payment(&self, number: &str) {
        let order = self.shop.order(number).unwrap();
        self.shop
            .set_payment_intent(number, &format!("pi_fixture_{}", order.id))
            .unwrap();
        self.shop.begin_payment_attempt(number).unwrap();
    }

    fn pay(&self, number: &str) -> Order {
        self.start_payment(number);
        self.finish_payment(number)
    }

    /// Stripe says the payment succeeded.
    fn finish_payment(&self, number: &str) -> Order {
        self.tick();
        let card = CardSummary {
            brand: Some("visa".into()),
            last4: Some("4242".into()),
        };
        self.shop.mark_paid(number, "", Some(&card)).unwrap()
    }

    fn paid(&self) -> String {
        let number = self.place("UA-SNK-3X5-NYL");
        self.pay(&number);
        number
    }

    fn fulfilled(&self) -> String {
        let number = self.paid();
        self.tick();
        self.shop
            .fulfil_order(&number, Some("Nova Poshta"), "NP123")
            .unwrap();
        number
    }

    fn refund(&self, number: &str, amount: i64) -> Order {
        self.tick();
        let id = self.shop.order(number).unwrap().id;
        self.shop
            .record_refund(number, &format!("re_fixture_{id}_{amount}"), amount, false)
            .unwrap()
    }
}

/// Each state the order screens show, by name.
fn orders() -> Vec<(&'static str, Order)> {
    let f = Fixtures::new();
    let shop = &f.shop;
    let mut all = Vec::new();

    let placed = f.place("UA-SNK-3X5-NYL");
    all.push(("placed", shop.order(&placed).unwrap()));

    let waiting = f.place("UA-SNK-3X5-NYL");
    f.start_payment(&waiting);
    all.push((
        "awaiting_authentication",
        shop.mark_requires_action(&waiting).unwrap(),
    ));

    let paid = f.paid();
    all.push(("paid", shop.order(&paid).unwrap()));

    let fulfilled = f.fulfilled();
    all.push(("fulfilled", shop.order(&fulfilled).unwrap()));

    let partly = f.fulfilled();
    all.push(("fulfilled_partially_refunded", f.refund(&partly, 1000)));

    let shipped_refunded = f.fulfilled();
    let total = shop.order(&shipped_refunded).unwrap().totals.total;
    all.push(("fulfilled_refunded", f.refund(&shipped_refunded, total)));

    let refunded = f.paid();
    all.push(("refunded", f.refund(&refunded, total)));

    let cancelled = f.place("UA-SNK-3X5-NYL");
    let step = shop.prepare_cancel(&cancelled).unwrap();
    all.push(("cancelled", shop.finish_cancel(&cancelled, &step).unwrap()));

    // The last small flag: reserved by one customer, who takes longer than the reservation
    // to pay; another buys it meanwhile.
    let late = f.place("UA-SNK-2X3-POL");
    f.start_payment(&late);
    f.clock.advance(Duration::from_secs(16 * 60));
    let other = f.place("UA-SNK-2X3-POL");
    f.pay(&other);
    all.push(("oversold", f.finish_payment(&late)));

    f.tick();
    let test = shop
        .place_test_order(&[("UA-SNK-3X5-NYL".into(), 1)], &customer(), None)
        .unwrap()
        .number;
    all.push(("test_paid", f.pay(&test)));
    all
}

#[test]
fn export_bindings_order_fixtures() {
    let orders = orders();
    let oversold = &orders
        .iter()
        .find(|(name, _)| *name == "oversold")
        .unwrap()
        .1;
    assert_eq!(oversold.oversold_units, 1, "the fixture is oversold");
    let entries: Vec<String> = orders
        .iter()
        .map(|(name, order)| {
            format!(
                "  {name}: {},",
                serde_json::to_string_pretty(order)
                    .unwrap()
                    .replace('\n', "\n  ")
            )
        })
        .collect();
    let ts = format!(
        "// Generated by the core (src/orders/ui_fixtures.rs): real orders in each state, as the\n\
         // shell sends them, for the UI's tests. Do not edit.\n\n\
         import type {{ Order }} from './Order';\n\n\
         export const orderFixtures = {{\n{}\n}} satisfies Record<string, Order>;\n",
        entries.join("\n")
    );
    let dir = std::env::var("TS_RS_EXPORT_DIR").expect("TS_RS_EXPORT_DIR (.cargo/config.toml)");
    std::fs::write(std::path::Path::new(&dir).join("orderFixtures.ts"), ts)
        .expect("write orderFixtures.ts");
}

//! Helpers shared by the integration tests: real shops in temporary directories.
#![allow(dead_code)] // each test binary uses its own subset

pub mod localstripe;

use flagshop::{Address, Currency, CustomerDetails, Money, NewProduct, NewVariant, Shop};
use tempfile::TempDir;

/// A blank shop (no demo catalogue) in its own temporary directory.
pub fn blank_shop() -> (TempDir, Shop) {
    let dir = tempfile::tempdir().expect("temp dir");
    let shop = Shop::open_blank(dir.path()).expect("open blank shop");
    (dir, shop)
}

pub fn usd(amount: i64) -> Money {
    Money::new(amount, Currency::USD)
}

pub fn variant(sku: &str, options: &[&str], price: i64, on_hand: i64) -> NewVariant {
    NewVariant {
        sku: sku.to_owned(),
        options: options.iter().map(|o| o.to_string()).collect(),
        price: usd(price),
        compare_at: None,
        barcode: None,
        weight_grams: 150,
        on_hand,
        low_stock_threshold: 5,
    }
}

/// A flag with sizes as its one option.
pub fn flag(handle: &str, title: &str, variants: Vec<NewVariant>) -> NewProduct {
    NewProduct {
        handle: handle.to_owned(),
        title: title.to_owned(),
        description: format!("The {title}, printed on both sides."),
        vendor: "Flagshop".to_owned(),
        product_type: "Flag".to_owned(),
        tags: vec!["flag".to_owned()],
        options: vec!["Size".to_owned()],
        variants,
        ..NewProduct::default()
    }
}

/// A customer with a valid US address.
pub fn buyer() -> CustomerDetails {
    CustomerDetails {
        email: "buyer@example.com".into(),
        name: "Olena Buyer".into(),
        address: Address {
            line1: "1 Main St".into(),
            line2: String::new(),
            city: "Springfield".into(),
            postal_code: "12345".into(),
            country: "US".into(),
        },
    }
}

/// A runtime for the async checkout calls, one per test.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A blank shop selling PL, `on_hand` in stock at 25.00.
pub fn poland(on_hand: i64) -> (TempDir, std::sync::Arc<Shop>) {
    let (dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![variant("PL", &["3x5 ft"], 2500, on_hand)],
    ))
    .expect("create PL");
    (dir, std::sync::Arc::new(shop))
}

/// A shop selling PL (5 in stock at 25.00), and a running localstripe.
pub fn selling_poland() -> (TempDir, std::sync::Arc<Shop>, localstripe::LocalStripe) {
    let (dir, shop) = poland(5);
    (dir, shop, localstripe::LocalStripe::start())
}

//! How many orders one machine's shop file takes per second: placing an order (availability
//! checked and stock reserved in one IMMEDIATE transaction) and recording its payment (the
//! reservation turned into a `sold` ledger row), through the core's own calls, on a real SQLite
//! file — everything a checkout does except the round trips to Stripe. Also prints how much the
//! file grows per order. Run with `cargo bench --bench orders`; figures in BENCHMARKS.md and the
//! Scaling section of ARCHITECTURE.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use flagshop::{Address, Currency, CustomerDetails, Money, NewProduct, NewVariant, Shop};

fn shop() -> (tempfile::TempDir, Shop) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let shop = Shop::open_blank(dir.path()).expect("a blank shop");
    let variants = ["2x3 ft", "3x5 ft", "4x6 ft"]
        .iter()
        .enumerate()
        .map(|(i, size)| NewVariant {
            sku: format!("BENCH-{i}"),
            options: vec![(*size).to_owned()],
            price: Money::new(1900 + 1000 * i as i64, Currency::USD),
            compare_at: None,
            barcode: None,
            weight_grams: 150,
            on_hand: 1_000_000_000,
            low_stock_threshold: 5,
        })
        .collect();
    shop.create_product(&NewProduct {
        handle: "bench-flag".to_owned(),
        title: "Bench Flag".to_owned(),
        status: Some(flagshop::ProductStatus::Active),
        options: vec!["Size".to_owned()],
        variants,
        ..NewProduct::default()
    })
    .expect("the bench product");
    (dir, shop)
}

fn customer() -> CustomerDetails {
    CustomerDetails {
        email: "bench@example.com".to_owned(),
        name: "Bench Buyer".to_owned(),
        address: Address {
            line1: "1 Main St".to_owned(),
            line2: String::new(),
            city: "Kyiv".to_owned(),
            postal_code: "01001".to_owned(),
            country: "UA".to_owned(),
        },
    }
}

fn orders(c: &mut Criterion) {
    let (dir, shop) = shop();
    let lines = vec![("BENCH-0".to_owned(), 1), ("BENCH-2".to_owned(), 2)];
    let buyer = customer();
    let mut group = c.benchmark_group("orders");
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("place and pay (2 lines)", |b| {
        b.iter(|| {
            let order = shop.place_order(&lines, &buyer, None).expect("placed");
            black_box(shop.mark_paid(&order.number, "bench", None).expect("paid"));
        })
    });
    group.finish();

    // File growth per order, with the WAL checkpointed into the main file.
    let count = shop.orders().expect("orders").len() as u64;
    drop(shop);
    let db = dir.path().join("shop.db");
    let conn = rusqlite::Connection::open(&db).expect("the shop file");
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;")
        .expect("checkpoint");
    let bytes = std::fs::metadata(&db).expect("its size").len();
    eprintln!(
        "shop file: {bytes} bytes after {count} orders ({} bytes per order)",
        bytes / count.max(1)
    );
}

criterion_group!(benches, orders);
criterion_main!(benches);

//! Importing and exporting a big catalogue as Shopify's product CSV: a generated 10,000-product
//! × 3-variant file (2025 header, no images) read in a dry run and imported into a blank shop,
//! then the shop exported again. Each is run three times on a fresh shop; the best and the
//! median are printed. Goals (issue 12): dry run < 3 s, import < 10 s. Run with
//! `cargo bench --bench catalogue_csv`; figures in BENCHMARKS.md.
//!
//! Timed with a plain clock rather than criterion: one import takes seconds and needs a fresh
//! shop, which criterion's many samples would turn into minutes for no better figure.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use flagshop::Shop;
use flagshop::shopify_csv::{CsvSource, ExportOptions, ImportOptions};

const PRODUCTS: usize = 10_000;
const RUNS: usize = 3;

fn csv() -> Vec<u8> {
    let mut out = String::from(
        "Title,URL handle,Description,Vendor,Type,Tags,Status,SKU,Barcode,Option1 name,\
         Option1 value,Option2 name,Option2 value,Price,Compare-at price,Cost per item,\
         Inventory quantity,Weight value (grams),Weight unit for display\n",
    );
    for p in 0..PRODUCTS {
        for (v, size) in ["2x3 ft", "3x5 ft", "4x6 ft"].iter().enumerate() {
            let first = v == 0;
            let (title, body, vendor, kind, tags, status, size_name, material) = if first {
                (
                    format!("Flag No. {p}"),
                    format!(
                        "\"<p>Flag number <strong>{p}</strong>, printed on both sides.</p>\
                         <ul><li>Brass grommets</li><li>Canvas header</li></ul>\""
                    ),
                    "Flagshop",
                    "Flag",
                    "\"flag, bench\"",
                    "active",
                    "Size",
                    "Material",
                )
            } else {
                Default::default()
            };
            writeln!(
                out,
                "{title},flag-{p},{body},{vendor},{kind},{tags},{status},F{p}-{v},\
                 40{p:06}{v},{size_name},{size},{material},Polyester,{}.00,,{}.50,{},{},g",
                19 + 10 * v,
                7 + v,
                (p + v) % 50,
                70 + 80 * v
            )
            .expect("writing to a string");
        }
    }
    out.into_bytes()
}

fn timed<T>(what: &str, mut run: impl FnMut() -> T) {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(run());
            started.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{what:<40} best {:>7.2} s   median {:>7.2} s   ({RUNS} runs)",
        times[0].as_secs_f64(),
        times[RUNS / 2].as_secs_f64()
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing and should not spend
    // a minute here.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let source = CsvSource {
        name: "bench.csv".to_owned(),
        bytes: csv(),
        base_dir: None,
    };
    println!(
        "{PRODUCTS} products × 3 variants, {:.1} MB of CSV",
        source.bytes.len() as f64 / 1e6
    );
    let blank = || {
        let dir = tempfile::tempdir().expect("a temp dir");
        let shop = Shop::open_blank(dir.path()).expect("a blank shop");
        (dir, shop)
    };
    let dry_run = ImportOptions {
        dry_run: true,
        ..ImportOptions::default()
    };
    timed("dry run into a blank shop", || {
        let (_dir, shop) = blank();
        let report = shop
            .import_products(&source, dry_run, &|_| {})
            .expect("dry run");
        assert_eq!(report.created, PRODUCTS);
    });
    timed("import into a blank shop", || {
        let (_dir, shop) = blank();
        let report = shop
            .import_products(&source, ImportOptions::default(), &|_| {})
            .expect("import");
        assert_eq!(report.created, PRODUCTS);
    });
    let (_dir, shop) = blank();
    shop.import_products(&source, ImportOptions::default(), &|_| {})
        .expect("import");
    timed("re-import, nothing changes", || {
        let report = shop
            .import_products(&source, ImportOptions::default(), &|_| {})
            .expect("re-import");
        assert_eq!(report.unchanged, PRODUCTS);
    });
    let out = tempfile::tempdir().expect("a temp dir");
    timed("export", || {
        shop.export_products_to(&out.path().join("export.csv"), &ExportOptions::default())
            .expect("export")
    });
}

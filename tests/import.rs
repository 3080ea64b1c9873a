//! Importing Shopify product CSVs into a real shop: every header dialect, a messy file, dry
//! runs that write nothing, re-imports that change nothing, the stock rules, refused products
//! that leave no trace, and images fetched from a local HTTP server that is slow, missing,
//! wrong or too big. The repository's own small files are in tests/fixtures/shopify/; the real
//! exports of ../shared/fixtures/shopify/ are read in place when present.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{blank_shop, flag, variant};
use flagshop::shopify_csv::{CsvSource, ImportOptions, ImportReport, ProductAction, Severity};
use flagshop::{ProductQuery, ProductStatus, Shop, StockReason, WeightUnit};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/shopify")
        .join(name)
}

fn import(shop: &Shop, path: &Path, options: ImportOptions) -> ImportReport {
    let source = CsvSource::from_file(path).unwrap();
    shop.import_products(&source, options, &|_| {}).unwrap()
}

fn import_text(shop: &Shop, csv: &str, options: ImportOptions) -> ImportReport {
    let source = CsvSource {
        name: "products.csv".into(),
        bytes: csv.as_bytes().to_vec(),
        base_dir: None,
    };
    shop.import_products(&source, options, &|_| {}).unwrap()
}

fn dry_run() -> ImportOptions {
    ImportOptions {
        dry_run: true,
        ..ImportOptions::default()
    }
}

/// Everything a shop holds that an import could touch, to compare before and after.
fn snapshot(shop: &Shop) -> String {
    let page = shop
        .list_products(&ProductQuery {
            limit: Some(500),
            ..ProductQuery::default()
        })
        .unwrap();
    let mut out = String::new();
    for summary in page.items {
        let product = shop.product(&summary.handle).unwrap();
        out.push_str(&format!("{product:?}\n"));
        for v in &product.variants {
            out.push_str(&format!("{:?}\n", shop.stock_history(&v.sku).unwrap()));
        }
    }
    out
}

#[test]
fn every_dialect_imports_the_same_catalogue() {
    for name in [
        "dialect_2019.csv",
        "dialect_2021.csv",
        "dialect_2023.csv",
        "dialect_2024.csv",
        "dialect_2025.csv",
    ] {
        let (_dir, shop) = blank_shop();
        let report = import(&shop, &fixture(name), ImportOptions::default());
        assert_eq!(
            (report.created, report.refused),
            (2, 0),
            "{name}: {report:#?}"
        );
        assert_eq!(report.variants_created, 4, "{name}");

        let flag = shop.product("snake-island-flag").unwrap();
        assert_eq!(flag.options, ["Size", "Material"], "{name}");
        assert_eq!(flag.vendor, "Flagshop");
        assert_eq!(flag.tags, ["Ukraine", "Flag"]);
        assert_eq!(flag.status, ProductStatus::Active);
        assert_eq!(
            flag.description,
            "The **Snake Island** stamp flag.\n\n- Brass grommets\n- Double stitched",
            "{name}"
        );
        let nylon = &flag.variants[0];
        assert_eq!(nylon.sku, "SIF-35-NY");
        assert_eq!(nylon.options, ["3x5 ft", "Nylon"]);
        assert_eq!(
            (nylon.price_minor, nylon.compare_at_minor),
            (3900, Some(4900))
        );
        assert_eq!(
            (nylon.weight_grams, nylon.weight_unit),
            (310, WeightUnit::Kg)
        );
        assert_eq!(nylon.barcode.as_deref(), Some("4820000000011"));
        assert_eq!(nylon.on_hand, 12);
        // The 2019 template has no Cost per item column.
        let cost = if name == "dialect_2019.csv" {
            None
        } else {
            Some(1450)
        };
        assert_eq!(nylon.cost_per_item, cost, "{name}");

        let patch = shop.product("patch").unwrap();
        assert!(patch.options.is_empty(), "Default Title is no option");
        assert_eq!(patch.status, ProductStatus::Draft, "{name}");
        assert_eq!(patch.variants[0].on_hand, 40);

        let received = shop.stock_history("SIF-35-NY").unwrap();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].reason, StockReason::Received);
        assert_eq!(received[0].note, format!("Imported from {name}"));
        // The images are on a host that does not exist: listed, products imported.
        assert_eq!(report.images_added, 0);
        assert_eq!(
            report.images_failed.len(),
            3,
            "{name}: {:?}",
            report.images_failed
        );
        assert!(shop.verify_stock().unwrap().mismatches.is_empty());
    }
}

#[test]
fn a_messy_file_imports_what_it_can_and_names_every_problem() {
    let (_dir, shop) = blank_shop();
    let report = import(&shop, &fixture("messy.csv"), ImportOptions::default());
    assert_eq!((report.created, report.refused), (2, 1), "{report:#?}");
    assert!(report.has_errors());
    assert_eq!(
        report.ignored_columns,
        ["Loyalty points (product.metafields.custom.points)"]
    );

    let pin = shop.product("tryzub-pin").unwrap();
    assert_eq!(
        pin.description,
        "Enamel pin.\n\nGold plated, *\"tryzub\"* shape."
    );
    let skus: Vec<_> = pin.variants.iter().map(|v| v.sku.as_str()).collect();
    assert_eq!(
        skus,
        ["007", "TRYZUB-PIN-SILVER"],
        "the apostrophe and a made SKU"
    );
    assert_eq!(pin.variants[0].barcode.as_deref(), Some("04820000000028"));
    assert_eq!(
        pin.variants[1].barcode, None,
        "a rounded barcode is not stored"
    );
    let sticker = shop.product("sonnenblume-aufkleber").unwrap();
    assert_eq!(sticker.variants[0].sku, "SONNENBLUME-AUFKLEBER");
    assert!(matches!(
        shop.product("broken-mug"),
        Err(flagshop::Error::UnknownProduct(_))
    ));

    let problem = |row: usize, severity: Severity| {
        report
            .problems
            .iter()
            .find(|p| p.row == row && p.severity == severity)
            .unwrap_or_else(|| panic!("no {severity:?} on row {row}: {:#?}", report.problems))
    };
    // Rows are what a spreadsheet shows: the multi-line body is one record, so row 3 is the
    // silver pin.
    assert!(
        problem(3, Severity::Warning)
            .message
            .contains("TRYZUB-PIN-SILVER")
    );
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.row == 3 && p.column.as_deref() == Some("Variant Barcode"))
    );
    assert!(
        problem(4, Severity::Warning)
            .message
            .contains("already used on row 2")
    );
    let price = problem(5, Severity::Error);
    assert_eq!(price.column.as_deref(), Some("Variant Price"));
    assert!(price.message.contains("negative"), "{price:?}");
    assert!(problem(6, Severity::Error).message.contains("no handle"));
    let refused = report
        .products
        .iter()
        .find(|p| p.action == ProductAction::Refused)
        .unwrap();
    assert_eq!(refused.handle, "broken-mug");
    assert!(refused.changes[0].contains("Variant Price"), "{refused:?}");
}

#[test]
fn a_dry_run_writes_nothing_and_shows_what_the_import_does() {
    let (_dir, shop) = blank_shop();
    let before = snapshot(&shop);
    let preview = import(&shop, &fixture("dialect_2025.csv"), dry_run());
    assert_eq!(snapshot(&shop), before);
    assert_eq!(shop.pending_image_count().unwrap(), 0);
    assert_eq!((preview.created, preview.variants_created), (2, 4));
    assert_eq!(preview.images_added, 3, "the images it would fetch");
    assert_eq!(preview.stock_changes.len(), 4);

    let report = import(
        &shop,
        &fixture("dialect_2025.csv"),
        ImportOptions::default(),
    );
    assert_eq!(
        (
            report.created,
            report.variants_created,
            report.stock_changes.len()
        ),
        (
            preview.created,
            preview.variants_created,
            preview.stock_changes.len()
        )
    );
}

#[test]
fn importing_the_same_file_twice_changes_nothing_the_second_time() {
    let (_dir, shop) = blank_shop();
    import(
        &shop,
        &fixture("dialect_2023.csv"),
        ImportOptions::default(),
    );
    import(&shop, &fixture("messy.csv"), ImportOptions::default());
    let before = snapshot(&shop);
    for name in ["dialect_2023.csv", "messy.csv"] {
        let again = import(&shop, &fixture(name), ImportOptions::default());
        assert_eq!((again.created, again.updated), (0, 0), "{name}: {again:#?}");
        assert!(again.stock_changes.is_empty());
        assert!(
            again
                .products
                .iter()
                .all(|p| matches!(p.action, ProductAction::Unchanged | ProductAction::Refused))
        );
    }
    assert_eq!(snapshot(&shop), before);
}

#[test]
fn an_update_says_what_changes_and_keeps_what_the_file_does_not_mention() {
    let (_dir, shop) = blank_shop();
    import(
        &shop,
        &fixture("dialect_2025.csv"),
        ImportOptions::default(),
    );
    shop.adjust_stock("SIF-35-NY", -2, StockReason::Damaged, "torn")
        .unwrap();
    let changed = std::fs::read_to_string(fixture("dialect_2025.csv"))
        .unwrap()
        .replace("39.00", "42.00")
        .replace(",12,", ",30,");
    assert!(
        shop.list_backups().unwrap().is_empty(),
        "a blank shop needed none"
    );
    let report = import_text(&shop, &changed, ImportOptions::default());
    assert_eq!((report.updated, report.unchanged), (1, 1), "{report:#?}");
    let backups = shop.list_backups().unwrap();
    assert_eq!(
        backups.len(),
        1,
        "the shop as it was is kept before an import"
    );
    assert_eq!(backups[0].manifest.reason, "before import");
    let flag = report
        .products
        .iter()
        .find(|p| p.handle == "snake-island-flag")
        .unwrap();
    assert_eq!(flag.changes, ["price of SIF-35-NY: 39.00 → 42.00"]);
    let nylon = shop.stock_level("SIF-35-NY").unwrap();
    assert_eq!(nylon.on_hand, 10, "stock is left alone without set_stock");
    assert_eq!(
        shop.product("snake-island-flag").unwrap().variants[0].price_minor,
        4200
    );
}

#[test]
fn set_stock_corrects_on_hand_but_never_below_what_orders_reserved() {
    let (_dir, shop) = blank_shop();
    shop.create_product(&flag(
        "snake-island-flag",
        "Snake Island Flag",
        vec![variant("SIF-35-NY", &["3x5 ft"], 3900, 10)],
    ))
    .unwrap();
    // An unpaid order holds 4 units.
    shop.place_order(&[("SIF-35-NY".into(), 4)], &common::buyer(), None)
        .unwrap();

    let csv = |qty: i64| {
        format!(
            "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Qty\n\
             snake-island-flag,Snake Island Flag,Size,3x5 ft,SIF-35-NY,39.00,{qty}\n"
        )
    };
    let with_stock = ImportOptions {
        set_stock: true,
        ..ImportOptions::default()
    };
    let report = import_text(&shop, &csv(25), with_stock);
    assert_eq!(report.stock_changes.len(), 1, "{report:#?}");
    let history = shop.stock_history("SIF-35-NY").unwrap();
    assert_eq!(
        (
            history[0].delta,
            history[0].reason,
            history[0].note.as_str()
        ),
        (15, StockReason::Correction, "Stock set by products.csv")
    );

    let report = import_text(&shop, &csv(3), with_stock);
    assert!(report.stock_changes.is_empty());
    let refusal = report
        .problems
        .iter()
        .find(|p| p.severity == Severity::Error)
        .expect("a refusal");
    assert_eq!(refusal.row, 2);
    assert!(refusal.message.contains("4 reserved"), "{refusal:?}");
    assert_eq!(shop.stock_level("SIF-35-NY").unwrap().on_hand, 25);
    assert!(shop.verify_stock().unwrap().mismatches.is_empty());
}

#[test]
fn a_product_the_shop_refuses_writes_nothing() {
    let (_dir, shop) = blank_shop();
    shop.create_product(&flag(
        "other",
        "Other",
        vec![variant("TAKEN", &["M"], 100, 1)],
    ))
    .unwrap();
    let before = snapshot(&shop);
    let report = import_text(
        &shop,
        "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Qty\n\
         new-flag,New Flag,Size,S,NEW-S,5.00,3\n\
         new-flag,,,M,TAKEN,5.00,3\n",
        ImportOptions::default(),
    );
    assert_eq!(report.refused, 1, "{report:#?}");
    let problem = &report.problems[0];
    assert_eq!(
        (problem.row, problem.column.as_deref()),
        (3, Some("Variant SKU"))
    );
    assert!(problem.message.contains("TAKEN"), "{problem:?}");
    assert_eq!(snapshot(&shop), before, "no half product, no stock");
}

/// A tiny HTTP server for the import's image downloads: `/ok-N.png` is an image of its own
/// (two sources with the same bytes are one image in a gallery), `/slow.png`
/// answers after two seconds, `/missing.png` is a 404, `/page.png` is HTML, `/huge.png` is
/// larger than the media limit. Returns its base URL.
fn image_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut request = [0u8; 2048];
                let n = stream.read(&mut request).unwrap_or(0);
                let request = String::from_utf8_lossy(&request[..n]);
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let (status, body): (&str, Vec<u8>) = match path.as_str() {
                    p if p.starts_with("/ok-") => ("200 OK", png([0, 87, p.len() as u8 * 7])),
                    "/slow.png" => {
                        std::thread::sleep(Duration::from_secs(2));
                        ("200 OK", png([200, 0, 0]))
                    }
                    "/page.png" => ("200 OK", b"<html>not an image</html>".to_vec()),
                    "/huge.png" => ("200 OK", vec![0u8; 51 * 1024 * 1024]),
                    _ => ("404 Not Found", b"no".to_vec()),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            });
        }
    });
    base
}

fn png(colour: [u8; 3]) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(64, 48, image::Rgb(colour));
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn images_are_fetched_checked_and_the_missing_ones_retried_later() {
    let (_dir, shop) = blank_shop();
    let base = image_server();
    let folder = tempfile::tempdir().unwrap();
    std::fs::create_dir(folder.path().join("photos")).unwrap();
    std::fs::write(folder.path().join("photos/local.png"), png([255, 215, 0])).unwrap();
    let csv = format!(
        "Handle,Title,Variant SKU,Variant Price,Image Src,Image Position,Image Alt Text,Variant Image\n\
         flag,Flag,FLAG,10.00,{base}/ok-1.png,1,Front,{base}/ok-22.png\n\
         flag,,,,{base}/slow.png,2,,\n\
         flag,,,,{base}/missing.png,3,,\n\
         flag,,,,{base}/page.png,4,,\n\
         flag,,,,{base}/huge.png,5,,\n\
         flag,,,,photos/local.png,6,Local,\n"
    );
    let path = folder.path().join("products.csv");
    std::fs::write(&path, &csv).unwrap();
    let options = ImportOptions {
        image_timeout: Duration::from_millis(800),
        ..ImportOptions::default()
    };
    let started = Instant::now();
    let report = import(&shop, &path, options);
    assert!(started.elapsed() < Duration::from_secs(20), "never hangs");
    assert_eq!(report.created, 1);
    assert_eq!(report.images_added, 3, "{:#?}", report.images_failed);
    let failed: Vec<(&str, &str)> = report
        .images_failed
        .iter()
        .map(|f| (f.source.rsplit('/').next().unwrap(), f.message.as_str()))
        .collect();
    assert_eq!(failed.len(), 4, "{failed:?}");
    let why = |name: &str| failed.iter().find(|(n, _)| *n == name).unwrap().1;
    assert!(why("huge.png").contains("limit"), "{failed:?}");
    assert!(why("missing.png").contains("404"), "{failed:?}");
    assert!(why("page.png").contains("not an image"), "{failed:?}");
    assert!(why("slow.png").contains("within"), "{failed:?}");

    let product = shop.product("flag").unwrap();
    assert_eq!(product.images.len(), 3);
    assert_eq!(product.images[0].alt, "Front");
    assert_eq!(
        product.images[1].alt, "Local",
        "gallery order follows Image Position"
    );
    assert!(
        product.variants[0].image.is_some(),
        "the variant's image is linked"
    );
    assert_eq!(shop.pending_image_count().unwrap(), 4);

    // Importing again fetches nothing twice.
    let again = import(&shop, &path, options);
    assert_eq!(again.unchanged, 1);
    assert_eq!(again.images_added, 0);

    // Retry with a patient timeout: the slow image now arrives.
    let retried = shop
        .retry_pending_images(Duration::from_secs(10), &|_| {})
        .unwrap();
    assert_eq!(retried.added, 1, "{:?}", retried.failed);
    assert_eq!(shop.pending_image_count().unwrap(), 3);
    assert_eq!(shop.product("flag").unwrap().images.len(), 4);
}

#[test]
fn an_unreachable_image_host_fails_fast() {
    let (_dir, shop) = blank_shop();
    let mut csv = String::from("Handle,Title,Variant SKU,Variant Price,Image Src\n");
    for i in 0..40 {
        csv.push_str(&format!(
            "p{i},Product {i},SKU-{i},1.00,https://cdn.shopify.invalid/{i}.jpg\n"
        ));
    }
    let started = Instant::now();
    let report = import_text(&shop, &csv, ImportOptions::default());
    assert_eq!(report.created, 40);
    assert_eq!(report.images_failed.len(), 40);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
}

/// The real exports of ../shared/fixtures/shopify/, read in place.
#[test]
fn every_real_export_imports_with_the_counts_its_rows_imply() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/shopify");
    if !dir.is_dir() {
        eprintln!(
            "SKIPPED: {} is absent (the real Shopify CSVs live there, present in CI)",
            dir.display()
        );
        return;
    }
    for (name, products, variants) in [
        ("kcohen_product_template.csv", 3, 16),
        ("shopify_2025_product_template.csv", 2, 15),
        ("shopifypartners_apparel.csv", 20, 22),
        ("reximprimis_export_pl.csv", 1, 12),
        ("legacy_2019_product_template.csv", 1, 3),
    ] {
        let (_shop_dir, shop) = blank_shop();
        let started = Instant::now();
        let report = import(&shop, &dir.join(name), ImportOptions::default());
        assert_eq!(
            (report.created, report.refused, report.variants_created),
            (products, 0, variants),
            "{name}: {:#?}",
            report.problems
        );
        assert_eq!(
            report.images_added, 0,
            "{name}: Shopify's CDN is unreachable here"
        );
        assert!(!report.images_failed.is_empty(), "{name}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{name}: quickly"
        );
        let again = import(&shop, &dir.join(name), ImportOptions::default());
        assert_eq!(again.unchanged, products, "{name}: {again:#?}");
        assert!(shop.verify_stock().unwrap().mismatches.is_empty());
    }
}

#[test]
fn new_variants_take_the_shops_low_stock_threshold() {
    let (_dir, shop) = blank_shop();
    shop.set_setting(flagshop::SettingKey::LowStockDefault, "9")
        .unwrap();
    import(
        &shop,
        &fixture("dialect_2025.csv"),
        ImportOptions::default(),
    );
    let patch = shop.product("patch").unwrap();
    assert_eq!(patch.variants[0].low_stock_threshold, 9);
}

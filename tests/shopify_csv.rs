//! Real Shopify product CSVs (Shopify's templates of 2019, 2023 and 2025, its apparel sample,
//! a Polish shop's export with localized metafield headers), read in place from
//! `../shared/fixtures/shopify/` (present in CI; never copied here). Each must read as the
//! products and variants its rows imply: rows sharing a handle are one product, image-only
//! rows are not variants. Without the fixtures the test says so and checks nothing.

use std::path::PathBuf;

use flagshop::shopify_csv::read_products;

fn fixture(name: &str) -> Option<std::fs::File> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/shopify")
        .join(name);
    match std::fs::File::open(&path) {
        Ok(file) => Some(file),
        Err(_) => {
            eprintln!(
                "SKIPPED: {} is absent (the real Shopify CSVs live in ../shared/fixtures/shopify/, \
                 present in CI)",
                path.display()
            );
            None
        }
    }
}

#[test]
fn every_fixture_reads_as_the_products_and_variants_its_rows_imply() {
    // (file, products, variants, image-only rows), as ../shared/fixtures/shopify/SOURCES.md
    // counts them.
    for (name, products, variants, image_only) in [
        ("kcohen_product_template.csv", 3, 16, 1),
        ("shopify_2025_product_template.csv", 2, 15, 0),
        ("shopifypartners_apparel.csv", 20, 22, 0),
        ("reximprimis_export_pl.csv", 1, 12, 0),
        ("legacy_2019_product_template.csv", 1, 3, 0),
    ] {
        let Some(file) = fixture(name) else { return };
        let catalogue = read_products(file).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert!(
            catalogue.problems.is_empty(),
            "{name}: {:?}",
            catalogue.problems
        );
        assert_eq!(catalogue.products.len(), products, "{name}: products");
        let all_variants: Vec<_> = catalogue
            .products
            .iter()
            .flat_map(|p| &p.variants)
            .collect();
        assert_eq!(all_variants.len(), variants, "{name}: variants");
        let images_alone = catalogue
            .products
            .iter()
            .flat_map(|p| &p.images)
            .filter(|i| !all_variants.iter().any(|v| v.row == i.row))
            .count();
        assert_eq!(images_alone, image_only, "{name}: image-only rows");
    }
}

#[test]
fn the_dialects_carry_their_oddities_through() {
    // Shopify's 2023 template: option names on the first row only, a Default Title beanie.
    if let Some(file) = fixture("kcohen_product_template.csv") {
        let catalogue = read_products(file).unwrap();
        let shirt = &catalogue.products[0];
        assert_eq!(shirt.option_names.len(), 2, "{:?}", shirt.option_names);
        assert!(shirt.variants.iter().all(|v| v.options.len() == 2));
        let beanie = catalogue
            .products
            .iter()
            .find(|p| p.variants.len() == 1)
            .unwrap();
        assert!(beanie.option_names.is_empty(), "Default Title is no option");
        assert!(
            catalogue
                .ignored_columns
                .iter()
                .any(|c| c.contains("United States"))
        );
        assert!(
            catalogue
                .ignored_columns
                .iter()
                .any(|c| c == "Product Category"),
            "a category is read but not kept, and said so"
        );
    }
    // The 2025 format: title first, `URL handle` second, continuation rows without a title.
    if let Some(file) = fixture("shopify_2025_product_template.csv") {
        let catalogue = read_products(file).unwrap();
        assert!(catalogue.products.iter().all(|p| !p.title.is_empty()));
        assert!(catalogue.products.iter().all(|p| !p.status.is_empty()));
    }
    // 2019: an option called Title with three real values; one variant has no SKU.
    if let Some(file) = fixture("legacy_2019_product_template.csv") {
        let catalogue = read_products(file).unwrap();
        let print = &catalogue.products[0];
        assert_eq!(print.option_names, ["Title"]);
        assert!(print.variants[0].options[0].contains("Height: 9\""));
        assert!(print.variants.iter().any(|v| v.sku.is_empty()));
    }
    // A 2024 admin export: localized metafield headers are listed, not imported.
    if let Some(file) = fixture("reximprimis_export_pl.csv") {
        let catalogue = read_products(file).unwrap();
        assert!(
            catalogue
                .ignored_columns
                .iter()
                .any(|c| c.starts_with("Kolor"))
        );
        assert!(
            catalogue.ignored_columns.iter().any(|c| c == "Published"),
            "active but unpublished: the channel flag is not kept, and said so"
        );
        assert!(
            catalogue.products[0].variants[0]
                .options
                .iter()
                .any(|o| o.contains('×'))
        );
    }
}

#[test]
fn every_variant_of_every_fixture_ends_with_a_sku_of_its_own() {
    for name in [
        "kcohen_product_template.csv",
        "shopify_2025_product_template.csv",
        "shopifypartners_apparel.csv",
        "reximprimis_export_pl.csv",
        "legacy_2019_product_template.csv",
    ] {
        let Some(file) = fixture(name) else { return };
        let mut catalogue = read_products(file).unwrap();
        let missing = catalogue
            .products
            .iter()
            .flat_map(|p| &p.variants)
            .filter(|v| v.sku.is_empty())
            .count();
        flagshop::shopify_csv::assign_skus(&mut catalogue);
        let skus: Vec<String> = catalogue
            .products
            .iter()
            .flat_map(|p| p.variants.iter().map(|v| v.sku.to_uppercase()))
            .collect();
        let unique: std::collections::HashSet<_> = skus.iter().collect();
        assert_eq!(unique.len(), skus.len(), "{name}: {skus:?}");
        assert!(skus.iter().all(|s| !s.is_empty()), "{name}");
        // Each SKU that was made is reported with its row.
        assert!(
            catalogue.problems.len() >= missing,
            "{name}: {:?}",
            catalogue.problems
        );
    }
}

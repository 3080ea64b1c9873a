mod common;

use common::{blank_shop, buyer, flag, usd, variant};
use flagshop::{
    Currency, Error, Money, NewProduct, Product, ProductEdit, ProductQuery, ProductStatus,
    ProductUpdate, Shop, VariantEdit, VariantUpdate,
};

fn handles(shop: &Shop, query: &ProductQuery) -> Vec<String> {
    shop.list_products(query)
        .unwrap()
        .items
        .into_iter()
        .map(|p| p.handle)
        .collect()
}

fn search(shop: &Shop, words: &str) -> Vec<String> {
    handles(
        shop,
        &ProductQuery {
            search: Some(words.to_owned()),
            ..ProductQuery::default()
        },
    )
}

#[test]
fn new_shop_opens_with_the_demo_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let shop = Shop::open(dir.path()).unwrap();
    let snake = shop.product("ukraine-snake-island-flag").unwrap();
    assert_eq!(snake.options, ["Size", "Material"]);
    let mut combos: Vec<String> = snake.variants.iter().map(|v| v.options.join(" ")).collect();
    combos.sort();
    assert_eq!(
        combos,
        [
            "2x3 ft Nylon",
            "2x3 ft Polyester",
            "3x5 ft Nylon",
            "3x5 ft Polyester",
            "4x6 ft Nylon",
            "4x6 ft Polyester"
        ]
    );
    assert!(
        snake
            .variants
            .iter()
            .all(|v| v.price_minor > 0 && v.currency == Currency::USD)
    );
    let all = shop
        .list_products(&ProductQuery {
            limit: Some(500),
            ..ProductQuery::default()
        })
        .unwrap();
    assert!(all.items.len() >= 31, "only {} products", all.items.len());
    assert!(
        shop.collections()
            .unwrap()
            .iter()
            .all(|c| c.product_count > 0),
        "every demo collection has products"
    );
}

#[test]
fn demo_catalogue_is_loaded_once() {
    let dir = tempfile::tempdir().unwrap();
    let first = Shop::open(dir.path())
        .unwrap()
        .list_products(&ProductQuery::default())
        .unwrap();
    let again = Shop::open(dir.path())
        .unwrap()
        .list_products(&ProductQuery::default())
        .unwrap();
    assert_eq!(first, again);
}

#[test]
fn blank_shop_stays_blank() {
    let (_dir, shop) = blank_shop();
    assert!(
        shop.list_products(&ProductQuery::default())
            .unwrap()
            .items
            .is_empty()
    );
}

#[test]
fn creating_a_product_stores_options_variants_and_initial_stock() {
    let (_dir, shop) = blank_shop();
    let mut new = flag(
        "poland-flag",
        "Poland Flag",
        vec![
            variant("PL-3X5", &["3x5 ft"], 2500, 12),
            variant("PL-2X3", &["2x3 ft"], 1800, 0),
        ],
    );
    new.variants[0].compare_at = Some(usd(3000));
    new.variants[0].barcode = Some("5901234123457".to_owned());
    let product = shop.create_product(&new).unwrap();
    assert_eq!(product.options, ["Size"]);
    assert_eq!(product.status, ProductStatus::Active);
    let v = &product.variants[0];
    assert_eq!(
        (v.sku.as_str(), v.options.as_slice()),
        ("PL-3X5", &["3x5 ft".to_owned()][..])
    );
    assert_eq!(v.price(), usd(2500));
    assert_eq!(v.compare_at(), Some(usd(3000)));
    assert_eq!(v.barcode.as_deref(), Some("5901234123457"));
    assert_eq!((v.on_hand, v.available), (12, 12));
    let history = shop.stock_history("PL-3X5").unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!((history[0].delta, history[0].balance_after), (12, 12));
    assert!(
        shop.stock_history("PL-2X3").unwrap().is_empty(),
        "no ledger row for zero stock"
    );
}

#[test]
fn duplicate_sku_is_refused_and_nothing_is_written() {
    let (_dir, shop) = blank_shop();
    shop.create_product(&flag(
        "a",
        "A Flag",
        vec![variant("SKU-1", &["3x5 ft"], 100, 1)],
    ))
    .unwrap();
    let err = shop
        .create_product(&flag(
            "b",
            "B Flag",
            vec![
                variant("SKU-2", &["3x5 ft"], 100, 4),
                variant("SKU-1", &["2x3 ft"], 100, 1),
            ],
        ))
        .unwrap_err();
    assert!(
        matches!(&err, Error::DuplicateSku(s) if s == "SKU-1"),
        "{err}"
    );
    assert!(matches!(shop.product("b"), Err(Error::UnknownProduct(_))));
    assert!(matches!(
        shop.stock_history("SKU-2"),
        Err(Error::UnknownSku(_))
    ));
    assert_eq!(shop.stock_level("SKU-1").unwrap().on_hand, 1);
}

#[test]
fn duplicate_handle_is_refused() {
    let (_dir, shop) = blank_shop();
    shop.create_product(&flag("a", "A Flag", vec![])).unwrap();
    let err = shop
        .create_product(&flag("a", "Another", vec![]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "a product with handle \"a\" already exists"
    );
}

#[test]
fn bad_product_input_gets_an_error_naming_what_was_wrong() {
    let (_dir, shop) = blank_shop();
    let cases: Vec<(NewProduct, &str)> = vec![
        (
            flag("neg", "Neg", vec![variant("NEG-1", &["3x5 ft"], -100, 1)]),
            "price of \"NEG-1\" is negative (-1.00 USD)",
        ),
        (flag("empty", "  ", vec![]), "title is empty"),
        (
            flag("Bad Handle", "Flag", vec![]),
            "handle \"Bad Handle\" must be lower-case letters, digits and dashes",
        ),
        (
            flag(
                "opts",
                "Opts",
                vec![variant("OPT-1", &["3x5 ft", "Nylon"], 100, 1)],
            ),
            "variant \"OPT-1\" has 2 option values but its product has 1 options",
        ),
        (
            flag(
                "stock",
                "Stock",
                vec![variant("STK-1", &["3x5 ft"], 100, -3)],
            ),
            "stock on hand of \"STK-1\" is negative (-3)",
        ),
        (
            flag(
                "twice",
                "Twice",
                vec![
                    variant("T-1", &["3x5 ft"], 100, 1),
                    variant("T-2", &["3x5 ft"], 100, 1),
                ],
            ),
            "variant \"T-2\" repeats the options",
        ),
        (
            NewProduct {
                collections: vec!["nope".into()],
                ..flag("coll", "Coll", vec![])
            },
            "unknown collection \"nope\"",
        ),
    ];
    for (new, expected) in cases {
        let err = shop.create_product(&new).unwrap_err().to_string();
        assert!(err.contains(expected), "expected {expected:?}, got {err:?}");
    }
    let mut euro = flag("euro", "Euro", vec![variant("EUR-1", &["3x5 ft"], 100, 1)]);
    euro.variants[0].price = Money::new(100, Currency::EUR);
    let err = shop.create_product(&euro).unwrap_err().to_string();
    assert_eq!(
        err,
        "price of \"EUR-1\" is in EUR but the shop sells in USD"
    );
    assert!(
        shop.list_products(&ProductQuery::default())
            .unwrap()
            .items
            .is_empty()
    );
}

#[test]
fn search_matches_prefixes_and_several_words() {
    let (_dir, shop) = blank_shop();
    let mut snake = flag(
        "snake",
        "Ukraine Snake Island Flag",
        vec![variant("UA-SNK-3X5-NYL", &["3x5 ft"], 3900, 5)],
    );
    snake.tags = vec!["solidarity".into()];
    shop.create_product(&snake).unwrap();
    shop.create_product(&flag(
        "poland",
        "Poland Flag",
        vec![variant("PL-1", &["Large"], 100, 1)],
    ))
    .unwrap();
    shop.create_product(&flag(
        "island",
        "Iceland Flag",
        vec![variant("IS-1", &["Small"], 100, 1)],
    ))
    .unwrap();

    assert_eq!(search(&shop, "snak"), ["snake"]);
    assert_eq!(search(&shop, "SNAKE isl"), ["snake"]);
    assert_eq!(search(&shop, "flag"), search(&shop, "fla"));
    assert_eq!(search(&shop, "flag").len(), 3);
    assert_eq!(search(&shop, "solidar"), ["snake"], "tags are searched");
    assert_eq!(search(&shop, "UA-SNK-3X5"), ["snake"], "SKUs are searched");
    assert_eq!(
        search(&shop, "larg"),
        ["poland"],
        "option values are searched"
    );
    assert!(
        search(&shop, "snake poland").is_empty(),
        "all words must match"
    );
    assert!(
        search(&shop, "\"AND (").is_empty(),
        "FTS syntax in the input is just text"
    );

    // The index follows changes.
    shop.update_product(
        "poland",
        &ProductUpdate {
            title: Some("Polish Eagle Banner".into()),
            ..ProductUpdate::default()
        },
    )
    .unwrap();
    assert_eq!(search(&shop, "eagle"), ["poland"]);
    assert_eq!(search(&shop, "banner"), ["poland"]);
    shop.update_variant(
        "IS-1",
        &VariantUpdate {
            sku: Some("ICE-SMALL".into()),
            ..VariantUpdate::default()
        },
    )
    .unwrap();
    assert_eq!(search(&shop, "ice-small"), ["island"]);
    assert!(search(&shop, "IS-1").is_empty());
}

#[test]
fn search_ranks_title_matches_first() {
    let (_dir, shop) = blank_shop();
    let mut pole = flag("pole", "Telescoping Pole", vec![]);
    pole.description = "Fits any flag, including the Lithuania flag.".into();
    shop.create_product(&pole).unwrap();
    shop.create_product(&flag("lithuania", "Lithuania Flag", vec![]))
        .unwrap();
    assert_eq!(search(&shop, "lithuania"), ["lithuania", "pole"]);
}

#[test]
fn filters_by_status_collection_stock_and_price() {
    let (_dir, shop) = blank_shop();
    shop.save_collection("national-flags", "National flags", "")
        .unwrap();
    let mut pl = flag("pl", "Poland", vec![variant("PL", &["3x5 ft"], 2500, 3)]);
    pl.collections = vec!["national-flags".into()];
    shop.create_product(&pl).unwrap();
    shop.create_product(&flag(
        "de",
        "Germany",
        vec![variant("DE", &["3x5 ft"], 900, 0)],
    ))
    .unwrap();
    let mut draft = flag("fr", "France", vec![variant("FR", &["3x5 ft"], 5000, 2)]);
    draft.status = Some(ProductStatus::Draft);
    shop.create_product(&draft).unwrap();

    let q = |f: fn(&mut ProductQuery)| {
        let mut query = ProductQuery::default();
        f(&mut query);
        handles(&shop, &query)
    };
    assert_eq!(q(|_| {}), ["fr", "de", "pl"]);
    assert_eq!(q(|q| q.status = Some(ProductStatus::Draft)), ["fr"]);
    assert_eq!(q(|q| q.collection = Some("national-flags".into())), ["pl"]);
    assert_eq!(q(|q| q.in_stock = true), ["fr", "pl"]);
    assert_eq!(q(|q| q.min_price = Some(1000)), ["fr", "pl"]);
    assert_eq!(q(|q| q.max_price = Some(2500)), ["de", "pl"]);
    assert_eq!(
        q(|q| {
            q.min_price = Some(1000);
            q.max_price = Some(3000);
        }),
        ["pl"]
    );

    shop.archive_product("pl").unwrap();
    assert_eq!(q(|q| q.status = Some(ProductStatus::Active)), ["de"]);
    assert_eq!(shop.product("pl").unwrap().status, ProductStatus::Archived);

    let page = shop.list_products(&ProductQuery::default()).unwrap();
    let de = page.items.iter().find(|p| p.handle == "de").unwrap();
    assert!(de.sold_out && !de.low_stock);
    let fr = page.items.iter().find(|p| p.handle == "fr").unwrap();
    assert!(fr.low_stock && !fr.sold_out, "2 left with a threshold of 5");
    assert_eq!((fr.min_price, fr.max_price), (Some(5000), Some(5000)));
}

#[test]
fn keyset_pages_cover_every_product_once_in_order() {
    let (_dir, shop) = blank_shop();
    for i in 0..103 {
        // Repeated titles in mixed case: the id breaks ties, so nothing is skipped or repeated.
        let title = if i % 2 == 0 {
            format!("flag {}", i % 10)
        } else {
            format!("Flag {}", i % 10)
        };
        shop.create_product(&flag(&format!("p{i}"), &title, vec![]))
            .unwrap();
    }
    for search in [None, Some("flag".to_owned())] {
        let mut seen = Vec::new();
        let mut query = ProductQuery {
            search: search.clone(),
            limit: Some(7),
            ..ProductQuery::default()
        };
        loop {
            let page = shop.list_products(&query).unwrap();
            assert!(page.items.len() <= 7);
            seen.extend(
                page.items
                    .into_iter()
                    .map(|p| (p.title.to_lowercase(), p.id)),
            );
            match page.next_cursor {
                Some(c) => query.after = Some(c),
                None => break,
            }
        }
        assert_eq!(seen.len(), 103, "search {search:?}");
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 103, "search {search:?}: a product repeated");
        if search.is_none() {
            assert_eq!(seen, unique, "sorted by title, then id");
        }
    }
    let err = shop
        .list_products(&ProductQuery {
            after: Some("garbage".into()),
            ..ProductQuery::default()
        })
        .unwrap_err();
    assert_eq!(err.to_string(), "malformed page cursor \"garbage\"");
}

#[test]
fn updating_a_variant_checks_its_fields() {
    let (_dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![
            variant("PL-1", &["3x5 ft"], 2500, 3),
            variant("PL-2", &["2x3 ft"], 1500, 3),
        ],
    ))
    .unwrap();
    let v = shop
        .update_variant(
            "PL-1",
            &VariantUpdate {
                price: Some(usd(2750)),
                compare_at: Some(Some(usd(3000))),
                ..VariantUpdate::default()
            },
        )
        .unwrap();
    assert_eq!((v.price_minor, v.compare_at_minor), (2750, Some(3000)));
    let v = shop
        .update_variant(
            "PL-1",
            &VariantUpdate {
                compare_at: Some(None),
                ..VariantUpdate::default()
            },
        )
        .unwrap();
    assert_eq!((v.price_minor, v.compare_at_minor), (2750, None));
    let err = shop
        .update_variant(
            "PL-1",
            &VariantUpdate {
                sku: Some("PL-2".into()),
                ..VariantUpdate::default()
            },
        )
        .unwrap_err();
    assert!(matches!(err, Error::DuplicateSku(_)), "{err}");
    let err = shop
        .update_variant(
            "PL-1",
            &VariantUpdate {
                price: Some(usd(-1)),
                ..VariantUpdate::default()
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("negative"), "{err}");
    assert!(matches!(
        shop.update_variant("NOPE", &VariantUpdate::default()),
        Err(Error::UnknownSku(_))
    ));
    assert_eq!(shop.stock_level("PL-1").unwrap().on_hand, 3);
}

#[test]
fn adding_a_variant_extends_the_product() {
    let (_dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![variant("PL-1", &["3x5 ft"], 2500, 3)],
    ))
    .unwrap();
    let product = shop
        .add_variant("pl", &variant("PL-4X6", &["4x6 ft"], 3500, 2))
        .unwrap();
    assert_eq!(product.variants.len(), 2);
    assert_eq!(product.variants[1].sku, "PL-4X6");
    assert!(matches!(
        shop.add_variant("nope", &variant("X", &["a"], 1, 0)),
        Err(Error::UnknownProduct(_))
    ));
}

/// What the editor would send back for `product`, unchanged.
fn edit_of(product: &Product) -> ProductEdit {
    ProductEdit {
        handle: product.handle.clone(),
        title: product.title.clone(),
        description: product.description.clone(),
        vendor: product.vendor.clone(),
        product_type: product.product_type.clone(),
        tags: product.tags.clone(),
        status: product.status,
        options: product.options.clone(),
        collections: product.collections.clone(),
        variants: product
            .variants
            .iter()
            .map(|v| VariantEdit {
                id: Some(v.id),
                sku: v.sku.clone(),
                options: v.options.clone(),
                price: v.price_minor,
                compare_at_price: v.compare_at_minor,
                barcode: v.barcode.clone(),
                weight_grams: v.weight_grams,
                low_stock_threshold: v.low_stock_threshold,
            })
            .collect(),
    }
}

fn new_row(sku: &str, options: &[&str], price: i64) -> VariantEdit {
    VariantEdit {
        id: None,
        sku: sku.to_owned(),
        options: options.iter().map(|o| o.to_string()).collect(),
        price,
        compare_at_price: None,
        barcode: None,
        weight_grams: 120,
        low_stock_threshold: 5,
    }
}

/// The field and variant position of an [`Error::InvalidField`], or a panic.
fn field_of(err: Error) -> (&'static str, Option<usize>) {
    match err {
        Error::InvalidField { field, variant, .. } => (field, variant),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn saving_from_the_editor_creates_a_product_with_its_variant_matrix() {
    let (_dir, shop) = blank_shop();
    shop.save_collection("europe", "Europe", "").unwrap();
    let edit = ProductEdit {
        handle: "pl".into(),
        title: "  Poland Flag ".into(),
        description: "White over **red**.".into(),
        vendor: "Flagshop".into(),
        product_type: "Flag".into(),
        tags: vec!["europe".into()],
        status: ProductStatus::Draft,
        options: vec!["Size".into(), "Material".into()],
        collections: vec!["europe".into()],
        variants: vec![
            new_row("PL-3X5-POL", &["3x5 ft", "Polyester"], 2500),
            new_row("PL-3X5-NYL", &["3x5 ft", "Nylon"], 3500),
        ],
    };
    let product = shop.save_product(None, &edit).unwrap();
    assert_eq!(product.title, "Poland Flag");
    assert_eq!(product.status, ProductStatus::Draft);
    assert_eq!(product.collections, ["europe"]);
    let rows: Vec<(&str, i64, i64)> = product
        .variants
        .iter()
        .map(|v| (v.sku.as_str(), v.price_minor, v.on_hand))
        .collect();
    assert_eq!(rows, [("PL-3X5-POL", 2500, 0), ("PL-3X5-NYL", 3500, 0)]);
    let err = shop.save_product(None, &edit).unwrap_err();
    assert!(matches!(err, Error::DuplicateHandle(_)), "{err:?}");
}

#[test]
fn saving_from_the_editor_changes_adds_and_removes_variants_in_one_go() {
    let (_dir, shop) = blank_shop();
    let product = shop
        .create_product(&flag(
            "pl",
            "Poland",
            vec![
                variant("PL-1", &["3x5 ft"], 2500, 3),
                variant("PL-2", &["2x3 ft"], 1500, 4),
                variant("PL-3", &["4x6 ft"], 4500, 0),
            ],
        ))
        .unwrap();
    let mut edit = edit_of(&product);
    edit.title = "Poland Flag".into();
    edit.tags = vec!["Europe".into(), "europe".into()];
    // PL-1 and PL-2 swap SKUs and sizes; PL-3 goes; a 5x8 ft arrives.
    edit.variants[0].sku = "PL-2".into();
    edit.variants[0].options = vec!["2x3 ft".into()];
    edit.variants[0].price = 2750;
    edit.variants[0].compare_at_price = Some(3000);
    edit.variants[1].sku = "PL-1".into();
    edit.variants[1].options = vec!["3x5 ft".into()];
    edit.variants.remove(2);
    edit.variants.push(new_row("PL-5X8", &["5x8 ft"], 6500));
    let saved = shop.save_product(Some("pl"), &edit).unwrap();
    assert_eq!(saved.title, "Poland Flag");
    assert_eq!(saved.tags, ["Europe"]);
    let rows: Vec<(&str, &str, i64, Option<i64>, i64)> = saved
        .variants
        .iter()
        .map(|v| {
            (
                v.sku.as_str(),
                v.options[0].as_str(),
                v.price_minor,
                v.compare_at_minor,
                v.on_hand,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("PL-2", "2x3 ft", 2750, Some(3000), 3),
            ("PL-1", "3x5 ft", 1500, None, 4),
            ("PL-5X8", "5x8 ft", 6500, None, 0),
        ]
    );
    assert!(matches!(
        shop.stock_level("PL-3"),
        Err(Error::UnknownSku(_))
    ));
    // Stock stayed with the variant, whatever its new SKU.
    assert_eq!(shop.stock_history("PL-2").unwrap()[0].balance_after, 3);
}

#[test]
fn editor_errors_name_the_field_and_the_variant_and_save_nothing() {
    let (_dir, shop) = blank_shop();
    shop.create_product(&flag(
        "de",
        "Germany",
        vec![variant("DE-1", &["3x5 ft"], 2500, 1)],
    ))
    .unwrap();
    let product = shop
        .create_product(&flag(
            "pl",
            "Poland",
            vec![
                variant("PL-1", &["3x5 ft"], 2500, 3),
                variant("PL-2", &["2x3 ft"], 1500, 4),
            ],
        ))
        .unwrap();
    /// What the case is, how it breaks the edit, and the field the error must name.
    type Case = (
        &'static str,
        fn(&mut ProductEdit),
        (&'static str, Option<usize>),
    );
    let cases: Vec<Case> = vec![
        ("empty title", |e| e.title = "  ".into(), ("title", None)),
        (
            "SKU of another product",
            |e| e.variants[1].sku = "DE-1".into(),
            ("sku", Some(1)),
        ),
        (
            "SKU twice",
            |e| e.variants[1].sku = "PL-1".into(),
            ("sku", Some(1)),
        ),
        (
            "negative price",
            |e| e.variants[0].price = -100,
            ("price", Some(0)),
        ),
        (
            "negative compare-at price",
            |e| e.variants[1].compare_at_price = Some(-1),
            ("compare_at_price", Some(1)),
        ),
        (
            "same options twice",
            |e| e.variants[1].options = vec!["3x5 ft".into()],
            ("options", Some(1)),
        ),
        (
            "a new variant without a SKU",
            |e| e.variants.push(new_row(" ", &["4x6 ft"], 100)),
            ("sku", Some(2)),
        ),
        (
            "negative weight",
            |e| e.variants[0].weight_grams = -5,
            ("weight_grams", Some(0)),
        ),
    ];
    for (case, change, expected) in cases {
        let mut edit = edit_of(&product);
        edit.title = "Changed".into();
        change(&mut edit);
        let err = shop.save_product(Some("pl"), &edit).unwrap_err();
        assert_eq!(field_of(err), expected, "{case}");
        assert_eq!(
            shop.product("pl").unwrap(),
            product,
            "{case}: nothing saved"
        );
    }
}

#[test]
fn a_variant_that_was_ordered_cannot_be_removed() {
    let (_dir, shop) = blank_shop();
    let product = shop
        .create_product(&flag(
            "pl",
            "Poland",
            vec![
                variant("PL-1", &["3x5 ft"], 2500, 3),
                variant("PL-2", &["2x3 ft"], 1500, 4),
            ],
        ))
        .unwrap();
    shop.place_order(&[("PL-1".to_owned(), 1)], &buyer(), None)
        .unwrap();
    let mut edit = edit_of(&product);
    edit.variants.remove(0);
    let err = shop.save_product(Some("pl"), &edit).unwrap_err();
    assert!(
        err.to_string().contains("\"PL-1\" has been ordered"),
        "{err}"
    );
    assert_eq!(shop.product("pl").unwrap().variants.len(), 2);
}

#[test]
fn bulk_status_changes_all_products_or_none() {
    let (_dir, shop) = blank_shop();
    for (handle, sku) in [("pl", "PL"), ("de", "DE"), ("fr", "FR")] {
        shop.create_product(&flag(
            handle,
            handle,
            vec![variant(sku, &["3x5 ft"], 100, 1)],
        ))
        .unwrap();
    }
    let chosen = ["pl".to_owned(), "de".to_owned()];
    assert_eq!(
        shop.set_products_status(&chosen, ProductStatus::Archived)
            .unwrap(),
        2
    );
    let archived = ProductQuery {
        status: Some(ProductStatus::Archived),
        ..ProductQuery::default()
    };
    assert_eq!(handles(&shop, &archived), ["de", "pl"]);
    let err = shop
        .set_products_status(&["fr".to_owned(), "nope".to_owned()], ProductStatus::Draft)
        .unwrap_err();
    assert!(matches!(err, Error::UnknownProduct(_)), "{err:?}");
    assert_eq!(shop.product("fr").unwrap().status, ProductStatus::Active);
}

#[test]
fn database_from_a_newer_version_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    drop(Shop::open_blank(dir.path()).unwrap());
    let db = dir.path().join("shop.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    let err = Shop::open(dir.path())
        .err()
        .expect("a newer database is refused");
    assert!(
        matches!(err, Error::DatabaseTooNew { found: 999, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("update Flagshop"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert!(!dir.path().join("shop.db-wal").exists());
}

#[test]
fn the_first_page_counts_every_match_and_later_pages_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let shop = Shop::open(dir.path()).unwrap();
    let every = shop
        .list_products(&ProductQuery {
            limit: Some(500),
            ..ProductQuery::default()
        })
        .unwrap();
    let first = shop
        .list_products(&ProductQuery {
            limit: Some(5),
            ..ProductQuery::default()
        })
        .unwrap();
    assert_eq!(first.items.len(), 5);
    assert_eq!(first.total, Some(every.items.len() as i64));
    let second = shop
        .list_products(&ProductQuery {
            limit: Some(5),
            after: first.next_cursor,
            ..ProductQuery::default()
        })
        .unwrap();
    assert_eq!(second.total, None);

    // The count follows the filters, searches included.
    let snake = ProductQuery {
        search: Some("snake".into()),
        limit: Some(1),
        ..ProductQuery::default()
    };
    let page = shop.list_products(&snake).unwrap();
    let all_snake = search(&shop, "snake").len() as i64;
    assert!(all_snake >= 1);
    assert_eq!(page.total, Some(all_snake));
    let cheap = ProductQuery {
        max_price: Some(1),
        ..ProductQuery::default()
    };
    assert_eq!(shop.list_products(&cheap).unwrap().total, Some(0));
}

#[test]
fn demo_copies_make_a_big_shop_with_shared_images() {
    let dir = tempfile::tempdir().unwrap();
    let shop = Shop::open(dir.path()).unwrap();
    let demo = shop.list_products(&ProductQuery::default()).unwrap();
    let demo_count = demo.total.unwrap();
    let originals = || walk(&dir.path().join("media/originals"));
    let stored = originals();

    shop.add_demo_copies(120).unwrap();
    // Twice: the numbers go on, nothing collides.
    shop.add_demo_copies(30).unwrap();
    let page = shop.list_products(&ProductQuery::default()).unwrap();
    assert_eq!(page.total, Some(demo_count + 150));
    assert_eq!(
        originals(),
        stored,
        "the copies share the demo's stored images"
    );

    let copies = search(&shop, "snake island");
    assert!(copies.len() >= 3, "{copies:?}");
    let copy = shop
        .product(
            copies
                .iter()
                .find(|h| h.starts_with("ukraine-snake-island-flag-"))
                .unwrap(),
        )
        .unwrap();
    let original = shop.product("ukraine-snake-island-flag").unwrap();
    let number = copy.handle.rsplit('-').next().unwrap();
    assert_eq!(copy.title, format!("{} No. {number}", original.title));
    assert_eq!(copy.images.len(), original.images.len());
    assert_eq!(copy.images[0].hash, original.images[0].hash);
    assert_eq!(copy.variants.len(), original.variants.len());
    for (c, o) in copy.variants.iter().zip(&original.variants) {
        assert_eq!(c.sku, format!("{}-{number}", o.sku));
        assert_eq!(
            (c.price_minor, c.on_hand, &c.options),
            (o.price_minor, o.on_hand, &o.options)
        );
    }
    assert_eq!(copy.collections, original.collections);
}

#[test]
fn demo_copies_are_all_or_nothing() {
    let (_dir, shop) = blank_shop();
    // Product #1 takes the handle copy number 5 (the fourth, of the demo's fourth product)
    // would get: three copies are written before the clash, and must not stay.
    shop.create_product(&flag("lithuania-flag-5", "Lithuania", vec![]))
        .unwrap();
    let err = shop.add_demo_copies(10).unwrap_err();
    assert!(
        matches!(err, Error::DuplicateHandle(ref h) if h == "lithuania-flag-5"),
        "{err}"
    );
    assert_eq!(
        shop.list_products(&ProductQuery::default()).unwrap().total,
        Some(1)
    );
}

/// Every file under `dir`, sorted.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.path().is_dir() {
            files.extend(walk(&entry.path()));
        } else {
            files.push(entry.path());
        }
    }
    files.sort();
    files
}

//! The demo catalogue in `assets/`, embedded in the binary: what a new shop opens with.

use std::path::Path;

use include_dir::{Dir, include_dir};
use rusqlite::Connection;
use serde::Deserialize;

use crate::catalogue::{self, NewProduct, NewVariant, ProductStatus};
use crate::money::{Currency, Money};
use crate::{Error, media};

const CATALOGUE_JSON: &str = include_str!("../assets/catalogue.json");
static IMAGES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/assets/images");

#[derive(Deserialize)]
struct DemoCatalogue {
    shop_name: String,
    currency: Currency,
    collections: Vec<DemoCollection>,
    products: Vec<DemoProduct>,
}

#[derive(Deserialize)]
struct DemoCollection {
    handle: String,
    title: String,
    description: String,
}

#[derive(Deserialize)]
struct DemoProduct {
    handle: String,
    title: String,
    description: String,
    vendor: String,
    product_type: String,
    tags: Vec<String>,
    status: ProductStatus,
    collections: Vec<String>,
    options: Vec<String>,
    images: Vec<DemoImage>,
    variants: Vec<DemoVariant>,
}

#[derive(Deserialize)]
struct DemoImage {
    /// Relative to `assets/images/`.
    file: String,
    alt: String,
}

/// Prices are written as people write them ("39.00") and parsed with the shop's currency.
#[derive(Deserialize)]
struct DemoVariant {
    sku: String,
    options: Vec<String>,
    price: String,
    compare_at: Option<String>,
    barcode: Option<String>,
    weight_grams: i64,
    on_hand: i64,
    low_stock_threshold: i64,
}

/// Loads the demo catalogue, with its images, into an empty shop. The caller owns the
/// transaction, so a failure leaves the shop's database as it was.
pub(crate) fn load(tx: &Connection, data_dir: &Path) -> Result<(), Error> {
    let demo: DemoCatalogue = serde_json::from_str(CATALOGUE_JSON)
        .map_err(|e| Error::invalid(format!("the embedded demo catalogue is malformed: {e}")))?;
    tx.execute(
        "INSERT OR REPLACE INTO settings (key, value) VALUES ('shop_name', ?1), ('currency', ?2)",
        [demo.shop_name.as_str(), demo.currency.code()],
    )?;
    for (position, c) in demo.collections.iter().enumerate() {
        tx.execute(
            "INSERT INTO collections (handle, title, description, position) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![c.handle, c.title, c.description, position as i64],
        )?;
    }
    for product in demo.products {
        let variants = product
            .variants
            .into_iter()
            .map(|v| variant(v, demo.currency))
            .collect::<Result<_, _>>()?;
        let id = catalogue::insert_product(
            tx,
            &NewProduct {
                handle: product.handle,
                title: product.title,
                description: product.description,
                vendor: product.vendor,
                product_type: product.product_type,
                tags: product.tags,
                status: Some(product.status),
                options: product.options,
                collections: product.collections,
                variants,
            },
        )?;
        for image in product.images {
            let file = IMAGES.get_file(&image.file).ok_or_else(|| {
                Error::invalid(format!("the demo image {} is missing", image.file))
            })?;
            media::import_bytes(tx, data_dir, id, &image.file, file.contents(), &image.alt)?;
        }
    }
    Ok(())
}

fn variant(v: DemoVariant, currency: Currency) -> Result<NewVariant, Error> {
    Ok(NewVariant {
        price: Money::parse(&v.price, currency)?,
        compare_at: v
            .compare_at
            .as_deref()
            .map(|p| Money::parse(p, currency))
            .transpose()?,
        sku: v.sku,
        options: v.options,
        barcode: v.barcode,
        weight_grams: v.weight_grams,
        on_hand: v.on_hand,
        low_stock_threshold: v.low_stock_threshold,
    })
}

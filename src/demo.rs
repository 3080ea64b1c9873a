//! The demo catalogue in `assets/`, embedded in the binary: what a new shop opens with.

use std::path::Path;

use include_dir::{Dir, include_dir};
use rusqlite::{Connection, TransactionBehavior};
use serde::Deserialize;

use crate::catalogue::{self, NewProduct, NewVariant, ProductStatus};
use crate::money::{Currency, Money};
use crate::{Error, Shop, media};

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
    let demo = parse()?;
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
    for product in &demo.products {
        let id = catalogue::insert_product(tx, &new_product(product, demo.currency)?)?;
        for (image, alt) in store_images(data_dir, product)? {
            media::link_image(tx, id, &image, &alt)?;
        }
    }
    Ok(())
}

impl Shop {
    /// Adds `count` copies of the demo catalogue's products, to try the shop at scale (the
    /// desktop benchmark runs on 10,000). Copy number `n` of "Canada Flag" is "Canada Flag
    /// No. n", handle `canada-flag-n`, SKUs ending in `-n`, with the demo product's options,
    /// prices, stock and images; each image is stored once and shared. Numbers start after the
    /// highest product id, so adding copies twice does not collide. A copy joins those of the
    /// demo's collections the shop has. One transaction: on any error (such as a shop whose
    /// currency is not the demo's) nothing is added.
    pub fn add_demo_copies(&self, count: usize) -> Result<(), Error> {
        let demo = parse()?;
        let templates = demo
            .products
            .iter()
            .map(|p| {
                Ok((
                    p,
                    new_product(p, demo.currency)?,
                    store_images(self.data_dir(), p)?,
                ))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Vec<String> = tx
            .prepare("SELECT handle FROM collections")?
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        let first: usize =
            tx.query_row("SELECT coalesce(max(id), 0) + 1 FROM products", [], |row| {
                row.get::<_, i64>(0)
            })? as usize;
        for (i, (demo_product, template, images)) in
            templates.iter().cycle().take(count).enumerate()
        {
            let n = first + i;
            let mut copy = template.clone();
            copy.handle = format!("{}-{n}", demo_product.handle);
            copy.title = format!("{} No. {n}", demo_product.title);
            copy.collections.retain(|c| existing.contains(c));
            for variant in &mut copy.variants {
                variant.sku = format!("{}-{n}", variant.sku);
                // A barcode names one real article; the copies are not real.
                variant.barcode = None;
            }
            let id = catalogue::insert_product(&tx, &copy)?;
            for (image, alt) in images {
                media::link_image(&tx, id, image, alt)?;
            }
        }
        tx.commit()?;
        tracing::info!(count, "demo copies added");
        Ok(())
    }
}

fn parse() -> Result<DemoCatalogue, Error> {
    serde_json::from_str(CATALOGUE_JSON)
        .map_err(|e| Error::internal(format!("the embedded demo catalogue is malformed: {e}")))
}

fn new_product(p: &DemoProduct, currency: Currency) -> Result<NewProduct, Error> {
    Ok(NewProduct {
        handle: p.handle.clone(),
        title: p.title.clone(),
        description: p.description.clone(),
        vendor: p.vendor.clone(),
        product_type: p.product_type.clone(),
        tags: p.tags.clone(),
        status: Some(p.status),
        options: p.options.clone(),
        collections: p.collections.clone(),
        variants: p
            .variants
            .iter()
            .map(|v| variant(v, currency))
            .collect::<Result<_, _>>()?,
    })
}

/// The product's images, checked and in the media store, with their alt texts.
fn store_images(
    data_dir: &Path,
    p: &DemoProduct,
) -> Result<Vec<(media::StoredImage, String)>, Error> {
    p.images
        .iter()
        .map(|image| {
            let file = IMAGES.get_file(&image.file).ok_or_else(|| {
                Error::internal(format!("the demo image {} is missing", image.file))
            })?;
            let stored = media::store_bytes(data_dir, &image.file, file.contents())?;
            Ok((stored, image.alt.clone()))
        })
        .collect()
}

fn variant(v: &DemoVariant, currency: Currency) -> Result<NewVariant, Error> {
    Ok(NewVariant {
        price: Money::parse(&v.price, currency)?,
        compare_at: v
            .compare_at
            .as_deref()
            .map(|p| Money::parse(p, currency))
            .transpose()?,
        sku: v.sku.clone(),
        options: v.options.clone(),
        barcode: v.barcode.clone(),
        weight_grams: v.weight_grams,
        on_hand: v.on_hand,
        low_stock_threshold: v.low_stock_threshold,
    })
}

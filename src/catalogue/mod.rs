//! The catalogue: products, their options and variants, images, collections, listing and search.
//!
//! The model and reading one product back are here; `editing` changes the catalogue, `rules`
//! says what a product and a variant must be, `listing` browses and searches it, and
//! `collections` groups products.

mod collections;
mod editing;
mod listing;
mod rules;

pub(crate) use editing::{insert_product, save_edit};

use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::money::{Currency, Money};
use crate::{Error, SettingKey, Shop};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProductId(pub i64);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VariantId(pub i64);

/// Whether a product is on sale (`active`), being prepared (`draft`) or retired (`archived`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ProductStatus {
    Active,
    Draft,
    Archived,
}

impl ProductStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Active => "active",
            ProductStatus::Draft => "draft",
            ProductStatus::Archived => "archived",
        }
    }
}

impl std::str::FromStr for ProductStatus {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "active" => Ok(ProductStatus::Active),
            "draft" => Ok(ProductStatus::Draft),
            "archived" => Ok(ProductStatus::Archived),
            other => Err(Error::invalid(format!(
                "unknown product status \"{other}\" (expected active, draft or archived)"
            ))),
        }
    }
}

/// The unit a variant's weight is shown in; weights are stored in grams.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum WeightUnit {
    #[default]
    G,
    Kg,
    Lb,
    Oz,
}

impl WeightUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            WeightUnit::G => "g",
            WeightUnit::Kg => "kg",
            WeightUnit::Lb => "lb",
            WeightUnit::Oz => "oz",
        }
    }
}

impl std::str::FromStr for WeightUnit {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "g" => Ok(WeightUnit::G),
            "kg" => Ok(WeightUnit::Kg),
            "lb" => Ok(WeightUnit::Lb),
            "oz" => Ok(WeightUnit::Oz),
            other => Err(Error::invalid(format!(
                "unknown weight unit \"{other}\" (expected g, kg, lb or oz)"
            ))),
        }
    }
}

/// Most option names a product may have (Shopify's limit, and enough for size × material × colour).
const MAX_OPTIONS: usize = 3;

/// A product with everything the product page and the editor show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Product {
    #[ts(type = "number")]
    pub id: ProductId,
    pub handle: String,
    pub title: String,
    pub description: String,
    pub vendor: String,
    pub product_type: String,
    pub tags: Vec<String>,
    pub status: ProductStatus,
    /// Option names in order, e.g. `["Size", "Material"]`.
    pub options: Vec<String>,
    pub variants: Vec<Variant>,
    pub images: Vec<ProductImage>,
    /// Handles of the collections the product belongs to.
    pub collections: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// One sellable combination of a product's options, with its own SKU, price and stock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Variant {
    #[ts(type = "number")]
    pub id: VariantId,
    pub sku: String,
    /// Option values in the order of the product's option names, e.g. `["3x5 ft", "Nylon"]`.
    pub options: Vec<String>,
    /// Price in minor units of `currency`.
    #[serde(rename = "price")]
    pub price_minor: i64,
    /// The "was" price shown struck through, in minor units of `currency`.
    #[serde(rename = "compare_at_price")]
    pub compare_at_minor: Option<i64>,
    #[ts(type = "string")]
    pub currency: Currency,
    pub barcode: Option<String>,
    pub weight_grams: i64,
    /// The unit the weight is shown in.
    pub weight_unit: WeightUnit,
    /// What one unit costs the shop, minor units of `currency` (for margins); never shown to
    /// shoppers.
    pub cost_per_item: Option<i64>,
    /// The hash of the variant's own image among its product's images, once it is stored.
    pub image: Option<String>,
    pub on_hand: i64,
    /// Units promised to unpaid orders.
    pub reserved: i64,
    /// Units that can still be sold: on hand minus reserved.
    pub available: i64,
    pub low_stock_threshold: i64,
    /// Available at or below its threshold ("Only 2 left").
    pub low: bool,
}

impl Variant {
    pub fn price(&self) -> Money {
        Money::new(self.price_minor, self.currency)
    }

    pub fn compare_at(&self) -> Option<Money> {
        self.compare_at_minor.map(|m| Money::new(m, self.currency))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ProductImage {
    /// SHA-256 of the original file, hex: the key into the media store.
    pub hash: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Collection {
    pub handle: String,
    pub title: String,
    pub description: String,
    /// Products in the collection that are active.
    pub product_count: i64,
}

/// What a new product is made of.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NewProduct {
    pub handle: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub product_type: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub status: Option<ProductStatus>,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub collections: Vec<String>,
    #[serde(default)]
    pub variants: Vec<NewVariant>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct NewVariant {
    pub sku: String,
    pub options: Vec<String>,
    pub price: Money,
    pub compare_at: Option<Money>,
    pub barcode: Option<String>,
    pub weight_grams: i64,
    /// Stock on hand at creation, recorded in the ledger as received.
    pub on_hand: i64,
    pub low_stock_threshold: i64,
}

/// A change to a product: the fields that are `Some` are replaced.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProductUpdate {
    pub title: Option<String>,
    pub description: Option<String>,
    pub vendor: Option<String>,
    pub product_type: Option<String>,
    pub tags: Option<Vec<String>>,
    pub status: Option<ProductStatus>,
}

/// A change to a variant: the fields that are `Some` are replaced. Stock is not here: it moves
/// only through the ledger (`Shop::adjust_stock`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct VariantUpdate {
    pub sku: Option<String>,
    pub price: Option<Money>,
    /// `Some(None)` removes the compare-at price.
    pub compare_at: Option<Option<Money>>,
    pub barcode: Option<Option<String>>,
    pub weight_grams: Option<i64>,
    pub low_stock_threshold: Option<i64>,
}

/// The whole product as the back office's editor sends it back to be saved.
#[derive(Clone, Debug, Deserialize, TS)]
#[ts(export)]
pub struct ProductEdit {
    /// The handle of a new product (lower-case letters, digits and dashes); a product that
    /// exists keeps its own.
    pub handle: String,
    pub title: String,
    pub description: String,
    pub vendor: String,
    pub product_type: String,
    pub tags: Vec<String>,
    pub status: ProductStatus,
    /// Option names in order, e.g. `["Size", "Material"]`; at most three.
    pub options: Vec<String>,
    /// Handles of the collections the product belongs to.
    pub collections: Vec<String>,
    /// Every variant the product keeps, in the order they are shown.
    pub variants: Vec<VariantEdit>,
}

/// One row of the editor's variant table. Stock is not here: it moves only through the ledger.
#[derive(Clone, Debug, Deserialize, TS)]
#[ts(export)]
pub struct VariantEdit {
    /// The variant being changed; `null` for a new one, whose stock starts at zero.
    #[ts(type = "number | null")]
    pub id: Option<VariantId>,
    pub sku: String,
    /// Option values in the order of the product's option names.
    pub options: Vec<String>,
    /// Minor units of the shop's currency.
    pub price: i64,
    /// The "was" price, minor units of the shop's currency.
    pub compare_at_price: Option<i64>,
    pub barcode: Option<String>,
    pub weight_grams: i64,
    pub low_stock_threshold: i64,
}

/// Filters and position for a page of products. The default lists every product, 50 at a time.
#[derive(Clone, Debug, Default, Deserialize, TS)]
#[ts(export, optional_fields)]
pub struct ProductQuery {
    /// Words to find in titles, descriptions, tags, SKUs and option values; each word matches
    /// as a prefix ("snak isl" finds "Snake Island").
    pub search: Option<String>,
    pub status: Option<ProductStatus>,
    /// Handle of a collection.
    pub collection: Option<String>,
    /// Only products with at least one variant available.
    #[serde(default)]
    pub in_stock: bool,
    /// Only products with a variant priced at least this much (minor units).
    pub min_price: Option<i64>,
    /// Only products with a variant priced at most this much (minor units).
    pub max_price: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500; 50 if not given.
    pub limit: Option<u32>,
}

/// A product as the catalogue grid shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ProductSummary {
    #[ts(type = "number")]
    pub id: ProductId,
    pub handle: String,
    pub title: String,
    pub vendor: String,
    pub product_type: String,
    pub status: ProductStatus,
    /// Lowest and highest variant price, minor units; `None` for a product without variants.
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    #[ts(type = "string | null")]
    pub currency: Option<Currency>,
    pub variant_count: i64,
    pub on_hand: i64,
    pub available: i64,
    /// Some variant is still available but at or below its low-stock threshold.
    pub low_stock: bool,
    /// No variant is available.
    pub sold_out: bool,
    pub image: Option<ProductImage>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ProductPage {
    pub items: Vec<ProductSummary>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// How many products match the query in all. Counted with the first page only (`None` when
    /// `after` was given), so that paging through a big catalogue does not count it each time.
    pub total: Option<i64>,
}

impl Shop {
    /// The currency all of this shop's prices are in.
    pub fn currency(&self) -> Result<Currency, Error> {
        shop_currency(&*self.read()?)
    }

    /// The product with this handle, with variants, images and collections.
    pub fn product(&self, handle: &str) -> Result<Product, Error> {
        let conn = self.read()?;
        let id = product_id(&conn, handle)?;
        load_product(&conn, id)
    }
}

fn image_from_row(row: &Row<'_>) -> rusqlite::Result<ProductImage> {
    Ok(ProductImage {
        hash: row.get(0)?,
        width: row.get(1)?,
        height: row.get(2)?,
        alt: row.get(3)?,
    })
}

pub(crate) fn product_id(conn: &Connection, handle: &str) -> Result<ProductId, Error> {
    conn.prepare_cached("SELECT id FROM products WHERE handle = ?1")?
        .query_row([handle], |row| row.get(0))
        .optional()?
        .map(ProductId)
        .ok_or_else(|| Error::UnknownProduct(handle.to_owned()))
}

pub(crate) fn load_product(conn: &Connection, id: ProductId) -> Result<Product, Error> {
    let mut product = conn
        .prepare_cached(
            "SELECT handle, title, description, vendor, product_type, tags, status,
                    created_at, updated_at
             FROM products WHERE id = ?1",
        )?
        .query_row([id.0], |row| {
            Ok(Product {
                id,
                handle: row.get(0)?,
                title: row.get(1)?,
                description: row.get(2)?,
                vendor: row.get(3)?,
                product_type: row.get(4)?,
                tags: split_tags(&row.get::<_, String>(5)?),
                status: ProductStatus::Active,
                options: Vec::new(),
                variants: Vec::new(),
                images: Vec::new(),
                collections: Vec::new(),
                created_at: row.get(7)?,
                updated_at: row.get(8)?,
            })
            .map(|p| (p, row.get::<_, String>(6)))
        })
        .optional()?
        .ok_or_else(|| Error::UnknownProduct(format!("#{}", id.0)))
        .and_then(|(mut p, status)| {
            p.status = status?.parse()?;
            Ok(p)
        })?;

    let mut stmt = conn.prepare_cached(
        "SELECT name FROM product_options WHERE product_id = ?1 ORDER BY position",
    )?;
    product.options = stmt
        .query_map([id.0], |row| row.get(0))?
        .collect::<Result<_, _>>()?;

    let mut stmt = conn.prepare_cached(&format!(
        "{VARIANT_SELECT} WHERE v.product_id = ?1 ORDER BY v.position, v.id"
    ))?;
    product.variants = stmt
        .query_map([id.0], variant_from_row)?
        .collect::<Result<Result<_, _>, _>>()??;

    let mut stmt = conn.prepare_cached(
        "SELECT hash, width, height, alt FROM product_images
         WHERE product_id = ?1 ORDER BY position, id",
    )?;
    product.images = stmt
        .query_map([id.0], image_from_row)?
        .collect::<Result<_, _>>()?;

    let mut stmt = conn.prepare_cached(
        "SELECT c.handle FROM collection_products cp JOIN collections c ON c.id = cp.collection_id
         WHERE cp.product_id = ?1 ORDER BY c.position, c.id",
    )?;
    product.collections = stmt
        .query_map([id.0], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(product)
}

const VARIANT_SELECT: &str = "SELECT v.id, v.sku, v.option1, v.option2, v.option3, v.price_minor,
        v.compare_at_minor, v.currency, v.barcode, v.weight_grams, s.on_hand, s.reserved,
        s.available, v.low_stock_threshold, v.weight_unit, v.cost_minor,
        (SELECT i.hash FROM product_images i
         WHERE i.product_id = v.product_id AND i.source = v.image_source)
    FROM variants v JOIN variant_stock s ON s.variant_id = v.id";

fn load_variant(conn: &Connection, id: VariantId) -> Result<Variant, Error> {
    conn.prepare_cached(&format!("{VARIANT_SELECT} WHERE v.id = ?1"))?
        .query_row([id.0], variant_from_row)?
}

fn variant_from_row(row: &Row<'_>) -> rusqlite::Result<Result<Variant, Error>> {
    let options = (2..5)
        .map(|i| row.get::<_, Option<String>>(i))
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    let currency: String = row.get(7)?;
    let currency = match Currency::new(&currency) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e.into())),
    };
    let weight_unit = match row.get::<_, String>(14)?.parse() {
        Ok(unit) => unit,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(Variant {
        id: VariantId(row.get(0)?),
        sku: row.get(1)?,
        options,
        price_minor: row.get(5)?,
        compare_at_minor: row.get(6)?,
        currency,
        barcode: row.get(8)?,
        weight_grams: row.get(9)?,
        weight_unit,
        cost_per_item: row.get(15)?,
        image: row.get(16)?,
        on_hand: row.get(10)?,
        reserved: row.get(11)?,
        available: row.get(12)?,
        low_stock_threshold: row.get(13)?,
        low: row.get::<_, i64>(12)? <= row.get::<_, i64>(13)?,
    }))
}

/// The currency every price in this shop is in (the `currency` setting, USD if unset): one
/// currency per shop keeps carts and totals simple and honest.
pub(crate) fn shop_currency(conn: &Connection) -> Result<Currency, Error> {
    let code: Option<String> = conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([SettingKey::Currency], |row| row.get(0))
        .optional()?;
    Ok(code
        .as_deref()
        .map(Currency::new)
        .transpose()?
        .unwrap_or(Currency::USD))
}

pub(crate) fn join_tags(tags: &[String]) -> String {
    let mut clean: Vec<&str> = Vec::new();
    for tag in tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if !clean.iter().any(|c| c.eq_ignore_ascii_case(tag)) {
            clean.push(tag);
        }
    }
    clean.join(", ")
}

fn split_tags(tags: &str) -> Vec<String> {
    tags.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_trimmed_and_deduplicated() {
        let tags = vec![
            " Ukraine".into(),
            "ukraine".into(),
            "".into(),
            "Flag ".into(),
        ];
        assert_eq!(join_tags(&tags), "Ukraine, Flag");
        assert_eq!(split_tags("Ukraine, Flag"), vec!["Ukraine", "Flag"]);
    }
}

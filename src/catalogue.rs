//! The catalogue: products, their options and variants, images, collections, listing and search.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::inventory::{self, StockReason};
use crate::money::{Currency, Money};
use crate::{Error, Shop};

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

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 500;

impl Shop {
    /// The currency all of this shop's prices are in.
    pub fn currency(&self) -> Result<Currency, Error> {
        shop_currency(&*self.read()?)
    }

    /// Creates a product with its options and variants in one transaction. Each variant's
    /// initial stock becomes a `received` ledger entry.
    pub fn create_product(&self, new: &NewProduct) -> Result<Product, Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = insert_product(&tx, new)?;
        tx.commit()?;
        load_product(&conn, id)
    }

    /// The product with this handle, with variants, images and collections.
    pub fn product(&self, handle: &str) -> Result<Product, Error> {
        let conn = self.read()?;
        let id = product_id(&conn, handle)?;
        load_product(&conn, id)
    }

    pub fn update_product(&self, handle: &str, update: &ProductUpdate) -> Result<Product, Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = product_id(&tx, handle)?;
        if let Some(title) = &update.title {
            check_title(title)?;
        }
        let tags = update.tags.as_deref().map(join_tags);
        tx.execute(
            "UPDATE products SET
                 title = coalesce(?2, title),
                 description = coalesce(?3, description),
                 vendor = coalesce(?4, vendor),
                 product_type = coalesce(?5, product_type),
                 tags = coalesce(?6, tags),
                 status = coalesce(?7, status),
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
             WHERE id = ?1",
            params![
                id.0,
                update.title.as_deref().map(str::trim),
                update.description,
                update.vendor,
                update.product_type,
                tags,
                update.status.map(ProductStatus::as_str),
            ],
        )?;
        tx.commit()?;
        load_product(&conn, id)
    }

    /// Saves what the product editor sends, in one transaction: a new product when `handle` is
    /// `None`, else the product with that handle. Variants with an `id` are changed, those
    /// without are added with no stock, and the product's variants left out of `edit` are
    /// removed, unless they were ever ordered (archive the product instead). A rule broken by
    /// one field fails with [`Error::InvalidField`] naming it, and nothing is saved.
    pub fn save_product(&self, handle: Option<&str>, edit: &ProductEdit) -> Result<Product, Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = match handle {
            None => insert_product(
                &tx,
                &NewProduct {
                    handle: edit.handle.clone(),
                    title: edit.title.clone(),
                    description: edit.description.clone(),
                    vendor: edit.vendor.clone(),
                    product_type: edit.product_type.clone(),
                    tags: edit.tags.clone(),
                    status: Some(edit.status),
                    options: edit.options.clone(),
                    collections: edit.collections.clone(),
                    variants: Vec::new(),
                },
            )?,
            Some(handle) => {
                let id = product_id(&tx, handle)?;
                check_title(&edit.title)?;
                tx.execute(
                    "UPDATE products SET title = ?2, description = ?3, vendor = ?4,
                         product_type = ?5, tags = ?6, status = ?7,
                         updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                     WHERE id = ?1",
                    params![
                        id.0,
                        edit.title.trim(),
                        edit.description,
                        edit.vendor.trim(),
                        edit.product_type.trim(),
                        join_tags(&edit.tags),
                        edit.status.as_str(),
                    ],
                )?;
                tx.execute("DELETE FROM product_options WHERE product_id = ?1", [id.0])?;
                write_options(&tx, id, handle, &edit.options)?;
                tx.execute(
                    "DELETE FROM collection_products WHERE product_id = ?1",
                    [id.0],
                )?;
                write_collections(&tx, id, &edit.collections)?;
                id
            }
        };
        save_variants(&tx, id, edit)?;
        tx.commit()?;
        tracing::info!(handle = edit.handle, "product saved");
        load_product(&conn, id)
    }

    /// Sets the status of several products at once (the product list's bulk action): all of
    /// them or, if one handle is unknown, none. Returns how many there were.
    pub fn set_products_status(
        &self,
        handles: &[String],
        status: ProductStatus,
    ) -> Result<usize, Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for handle in handles {
            let id = product_id(&tx, handle)?;
            tx.prepare_cached(
                "UPDATE products SET status = ?2,
                     updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                 WHERE id = ?1",
            )?
            .execute(params![id.0, status.as_str()])?;
        }
        tx.commit()?;
        tracing::info!(
            count = handles.len(),
            status = status.as_str(),
            "products status set"
        );
        Ok(handles.len())
    }

    /// Takes a product off sale without deleting it: orders that sold it keep their lines.
    pub fn archive_product(&self, handle: &str) -> Result<Product, Error> {
        self.update_product(
            handle,
            &ProductUpdate {
                status: Some(ProductStatus::Archived),
                ..ProductUpdate::default()
            },
        )
    }

    /// Adds a variant to an existing product.
    pub fn add_variant(&self, handle: &str, new: &NewVariant) -> Result<Product, Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = product_id(&tx, handle)?;
        let option_count: i64 = tx.query_row(
            "SELECT count(*) FROM product_options WHERE product_id = ?1",
            [id.0],
            |row| row.get(0),
        )?;
        let position: i64 = tx.query_row(
            "SELECT coalesce(max(position) + 1, 0) FROM variants WHERE product_id = ?1",
            [id.0],
            |row| row.get(0),
        )?;
        insert_variant(&tx, id, option_count as usize, position, new)?;
        tx.commit()?;
        load_product(&conn, id)
    }

    pub fn update_variant(&self, sku: &str, update: &VariantUpdate) -> Result<Variant, Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let variant_id = inventory::variant_id(&tx, sku)?;
        let new_sku = update.sku.as_deref().map(str::trim);
        if let Some(new_sku) = new_sku {
            check_sku(new_sku)?;
        }
        let label = new_sku.unwrap_or(sku);
        if let Some(price) = update.price {
            check_price(&tx, label, "price", price)?;
        }
        if let Some(Some(compare_at)) = update.compare_at {
            check_price(&tx, label, "compare_at_price", compare_at)?;
        }
        if let Some(weight) = update.weight_grams {
            check_non_negative(label, "weight_grams", weight)?;
        }
        if let Some(threshold) = update.low_stock_threshold {
            check_non_negative(label, "low_stock_threshold", threshold)?;
        }
        tx.execute(
            "UPDATE variants SET
                 sku = coalesce(?2, sku),
                 price_minor = coalesce(?3, price_minor),
                 compare_at_minor = CASE WHEN ?4 THEN ?5 ELSE compare_at_minor END,
                 barcode = CASE WHEN ?6 THEN ?7 ELSE barcode END,
                 weight_grams = coalesce(?8, weight_grams),
                 low_stock_threshold = coalesce(?9, low_stock_threshold),
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
             WHERE id = ?1",
            params![
                variant_id.0,
                new_sku,
                update.price.map(|p| p.amount),
                update.compare_at.is_some(),
                update.compare_at.flatten().map(|p| p.amount),
                update.barcode.is_some(),
                update.barcode.clone().flatten(),
                update.weight_grams,
                update.low_stock_threshold,
            ],
        )
        .map_err(|e| unique_violation(e, || Error::DuplicateSku(label.to_owned())))?;
        tx.commit()?;
        load_variant(&conn, variant_id)
    }

    /// Creates a collection, or updates the title and description of an existing one.
    pub fn save_collection(
        &self,
        handle: &str,
        title: &str,
        description: &str,
    ) -> Result<(), Error> {
        check_handle(handle)?;
        check_title(title)?;
        self.conn().execute(
            "INSERT INTO collections (handle, title, description, position)
             VALUES (?1, ?2, ?3, (SELECT coalesce(max(position) + 1, 0) FROM collections))
             ON CONFLICT (handle) DO UPDATE SET title = excluded.title,
                                                description = excluded.description",
            params![handle, title.trim(), description],
        )?;
        Ok(())
    }

    pub fn collections(&self) -> Result<Vec<Collection>, Error> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT c.handle, c.title, c.description,
                    (SELECT count(*) FROM collection_products cp
                     JOIN products p ON p.id = cp.product_id
                     WHERE cp.collection_id = c.id AND p.status = 'active')
             FROM collections c ORDER BY c.position, c.id",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(Collection {
                handle: row.get(0)?,
                title: row.get(1)?,
                description: row.get(2)?,
                product_count: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One page of products matching `query`: by relevance when searching, else by title.
    pub fn list_products(&self, query: &ProductQuery) -> Result<ProductPage, Error> {
        let limit = query.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
        let search = query.search.as_deref().and_then(fts_query);
        let cursor = query.after.as_deref().map(Cursor::decode).transpose()?;
        let cursor_given = cursor.is_some();
        let (rank_after, title_after, id_after) = match cursor {
            Some(Cursor::Rank { rank, id }) if search.is_some() => (Some(rank), None, id),
            Some(Cursor::Title { title, id }) if search.is_none() => (None, Some(title), id),
            Some(_) => return Err(Error::invalid("the page cursor belongs to another query")),
            None => (None, None, 0),
        };
        // Products come from FTS5 when searching, ordered by bm25 rank (lower is better; title,
        // tags and SKUs weigh more than the description), else from the products table in title
        // order, which its title index gives without sorting.
        let (source, rank, order, after) = if search.is_some() {
            (
                "(SELECT rowid AS id, bm25(product_search, 10.0, 1.0, 5.0, 8.0, 3.0) AS rank
                  FROM product_search WHERE product_search MATCH ?1) hits
                 JOIN products p ON p.id = hits.id",
                "hits.rank",
                "hits.rank, p.id",
                "AND hits.rank >= ?7 AND (hits.rank > ?7 OR p.id > ?8)",
            )
        } else {
            (
                "products p",
                "0.0",
                "p.title COLLATE NOCASE, p.id",
                // Written so that SQLite seeks the title index to the cursor.
                "AND p.title COLLATE NOCASE >= ?9 AND (p.title COLLATE NOCASE > ?9 OR p.id > ?8)",
            )
        };
        let after = if cursor_given { after } else { "" };
        let filters = "(?2 IS NULL OR p.status = ?2)
               AND (?3 IS NULL OR EXISTS (
                     SELECT 1 FROM collection_products cp JOIN collections c ON c.id = cp.collection_id
                     WHERE cp.product_id = p.id AND c.handle = ?3))
               AND (NOT ?4 OR EXISTS (
                     SELECT 1 FROM variant_stock s2 WHERE s2.product_id = p.id AND s2.available > 0))
               AND (?5 IS NULL AND ?6 IS NULL OR EXISTS (
                     SELECT 1 FROM variants v2 WHERE v2.product_id = p.id
                       AND (?5 IS NULL OR v2.price_minor >= ?5)
                       AND (?6 IS NULL OR v2.price_minor <= ?6)))";
        // The page's products first, then their prices and stock: summing the variants of
        // every matching product before the LIMIT took a second at 10,000 products. CROSS JOIN
        // keeps the page as the outer loop.
        let sql = format!(
            "WITH page AS MATERIALIZED (
                 SELECT p.id, {rank} AS rank FROM {source}
                 WHERE {filters} {after}
                 ORDER BY {order}
                 LIMIT ?10)
             SELECT p.id, p.handle, p.title, p.vendor, p.product_type, p.status,
                    min(v.price_minor), max(v.price_minor), min(v.currency), count(v.id),
                    coalesce(sum(s.on_hand), 0), coalesce(sum(max(s.available, 0)), 0),
                    coalesce(max(s.available > 0 AND s.available <= v.low_stock_threshold), 0),
                    page.rank
             FROM page
             CROSS JOIN products p ON p.id = page.id
             LEFT JOIN variants v ON v.product_id = p.id
             LEFT JOIN variant_stock s ON s.variant_id = v.id
             GROUP BY p.id
             ORDER BY {outer_order}",
            outer_order = if search.is_some() {
                "page.rank, p.id"
            } else {
                "p.title COLLATE NOCASE, p.id"
            },
        );
        let conn = self.read()?;
        let filter_params = params![
            search,
            query.status.map(ProductStatus::as_str),
            query.collection,
            query.in_stock,
            query.min_price,
            query.max_price,
        ];
        let total = if cursor_given {
            None
        } else {
            let count = format!("SELECT count(*) FROM {source} WHERE {filters}");
            Some(
                conn.prepare_cached(&count)?
                    .query_row(filter_params, |row| row.get(0))?,
            )
        };
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![
            search,
            query.status.map(ProductStatus::as_str),
            query.collection,
            query.in_stock,
            query.min_price,
            query.max_price,
            rank_after,
            id_after,
            title_after,
            limit + 1,
        ])?;
        let mut items = Vec::new();
        let mut ranks = Vec::new();
        while let Some(row) = rows.next()? {
            items.push(summary_from_row(row)?);
            ranks.push(row.get::<_, f64>(13)?);
        }
        drop(rows);
        drop(stmt);
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            let last = items.last().expect("a page over the limit is not empty");
            Some(
                if search.is_some() {
                    Cursor::Rank {
                        rank: ranks[limit as usize - 1],
                        id: last.id.0,
                    }
                } else {
                    Cursor::Title {
                        title: last.title.clone(),
                        id: last.id.0,
                    }
                }
                .encode(),
            )
        } else {
            None
        };
        attach_first_images(&conn, &mut items)?;
        Ok(ProductPage {
            items,
            next_cursor,
            total,
        })
    }
}

/// Where the previous page ended, carried by the client as an opaque string.
enum Cursor {
    Rank { rank: f64, id: i64 },
    Title { title: String, id: i64 },
}

impl Cursor {
    fn encode(&self) -> String {
        match self {
            Cursor::Rank { rank, id } => format!("r:{:016x}:{id}", rank.to_bits()),
            Cursor::Title { title, id } => format!("t:{id}:{title}"),
        }
    }

    fn decode(text: &str) -> Result<Cursor, Error> {
        let bad = || Error::invalid(format!("malformed page cursor \"{text}\""));
        let (kind, rest) = text.split_once(':').ok_or_else(bad)?;
        let (first, second) = rest.split_once(':').ok_or_else(bad)?;
        match kind {
            "r" => Ok(Cursor::Rank {
                rank: f64::from_bits(u64::from_str_radix(first, 16).map_err(|_| bad())?),
                id: second.parse().map_err(|_| bad())?,
            }),
            "t" => Ok(Cursor::Title {
                id: first.parse().map_err(|_| bad())?,
                title: second.to_owned(),
            }),
            _ => Err(bad()),
        }
    }
}

/// Turns what a customer types into an FTS5 query: every word, quoted, as a prefix, all
/// required. Punctuation separates words (as the index's tokenizer does), so no input can be a
/// syntax error. `None` when nothing searchable is left.
fn fts_query(input: &str) -> Option<String> {
    let words: Vec<String> = input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn summary_from_row(row: &Row<'_>) -> Result<ProductSummary, Error> {
    let status: String = row.get(5)?;
    let currency: Option<String> = row.get(8)?;
    let available: i64 = row.get(11)?;
    Ok(ProductSummary {
        id: ProductId(row.get(0)?),
        handle: row.get(1)?,
        title: row.get(2)?,
        vendor: row.get(3)?,
        product_type: row.get(4)?,
        status: status.parse()?,
        min_price: row.get(6)?,
        max_price: row.get(7)?,
        currency: currency.as_deref().map(Currency::new).transpose()?,
        variant_count: row.get(9)?,
        on_hand: row.get(10)?,
        available,
        low_stock: row.get(12)?,
        sold_out: available <= 0,
        image: None,
    })
}

fn attach_first_images(conn: &Connection, items: &mut [ProductSummary]) -> Result<(), Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT hash, width, height, alt FROM product_images
         WHERE product_id = ?1 ORDER BY position, id LIMIT 1",
    )?;
    for item in items {
        item.image = stmt.query_row([item.id.0], image_from_row).optional()?;
    }
    Ok(())
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

/// Inserts a product, its options, variants (with their initial stock) and collection links.
/// The caller owns the transaction.
pub(crate) fn insert_product(tx: &Connection, new: &NewProduct) -> Result<ProductId, Error> {
    check_handle(&new.handle)?;
    check_title(&new.title)?;
    tx.prepare_cached(
        "INSERT INTO products (handle, title, description, vendor, product_type, tags, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        new.handle,
        new.title.trim(),
        new.description,
        new.vendor,
        new.product_type,
        join_tags(&new.tags),
        new.status.unwrap_or(ProductStatus::Active).as_str(),
    ])
    .map_err(|e| unique_violation(e, || Error::DuplicateHandle(new.handle.clone())))?;
    let id = ProductId(tx.last_insert_rowid());
    write_options(tx, id, &new.handle, &new.options)?;
    for (position, variant) in new.variants.iter().enumerate() {
        insert_variant(tx, id, new.options.len(), position as i64, variant)
            .map_err(|e| at_variant(e, position))?;
    }
    write_collections(tx, id, &new.collections)?;
    Ok(id)
}

/// Writes a product's option names (the product has none yet).
fn write_options(
    tx: &Connection,
    id: ProductId,
    handle: &str,
    options: &[String],
) -> Result<(), Error> {
    if options.len() > MAX_OPTIONS {
        return Err(field_error(
            "options",
            format!(
                "product \"{handle}\" has {} options; at most {MAX_OPTIONS} are allowed",
                options.len()
            ),
        ));
    }
    for (position, name) in options.iter().enumerate() {
        if name.trim().is_empty() {
            return Err(field_error(
                "options",
                format!(
                    "option {} of product \"{handle}\" has no name",
                    position + 1
                ),
            ));
        }
        tx.prepare_cached(
            "INSERT INTO product_options (product_id, position, name) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![id.0, position as i64 + 1, name.trim()])
        .map_err(|e| {
            unique_violation(e, || {
                field_error(
                    "options",
                    format!("product \"{handle}\" has the option \"{name}\" twice"),
                )
            })
        })?;
    }
    Ok(())
}

/// Puts a product in the collections with these handles (it is in none yet).
fn write_collections(tx: &Connection, id: ProductId, collections: &[String]) -> Result<(), Error> {
    for collection in collections {
        let changed = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO collection_products (collection_id, product_id)
                 SELECT id, ?2 FROM collections WHERE handle = ?1",
            )?
            .execute(params![collection, id.0])?;
        if changed == 0 {
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM collections WHERE handle = ?1)",
                [collection],
                |row| row.get(0),
            )?;
            if !exists {
                return Err(Error::UnknownCollection(collection.clone()));
            }
        }
    }
    Ok(())
}

/// Brings the variants of `product` to those of `edit`: changes, adds and removes. The caller
/// owns the (immediate) transaction and has written the option names.
fn save_variants(tx: &Connection, product: ProductId, edit: &ProductEdit) -> Result<(), Error> {
    let currency = shop_currency(tx)?;
    let existing: Vec<(VariantId, String)> = tx
        .prepare_cached("SELECT id, sku FROM variants WHERE product_id = ?1")?
        .query_map([product.0], |row| Ok((VariantId(row.get(0)?), row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let kept: Vec<VariantId> = edit.variants.iter().filter_map(|v| v.id).collect();
    if let Some(stranger) = kept
        .iter()
        .find(|id| !existing.iter().any(|(e, _)| e == *id))
    {
        return Err(Error::invalid(format!(
            "variant #{} is not a variant of \"{}\"",
            stranger.0, edit.handle
        )));
    }
    for (index, variant) in edit.variants.iter().enumerate() {
        let sku = variant.sku.trim();
        let again = edit.variants[..index]
            .iter()
            .any(|other| other.sku.trim() == sku);
        if again {
            return Err(Error::InvalidField {
                field: "sku",
                variant: Some(index),
                message: format!("SKU \"{sku}\" is used twice in this product"),
            });
        }
    }
    for (id, sku) in existing.iter().filter(|(id, _)| !kept.contains(id)) {
        let ordered: bool = tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM order_lines WHERE variant_id = ?1)")?
            .query_row([id.0], |row| row.get(0))?;
        if ordered {
            return Err(Error::invalid(format!(
                "\"{sku}\" has been ordered, so it cannot be removed: archive the product instead"
            )));
        }
        tx.prepare_cached("DELETE FROM variants WHERE id = ?1")?
            .execute([id.0])?;
    }
    // Kept variants step out of the way first, so that two of them can swap option values or
    // SKUs without tripping the unique indexes halfway.
    for id in &kept {
        tx.prepare_cached(
            "UPDATE variants SET sku = '~' || id, option1 = '~' || id, option2 = NULL,
                 option3 = NULL
             WHERE id = ?1",
        )?
        .execute([id.0])?;
    }
    for (index, variant) in edit.variants.iter().enumerate() {
        let new = NewVariant {
            sku: variant.sku.clone(),
            options: variant.options.clone(),
            price: Money::new(variant.price, currency),
            compare_at: variant.compare_at_price.map(|m| Money::new(m, currency)),
            barcode: variant.barcode.clone(),
            weight_grams: variant.weight_grams,
            on_hand: 0,
            low_stock_threshold: variant.low_stock_threshold,
        };
        let result = match variant.id {
            None => insert_variant(tx, product, edit.options.len(), index as i64, &new).map(drop),
            Some(id) => update_edited_variant(tx, id, edit.options.len(), index as i64, &new),
        };
        result
            .map_err(|e| match e {
                Error::DuplicateSku(sku) => field_error(
                    "sku",
                    format!("SKU \"{sku}\" is already used by another variant"),
                ),
                other => other,
            })
            .map_err(|e| at_variant(e, index))?;
    }
    Ok(())
}

/// Writes an edited variant's fields over the stored ones, after the checks a new one passes.
fn update_edited_variant(
    tx: &Connection,
    id: VariantId,
    option_count: usize,
    position: i64,
    new: &NewVariant,
) -> Result<(), Error> {
    let sku = new.sku.trim();
    check_variant(tx, option_count, new)?;
    let option = |i: usize| new.options.get(i).map(|v| v.trim());
    tx.prepare_cached(
        "UPDATE variants SET sku = ?2, option1 = ?3, option2 = ?4, option3 = ?5,
             price_minor = ?6, compare_at_minor = ?7, barcode = ?8, weight_grams = ?9,
             low_stock_threshold = ?10, position = ?11,
             updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE id = ?1",
    )?
    .execute(params![
        id.0,
        sku,
        option(0),
        option(1),
        option(2),
        new.price.amount,
        new.compare_at.map(|m| m.amount),
        new.barcode
            .as_deref()
            .map(str::trim)
            .filter(|b| !b.is_empty()),
        new.weight_grams,
        new.low_stock_threshold,
        position,
    ])
    .map_err(|e| variant_unique_violation(e, sku, &new.options))?;
    Ok(())
}

fn insert_variant(
    tx: &Connection,
    product: ProductId,
    option_count: usize,
    position: i64,
    new: &NewVariant,
) -> Result<VariantId, Error> {
    let sku = new.sku.trim();
    check_variant(tx, option_count, new)?;

    let option = |i: usize| new.options.get(i).map(|v| v.trim());
    tx.prepare_cached(
        "INSERT INTO variants (product_id, sku, option1, option2, option3, price_minor,
                               compare_at_minor, currency, barcode, weight_grams,
                               low_stock_threshold, position)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        product.0,
        sku,
        option(0),
        option(1),
        option(2),
        new.price.amount,
        new.compare_at.map(|m| m.amount),
        new.price.currency.code(),
        new.barcode
            .as_deref()
            .map(str::trim)
            .filter(|b| !b.is_empty()),
        new.weight_grams,
        new.low_stock_threshold,
        position,
    ])
    .map_err(|e| variant_unique_violation(e, sku, &new.options))?;
    let id = VariantId(tx.last_insert_rowid());
    if new.on_hand > 0 {
        inventory::record_movement(
            tx,
            id,
            new.on_hand,
            StockReason::Received,
            None,
            "Initial stock",
        )?;
    }
    Ok(id)
}

/// The checks every variant passes, new or edited.
fn check_variant(conn: &Connection, option_count: usize, new: &NewVariant) -> Result<(), Error> {
    let sku = new.sku.trim();
    check_sku(sku)?;
    if new.options.len() != option_count {
        return Err(field_error(
            "options",
            format!(
                "variant \"{sku}\" has {} option values but its product has {option_count} options",
                new.options.len()
            ),
        ));
    }
    if new.options.iter().any(|v| v.trim().is_empty()) {
        return Err(field_error(
            "options",
            format!("variant \"{sku}\" has an empty option value"),
        ));
    }
    check_price(conn, sku, "price", new.price)?;
    if let Some(compare_at) = new.compare_at {
        check_price(conn, sku, "compare_at_price", compare_at)?;
    }
    check_non_negative(sku, "weight_grams", new.weight_grams)?;
    check_non_negative(sku, "on_hand", new.on_hand)?;
    check_non_negative(sku, "low_stock_threshold", new.low_stock_threshold)
}

/// A variant's SKU or option values clashing with another variant's, in words.
fn variant_unique_violation(e: rusqlite::Error, sku: &str, options: &[String]) -> Error {
    match &e {
        rusqlite::Error::SqliteFailure(_, Some(msg)) if msg.contains("variants.sku") => {
            Error::DuplicateSku(sku.to_owned())
        }
        rusqlite::Error::SqliteFailure(_, Some(msg)) if msg.contains("UNIQUE") => field_error(
            "options",
            format!("variant \"{sku}\" repeats the options {options:?} of another variant"),
        ),
        _ => e.into(),
    }
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
        s.available, v.low_stock_threshold
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
    Ok(Ok(Variant {
        id: VariantId(row.get(0)?),
        sku: row.get(1)?,
        options,
        price_minor: row.get(5)?,
        compare_at_minor: row.get(6)?,
        currency,
        barcode: row.get(8)?,
        weight_grams: row.get(9)?,
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
        .prepare_cached("SELECT value FROM settings WHERE key = 'currency'")?
        .query_row([], |row| row.get(0))
        .optional()?;
    Ok(code
        .as_deref()
        .map(Currency::new)
        .transpose()?
        .unwrap_or(Currency::USD))
}

/// An [`Error::InvalidField`] about `field`, not yet tied to a variant's position.
fn field_error(field: &'static str, message: String) -> Error {
    Error::InvalidField {
        field,
        variant: None,
        message,
    }
}

/// `e`, if it is about a field, as being about the variant at `index` of what was sent.
fn at_variant(e: Error, index: usize) -> Error {
    match e {
        Error::InvalidField { field, message, .. } => Error::InvalidField {
            field,
            variant: Some(index),
            message,
        },
        other => other,
    }
}

/// The words a message uses for a variant field.
fn field_words(field: &'static str) -> &'static str {
    match field {
        "compare_at_price" => "compare-at price",
        "weight_grams" => "weight",
        "low_stock_threshold" => "low-stock threshold",
        "on_hand" => "stock on hand",
        other => other,
    }
}

fn check_price(
    conn: &Connection,
    sku: &str,
    field: &'static str,
    price: Money,
) -> Result<(), Error> {
    let what = field_words(field);
    if price.amount < 0 {
        return Err(field_error(
            field,
            format!("{what} of \"{sku}\" is negative ({price})"),
        ));
    }
    let currency = shop_currency(conn)?;
    if price.currency != currency {
        return Err(field_error(
            field,
            format!(
                "{what} of \"{sku}\" is in {} but the shop sells in {currency}",
                price.currency
            ),
        ));
    }
    Ok(())
}

fn check_non_negative(sku: &str, field: &'static str, value: i64) -> Result<(), Error> {
    if value < 0 {
        return Err(field_error(
            field,
            format!("{} of \"{sku}\" is negative ({value})", field_words(field)),
        ));
    }
    Ok(())
}

fn check_handle(handle: &str) -> Result<(), Error> {
    let ok = !handle.is_empty()
        && handle
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(field_error(
            "handle",
            format!(
                "handle \"{handle}\" must be lower-case letters, digits and dashes, e.g. ukraine-flag"
            ),
        ))
    }
}

fn check_title(title: &str) -> Result<(), Error> {
    if title.trim().is_empty() {
        Err(field_error("title", "title is empty".to_owned()))
    } else {
        Ok(())
    }
}

fn check_sku(sku: &str) -> Result<(), Error> {
    if sku.is_empty() || sku.chars().any(char::is_whitespace) {
        Err(field_error(
            "sku",
            format!("SKU \"{sku}\" must be non-empty and contain no spaces"),
        ))
    } else {
        Ok(())
    }
}

fn join_tags(tags: &[String]) -> String {
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

/// Maps a UNIQUE constraint failure to a domain error; other errors stay database errors.
fn unique_violation(e: rusqlite::Error, domain: impl FnOnce() -> Error) -> Error {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation)
            if e.to_string().contains("UNIQUE constraint failed") =>
        {
            domain()
        }
        _ => e.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_become_quoted_prefixes() {
        assert_eq!(fts_query("snak isl").as_deref(), Some("\"snak\"* \"isl\"*"));
        assert_eq!(
            fts_query("UA-SNK \"3x5").as_deref(),
            Some("\"UA\"* \"SNK\"* \"3x5\"*")
        );
        assert_eq!(fts_query("  ()*\" "), None);
    }

    #[test]
    fn cursors_round_trip() {
        let c = Cursor::Title {
            title: "Flag: a:b".into(),
            id: 7,
        };
        match Cursor::decode(&c.encode()).unwrap() {
            Cursor::Title { title, id } => assert_eq!((title.as_str(), id), ("Flag: a:b", 7)),
            Cursor::Rank { .. } => panic!("wrong kind"),
        }
        let c = Cursor::Rank { rank: -3.25, id: 9 };
        match Cursor::decode(&c.encode()).unwrap() {
            Cursor::Rank { rank, id } => assert_eq!((rank, id), (-3.25, 9)),
            Cursor::Title { .. } => panic!("wrong kind"),
        }
        assert!(Cursor::decode("nonsense").is_err());
    }

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

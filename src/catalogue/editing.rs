//! Changing the catalogue: creating and saving products (the editor saves a whole product at
//! once, or nothing), their options and variants, archiving, and each variant's stock at creation.

use rusqlite::{Connection, TransactionBehavior, params};

use super::rules::{
    at_variant, check_handle, check_non_negative, check_price, check_sku, check_title,
    check_variant, field_error,
};
use super::{
    MAX_OPTIONS, NewProduct, NewVariant, Product, ProductEdit, ProductId, ProductStatus,
    ProductUpdate, Variant, VariantId, VariantUpdate, join_tags, load_product, load_variant,
    product_id, shop_currency,
};
use crate::inventory::{self, StockReason};
use crate::money::Money;
use crate::{Error, Shop};

impl Shop {
    /// Creates a product with its options and variants in one transaction. Each variant's
    /// initial stock becomes a `received` ledger entry.
    pub fn create_product(&self, new: &NewProduct) -> Result<Product, Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = insert_product(&tx, new)?;
        tx.commit()?;
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
                 updated_at = shop_now()
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
        let id = save_edit(&tx, handle, edit)?;
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
                     updated_at = shop_now()
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
                 updated_at = shop_now()
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
}

/// What [`Shop::save_product`] does, inside the caller's (immediate) transaction: the product
/// import saves through the same rules as the editor.
pub(crate) fn save_edit(
    tx: &Connection,
    handle: Option<&str>,
    edit: &ProductEdit,
) -> Result<ProductId, Error> {
    let id = match handle {
        None => insert_product(
            tx,
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
            let id = product_id(tx, handle)?;
            check_title(&edit.title)?;
            tx.execute(
                "UPDATE products SET title = ?2, description = ?3, vendor = ?4,
                     product_type = ?5, tags = ?6, status = ?7,
                     updated_at = shop_now()
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
            write_options(tx, id, handle, &edit.options)?;
            tx.execute(
                "DELETE FROM collection_products WHERE product_id = ?1",
                [id.0],
            )?;
            write_collections(tx, id, &edit.collections)?;
            id
        }
    };
    save_variants(tx, id, edit)?;
    Ok(id)
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
             updated_at = shop_now()
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

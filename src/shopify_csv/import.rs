//! Importing a Shopify product CSV: each planned product is compared with the shop (create,
//! update, unchanged), then written in a short transaction of its own through the editor's
//! own rules, so a refused product writes nothing, no product is ever half written and the
//! window stays responsive. A dry run does the same work and rolls every transaction back, so
//! what it shows is what the import will do.
//!
//! Stock: a new variant starts at the file's quantity (a `received` ledger entry naming the
//! file). An existing variant's stock is left alone, because a re-import after a week of sales
//! must not undo them, unless `set_stock` is asked for: then on-hand becomes the file's
//! quantity through one `correction` entry, refused for a variant whose open orders have
//! reserved more. Importing the same file twice changes nothing the second time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior, params};
use serde::Serialize;
use ts_rs::TS;

use super::columns::Column;
use super::images::{self, ImageJob};
use super::plan::{PlannedProduct, PlannedVariant, plan_products};
use super::{CsvCatalogue, Problem, Severity, assign_skus, read_products};
use crate::catalogue::{self, Product, ProductEdit, ProductId, VariantEdit, VariantId, save_edit};
use crate::inventory::{self, StockReason};
use crate::money::{Currency, Money};
use crate::{Error, Shop};

/// A product CSV to import: its bytes, its name (for messages and the ledger) and the folder
/// its relative image paths start from, when it came from a file.
pub struct CsvSource {
    pub name: String,
    pub bytes: Vec<u8>,
    pub base_dir: Option<PathBuf>,
}

impl CsvSource {
    pub fn from_file(path: &Path) -> Result<CsvSource, Error> {
        let bytes = std::fs::read(path)
            .map_err(|e| Error::invalid(format!("cannot read {}: {e}", path.display())))?;
        Ok(CsvSource {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string()),
            bytes,
            base_dir: path.parent().map(Path::to_path_buf),
        })
    }
}

#[derive(Clone, Copy, Debug)]
pub struct ImportOptions {
    /// Show what would change; write nothing.
    pub dry_run: bool,
    /// Set existing variants' on-hand stock to the file's quantities.
    pub set_stock: bool,
    /// The most one image download may take, from asking to the last byte.
    pub image_timeout: Duration,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            dry_run: false,
            set_stock: false,
            image_timeout: images::DOWNLOAD_TIMEOUT,
        }
    }
}

/// What the shop's settings give an imported product: prices in its currency, and the
/// low-stock threshold of a new variant (the one the editor gives it too).
#[derive(Clone, Copy)]
struct ShopDefaults {
    currency: Currency,
    low_stock: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ProductAction {
    Create,
    Update,
    Unchanged,
    Refused,
}

/// What the import does (or did) to one product of the file.
#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct ProductOutcome {
    pub handle: String,
    pub title: String,
    /// The spreadsheet row of the product's first line.
    #[ts(type = "number")]
    pub row: usize,
    pub action: ProductAction,
    /// What changes, in words ("price of TEE-S: 19.99 → 24.99"); why, for a refused product.
    pub changes: Vec<String>,
    #[ts(type = "number")]
    pub variants: usize,
}

/// One stock movement the import makes.
#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct StockChange {
    pub sku: String,
    #[ts(type = "number")]
    pub row: usize,
    pub from: i64,
    pub to: i64,
    pub reason: StockReason,
}

/// An image the import could not bring in; the product was imported without it, and
/// "retry images" tries again.
#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct ImageFailure {
    pub handle: String,
    pub source: String,
    pub message: String,
}

#[derive(Clone, Debug, Default, Serialize, TS)]
#[ts(export)]
pub struct ImportReport {
    pub file: String,
    pub dry_run: bool,
    #[ts(type = "number")]
    pub created: usize,
    #[ts(type = "number")]
    pub updated: usize,
    #[ts(type = "number")]
    pub unchanged: usize,
    #[ts(type = "number")]
    pub refused: usize,
    #[ts(type = "number")]
    pub variants_created: usize,
    #[ts(type = "number")]
    pub variants_updated: usize,
    /// Images stored by this import (in a dry run: images it would fetch).
    #[ts(type = "number")]
    pub images_added: usize,
    pub images_failed: Vec<ImageFailure>,
    pub stock_changes: Vec<StockChange>,
    pub products: Vec<ProductOutcome>,
    pub problems: Vec<Problem>,
    /// Columns of the file Flagshop does not import (markets, SEO, Google Shopping, …).
    pub ignored_columns: Vec<String>,
}

impl ImportReport {
    /// Whether anything was kept out: a refused product, a skipped row, a refused stock change.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }
}

/// How far an import has come, for a progress bar.
#[derive(Clone, Copy, Debug, Serialize, TS)]
#[ts(export)]
pub struct ImportProgress {
    pub phase: ImportPhase,
    #[ts(type = "number")]
    pub done: usize,
    #[ts(type = "number")]
    pub total: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ImportPhase {
    Products,
    Images,
}

impl Shop {
    /// Imports (or with `dry_run`, previews) a Shopify product CSV. Fails only when the file
    /// is not a product CSV at all; everything else is in the report, row by row.
    pub fn import_products(
        &self,
        source: &CsvSource,
        options: ImportOptions,
        progress: &(dyn Fn(ImportProgress) + Sync),
    ) -> Result<ImportReport, Error> {
        let mut catalogue = read_products(source.bytes.as_slice())
            .map_err(|problem| Error::invalid(format!("{}: {}", source.name, problem.message)))?;
        assign_skus(&mut catalogue);
        let defaults = ShopDefaults {
            currency: self.currency()?,
            low_stock: self.low_stock_default()?,
        };
        let mut report = ImportReport {
            file: source.name.clone(),
            dry_run: options.dry_run,
            ignored_columns: std::mem::take(&mut catalogue.ignored_columns),
            problems: std::mem::take(&mut catalogue.problems),
            ..ImportReport::default()
        };
        let planned = plan_products(&catalogue, defaults.currency, &mut report.problems);
        if !options.dry_run && !planned.is_empty() && self.has_products()? {
            // An import can change many products at once: the shop as it was is kept.
            self.create_backup(None, "before import")?;
        }
        report_refused(&catalogue, &planned, &mut report);

        let total = planned.len();
        let mut jobs: Vec<ImageJob> = Vec::new();
        for (done, product) in planned.iter().enumerate() {
            progress(ImportProgress {
                phase: ImportPhase::Products,
                done,
                total,
            });
            match self.import_product(product, source, options, defaults, &catalogue, &mut report) {
                Ok(Some(id)) => jobs.extend(images::missing(
                    &self.conn(),
                    id,
                    product,
                    source.base_dir.as_deref(),
                )?),
                Ok(None) => {}
                Err(problem) => {
                    report.refused += 1;
                    report.products.push(outcome(
                        product,
                        ProductAction::Refused,
                        vec![problem.message.clone()],
                    ));
                    report.problems.push(problem);
                }
            }
        }
        progress(ImportProgress {
            phase: ImportPhase::Products,
            done: total,
            total,
        });
        if options.dry_run {
            report.images_added = jobs.len();
        } else {
            let fetched = images::fetch_all(self, &jobs, options.image_timeout, progress);
            report.images_added = fetched.added;
            report.images_failed = fetched.failed;
        }
        report.products.sort_by_key(|p| p.row);
        report.problems.sort_by_key(|p| p.row);
        tracing::info!(
            file = source.name,
            dry_run = options.dry_run,
            created = report.created,
            updated = report.updated,
            unchanged = report.unchanged,
            refused = report.refused,
            "products imported"
        );
        Ok(report)
    }

    /// Compares one product with the shop and writes it in its own transaction (rolled back in
    /// a dry run). Returns the product's id when its images are to be looked at, or the problem
    /// that refused it.
    fn import_product(
        &self,
        planned: &PlannedProduct,
        source: &CsvSource,
        options: ImportOptions,
        defaults: ShopDefaults,
        catalogue: &CsvCatalogue,
        report: &mut ImportReport,
    ) -> Result<Option<ProductId>, Problem> {
        let refused = |e: Error| refusal(planned, catalogue, e);
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| refused(e.into()))?;
        let existing = match catalogue::product_id(&tx, &planned.handle) {
            Ok(id) => Some(catalogue::load_product(&tx, id).map_err(refused)?),
            Err(Error::UnknownProduct(_)) => None,
            Err(e) => return Err(refused(e)),
        };
        let sources = match &existing {
            Some(product) => image_sources(&tx, product.id).map_err(|e| refused(e.into()))?,
            None => HashMap::new(),
        };
        let matched = match_variants(planned, existing.as_ref());
        let (changes, variants_changed) = describe_changes(
            planned,
            existing.as_ref(),
            &matched,
            &sources,
            defaults.currency,
        );
        let action = match (&existing, changes.is_empty()) {
            (None, _) => ProductAction::Create,
            (Some(_), false) => ProductAction::Update,
            (Some(_), true) => ProductAction::Unchanged,
        };
        let mut stock = Vec::new();
        let id = if action == ProductAction::Unchanged {
            existing.as_ref().map(|p| p.id)
        } else {
            let edit = product_edit(planned, existing.as_ref(), &matched, defaults.low_stock);
            let id = save_edit(&tx, existing.as_ref().map(|p| p.handle.as_str()), &edit)
                .map_err(|e| refusal_in(planned, &edit, catalogue, e))?;
            write_extras(&tx, planned).map_err(refused)?;
            Some(id)
        };
        // Stock last: the variants now exist, each with its final SKU.
        for variant in &planned.variants {
            match stock_change(&tx, variant, &matched, options, &source.name) {
                Ok(Some(change)) => stock.push(change),
                Ok(None) => {}
                Err(e) => report.problems.push(Problem::error(
                    variant.row,
                    Some(catalogue.header(Column::InventoryQty)),
                    format!("stock of {} left as it is: {e}", variant.sku),
                )),
            }
        }
        let action = if action == ProductAction::Unchanged && !stock.is_empty() {
            ProductAction::Update
        } else {
            action
        };
        if options.dry_run {
            drop(tx);
        } else {
            tx.commit().map_err(|e| refused(e.into()))?;
        }
        match action {
            ProductAction::Create => report.created += 1,
            ProductAction::Update => report.updated += 1,
            _ => report.unchanged += 1,
        }
        let new_variants = planned.variants.len() - matched.iter().flatten().count();
        report.variants_created += new_variants;
        if action == ProductAction::Update {
            report.variants_updated += variants_changed;
        }
        report.stock_changes.extend(stock);
        report.products.push(outcome(planned, action, changes));
        Ok(id)
    }
}

fn outcome(
    planned: &PlannedProduct,
    action: ProductAction,
    changes: Vec<String>,
) -> ProductOutcome {
    ProductOutcome {
        handle: planned.handle.clone(),
        title: planned.title.clone(),
        row: planned.row,
        action,
        changes,
        variants: planned.variants.len(),
    }
}

/// Products the plan refused (a bad cell) appear in the report's list too, with why.
fn report_refused(catalogue: &CsvCatalogue, planned: &[PlannedProduct], report: &mut ImportReport) {
    for product in &catalogue.products {
        if planned.iter().any(|p| p.row == product.row) {
            continue;
        }
        let reasons: Vec<String> = report
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .filter(|p| {
                p.row == product.row
                    || product.variants.iter().any(|v| v.row == p.row)
                    || product.images.iter().any(|i| i.row == p.row)
            })
            .map(|p| match &p.column {
                Some(column) => format!("row {}, {column}: {}", p.row, p.message),
                None => format!("row {}: {}", p.row, p.message),
            })
            .collect();
        report.refused += 1;
        report.products.push(ProductOutcome {
            handle: product.handle.clone(),
            title: product.title.clone(),
            row: product.row,
            action: ProductAction::Refused,
            changes: reasons,
            variants: product.variants.len(),
        });
    }
}

/// For each planned variant, the shop's variant it updates: the one with its SKU, else one
/// with its option values that no other planned variant claimed.
fn match_variants(planned: &PlannedProduct, existing: Option<&Product>) -> Vec<Option<VariantId>> {
    let Some(existing) = existing else {
        return vec![None; planned.variants.len()];
    };
    let mut claimed: Vec<VariantId> = Vec::new();
    let mut matched: Vec<Option<VariantId>> = planned
        .variants
        .iter()
        .map(|v| {
            let id = existing
                .variants
                .iter()
                .find(|e| e.sku == v.sku)
                .map(|e| e.id);
            claimed.extend(id);
            id
        })
        .collect();
    for (slot, variant) in matched.iter_mut().zip(&planned.variants) {
        if slot.is_none() {
            let by_options = existing
                .variants
                .iter()
                .find(|e| e.options == variant.options && !claimed.contains(&e.id));
            if let Some(e) = by_options {
                claimed.push(e.id);
                *slot = Some(e.id);
            }
        }
    }
    matched
}

/// The `image_source` of each of the product's variants.
fn image_sources(
    conn: &Connection,
    product: ProductId,
) -> rusqlite::Result<HashMap<VariantId, Option<String>>> {
    conn.prepare_cached("SELECT id, image_source FROM variants WHERE product_id = ?1")?
        .query_map([product.0], |row| Ok((VariantId(row.get(0)?), row.get(1)?)))?
        .collect()
}

/// What writing `planned` changes in `existing`, in words (empty when nothing does), and how
/// many of the shop's variants change.
fn describe_changes(
    planned: &PlannedProduct,
    existing: Option<&Product>,
    matched: &[Option<VariantId>],
    sources: &HashMap<VariantId, Option<String>>,
    currency: Currency,
) -> (Vec<String>, usize) {
    let Some(existing) = existing else {
        return (Vec::new(), 0);
    };
    let mut changes = Vec::new();
    let mut field = |name: &str, from: String, to: String| {
        if from != to {
            changes.push(format!("{name}: {} → {}", shorten(&from), shorten(&to)));
        }
    };
    field("title", existing.title.clone(), planned.title.clone());
    field(
        "description",
        existing.description.clone(),
        planned.description.clone(),
    );
    field(
        "vendor",
        existing.vendor.clone(),
        planned.vendor.trim().to_owned(),
    );
    field(
        "type",
        existing.product_type.clone(),
        planned.product_type.trim().to_owned(),
    );
    field(
        "tags",
        existing.tags.join(", "),
        catalogue::join_tags(&planned.tags),
    );
    field(
        "status",
        existing.status.as_str().to_owned(),
        planned.status.as_str().to_owned(),
    );
    field(
        "options",
        existing.options.join(", "),
        planned.options.join(", "),
    );
    let money = |minor: Option<i64>| {
        minor.map_or_else(
            || "none".to_owned(),
            |m| Money::new(m, currency).format_amount(),
        )
    };
    let mut variants_changed = 0;
    for (variant, id) in planned.variants.iter().zip(matched) {
        let before = changes.len();
        let Some(old) = id.and_then(|id| existing.variants.iter().find(|v| v.id == id)) else {
            changes.push(format!(
                "new variant {} ({})",
                variant.sku,
                variant.options.join(" / ")
            ));
            continue;
        };
        let sku = &variant.sku;
        let mut field = |name: &str, from: String, to: String| {
            if from != to {
                changes.push(format!(
                    "{name} of {sku}: {} → {}",
                    shorten(&from),
                    shorten(&to)
                ));
            }
        };
        field("SKU", old.sku.clone(), variant.sku.clone());
        field(
            "options",
            old.options.join(" / "),
            variant.options.join(" / "),
        );
        field(
            "price",
            money(Some(old.price_minor)),
            money(Some(variant.price)),
        );
        field(
            "compare-at price",
            money(old.compare_at_minor),
            money(variant.compare_at),
        );
        field("cost", money(old.cost_per_item), money(variant.cost));
        field(
            "weight",
            format!("{} g", old.weight_grams),
            format!("{} g", variant.weight_grams),
        );
        field(
            "weight unit",
            old.weight_unit.as_str().to_owned(),
            variant.weight_unit.as_str().to_owned(),
        );
        if let Some(barcode) = &variant.barcode {
            field(
                "barcode",
                old.barcode.clone().unwrap_or_default(),
                barcode.clone().unwrap_or_default(),
            );
        }
        field(
            "image",
            sources.get(&old.id).cloned().flatten().unwrap_or_default(),
            variant.image.clone().unwrap_or_default(),
        );
        if changes.len() > before {
            variants_changed += 1;
        }
    }
    let position_changed = matched
        .iter()
        .flatten()
        .zip(existing.variants.iter().map(|v| v.id))
        .any(|(planned, stored)| *planned != stored);
    if position_changed && changes.is_empty() {
        changes.push("variant order".to_owned());
    }
    (changes, variants_changed)
}

fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    let text = if text.is_empty() { "(empty)" } else { text };
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > MAX {
        format!("{}…", one_line.chars().take(MAX).collect::<String>())
    } else {
        one_line
    }
}

/// The editor's view of the product after the import: the file's fields and variants, then
/// the shop's variants the file does not mention, kept as they are.
fn product_edit(
    planned: &PlannedProduct,
    existing: Option<&Product>,
    matched: &[Option<VariantId>],
    low_stock: i64,
) -> ProductEdit {
    let mut variants: Vec<VariantEdit> = planned
        .variants
        .iter()
        .zip(matched)
        .map(|(v, id)| {
            let old = id.and_then(|id| existing?.variants.iter().find(|e| e.id == id));
            VariantEdit {
                id: *id,
                sku: v.sku.clone(),
                options: v.options.clone(),
                price: v.price,
                compare_at_price: v.compare_at,
                barcode: match &v.barcode {
                    Some(barcode) => barcode.clone(),
                    None => old.and_then(|o| o.barcode.clone()),
                },
                weight_grams: v.weight_grams,
                low_stock_threshold: old.map_or(low_stock, |o| o.low_stock_threshold),
            }
        })
        .collect();
    if let Some(existing) = existing {
        for old in &existing.variants {
            if !matched.contains(&Some(old.id)) {
                variants.push(VariantEdit {
                    id: Some(old.id),
                    sku: old.sku.clone(),
                    options: old.options.clone(),
                    price: old.price_minor,
                    compare_at_price: old.compare_at_minor,
                    barcode: old.barcode.clone(),
                    weight_grams: old.weight_grams,
                    low_stock_threshold: old.low_stock_threshold,
                });
            }
        }
    }
    ProductEdit {
        handle: planned.handle.clone(),
        title: planned.title.clone(),
        description: planned.description.clone(),
        vendor: planned.vendor.clone(),
        product_type: planned.product_type.clone(),
        tags: planned.tags.clone(),
        status: planned.status,
        options: planned.options.clone(),
        collections: existing.map(|p| p.collections.clone()).unwrap_or_default(),
        variants,
    }
}

/// What the editor does not carry: cost, weight unit and the variant's image.
fn write_extras(tx: &Connection, planned: &PlannedProduct) -> Result<(), Error> {
    for variant in &planned.variants {
        tx.prepare_cached(
            "UPDATE variants SET cost_minor = ?2, weight_unit = ?3, image_source = ?4
             WHERE sku = ?1",
        )?
        .execute(params![
            variant.sku,
            variant.cost,
            variant.weight_unit.as_str(),
            variant.image
        ])?;
    }
    Ok(())
}

/// The stock movement the file asks of one variant, written in the caller's transaction.
fn stock_change(
    tx: &Connection,
    variant: &PlannedVariant,
    matched: &[Option<VariantId>],
    options: ImportOptions,
    file: &str,
) -> Result<Option<StockChange>, Error> {
    let Some(quantity) = variant.quantity else {
        return Ok(None);
    };
    let id = inventory::variant_id(tx, &variant.sku)?;
    let is_new = !matched.contains(&Some(id));
    if !is_new && !options.set_stock {
        return Ok(None);
    }
    let on_hand: i64 = tx.query_row(
        "SELECT on_hand FROM variants WHERE id = ?1",
        [id.0],
        |row| row.get(0),
    )?;
    let delta = quantity - on_hand;
    if delta == 0 {
        return Ok(None);
    }
    let (reason, note) = if is_new {
        (StockReason::Received, format!("Imported from {file}"))
    } else {
        (StockReason::Correction, format!("Stock set by {file}"))
    };
    inventory::record_movement(tx, id, delta, reason, None, &note)?;
    Ok(Some(StockChange {
        sku: variant.sku.clone(),
        row: variant.row,
        from: on_hand,
        to: quantity,
        reason,
    }))
}

/// A refusal of the whole product, at its first row.
fn refusal(planned: &PlannedProduct, catalogue: &CsvCatalogue, e: Error) -> Problem {
    let column = match &e {
        Error::DuplicateHandle(_) => Some(catalogue.header(Column::Handle)),
        _ => None,
    };
    Problem::error(planned.row, column, format!("not imported: {e}"))
}

/// A refusal from the editor's rules, at the row and column of the field they name.
fn refusal_in(
    planned: &PlannedProduct,
    edit: &ProductEdit,
    catalogue: &CsvCatalogue,
    e: Error,
) -> Problem {
    let (row, column) = match &e {
        Error::InvalidField { field, variant, .. } => {
            let row = variant
                .and_then(|i| planned.variants.get(i))
                .map_or(planned.row, |v| v.row);
            (row, field_column(field))
        }
        Error::DuplicateSku(sku) => (
            planned
                .variants
                .iter()
                .find(|v| &v.sku == sku)
                .map_or(planned.row, |v| v.row),
            Some(Column::Sku),
        ),
        _ => (planned.row, None),
    };
    let kept = edit.variants.len() - planned.variants.len();
    let hint = if kept > 0
        && matches!(
            e,
            Error::InvalidField {
                field: "options",
                ..
            }
        ) {
        format!(
            " ({kept} of the shop's variants are not in the file and keep their options: add \
             them to the file, or remove them in Flagshop first)"
        )
    } else {
        String::new()
    };
    Problem::error(
        row,
        column.map(|c| catalogue.header(c)),
        format!("not imported: {e}{hint}"),
    )
}

/// The CSV column of an editor field.
fn field_column(field: &str) -> Option<Column> {
    Some(match field {
        "handle" => Column::Handle,
        "title" => Column::Title,
        "sku" => Column::Sku,
        "price" => Column::Price,
        "compare_at_price" => Column::CompareAtPrice,
        "weight_grams" => Column::Grams,
        "options" => Column::OptionValue(0),
        _ => return None,
    })
}

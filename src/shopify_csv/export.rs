//! Exporting the catalogue as Shopify's product CSV, in its current template (the 2025 column
//! names) or, for older tools, the 2023 one. Shopify's layout: a product's first row carries
//! its fields, its first variant and its first image; each further variant is a row; images
//! beyond the variants are image-only rows. Descriptions go out as HTML.
//!
//! Streamed: products are read one at a time inside one read transaction (a consistent
//! snapshot while the shop keeps selling), so 100,000 products never sit in memory at once.
//! Images imported from a URL keep it; the others are copied beside the CSV (`<name>-images/`)
//! and named by relative path, which the import reads back.

use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};
use serde::Serialize;

use super::columns::Column;
use super::html::markdown_to_html;
use super::images;
use crate::catalogue::{self, Product, ProductId, ProductStatus};
use crate::money::Money;
use crate::{Error, Shop};
use crate::{files, media};

/// Which products, and how.
#[derive(Clone, Debug, Default)]
pub struct ExportOptions {
    pub status: Option<ProductStatus>,
    /// A collection's handle.
    pub collection: Option<String>,
    /// The 2023 header names (`Handle`, `Variant SKU`, `Image Src`, …) older tools read.
    pub legacy_header: bool,
}

/// What an export wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ExportSummary {
    pub file: String,
    #[ts(type = "number")]
    pub products: usize,
    #[ts(type = "number")]
    pub variants: usize,
    #[ts(type = "number")]
    pub rows: usize,
    /// Images copied into the folder beside the file.
    #[ts(type = "number")]
    pub images_copied: usize,
}

/// A column of the export: one Flagshop reads back, or a fixed fact of how Flagshop sells
/// (stock tracked, no overselling, shipped goods) that Shopify's importer wants spelled out.
#[derive(Clone, Copy)]
enum Out {
    Read(Column),
    Fact {
        current: &'static str,
        legacy: &'static str,
        value: &'static str,
    },
}

/// The export's columns, in the order of Shopify's 2025 template.
const COLUMNS: [Out; 33] = [
    Out::Read(Column::Title),
    Out::Read(Column::Handle),
    Out::Read(Column::Body),
    Out::Read(Column::Vendor),
    Out::Read(Column::ProductCategory),
    Out::Read(Column::Type),
    Out::Read(Column::Tags),
    Out::Read(Column::Published),
    Out::Read(Column::Status),
    Out::Read(Column::Sku),
    Out::Read(Column::Barcode),
    Out::Read(Column::OptionName(0)),
    Out::Read(Column::OptionValue(0)),
    Out::Read(Column::OptionName(1)),
    Out::Read(Column::OptionValue(1)),
    Out::Read(Column::OptionName(2)),
    Out::Read(Column::OptionValue(2)),
    Out::Read(Column::Price),
    Out::Read(Column::CompareAtPrice),
    Out::Read(Column::CostPerItem),
    Out::Fact {
        current: "Charge tax",
        legacy: "Variant Taxable",
        value: "TRUE",
    },
    Out::Fact {
        current: "Inventory tracker",
        legacy: "Variant Inventory Tracker",
        value: "shopify",
    },
    Out::Read(Column::InventoryQty),
    Out::Fact {
        current: "Continue selling when out of stock",
        legacy: "Variant Inventory Policy",
        value: "DENY",
    },
    Out::Read(Column::Grams),
    Out::Read(Column::WeightUnit),
    Out::Fact {
        current: "Requires shipping",
        legacy: "Variant Requires Shipping",
        value: "TRUE",
    },
    Out::Fact {
        current: "Fulfillment service",
        legacy: "Variant Fulfillment Service",
        value: "manual",
    },
    Out::Read(Column::ImageSrc),
    Out::Read(Column::ImagePosition),
    Out::Read(Column::ImageAlt),
    Out::Read(Column::VariantImage),
    Out::Fact {
        current: "Gift card",
        legacy: "Gift Card",
        value: "FALSE",
    },
];

impl Shop {
    /// Exports to the file `path`, written under a temporary name and renamed when complete,
    /// so a failed export never leaves half a file where a good one was. Images are copied to
    /// `<file name>-images/` beside it.
    pub fn export_products_to(
        &self,
        path: &Path,
        options: &ExportOptions,
    ) -> Result<ExportSummary, Error> {
        let dir = files::folder_of(path);
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "products".to_owned());
        let images_dir = dir.join(format!("{stem}-images"));
        let mut summary = files::write_whole(path, |out| {
            self.export_products(out, options, &images_dir, &dir)
        })?;
        summary.file = path.display().to_string();
        Ok(summary)
    }

    /// Writes the products `options` select to `out` as a Shopify product CSV. Images that did
    /// not come from a URL are copied into `images_dir` (created when the first one is) and
    /// named relative to the CSV's folder, `csv_dir`.
    pub fn export_products(
        &self,
        out: impl Write,
        options: &ExportOptions,
        images_dir: &Path,
        csv_dir: &Path,
    ) -> Result<ExportSummary, Error> {
        let conn = self.read()?;
        // One snapshot for the whole file, however long it takes to write (a read
        // transaction on the pool's own connection, which nothing else uses meanwhile).
        let tx = conn.unchecked_transaction()?;
        let ids = product_ids(&tx, options)?;
        let currency = catalogue::shop_currency(&tx)?;
        let mut writer = csv::WriterBuilder::new().from_writer(out);
        let header: Vec<String> = COLUMNS
            .iter()
            .map(|column| match (column, options.legacy_header) {
                (Out::Read(c), false) => c.current_name(),
                (Out::Read(c), true) => c.legacy_name(),
                (Out::Fact { current, .. }, false) => (*current).to_owned(),
                (Out::Fact { legacy, .. }, true) => (*legacy).to_owned(),
            })
            .collect();
        writer.write_record(&header).map_err(write_error)?;
        let mut images = ImageCopies {
            data_dir: self.data_dir().to_path_buf(),
            images_dir: images_dir.to_path_buf(),
            csv_dir: csv_dir.to_path_buf(),
            copied: 0,
        };
        let mut summary = ExportSummary::default();
        for id in ids {
            let product = catalogue::load_product(&tx, id)?;
            let sources = image_sources(&tx, id)?;
            let urls: Vec<String> = product
                .images
                .iter()
                .zip(&sources)
                .map(|(image, source)| images.url(&image.hash, source.as_deref()))
                .collect::<Result<_, _>>()?;
            for row in product_rows(&product, &urls, currency) {
                let record: Vec<&str> = COLUMNS
                    .iter()
                    .map(|column| match column {
                        Out::Read(c) => row.get(*c),
                        Out::Fact { value, .. } if row.has_variant => value,
                        Out::Fact { .. } => "",
                    })
                    .collect();
                writer.write_record(&record).map_err(write_error)?;
                summary.rows += 1;
            }
            summary.products += 1;
            summary.variants += product.variants.len();
        }
        writer.flush().map_err(|e| write_error(e.into()))?;
        summary.images_copied = images.copied;
        tracing::info!(
            products = summary.products,
            rows = summary.rows,
            "products exported"
        );
        Ok(summary)
    }
}

fn write_error(e: csv::Error) -> Error {
    Error::invalid(format!("cannot write the CSV file: {e}"))
}

fn product_ids(conn: &Connection, options: &ExportOptions) -> Result<Vec<ProductId>, Error> {
    if let Some(collection) = &options.collection {
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM collections WHERE handle = ?1)",
            [collection],
            |row| row.get(0),
        )?;
        if !exists {
            return Err(Error::UnknownCollection(collection.clone()));
        }
    }
    let ids = conn
        .prepare(
            "SELECT p.id FROM products p
             WHERE (?1 IS NULL OR p.status = ?1)
               AND (?2 IS NULL OR EXISTS (
                     SELECT 1 FROM collection_products cp
                     JOIN collections c ON c.id = cp.collection_id
                     WHERE cp.product_id = p.id AND c.handle = ?2))
             ORDER BY p.id",
        )?
        .query_map(
            params![
                options.status.map(ProductStatus::as_str),
                options.collection
            ],
            |row| Ok(ProductId(row.get(0)?)),
        )?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// The `source` of each of a product's images, in gallery order.
fn image_sources(conn: &Connection, id: ProductId) -> Result<Vec<Option<String>>, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT source FROM product_images WHERE product_id = ?1 ORDER BY position, id",
        )?
        .query_map([id.0], |row| row.get(0))?
        .collect::<Result<_, _>>()?)
}

/// Where an exported image is found: its URL, or a copy beside the CSV.
struct ImageCopies {
    data_dir: PathBuf,
    images_dir: PathBuf,
    csv_dir: PathBuf,
    copied: usize,
}

impl ImageCopies {
    fn url(&mut self, hash: &str, source: Option<&str>) -> Result<String, Error> {
        if let Some(url) = source.filter(|s| images::is_url(s)) {
            return Ok(url.to_owned());
        }
        let (original, extension) = media::original_file(&self.data_dir, hash)?;
        let copy = self.images_dir.join(format!("{hash}.{extension}"));
        if !copy.exists() {
            let io = |e: std::io::Error| {
                Error::invalid(format!("cannot copy an image to {}: {e}", copy.display()))
            };
            std::fs::create_dir_all(&self.images_dir).map_err(io)?;
            std::fs::copy(&original, &copy).map_err(io)?;
            self.copied += 1;
        }
        Ok(copy
            .strip_prefix(&self.csv_dir)
            .unwrap_or(&copy)
            .display()
            .to_string())
    }
}

/// One row of the file, by column.
#[derive(Default)]
struct Row {
    cells: Vec<(Column, String)>,
    has_variant: bool,
}

impl Row {
    fn set(&mut self, column: Column, value: impl Into<String>) {
        self.cells.push((column, value.into()));
    }

    fn get(&self, column: Column) -> &str {
        self.cells
            .iter()
            .find(|(c, _)| *c == column)
            .map_or("", |(_, v)| v.as_str())
    }
}

fn product_rows(product: &Product, image_urls: &[String], currency: crate::Currency) -> Vec<Row> {
    let money = |minor: i64| Money::new(minor, currency).format_amount();
    let count = product.variants.len().max(image_urls.len()).max(1);
    let mut rows = Vec::with_capacity(count);
    for i in 0..count {
        let mut row = Row::default();
        row.set(Column::Handle, &product.handle);
        if i == 0 {
            row.set(Column::Title, &product.title);
            row.set(Column::Body, markdown_to_html(&product.description));
            row.set(Column::Vendor, &product.vendor);
            row.set(Column::Type, &product.product_type);
            row.set(Column::Tags, product.tags.join(", "));
            let published = product.status == ProductStatus::Active;
            row.set(Column::Published, if published { "TRUE" } else { "FALSE" });
            row.set(Column::Status, product.status.as_str());
            if product.options.is_empty() && !product.variants.is_empty() {
                row.set(Column::OptionName(0), "Title");
            }
            for (n, name) in product.options.iter().enumerate() {
                row.set(Column::OptionName(n), name);
            }
        }
        if let Some(variant) = product.variants.get(i) {
            row.has_variant = true;
            if product.options.is_empty() {
                row.set(Column::OptionValue(0), "Default Title");
            }
            for (n, value) in variant.options.iter().enumerate() {
                row.set(Column::OptionValue(n), value);
            }
            row.set(Column::Sku, &variant.sku);
            row.set(Column::Barcode, variant.barcode.clone().unwrap_or_default());
            row.set(Column::Price, money(variant.price_minor));
            row.set(
                Column::CompareAtPrice,
                variant.compare_at_minor.map(money).unwrap_or_default(),
            );
            row.set(
                Column::CostPerItem,
                variant.cost_per_item.map(money).unwrap_or_default(),
            );
            row.set(Column::InventoryQty, variant.on_hand.to_string());
            row.set(Column::Grams, variant.weight_grams.to_string());
            row.set(Column::WeightUnit, variant.weight_unit.as_str());
            if let Some(hash) = &variant.image
                && let Some(at) = product.images.iter().position(|image| &image.hash == hash)
            {
                row.set(Column::VariantImage, &image_urls[at]);
            }
        }
        if let Some(url) = image_urls.get(i) {
            row.set(Column::ImageSrc, url);
            row.set(Column::ImagePosition, (i + 1).to_string());
            row.set(Column::ImageAlt, &product.images[i].alt);
        }
        rows.push(row);
    }
    rows
}

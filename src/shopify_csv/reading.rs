//! Reading a Shopify product CSV into products, as Shopify groups its rows: rows sharing a
//! handle are one product; the first carries the product's fields and its option names; later
//! rows carry a variant, or only an image. Values stay text here; turning them into prices,
//! quantities and statuses (with errors naming row and column) is the import's next step.
//!
//! Real files are messy, and none of this fails the whole file: UTF-8 with or without a BOM,
//! CRLF, LF or both, no final newline, quoted multi-line bodies, short rows. A row that cannot
//! belong to a product (no handle) is reported and skipped.

use std::collections::HashMap;
use std::io::Read;

use serde::Serialize;
use ts_rs::TS;

use super::columns::Column;

/// One product as the file describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CsvProduct {
    pub handle: String,
    /// The spreadsheet row of its first line.
    pub row: usize,
    pub title: String,
    pub body_html: String,
    pub vendor: String,
    pub product_type: String,
    pub tags: String,
    pub product_category: String,
    pub published: String,
    pub status: String,
    /// Empty for a product without options (a single `Title` / `Default Title` variant).
    pub option_names: Vec<String>,
    pub variants: Vec<CsvVariant>,
    pub images: Vec<CsvImage>,
}

/// One variant row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CsvVariant {
    pub row: usize,
    pub options: Vec<String>,
    pub sku: String,
    pub price: String,
    pub compare_at_price: String,
    pub cost_per_item: String,
    pub grams: String,
    pub weight_unit: String,
    pub inventory_qty: String,
    pub barcode: String,
    pub image: String,
}

/// One product image, from a variant row or an image-only row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CsvImage {
    pub row: usize,
    pub src: String,
    pub position: String,
    pub alt: String,
}

/// Something about one cell, row or column the owner should know: `row` is the row a
/// spreadsheet shows (the header is row 1), `column` the header as the file spells it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Problem {
    #[ts(type = "number")]
    pub row: usize,
    pub column: Option<String>,
    pub message: String,
    /// An error kept something out (a product, a row, a variant's stock); a warning did not.
    pub severity: Severity,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Severity {
    Warning,
    Error,
}

impl Problem {
    pub fn error(row: usize, column: Option<String>, message: impl Into<String>) -> Problem {
        Problem {
            row,
            column,
            message: message.into(),
            severity: Severity::Error,
        }
    }

    pub fn warning(row: usize, column: Option<String>, message: impl Into<String>) -> Problem {
        Problem {
            row,
            column,
            message: message.into(),
            severity: Severity::Warning,
        }
    }
}

/// What a file holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CsvCatalogue {
    pub products: Vec<CsvProduct>,
    /// Rows that were skipped, with why.
    pub problems: Vec<Problem>,
    /// Headers Flagshop does not import (markets, Google Shopping, metafields, …), each once.
    pub ignored_columns: Vec<String>,
    /// Each column read, as the file spells its header (for messages).
    #[serde(skip)]
    pub headers: HashMap<Column, String>,
}

impl CsvCatalogue {
    /// The header of `column` as the file spells it, or the current template's name for a
    /// column the file lacks.
    pub fn header(&self, column: Column) -> String {
        self.headers
            .get(&column)
            .cloned()
            .unwrap_or_else(|| column.current_name())
    }
}

/// Reads a whole product CSV. Fails only when the file is not CSV at all (or has no handle
/// column); everything else is reported row by row.
pub fn read_products(input: impl Read) -> Result<CsvCatalogue, Problem> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| {
            Problem::error(
                1,
                None,
                format!("the header row cannot be read as CSV: {e}"),
            )
        })?
        .clone();
    let mut columns: HashMap<Column, usize> = HashMap::new();
    let mut catalogue = CsvCatalogue::default();
    for (i, header) in headers.iter().enumerate() {
        let header = header.trim_start_matches('\u{feff}');
        match Column::from_header(header) {
            // The first of two columns with one meaning wins.
            Some(column) => {
                columns.entry(column).or_insert(i);
                catalogue
                    .headers
                    .entry(column)
                    .or_insert_with(|| header.trim().to_owned());
            }
            None if !header.trim().is_empty() => {
                catalogue.ignored_columns.push(header.trim().to_owned());
            }
            None => {}
        }
    }
    if !columns.contains_key(&Column::Handle) {
        return Err(Problem::error(
            1,
            None,
            "no Handle (or URL handle) column: this is not a Shopify product CSV",
        ));
    }

    let mut by_handle: HashMap<String, usize> = HashMap::new();
    for (index, record) in reader.records().enumerate() {
        let row = index + 2;
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                catalogue.problems.push(Problem::error(
                    row,
                    None,
                    format!("this row cannot be read as CSV: {e}"),
                ));
                continue;
            }
        };
        let cell = |column: Column| -> String {
            columns
                .get(&column)
                .and_then(|&i| record.get(i))
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let handle = cell(Column::Handle);
        if handle.is_empty() {
            catalogue.problems.push(Problem::error(
                row,
                Some(catalogue.header(Column::Handle)),
                "no handle: the row belongs to no product, so it was skipped",
            ));
            continue;
        }
        let at = *by_handle.entry(handle.clone()).or_insert_with(|| {
            catalogue.products.push(CsvProduct {
                handle: handle.clone(),
                row,
                title: cell(Column::Title),
                body_html: cell(Column::Body),
                vendor: cell(Column::Vendor),
                product_type: cell(Column::Type),
                tags: cell(Column::Tags),
                product_category: cell(Column::ProductCategory),
                published: cell(Column::Published),
                status: cell(Column::Status),
                option_names: (0..3)
                    .map(|i| cell(Column::OptionName(i)))
                    .take_while(|n| !n.is_empty())
                    .collect(),
                ..CsvProduct::default()
            });
            catalogue.products.len() - 1
        });
        let product = &mut catalogue.products[at];
        let options: Vec<String> = (0..3)
            .map(|i| cell(Column::OptionValue(i)))
            .take_while(|v| !v.is_empty())
            .collect();
        let is_variant =
            !options.is_empty() || !cell(Column::Sku).is_empty() || !cell(Column::Price).is_empty();
        if is_variant {
            product.variants.push(CsvVariant {
                row,
                options,
                sku: cell(Column::Sku).trim_start_matches('\'').to_owned(),
                price: cell(Column::Price),
                compare_at_price: cell(Column::CompareAtPrice),
                cost_per_item: cell(Column::CostPerItem),
                grams: cell(Column::Grams),
                weight_unit: cell(Column::WeightUnit),
                inventory_qty: cell(Column::InventoryQty),
                barcode: cell(Column::Barcode).trim_start_matches('\'').to_owned(),
                image: cell(Column::VariantImage),
            });
        }
        let src = cell(Column::ImageSrc);
        if !src.is_empty() {
            product.images.push(CsvImage {
                row,
                src,
                position: cell(Column::ImagePosition),
                alt: cell(Column::ImageAlt),
            });
        }
    }
    // With a Status column, Published only says whether the online store channel shows the
    // product, which Flagshop does not keep apart: said when it disagrees with the status.
    let published_apart = catalogue.products.iter().any(|p| {
        let (status, published) = (p.status.to_lowercase(), p.published.to_lowercase());
        !status.is_empty() && !published.is_empty() && (status == "active") != (published == "true")
    });
    if published_apart {
        let header = catalogue.header(Column::Published);
        catalogue.ignored_columns.push(header);
    }
    // Read (it is how Shopify files a product) but not kept: Flagshop has no taxonomy.
    if catalogue
        .products
        .iter()
        .any(|p| !p.product_category.is_empty())
    {
        let header = catalogue.header(Column::ProductCategory);
        catalogue.ignored_columns.push(header);
    }
    for product in &mut catalogue.products {
        // One variant called Title / Default Title is Shopify's way of saying "no options";
        // an option called Title with other values is a real option.
        let default_title = product.option_names == ["Title"]
            && product.variants.len() == 1
            && product.variants[0].options == ["Default Title"];
        if default_title {
            product.option_names.clear();
            product.variants[0].options.clear();
        }
    }
    Ok(catalogue)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (products, variants, image-only rows) of a file.
    fn counts(csv: &[u8]) -> (usize, usize, usize) {
        let catalogue = read_products(csv).unwrap();
        let variants = catalogue.products.iter().map(|p| p.variants.len()).sum();
        let image_only = catalogue
            .products
            .iter()
            .flat_map(|p| &p.images)
            .filter(|image| {
                !catalogue
                    .products
                    .iter()
                    .flat_map(|p| &p.variants)
                    .any(|v| v.row == image.row)
            })
            .count();
        (catalogue.products.len(), variants, image_only)
    }

    #[test]
    fn rows_sharing_a_handle_are_one_product_and_image_rows_are_not_variants() {
        let csv = "\u{feff}Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Image Src\r\n\
                   flag,Flag,Size,3x5,F-1,39.00,https://x/a.png\n\
                   flag,,,4x6,F-2,49.00,\r\n\
                   flag,,,,,,https://x/b.png\n\
                   mug,Mug,Title,Default Title,M-1,9.00,";
        assert_eq!(counts(csv.as_bytes()), (2, 3, 1));
        let catalogue = read_products(csv.as_bytes()).unwrap();
        let flag = &catalogue.products[0];
        assert_eq!(flag.option_names, ["Size"]);
        assert_eq!(flag.variants[1].options, ["4x6"]);
        assert_eq!(flag.variants[1].row, 3);
        assert_eq!(flag.images.len(), 2);
        let mug = &catalogue.products[1];
        assert!(
            mug.option_names.is_empty(),
            "Default Title means no options"
        );
        assert!(mug.variants[0].options.is_empty());
    }

    #[test]
    fn an_option_called_title_with_real_values_stays_an_option() {
        let csv = "Handle,Option1 Name,Option1 Value,Variant Price\nprint,Title,Small,5\nprint,,Large,9\n";
        let catalogue = read_products(csv.as_bytes()).unwrap();
        assert_eq!(catalogue.products[0].option_names, ["Title"]);
        assert_eq!(catalogue.products[0].variants.len(), 2);
    }

    #[test]
    fn quoted_multi_line_bodies_short_rows_and_excel_apostrophes() {
        let csv = "Handle,Body (HTML),Variant SKU,Variant Barcode,Variant Price\n\
                   a,\"<p>one</p>\r\n<p>two, \"\"quoted\"\"</p>\",'007,'2019104,1\n\
                   b,short\n";
        let catalogue = read_products(csv.as_bytes()).unwrap();
        let a = &catalogue.products[0];
        assert_eq!(a.body_html, "<p>one</p>\r\n<p>two, \"quoted\"</p>");
        assert_eq!(
            (a.variants[0].sku.as_str(), a.variants[0].barcode.as_str()),
            ("007", "2019104")
        );
        assert_eq!(catalogue.products[1].row, 3, "rows are records, not lines");
        assert!(catalogue.products[1].variants.is_empty());
    }

    #[test]
    fn a_row_without_a_handle_is_reported_and_unknown_columns_listed_once() {
        let csv =
            "Handle,Title,Price / United States,Google Shopping / Gender\n,Lost,1,x\nok,Kept,2,y\n";
        let catalogue = read_products(csv.as_bytes()).unwrap();
        assert_eq!(catalogue.products.len(), 1);
        assert_eq!(catalogue.problems.len(), 1);
        assert_eq!(catalogue.problems[0].row, 2);
        assert!(catalogue.problems[0].message.contains("no handle"));
        assert_eq!(
            catalogue.ignored_columns,
            ["Price / United States", "Google Shopping / Gender"]
        );
    }

    #[test]
    fn a_file_without_handles_is_refused() {
        let err = read_products("Name,Price\nx,1\n".as_bytes()).unwrap_err();
        assert!(err.message.contains("not a Shopify product CSV"), "{err:?}");
    }
}

//! One product of the file as the shop will hold it: every cell turned into the shop's values
//! (prices in minor units, grams, a status, a Markdown description, a handle Flagshop accepts).
//! A cell that cannot be read refuses its product, with the row and the column; a cell that can
//! be read with a loss (a rounded barcode, an unknown weight unit) is a warning.

use std::cell::RefCell;
use std::collections::HashMap;

use super::columns::Column;
use super::{CsvCatalogue, CsvProduct, Problem, html, values};
use crate::catalogue::{ProductStatus, WeightUnit};
use crate::money::Currency;

/// A product ready to be compared with the shop and written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PlannedProduct {
    pub handle: String,
    pub row: usize,
    pub title: String,
    pub description: String,
    pub vendor: String,
    pub product_type: String,
    pub tags: Vec<String>,
    pub status: ProductStatus,
    pub options: Vec<String>,
    pub variants: Vec<PlannedVariant>,
    /// In gallery order, each source once.
    pub images: Vec<PlannedImage>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PlannedVariant {
    pub row: usize,
    pub sku: String,
    pub options: Vec<String>,
    pub price: i64,
    pub compare_at: Option<i64>,
    pub cost: Option<i64>,
    pub weight_grams: i64,
    pub weight_unit: WeightUnit,
    /// `None`: the file's barcode could not be read, so the stored one is left alone.
    pub barcode: Option<Option<String>>,
    /// `None`: the file says nothing about stock.
    pub quantity: Option<i64>,
    pub image: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PlannedImage {
    pub row: usize,
    pub source: String,
    pub alt: String,
}

/// Plans every product of `catalogue`; refused products are left out, with their problems in
/// `problems`. Two handles of the file that become one Flagshop handle: the second is refused.
pub(crate) fn plan_products(
    catalogue: &CsvCatalogue,
    currency: Currency,
    problems: &mut Vec<Problem>,
) -> Vec<PlannedProduct> {
    let mut planned: Vec<PlannedProduct> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for product in &catalogue.products {
        let Some(plan) = plan_product(catalogue, product, currency, problems) else {
            continue;
        };
        if let Some(first) = seen.get(&plan.handle) {
            problems.push(Problem::error(
                plan.row,
                Some(catalogue.header(Column::Handle)),
                format!(
                    "handle \"{}\" becomes \"{}\", which the product on row {first} already \
                     uses: this product was not imported",
                    product.handle, plan.handle
                ),
            ));
            continue;
        }
        seen.insert(plan.handle.clone(), plan.row);
        planned.push(plan);
    }
    planned
}

fn plan_product(
    catalogue: &CsvCatalogue,
    product: &CsvProduct,
    currency: Currency,
    problems: &mut Vec<Problem>,
) -> Option<PlannedProduct> {
    // Shared by the closures below, which all note problems.
    let found: RefCell<Vec<Problem>> = RefCell::new(Vec::new());
    let header = |column: Column| Some(catalogue.header(column));
    let refuse = |row: usize, column: Column, message: String| {
        found
            .borrow_mut()
            .push(Problem::error(row, header(column), message));
    };
    let warn = |row: usize, column: Option<Column>, message: String| {
        found
            .borrow_mut()
            .push(Problem::warning(row, column.and_then(header), message));
    };

    let handle = values::handle(&product.handle);
    match &handle {
        None => refuse(
            product.row,
            Column::Handle,
            format!("handle \"{}\" has no letters or digits", product.handle),
        ),
        Some(h) if *h != product.handle => warn(
            product.row,
            Some(Column::Handle),
            format!("handle \"{}\" is imported as \"{h}\"", product.handle),
        ),
        Some(_) => {}
    }
    if product.title.trim().is_empty() {
        refuse(product.row, Column::Title, "no title".to_owned());
    }
    let status = values::status(&product.status, &product.published)
        .map_err(|message| {
            let column = if product.status.is_empty() {
                Column::Published
            } else {
                Column::Status
            };
            refuse(product.row, column, message)
        })
        .ok();

    let mut variants = Vec::new();
    for variant in &product.variants {
        let row = variant.row;
        if variant.options.len() != product.option_names.len() {
            let column = Column::OptionValue(variant.options.len().min(2));
            refuse(
                row,
                column,
                format!(
                    "{} option values, but the product has {} options ({})",
                    variant.options.len(),
                    product.option_names.len(),
                    product.option_names.join(", ")
                ),
            );
            continue;
        }
        let cell = |column: Column, result: Result<_, String>| {
            result.map_err(|message| refuse(row, column, message)).ok()
        };
        let price = cell(Column::Price, values::price(&variant.price, currency));
        let compare_at = cell(
            Column::CompareAtPrice,
            values::price(&variant.compare_at_price, currency),
        );
        let cost = cell(
            Column::CostPerItem,
            values::price(&variant.cost_per_item, currency),
        );
        let weight_grams = cell(Column::Grams, values::grams(&variant.grams).map(Some));
        let quantity = cell(
            Column::InventoryQty,
            values::quantity(&variant.inventory_qty),
        );
        let (Some(price), Some(compare_at), Some(cost), Some(weight_grams), Some(quantity)) =
            (price, compare_at, cost, weight_grams, quantity)
        else {
            continue;
        };
        let Some(price) = price else {
            refuse(row, Column::Price, "no price".to_owned());
            continue;
        };
        let weight_grams = weight_grams.unwrap_or_default();
        let weight_unit = values::weight_unit(&variant.weight_unit).unwrap_or_else(|message| {
            warn(
                row,
                Some(Column::WeightUnit),
                format!("{message}: grams are shown"),
            );
            None
        });
        let barcode = match values::barcode(&variant.barcode) {
            Ok(barcode) => Some(barcode),
            Err(message) => {
                warn(row, Some(Column::Barcode), message);
                None
            }
        };
        let quantity = quantity.map(|q| {
            if q < 0 {
                warn(
                    row,
                    Some(Column::InventoryQty),
                    format!("{q} units: stock cannot be negative here, so it is 0"),
                );
            }
            q.max(0)
        });
        variants.push(PlannedVariant {
            row,
            sku: variant.sku.clone(),
            options: variant.options.clone(),
            price,
            compare_at,
            cost,
            weight_grams,
            weight_unit: weight_unit.unwrap_or_default(),
            barcode,
            quantity,
            image: (!variant.image.is_empty()).then(|| variant.image.clone()),
        });
    }
    if product.variants.is_empty() {
        warn(
            product.row,
            None,
            "no variant (no price, SKU or option value on any row): the product is imported \
             but cannot be sold until it has one"
                .to_owned(),
        );
    }
    let found = found.into_inner();
    let refused = found.iter().any(|p| p.severity == super::Severity::Error);
    problems.extend(found);
    if refused {
        return None;
    }
    Some(PlannedProduct {
        handle: handle?,
        row: product.row,
        title: product.title.trim().to_owned(),
        description: html::html_to_markdown(&product.body_html),
        vendor: product.vendor.clone(),
        product_type: product.product_type.clone(),
        tags: values::tags(&product.tags),
        status: status?,
        options: product.option_names.clone(),
        images: gallery(product, &variants),
        variants,
    })
}

/// The product's images in gallery order: by `Image Position` where given (file order
/// otherwise), then variant images not among them, each source once.
fn gallery(product: &CsvProduct, variants: &[PlannedVariant]) -> Vec<PlannedImage> {
    let mut images: Vec<(usize, &super::CsvImage)> = product.images.iter().enumerate().collect();
    images.sort_by_key(|(index, image)| {
        let position = image.position.trim().parse::<usize>().unwrap_or(usize::MAX);
        (position, *index)
    });
    let mut gallery: Vec<PlannedImage> = Vec::new();
    for (_, image) in images {
        if !gallery.iter().any(|g| g.source == image.src) {
            gallery.push(PlannedImage {
                row: image.row,
                source: image.src.clone(),
                alt: image.alt.clone(),
            });
        }
    }
    for variant in variants {
        if let Some(source) = &variant.image
            && !gallery.iter().any(|g| &g.source == source)
        {
            gallery.push(PlannedImage {
                row: variant.row,
                source: source.clone(),
                alt: String::new(),
            });
        }
    }
    gallery
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shopify_csv::{Severity, read_products};

    fn plan(csv: &str) -> (Vec<PlannedProduct>, Vec<Problem>) {
        let catalogue = read_products(csv.as_bytes()).unwrap();
        let mut problems = Vec::new();
        let planned = plan_products(&catalogue, Currency::USD, &mut problems);
        (planned, problems)
    }

    #[test]
    fn cells_become_the_shops_values() {
        let (planned, problems) = plan(
            "Handle,Title,Body (HTML),Tags,Published,Option1 Name,Option1 Value,Variant SKU,\
             Variant Price,Variant Compare At Price,Cost per item,Variant Grams,\
             Variant Weight Unit,Variant Inventory Qty,Variant Barcode,Image Src,Image Position\n\
             Flag_A,Flag,<p><b>Big</b></p>,\"a, b\",FALSE,Size,3x5,F-1,39.00,49,12.5,226.8,LB,\
             -1,'0123,https://x/2.png,2\n\
             Flag_A,,,,,,4x6,F-2,\"49,00\",,,0.0,,7,3.6E+11,https://x/1.png,1\n",
        );
        let flag = &planned[0];
        assert_eq!(flag.handle, "flag-a");
        assert_eq!(flag.description, "**Big**");
        assert_eq!(flag.tags, ["a", "b"]);
        assert_eq!(flag.status, ProductStatus::Draft);
        let v = &flag.variants[0];
        assert_eq!(
            (v.price, v.compare_at, v.cost, v.weight_grams, v.weight_unit),
            (3900, Some(4900), Some(1250), 227, WeightUnit::Lb)
        );
        assert_eq!(
            (v.quantity, v.barcode.clone()),
            (Some(0), Some(Some("0123".into())))
        );
        assert_eq!(flag.variants[1].price, 4900);
        assert_eq!(
            flag.variants[1].barcode, None,
            "a rounded barcode is not stored"
        );
        assert_eq!(
            flag.images
                .iter()
                .map(|i| i.source.as_str())
                .collect::<Vec<_>>(),
            ["https://x/1.png", "https://x/2.png"]
        );
        let warnings: Vec<_> = problems
            .iter()
            .map(|p| (p.row, p.column.clone().unwrap()))
            .collect();
        assert_eq!(
            warnings,
            [
                (2, "Handle".into()),
                (2, "Variant Inventory Qty".into()),
                (3, "Variant Barcode".into())
            ]
        );
        assert!(problems.iter().all(|p| p.severity == Severity::Warning));
    }

    #[test]
    fn a_bad_cell_refuses_its_product_and_names_row_and_column() {
        let (planned, problems) = plan(
            "Handle,Title,Variant SKU,Variant Price\n\
             good,Good,G-1,5\n\
             bad,Bad,B-1,5\n\
             bad,,B-2,-3\n\
             free,Free,F-1,\n",
        );
        assert_eq!(planned.len(), 1);
        assert_eq!(planned[0].handle, "good");
        let errors: Vec<_> = problems
            .iter()
            .map(|p| (p.row, p.column.clone().unwrap(), p.message.clone()))
            .collect();
        assert_eq!(errors[0].0, 4);
        assert_eq!(errors[0].1, "Variant Price");
        assert!(errors[0].2.contains("negative"), "{errors:?}");
        assert_eq!((errors[1].0, errors[1].2.as_str()), (5, "no price"));
    }
}

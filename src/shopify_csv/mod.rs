//! Shopify's product CSV, the format every shop tool and spreadsheet speaks: reading every
//! dialect of it into products (`reading`), by columns matched by name (`columns`), and giving
//! every variant a SKU of its own (`skus`).

pub mod columns;
mod reading;
mod skus;

pub use reading::{CsvCatalogue, CsvImage, CsvProduct, CsvVariant, Problem, read_products};
pub use skus::assign_skus;

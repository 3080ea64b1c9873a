//! Shopify's product CSV, the format every shop tool and spreadsheet speaks: reading every
//! dialect of it into products (`reading`), by columns matched by name (`columns`).

pub mod columns;
mod reading;

pub use reading::{CsvCatalogue, CsvImage, CsvProduct, CsvVariant, Problem, read_products};

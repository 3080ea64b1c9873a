//! Shopify's product CSV, the format every shop tool and spreadsheet speaks: reading every
//! dialect of it into products (`reading`, by columns matched by name in `columns`), giving
//! every variant a SKU of its own (`skus`), turning cells into the shop's values (`values`,
//! `html`, `plan`), importing them (`import`) with their images (`images`), and exporting the
//! catalogue back (`export`).

pub mod columns;
mod export;
mod html;
mod images;
mod import;
mod plan;
mod reading;
mod skus;
mod values;

pub use export::{ExportOptions, ExportSummary};
pub use html::{html_to_markdown, markdown_to_html};
pub use images::Fetched;
pub use import::{
    CsvSource, ImageFailure, ImportOptions, ImportPhase, ImportProgress, ImportReport,
    ProductAction, ProductOutcome, StockChange,
};
pub use reading::{
    CsvCatalogue, CsvImage, CsvProduct, CsvVariant, Problem, Severity, read_products,
};
pub use skus::assign_skus;

//! `flagshop products import|export|retry-images`: a catalogue in and out as Shopify's
//! product CSV.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use flagshop::shopify_csv::{
    CsvSource, ExportOptions, ImportOptions, ImportPhase, ImportProgress, ImportReport,
    ProductAction, Severity,
};
use flagshop::{ProductStatus, Shop};
use indicatif::{ProgressBar, ProgressStyle};

use crate::output::{print_json, print_table};

#[derive(Args)]
pub(crate) struct ImportArgs {
    /// A Shopify product CSV (any header dialect, 2019 to 2025).
    file: PathBuf,
    /// Show what would change and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Set existing variants' stock to the file's quantities (one correction each); without
    /// it, only new variants take the file's stock.
    #[arg(long)]
    stock: bool,
    /// Seconds one image download may take.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    image_timeout: u64,
    #[arg(long)]
    json: bool,
}

/// Imports (or previews) a file; fails (exit 1) after the report when anything was refused.
pub(crate) fn import(shop: &Shop, args: ImportArgs) -> Result<(), flagshop::Error> {
    let source = CsvSource::from_file(&args.file)?;
    let options = ImportOptions {
        dry_run: args.dry_run,
        set_stock: args.stock,
        image_timeout: Duration::from_secs(args.image_timeout),
    };
    let bar = progress_bar();
    let report = shop.import_products(&source, options, &|p| show(&bar, p))?;
    bar.finish_and_clear();
    if args.json {
        print_json(&report);
    } else {
        print_report(&report);
    }
    refusals(&report)
}

#[derive(Args)]
pub(crate) struct ExportArgs {
    /// The CSV file to write; its images go to FILE's name + "-images/" beside it.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Only products with this status: active, draft or archived.
    #[arg(long, value_name = "S")]
    status: Option<ProductStatus>,
    /// Only products in this collection (its handle).
    #[arg(long, value_name = "C")]
    collection: Option<String>,
    /// The 2023 header names (Handle, Variant SKU, Image Src, …) older tools read.
    #[arg(long)]
    legacy_header: bool,
    #[arg(long)]
    json: bool,
}

pub(crate) fn export(shop: &Shop, args: ExportArgs) -> Result<(), flagshop::Error> {
    let options = ExportOptions {
        status: args.status,
        collection: args.collection,
        legacy_header: args.legacy_header,
    };
    let summary = shop.export_products_to(&args.out, &options)?;
    if args.json {
        print_json(&summary);
    } else {
        println!(
            "Exported {} product(s), {} variant(s) in {} row(s) to {}{}",
            summary.products,
            summary.variants,
            summary.rows,
            args.out.display(),
            match summary.images_copied {
                0 => String::new(),
                n => format!(" ({n} image(s) copied beside it)"),
            }
        );
    }
    Ok(())
}

/// Tries again the images earlier imports could not fetch.
pub(crate) fn retry_images(
    shop: &Shop,
    image_timeout: u64,
    json: bool,
) -> Result<(), flagshop::Error> {
    let bar = progress_bar();
    let fetched =
        shop.retry_pending_images(Duration::from_secs(image_timeout), &|p| show(&bar, p))?;
    bar.finish_and_clear();
    if json {
        print_json(&fetched);
        return Ok(());
    }
    println!(
        "{} image(s) fetched, {} still missing",
        fetched.added,
        fetched.failed.len()
    );
    print_image_failures(&fetched.failed);
    Ok(())
}

/// A bar on stderr while a terminal watches; nothing otherwise.
fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:8} {bar:40} {pos}/{len}")
            .expect("a valid progress template"),
    );
    bar
}

fn show(bar: &ProgressBar, progress: ImportProgress) {
    bar.set_message(match progress.phase {
        ImportPhase::Products => "products",
        ImportPhase::Images => "images",
    });
    bar.set_length(progress.total as u64);
    bar.set_position(progress.done as u64);
}

fn print_report(report: &ImportReport) {
    let would = if report.dry_run {
        "Dry run, nothing written: "
    } else {
        ""
    };
    println!(
        "{would}{} to create, {} to update, {} unchanged, {} refused; {} new variant(s), {} \
         changed; {} stock change(s); {} image(s) {}",
        report.created,
        report.updated,
        report.unchanged,
        report.refused,
        report.variants_created,
        report.variants_updated,
        report.stock_changes.len(),
        report.images_added,
        if report.dry_run { "to fetch" } else { "added" },
    );
    let listed: Vec<[String; 4]> = report
        .products
        .iter()
        .filter(|p| p.action != ProductAction::Unchanged)
        .map(|p| {
            [
                p.row.to_string(),
                p.handle.clone(),
                action_word(p.action).to_owned(),
                p.changes.join("; "),
            ]
        })
        .collect();
    if !listed.is_empty() {
        println!();
        print_table(["ROW", "HANDLE", "ACTION", "DETAILS"], &listed);
    }
    if !report.stock_changes.is_empty() {
        println!();
        let rows: Vec<[String; 4]> = report
            .stock_changes
            .iter()
            .map(|s| {
                [
                    s.sku.clone(),
                    s.from.to_string(),
                    s.to.to_string(),
                    s.reason.to_string(),
                ]
            })
            .collect();
        print_table(["SKU", "FROM", "TO", "REASON"], &rows);
    }
    if !report.problems.is_empty() {
        println!();
        let rows: Vec<[String; 4]> = report
            .problems
            .iter()
            .map(|p| {
                [
                    p.row.to_string(),
                    p.column.clone().unwrap_or_default(),
                    match p.severity {
                        Severity::Error => "error".to_owned(),
                        Severity::Warning => "warning".to_owned(),
                    },
                    p.message.clone(),
                ]
            })
            .collect();
        print_table(["ROW", "COLUMN", "LEVEL", "PROBLEM"], &rows);
    }
    print_image_failures(&report.images_failed);
    if !report.ignored_columns.is_empty() {
        println!();
        println!(
            "Not imported (columns): {}",
            report.ignored_columns.join(", ")
        );
    }
}

fn print_image_failures(failed: &[flagshop::shopify_csv::ImageFailure]) {
    if failed.is_empty() {
        return;
    }
    println!();
    let rows: Vec<[String; 3]> = failed
        .iter()
        .map(|f| [f.handle.clone(), f.source.clone(), f.message.clone()])
        .collect();
    print_table(["HANDLE", "IMAGE NOT FETCHED", "WHY"], &rows);
    println!("`flagshop products retry-images` tries them again.");
}

fn action_word(action: ProductAction) -> &'static str {
    match action {
        ProductAction::Create => "create",
        ProductAction::Update => "update",
        ProductAction::Unchanged => "unchanged",
        ProductAction::Refused => "REFUSED",
    }
}

fn refusals(report: &ImportReport) -> Result<(), flagshop::Error> {
    if report.has_errors() {
        let rows = report
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count();
        return Err(flagshop::Error::Invalid(format!(
            "{} product(s) refused, {rows} error(s) in {}: see the rows above",
            report.refused, report.file
        )));
    }
    Ok(())
}

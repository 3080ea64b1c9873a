//! `flagshop stock …`: stock levels and the ledger.

use clap::Subcommand;
use flagshop::{LedgerEntry, Shop, StockLevel, StockReason};

use crate::output::{print_json, print_table};

/// Runs one `StockCommand` command.
pub(crate) fn run(shop: Shop, command: StockCommand) -> Result<(), flagshop::Error> {
    match command {
        StockCommand::Adjust {
            sku,
            delta,
            reason,
            note,
            json,
        } => {
            let entry = shop.adjust_stock(&sku, delta, reason, &note)?;
            if json {
                print_json(&entry);
            } else {
                println!(
                    "{sku}: {:+} ({}), {} on hand",
                    entry.delta, entry.reason, entry.balance_after
                );
            }
        }
        StockCommand::History { sku, json } => {
            let history = shop.stock_history(&sku)?;
            if json {
                print_json(&history);
            } else {
                print_history(&history);
            }
        }
        StockCommand::Low { json } => {
            let low = shop.low_stock()?;
            if json {
                print_json(&low);
            } else {
                print_levels(&low);
            }
        }
        StockCommand::Verify { json } => {
            let check = shop.verify_stock()?;
            if json {
                print_json(&check);
            } else if check.mismatches.is_empty() {
                println!(
                    "{} variant(s) checked: on hand matches the ledger",
                    check.variants_checked
                );
            } else {
                let rows: Vec<[String; 4]> = check
                    .mismatches
                    .iter()
                    .map(|m| {
                        [
                            m.sku.clone(),
                            m.product_title.clone(),
                            m.stored.to_string(),
                            m.from_ledger.to_string(),
                        ]
                    })
                    .collect();
                print_table(["SKU", "PRODUCT", "ON HAND", "LEDGER"], &rows);
            }
            if !check.mismatches.is_empty() {
                return Err(flagshop::Error::Invalid(format!(
                    "{} of {} variant(s) have an on-hand that is not the sum of their ledger",
                    check.mismatches.len(),
                    check.variants_checked
                )));
            }
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub(crate) enum StockCommand {
    /// Move stock of a variant, with a reason: received, sold, returned, damaged, lost, correction.
    Adjust {
        sku: String,
        /// Units in (positive) or out (negative).
        #[arg(allow_negative_numbers = true)]
        delta: i64,
        #[arg(long)]
        reason: StockReason,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        json: bool,
    },
    /// The ledger of a variant, newest first.
    History {
        sku: String,
        #[arg(long)]
        json: bool,
    },
    /// Variants at or below their low-stock threshold.
    Low {
        #[arg(long)]
        json: bool,
    },
    /// Recompute on-hand from the ledger and report variants that disagree (exit 1 if any).
    Verify {
        #[arg(long)]
        json: bool,
    },
}

fn print_history(history: &[LedgerEntry]) {
    if history.is_empty() {
        println!("No stock movements yet.");
        return;
    }
    let rows: Vec<[String; 5]> = history
        .iter()
        .map(|e| {
            [
                e.created_at.clone(),
                format!("{:+}", e.delta),
                e.reason.to_string(),
                e.balance_after.to_string(),
                e.note.clone(),
            ]
        })
        .collect();
    print_table(["TIME", "CHANGE", "REASON", "ON HAND", "NOTE"], &rows);
}

fn print_levels(levels: &[StockLevel]) {
    if levels.is_empty() {
        println!("No variant is low on stock.");
        return;
    }
    let rows: Vec<[String; 5]> = levels
        .iter()
        .map(|l| {
            [
                l.sku.clone(),
                format!("{} {}", l.product_title, l.options.join(" / ")),
                l.available.to_string(),
                l.on_hand.to_string(),
                l.low_stock_threshold.to_string(),
            ]
        })
        .collect();
    print_table(
        ["SKU", "PRODUCT", "AVAILABLE", "ON HAND", "THRESHOLD"],
        &rows,
    );
}

//! `flagshop backup …`: make, list, verify and restore backups of the whole shop.

use std::path::PathBuf;

use clap::Subcommand;
use flagshop::Shop;
use flagshop::backups::{BackupCounts, BackupInfo};

use crate::output::{print_json, print_table};

#[derive(Subcommand)]
pub(crate) enum BackupCommand {
    /// Back up the shop now (database and images, without the Stripe secrets), to the backup
    /// folder or to FILE.
    Create {
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The backups in the backup folder, newest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Check a backup through and through (checksums, database, stock ledger); exit 1 if it
    /// is not sound.
    Verify {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Replace the shop with a backup, after backing up the shop as it is. Without --yes, only
    /// say what it would bring back. Refused while the app has the shop open (restore from
    /// the app's Settings instead).
    Restore {
        file: PathBuf,
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(shop: Shop, command: BackupCommand) -> Result<(), flagshop::Error> {
    match command {
        BackupCommand::Create { out, json } => {
            let made = shop.create_backup(out.as_deref(), "manual")?;
            if json {
                print_json(&made);
            } else {
                println!("Backed up to {} ({})", made.path, describe(&made));
            }
        }
        BackupCommand::List { json } => {
            let backups = shop.list_backups()?;
            if json {
                print_json(&backups);
            } else if backups.is_empty() {
                println!("No backups in {} yet.", shop.backup_dir()?.display());
            } else {
                let rows: Vec<[String; 4]> = backups
                    .iter()
                    .map(|b| {
                        [
                            b.manifest.created_at.clone(),
                            b.manifest.reason.clone(),
                            describe(b),
                            b.path.clone(),
                        ]
                    })
                    .collect();
                print_table(["CREATED", "WHY", "HOLDS", "FILE"], &rows);
            }
        }
        BackupCommand::Verify { file, json } => {
            let verification = shop.verify_backup(&file)?;
            if json {
                print_json(&verification);
            } else if verification.ok() {
                println!("{}: sound", file.display());
            } else {
                for problem in &verification.problems {
                    println!("{}: {problem}", file.display());
                }
            }
            if !verification.ok() {
                return Err(flagshop::Error::Invalid(format!(
                    "{} is not a sound backup",
                    file.display()
                )));
            }
        }
        BackupCommand::Restore { file, yes, json } => {
            if shop.open_in_app() {
                return Err(flagshop::Error::Invalid(
                    "the Flagshop app has this shop open: restore from its Settings → Backups, \
                     or quit it first"
                        .to_owned(),
                ));
            }
            if !yes {
                let verification = shop.verify_backup(&file)?;
                let Some(manifest) = verification
                    .manifest
                    .filter(|_| verification.problems.is_empty())
                else {
                    return Err(flagshop::Error::Invalid(format!(
                        "{} cannot be restored: {}",
                        file.display(),
                        verification.problems.join("; ")
                    )));
                };
                println!(
                    "{} (made {}) would bring back {}; the shop as it is now is backed up \
                     first. Run again with --yes to restore.",
                    file.display(),
                    manifest.created_at,
                    counts(&manifest.counts)
                );
                return Ok(());
            }
            let restored = shop.restore_backup(&file)?;
            if json {
                print_json(&restored);
            } else {
                println!(
                    "Restored {} ({}). The shop as it was is in {}.",
                    restored.restored.path,
                    describe(&restored.restored),
                    restored.previous.path
                );
            }
        }
    }
    Ok(())
}

fn describe(backup: &BackupInfo) -> String {
    format!(
        "{}, {:.1} MB",
        counts(&backup.manifest.counts),
        backup.size as f64 / 1e6
    )
}

fn counts(c: &BackupCounts) -> String {
    format!(
        "{} products, {} orders, {} ledger rows, {} images",
        c.products, c.orders, c.ledger_rows, c.images
    )
}

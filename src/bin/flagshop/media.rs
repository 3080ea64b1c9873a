//! `flagshop media …`: product images and their thumbnails.

use std::path::PathBuf;

use clap::Subcommand;
use flagshop::Shop;

use crate::output::print_json;

/// Runs one `MediaCommand` command.
pub(crate) fn run(shop: Shop, command: MediaCommand) -> Result<(), flagshop::Error> {
    match command {
        MediaCommand::Add {
            handle,
            files,
            alt,
            json,
        } => {
            let product = shop.add_product_images(&handle, &files, &alt)?;
            if json {
                print_json(&product.images);
            } else {
                println!("{}: {} image(s)", product.handle, product.images.len());
            }
        }
        MediaCommand::Rebuild => {
            let bar = progress_bar(0);
            let run = shop.generate_thumbnails(&|done, total| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            })?;
            bar.finish_and_clear();
            println!(
                "{} thumbnail(s) ready, {} failed",
                run.total - run.failed,
                run.failed
            );
            if run.failed > 0 {
                return Err(flagshop::Error::Internal(format!(
                    "{} thumbnail(s) could not be made; see the log",
                    run.failed
                )));
            }
        }
        MediaCommand::Thumb { .. } => unreachable!("handled before opening a shop"),
    }
    Ok(())
}

#[derive(Subcommand)]
pub(crate) enum MediaCommand {
    /// Import image files (JPEG, PNG, WebP, GIF, SVG) into a product's gallery.
    Add {
        handle: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Alt text describing the images.
        #[arg(long, default_value = "")]
        alt: String,
        #[arg(long)]
        json: bool,
    },
    /// Write a thumbnail of each file into a directory, in parallel; no shop is opened.
    Thumb {
        /// Largest width in pixels; smaller images are not enlarged.
        #[arg(long)]
        width: u32,
        #[arg(long, value_name = "DIR")]
        out_dir: PathBuf,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// One JSON object per line and file: input, output, width, height, or error.
        #[arg(long)]
        json: bool,
    },
    /// Make every missing thumbnail of the shop's images, on all cores.
    Rebuild,
}

/// `media thumb`: every file in parallel; a bad file is reported and the others still go on.
pub(crate) fn thumbnails(
    width: u32,
    out_dir: &std::path::Path,
    files: &[PathBuf],
    json: bool,
) -> Result<(), flagshop::Error> {
    use rayon::prelude::*;

    std::fs::create_dir_all(out_dir).map_err(|source| flagshop::Error::DataDir {
        path: out_dir.to_owned(),
        source,
    })?;
    let limits = flagshop::MediaLimits::default();
    let bar = progress_bar(files.len() as u64);
    let results: Vec<_> = files
        .par_iter()
        .map(|file| {
            let result = flagshop::media::thumbnail_file(file, width, out_dir, &limits);
            bar.inc(1);
            result
        })
        .collect();
    bar.finish_and_clear();
    let mut failed = 0;
    for (file, result) in files.iter().zip(results) {
        match (result, json) {
            (Ok(t), true) => println!(
                "{}",
                serde_json::json!({"input": file, "output": t.output, "width": t.width, "height": t.height})
            ),
            (Ok(t), false) => println!(
                "{} -> {} ({}×{})",
                file.display(),
                t.output.display(),
                t.width,
                t.height
            ),
            (Err(e), true) => {
                failed += 1;
                println!(
                    "{}",
                    serde_json::json!({"input": file, "error": e.to_string()})
                );
            }
            (Err(e), false) => {
                failed += 1;
                eprintln!("error: {e}");
            }
        }
    }
    if failed > 0 {
        return Err(flagshop::Error::Invalid(format!(
            "{failed} of {} file(s) failed",
            files.len()
        )));
    }
    Ok(())
}

/// A progress bar on stderr, hidden when stderr is not a terminal (scripts, tests).
fn progress_bar(len: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} images ({per_sec}, {eta})")
            .expect("the progress template is valid"),
    );
    bar
}

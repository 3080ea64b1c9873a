//! `flagshop`: the shop's command line, over the same core as the desktop app.

mod backup;
mod catalogue;
mod catalogue_csv;
mod customers;
mod media;
mod orders;
mod output;
mod payments;
mod stock;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use flagshop::{ProductQuery, Shop};

use catalogue::{DemoCommand, ProductsCommand};
use customers::CustomersCommand;
use media::MediaCommand;
use orders::OrdersCommand;
use payments::StripeCommand;
use stock::StockCommand;

#[derive(Parser)]
#[command(
    name = "flagshop",
    version,
    about = "Flagshop: run a flag shop from the command line"
)]
struct Cli {
    /// The shop's data directory [default: FLAGSHOP_DATA_DIR, else ~/.local/share/flagshop].
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the shop (with the demo catalogue unless --blank) and say where it lives.
    Init {
        /// Start with an empty catalogue instead of the demo one.
        #[arg(long)]
        blank: bool,
    },
    /// The catalogue.
    #[command(subcommand)]
    Products(ProductsCommand),
    /// Stock levels and the stock ledger.
    #[command(subcommand)]
    Stock(StockCommand),
    /// Product images and thumbnails.
    #[command(subcommand)]
    Media(MediaCommand),
    /// Orders: list, show, refund, fulfil, cancel, note.
    #[command(subcommand)]
    Orders(OrdersCommand),
    /// Customers: everyone who ordered, with what they spent.
    #[command(subcommand)]
    Customers(CustomersCommand),
    /// Stripe: learn what happened there.
    #[command(subcommand)]
    Stripe(StripeCommand),
    /// Place a test order and pay it with a Stripe test card, through the real order pipeline
    /// (the Stripe server and key from Settings, or STRIPE_API_BASE and STRIPE_SECRET_KEY).
    /// Test orders stay out of the books; `orders delete-test` removes them.
    Checkout(payments::CheckoutArgs),
    /// Backups of the whole shop: make, list, verify, restore.
    #[command(subcommand)]
    Backup(backup::BackupCommand),
    /// Make a big shop to try things at scale.
    #[command(subcommand)]
    Demo(DemoCommand),
}

fn main() -> ExitCode {
    end_quietly_on_a_closed_pipe();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,stripe=off")),
        )
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The commands that sell, restock, pay or change orders: they sweep expired reservations
/// first. Reads never do (they must not need the write lock).
fn moves_stock_or_orders(command: &Command) -> bool {
    match command {
        Command::Checkout(_)
        | Command::Stock(StockCommand::Adjust { .. })
        | Command::Stripe(StripeCommand::Sync { .. } | StripeCommand::Listen { .. }) => true,
        Command::Orders(orders) => !matches!(
            orders,
            OrdersCommand::List { .. } | OrdersCommand::Show { .. } | OrdersCommand::Export { .. }
        ),
        _ => false,
    }
}

/// `flagshop products list | head -1`: when the reader goes away, stop as every Unix tool does
/// (killed by SIGPIPE, nothing printed) instead of panicking on the failed write. Rust ignores
/// SIGPIPE by default so that writes fail with an error; a CLI wants the signal back.
fn end_quietly_on_a_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; restoring a signal's
    // default disposition has no other effect on the process.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn run(cli: Cli) -> Result<(), flagshop::Error> {
    if let Command::Media(MediaCommand::Thumb {
        width,
        out_dir,
        files,
        json,
    }) = cli.command
    {
        return media::thumbnails(width, &out_dir, &files, json);
    }
    let data_dir = cli
        .data_dir
        .clone()
        .unwrap_or_else(flagshop::default_data_dir);
    // A full disk names the shop's folder; a damaged shop file names the backup to restore.
    run_on(cli, &data_dir)
        .map_err(|e| flagshop::backups::diagnose(&data_dir, e.in_folder(&data_dir)))
}

fn run_on(cli: Cli, data_dir: &std::path::Path) -> Result<(), flagshop::Error> {
    let data_dir = data_dir.to_path_buf();
    let shop = match cli.command {
        Command::Init { blank: true } => Shop::open_blank(&data_dir)?,
        _ => Shop::open(&data_dir)?,
    };
    if moves_stock_or_orders(&cli.command) {
        // Abandoned checkouts give their stock back before anything counts it.
        shop.release_expired_reservations()?;
    }
    match cli.command {
        Command::Init { .. } => {
            let count = catalogue::all_products(&shop, ProductQuery::default())?.len();
            println!("Shop ready in {}: {count} product(s)", data_dir.display());
        }
        Command::Products(command) => catalogue::run_products(shop, command)?,
        Command::Demo(command) => catalogue::run_demo(shop, command)?,
        Command::Stock(command) => stock::run(shop, command)?,
        Command::Media(command) => media::run(shop, command)?,
        Command::Orders(command) => orders::run(shop, command)?,
        Command::Customers(command) => customers::run(shop, command)?,
        Command::Stripe(command) => payments::run(shop, command)?,
        Command::Checkout(args) => payments::checkout(shop, args)?,
        Command::Backup(command) => backup::run(shop, command)?,
    }
    Ok(())
}

/// A runtime for the Stripe calls of one command.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, flagshop::Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| flagshop::Error::Internal(format!("cannot start the async runtime: {e}")))
}

//! `flagshop`: the shop's command line, over the same core as the desktop app.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use flagshop::{
    LedgerEntry, Money, Product, ProductQuery, ProductStatus, ProductSummary, Shop, StockLevel,
    StockReason,
};
use serde::Serialize;

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
    /// Place an order and pay it with a Stripe test card, through the real order pipeline
    /// (the Stripe server and key from Settings, or STRIPE_API_BASE and STRIPE_SECRET_KEY).
    Checkout {
        /// What to buy, as SKU or SKU:QUANTITY; repeat for more lines.
        #[arg(long = "sku", value_name = "SKU[:QTY]", required = true)]
        skus: Vec<String>,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Test Customer")]
        name: String,
        /// Street and number of the shipping address.
        #[arg(long, default_value = "1 Test Street")]
        street: String,
        #[arg(long, default_value = "Testville")]
        city: String,
        #[arg(long, default_value = "10001")]
        postcode: String,
        /// Two-letter country code of the shipping address.
        #[arg(long, default_value = "US")]
        country: String,
        /// visa, declined, charge_declined, insufficient_funds, lost_card, expired_card,
        /// incorrect_cvc, processing_error, 3ds or dispute.
        #[arg(long, default_value = "visa")]
        card: flagshop::checkout::TestCard,
        #[arg(long)]
        discount: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Make a big shop to try things at scale.
    #[command(subcommand)]
    Demo(DemoCommand),
}

#[derive(Subcommand)]
enum StripeCommand {
    /// Which Stripe server and key mode are in use (never the keys themselves).
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Apply the Stripe events since the last one applied (each once) to the orders.
    Sync {
        #[arg(long)]
        json: bool,
    },
    /// Receive webhook deliveries on 127.0.0.1 (signed with the webhook secret from Settings or
    /// STRIPE_WEBHOOK_SECRET), e.g. from
    /// `stripe listen --forward-to localhost:PORT`.
    Listen {
        #[arg(long, default_value_t = 4242)]
        port: u16,
    },
}

#[derive(Subcommand)]
enum CustomersCommand {
    /// Customers, the one who ordered last first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One customer and their orders.
    Show {
        email: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum OrdersCommand {
    /// Orders, newest first, optionally filtered.
    List {
        /// Part of the order number, the email or the customer's name.
        #[arg(long, value_name = "Q")]
        search: Option<String>,
        /// pending, requires_action, paid, partially_refunded, refunded, failed or voided.
        #[arg(long, value_name = "S")]
        payment: Option<flagshop::PaymentStatus>,
        /// unfulfilled or fulfilled.
        #[arg(long, value_name = "S")]
        fulfilment: Option<String>,
        /// Placed on or after this UTC day, e.g. 2026-11-01.
        #[arg(long, value_name = "DAY")]
        from: Option<String>,
        /// Placed on or before this UTC day.
        #[arg(long, value_name = "DAY")]
        to: Option<String>,
        /// Only orders waiting to be shipped: open, paid, not fulfilled.
        #[arg(long)]
        to_fulfil: bool,
        /// Only orders whose payment has a dispute that is not closed.
        #[arg(long)]
        disputed: bool,
        /// Only open, paid orders lacking stock they were paid for.
        #[arg(long)]
        oversold: bool,
        /// Only test orders (the Checkout lab's and `flagshop checkout`'s).
        #[arg(long, conflicts_with = "real")]
        test: bool,
        /// Only real orders: no test orders.
        #[arg(long)]
        real: bool,
        #[arg(long)]
        json: bool,
    },
    /// One order with its lines, totals and timeline.
    Show {
        number: String,
        #[arg(long)]
        json: bool,
    },
    /// Refund a paid order through Stripe, fully or in part.
    Refund {
        number: String,
        /// Minor units (e.g. 1250 for 12.50); everything left when not given.
        #[arg(long)]
        amount: Option<i64>,
        /// Put the order's goods back in stock.
        #[arg(long)]
        restock: bool,
        #[arg(long)]
        json: bool,
    },
    /// Mark a paid order shipped, with its tracking number.
    Fulfil {
        number: String,
        #[arg(long)]
        tracking: String,
        /// The carrier, e.g. UPS.
        #[arg(long)]
        carrier: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Cancel an order: an unpaid one releases its stock and voids its payment; a paid,
    /// unfulfilled one is refunded through Stripe and restocked first.
    Cancel {
        number: String,
        #[arg(long)]
        json: bool,
    },
    /// Add a note to an order's timeline.
    Note {
        number: String,
        text: String,
        #[arg(long)]
        json: bool,
    },
    /// Receive the units an oversold order lacks and sell them to it (the other way out is
    /// `orders cancel`, which refunds and closes it).
    RestockOversold {
        number: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete test orders: each is refunded (paid) or voided (unpaid) at Stripe first and its
    /// stock comes back through the ledger. Shows what it would do unless given --yes.
    DeleteTest {
        /// The test orders to delete.
        #[arg(required_unless_present = "all")]
        numbers: Vec<String>,
        /// Every test order.
        #[arg(long, conflicts_with = "numbers")]
        all: bool,
        /// Delete them; without it, only say what deleting would do.
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum MediaCommand {
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

#[derive(Subcommand)]
enum ProductsCommand {
    /// List products, optionally filtered.
    List(ListArgs),
    /// Show one product with its variants.
    Show {
        handle: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct ListArgs {
    /// Words to search for in titles, descriptions, tags, SKUs and options.
    #[arg(long, value_name = "Q")]
    search: Option<String>,
    /// active, draft or archived.
    #[arg(long, value_name = "S")]
    status: Option<ProductStatus>,
    /// A collection's handle.
    #[arg(long)]
    collection: Option<String>,
    /// Only products with stock available.
    #[arg(long)]
    in_stock: bool,
    /// Lowest price, e.g. 10.00.
    #[arg(long, value_name = "PRICE")]
    min_price: Option<String>,
    /// Highest price, e.g. 50.00.
    #[arg(long, value_name = "PRICE")]
    max_price: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum StockCommand {
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

#[derive(Subcommand)]
enum DemoCommand {
    /// Add copies of the demo products ("Canada Flag No. 123") with their variants, stock and
    /// images, in one transaction.
    Bulk {
        /// How many products to add.
        #[arg(long)]
        products: usize,
    },
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
        Command::Checkout { .. }
        | Command::Stock(StockCommand::Adjust { .. })
        | Command::Stripe(StripeCommand::Sync { .. } | StripeCommand::Listen { .. }) => true,
        Command::Orders(orders) => !matches!(
            orders,
            OrdersCommand::List { .. } | OrdersCommand::Show { .. }
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
        return thumbnails(width, &out_dir, &files, json);
    }
    let data_dir = cli.data_dir.unwrap_or_else(flagshop::default_data_dir);
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
            let count = all_products(&shop, ProductQuery::default())?.len();
            println!("Shop ready in {}: {count} product(s)", data_dir.display());
        }
        Command::Demo(DemoCommand::Bulk { products }) => {
            let started = std::time::Instant::now();
            shop.add_demo_copies(products)?;
            let count = all_products(&shop, ProductQuery::default())?.len();
            println!(
                "Added {products} product(s) in {:.1} s; the shop has {count}",
                started.elapsed().as_secs_f64()
            );
        }
        Command::Products(ProductsCommand::List(args)) => list_products(&shop, args)?,
        Command::Products(ProductsCommand::Show { handle, json }) => {
            let product = shop.product(&handle)?;
            if json {
                print_json(&product);
            } else {
                print_product(&product);
            }
        }
        Command::Stock(StockCommand::Adjust {
            sku,
            delta,
            reason,
            note,
            json,
        }) => {
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
        Command::Stock(StockCommand::History { sku, json }) => {
            let history = shop.stock_history(&sku)?;
            if json {
                print_json(&history);
            } else {
                print_history(&history);
            }
        }
        Command::Stock(StockCommand::Low { json }) => {
            let low = shop.low_stock()?;
            if json {
                print_json(&low);
            } else {
                print_levels(&low);
            }
        }
        Command::Stock(StockCommand::Verify { json }) => {
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
        Command::Media(MediaCommand::Add {
            handle,
            files,
            alt,
            json,
        }) => {
            let product = shop.add_product_images(&handle, &files, &alt)?;
            if json {
                print_json(&product.images);
            } else {
                println!("{}: {} image(s)", product.handle, product.images.len());
            }
        }
        Command::Media(MediaCommand::Rebuild) => {
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
        Command::Media(MediaCommand::Thumb { .. }) => unreachable!("handled before opening a shop"),
        Command::Checkout {
            skus,
            email,
            name,
            street,
            city,
            postcode,
            country,
            card,
            discount,
            json,
        } => {
            let lines = skus
                .iter()
                .map(|s| parse_line(s))
                .collect::<Result<Vec<_>, _>>()?;
            let customer = flagshop::CustomerDetails {
                email,
                name,
                address: flagshop::Address {
                    line1: street,
                    line2: String::new(),
                    city,
                    postal_code: postcode,
                    country,
                },
            };
            // The client first: a live key or a missing one is refused before anything is written.
            let client = shop.stripe_client()?;
            let shop = std::sync::Arc::new(shop);
            let runtime = runtime()?;
            // The card before the order: a card this server cannot use must not leave an
            // order holding stock.
            let method = runtime.block_on(card.payment_method(&client))?;
            let order = shop.place_test_order(&lines, &customer, discount.as_deref())?;
            let order = runtime.block_on(flagshop::checkout::pay(
                &shop,
                &client,
                &order.number,
                &method,
            ))?;
            if json {
                print_json(&serde_json::json!({
                    "number": order.number,
                    "payment_status": order.payment_status,
                    "payment_intent_id": order.payment_intent_id,
                    "total": order.totals.total,
                    "currency": order.totals.currency,
                    "message": order.events.last().map(|e| e.message.as_str()),
                }));
            } else {
                println!(
                    "Order {}: {} ({}) — {}",
                    order.number,
                    order.payment_status.as_str(),
                    order.totals.total_money(),
                    order
                        .payment_intent_id
                        .as_deref()
                        .unwrap_or("no PaymentIntent")
                );
                if let Some(e) = order.events.last() {
                    println!("{}", e.message);
                }
            }
        }
        Command::Stripe(StripeCommand::Status { json }) => {
            let status = shop.stripe_status()?;
            if json {
                print_json(&status);
            } else {
                let server = match (status.emulator, status.behaves_as_stripe) {
                    (true, true) => "local test server behaving as Stripe",
                    (true, false) => "local Stripe emulator",
                    (false, _) => "Stripe",
                };
                println!("Test payments: {server} at {}", status.api_base);
                println!(
                    "Secret key:     {}",
                    status.secret_key_masked.as_deref().unwrap_or("not set")
                );
                println!(
                    "Webhook secret: {}",
                    if status.webhook_secret_set {
                        "set"
                    } else {
                        "not set"
                    }
                );
            }
        }
        Command::Stripe(StripeCommand::Sync { json }) => {
            let client = shop.stripe_client()?;
            let shop = std::sync::Arc::new(shop);
            let report = runtime()?.block_on(flagshop::checkout::sync_events(&shop, &client))?;
            if json {
                print_json(&report);
            } else {
                println!("{} event(s) seen, {} applied", report.seen, report.applied);
                if let Some(why) = &report.first_failure {
                    eprintln!(
                        "warning: {} event(s) not applied, tried again next time; first: {why}",
                        report.failed
                    );
                }
            }
        }
        Command::Stripe(StripeCommand::Listen { port }) => {
            let client = shop.stripe_client()?;
            let secret = shop.stripe_webhook_secret()?.ok_or_else(|| {
                flagshop::Error::Invalid(
                    "no webhook signing secret: save one (whsec_…) in Settings or set \
                     STRIPE_WEBHOOK_SECRET"
                        .into(),
                )
            })?;
            let shop = std::sync::Arc::new(shop);
            runtime()?.block_on(async {
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
                    .await
                    .map_err(|e| {
                        flagshop::Error::Internal(format!("cannot listen on 127.0.0.1:{port}: {e}"))
                    })?;
                println!("Listening for Stripe webhooks on http://127.0.0.1:{port}/");
                // Running for as long as the app would: sweep on the app's timer too.
                tokio::spawn(flagshop::reservations::sweep_every(
                    std::sync::Arc::clone(&shop),
                    flagshop::reservations::SWEEP_PERIOD,
                ));
                flagshop::webhooks::serve(listener, shop, client, secret).await;
                Ok::<_, flagshop::Error>(())
            })?;
        }
        Command::Orders(OrdersCommand::List {
            search,
            payment,
            fulfilment,
            from,
            to,
            to_fulfil,
            disputed,
            oversold,
            test,
            real,
            json,
        }) => {
            let orders = shop.search_orders(&flagshop::OrderQuery {
                text: search,
                payment_status: payment,
                fulfillment_status: fulfilment,
                placed_from: from,
                placed_to: to,
                to_fulfil,
                disputed,
                oversold,
                test: (test || real).then_some(test),
            })?;
            if json {
                print_json(&orders);
            } else {
                print_orders(&orders);
            }
        }
        Command::Orders(OrdersCommand::Refund {
            number,
            amount,
            restock,
            json,
        }) => {
            let client = shop.stripe_client()?;
            let shop = std::sync::Arc::new(shop);
            let runtime = runtime()?;
            let order = runtime.block_on(flagshop::checkout::refund(
                &shop, &client, &number, amount, restock,
            ))?;
            if json {
                print_json(&order);
            } else {
                println!(
                    "Order {}: {} ({} refunded)",
                    order.number,
                    order.payment_status.as_str(),
                    Money::new(order.amount_refunded, order.totals.currency)
                );
            }
        }
        Command::Orders(OrdersCommand::Fulfil {
            number,
            tracking,
            carrier,
            json,
        }) => {
            let order = shop.fulfil_order(&number, carrier.as_deref(), &tracking)?;
            print_action(&order, json);
        }
        Command::Orders(OrdersCommand::Cancel { number, json }) => {
            let client = shop.stripe_client()?;
            let shop = std::sync::Arc::new(shop);
            let order = runtime()?.block_on(flagshop::checkout::cancel(&shop, &client, &number))?;
            print_action(&order, json);
        }
        Command::Orders(OrdersCommand::Note { number, text, json }) => {
            let order = shop.add_order_note(&number, &text)?;
            print_action(&order, json);
        }
        Command::Orders(OrdersCommand::RestockOversold { number, json }) => {
            let order = shop.restock_oversold(&number)?;
            print_action(&order, json);
        }
        Command::Orders(OrdersCommand::DeleteTest {
            numbers,
            all,
            yes,
            json,
        }) => delete_test_orders(shop, numbers, all, yes, json)?,
        Command::Customers(CustomersCommand::List { json }) => {
            let customers = shop.customers()?;
            if json {
                print_json(&customers);
            } else {
                print_customers(&customers);
            }
        }
        Command::Customers(CustomersCommand::Show { email, json }) => {
            let detail = shop.customer(&email)?;
            if json {
                print_json(&detail);
            } else {
                print_customers(std::slice::from_ref(&detail.customer));
                println!();
                print_orders(&detail.orders);
            }
        }
        Command::Orders(OrdersCommand::Show { number, json }) => {
            let order = shop.order(&number)?;
            if json {
                print_json(&order);
            } else {
                print_order(&order);
            }
        }
    }
    Ok(())
}

/// `media thumb`: every file in parallel; a bad file is reported and the others still go on.
fn thumbnails(
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

fn list_products(shop: &Shop, args: ListArgs) -> Result<(), flagshop::Error> {
    let currency = shop.currency()?;
    let price = |p: Option<String>| {
        p.map(|p| Money::parse(&p, currency).map(|m| m.amount))
            .transpose()
    };
    let query = ProductQuery {
        search: args.search,
        status: args.status,
        collection: args.collection,
        in_stock: args.in_stock,
        min_price: price(args.min_price)?,
        max_price: price(args.max_price)?,
        ..ProductQuery::default()
    };
    let products = all_products(shop, query)?;
    if args.json {
        print_json(&products);
        return Ok(());
    }
    if products.is_empty() {
        println!("No products found.");
        return Ok(());
    }
    let rows: Vec<[String; 5]> = products
        .iter()
        .map(|p| {
            [
                p.handle.clone(),
                p.title.clone(),
                price_range(p),
                p.available.to_string(),
                p.status.as_str().to_owned(),
            ]
        })
        .collect();
    print_table(["HANDLE", "TITLE", "PRICE", "AVAILABLE", "STATUS"], &rows);
    Ok(())
}

/// Every product matching `query`, following the pages to the end.
fn all_products(
    shop: &Shop,
    mut query: ProductQuery,
) -> Result<Vec<ProductSummary>, flagshop::Error> {
    let mut all = Vec::new();
    query.limit = Some(500);
    loop {
        let page = shop.list_products(&query)?;
        all.extend(page.items);
        match page.next_cursor {
            Some(cursor) => query.after = Some(cursor),
            None => return Ok(all),
        }
    }
}

fn price_range(p: &ProductSummary) -> String {
    match (p.min_price, p.max_price, p.currency) {
        (Some(min), Some(max), Some(currency)) if min == max => {
            Money::new(min, currency).to_string()
        }
        (Some(min), Some(max), Some(currency)) => format!(
            "{}–{}",
            Money::new(min, currency).format_amount(),
            Money::new(max, currency)
        ),
        _ => "—".to_owned(),
    }
}

fn print_product(p: &Product) {
    println!("{} ({})", p.title, p.handle);
    println!("Status: {}", p.status.as_str());
    if !p.vendor.is_empty() || !p.product_type.is_empty() {
        println!("Vendor: {}   Type: {}", p.vendor, p.product_type);
    }
    if !p.tags.is_empty() {
        println!("Tags: {}", p.tags.join(", "));
    }
    if !p.collections.is_empty() {
        println!("Collections: {}", p.collections.join(", "));
    }
    if !p.description.is_empty() {
        println!("\n{}\n", p.description);
    }
    let rows: Vec<[String; 5]> = p
        .variants
        .iter()
        .map(|v| {
            [
                v.sku.clone(),
                v.options.join(" / "),
                v.price().to_string(),
                v.on_hand.to_string(),
                v.available.to_string(),
            ]
        })
        .collect();
    print_table(["SKU", "OPTIONS", "PRICE", "ON HAND", "AVAILABLE"], &rows);
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

/// A runtime for the Stripe calls of one command.
fn runtime() -> Result<tokio::runtime::Runtime, flagshop::Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| flagshop::Error::Internal(format!("cannot start the async runtime: {e}")))
}

/// `SKU` or `SKU:QTY`.
fn parse_line(text: &str) -> Result<(String, i64), flagshop::Error> {
    match text.rsplit_once(':') {
        Some((sku, qty)) => qty.parse().map(|q| (sku.to_owned(), q)).map_err(|_| {
            flagshop::Error::Invalid(format!(
                "\"{text}\": the quantity after ':' must be a whole number"
            ))
        }),
        None => Ok((text.to_owned(), 1)),
    }
}

fn print_customers(customers: &[flagshop::CustomerSummary]) {
    if customers.is_empty() {
        println!("No customers yet.");
        return;
    }
    let rows: Vec<[String; 5]> = customers
        .iter()
        .map(|c| {
            [
                c.name.clone(),
                c.email.clone(),
                c.orders_count.to_string(),
                Money::new(c.lifetime_spend, c.currency).to_string(),
                c.last_order_at.clone().unwrap_or_default(),
            ]
        })
        .collect();
    print_table(["NAME", "EMAIL", "ORDERS", "SPENT", "LAST ORDER"], &rows);
}

fn print_orders(orders: &[flagshop::OrderSummary]) {
    if orders.is_empty() {
        println!("No orders.");
        return;
    }
    let rows: Vec<[String; 6]> = orders
        .iter()
        .map(|o| {
            [
                o.number.clone(),
                o.created_at.clone(),
                o.email.clone(),
                Money::new(o.total, o.currency).to_string(),
                [
                    Some(o.payment_status.as_str()),
                    o.test.then_some("(test)"),
                    o.disputed.then_some("(disputed)"),
                    o.oversold.then_some("(oversold)"),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
                o.fulfillment_status.clone(),
            ]
        })
        .collect();
    print_table(
        [
            "NUMBER",
            "PLACED",
            "CUSTOMER",
            "TOTAL",
            "PAYMENT",
            "FULFILMENT",
        ],
        &rows,
    );
}

/// `orders delete-test`: the preview without `--yes`, the deletion with it. Exits 1 when an
/// order was refused.
fn delete_test_orders(
    shop: flagshop::Shop,
    numbers: Vec<String>,
    all: bool,
    yes: bool,
    json: bool,
) -> Result<(), flagshop::Error> {
    let numbers = if all {
        shop.search_orders(&flagshop::OrderQuery {
            test: Some(true),
            ..Default::default()
        })?
        .into_iter()
        .map(|o| o.number)
        .collect()
    } else {
        numbers
    };
    let refused = if yes {
        // Stripe only for the orders with something there: without keys, the rest still go.
        let client = shop.stripe_client().ok();
        let shop = std::sync::Arc::new(shop);
        let done = runtime()?.block_on(flagshop::test_orders::delete_test_orders(
            &shop,
            client.as_ref(),
            &numbers,
        ))?;
        if json {
            print_json(&done);
        } else {
            println!(
                "Deleted {} test order(s); {} unit(s) back in stock.",
                done.deleted.len(),
                done.units_restocked
            );
        }
        done.refused
    } else {
        let preview = shop.preview_test_order_deletion(&numbers)?;
        if json {
            print_json(&preview);
        } else {
            println!(
                "Would delete {} test order(s): {} refunded at Stripe ({}), {} payment(s) \
                 voided, {} unit(s) back in stock. Run again with --yes to delete them.",
                preview.orders.len(),
                preview.refunds,
                Money::new(preview.refund_amount, preview.currency),
                preview.voids,
                preview.units_restocked
            );
        }
        preview.refused
    };
    if refused.is_empty() {
        return Ok(());
    }
    for r in &refused {
        eprintln!("order {} {}", r.number, r.reason);
    }
    Err(flagshop::Error::Invalid(format!(
        "{} order(s) were not deleted",
        refused.len()
    )))
}

/// After an order action: the whole order as JSON, or its states and the event just added.
fn print_action(order: &flagshop::Order, json: bool) {
    if json {
        print_json(order);
        return;
    }
    println!(
        "Order {}: {}, {}, {}",
        order.number,
        order.status,
        order.payment_status.as_str(),
        order.fulfillment_status
    );
    if let Some(e) = order.events.last() {
        println!("{}", e.message);
    }
}

fn print_order(o: &flagshop::Order) {
    let money = |amount| Money::new(amount, o.totals.currency).to_string();
    println!(
        "Order {} — {} — {} — {}",
        o.number,
        o.status,
        o.payment_status.as_str(),
        o.fulfillment_status
    );
    println!("{} <{}>", o.customer_name, o.email);
    let a = &o.address;
    println!("{}, {} {}, {}\n", a.line1, a.postal_code, a.city, a.country);
    let rows: Vec<[String; 4]> = o
        .lines
        .iter()
        .map(|l| {
            [
                l.sku.clone(),
                format!("{} {}", l.title, l.options),
                l.quantity.to_string(),
                money(l.unit_price * l.quantity),
            ]
        })
        .collect();
    print_table(["SKU", "ITEM", "QTY", "AMOUNT"], &rows);
    let t = &o.totals;
    println!(
        "\nSubtotal {}  Discount {}  Shipping {}  Tax {}  Total {}",
        money(t.subtotal),
        money(t.discount),
        money(t.shipping),
        money(t.tax),
        money(t.total)
    );
    if let Some(pi) = &o.payment_intent_id {
        match (&o.card_brand, &o.card_last4) {
            (Some(brand), Some(last4)) => println!("PaymentIntent {pi}, {brand} •••• {last4}"),
            _ => println!("PaymentIntent {pi}"),
        }
    }
    if let Some(tracking) = &o.tracking_number {
        println!(
            "Shipped {}tracking {tracking}",
            o.carrier
                .as_ref()
                .map_or(String::new(), |c| format!("with {c}, "))
        );
    }
    println!();
    for e in &o.events {
        println!("{}  {:<20} {}", e.created_at, e.kind, e.message);
    }
}

fn print_table<const N: usize>(header: [&str; N], rows: &[[String; N]]) {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = std::io::stdout().lock();
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let _ = writeln!(out, "{}", line(header.to_vec()));
    for row in rows {
        let _ = writeln!(out, "{}", line(row.iter().map(String::as_str).collect()));
    }
}

fn print_json<T: Serialize + ?Sized>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("domain types serialise to JSON")
    );
}

//! `flagshop products …` and `flagshop demo …`: the catalogue.

use clap::{Args, Subcommand};
use flagshop::{Money, Product, ProductQuery, ProductStatus, ProductSummary, Shop};

use crate::catalogue_csv;
use crate::output::{print_json, print_table};

/// Runs one `ProductsCommand` command.
pub(crate) fn run_products(shop: Shop, command: ProductsCommand) -> Result<(), flagshop::Error> {
    match command {
        ProductsCommand::List(args) => list_products(&shop, args)?,
        ProductsCommand::Show { handle, json } => {
            let product = shop.product(&handle)?;
            if json {
                print_json(&product);
            } else {
                print_product(&product);
            }
        }
        ProductsCommand::Import(args) => catalogue_csv::import(&shop, args)?,
        ProductsCommand::Export(args) => catalogue_csv::export(&shop, args)?,
        ProductsCommand::RetryImages {
            image_timeout,
            json,
        } => catalogue_csv::retry_images(&shop, image_timeout, json)?,
    }
    Ok(())
}

/// Runs one `DemoCommand` command.
pub(crate) fn run_demo(shop: Shop, command: DemoCommand) -> Result<(), flagshop::Error> {
    match command {
        DemoCommand::Bulk { products } => {
            let started = std::time::Instant::now();
            shop.add_demo_copies(products)?;
            let count = all_products(&shop, ProductQuery::default())?.len();
            println!(
                "Added {products} product(s) in {:.1} s; the shop has {count}",
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub(crate) enum ProductsCommand {
    /// List products, optionally filtered.
    List(ListArgs),
    /// Show one product with its variants.
    Show {
        handle: String,
        #[arg(long)]
        json: bool,
    },
    /// Import a Shopify product CSV: create, update or leave each product; exit 1 if any is
    /// refused. Images named by URL or path are fetched.
    Import(catalogue_csv::ImportArgs),
    /// Export products as a Shopify product CSV (the 2025 template); images that did not come
    /// from a URL are copied into a folder beside it.
    Export(catalogue_csv::ExportArgs),
    /// Fetch again the images earlier imports could not.
    RetryImages {
        /// Seconds one image download may take.
        #[arg(long, value_name = "SECS", default_value_t = 30)]
        image_timeout: u64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub(crate) struct ListArgs {
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
pub(crate) enum DemoCommand {
    /// Add copies of the demo products ("Canada Flag No. 123") with their variants, stock and
    /// images, in one transaction.
    Bulk {
        /// How many products to add.
        #[arg(long)]
        products: usize,
    },
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
pub(crate) fn all_products(
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

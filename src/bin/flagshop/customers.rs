//! `flagshop customers …`: everyone who ordered, with what they spent.

use clap::Subcommand;
use flagshop::{Money, Shop};

use crate::orders::print_orders;
use crate::output::{print_json, print_table};

/// Runs one `CustomersCommand` command.
pub(crate) fn run(shop: Shop, command: CustomersCommand) -> Result<(), flagshop::Error> {
    match command {
        CustomersCommand::List { json } => {
            let customers = shop.customers()?;
            if json {
                print_json(&customers);
            } else {
                print_customers(&customers);
            }
        }
        CustomersCommand::Show { email, json } => {
            let detail = shop.customer(&email)?;
            if json {
                print_json(&detail);
            } else {
                print_customers(std::slice::from_ref(&detail.customer));
                println!();
                print_orders(&detail.orders);
            }
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub(crate) enum CustomersCommand {
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

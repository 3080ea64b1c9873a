//! `flagshop orders …`: the order list and every action on an order.

use clap::Subcommand;
use flagshop::{Money, Shop};

use crate::output::{print_json, print_table};
use crate::runtime;

/// Runs one `OrdersCommand` command.
pub(crate) fn run(shop: Shop, command: OrdersCommand) -> Result<(), flagshop::Error> {
    match command {
        OrdersCommand::List {
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
        } => {
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
        OrdersCommand::Refund {
            number,
            amount,
            restock,
            json,
        } => {
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
        OrdersCommand::Fulfil {
            number,
            tracking,
            carrier,
            json,
        } => {
            let order = shop.fulfil_order(&number, carrier.as_deref(), &tracking)?;
            print_action(&order, json);
        }
        OrdersCommand::Cancel { number, json } => {
            let client = shop.stripe_client()?;
            let shop = std::sync::Arc::new(shop);
            let order = runtime()?.block_on(flagshop::checkout::cancel(&shop, &client, &number))?;
            print_action(&order, json);
        }
        OrdersCommand::Note { number, text, json } => {
            let order = shop.add_order_note(&number, &text)?;
            print_action(&order, json);
        }
        OrdersCommand::RestockOversold { number, json } => {
            let order = shop.restock_oversold(&number)?;
            print_action(&order, json);
        }
        OrdersCommand::DeleteTest {
            numbers,
            all,
            yes,
            json,
        } => delete_test_orders(shop, numbers, all, yes, json)?,
        OrdersCommand::Export {
            out,
            from,
            to,
            json,
        } => {
            let summary = shop.export_orders_to(&out, from.as_deref(), to.as_deref())?;
            if json {
                print_json(&summary);
            } else {
                println!(
                    "Exported {} order(s) in {} row(s), one per line item, to {}",
                    summary.orders,
                    summary.rows,
                    out.display()
                );
            }
        }
        OrdersCommand::Show { number, json } => {
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

#[derive(Subcommand)]
pub(crate) enum OrdersCommand {
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
    /// Export real orders (not test orders) for the accountant, in the columns of Shopify's
    /// orders export: one row per line item.
    Export {
        /// The CSV file to write.
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
        /// Placed on or after this UTC day, e.g. 2026-11-01.
        #[arg(long, value_name = "DAY")]
        from: Option<String>,
        /// Placed on or before this UTC day.
        #[arg(long, value_name = "DAY")]
        to: Option<String>,
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

pub(crate) fn print_orders(orders: &[flagshop::OrderSummary]) {
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

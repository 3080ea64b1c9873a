//! `flagshop stripe …` and `flagshop checkout`: Stripe, and test orders paid through it.

use clap::{Args, Subcommand};
use flagshop::Shop;

use crate::output::print_json;
use crate::runtime;

/// Runs one `StripeCommand` command.
pub(crate) fn run(shop: Shop, command: StripeCommand) -> Result<(), flagshop::Error> {
    match command {
        StripeCommand::Status { json } => {
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
        StripeCommand::Sync { json } => {
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
        StripeCommand::Listen { port } => {
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
    }
    Ok(())
}

#[derive(Subcommand)]
pub(crate) enum StripeCommand {
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

/// `flagshop checkout`: what to buy, from whom, paid with which test card.
#[derive(Args)]
pub(crate) struct CheckoutArgs {
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
}

/// Places a test order and pays it with a Stripe test card, through the real pipeline.
pub(crate) fn checkout(shop: Shop, args: CheckoutArgs) -> Result<(), flagshop::Error> {
    let CheckoutArgs {
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
    } = args;
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
    Ok(())
}

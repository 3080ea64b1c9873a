//! Checkout and the Checkout lab: placing the cart's order, paying it through Stripe, reading
//! the payment back, and running the lab's scenarios. Card numbers never come here: the
//! storefront hands over a payment method Stripe.js created in the page.

use std::sync::Arc;

use flagshop::lab::{self, LabResult, LabScenario};
use flagshop::payments::StripeStatus;
use flagshop::{CustomerDetails, Order, PaymentStatus, Shop, Totals, checkout};
use serde::Serialize;
use ts_rs::TS;

use super::{CommandError, Shared, on_shop};

/// Where a payment stands after an attempt, and what the page needs to go on.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct PaymentStep {
    pub order: Order,
    /// Set when the customer must authenticate (3-D Secure): Stripe.js takes it from here.
    pub client_secret: Option<String>,
}

/// The Stripe server, key mode and Stripe.js address in use: never a secret.
#[tauri::command]
pub async fn stripe_status(shop: Shared<'_>) -> Result<StripeStatus, CommandError> {
    on_shop(&shop, |shop| shop.stripe_status()).await
}

/// The cart's totals for shipping to `country`, with `discount_code` if any.
#[tauri::command]
pub async fn checkout_quote(
    shop: Shared<'_>,
    country: String,
    discount_code: Option<String>,
) -> Result<Totals, CommandError> {
    on_shop(&shop, move |shop| {
        let lines: Vec<(String, i64)> = shop
            .cart()?
            .lines
            .into_iter()
            .map(|line| (line.sku, line.quantity))
            .collect();
        shop.quote(&lines, &country, discount_code.as_deref())
    })
    .await
}

/// Places the cart's order for `customer`, reserving its stock.
#[tauri::command]
pub async fn place_order(
    shop: Shared<'_>,
    customer: CustomerDetails,
    discount_code: Option<String>,
) -> Result<Order, CommandError> {
    on_shop(&shop, move |shop| {
        shop.place_order_from_cart(&customer, discount_code.as_deref())
    })
    .await
}

/// Pays order `number` with a payment method created by Stripe.js in the page.
#[tauri::command]
pub async fn pay_order(
    shop: Shared<'_>,
    number: String,
    payment_method: String,
) -> Result<PaymentStep, CommandError> {
    let shop = Arc::clone(&shop);
    let client = on_shop(&shop, |shop| shop.stripe_client()).await?;
    let order = checkout::pay(&shop, &client, &number, &payment_method).await?;
    step(&client, order).await
}

/// Reads order `number`'s payment back from Stripe (after 3-D Secure) and applies it.
#[tauri::command]
pub async fn refresh_payment(shop: Shared<'_>, number: String) -> Result<Order, CommandError> {
    let shop = Arc::clone(&shop);
    let client = on_shop(&shop, |shop| shop.stripe_client()).await?;
    Ok(checkout::refresh(&shop, &client, &number).await?)
}

#[tauri::command]
pub async fn order(shop: Shared<'_>, number: String) -> Result<Order, CommandError> {
    on_shop(&shop, move |shop| shop.order(&number)).await
}

/// Applies the Stripe events since the last one seen, each once (the owner's "check now").
#[tauri::command]
pub async fn sync_stripe(shop: Shared<'_>) -> Result<checkout::SyncReport, CommandError> {
    let shop = Arc::clone(&shop);
    let client = on_shop(&shop, |shop| shop.stripe_client()).await?;
    Ok(checkout::sync_events(&shop, &client).await?)
}

/// The SKU the lab buys one unit of in each scenario.
#[tauri::command]
pub async fn lab_sample_sku(shop: Shared<'_>) -> Result<String, CommandError> {
    on_shop(&shop, lab::sample_sku).await
}

/// Runs one lab scenario through the real order pipeline.
#[tauri::command]
pub async fn run_lab_scenario(
    shop: Shared<'_>,
    scenario: LabScenario,
) -> Result<LabResult, CommandError> {
    let shop: Arc<Shop> = Arc::clone(&shop);
    let client = on_shop(&shop, |shop| shop.stripe_client()).await?;
    let sku = on_shop(&shop, lab::sample_sku).await?;
    Ok(lab::run(&shop, &client, scenario, &sku).await?)
}

/// Reads the outcome of a lab scenario that waited for 3-D Secure in the page (Stripe.js).
#[tauri::command]
pub async fn finish_lab_scenario(
    shop: Shared<'_>,
    result: LabResult,
) -> Result<LabResult, CommandError> {
    let shop: Arc<Shop> = Arc::clone(&shop);
    let client = on_shop(&shop, |shop| shop.stripe_client()).await?;
    Ok(lab::finish(&shop, &client, result).await?)
}

/// The order, plus the client secret when the customer has to authenticate.
async fn step(
    client: &flagshop::payments::StripeClient,
    order: Order,
) -> Result<PaymentStep, CommandError> {
    let client_secret = match (&order.payment_status, &order.payment_intent_id) {
        (PaymentStatus::RequiresAction, Some(id)) => {
            client
                .retrieve_payment_intent(id)
                .await
                .map_err(flagshop::Error::from)?
                .client_secret
        }
        _ => None,
    };
    Ok(PaymentStep {
        order,
        client_secret,
    })
}

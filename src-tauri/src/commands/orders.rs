//! The back office's orders, customers and dashboard: the order list and its actions (fulfil,
//! cancel, refund, note), the customers with their history, and the day's figures. Reading one
//! order reuses the checkout's `order` command. Refunds and cancels move money through Stripe;
//! the core checks every transition first and refuses with a reason.

use std::sync::Arc;

use flagshop::test_orders::{self, TestOrderDeletion, TestOrdersDeleted};
use flagshop::{
    CustomerDetail, CustomerSummary, Dashboard, Order, OrderQuery, OrderSummary, Shop, checkout,
};

use super::{CommandError, Shared, on_shop};

/// The orders matching `query`, newest first.
#[tauri::command]
pub async fn search_orders(
    shop: Shared<'_>,
    query: OrderQuery,
) -> Result<Vec<OrderSummary>, CommandError> {
    on_shop(&shop, move |shop| shop.search_orders(&query)).await
}

/// Marks a paid order shipped with `tracking` (and `carrier`, if given).
#[tauri::command]
pub async fn fulfil_order(
    shop: Shared<'_>,
    number: String,
    carrier: Option<String>,
    tracking: String,
) -> Result<Order, CommandError> {
    on_shop(&shop, move |shop| {
        shop.fulfil_order(&number, carrier.as_deref(), &tracking)
    })
    .await
}

/// Cancels an order the owner confirmed: releases an unpaid order's stock, or refunds and
/// restocks a paid one.
#[tauri::command]
pub async fn cancel_order(shop: Shared<'_>, number: String) -> Result<Order, CommandError> {
    let shop: Arc<Shop> = Arc::clone(&shop);
    let client = on_shop(&shop, |shop| shop.stripe_client()).await?;
    Ok(checkout::cancel(&shop, &client, &number).await?)
}

/// Refunds `amount` minor units (everything left when `None`), restocking the goods if asked.
#[tauri::command]
pub async fn refund_order(
    shop: Shared<'_>,
    number: String,
    amount: Option<i64>,
    restock: bool,
) -> Result<Order, CommandError> {
    let shop: Arc<Shop> = Arc::clone(&shop);
    let client = on_shop(&shop, |shop| shop.stripe_client()).await?;
    Ok(checkout::refund(&shop, &client, &number, amount, restock).await?)
}

#[tauri::command]
pub async fn add_order_note(
    shop: Shared<'_>,
    number: String,
    text: String,
) -> Result<Order, CommandError> {
    on_shop(&shop, move |shop| shop.add_order_note(&number, &text)).await
}

/// Receives the units an oversold order lacks and sells them to it.
#[tauri::command]
pub async fn restock_oversold(shop: Shared<'_>, number: String) -> Result<Order, CommandError> {
    on_shop(&shop, move |shop| shop.restock_oversold(&number)).await
}

/// What deleting these test orders will do (refunds, voids, units restocked), and which
/// cannot be deleted.
#[tauri::command]
pub async fn preview_test_order_deletion(
    shop: Shared<'_>,
    numbers: Vec<String>,
) -> Result<TestOrderDeletion, CommandError> {
    on_shop(&shop, move |shop| {
        shop.preview_test_order_deletion(&numbers)
    })
    .await
}

/// Deletes these test orders, each refunded or voided at Stripe first and restocked.
#[tauri::command]
pub async fn delete_test_orders(
    shop: Shared<'_>,
    numbers: Vec<String>,
) -> Result<TestOrdersDeleted, CommandError> {
    let shop: Arc<Shop> = Arc::clone(&shop);
    // Stripe only for the orders with something there: without keys, the rest still go.
    let client = on_shop(&shop, |shop| Ok(shop.stripe_client().ok())).await?;
    Ok(test_orders::delete_test_orders(&shop, client.as_ref(), &numbers).await?)
}

#[tauri::command]
pub async fn customers(shop: Shared<'_>) -> Result<Vec<CustomerSummary>, CommandError> {
    on_shop(&shop, |shop| shop.customers()).await
}

/// The customer who ordered with `email`, with their orders.
#[tauri::command]
pub async fn customer(shop: Shared<'_>, email: String) -> Result<CustomerDetail, CommandError> {
    on_shop(&shop, move |shop| shop.customer(&email)).await
}

#[tauri::command]
pub async fn dashboard(shop: Shared<'_>) -> Result<Dashboard, CommandError> {
    on_shop(&shop, |shop| shop.dashboard()).await
}

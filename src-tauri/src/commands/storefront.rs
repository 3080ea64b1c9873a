//! The shopper's commands: the catalogue, product pages and the cart.

use flagshop::{Cart, Collection, Product, ProductPage, ProductQuery, ShopInfo};

use super::{CommandError, Shared, on_shop};

#[tauri::command]
pub async fn shop_info(shop: Shared<'_>) -> Result<ShopInfo, CommandError> {
    on_shop(&shop, |shop| shop.info()).await
}

#[tauri::command]
pub async fn list_products(
    shop: Shared<'_>,
    query: ProductQuery,
) -> Result<ProductPage, CommandError> {
    on_shop(&shop, move |shop| shop.list_products(&query)).await
}

#[tauri::command]
pub async fn product(shop: Shared<'_>, handle: String) -> Result<Product, CommandError> {
    on_shop(&shop, move |shop| shop.product(&handle)).await
}

#[tauri::command]
pub async fn collections(shop: Shared<'_>) -> Result<Vec<Collection>, CommandError> {
    on_shop(&shop, |shop| shop.collections()).await
}

#[tauri::command]
pub async fn cart(shop: Shared<'_>) -> Result<Cart, CommandError> {
    on_shop(&shop, |shop| shop.cart()).await
}

#[tauri::command]
pub async fn add_to_cart(
    shop: Shared<'_>,
    sku: String,
    quantity: u32,
) -> Result<Cart, CommandError> {
    on_shop(&shop, move |shop| shop.add_to_cart(&sku, quantity)).await
}

#[tauri::command]
pub async fn set_cart_quantity(
    shop: Shared<'_>,
    sku: String,
    quantity: u32,
) -> Result<Cart, CommandError> {
    on_shop(&shop, move |shop| shop.set_cart_quantity(&sku, quantity)).await
}

/// Puts a failed order's lines back in an empty cart; refused while its payment may still go
/// through.
#[tauri::command]
pub async fn restore_cart(shop: Shared<'_>, number: String) -> Result<Cart, CommandError> {
    on_shop(&shop, move |shop| shop.restore_cart(&number)).await
}

#[tauri::command]
pub async fn remove_from_cart(shop: Shared<'_>, sku: String) -> Result<Cart, CommandError> {
    on_shop(&shop, move |shop| shop.remove_from_cart(&sku)).await
}

//! The commands the storefront calls: each takes typed arguments, runs one core call off the
//! async runtime, and turns a core error into a [`CommandError`].

use std::sync::Arc;

use flagshop::{Cart, Collection, Product, ProductPage, ProductQuery, Shop, ShopInfo};
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

/// What the UI receives when a command fails: a stable code to branch on and a message to show.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
}

/// The kinds of failure the UI tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    UnknownProduct,
    UnknownSku,
    UnknownCollection,
    NotForSale,
    QuantityUnavailable,
    Invalid,
    /// Anything the shopper cannot act on: the database, the disk, a bug.
    Internal,
}

impl From<flagshop::Error> for CommandError {
    fn from(e: flagshop::Error) -> CommandError {
        use flagshop::Error as E;
        let code = match &e {
            E::UnknownProduct(_) => ErrorCode::UnknownProduct,
            E::UnknownSku(_) => ErrorCode::UnknownSku,
            E::UnknownCollection(_) => ErrorCode::UnknownCollection,
            E::NotForSale(_) => ErrorCode::NotForSale,
            E::QuantityUnavailable { .. } | E::NotEnoughStock { .. } => {
                ErrorCode::QuantityUnavailable
            }
            E::Invalid(_) | E::Money(_) => ErrorCode::Invalid,
            _ => ErrorCode::Internal,
        };
        if code == ErrorCode::Internal {
            tracing::error!(error = %e, "command failed");
        }
        CommandError {
            code,
            message: e.to_string(),
        }
    }
}

/// Runs `call` on the blocking pool: SQLite must not stall the async runtime.
async fn on_shop<T: Send + 'static>(
    shop: &Arc<Shop>,
    call: impl FnOnce(&Shop) -> Result<T, flagshop::Error> + Send + 'static,
) -> Result<T, CommandError> {
    let shop = Arc::clone(shop);
    tauri::async_runtime::spawn_blocking(move || call(&shop))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "command task failed");
            CommandError {
                code: ErrorCode::Internal,
                message: "something went wrong; please try again".to_owned(),
            }
        })?
        .map_err(CommandError::from)
}

type Shared<'a> = State<'a, Arc<Shop>>;

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

#[tauri::command]
pub async fn remove_from_cart(shop: Shared<'_>, sku: String) -> Result<Cart, CommandError> {
    on_shop(&shop, move |shop| shop.remove_from_cart(&sku)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_keep_their_message_and_get_a_code() {
        let e = CommandError::from(flagshop::Error::QuantityUnavailable {
            sku: "UA-SNK-3X5-NYL".into(),
            requested: 4,
            available: 3,
        });
        assert_eq!(e.code, ErrorCode::QuantityUnavailable);
        assert_eq!(
            e.message,
            "only 3 of \"UA-SNK-3X5-NYL\" available (asked for 4)"
        );
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "quantity_unavailable");
        let e = CommandError::from(flagshop::Error::UnknownSku("X".into()));
        assert_eq!(e.code, ErrorCode::UnknownSku);
    }
}

//! The back office's commands: the product editor, bulk status changes, product images and
//! stock. Listing products and reading one reuse the storefront's commands.

use flagshop::{
    LedgerEntry, Product, ProductEdit, ProductStatus, StockCheck, StockLevel, StockReason,
};
use percent_encoding::percent_decode_str;
use tauri::ipc::{InvokeBody, Request};

use super::{CommandError, ErrorCode, Shared, on_shop};

/// Saves the editor's product: a new one when `handle` is `None`.
#[tauri::command]
pub async fn save_product(
    shop: Shared<'_>,
    handle: Option<String>,
    edit: ProductEdit,
) -> Result<Product, CommandError> {
    on_shop(&shop, move |shop| {
        shop.save_product(handle.as_deref(), &edit)
    })
    .await
}

#[tauri::command]
pub async fn set_products_status(
    shop: Shared<'_>,
    handles: Vec<String>,
    status: ProductStatus,
) -> Result<usize, CommandError> {
    on_shop(&shop, move |shop| {
        shop.set_products_status(&handles, status)
    })
    .await
}

/// Imports one image file the owner picked or dropped. The file's bytes are the raw request
/// body (no JSON, no base64); the product's handle and the file's name come as the headers
/// `x-handle` and `x-file-name`, percent-encoded.
#[tauri::command]
pub async fn import_product_image(
    shop: Shared<'_>,
    request: Request<'_>,
) -> Result<Product, CommandError> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(bad_request("the image must be sent as raw bytes"));
    };
    let bytes = bytes.clone();
    let handle = header(&request, "x-handle")?;
    let name = header(&request, "x-file-name")?;
    on_shop(&shop, move |shop| {
        shop.add_product_image_bytes(&handle, &name, bytes, "")
    })
    .await
}

#[tauri::command]
pub async fn set_image_alt(
    shop: Shared<'_>,
    handle: String,
    hash: String,
    alt: String,
) -> Result<Product, CommandError> {
    on_shop(&shop, move |shop| shop.set_image_alt(&handle, &hash, &alt)).await
}

#[tauri::command]
pub async fn reorder_images(
    shop: Shared<'_>,
    handle: String,
    hashes: Vec<String>,
) -> Result<Product, CommandError> {
    on_shop(&shop, move |shop| shop.reorder_images(&handle, &hashes)).await
}

#[tauri::command]
pub async fn remove_image(
    shop: Shared<'_>,
    handle: String,
    hash: String,
) -> Result<Product, CommandError> {
    on_shop(&shop, move |shop| shop.remove_image(&handle, &hash)).await
}

#[tauri::command]
pub async fn stock_levels(shop: Shared<'_>) -> Result<Vec<StockLevel>, CommandError> {
    on_shop(&shop, |shop| shop.stock_levels()).await
}

#[tauri::command]
pub async fn low_stock(shop: Shared<'_>) -> Result<Vec<StockLevel>, CommandError> {
    on_shop(&shop, |shop| shop.low_stock()).await
}

#[tauri::command]
pub async fn stock_history(
    shop: Shared<'_>,
    sku: String,
) -> Result<Vec<LedgerEntry>, CommandError> {
    on_shop(&shop, move |shop| shop.stock_history(&sku)).await
}

#[tauri::command]
pub async fn adjust_stock(
    shop: Shared<'_>,
    sku: String,
    delta: i64,
    reason: StockReason,
    note: String,
) -> Result<LedgerEntry, CommandError> {
    on_shop(&shop, move |shop| {
        shop.adjust_stock(&sku, delta, reason, &note)
    })
    .await
}

/// Recomputes on-hand from the ledger and reports any variant that disagrees; changes nothing.
#[tauri::command]
pub async fn verify_stock(shop: Shared<'_>) -> Result<StockCheck, CommandError> {
    on_shop(&shop, |shop| shop.verify_stock()).await
}

/// A percent-encoded request header, decoded.
pub(super) fn header(request: &Request<'_>, name: &str) -> Result<String, CommandError> {
    let value = request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| bad_request(&format!("the request has no {name} header")))?;
    percent_decode_str(value)
        .decode_utf8()
        .map(|v| v.into_owned())
        .map_err(|_| bad_request(&format!("the {name} header is not UTF-8")))
}

pub(super) fn bad_request(message: &str) -> CommandError {
    CommandError {
        code: ErrorCode::Invalid,
        message: message.to_owned(),
        field: None,
        variant: None,
    }
}

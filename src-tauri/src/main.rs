//! Flagshop's desktop app: a Tauri window around the storefront UI (`ui/`), with the core
//! `flagshop` library behind a handful of thin commands and the `media://` image protocol.

// No console window next to the app on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod media;

use std::sync::Arc;

use flagshop::Shop;
use tracing_subscriber::EnvFilter;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();

    // The same shop as the CLI's: FLAGSHOP_DATA_DIR, else the platform's data directory.
    let data_dir = flagshop::default_data_dir();
    let shop = match Shop::open(&data_dir) {
        Ok(shop) => Arc::new(shop),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    tracing::info!(data_dir = %data_dir.display(), "shop opened");

    let result = tauri::Builder::default()
        .manage(shop)
        .register_asynchronous_uri_scheme_protocol("media", media::handle)
        .invoke_handler(tauri::generate_handler![
            commands::storefront::shop_info,
            commands::storefront::list_products,
            commands::storefront::product,
            commands::storefront::collections,
            commands::storefront::cart,
            commands::storefront::add_to_cart,
            commands::storefront::set_cart_quantity,
            commands::storefront::remove_from_cart,
            commands::admin::save_product,
            commands::admin::set_products_status,
            commands::admin::import_product_image,
            commands::admin::set_image_alt,
            commands::admin::reorder_images,
            commands::admin::remove_image,
            commands::admin::stock_levels,
            commands::admin::low_stock,
            commands::admin::stock_history,
            commands::admin::adjust_stock,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("error: the window could not be opened: {e}");
        std::process::exit(1);
    }
}

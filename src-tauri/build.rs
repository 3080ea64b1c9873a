fn main() {
    // Each command gets an `allow-<command>` permission; capabilities/main.json grants the
    // main window exactly the ones the storefront uses.
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "shop_info",
            "list_products",
            "product",
            "collections",
            "cart",
            "add_to_cart",
            "set_cart_quantity",
            "remove_from_cart",
            "stripe_status",
            "checkout_quote",
            "place_order",
            "pay_order",
            "refresh_payment",
            "order",
            "sync_stripe",
            "lab_sample_sku",
            "run_lab_scenario",
            "save_product",
            "set_products_status",
            "import_product_image",
            "set_image_alt",
            "reorder_images",
            "remove_image",
            "stock_levels",
            "low_stock",
            "stock_history",
            "adjust_stock",
            "verify_stock",
        ]),
    ))
    .expect("the Tauri configuration and capabilities are valid");
}

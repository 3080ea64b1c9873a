//! A catalogue in and out as Shopify's product CSV, and the orders export: the back office's
//! Import and Export. A file the owner picked in the native dialog comes as its path; one
//! chosen in the page's own file field (or dropped) comes as raw bytes. Import progress goes
//! to the window as `import-progress` events.

use std::path::PathBuf;

use flagshop::shopify_csv::{
    CsvSource, ExportOptions, ExportSummary, Fetched, ImportOptions, ImportProgress, ImportReport,
};
use flagshop::{OrdersExportSummary, ProductStatus};
use tauri::ipc::{InvokeBody, Request};
use tauri::{AppHandle, Emitter};

use super::admin::{bad_request, header};
use super::{CommandError, Shared, on_shop};

/// The event an import's progress is sent as.
const PROGRESS_EVENT: &str = "import-progress";

/// Previews (`dry_run`) or imports the product CSV at `path`.
#[tauri::command]
pub async fn import_products_file(
    shop: Shared<'_>,
    app: AppHandle,
    path: String,
    dry_run: bool,
    set_stock: bool,
) -> Result<ImportReport, CommandError> {
    let source = CsvSource::from_file(&PathBuf::from(path))?;
    import(&shop, app, source, dry_run, set_stock).await
}

/// Previews or imports a product CSV sent as the raw request body; its name comes in the
/// header `x-file-name` (percent-encoded), and `x-dry-run` / `x-set-stock` are `true` or
/// `false`. Image paths relative to the file cannot be resolved this way: they are reported.
#[tauri::command]
pub async fn import_products_upload(
    shop: Shared<'_>,
    app: AppHandle,
    request: Request<'_>,
) -> Result<ImportReport, CommandError> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(bad_request("the CSV file must be sent as raw bytes"));
    };
    let source = CsvSource {
        name: header(&request, "x-file-name")?,
        bytes: bytes.clone(),
        base_dir: None,
    };
    let flag = |name: &str| header(&request, name).map(|v| v == "true");
    let (dry_run, set_stock) = (flag("x-dry-run")?, flag("x-set-stock")?);
    import(&shop, app, source, dry_run, set_stock).await
}

async fn import(
    shop: &Shared<'_>,
    app: AppHandle,
    source: CsvSource,
    dry_run: bool,
    set_stock: bool,
) -> Result<ImportReport, CommandError> {
    let options = ImportOptions {
        dry_run,
        set_stock,
        ..ImportOptions::default()
    };
    on_shop(shop, move |shop| {
        shop.import_products(&source, options, &|progress| emit(&app, progress))
    })
    .await
}

fn emit(app: &AppHandle, progress: ImportProgress) {
    if let Err(e) = app.emit(PROGRESS_EVENT, progress) {
        tracing::warn!(error = %e, "cannot send import progress to the window");
    }
}

/// Fetches again the images earlier imports could not.
#[tauri::command]
pub async fn retry_pending_images(
    shop: Shared<'_>,
    app: AppHandle,
) -> Result<Fetched, CommandError> {
    on_shop(&shop, move |shop| {
        shop.retry_pending_images(ImportOptions::default().image_timeout, &|progress| {
            emit(&app, progress)
        })
    })
    .await
}

/// Exports products to the CSV file at `path` (its images to a folder beside it).
#[tauri::command]
pub async fn export_products_file(
    shop: Shared<'_>,
    path: String,
    status: Option<ProductStatus>,
    collection: Option<String>,
    legacy_header: bool,
) -> Result<ExportSummary, CommandError> {
    let options = ExportOptions {
        status,
        collection,
        legacy_header,
    };
    on_shop(&shop, move |shop| {
        shop.export_products_to(&PathBuf::from(path), &options)
    })
    .await
}

/// Exports the real orders placed from `from` to `to` (days, both optional) to `path`.
#[tauri::command]
pub async fn export_orders_file(
    shop: Shared<'_>,
    path: String,
    from: Option<String>,
    to: Option<String>,
) -> Result<OrdersExportSummary, CommandError> {
    on_shop(&shop, move |shop| {
        shop.export_orders_to(&PathBuf::from(path), from.as_deref(), to.as_deref())
    })
    .await
}

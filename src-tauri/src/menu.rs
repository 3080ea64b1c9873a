//! The window's native menu, with the shortcuts a desktop app is expected to have. Edit's
//! items are the platform's own, so Undo, Cut, Copy, Paste and Select all work in every field.
//! Items that open a page go there through the page's address (`#/admin/products?open=import`),
//! the same way a link would; Back up now runs in the core and answers with a native dialog.

use std::sync::{Arc, Mutex};

use flagshop::Shop;
use tauri::menu::{
    AboutMetadataBuilder, Menu, MenuBuilder, MenuEvent, MenuItemBuilder, PredefinedMenuItem,
    SubmenuBuilder,
};
use tauri::{AppHandle, Manager, Runtime, WebviewWindow};

/// The window's zoom, as View's items change it.
#[derive(Default)]
pub struct Zoom(Mutex<f64>);

const ZOOM_STEP: f64 = 0.1;
const ZOOM_RANGE: (f64, f64) = (0.5, 2.0);

pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let item = |id: &str, label: &str, shortcut: &str| {
        MenuItemBuilder::with_id(id, label)
            .accelerator(shortcut)
            .build(app)
    };
    let file = SubmenuBuilder::new(app, "File")
        .item(&item("import", "Import products…", "CmdOrCtrl+I")?)
        .item(&item("export", "Export products…", "CmdOrCtrl+E")?)
        .separator()
        .item(&item("backup", "Back up now", "CmdOrCtrl+B")?)
        .separator()
        .item(&PredefinedMenuItem::quit(app, Some("Quit"))?)
        .build()?;
    let edit = SubmenuBuilder::new(app, "Edit")
        .undo()
        .redo()
        .separator()
        .cut()
        .copy()
        .paste()
        .select_all()
        .build()?;
    let view = SubmenuBuilder::new(app, "View")
        .item(&item("storefront", "Storefront", "CmdOrCtrl+1")?)
        .item(&item("back-office", "Back office", "CmdOrCtrl+2")?)
        .separator()
        .item(&item("reload", "Reload", "CmdOrCtrl+R")?)
        .separator()
        .item(&item("zoom-in", "Zoom in", "CmdOrCtrl+=")?)
        .item(&item("zoom-out", "Zoom out", "CmdOrCtrl+-")?)
        .item(&item("zoom-reset", "Actual size", "CmdOrCtrl+0")?)
        .build()?;
    let about = AboutMetadataBuilder::new()
        .name(Some("Flagshop"))
        .version(Some(env!("CARGO_PKG_VERSION")))
        .comments(Some(
            "Storefront and back office for a small flag shop, on your own desktop.",
        ))
        .license(Some("MIT"))
        .build();
    let help = SubmenuBuilder::new(app, "Help")
        .item(&PredefinedMenuItem::about(
            app,
            Some("About Flagshop"),
            Some(about),
        )?)
        .item(&MenuItemBuilder::with_id("log-folder", "Open log folder").build(app)?)
        .build()?;
    MenuBuilder::new(app)
        .items(&[&file, &edit, &view, &help])
        .build()
}

pub fn handle<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let result = match event.id().as_ref() {
        "import" => go(&window, "#/admin/products?open=import"),
        "export" => go(&window, "#/admin/products?open=export"),
        "storefront" => go(&window, "#/"),
        "back-office" => go(&window, "#/admin"),
        "reload" => window.eval("location.reload()"),
        "zoom-in" => zoom(app, &window, Some(ZOOM_STEP)),
        "zoom-out" => zoom(app, &window, Some(-ZOOM_STEP)),
        "zoom-reset" => zoom(app, &window, None),
        "backup" => {
            back_up_now(app.state::<Arc<Shop>>().inner().clone());
            Ok(())
        }
        "log-folder" => {
            open_folder(&flagshop::logs::log_dir());
            Ok(())
        }
        _ => Ok(()),
    };
    if let Err(e) = result {
        tracing::warn!(item = event.id().as_ref(), error = %e, "a menu item failed");
    }
}

fn go<R: Runtime>(window: &WebviewWindow<R>, hash: &str) -> tauri::Result<()> {
    window.eval(format!("location.hash = {hash:?}"))
}

fn zoom<R: Runtime>(
    app: &AppHandle<R>,
    window: &WebviewWindow<R>,
    step: Option<f64>,
) -> tauri::Result<()> {
    let zoom = app.state::<Zoom>();
    let mut level = zoom.0.lock().unwrap_or_else(|p| p.into_inner());
    if *level == 0.0 {
        *level = 1.0;
    }
    *level = match step {
        Some(step) => (*level + step).clamp(ZOOM_RANGE.0, ZOOM_RANGE.1),
        None => 1.0,
    };
    window.set_zoom(*level)
}

/// Backs the shop up off the window's thread, then says where it went (or why it could not).
fn back_up_now(shop: Arc<Shop>) {
    std::thread::spawn(move || {
        let (level, text) = match shop.create_backup(None, "manual") {
            Ok(made) => (
                rfd::MessageLevel::Info,
                format!(
                    "Backed up {} products, {} orders and {} images to\n{}",
                    made.manifest.counts.products,
                    made.manifest.counts.orders,
                    made.manifest.counts.images,
                    made.path
                ),
            ),
            Err(e) => (rfd::MessageLevel::Error, format!("The backup failed: {e}")),
        };
        rfd::MessageDialog::new()
            .set_level(level)
            .set_title("Back up now")
            .set_description(text)
            .set_buttons(rfd::MessageButtons::Ok)
            .show();
    });
}

/// Shows a folder in the desktop's file manager.
fn open_folder(dir: &std::path::Path) {
    let _ = std::fs::create_dir_all(dir);
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(opener).arg(dir).spawn() {
        tracing::warn!(folder = %dir.display(), error = %e, "cannot open the log folder");
    }
}

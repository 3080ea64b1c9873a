//! Flagshop's desktop app: a Tauri window around the storefront UI (`ui/`), with the core
//! `flagshop` library behind a handful of thin commands and the `media://` image protocol.

// No console window next to the app on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod media;
mod menu;

use std::sync::Arc;

use flagshop::Shop;
use flagshop::payments::StripeStatus;
use tauri::utils::config::{Config, Csp};
use tracing_subscriber::EnvFilter;

fn main() {
    // The log file first, so that even a failed start leaves its reason there.
    let log_dir = flagshop::logs::log_dir();
    let _log = match flagshop::logs::init_app_logging(&log_dir) {
        Ok(guard) => Some(guard),
        Err(e) => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
                )
                .with_writer(std::io::stderr)
                .init();
            tracing::warn!(error = %e, "no log file; logging to stderr only");
            None
        }
    };
    tracing::info!(version = env!("CARGO_PKG_VERSION"), log_dir = %log_dir.display(), "Flagshop starting");

    // The same shop as the CLI's: FLAGSHOP_DATA_DIR, else the platform's data directory.
    let data_dir = flagshop::default_data_dir();
    let shop = match Shop::open(&data_dir) {
        Ok(shop) => Arc::new(shop),
        Err(e) => fail_to_start(
            &format!("Flagshop cannot open the shop in {}.", data_dir.display()),
            &e,
            &log_dir,
        ),
    };
    tracing::info!(data_dir = %data_dir.display(), "shop opened");
    // Held for the app's life: the CLI will not restore a backup beneath it.
    let _app_lock = match shop.lock_for_app() {
        Ok(lock) => lock,
        Err(e) => fail_to_start("Flagshop is already running.", &e, &log_dir),
    };

    let mut context = tauri::generate_context!();
    match shop.stripe_status() {
        Ok(stripe) => allow_stripe(context.config_mut(), &stripe),
        Err(e) => tracing::warn!(error = %e, "no Stripe configuration; payments are off"),
    }
    catch_up_with_stripe(&shop);
    listen_for_webhooks(&shop);
    // Abandoned checkouts give their stock back, and their timeline says so.
    tauri::async_runtime::spawn(flagshop::reservations::sweep_every(
        Arc::clone(&shop),
        flagshop::reservations::SWEEP_PERIOD,
    ));

    back_up_daily(&shop);

    let result = tauri::Builder::default()
        .manage(shop)
        .manage(menu::Zoom::default())
        .plugin(tauri_plugin_dialog::init())
        // Size, position and maximised state come back at the next start.
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .menu(menu::build)
        .on_menu_event(menu::handle)
        .register_asynchronous_uri_scheme_protocol("media", media::handle)
        // Every #[tauri::command] of src/commands, gathered by build.rs.
        .invoke_handler(include!(concat!(env!("OUT_DIR"), "/handler.rs")))
        .run(context);
    if let Err(e) = result {
        eprintln!("error: the window could not be opened: {e}");
        std::process::exit(1);
    }
}

/// A start that cannot go on: the reason goes to the log and to a native error dialog (a
/// desktop app started from a menu has no terminal to print to), then the app exits.
fn fail_to_start(what: &str, error: &flagshop::Error, log_dir: &std::path::Path) -> ! {
    tracing::error!(error = %error, "{what}");
    eprintln!("error: {what} {error}");
    rfd::MessageDialog::new()
        .set_level(rfd::MessageLevel::Error)
        .set_title("Flagshop cannot start")
        .set_description(format!(
            "{what}\n\n{error}\n\nThe log is in {}",
            log_dir.display()
        ))
        .set_buttons(rfd::MessageButtons::Ok)
        .show();
    std::process::exit(1);
}

/// A backup every day the app runs: the first check a minute after start (not to slow the
/// start), then every hour; a backup is made when the newest is a day old.
fn back_up_daily(shop: &Arc<Shop>) {
    const FIRST_CHECK: std::time::Duration = std::time::Duration::from_secs(60);
    const EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
    let shop = Arc::clone(shop);
    std::thread::spawn(move || {
        std::thread::sleep(FIRST_CHECK);
        loop {
            match shop.backup_if_due() {
                Ok(Some(made)) => tracing::info!(path = made.path, "daily backup made"),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "the daily backup failed"),
            }
            std::thread::sleep(EVERY);
        }
    });
}

/// Lets the page load Stripe.js from the configured address and reach the Stripe server, and
/// nothing else beyond the app itself: the Content-Security-Policy follows the settings.
fn allow_stripe(config: &mut Config, stripe: &StripeStatus) {
    let Some(Csp::DirectiveMap(directives)) = config.app.security.csp.as_mut() else {
        return;
    };
    let js = origin(&stripe.js_url);
    let api = origin(&stripe.api_base);
    for (directive, source) in [
        ("script-src", js),
        ("connect-src", api),
        // Stripe.js draws its card fields and 3-D Secure challenges in frames of its own.
        ("frame-src", js),
    ] {
        if let Some(source) = source {
            directives
                .entry(directive.to_owned())
                .or_insert_with(|| tauri::utils::config::CspDirectiveSources::List(Vec::new()))
                .push(source);
        }
    }
}

/// `scheme://host[:port]` of `url`.
fn origin(url: &str) -> Option<&str> {
    let start = url.find("://")? + 3;
    let end = url[start..].find('/').map_or(url.len(), |i| start + i);
    (end > start).then(|| &url[..end])
}

/// Applies the Stripe events missed while the app was closed (each once), in the background.
fn catch_up_with_stripe(shop: &Arc<Shop>) {
    let Ok(client) = shop.stripe_client() else {
        return;
    };
    let shop = Arc::clone(shop);
    tauri::async_runtime::spawn(async move {
        match flagshop::checkout::sync_events(&shop, &client).await {
            Ok(report) => tracing::info!(?report, "caught up with Stripe"),
            Err(e) => tracing::warn!(error = %e, "could not read the Stripe events"),
        }
    });
}

/// Takes Stripe's webhook deliveries on 127.0.0.1 when a signing secret is configured; each
/// event goes through the same apply-once handler as the catch-up.
fn listen_for_webhooks(shop: &Arc<Shop>) {
    let (Ok(client), Ok(Some(secret)), Ok(port)) = (
        shop.stripe_client(),
        shop.stripe_webhook_secret(),
        shop.stripe_webhook_port(),
    ) else {
        return;
    };
    let shop = Arc::clone(shop);
    tauri::async_runtime::spawn(async move {
        match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            Ok(listener) => {
                tracing::info!(port, "taking Stripe webhooks");
                flagshop::webhooks::serve(listener, shop, client, secret).await;
            }
            Err(e) => tracing::warn!(port, error = %e, "cannot take Stripe webhooks"),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_keep_scheme_host_and_port() {
        assert_eq!(
            origin("http://127.0.0.1:8420/js.stripe.com/v3/"),
            Some("http://127.0.0.1:8420")
        );
        assert_eq!(
            origin("https://js.stripe.com/v3/"),
            Some("https://js.stripe.com")
        );
        assert_eq!(
            origin("https://api.stripe.com"),
            Some("https://api.stripe.com")
        );
        assert_eq!(origin("nonsense"), None);
    }

    /// Writes the TypeScript `Commands` interface that build.rs generated next to ts-rs's
    /// bindings (`TS_RS_EXPORT_DIR`), as ts-rs's own `export_bindings_*` tests do.
    #[test]
    fn export_bindings_commands() {
        let dir = std::env::var("TS_RS_EXPORT_DIR").expect("TS_RS_EXPORT_DIR (.cargo/config.toml)");
        std::fs::write(
            std::path::Path::new(&dir).join("commands.ts"),
            include_str!(concat!(env!("OUT_DIR"), "/commands.ts")),
        )
        .expect("write commands.ts");
    }
}

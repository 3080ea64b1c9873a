//! The menu bar, used as an owner does: its shortcuts pressed on the real keyboard (xdotool
//! sends X key events to the window, as a keyboard would; WebDriver's own keys never reach
//! GTK's menu). View → Back office, File → Import products…, View → Storefront.

use std::process::Command;

use crate::{Scenario, wait_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver, WebKitWebDriver and xdotool; `make test` runs it"]
async fn owner_moves_around_with_the_menu_shortcuts() {
    let scenario = Scenario::start("menu");
    let client = scenario.launch().await;
    wait_for(
        &client,
        "the storefront",
        "return !!document.querySelector('a.admin-link');",
    )
    .await;
    scenario.shoot("01-storefront-with-menu");

    scenario.press("ctrl+2");
    wait_for(
        &client,
        "the back office after Ctrl+2",
        "return document.querySelector(\"nav[aria-label='Back office'] a[aria-current='page']\")
            ?.textContent.trim() === 'Home';",
    )
    .await;

    scenario.press("ctrl+i");
    wait_for(
        &client,
        "the Import dialog after Ctrl+I",
        "return location.hash === '#/admin/products?open=import'
            && !!document.querySelector(\"[data-testid='import-dialog']\");",
    )
    .await;
    scenario.shoot("02-import-from-the-menu");

    scenario.press("Escape");
    scenario.press("ctrl+1");
    wait_for(
        &client,
        "the storefront after Ctrl+1",
        "return location.hash === '#/' && !!document.querySelector('a.admin-link');",
    )
    .await;
    let _ = client.close().await;
}

impl Scenario {
    /// Presses `keys` (xdotool's names, e.g. `ctrl+2`) on the app's window.
    fn press(&self, keys: &str) {
        let status = Command::new("timeout")
            .args(["10", "xdotool", "search", "--sync", "--name", "^Flagshop$"])
            .args(["windowfocus", "--sync", "key", "--clearmodifiers", keys])
            .env("DISPLAY", self.display_name())
            .status()
            .expect("run xdotool (apt-get install xdotool)");
        assert!(status.success(), "xdotool could not press {keys}");
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

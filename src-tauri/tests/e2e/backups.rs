//! The owner's backups, in Settings: a fresh shop keeps them on its own disk and says so, Back up
//! now makes one at the top of the list, Restore… checks it and shows what it brings back, and
//! the restore keeps the shop as it was as a "Before restore" backup; Done reloads the window.

use fantoccini::{Client, Locator};

use crate::{Scenario, call, click, count, wait_for};

const SECTION: &str = "[data-testid='backups-section']";
const ROW: &str = "[data-testid='backup-row']";
const DIALOG: &str = "[data-testid='restore-dialog']";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver; `make test` runs it"]
async fn owner_backs_up_and_restores_the_shop() {
    let scenario = Scenario::start("backups");
    let client = scenario.launch().await;

    // 1. Settings → Backups: the folder is inside the shop's data folder, so the warning shows.
    call(
        "open the settings",
        client.execute("location.hash = '#/admin/settings';", vec![]),
    )
    .await;
    wait_for(
        &client,
        "the backups section, its warning and its list",
        &format!(
            "const section = document.querySelector(\"{SECTION}\");
             return !!section?.querySelector(\"[data-testid='backup-disk-warning']\")
                 && !!section.querySelector(\"table[aria-label='Backups'], .empty\");"
        ),
    )
    .await;
    scroll(&client, "#backups-title", "start").await;
    scenario.shoot("01-settings");

    // 2. Back up now: a new backup at the top of the list, and what it holds.
    let before = count(&client, ROW).await;
    press(&client, "Back up now", "[data-testid='backup-now']").await;
    wait_for(
        &client,
        "the new backup at the top of the list",
        &format!(
            "const rows = document.querySelectorAll(\"{ROW}\");
             return rows.length === {before} + 1
                 && rows[0].textContent.includes('Manual')
                 && /^Backed up: \\d+ products?, \\d+ orders?, [\\d.,]+ (bytes|KB|MB|GB)$/
                     .test(document.querySelector(\"[data-testid='backup-made']\")?.textContent.trim());"
        ),
    )
    .await;
    scroll(&client, "[data-testid='backup-now']", "start").await;
    scenario.shoot("02-made");

    // 3. Restore… on it: checked first, then what it brings back and how to undo.
    press(
        &client,
        "Restore… on the new backup",
        &format!("{ROW} [data-testid='restore-backup']"),
    )
    .await;
    wait_for(
        &client,
        "the checked backup's preview",
        &format!(
            "const dialog = document.querySelector(\"{DIALOG}\");
             const confirm = dialog?.querySelector(\"[data-testid='restore-confirm']\");
             return !!confirm && !confirm.disabled
                 && !!dialog.querySelector(\"[data-testid='restore-counts']\")
                 && dialog.textContent
                     .includes('The shop as it is now is backed up first, so you can undo this.');"
        ),
    )
    .await;
    scenario.shoot("03-restore-preview");

    // 4. The restore, and the shop as it was kept as a backup.
    click(
        &client,
        "Restore this backup",
        Locator::Css("[data-testid='restore-confirm']"),
    )
    .await;
    wait_for(
        &client,
        "the restore's notice",
        "const done = document.querySelector(\"[data-testid='restore-done']\")
             ?.textContent.replace(/\\s+/g, ' ');
         return !!done && done.includes('Restored the backup of')
             && done.includes('The shop as it was is kept as a backup (Before restore).');",
    )
    .await;
    scenario.shoot("04-restored");

    // 5. Done reloads the window: Settings again, with the "Before restore" backup on top (the
    // list is read from the folder again, which may hold a daily backup made since the start).
    click(
        &client,
        "Done",
        Locator::XPath("//div[@data-testid='restore-dialog']//button[normalize-space()='Done']"),
    )
    .await;
    wait_for(
        &client,
        "the reloaded settings, the shop as it was on top of the list",
        &format!(
            "const rows = document.querySelectorAll(\"{ROW}\");
             return !document.querySelector(\"{DIALOG}\")
                 && rows.length >= {before} + 2
                 && rows[0].textContent.includes('Before restore');"
        ),
    )
    .await;
    call("quit the app", client.close()).await;
}

/// Scrolls `css` into view, then clicks it.
async fn press(client: &Client, what: &str, css: &str) {
    scroll(client, css, "center").await;
    click(client, what, Locator::Css(css)).await;
}

/// Scrolls `css` to `block` (`start`, `center`…) of the window.
async fn scroll(client: &Client, css: &str, block: &str) {
    call(
        "scroll",
        client.execute(
            &format!("document.querySelector(\"{css}\").scrollIntoView({{ block: '{block}' }});"),
            vec![],
        ),
    )
    .await;
}

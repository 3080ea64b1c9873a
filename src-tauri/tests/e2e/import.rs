//! The owner imports a messy Shopify product CSV from the back office: the file goes in through
//! the dialog's own file field (WebDriver cannot drive GTK's file chooser), the dry run's
//! preview shows the broken mug refused for its negative price, the import runs with its
//! progress bar and sums up, and the product list has the new Tryzub pin.

use fantoccini::Locator;

use crate::{Scenario, call, click, wait_for};

const DIALOG: &str = "[data-testid='import-dialog']";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver; `make test` runs it"]
async fn owner_previews_and_imports_a_messy_shopify_csv() {
    let scenario = Scenario::start("import");
    let shoot = |step: &str| scenario.shoot(step);
    let client = scenario.launch().await;

    // 1. The back office's product list, then its Import dialog.
    wait_for(
        &client,
        "the storefront",
        "return !!document.querySelector('a.admin-link');",
    )
    .await;
    click(&client, "the Admin link", Locator::Css("a.admin-link")).await;
    wait_for(
        &client,
        "the back office",
        "return document.querySelector(\"nav[aria-label='Back office'] a[aria-current='page']\")
            ?.textContent.trim() === 'Home';",
    )
    .await;
    click(
        &client,
        "Products in the sidebar",
        Locator::XPath("//nav[@aria-label='Back office']//a[normalize-space()='Products']"),
    )
    .await;
    wait_for(
        &client,
        "the product list",
        "return document.querySelectorAll('tr[data-handle]').length >= 20;",
    )
    .await;
    click(
        &client,
        "Import",
        Locator::XPath("//button[normalize-space()='Import']"),
    )
    .await;
    wait_for(
        &client,
        "the Import dialog",
        &format!(
            "return !!document.querySelector(\"{DIALOG} [data-testid='import-file-input']\");"
        ),
    )
    .await;

    // 2. The file, picked in the page: the dry run at once, and its preview. The pin's image
    // is on a slow local server that, after five seconds, has nothing: the progress bar shows
    // while the import waits for it, and the summary offers to retry it.
    let image = slow_missing_image();
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/shopify/messy.csv"
    );
    let text = std::fs::read_to_string(fixture)
        .expect("read messy.csv")
        .replacen(
            "'04820000000028,,10",
            &format!("'04820000000028,{image},10"),
            1,
        );
    assert!(
        text.contains(&image),
        "messy.csv's pin row changed: update this scenario"
    );
    let folder = tempfile::tempdir().expect("a temp dir");
    let messy = folder.path().join("messy.csv");
    std::fs::write(&messy, text).expect("write the CSV");
    let messy = messy.to_str().expect("a UTF-8 path");
    let input = call(
        "find the file field",
        client.find(Locator::Css(&format!(
            "{DIALOG} [data-testid='import-file-input']"
        ))),
    )
    .await;
    call("pick messy.csv", input.send_keys(messy)).await;
    wait_for(
        &client,
        "the preview, with the broken mug refused for its price",
        &format!(
            "const dialog = document.querySelector(\"{DIALOG}\");
             const refused = dialog?.querySelector(\"tr[data-action='refused'][data-handle='broken-mug']\");
             return !!dialog?.querySelector(\"[data-testid='import-preview']\")
                 && !!refused && refused.textContent.includes('negative')
                 && dialog.querySelector(\"[data-testid='import-confirm']\")
                     ?.textContent.trim() === 'Import 2 products';"
        ),
    )
    .await;
    call(
        "show the refused row",
        client.execute(
            &format!(
                "document.querySelector(\"{DIALOG} tr[data-action='refused']\")
                     .scrollIntoView({{block: 'center'}});"
            ),
            vec![],
        ),
    )
    .await;
    shoot("01-preview");

    // 3. The import: its progress bar while it waits for the image.
    click(
        &client,
        "Import 2 products",
        Locator::Css(&format!("{DIALOG} [data-testid='import-confirm']")),
    )
    .await;
    wait_for(
        &client,
        "the progress bar, fetching the image",
        &format!(
            "return !!document.querySelector(\"{DIALOG} [data-testid='import-progress']\")
                 && document.querySelector(\"{DIALOG} #import-progress-label\")
                     ?.textContent.includes('image');"
        ),
    )
    .await;
    shoot("02-progress");
    wait_for(
        &client,
        "the import's summary",
        &format!(
            "return document.querySelector(\"{DIALOG} [data-testid='import-summary']\")
                 ?.textContent.includes('Imported: 2 created, 0 updated, 0 unchanged, 1 skipped')
                 && document.querySelector(\"{DIALOG}\").textContent.includes('tryzub-pin.png');"
        ),
    )
    .await;
    shoot("03-summary");

    // 4. Close: the list loads again, with the pin (the demo's 46 products and the 2 imported
    // fit its first page of 50).
    click(
        &client,
        "Close",
        Locator::XPath("//div[@data-testid='import-dialog']//button[normalize-space()='Close']"),
    )
    .await;
    wait_for(
        &client,
        "the Tryzub pin in the product list",
        &format!(
            "return !document.querySelector(\"{DIALOG}\")
                 && document.querySelector(\"tr[data-handle='tryzub-pin'] td.title a\")
                     ?.textContent.trim() === 'Tryzub Pin';"
        ),
    )
    .await;
    call(
        "show the pin",
        client.execute(
            "document.querySelector(\"tr[data-handle='tryzub-pin']\").scrollIntoView({block: 'center'});",
            vec![],
        ),
    )
    .await;
    shoot("04-products");
    call("quit the app", client.close()).await;
}

/// A local image URL whose server answers only after five seconds, and then with a 404.
fn slow_missing_image() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let url = format!(
        "http://{}/tryzub-pin.png",
        listener.local_addr().expect("its address")
    );
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut request = [0u8; 1024];
                let _ = stream.read(&mut request);
                std::thread::sleep(std::time::Duration::from_secs(5));
                let _ = stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            });
        }
    });
    url
}

//! The shop owner's path through the back office: the product list; in the editor a SKU
//! refused next to its field, an image imported, a price changed and seen in the store; stock
//! received with a reason and seen in the ledger; the low-stock view; Verify stock.

use fantoccini::{Client, Locator};

use crate::{IMAGES_LOADED, Scenario, call, click, wait_for};

const SNAKE_ISLAND: &str = "ukraine-snake-island-flag";
const SKU: &str = "UA-SNK-3X5-NYL";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver; `make test` runs it"]
async fn owner_changes_a_price_and_receives_stock() {
    let scenario = Scenario::start("backoffice");
    let shoot = |step: &str| scenario.shoot(step);
    let client = scenario.launch().await;

    // 1. From the store's header to the back office's product list.
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
        Locator::XPath(&nav_link("Products")),
    )
    .await;
    wait_for(
        &client,
        "the product list with thumbnails",
        &format!(
            "return document.querySelectorAll('tr[data-handle]').length >= 20
                 && document.querySelector(\"nav a[aria-current='page']\")?.textContent.trim() === 'Products'
                 && {IMAGES_LOADED};"
        ),
    )
    .await;
    shoot("01-products");

    // 2. The editor: 3x5 ft nylon goes from $39.00 to $41.50.
    click(
        &client,
        "the Snake Island flag",
        Locator::Css(&format!("tr[data-handle='{SNAKE_ISLAND}'] td.title a")),
    )
    .await;
    wait_for(
        &client,
        "the product editor",
        &format!(
            "return document.querySelector('h1')?.textContent === 'Ukraine Snake Island Flag'
                 && !!document.querySelector(\"input[aria-label='Price, 3x5 ft / Nylon']\")
                 && {IMAGES_LOADED};"
        ),
    )
    .await;
    shoot("02-editor");

    // A SKU another product uses: the core refuses, and says so next to that SKU.
    let sku = call(
        "find the SKU of 2x3 ft nylon",
        client.find(Locator::Css("input[aria-label='SKU, 2x3 ft / Nylon']")),
    )
    .await;
    call("clear the SKU", sku.clear()).await;
    call("type a taken SKU", sku.send_keys("CA-FLG-2X3-POL")).await;
    click(
        &client,
        "Save",
        Locator::XPath("//div[@aria-label='Unsaved changes']//button[normalize-space()='Save']"),
    )
    .await;
    wait_for(
        &client,
        "the duplicate-SKU message next to the SKU",
        "const input = document.querySelector(\"input[aria-label='SKU, 2x3 ft / Nylon']\");
         const message = document.getElementById(input?.getAttribute('aria-describedby') ?? '');
         return input?.getAttribute('aria-invalid') === 'true'
             && message?.textContent === 'SKU \"CA-FLG-2X3-POL\" is already used by another variant.';",
    )
    .await;
    call(
        "show the message",
        client.execute(
            "document.querySelector(\"input[aria-label='SKU, 2x3 ft / Nylon']\").scrollIntoView({block: 'center'});",
            vec![],
        ),
    )
    .await;
    shoot("03-duplicate-sku");
    click(
        &client,
        "Discard",
        Locator::XPath("//div[@aria-label='Unsaved changes']//button[normalize-space()='Discard']"),
    )
    .await;
    let price = call(
        "find the price of 3x5 ft nylon",
        client.find(Locator::Css("input[aria-label='Price, 3x5 ft / Nylon']")),
    )
    .await;
    call("clear the price", price.clear()).await;
    call("type the new price", price.send_keys("41.50")).await;
    wait_for(
        &client,
        "the unsaved-changes bar",
        "return !!document.querySelector(\"[aria-label='Unsaved changes']\");",
    )
    .await;
    shoot("04-unsaved");
    click(
        &client,
        "Save",
        Locator::XPath("//div[@aria-label='Unsaved changes']//button[normalize-space()='Save']"),
    )
    .await;
    wait_for(
        &client,
        "the saved product",
        "return document.querySelector(\"[role='status']\")?.textContent.includes('Product saved')
             && !document.querySelector(\"[aria-label='Unsaved changes']\");",
    )
    .await;

    // An image dropped in goes through the raw-bytes command and comes back through media://;
    // it gets an alt text, moves first, and goes again.
    call(
        "scroll to the gallery",
        client.execute(
            "document.querySelector(\"ul[aria-label='Images']\").scrollIntoView({block: 'start'});",
            vec![],
        ),
    )
    .await;
    let file = call(
        "find the file picker",
        client.find(Locator::Css("input[type='file']")),
    )
    .await;
    let svg = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/images/ch.svg");
    call("pick an image file", file.send_keys(svg)).await;
    wait_for(
        &client,
        "the imported image in the gallery",
        "const images = [...document.querySelectorAll(\"ul[aria-label='Images'] img\")];
         return images.length === 2 && !document.querySelector('progress')
             && images.every(img => img.complete && img.naturalWidth > 0);",
    )
    .await;
    let alt = call(
        "find the new image's alt text",
        client.find(Locator::Css(
            "ul[aria-label='Images'] li:nth-child(2) input[type='text']",
        )),
    )
    .await;
    call(
        "type the alt text",
        alt.send_keys("Swiss flag, for scale\t"),
    )
    .await;
    wait_for(
        &client,
        "the alt text saved",
        "return document.querySelector(\"ul[aria-label='Images'] li:nth-child(2) img\")?.alt
             === 'Swiss flag, for scale'
             && !document.querySelector(\"button[aria-label='Move image 2 earlier']\").disabled;",
    )
    .await;
    click(
        &client,
        "Move image 2 earlier",
        Locator::Css("button[aria-label='Move image 2 earlier']"),
    )
    .await;
    wait_for(
        &client,
        "the new image first, with its alt text",
        "const first = document.querySelector(\"ul[aria-label='Images'] li:first-child\");
         return first?.querySelector('input').value === 'Swiss flag, for scale'
             && first.querySelector('img')?.alt === 'Swiss flag, for scale';",
    )
    .await;
    call(
        "show the gallery",
        client.execute(
            "document.querySelector(\"ul[aria-label='Images']\").scrollIntoView({block: 'start'});",
            vec![],
        ),
    )
    .await;
    shoot("05-gallery");
    click(
        &client,
        "Remove image 1",
        Locator::Css("button[aria-label='Remove image 1']"),
    )
    .await;
    wait_for(
        &client,
        "the gallery as it was",
        "return document.querySelectorAll(\"ul[aria-label='Images'] li\").length === 1;",
    )
    .await;

    // 3. The store shows the new price (the header's link, back at the top of the page).
    call(
        "scroll to the top",
        client.execute("window.scrollTo(0, 0);", vec![]),
    )
    .await;
    click(
        &client,
        "View in store",
        Locator::XPath("//a[normalize-space()='View in store']"),
    )
    .await;
    wait_for(
        &client,
        "the product page",
        "return document.querySelector('h1')?.textContent === 'Ukraine Snake Island Flag';",
    )
    .await;
    choose_3x5_nylon(&client).await;
    wait_for(
        &client,
        "3x5 ft nylon at $41.50 in the store",
        "return document.querySelector(\"[data-testid='price']\")?.textContent.trim() === '$41.50';",
    )
    .await;
    shoot("06-store-price");

    // 4. Inventory: receive 12 with a note; the ledger shows the line.
    click(&client, "the Admin link", Locator::Css("a.admin-link")).await;
    click(
        &client,
        "Inventory in the sidebar",
        Locator::XPath(&nav_link("Inventory")),
    )
    .await;
    wait_for(
        &client,
        "the stock table",
        &format!("return !!document.querySelector(\"tr[data-sku='{SKU}']\");"),
    )
    .await;
    shoot("07-inventory");
    click(
        &client,
        "the variant's history",
        Locator::Css(&format!("tr[data-sku='{SKU}'] a.product")),
    )
    .await;
    wait_for(
        &client,
        "the variant's figures",
        "return !!document.querySelector('dl.figures dd');",
    )
    .await;
    let before = call(
        "read the stock on hand",
        client.execute(
            "return Number(document.querySelector('dl.figures dd').textContent);",
            vec![],
        ),
    )
    .await
    .as_i64()
    .expect("on hand is a number");
    click(
        &client,
        "Adjust stock",
        Locator::XPath("//button[normalize-space()='Adjust stock']"),
    )
    .await;
    let reason = call(
        "find the reason",
        client.find(Locator::Css("#adjust-reason")),
    )
    .await;
    call("choose received", reason.select_by_value("received")).await;
    let quantity = call(
        "find the quantity",
        client.find(Locator::Css("#adjust-quantity")),
    )
    .await;
    call("type 12", quantity.send_keys("12")).await;
    let note = call("find the note", client.find(Locator::Css("#adjust-note"))).await;
    call("type the note", note.send_keys("PO 1042")).await;
    shoot("08-adjust");
    click(
        &client,
        "Adjust",
        Locator::XPath("//div[@role='dialog']//button[normalize-space()='Adjust']"),
    )
    .await;
    wait_for(
        &client,
        "the ledger line",
        &format!(
            "const line = document.querySelector(\"[data-testid='ledger-line']\");
             const cells = [...(line?.cells ?? [])].map(c => c.textContent.trim());
             return !document.querySelector(\"[role='dialog']\")
                 && cells[1] === 'Received' && cells[2] === 'PO 1042' && cells[3] === '+12'
                 && cells[4] === '{}'
                 && document.querySelector('dl.figures dd').textContent === '{}';",
            before + 12,
            before + 12
        ),
    )
    .await;
    shoot("09-ledger");

    // 5. The low-stock view.
    click(
        &client,
        "Inventory in the sidebar",
        Locator::XPath(&nav_link("Inventory")),
    )
    .await;
    click(
        &client,
        "Low stock",
        Locator::XPath("//button[starts-with(normalize-space(), 'Low stock')]"),
    )
    .await;
    wait_for(
        &client,
        "the low-stock view",
        "return document.querySelector(\"button[aria-pressed='true']\")?.textContent.startsWith('Low stock')
             && document.querySelectorAll('tr[data-sku]').length > 0;",
    )
    .await;
    shoot("10-low-stock");

    // 6. Verify stock: every on-hand is the sum of its ledger, the one just received included.
    click(
        &client,
        "Verify stock",
        Locator::XPath("//button[normalize-space()='Verify stock']"),
    )
    .await;
    wait_for(
        &client,
        "the verification",
        "return document.querySelector(\"[aria-label='Stock verification']\")
            ?.textContent.includes('Stock verified.');",
    )
    .await;
    shoot("11-verified");
    call("quit the app", client.close()).await;
}

/// The sidebar link `label`, as an XPath.
fn nav_link(label: &str) -> String {
    format!("//nav[@aria-label='Back office']//a[normalize-space()='{label}']")
}

async fn choose_3x5_nylon(client: &Client) {
    for value in ["3x5 ft", "Nylon"] {
        let option = call(
            "find an option value",
            client.find(Locator::XPath(&format!(
                "//label[span[normalize-space()='{value}']]"
            ))),
        )
        .await;
        call("choose an option value", option.click()).await;
    }
}

//! The shopper's path: the catalogue, search, a product page, the cart, and the cart after a
//! restart.

use fantoccini::Locator;
use serde_json::json;

use crate::{IMAGES_LOADED, Scenario, call, count, wait_for};

const SNAKE_ISLAND: &str = "ukraine-snake-island-flag";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver; `make test` runs it"]
async fn shopper_finds_the_snake_island_flag_and_the_cart_survives_a_restart() {
    let scenario = Scenario::start("storefront");
    let shoot = |step: &str| scenario.shoot(step);

    // 1. The catalogue grid fills with the demo products and their images. It is windowed: it
    //    holds the rows near the viewport (two full rows of four, at least, in this 1280×800
    //    window), each card numbered within the whole list, whose size the page says.
    let client = scenario.launch().await;
    wait_for(&client, "the catalogue grid with loaded images", GRID_READY).await;
    let active = active_demo_products();
    let grid = call("read the grid", client.execute(GRID_STATE, vec![])).await;
    assert_eq!(grid["count"], json!(format!("{active} products")), "{grid}");
    assert_eq!(grid["setsizes"], json!([active]), "{grid}");
    assert_eq!(grid["first"], json!(1), "{grid}");
    let cards = count(&client, "ul[aria-label='Products'] > li").await;
    assert!(
        (8..active).contains(&cards),
        "{cards} of {active} products in the DOM"
    );
    shoot("01-catalogue");

    // The end of the list, fetched as a second page: the DOM still holds only a few rows.
    call(
        "scroll to the end",
        client.execute("window.scrollTo(0, document.body.scrollHeight);", vec![]),
    )
    .await;
    wait_for(
        &client,
        "the last products with loaded images",
        &format!(
            "const cards = document.querySelectorAll(\"ul[aria-label='Products'] > li\");
             return document.body.innerText.includes('That’s everything.')
                 && cards.length >= 4 && cards.length < {active}
                 && cards[cards.length - 1].getAttribute('aria-posinset') === '{active}'
                 && {IMAGES_LOADED};"
        ),
    )
    .await;
    shoot("01b-catalogue-end");
    call(
        "scroll back to the top",
        client.execute("window.scrollTo(0, 0);", vec![]),
    )
    .await;

    // 2. Searching "snake" finds the Snake Island flag.
    // The label is for assistive technology only (visually hidden), so read it from the DOM.
    let label = call(
        "read the search label",
        client.execute(
            "return document.querySelector(\"label[for='search']\")?.textContent.trim();",
            vec![],
        ),
    )
    .await;
    assert_eq!(label, json!("Search products"));
    let search = call(
        "find the search field",
        client.find(Locator::Css("input[type='search']")),
    )
    .await;
    call("type in the search field", search.send_keys("snake")).await;
    wait_for(
        &client,
        "search results for snake",
        &format!(
            "const cards = [...document.querySelectorAll(\"ul[aria-label='Products'] a\")];
             return document.querySelector('h1')?.textContent.includes('snake')
                 && cards.some(a => a.dataset.handle === '{SNAKE_ISLAND}')
                 && cards.every(a => a.textContent.toLowerCase().includes('snake'))
                 && {IMAGES_LOADED};"
        ),
    )
    .await;
    shoot("02-search-snake");

    // 3. Its product page.
    call(
        "open the Snake Island flag",
        client.find(Locator::Css(&format!("a[data-handle='{SNAKE_ISLAND}']"))),
    )
    .await
    .click()
    .await
    .expect("click the Snake Island card");
    wait_for(
        &client,
        "the product page",
        &format!(
            "return document.querySelector('h1')?.textContent === 'Ukraine Snake Island Flag'
                 && {IMAGES_LOADED};"
        ),
    )
    .await;
    shoot("03-product");

    // 4. Choose 3x5 ft nylon: price and SKU follow.
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
    wait_for(
        &client,
        "3x5 ft nylon at $39.00",
        "return document.querySelector(\"[data-testid='price']\")?.textContent.trim() === '$39.00'
             && document.body.textContent.includes('UA-SNK-3X5-NYL');",
    )
    .await;
    shoot("04-variant-3x5-nylon");

    // 5. Two in the cart: the count and the subtotal show it.
    call(
        "press +",
        client.find(Locator::Css("button[aria-label='Increase quantity']")),
    )
    .await
    .click()
    .await
    .expect("click +");
    let add = call(
        "find Add to cart",
        client.find(Locator::XPath("//button[normalize-space()='Add to cart']")),
    )
    .await;
    call("add to cart", add.click()).await;
    wait_for(&client, "the cart with 2 items", CART_HAS_TWO).await;
    shoot("05-cart");

    // 6. Quit and start again: the cart is still there.
    call("quit the app", client.close()).await;
    let client = scenario.launch().await;
    wait_for(
        &client,
        "the cart button after the restart",
        "return document.querySelector(\"button[aria-label^='Cart']\")
             ?.getAttribute('aria-label') === 'Cart, 2 items';",
    )
    .await;
    call(
        "open the cart",
        client.find(Locator::Css("button[aria-label^='Cart']")),
    )
    .await
    .click()
    .await
    .expect("click the cart button");
    wait_for(&client, "the cart after the restart", CART_HAS_TWO).await;
    shoot("06-cart-after-restart");
    call("quit the app", client.close()).await;
}

const GRID_READY: &str =
    "return document.querySelectorAll(\"ul[aria-label='Products'] > li\").length >= 8
    && (() => {
        const seen = [...document.querySelectorAll('main img')].filter(img => {
            const r = img.getBoundingClientRect();
            return r.bottom > 0 && r.top < innerHeight;
        });
        return seen.length >= 4 && seen.every(img => img.complete && img.naturalWidth > 0);
    })();";

/// What the windowed grid says: the count on the page, the list size its cards announce and the
/// position of the first.
const GRID_STATE: &str =
    "const cards = [...document.querySelectorAll(\"ul[aria-label='Products'] > li\")];
    return {
        count: document.querySelector('.count')?.textContent.trim(),
        setsizes: [...new Set(cards.map(li => Number(li.getAttribute('aria-setsize'))))],
        first: Number(cards[0]?.getAttribute('aria-posinset')),
    };";

/// How many of the demo catalogue's products are on sale (drafts and archived ones are not).
fn active_demo_products() -> usize {
    let demo: serde_json::Value =
        serde_json::from_str(include_str!("../../../assets/catalogue.json"))
            .expect("the demo catalogue is JSON");
    demo["products"]
        .as_array()
        .expect("the demo catalogue lists products")
        .iter()
        .filter(|p| p["status"] == "active")
        .count()
}

const CART_HAS_TWO: &str = "const dialog = document.querySelector(\"[role='dialog']\");
    return document.querySelector(\"button[aria-label^='Cart']\")?.getAttribute('aria-label') === 'Cart, 2 items'
        && dialog?.querySelector(\"[data-testid='subtotal']\")?.textContent.trim() === '$78.00'
        && dialog.textContent.includes('Ukraine Snake Island Flag')
        && dialog.textContent.includes('3x5 ft · Nylon')
        && dialog.querySelector(\"input[type='number']\")?.value === '2';";

//! The owner's Settings: a refused tax rate shown next to its field, then the Stripe test keys
//! saved (the secret never shown again) and the connection tested against a real local Stripe
//! emulator.

use fantoccini::{Client, Locator};

use crate::{Emulator, Scenario, call, click, wait_for};

const SECRET: &str = "sk_test_flagshop_settings_e2e9";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver, WebKitWebDriver and localstripe; `make test` runs it"]
async fn owner_saves_stripe_keys_and_tests_the_connection() {
    let stripe = Emulator::start();
    let base = stripe.base_url();
    // No STRIPE_* variable: the keys come from Settings alone.
    let scenario = Scenario::start("settings");
    let client = scenario.launch().await;

    // 1. The Settings page, every section loaded.
    call(
        "open the settings",
        client.execute("location.hash = '#/admin/settings';", vec![]),
    )
    .await;
    wait_for(
        &client,
        "the settings sections",
        "return document.querySelector('#shop-name')?.value === 'Flagshop'
             && !!document.querySelector('#tax-rate')
             && !!document.querySelector(\"table[aria-label='Discount codes'], .settings .empty\")
             && !!document.querySelector(\"[data-testid='stripe-server']\");",
    )
    .await;
    scenario.shoot("01-store-and-taxes");

    // 2. A tax rate with three decimals is refused, next to the field.
    type_into(&client, "#tax-rate", "8.255").await;
    press(
        &client,
        "save taxes and shipping",
        "section[aria-labelledby='pricing-title'] button[type='submit']",
    )
    .await;
    wait_for(
        &client,
        "the tax rate's error",
        "return document.querySelector('#tax-rate-error')?.textContent.includes('too many decimals');",
    )
    .await;
    scroll_to(&client, "#tax-rate").await;
    scenario.shoot("02-tax-rate-refused");

    // 3. A discount code, created in its dialog, listed with its value and limit.
    scroll(&client, "#discounts-title", "start").await;
    click(
        &client,
        "create a discount code",
        Locator::XPath("//button[normalize-space()='Create discount code']"),
    )
    .await;
    type_into(&client, "#discount-code", "WELCOME10").await;
    press(
        &client,
        "save the discount code without a value",
        ".discount-dialog button[type='submit']",
    )
    .await;
    wait_for(
        &client,
        "the value's error",
        "return !!document.querySelector('#discount-value-error');",
    )
    .await;
    scenario.shoot("03-discount-dialog");
    type_into(&client, "#discount-value", "10").await;
    type_into(&client, "#discount-limit", "100").await;
    press(
        &client,
        "save the discount code",
        ".discount-dialog button[type='submit']",
    )
    .await;
    wait_for(
        &client,
        "the new code in the list",
        "const row = document.querySelector(\"tr[data-code='WELCOME10']\");
         return !document.querySelector('.discount-dialog')
             && !!row && row.textContent.includes('10% off') && row.textContent.includes('0 / 100');",
    )
    .await;
    scroll(&client, "#discounts-title", "start").await;
    scenario.shoot("04-discount-codes");

    // 4. The emulator's address and the test keys, saved: the key comes back masked only.
    type_into(&client, "#stripe-api-base", &base).await;
    type_into(&client, "#stripe-secret-key", SECRET).await;
    type_into(
        &client,
        "#stripe-publishable-key",
        "pk_test_flagshop_settings",
    )
    .await;
    press(
        &client,
        "save the Stripe settings",
        "section[aria-labelledby='payments-title'] button[type='submit']",
    )
    .await;
    wait_for(
        &client,
        "the saved, masked key",
        "return document.querySelector(\"[data-testid='secret-key-masked']\")?.textContent
                 === 'sk_test_…e2e9'
             && document.querySelector('#stripe-secret-key').value === ''
             && document.querySelector(\"[data-testid='stripe-server']\").textContent
                 .includes('Test payments: local Stripe emulator');",
    )
    .await;
    scroll(&client, "#payments-title", "start").await;
    scenario.shoot("05-stripe-saved");
    let page = call(
        "read the page",
        client.execute("return document.documentElement.outerHTML;", vec![]),
    )
    .await;
    assert!(
        !page.as_str().unwrap_or_default().contains("settings_e2e9"),
        "the secret key came back to the page"
    );

    // 5. Test connection: localstripe answers and accepts the key.
    press(
        &client,
        "test the connection",
        "[data-testid='test-connection']",
    )
    .await;
    wait_for(
        &client,
        "the connection result",
        &format!(
            "return document.querySelector(\"[data-testid='connection-result']\")?.textContent
                 .includes('Connected to the local Stripe emulator at {base}');"
        ),
    )
    .await;
    scroll_to(&client, "[data-testid='connection-result']").await;
    scenario.shoot("06-stripe-connected");
}

/// Scrolls `css` into view, then clicks it.
async fn press(client: &Client, what: &str, css: &str) {
    scroll_to(client, css).await;
    click(client, what, Locator::Css(css)).await;
}

async fn type_into(client: &Client, css: &str, value: &str) {
    scroll_to(client, css).await;
    let input = call(css, client.find(Locator::Css(css))).await;
    call(css, input.clear()).await;
    call(css, input.send_keys(value)).await;
}

/// Brings `css` to the middle of the window, for the screenshot.
async fn scroll_to(client: &Client, css: &str) {
    scroll(client, css, "center").await;
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

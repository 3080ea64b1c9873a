//! The owner's day with an order, against a real local Stripe emulator: an order bought and
//! paid through the CLI (the same core, the same Stripe) shows in the order list; the owner
//! opens it, fulfils it with a tracking number, refunds part of it and sees "Partially
//! refunded" in the detail and its timeline, is told why it cannot be cancelled now, prints;
//! then the customer and the dashboard.

use std::path::Path;
use std::process::Command;

use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::{Emulator, Scenario, call, click, wait_for};

const SECRET_KEY: &str = "sk_test_flagshop_e2e";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver, WebKitWebDriver and localstripe; `make test` runs it"]
async fn owner_fulfils_and_partly_refunds_a_paid_order() {
    let stripe = Emulator::start();
    let base = stripe.base_url();
    let scenario = Scenario::start_with_env(
        "orders",
        &[
            ("STRIPE_API_BASE", base.as_str()),
            ("STRIPE_SECRET_KEY", SECRET_KEY),
            ("STRIPE_PUBLISHABLE_KEY", "pk_test_flagshop_e2e"),
        ],
    );
    let number = buy_with_the_cli(&scenario, &base);
    let client = scenario.launch().await;

    // 1. The order list shows the paid, unfulfilled order.
    go(&client, "#/admin/orders").await;
    wait_for(
        &client,
        "the order in the list",
        &format!(
            "const row = document.querySelector(\"tr[data-number='{number}']\");
             return !!row && row.textContent.includes('Paid') && row.textContent.includes('Unfulfilled')
                 && row.textContent.includes('Olena Buyer');"
        ),
    )
    .await;
    scenario.shoot("01-list");

    // 2. Its detail: the card, the PaymentIntent and the timeline.
    click(
        &client,
        "the order's number",
        Locator::Css(&format!("tr[data-number='{number}'] a.row-link")),
    )
    .await;
    wait_for(
        &client,
        "the order's detail",
        &format!(
            "return document.querySelector('h1')?.textContent === '#{number}'
                 && {PAYMENT_STATUS} === 'Paid'
                 && document.querySelector(\"[data-testid='card']\")?.textContent.includes('4242')
                 && document.querySelector(\"[data-testid='payment-intent']\")?.textContent.startsWith('pi_');"
        ),
    )
    .await;
    scenario.shoot("02-detail");

    // 3. Fulfil with a carrier and a tracking number.
    press(&client, "Fulfil items").await;
    type_into(&client, "#fulfil-carrier", "Ukrposhta").await;
    type_into(&client, "#fulfil-tracking", "UA123456789UA").await;
    scenario.shoot("03-fulfil-dialog");
    click(
        &client,
        "confirm the fulfilment",
        Locator::XPath("//div[@role='dialog']//button[normalize-space()='Fulfil items']"),
    )
    .await;
    wait_for(
        &client,
        "the tracking number on the order",
        "return document.querySelector(\"[data-testid='tracking']\")?.textContent.includes('UA123456789UA')
             && document.querySelector(\"[data-testid='fulfilment-status']\")?.textContent === 'Fulfilled'
             && !document.querySelector(\"[role='dialog']\");",
    )
    .await;

    // 4. Refund $10.00 of it: the order is partially refunded, and the timeline says so first.
    press(&client, "Refund").await;
    let amount = call(
        "the refund amount",
        client.find(Locator::Css("#refund-amount")),
    )
    .await;
    call("clear the amount", amount.clear()).await;
    call("type the amount", amount.send_keys("10.00")).await;
    scenario.shoot("04-refund-dialog");
    press(&client, "Refund $10.00").await;
    wait_for(
        &client,
        "the partial refund",
        &format!(
            "return {PAYMENT_STATUS} === 'Partially refunded'
                 && document.querySelector(\"[data-testid='refunded']\")?.textContent.includes('10.00')
                 && document.querySelector(\"[data-testid='timeline'] li\")?.textContent.includes('Refunded 10.00 USD')
                 && !document.querySelector(\"[role='dialog']\");"
        ),
    )
    .await;
    scenario.shoot("05-partially-refunded");

    // A fulfilled order is not cancelled before a full refund: the core's reason is shown.
    press(&client, "Cancel order").await;
    click(
        &client,
        "confirm the cancel",
        Locator::XPath("//div[@role='dialog']//button[normalize-space()='Cancel order']"),
    )
    .await;
    wait_for(
        &client,
        "the refusal",
        "return document.querySelector(\"[role='dialog'] [role='alert']\")
            ?.textContent.includes('refund it in full first');",
    )
    .await;
    scenario.shoot("06-cancel-refused");
    press(&client, "Back").await;
    wait_for(
        &client,
        "the dialog closed, the order open",
        &format!(
            "return !document.querySelector(\"[role='dialog']\")
                 && !document.querySelector(\"[data-testid='order-status']\")
                 && {PAYMENT_STATUS} === 'Partially refunded';"
        ),
    )
    .await;

    // 5. The receipt and the packing slip as they print (the print rules applied on screen).
    print_view(&client, "Print receipt").await;
    wait_for(
        &client,
        "the receipt",
        "return document.querySelector('.print-sheet')?.offsetHeight > 0
             && document.querySelector('.print-sheet').textContent.includes('Receipt')
             && document.querySelector('.print-sheet').textContent.includes('$44.00');",
    )
    .await;
    scenario.shoot("07-receipt");
    reload(&client, &number).await;
    print_view(&client, "Packing slip").await;
    wait_for(
        &client,
        "the packing slip",
        "return document.querySelector('.print-sheet')?.offsetHeight > 0
             && document.querySelector('.print-sheet').textContent.includes('UA123456789UA')
             && !document.querySelector('.print-sheet').textContent.includes('$44.00');",
    )
    .await;
    scenario.shoot("08-packing-slip");
    reload(&client, &number).await;

    // 6. The customer, with what they spent net of the refund.
    go(&client, "#/admin/customers").await;
    wait_for(
        &client,
        "the customer list",
        "return !!document.querySelector(\"tr[data-email='olena@example.com']\");",
    )
    .await;
    click(
        &client,
        "the customer",
        Locator::Css("tr[data-email='olena@example.com'] a.row-link"),
    )
    .await;
    wait_for(
        &client,
        "the customer's detail",
        "return document.querySelector(\"[data-testid='lifetime-spend']\") !== null
             && document.querySelector('h1')?.textContent === 'Olena Buyer';",
    )
    .await;
    scenario.shoot("09-customer");

    // 7. The dashboard: the sale of today, and its chart.
    go(&client, "#/admin/dashboard").await;
    wait_for(
        &client,
        "the dashboard with its chart",
        "return document.querySelector(\"[data-testid='to-fulfil']\")?.textContent === '0'
             && !!document.querySelector('.chart canvas');",
    )
    .await;
    scenario.shoot("10-dashboard");
    call("quit the app", client.close()).await;
}

const PAYMENT_STATUS: &str =
    "document.querySelector(\"[data-testid='payment-status']\")?.textContent.trim()";

/// Creates the shop (the demo catalogue) and buys one Snake Island flag with the Visa test card
/// through the CLI, before the app opens the same data dir. Returns the order's number.
fn buy_with_the_cli(scenario: &Scenario, stripe: &str) -> String {
    // The CLI is built beside the app (`cargo build --workspace`, or the tests' build).
    let cli = scenario.app.with_file_name("flagshop");
    assert!(
        cli.exists(),
        "{} is missing: cargo build -p flagshop",
        cli.display()
    );
    let dir = scenario.data_dir.path();
    run(&cli, dir, stripe, &["init"]);
    let out = run(
        &cli,
        dir,
        stripe,
        &[
            "checkout",
            "--sku",
            "UA-SNK-3X5-NYL:1",
            "--email",
            "olena@example.com",
            "--name",
            "Olena Buyer",
            "--country",
            "UA",
            "--card",
            "visa",
            "--json",
        ],
    );
    let order: Value = serde_json::from_str(&out).expect("the checkout prints the order as JSON");
    assert_eq!(order["payment_status"], "paid", "the CLI's order: {order}");
    order["number"]
        .as_str()
        .expect("the order has a number")
        .to_owned()
}

fn run(cli: &Path, data_dir: &Path, stripe: &str, args: &[&str]) -> String {
    let output = Command::new(cli)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("STRIPE_API_BASE", stripe)
        .env("STRIPE_SECRET_KEY", SECRET_KEY)
        .output()
        .expect("run the flagshop CLI");
    assert!(
        output.status.success(),
        "flagshop {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the CLI prints UTF-8")
}

/// Presses a print button with `window.print` stubbed (no print dialog under WebDriver), then
/// applies the page's print rules to the screen, as the printer would see it.
async fn print_view(client: &Client, label: &str) {
    call(
        "stub window.print",
        client.execute(
            "window.printed = 0; window.print = () => { window.printed += 1; }; return true;",
            vec![],
        ),
    )
    .await;
    press(client, label).await;
    wait_for(client, "window.print()", "return window.printed === 1;").await;
    // insertRule is CSSOM, which the page's CSP allows (a new <style> element it would not).
    call(
        "apply the print rules",
        client.execute(
            "for (const sheet of document.styleSheets) {
                 for (const rule of [...sheet.cssRules]) {
                     if (rule instanceof CSSMediaRule && rule.conditionText === 'print') {
                         for (const inner of [...rule.cssRules]) {
                             if (!(inner instanceof CSSPageRule)) {
                                 sheet.insertRule(inner.cssText, sheet.cssRules.length);
                             }
                         }
                     }
                 }
             }
             return true;",
            vec![],
        ),
    )
    .await;
}

/// Loads the order's page afresh (dropping rules applied by [`print_view`]).
async fn reload(client: &Client, number: &str) {
    call(
        "reload",
        client.execute("location.reload(); return true;", vec![]),
    )
    .await;
    wait_for(
        client,
        "the order after a reload",
        &format!(
            "return document.querySelector('h1')?.textContent === '#{number}'
                 && getComputedStyle(document.querySelector('.print-sheet')).display === 'none';"
        ),
    )
    .await;
}

async fn go(client: &Client, hash: &str) {
    call(
        "go to a page",
        client.execute(&format!("location.hash = '{hash}'; return true;"), vec![]),
    )
    .await;
}

/// Clicks the button labelled `label`.
async fn press(client: &Client, label: &str) {
    let xpath = format!("//button[normalize-space()='{label}']");
    click(client, label, Locator::XPath(&xpath)).await;
}

async fn type_into(client: &Client, css: &str, value: &str) {
    let input = call(css, client.find(Locator::Css(css))).await;
    call(css, input.clear()).await;
    call(css, input.send_keys(value)).await;
}

//! The owner's day with an order, against a real local Stripe emulator: a paid order (bought
//! through the core, as the storefront buys), an oversold one (its 3-D Secure finished after the
//! last unit went to someone else) and a test order (`flagshop checkout`) show in the order
//! list; the owner opens the paid one, fulfils it with a tracking number, refunds part of it and
//! sees "Partially refunded" in the detail and its timeline, is told why it cannot be cancelled
//! now, prints; then the customer, the dashboard with its oversold card, the oversold order's
//! panel, and the test order deleted from the list.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use fantoccini::{Client, Locator};
use flagshop::checkout::{self, TestCard};
use flagshop::payments::{ServerKind, StripeClient};
use flagshop::{Address, CustomerDetails, PaymentStatus, Shop, StockReason};
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
    let test_order = buy_with_the_cli(&scenario, &base);
    let (number, oversold) = buy_in_the_store(&scenario, &stripe).await;
    let client = scenario.launch().await;

    // 1. The order list shows the paid, unfulfilled order, the oversold one marked, and the
    // test order with its badge.
    go(&client, "#/admin/orders").await;
    wait_for(
        &client,
        "the orders in the list",
        &format!(
            "const row = (n) => document.querySelector(`tr[data-number='${{n}}']`);
             const paid = row('{number}'), oversold = row('{oversold}'), test = row('{test_order}');
             return !!paid && paid.textContent.includes('Paid') && paid.textContent.includes('Unfulfilled')
                 && paid.textContent.includes('Olena Buyer') && !paid.querySelector(\"[data-testid='test-tag']\")
                 && !!oversold && oversold.textContent.includes('Oversold')
                 && !!test && test.querySelector(\"[data-testid='test-tag']\")?.textContent === 'Test';"
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

    // A fulfilled order is not cancelled before a full refund: the core's reason is shown as
    // soon as the dialog opens, and the action cannot be taken.
    press(&client, "Cancel order").await;
    wait_for(
        &client,
        "the refusal",
        "return document.querySelector(\"[role='dialog'] [role='alert']\")
                ?.textContent.includes('refund it in full first')
            && document.evaluate(\"//div[@role='dialog']//button[normalize-space()='Cancel order']\",
                document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue?.disabled;",
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
    go(&client, "#/admin/customers").await;
    wait_for(
        &client,
        "the customers, without the test order's",
        "return document.querySelectorAll('tr[data-email]').length === 2
             && !document.querySelector(\"tr[data-email='lab@example.com']\");",
    )
    .await;

    // 7. The dashboard: the sale of today, its chart, and the oversold order impossible to miss.
    // The test order counts nowhere.
    go(&client, "#/admin/dashboard").await;
    wait_for(
        &client,
        "the dashboard with its chart and the oversold card",
        "return document.querySelector(\"[data-testid='to-fulfil']\")?.textContent === '2'
             && document.querySelector(\"[data-testid='oversold']\")?.textContent === '1'
             && document.querySelector(\"[data-testid='oversold']\")?.classList.contains('danger')
             && !!document.querySelector('.chart canvas');",
    )
    .await;
    scenario.shoot("10-dashboard");

    // 8. The oversold order, from the dashboard's card: its panel with the two ways out.
    click(
        &client,
        "the oversold card",
        Locator::XPath("//a[normalize-space()='Oversold orders']"),
    )
    .await;
    click(
        &client,
        "the oversold order",
        Locator::Css(&format!("tr[data-number='{oversold}'] a.row-link")),
    )
    .await;
    wait_for(
        &client,
        "the oversold panel",
        "const panel = document.querySelector(\"[data-testid='oversold-panel']\");
         return !!panel && panel.textContent.includes('1 unit')
             && panel.textContent.includes('Restock and keep the order')
             && panel.textContent.includes('Refund and cancel');",
    )
    .await;
    scenario.shoot("11-oversold");

    // 9. The test order, deleted from the list: refunded at Stripe, its unit back in stock.
    go(&client, "#/admin/orders").await;
    click(
        &client,
        "the test order's checkbox",
        Locator::Css(&format!("tr[data-number='{test_order}'] td.pick input")),
    )
    .await;
    press(&client, "Delete test orders…").await;
    wait_for(
        &client,
        "what deleting does",
        "return document.querySelector(\"[data-testid='delete-test-effect']\")
            ?.textContent.includes('1 paid order is refunded at Stripe first');",
    )
    .await;
    scenario.shoot("12-delete-test-dialog");
    press(&client, "Delete test order").await;
    wait_for(
        &client,
        "the test order gone",
        &format!(
            "return document.querySelector(\"[data-testid='deleted']\")
                    ?.textContent.includes('1 test order deleted; 1 unit back in stock')
                 && !document.querySelector(\"tr[data-number='{test_order}']\")
                 && !!document.querySelector(\"tr[data-number='{number}']\");"
        ),
    )
    .await;
    scenario.shoot("13-test-deleted");
    call("quit the app", client.close()).await;
    orders_export_matches_the_orders(scenario.data_dir.path());
}

/// The accountant's export of this scenario's orders: it re-parses as CSV, one row per line
/// item of every real order, and the totals on each order's first row are the orders' totals.
fn orders_export_matches_the_orders(data_dir: &Path) {
    let shop = Shop::open(data_dir).expect("open the e2e shop");
    let folder = tempfile::tempdir().expect("a temp dir");
    let file = folder.path().join("orders.csv");
    let summary = shop
        .export_orders_to(&file, None, None)
        .expect("export the orders");
    let real: Vec<_> = shop
        .search_orders(&flagshop::OrderQuery {
            test: Some(false),
            ..flagshop::OrderQuery::default()
        })
        .expect("the real orders");
    let lines: usize = real
        .iter()
        .map(|o| shop.order(&o.number).expect("an order").lines.len())
        .sum();
    let mut reader = csv::Reader::from_path(&file).expect("the export is CSV");
    let header = reader.headers().expect("a header").clone();
    let at = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (name, total) = (at("Name"), at("Total"));
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .map(|r| r.expect("every row parses"))
        .collect();
    assert_eq!((summary.orders, summary.rows), (real.len(), lines));
    assert_eq!(rows.len(), lines, "one row per line item");
    let currency = shop.currency().expect("the currency");
    let exported: i64 = rows
        .iter()
        .filter(|r| !r[total].is_empty())
        .map(|r| {
            flagshop::Money::parse(&r[total], currency)
                .expect("a total")
                .amount
        })
        .sum();
    assert_eq!(exported, real.iter().map(|o| o.total).sum::<i64>());
    assert!(
        real.iter()
            .all(|o| rows.iter().any(|r| r[name] == *o.number))
    );
}

/// Buys as the storefront does (through the core, against the same Stripe server), before the
/// app opens the shop: a paid order for one Snake Island flag, and an oversold one — a 3-D
/// Secure payment completed after its reservation lapsed and the last unit went to another
/// customer. Returns both numbers: (paid, oversold).
async fn buy_in_the_store(scenario: &Scenario, stripe: &Emulator) -> (String, String) {
    let dir = scenario.data_dir.path();
    let shop = Arc::new(Shop::open(dir).expect("open the e2e shop"));
    let client = StripeClient::new(&stripe.base_url(), SECRET_KEY)
        .expect("a Stripe client")
        .speaking(ServerKind::Emulator);
    assert!(
        !stripe.today(),
        "this scenario completes 3-D Secure the emulator's way"
    );
    let pay = async |number: &str, card: TestCard| {
        let method = card
            .payment_method(&client)
            .await
            .expect("a test payment method");
        checkout::pay(&shop, &client, number, &method)
            .await
            .expect("the payment answers")
    };
    let olena = customer("olena@example.com", "Olena Buyer");
    let paid = shop
        .place_order(&[("UA-SNK-3X5-NYL".into(), 1)], &olena, None)
        .expect("place the paid order");
    let paid = pay(&paid.number, TestCard::Visa).await;
    assert_eq!(paid.payment_status, PaymentStatus::Paid);

    // One unit left of the small polyester flag.
    let sku = "UA-SNK-2X3-POL";
    let on_hand = shop.stock_level(sku).expect("its stock").available;
    shop.adjust_stock(sku, 1 - on_hand, StockReason::Correction, "e2e: one left")
        .expect("leave one");
    let late = shop
        .place_order(
            &[(sku.into(), 1)],
            &customer("mykola@example.com", "Mykola Lysenko"),
            None,
        )
        .expect("place the late order");
    let late = pay(&late.number, TestCard::ThreeDSecure).await;
    assert_eq!(late.payment_status, PaymentStatus::RequiresAction);
    // The challenge takes longer than the reservation: it lapses, and the unit is sold.
    rusqlite::Connection::open(dir.join("shop.db"))
        .expect("open the shop's file")
        .execute(
            "UPDATE stock_reservations SET expires_at = '2000-01-01T00:00:00.000Z'
             WHERE order_id = ?1",
            [late.id],
        )
        .expect("let the reservation lapse");
    shop.release_expired_reservations().expect("release it");
    let other = shop
        .place_order(&[(sku.into(), 1)], &olena, None)
        .expect("place the other order");
    assert_eq!(
        pay(&other.number, TestCard::Visa).await.payment_status,
        PaymentStatus::Paid
    );
    let intent = late.payment_intent_id.clone().expect("a PaymentIntent");
    let secret = client
        .retrieve_payment_intent(&intent)
        .await
        .expect("read the intent")
        .client_secret
        .expect("a client secret");
    client
        .emulator_authenticate_3ds(&intent, &secret, true)
        .await
        .expect("the emulator authenticates");
    let late = checkout::refresh(&shop, &client, &late.number)
        .await
        .expect("read the payment back");
    assert_eq!(late.oversold_units, 1, "{:?}", late.events);
    (paid.number, late.number)
}

fn customer(email: &str, name: &str) -> CustomerDetails {
    CustomerDetails {
        email: email.into(),
        name: name.into(),
        address: Address {
            line1: "1 Khreshchatyk St".into(),
            line2: String::new(),
            city: "Kyiv".into(),
            postal_code: "01001".into(),
            country: "UA".into(),
        },
    }
}

const PAYMENT_STATUS: &str =
    "document.querySelector(\"[data-testid='payment-status']\")?.textContent.trim()";

/// Creates the shop (the demo catalogue) and buys one Snake Island flag with the Visa test card
/// through the CLI — a test order — before the app opens the same data dir. Returns the
/// order's number.
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
            "lab@example.com",
            "--name",
            "Lab Tester",
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

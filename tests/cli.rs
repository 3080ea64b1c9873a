//! The `flagshop` binary, run as a user would, on real shops in temporary directories.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::localstripe::{LocalStripe, TEST_KEY};
use serde_json::Value;

fn flagshop(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flagshop"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("FLAGSHOP_DATA_DIR")
        .output()
        .expect("run flagshop")
}

fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "flagshop failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is JSON")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[test]
fn init_creates_the_demo_shop_and_list_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = flagshop(dir.path(), &["init"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("Shop ready in "), "{text}");
    assert!(dir.path().join("shop.db").exists());

    let out = flagshop(dir.path(), &["products", "list"]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.lines().next().unwrap().starts_with("HANDLE"));
    assert!(table.contains("ukraine-snake-island-flag"), "{table}");
}

#[test]
fn products_list_json_filters_by_search_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let found = json(&flagshop(
        dir.path(),
        &["products", "list", "--search", "snake", "--json"],
    ));
    let handles: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["handle"].as_str().unwrap())
        .collect();
    assert!(
        handles.contains(&"ukraine-snake-island-flag"),
        "{handles:?}"
    );
    assert!(!handles.contains(&"poland-flag"));

    let drafts = json(&flagshop(
        dir.path(),
        &["products", "list", "--status", "draft", "--json"],
    ));
    assert!(
        drafts
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["status"] == "draft")
    );
    let all = json(&flagshop(dir.path(), &["products", "list", "--json"]));
    assert!(all.as_array().unwrap().len() > drafts.as_array().unwrap().len());
}

#[test]
fn products_show_json_has_variants_with_price_in_minor_units() {
    let dir = tempfile::tempdir().unwrap();
    let product = json(&flagshop(
        dir.path(),
        &["products", "show", "ukraine-snake-island-flag", "--json"],
    ));
    assert_eq!(product["handle"], "ukraine-snake-island-flag");
    let variants = product["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 6);
    for v in variants {
        assert!(v["sku"].as_str().unwrap().starts_with("UA-SNK-"));
        assert_eq!(v["options"].as_array().unwrap().len(), 2);
        assert!(
            v["price"].as_i64().unwrap() > 100,
            "minor units: {}",
            v["price"]
        );
        assert_eq!(v["currency"], "USD");
        assert!(v["on_hand"].as_i64().is_some());
    }
}

#[test]
fn stock_adjust_then_history_and_low() {
    let dir = tempfile::tempdir().unwrap();
    let product = json(&flagshop(
        dir.path(),
        &["products", "show", "ukraine-snake-island-flag", "--json"],
    ));
    let sku = product["variants"][1]["sku"].as_str().unwrap().to_owned();
    let on_hand = product["variants"][1]["on_hand"].as_i64().unwrap();

    let entry = json(&flagshop(
        dir.path(),
        &[
            "stock", "adjust", &sku, "12", "--reason", "received", "--note", "PO 7", "--json",
        ],
    ));
    assert_eq!(entry["balance_after"].as_i64().unwrap(), on_hand + 12);
    let out = flagshop(
        dir.path(),
        &["stock", "adjust", &sku, "-2", "--reason", "damaged"],
    );
    assert!(out.status.success(), "{}", stderr(&out));

    let history = json(&flagshop(dir.path(), &["stock", "history", &sku, "--json"]));
    let history = history.as_array().unwrap();
    assert_eq!(history[0]["delta"], -2);
    assert_eq!(history[0]["reason"], "damaged");
    assert_eq!(history[1]["note"], "PO 7");

    let low = json(&flagshop(dir.path(), &["stock", "low", "--json"]));
    for level in low.as_array().unwrap() {
        assert!(level["available"].as_i64() <= level["low_stock_threshold"].as_i64());
    }
}

#[test]
fn errors_are_one_line_and_exit_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "stock",
                "adjust",
                "UA-SNK-3X5-XX",
                "2",
                "--reason",
                "received",
            ],
            "error: unknown SKU \"UA-SNK-3X5-XX\"\n",
        ),
        (
            &["products", "show", "no-such-flag"],
            "error: unknown product \"no-such-flag\"\n",
        ),
        (
            &["products", "list", "--min-price", "ten"],
            "error: \"ten\" is not an amount of USD (expected e.g. 12.50)\n",
        ),
        (
            &["stock", "history", "NOPE", "--json"],
            "error: unknown SKU \"NOPE\"\n",
        ),
    ];
    for (args, expected) in cases {
        let out = flagshop(dir.path(), args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(stderr(&out), expected, "{args:?}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn overdrawing_stock_is_refused_with_the_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let product = json(&flagshop(
        dir.path(),
        &["products", "show", "ukraine-snake-island-flag", "--json"],
    ));
    let sku = product["variants"][0]["sku"].as_str().unwrap();
    let on_hand = product["variants"][0]["on_hand"].as_i64().unwrap();
    let too_many = format!("-{}", on_hand + 1);
    let out = flagshop(
        dir.path(),
        &["stock", "adjust", sku, &too_many, "--reason", "lost"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "error: cannot remove {} of \"{sku}\": only {on_hand} available ({on_hand} on hand, 0 reserved for orders)\n",
            on_hand + 1
        )
    );

    // Counts that would overflow are refused by name, not wrapped into the database.
    let out = flagshop(
        dir.path(),
        &[
            "stock",
            "adjust",
            sku,
            &i64::MAX.to_string(),
            "--reason",
            "received",
        ],
    );
    assert_eq!(
        stderr(&out),
        format!(
            "error: {sku} cannot hold {} more units: it has {on_hand} on hand, and stock counts \
             stop at {}\n",
            i64::MAX,
            i64::MAX
        )
    );
    let out = flagshop(
        dir.path(),
        &[
            "stock",
            "adjust",
            sku,
            &i64::MIN.to_string(),
            "--reason",
            "lost",
        ],
    );
    assert!(
        stderr(&out).starts_with(&format!("error: cannot remove {} of \"{sku}\"", i64::MAX)),
        "{}",
        stderr(&out)
    );
    let product = json(&flagshop(
        dir.path(),
        &["products", "show", "ukraine-snake-island-flag", "--json"],
    ));
    assert_eq!(product["variants"][0]["on_hand"], on_hand, "nothing moved");
}

/// `flagshop products list --json | head -1`: the reader goes away, the CLI ends as Unix tools
/// do — by SIGPIPE, saying nothing — instead of panicking with a backtrace.
#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_the_cli_quietly() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;

    let dir = tempfile::tempdir().unwrap();
    assert!(flagshop(dir.path(), &["init"]).status.success());
    let mut child = Command::new(env!("CARGO_BIN_EXE_flagshop"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["products", "list", "--json"])
        .env_remove("FLAGSHOP_DATA_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Closed before anything is read, as `head` does once it has its line.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(stderr(&out), "", "nothing said on a closed pipe");
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{:?}", out.status);
}

/// Another process (the app importing, say) holds the write lock: reading the shop goes on
/// at once, and a write gives up after the busy timeout saying who is in the way.
#[test]
fn reads_do_not_wait_behind_another_process_write_and_a_write_says_it_is_busy() {
    let dir = tempfile::tempdir().unwrap();
    assert!(flagshop(dir.path(), &["init"]).status.success());
    let writer = rusqlite::Connection::open(dir.path().join("shop.db")).unwrap();
    writer
        .execute_batch(
            "BEGIN IMMEDIATE;
             INSERT INTO settings (key, value) VALUES ('held', 'by another process');",
        )
        .unwrap();

    let started = std::time::Instant::now();
    let out = flagshop(dir.path(), &["products", "list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out).as_array().unwrap().len(), 46);
    let out = flagshop(dir.path(), &["orders", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Well under the 5 s busy timeout a lock wait would have taken.
    assert!(started.elapsed() < std::time::Duration::from_secs(4));

    let out = flagshop(
        dir.path(),
        &[
            "stock",
            "adjust",
            "UA-SNK-3X5-NYL",
            "1",
            "--reason",
            "received",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: the shop is busy: another Flagshop program (the app, or a flagshop command) is \
         writing to it; try again when it has finished\n"
    );
    writer.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn data_dir_comes_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_flagshop"))
        .args(["init", "--blank"])
        .env("FLAGSHOP_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(dir.path().join("shop.db").exists());
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("0 product(s)")
    );
    // A blank shop stays blank: the next command does not fill it with the demo catalogue.
    let listed = Command::new(env!("CARGO_BIN_EXE_flagshop"))
        .args(["products", "list", "--json"])
        .env("FLAGSHOP_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert_eq!(json(&listed), serde_json::json!([]));
}

/// `flagshop` pointed at a running localstripe.
fn flagshop_with_stripe(data_dir: &Path, stripe: &LocalStripe, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flagshop"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("FLAGSHOP_DATA_DIR")
        .env("STRIPE_API_BASE", stripe.base_url())
        .env("STRIPE_SERVER_KIND", stripe.server_kind_env())
        .env("STRIPE_SECRET_KEY", TEST_KEY)
        .output()
        .expect("run flagshop")
}

/// On hand of the 3×5 ft nylon Snake Island flag, as `products show` reports it.
fn snake_island_on_hand(dir: &Path) -> i64 {
    json(&flagshop(
        dir,
        &["products", "show", "ukraine-snake-island-flag", "--json"],
    ))["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["sku"] == "UA-SNK-3X5-NYL")
        .unwrap()["on_hand"]
        .as_i64()
        .unwrap()
}

/// Buys one Snake Island flag with `card` and returns the order number.
fn checkout(dir: &Path, stripe: &LocalStripe, card: &str) -> String {
    let order = json(&flagshop_with_stripe(
        dir,
        stripe,
        &[
            "checkout",
            "--sku",
            "UA-SNK-3X5-NYL:1",
            "--email",
            "owner@example.com",
            "--card",
            card,
            "--json",
        ],
    ));
    order["number"].as_str().unwrap().to_owned()
}

#[test]
fn orders_fulfil_note_and_cancel_from_the_command_line() {
    let stripe = LocalStripe::start();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| flagshop_with_stripe(dir.path(), &stripe, args);

    let paid = checkout(dir.path(), &stripe, "visa");
    let order = json(&run(&[
        "orders",
        "fulfil",
        &paid,
        "--tracking",
        "1Z999",
        "--carrier",
        "UPS",
        "--json",
    ]));
    assert_eq!(order["fulfillment_status"], "fulfilled");
    assert_eq!(order["carrier"], "UPS");
    assert_eq!(order["tracking_number"], "1Z999");
    assert_eq!(order["card_last4"], "4242");

    let out = run(&["orders", "fulfil", &paid, "--tracking", "again"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!("error: order {paid} is already fulfilled\n")
    );
    let out = run(&["orders", "cancel", &paid]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("a fulfilled order cannot be cancelled without a refund"),
        "{}",
        stderr(&out)
    );

    let out = run(&["orders", "note", &paid, "Left at the door"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        format!("Order {paid}: open, paid, fulfilled\nLeft at the door\n")
    );
    let out = run(&["orders", "note", &paid, " ", "--json"]);
    assert_eq!(stderr(&out), "error: a note cannot be empty\n");

    // Paid and not shipped: refunded through Stripe and restocked.
    let before = snake_island_on_hand(dir.path());
    let refunded = checkout(dir.path(), &stripe, "visa");
    assert_eq!(snake_island_on_hand(dir.path()), before - 1);
    let order = json(&run(&["orders", "cancel", &refunded, "--json"]));
    assert_eq!(order["status"], "cancelled");
    assert_eq!(order["payment_status"], "refunded");
    assert_eq!(order["amount_refunded"], order["totals"]["total"]);
    assert_eq!(snake_island_on_hand(dir.path()), before);

    // Declined: its PaymentIntent is voided.
    let declined = checkout(dir.path(), &stripe, "charge_declined");
    let order = json(&run(&["orders", "cancel", &declined, "--json"]));
    assert_eq!(
        (&order["status"], &order["payment_status"]),
        (&Value::from("cancelled"), &Value::from("voided"))
    );
    let out = run(&["orders", "cancel", &declined]);
    assert_eq!(
        stderr(&out),
        format!("error: order {declined} is already cancelled\n")
    );
}

#[test]
fn demo_bulk_adds_numbered_copies_of_the_demo_products() {
    let dir = tempfile::tempdir().unwrap();
    let before = json(&flagshop(dir.path(), &["products", "list", "--json"]));
    let before = before.as_array().unwrap().len();

    let out = flagshop(dir.path(), &["demo", "bulk", "--products", "60"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("Added 60 product(s) in "), "{text}");
    assert!(
        text.trim_end()
            .ends_with(&format!("the shop has {}", before + 60)),
        "{text}"
    );
    let after = json(&flagshop(dir.path(), &["products", "list", "--json"]));
    assert_eq!(after.as_array().unwrap().len(), before + 60);
    assert!(after.as_array().unwrap().iter().any(|p| {
        p["title"]
            .as_str()
            .unwrap()
            .starts_with("Ukraine Snake Island Flag No. ")
    }));
}

/// A real order, bought the way the storefront buys (the CLI's `checkout` places test orders):
/// `card` is a Stripe test card's name. Returns the order number.
fn storefront_order(dir: &Path, stripe: &LocalStripe, card: &str) -> String {
    let shop = std::sync::Arc::new(flagshop::Shop::open(dir).unwrap());
    let customer = flagshop::CustomerDetails {
        email: "owner@example.com".into(),
        name: "Shop Owner".into(),
        ..common::buyer()
    };
    let order = shop
        .place_order(&[("UA-SNK-3X5-NYL".into(), 1)], &customer, None)
        .unwrap();
    let card: flagshop::checkout::TestCard = serde_json::from_value(Value::from(card)).unwrap();
    let client = stripe.client();
    let rt = common::runtime();
    let method = rt.block_on(card.payment_method(&client)).unwrap();
    rt.block_on(flagshop::checkout::pay(
        &shop,
        &client,
        &order.number,
        &method,
    ))
    .unwrap()
    .number
}

#[test]
fn customers_and_order_filters_from_the_command_line() {
    let stripe = LocalStripe::start();
    let dir = tempfile::tempdir().unwrap();
    let paid = storefront_order(dir.path(), &stripe, "visa");
    let failed = storefront_order(dir.path(), &stripe, "charge_declined");
    // `flagshop checkout` places test orders: listed and marked, but not a customer's.
    let test = checkout(dir.path(), &stripe, "visa");

    let customers = json(&flagshop(dir.path(), &["customers", "list", "--json"]));
    let customers = customers.as_array().unwrap();
    assert_eq!(customers.len(), 1);
    assert_eq!(customers[0]["email"], "owner@example.com");
    assert_eq!(customers[0]["orders_count"], 2);
    let order = json(&flagshop(dir.path(), &["orders", "show", &paid, "--json"]));
    assert_eq!(customers[0]["lifetime_spend"], order["totals"]["total"]);

    let detail = json(&flagshop(
        dir.path(),
        &["customers", "show", "OWNER@example.com", "--json"],
    ));
    assert_eq!(detail["orders"][0]["number"], failed.as_str());
    assert_eq!(detail["orders"][1]["number"], paid.as_str());

    let list = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["orders", "list", "--json"];
        all.extend_from_slice(args);
        json(&flagshop(dir.path(), &all))
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["number"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(list(&[]), [test.clone(), failed.clone(), paid.clone()]);
    assert_eq!(list(&["--real"]), [failed.clone(), paid.clone()]);
    assert_eq!(list(&["--test"]), [test.as_str()]);
    assert_eq!(list(&["--payment", "paid"]), [test.as_str(), paid.as_str()]);
    assert_eq!(
        list(&["--search", "OWNER", "--fulfilment", "unfulfilled", "--real"]).len(),
        2
    );
    let out = flagshop(dir.path(), &["orders", "list"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let row = |number: &str| {
        text.lines()
            .find(|l| l.starts_with(number))
            .unwrap()
            .to_owned()
    };
    assert!(row(&test).contains("paid (test)"), "{text}");
    assert!(!row(&paid).contains("(test)"), "{text}");
    assert_eq!(
        list(&["--to-fulfil", "--real"]),
        [paid.as_str()],
        "the declined order is not waiting to be shipped"
    );
    assert!(list(&["--to", "2000-01-01"]).is_empty());

    let out = flagshop(dir.path(), &["orders", "list", "--from", "yesterday"]);
    assert_eq!(
        stderr(&out),
        "error: the first day \"yesterday\" must be a day such as 2026-11-27\n"
    );
    let out = flagshop(dir.path(), &["customers", "show", "nobody@example.com"]);
    assert_eq!(
        stderr(&out),
        "error: no customer with email \"nobody@example.com\"\n"
    );
}

#[test]
fn test_orders_are_deleted_from_the_command_line_after_a_preview() {
    let stripe = LocalStripe::start();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| flagshop_with_stripe(dir.path(), &stripe, args);
    let real = storefront_order(dir.path(), &stripe, "visa");
    let first = checkout(dir.path(), &stripe, "visa");
    let second = checkout(dir.path(), &stripe, "charge_declined");
    let before = snake_island_on_hand(dir.path());

    // Without --yes: what it would do, and nothing done.
    let out = run(&["orders", "delete-test", "--all"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("Would delete 2 test order(s): 1 refunded at Stripe ("),
        "{text}"
    );
    assert!(text.contains("1 unit(s) back in stock"), "{text}");
    assert_eq!(snake_island_on_hand(dir.path()), before);

    // A real order is refused by name; the test order beside it still goes.
    let out = run(&["orders", "delete-test", &first, &real, "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "order {real} is not a test order: only test orders can be deleted\n\
             error: 1 order(s) were not deleted\n"
        )
    );
    assert_eq!(snake_island_on_hand(dir.path()), before + 1);

    let done = json(&run(&["orders", "delete-test", "--all", "--yes", "--json"]));
    assert_eq!(done["deleted"], serde_json::json!([second]));
    let left = json(&flagshop(dir.path(), &["orders", "list", "--json"]));
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["number"], real.as_str());
    let out = flagshop(dir.path(), &["orders", "show", &first]);
    assert_eq!(stderr(&out), format!("error: unknown order \"{first}\"\n"));
}

#[test]
fn stock_verify_reports_a_corrupted_on_hand_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let check = json(&flagshop(dir.path(), &["stock", "verify", "--json"]));
    let checked = check["variants_checked"].as_i64().unwrap();
    assert!(checked > 0);
    assert_eq!(check["mismatches"], serde_json::json!([]));

    let conn = rusqlite::Connection::open(dir.path().join("shop.db")).unwrap();
    conn.execute(
        "UPDATE variants SET on_hand = on_hand + 3 WHERE sku = 'UA-SNK-3X5-NYL'",
        [],
    )
    .unwrap();
    let out = flagshop(dir.path(), &["stock", "verify", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "error: 1 of {checked} variant(s) have an on-hand that is not the sum of their ledger\n"
        )
    );
    let check: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mismatch = &check["mismatches"][0];
    assert_eq!(mismatch["sku"], "UA-SNK-3X5-NYL");
    assert_eq!(
        mismatch["stored"].as_i64().unwrap() - mismatch["from_ledger"].as_i64().unwrap(),
        3
    );
}

#[test]
fn products_import_previews_imports_and_exports_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    flagshop(dir.path(), &["init", "--blank"]);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shopify");
    let messy = fixtures.join("messy.csv");
    let messy = messy.to_str().unwrap();

    // A dry run reports, writes nothing, and exits 1 because one product is refused.
    let out = flagshop(
        dir.path(),
        &["products", "import", messy, "--dry-run", "--json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["dry_run"], true);
    assert_eq!(
        (report["created"].as_i64(), report["refused"].as_i64()),
        (Some(2), Some(1))
    );
    let refused = &report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["severity"] == "error" && p["row"] == 5)
        .unwrap()["column"];
    assert_eq!(refused, "Variant Price");
    assert!(
        stderr(&out).contains("1 product(s) refused"),
        "{}",
        stderr(&out)
    );
    let listed = json(&flagshop(dir.path(), &["products", "list", "--json"]));
    assert_eq!(
        listed.as_array().unwrap().len(),
        0,
        "a dry run writes nothing"
    );

    // The import itself: a readable report, the same exit code.
    let out = flagshop(dir.path(), &["products", "import", messy]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("2 to create, 0 to update, 0 unchanged, 1 refused"),
        "{text}"
    );
    assert!(text.contains("REFUSED"), "{text}");

    // A clean file exits 0; exporting and importing into another shop gives the same products.
    let clean = fixtures.join("dialect_2025.csv");
    let out = flagshop(dir.path(), &["products", "import", clean.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let export = dir.path().join("export/products.csv");
    std::fs::create_dir(export.parent().unwrap()).unwrap();
    let summary = json(&flagshop(
        dir.path(),
        &[
            "products",
            "export",
            "--out",
            export.to_str().unwrap(),
            "--json",
        ],
    ));
    assert_eq!(summary["products"], 4);
    let other = tempfile::tempdir().unwrap();
    flagshop(other.path(), &["init", "--blank"]);
    let out = flagshop(
        other.path(),
        &["products", "import", export.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let show = |dir: &Path| {
        let mut product = json(&flagshop(
            dir,
            &["products", "show", "tryzub-pin", "--json"],
        ));
        for key in ["id", "created_at", "updated_at"] {
            product.as_object_mut().unwrap().remove(key);
        }
        for variant in product["variants"].as_array_mut().unwrap() {
            variant.as_object_mut().unwrap().remove("id");
        }
        product
    };
    assert_eq!(show(other.path()), show(dir.path()));
}

#[test]
fn backups_are_made_listed_verified_and_restored_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    flagshop(dir.path(), &["init"]);
    let made = json(&flagshop(dir.path(), &["backup", "create", "--json"]));
    let file = made["path"].as_str().unwrap().to_owned();
    let listed = json(&flagshop(dir.path(), &["backup", "list", "--json"]));
    assert_eq!(listed[0]["path"], file.as_str());
    let out = flagshop(dir.path(), &["backup", "verify", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .ends_with(": sound\n")
    );

    let on_hand = |dir: &Path| snake_island_on_hand(dir);
    let before = on_hand(dir.path());
    let out = flagshop(
        dir.path(),
        &[
            "stock",
            "adjust",
            "UA-SNK-3X5-NYL",
            "-2",
            "--reason",
            "damaged",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));

    // Without --yes: only what it would bring back.
    let out = flagshop(dir.path(), &["backup", "restore", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8(out.stdout).unwrap().contains("--yes"));
    assert_eq!(on_hand(dir.path()), before - 2);

    // While the app has the shop open, the CLI refuses.
    let shop = flagshop::Shop::open(dir.path()).unwrap();
    let lock = shop.lock_for_app().unwrap();
    let out = flagshop(dir.path(), &["backup", "restore", &file, "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("app has this shop open"),
        "{}",
        stderr(&out)
    );
    drop(lock);
    drop(shop);

    let out = flagshop(dir.path(), &["backup", "restore", &file, "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(on_hand(dir.path()), before);

    // A damaged file fails verification with exit 1.
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0xff;
    let damaged = dir.path().join("damaged.flagshop-backup");
    std::fs::write(&damaged, bytes).unwrap();
    let out = flagshop(dir.path(), &["backup", "verify", damaged.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
}

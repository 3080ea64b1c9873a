//! The app's log file: written to the folder it is given, at every level `RUST_LOG` allows, and
//! never with a Stripe secret in it — not from Flagshop, not from the HTTP and TLS crates
//! logging a payment at `trace`, not even from a line that tries to print the key.
//!
//! One test in this binary: logging is set up once per process.

mod common;

use common::localstripe::LocalStripe;
use flagshop::Shop;
use flagshop::payments::StripeConfigUpdate;

const SECRET: &str = "sk_test_51LogTestSecretKeyThatMustNeverBeWritten";
const WEBHOOK: &str = "whsec_LogTestWebhookSecretNeverWritten";

#[test]
fn the_log_holds_what_happened_and_no_stripe_secret() {
    let logs = tempfile::tempdir().unwrap();
    // The strictest level: every crate's every line.
    // SAFETY: set before any other thread of this test binary exists (one test here).
    unsafe { std::env::set_var("RUST_LOG", "trace") };
    let guard = flagshop::logs::init_app_logging(logs.path()).unwrap();

    let stripe = LocalStripe::start();
    let dir = tempfile::tempdir().unwrap();
    let shop = Shop::open(dir.path()).unwrap();
    shop.save_stripe_config(&StripeConfigUpdate {
        api_base: Some(stripe.base_url()),
        secret_key: Some(SECRET.to_owned()),
        webhook_secret: Some(WEBHOOK.to_owned()),
        ..StripeConfigUpdate::default()
    })
    .unwrap();
    // A real request to the Stripe server with the key in its Authorization header.
    let client = shop.stripe_client().unwrap();
    common::runtime().block_on(client.account_check()).unwrap();
    // And a careless line: the mask catches what a bug would print.
    tracing::error!("the key is {SECRET} and the hook {WEBHOOK}");
    drop(guard); // flushes the queued lines

    let mut written = String::new();
    for entry in std::fs::read_dir(logs.path()).unwrap() {
        let path = entry.unwrap().path();
        assert!(
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("flagshop"),
            "{path:?}"
        );
        written.push_str(&std::fs::read_to_string(&path).unwrap());
    }
    assert!(
        written.contains("demo catalogue loaded"),
        "Flagshop's own lines are there"
    );
    assert!(written.contains("TRACE"), "every level was on");
    assert!(written.contains("the key is sk_test_… and the hook whsec_…"));
    for secret in [SECRET, WEBHOOK, "LogTestSecretKey", "LogTestWebhookSecret"] {
        assert!(!written.contains(secret), "{secret} reached the log");
    }
}

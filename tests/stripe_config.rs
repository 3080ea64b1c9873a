//! The Stripe configuration saved in the shop: checked before it is saved, secrets never shown,
//! and the environment overriding it.
//!
//! These tests expect no STRIPE_* variable in their own environment (`make test` sets none);
//! the override is tested through the CLI, in a process of its own.

mod common;

use std::process::Command;

use common::blank_shop;
use common::localstripe::{LocalStripe, Recorder, Reply, TEST_KEY};
use flagshop::Error;
use flagshop::payments::{ConfigSource, PaymentError, StripeConfigUpdate};
use serde_json::Value;

fn update(
    api_base: Option<&str>,
    secret_key: Option<&str>,
    publishable_key: Option<&str>,
    webhook_secret: Option<&str>,
) -> StripeConfigUpdate {
    StripeConfigUpdate {
        api_base: api_base.map(str::to_owned),
        secret_key: secret_key.map(str::to_owned),
        publishable_key: publishable_key.map(str::to_owned),
        webhook_secret: webhook_secret.map(str::to_owned),
    }
}

#[test]
fn a_new_shop_points_at_stripe_with_no_keys() {
    let (_dir, shop) = blank_shop();
    let status = shop.stripe_status().unwrap();
    assert_eq!(status.api_base, "https://api.stripe.com");
    assert_eq!(status.api_base_source, ConfigSource::Default);
    assert!(!status.emulator);
    assert_eq!(status.secret_key_masked, None);
    assert!(!status.webhook_secret_set);
    assert!(!status.ready);
    assert_eq!(status.js_url, "https://js.stripe.com/v3/");
    assert!(matches!(
        shop.stripe_client(),
        Err(Error::Payment(PaymentError::MissingKey))
    ));
    assert_eq!(shop.stripe_webhook_port().unwrap(), 4242);
}

#[test]
fn the_webhook_port_comes_from_the_settings() {
    let (_dir, shop) = blank_shop();
    shop.set_setting(flagshop::SettingKey::StripeWebhookPort, "4343")
        .unwrap();
    assert_eq!(shop.stripe_webhook_port().unwrap(), 4343);
    shop.set_setting(flagshop::SettingKey::StripeWebhookPort, "99999")
        .unwrap();
    let err = shop.stripe_webhook_port().unwrap_err();
    assert!(
        err.to_string().contains("\"99999\" is not a port number"),
        "{err}"
    );
}

#[test]
fn saved_keys_are_used_but_only_shown_masked() {
    let (_dir, shop) = blank_shop();
    let status = shop
        .save_stripe_config(&update(
            Some("http://127.0.0.1:8420/"),
            Some("sk_test_51SecretValue9876"),
            Some("pk_test_51Public"),
            Some("whsec_signing123"),
        ))
        .unwrap();
    assert_eq!(status.api_base, "http://127.0.0.1:8420");
    assert_eq!(status.api_base_source, ConfigSource::Settings);
    assert!(status.emulator);
    assert_eq!(status.secret_key_masked.as_deref(), Some("sk_test_…9876"));
    assert_eq!(status.secret_key_source, Some(ConfigSource::Settings));
    assert_eq!(status.publishable_key.as_deref(), Some("pk_test_51Public"));
    assert!(status.webhook_secret_set);
    assert!(status.ready);
    assert_eq!(status.js_url, "http://127.0.0.1:8420/js.stripe.com/v3/");

    let json = serde_json::to_string(&status).unwrap();
    assert!(!json.contains("SecretValue"), "{json}");
    assert!(!json.contains("signing123"), "{json}");
    assert_eq!(
        shop.stripe_webhook_secret().unwrap().as_deref(),
        Some("whsec_signing123")
    );
    assert_eq!(
        shop.stripe_client().unwrap().base_url(),
        "http://127.0.0.1:8420"
    );

    // An empty value removes a setting; a missing one leaves it.
    let status = shop
        .save_stripe_config(&update(None, None, None, Some("")))
        .unwrap();
    assert!(!status.webhook_secret_set);
    assert_eq!(status.secret_key_masked.as_deref(), Some("sk_test_…9876"));
}

#[test]
fn refused_values_save_nothing() {
    let (_dir, shop) = blank_shop();
    shop.save_stripe_config(&update(
        Some("http://127.0.0.1:8420"),
        Some("sk_test_first1111"),
        None,
        None,
    ))
    .unwrap();
    let before = shop.stripe_status().unwrap();

    let live = shop.save_stripe_config(&update(
        Some("http://127.0.0.1:9999"),
        Some("sk_live_51abc"),
        None,
        None,
    ));
    let Err(Error::Payment(PaymentError::LiveKeyRefused)) = live else {
        panic!("a live key was not refused: {live:?}");
    };
    assert!(
        live.unwrap_err()
            .to_string()
            .contains("live Stripe keys are refused"),
        "the message says why"
    );
    for refused in [
        update(None, Some("pk_test_abc"), None, None),
        update(None, None, Some("pk_live_abc"), None),
        update(None, None, Some("sk_test_abc"), None),
        update(None, None, None, Some("secret")),
        update(Some("localhost:8420"), None, None, None),
        update(Some("http://127.0.0.1:8420/v1"), None, None, None),
    ] {
        let result = shop.save_stripe_config(&refused);
        assert!(result.is_err(), "{refused:?} was accepted");
    }
    assert_eq!(shop.stripe_status().unwrap(), before);
}

#[test]
fn the_saved_key_reaches_a_real_server() {
    let stripe = LocalStripe::start();
    let (_dir, shop) = blank_shop();
    shop.save_stripe_config(&update(
        Some(&stripe.base_url()),
        Some(TEST_KEY),
        None,
        None,
    ))
    .unwrap();
    let client = shop.stripe_client().unwrap();
    common::runtime()
        .block_on(client.account_check())
        .expect("localstripe accepts the saved key");
}

#[test]
fn the_environment_overrides_the_settings() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let output = Command::new(env!("CARGO_BIN_EXE_flagshop"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .envs(env.iter().copied())
            .output()
            .expect("run flagshop");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    };
    run(&["init", "--blank"], &[]);
    let status: Value = serde_json::from_slice(&run(
        &["stripe", "status", "--json"],
        &[
            ("STRIPE_API_BASE", "http://127.0.0.1:12111"),
            ("STRIPE_SECRET_KEY", "sk_test_fromTheEnvABCD"),
        ],
    ))
    .unwrap();
    assert_eq!(status["api_base"], "http://127.0.0.1:12111");
    assert_eq!(status["api_base_source"], "environment");
    assert_eq!(status["secret_key_masked"], "sk_test_…ABCD");
    assert_eq!(status["secret_key_source"], "environment");
    assert_eq!(status["emulator"], true);

    let text = String::from_utf8(run(
        &["stripe", "status"],
        &[("STRIPE_API_BASE", "http://127.0.0.1:12111")],
    ))
    .unwrap();
    assert!(
        text.contains("Test payments: local Stripe emulator at http://127.0.0.1:12111"),
        "{text}"
    );
    let today = |kind: &str| {
        let env = [
            ("STRIPE_API_BASE", "http://127.0.0.1:12111"),
            ("STRIPE_SERVER_KIND", kind),
        ];
        serde_json::from_slice::<Value>(&run(&["stripe", "status", "--json"], &env)).unwrap()
    };
    assert_eq!(today("stripe")["behaves_as_stripe"], true);
    assert_eq!(today("emulator")["behaves_as_stripe"], false);
    let text = String::from_utf8(run(
        &["stripe", "status"],
        &[
            ("STRIPE_API_BASE", "http://127.0.0.1:12111"),
            ("STRIPE_SERVER_KIND", "stripe"),
        ],
    ))
    .unwrap();
    assert!(
        text.contains("local test server behaving as Stripe"),
        "{text}"
    );
    // Stripe's own host is Stripe whatever the port spelling.
    let stripe = serde_json::from_slice::<Value>(&run(
        &["stripe", "status", "--json"],
        &[("STRIPE_API_BASE", "https://api.stripe.com:443")],
    ))
    .unwrap();
    assert_eq!(
        (
            stripe["emulator"].clone(),
            stripe["behaves_as_stripe"].clone()
        ),
        (Value::Bool(false), Value::Bool(true))
    );
}

/// This machine's address on its network, if it has one: a server there is not loopback.
fn network_address() -> Option<std::net::IpAddr> {
    // Connecting a UDP socket sends nothing; it only picks the outgoing address.
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("10.255.255.255:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn the_window_can_point_the_app_only_at_stripe_or_this_machine() {
    let (_dir, shop) = blank_shop();
    for allowed in [
        "https://api.stripe.com",
        "http://127.0.0.1:8420",
        "http://localhost:12111",
        "http://[::1]:8420",
    ] {
        let status = shop
            .save_stripe_config(&update(Some(allowed), None, None, None))
            .unwrap();
        assert_eq!(status.api_base, allowed);
    }
    for refused in [
        "http://10.0.0.5:8420",
        "https://stripe.evil.example",
        "http://127.0.0.1@evil.example",
    ] {
        let err = shop
            .save_stripe_config(&update(Some(refused), Some(TEST_KEY), None, None))
            .unwrap_err();
        assert!(
            matches!(err, Error::Invalid(_) | Error::Payment(_)),
            "{err}"
        );
        let status = shop.stripe_status().unwrap();
        assert_eq!(
            status.api_base, "http://[::1]:8420",
            "nothing saved: {refused}"
        );
        assert_eq!(status.secret_key_masked, None, "nothing saved: {refused}");
    }
}

#[test]
fn no_request_carrying_the_key_leaves_for_a_saved_server_elsewhere() {
    let Some(ip) = network_address() else {
        eprintln!("SKIPPED: this machine has no network address to stand for a remote server");
        return;
    };
    let remote = Recorder::start_on(ip, |_| Reply::With(200, "application/json", "{}".into()));
    let (_dir, shop) = blank_shop();
    shop.save_stripe_config(&update(None, Some(TEST_KEY), None, None))
        .unwrap();
    let err = shop
        .save_stripe_config(&update(Some(&remote.url()), None, None, None))
        .unwrap_err();
    assert!(err.to_string().contains("STRIPE_API_BASE"), "{err}");

    // Saved anyway (by an older Flagshop, or by hand): the app refuses to use it.
    shop.set_setting(flagshop::SettingKey::StripeApiBase, &remote.url())
        .unwrap();
    assert!(shop.stripe_client().is_err());
    let status = shop.stripe_status().unwrap();
    assert!(!status.ready);
    assert!(
        status
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("neither Stripe")),
        "{status:?}"
    );
    // Every call above is synchronous: a request sent would already be on the recorder.
    assert!(
        remote.drain().is_empty(),
        "a request reached the remote server"
    );
}

#[test]
fn live_keys_from_the_environment_are_refused_and_shown_for_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let status = |env: &[(&str, &str)]| -> Value {
        let output = Command::new(env!("CARGO_BIN_EXE_flagshop"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["stripe", "status", "--json"])
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let live = status(&[
        ("STRIPE_SECRET_KEY", "sk_live_51abcdefWXYZ"),
        ("STRIPE_PUBLISHABLE_KEY", "pk_test_fine"),
    ]);
    assert_eq!(live["secret_key_masked"], "sk_live_…WXYZ");
    assert_eq!(live["ready"], false);
    let problem = live["problem"].as_str().unwrap();
    assert!(
        problem.contains("from the environment") && problem.contains("live"),
        "{problem}"
    );

    let live_publishable = status(&[
        ("STRIPE_SECRET_KEY", "sk_test_fine"),
        ("STRIPE_PUBLISHABLE_KEY", "pk_live_51abc"),
    ]);
    assert_eq!(live_publishable["ready"], false);
    assert!(
        live_publishable["problem"]
            .as_str()
            .unwrap()
            .contains("publishable key")
    );

    let fine = status(&[
        ("STRIPE_SECRET_KEY", "sk_test_fine"),
        ("STRIPE_PUBLISHABLE_KEY", "pk_test_fine"),
    ]);
    assert_eq!(
        (fine["ready"].clone(), fine["problem"].clone()),
        (Value::Bool(true), Value::Null)
    );

    // A live key never pays, from any source.
    let output = Command::new(env!("CARGO_BIN_EXE_flagshop"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["stripe", "sync"])
        .env("STRIPE_SECRET_KEY", "rk_live_51abc")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("live Stripe keys are refused"));
}

#[test]
fn a_webhook_secret_that_is_not_whsec_is_refused_from_the_environment_too() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_flagshop"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .env("STRIPE_SECRET_KEY", "sk_test_fine")
            .env("STRIPE_WEBHOOK_SECRET", "not-a-secret")
            .output()
            .unwrap()
    };
    let listen = run(&["stripe", "listen", "--port", "0"]);
    assert_eq!(listen.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&listen.stderr);
    assert!(stderr.contains("must start with whsec_"), "{stderr}");
    let status: Value =
        serde_json::from_slice(&run(&["stripe", "status", "--json"]).stdout).unwrap();
    assert!(
        status["problem"].as_str().unwrap().contains("whsec_"),
        "{status}"
    );
}

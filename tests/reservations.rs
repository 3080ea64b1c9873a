//! Abandoned checkouts: a reservation whose time ran out is swept — by the app's timer, and by
//! each CLI command that moves stock or orders — and the order's timeline says so. Reads do not
//! sweep. Reservations lapse by moving the shop's clock (or, for another process, by backdating
//! them), not by waiting.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::buyer;
use flagshop::Shop;
use flagshop::clock::ManualClock;
use flagshop::reservations::sweep_every;

/// Places an order for one PL and backdates its reservation past its end: the CLI runs in a
/// process of its own, on the system clock.
fn abandoned(shop: &Shop, dir: &Path) -> String {
    let order = shop
        .place_order(&[("PL".into(), 1)], &buyer(), None)
        .unwrap();
    rusqlite::Connection::open(dir.join("shop.db"))
        .unwrap()
        .execute(
            "UPDATE stock_reservations SET expires_at = '2000-01-01T00:00:00.000Z'
             WHERE order_id = ?1",
            [order.id],
        )
        .unwrap();
    order.number
}

fn expired(shop: &Shop, number: &str) -> bool {
    shop.order(number)
        .unwrap()
        .events
        .iter()
        .any(|e| e.kind == "reservation_expired")
}

/// Until `done` holds, for at most 10 s of real time (the sweep runs on a blocking thread).
async fn until(done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(10), "not swept");
        tokio::task::yield_now().await;
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Places an order for one PL, then lets its reservation run out on the shop's clock.
fn abandoned_on(shop: &Shop, clock: &ManualClock) -> String {
    let order = shop
        .place_order(&[("PL".into(), 1)], &buyer(), None)
        .unwrap();
    clock.advance(Duration::from_secs(16 * 60));
    order.number
}

#[tokio::test(start_paused = true)]
async fn the_app_sweeps_at_once_then_on_its_timer() {
    let (_dir, shop) = common::poland(5);
    let clock = ManualClock::now();
    shop.set_clock(clock.clone());
    let first = abandoned_on(&shop, &clock);
    let sweeper = tokio::spawn(sweep_every(Arc::clone(&shop), Duration::from_secs(60)));
    until(|| expired(&shop, &first)).await;
    assert_eq!(shop.stock_level("PL").unwrap().reserved, 0);

    // The next abandoned checkout waits for the next tick: the clock is moved, not waited for.
    let second = abandoned_on(&shop, &clock);
    tokio::time::advance(Duration::from_secs(30)).await;
    tokio::task::yield_now().await;
    assert!(!expired(&shop, &second), "swept before its tick");
    tokio::time::advance(Duration::from_secs(30)).await;
    until(|| expired(&shop, &second)).await;
    sweeper.abort();

    // Each order is released once: a later sweep finds nothing.
    assert_eq!(shop.release_expired_reservations().unwrap(), 0);
    let lines = |n: &str| {
        shop.order(n)
            .unwrap()
            .events
            .iter()
            .filter(|e| e.kind == "reservation_expired")
            .count()
    };
    assert_eq!((lines(&first), lines(&second)), (1, 1));
}

fn flagshop(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_flagshop"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("FLAGSHOP_DATA_DIR")
        .output()
        .unwrap()
}

#[test]
fn cli_commands_that_move_stock_sweep_and_reads_do_not() {
    let (dir, shop) = common::poland(5);
    let number = abandoned(&shop, dir.path());
    for read in [
        &["orders", "list"][..],
        &["orders", "show", &number],
        &["stock", "history", "PL"],
        &["products", "list"],
    ] {
        let out = flagshop(dir.path(), read);
        assert!(out.status.success(), "{read:?}");
        assert!(!expired(&shop, &number), "{read:?} swept");
    }
    let out = flagshop(
        dir.path(),
        &["stock", "adjust", "PL", "1", "--reason", "received"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(expired(&shop, &number));
    let level = shop.stock_level("PL").unwrap();
    assert_eq!((level.on_hand, level.reserved), (6, 0));
}

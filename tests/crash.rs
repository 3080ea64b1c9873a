//! The crash suite: the `flagshop` CLI killed with SIGKILL at random moments, 130 times in all,
//! in the middle of a checkout, a backup, a restore, a product import, a stock adjustment, a
//! bulk demo load and an image import. After every kill the shop must open, pass
//! `PRAGMA integrity_check` and `stock verify`, list no half-written backup, and an interrupted
//! restore must leave the old shop or the new one, never a mix.
//!
//! The moments are random but reproducible: the seed is printed, and `CRASH_SEED=N` replays it.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::localstripe::{LocalStripe, TEST_KEY};
use flagshop::Shop;

/// A small, seedable generator: the suite needs reproducible moments, not cryptography.
struct Moments(u64);

impl Moments {
    fn new() -> Moments {
        let seed = std::env::var("CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        eprintln!("crash suite seed: CRASH_SEED={seed}");
        Moments(seed)
    }

    /// A moment from 0 to four fifths of `window` (the program's time when left alone): late
    /// enough to land in its every step, early enough that a faster run is still caught.
    fn up_to(&mut self, window: Duration) -> Duration {
        let max = window.mul_f64(0.8);
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let r = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        max.mul_f64((r >> 11) as f64 / (1u64 << 53) as f64)
    }
}

fn cli(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flagshop"));
    command
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("FLAGSHOP_DATA_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// How long `command` takes when left alone (the quickest of three runs, as the tests share
/// the machine): the window the kills are spread over. `make` gives a fresh command per run.
fn duration_of(make: impl Fn() -> Command) -> Duration {
    (0..3)
        .map(|_| {
            let mut command = make();
            let started = Instant::now();
            let output = command
                .stderr(Stdio::piped())
                .output()
                .expect("run flagshop");
            assert!(
                output.status.success(),
                "{command:?} failed on its own: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            started.elapsed()
        })
        .min()
        .expect("three runs")
}

/// Kills that landed while the program was still running, out of all: a suite whose kills
/// all come too late tests nothing, so each test checks that a third at least did land.
#[derive(Default)]
struct Landed {
    killed: usize,
    all: usize,
}

impl Landed {
    fn count(&mut self, finished_first: bool) {
        self.all += 1;
        if !finished_first {
            self.killed += 1;
        }
    }

    fn check(&self, what: &str) {
        eprintln!(
            "{what}: {} of {} kills landed mid-way",
            self.killed, self.all
        );
        assert!(
            self.killed * 3 >= self.all,
            "{what}: only {} of {} kills landed before the program finished",
            self.killed,
            self.all
        );
    }
}

/// Runs `command`, kills it with SIGKILL after `after` (if it is still running), and returns
/// whether it finished on its own first.
fn kill_after(mut command: Command, after: Duration) -> bool {
    let mut child = command.spawn().expect("start flagshop");
    let started = Instant::now();
    while started.elapsed() < after {
        if child.try_wait().expect("wait for flagshop").is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    // SIGKILL on Unix: no destructor, no flush, no rollback by the program itself.
    let _ = child.kill();
    let _ = child.wait();
    false
}

/// What must hold after any crash.
fn check_shop(dir: &Path, what: &str) -> Shop {
    let shop = Shop::open(dir).unwrap_or_else(|e| panic!("{what}: the shop does not open: {e}"));
    let conn = rusqlite::Connection::open(dir.join("shop.db")).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(integrity, "ok", "{what}");
    let stock = shop.verify_stock().unwrap();
    assert!(
        stock.mismatches.is_empty(),
        "{what}: {:?}",
        stock.mismatches
    );
    // Only complete backups are listed (each has its manifest); the newest, the one a kill
    // may have been writing, is checked through and through.
    if let Some(newest) = shop.list_backups().unwrap().first() {
        let verified = shop.verify_backup(Path::new(&newest.path)).unwrap();
        assert!(
            verified.ok(),
            "{what}: a listed backup is not sound: {verified:?}"
        );
    }
    shop
}

fn on_hand(shop: &Shop, sku: &str) -> i64 {
    shop.stock_level(sku).unwrap().on_hand
}

const SKU: &str = "UA-SNK-3X5-NYL";
/// Products in the demo catalogue.
const DEMO_PRODUCTS: i64 = 46;

fn demo_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    Shop::open(dir.path()).unwrap();
    dir
}

#[test]
fn stock_adjustments_and_bulk_loads_survive_being_killed() {
    let mut moments = Moments::new();
    let dir = demo_dir();
    let adjust = || {
        cli(
            dir.path(),
            &[
                "stock", "adjust", SKU, "1", "--reason", "received", "--note", "crash",
            ],
        )
    };
    let window = duration_of(adjust);
    let mut landed = Landed::default();
    for i in 0..25 {
        landed.count(kill_after(adjust(), moments.up_to(window)));
        check_shop(dir.path(), &format!("stock adjust, kill {i}"));
    }
    landed.check("stock adjust");
    let bulk = || cli(dir.path(), &["demo", "bulk", "--products", "300"]);
    let window = duration_of(bulk);
    let mut landed = Landed::default();
    for i in 0..15 {
        landed.count(kill_after(bulk(), moments.up_to(window)));
        let shop = check_shop(dir.path(), &format!("demo bulk, kill {i}"));
        // One transaction: all 300 copies or none.
        let products = shop
            .list_products(&flagshop::ProductQuery {
                limit: Some(1),
                ..flagshop::ProductQuery::default()
            })
            .unwrap()
            .total
            .unwrap();
        assert_eq!(
            (products - DEMO_PRODUCTS) % 300,
            0,
            "demo bulk, kill {i}: {products}"
        );
    }
    landed.check("demo bulk");
}

#[test]
fn backups_and_restores_survive_being_killed() {
    let mut moments = Moments::new();
    let dir = demo_dir();
    let shop = Shop::open(dir.path()).unwrap();
    let backup = shop.create_backup(None, "manual").unwrap();
    let backed_up = on_hand(&shop, SKU);
    drop(shop);
    let create = || cli(dir.path(), &["backup", "create"]);
    let window = duration_of(create);
    let mut landed = Landed::default();
    for i in 0..20 {
        landed.count(kill_after(create(), moments.up_to(window)));
        check_shop(dir.path(), &format!("backup create, kill {i}"));
    }
    landed.check("backup create");
    let restore = || cli(dir.path(), &["backup", "restore", &backup.path, "--yes"]);
    let window = duration_of(restore);
    let mut landed = Landed::default();
    for i in 0..20 {
        // Move the stock away from the backup's, then kill a restore of it.
        let shop = Shop::open(dir.path()).unwrap();
        shop.adjust_stock(SKU, 7, flagshop::StockReason::Received, "between")
            .unwrap();
        let current = on_hand(&shop, SKU);
        drop(shop);
        landed.count(kill_after(restore(), moments.up_to(window)));
        let shop = check_shop(dir.path(), &format!("backup restore, kill {i}"));
        let now = on_hand(&shop, SKU);
        assert!(
            now == current || now == backed_up,
            "restore, kill {i}: {now} is neither the old shop's {current} nor the backup's \
             {backed_up}"
        );
    }
    landed.check("backup restore");
}

#[test]
fn imports_of_products_and_images_survive_being_killed() {
    let mut moments = Moments::new();
    let dir = demo_dir();
    let folder = tempfile::tempdir().unwrap();
    // Each run imports products of its own: a file imported twice changes nothing the second
    // time, and would be over before any kill.
    let csv = |run: &str| -> PathBuf {
        let mut text = String::from(
            "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Qty\n",
        );
        for p in 0..400 {
            for size in ["S", "M", "L"] {
                text.push_str(&format!(
                    "crash-{run}-{p},Crash {run} {p},Size,{size},CR-{run}-{p}-{size},9.00,5\n"
                ));
            }
        }
        let path = folder.path().join(format!("{run}.csv"));
        std::fs::write(&path, text).unwrap();
        path
    };
    let import =
        |dir: &Path, file: &Path| cli(dir, &["products", "import", file.to_str().unwrap()]);
    let window = {
        let scratch = demo_dir();
        let run = std::cell::Cell::new(0);
        duration_of(|| {
            run.set(run.get() + 1);
            import(scratch.path(), &csv(&format!("timing{}", run.get())))
        })
    };
    let mut landed = Landed::default();
    for i in 0..20 {
        let file = csv(&i.to_string());
        landed.count(kill_after(import(dir.path(), &file), moments.up_to(window)));
        let shop = check_shop(dir.path(), &format!("product import, kill {i}"));
        // Never half a product: each imported product has its three variants.
        let page = shop
            .list_products(&flagshop::ProductQuery {
                search: Some("crash".into()),
                limit: Some(500),
                ..flagshop::ProductQuery::default()
            })
            .unwrap();
        assert!(page.items.iter().all(|p| p.variant_count == 3), "kill {i}");
    }
    landed.check("product import");

    let image = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/images");
    let images: Vec<PathBuf> = std::fs::read_dir(&image)
        .unwrap()
        .map(|e| e.unwrap().path())
        .take(12)
        .collect();
    // Run 0's import may have been killed before its second product: make sure it is there.
    if Shop::open(dir.path())
        .unwrap()
        .product("crash-0-1")
        .is_err()
    {
        let shop = Shop::open(dir.path()).unwrap();
        shop.create_product(&common::flag("crash-0-1", "Crash", vec![]))
            .unwrap();
    }
    let mut args = vec!["media".to_owned(), "add".to_owned(), "crash-0-1".to_owned()];
    args.extend(images.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let add = || cli(dir.path(), &args);
    let window = {
        let scratch = demo_dir();
        let shop = Shop::open(scratch.path()).unwrap();
        shop.create_product(&common::flag("crash-0-1", "Crash", vec![]))
            .unwrap();
        drop(shop);
        duration_of(|| cli(scratch.path(), &args))
    };
    let mut landed = Landed::default();
    for i in 0..15 {
        landed.count(kill_after(add(), moments.up_to(window)));
        check_shop(dir.path(), &format!("image import, kill {i}"));
    }
    landed.check("image import");
}

#[test]
fn checkouts_survive_being_killed() {
    let mut moments = Moments::new();
    let stripe = LocalStripe::start();
    let dir = demo_dir();
    let sku = format!("{SKU}:1");
    let checkout = || {
        let mut command = cli(
            dir.path(),
            &["checkout", "--sku", &sku, "--email", "crash@example.com"],
        );
        command
            .env("STRIPE_API_BASE", stripe.base_url())
            .env("STRIPE_SERVER_KIND", stripe.server_kind_env())
            .env("STRIPE_SECRET_KEY", TEST_KEY);
        command
    };
    let window = duration_of(checkout);
    let mut landed = Landed::default();
    for i in 0..15 {
        landed.count(kill_after(checkout(), moments.up_to(window)));
        let shop = check_shop(dir.path(), &format!("checkout, kill {i}"));
        // Stock is either sold, or still reserved for the unpaid order: never lost.
        let level = shop.stock_level(SKU).unwrap();
        assert!(
            level.available >= 0 && level.reserved >= 0,
            "checkout, kill {i}: {level:?}"
        );
    }
    landed.check("checkout");
}

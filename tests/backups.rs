//! Backups on real shops: made while the shop works, self-contained (database and images),
//! without the Stripe secrets, verified through and through, restored in one step with the
//! shop as it was backed up first, and thinned out by the retention rules.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{buyer, flag, variant};
use flagshop::backups::EXTENSION;
use flagshop::clock::ManualClock;
use flagshop::{SettingKey, Shop, StockReason};

fn demo_shop() -> (tempfile::TempDir, Shop) {
    let dir = tempfile::tempdir().unwrap();
    let shop = Shop::open(dir.path()).unwrap();
    (dir, shop)
}

fn on_hand(shop: &Shop, sku: &str) -> i64 {
    shop.stock_level(sku).unwrap().on_hand
}

#[test]
fn a_backup_holds_the_shop_and_its_images_but_not_the_stripe_secrets() {
    let (dir, shop) = demo_shop();
    shop.set_setting(
        SettingKey::StripeSecretKey,
        "sk_test_SECRET_never_in_a_backup",
    )
    .unwrap();
    shop.set_setting(SettingKey::StripeWebhookSecret, "whsec_SECRET_never_either")
        .unwrap();
    let made = shop.create_backup(None, "manual").unwrap();
    assert!(Path::new(&made.path).starts_with(dir.path().join("backups")));
    assert!(made.path.ends_with(EXTENSION));
    let counts = &made.manifest.counts;
    assert!(counts.products > 40 && counts.images > 40, "{counts:?}");
    assert_eq!(made.manifest.files.len() as i64, 1 + counts.images);

    let bytes = std::fs::read(&made.path).unwrap();
    for secret in ["sk_test_SECRET", "whsec_SECRET"] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} is in the backup"
        );
    }
    let verified = shop.verify_backup(Path::new(&made.path)).unwrap();
    assert!(verified.ok(), "{:?}", verified.problems);
    assert_eq!(shop.list_backups().unwrap(), vec![made]);
}

#[test]
fn restoring_brings_the_shop_back_and_keeps_the_one_it_replaced() {
    let (_dir, shop) = demo_shop();
    let sku = "UA-SNK-3X5-POL";
    let before = on_hand(&shop, sku);
    let backup = shop.create_backup(None, "manual").unwrap();

    // Life goes on: stock moves, an order is placed, the owner keeps a key.
    shop.adjust_stock(sku, -3, StockReason::Damaged, "rain")
        .unwrap();
    let order = shop
        .place_order(&[(sku.into(), 1)], &buyer(), None)
        .unwrap();
    shop.set_setting(SettingKey::StripeSecretKey, "sk_test_kept")
        .unwrap();
    shop.set_setting(SettingKey::StripeIdempotencyPrefix, "old-prefix")
        .unwrap();

    let restored = shop.restore_backup(Path::new(&backup.path)).unwrap();
    // The shop's own connections see the restored shop at once.
    assert_eq!(on_hand(&shop, sku), before);
    assert!(
        shop.order(&order.number).is_err(),
        "the order came after the backup"
    );
    assert!(shop.verify_stock().unwrap().mismatches.is_empty());
    // The keys of this machine stay; the Stripe identity of the old file does not.
    assert_eq!(
        shop.setting(SettingKey::StripeSecretKey)
            .unwrap()
            .as_deref(),
        Some("sk_test_kept")
    );
    assert_eq!(
        shop.setting(SettingKey::StripeIdempotencyPrefix).unwrap(),
        None
    );

    // The shop as it was before the restore was backed up first, and undoes it.
    assert_eq!(restored.previous.manifest.reason, "before restore");
    shop.restore_backup(Path::new(&restored.previous.path))
        .unwrap();
    assert_eq!(on_hand(&shop, sku), before - 3);
    assert!(shop.order(&order.number).is_ok());
}

#[test]
fn a_backup_restores_into_a_new_machine_with_its_images() {
    let (_dir, shop) = demo_shop();
    let backup = shop.create_backup(None, "manual").unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    let other = Shop::open_blank(other_dir.path()).unwrap();
    other.restore_backup(Path::new(&backup.path)).unwrap();
    let product = other.product("ukraine-snake-island-flag").unwrap();
    let image = &product.images[0];
    // The original came with the backup: a thumbnail can be made from it.
    other.thumbnail(&image.hash, 480).unwrap();
}

#[test]
fn a_damaged_or_foreign_backup_is_refused_and_the_shop_left_as_it_was() {
    let (_dir, shop) = demo_shop();
    let backup = shop.create_backup(None, "manual").unwrap();
    let sku = "UA-SNK-3X5-POL";
    shop.adjust_stock(sku, 5, StockReason::Received, "delivery")
        .unwrap();
    let now = on_hand(&shop, sku);

    // One byte flipped inside the database's part of the archive.
    let mut bytes = std::fs::read(&backup.path).unwrap();
    let at = bytes.len() / 3;
    bytes[at] ^= 0xff;
    let damaged = Path::new(&backup.path).with_file_name(format!("damaged.{EXTENSION}"));
    std::fs::write(&damaged, &bytes).unwrap();
    let verified = shop.verify_backup(&damaged).unwrap();
    assert!(!verified.ok());
    assert!(
        verified.problems.iter().any(|p| p.contains("damaged")),
        "{:?}",
        verified.problems
    );
    let refused = shop.restore_backup(&damaged).unwrap_err();
    assert!(
        refused.to_string().contains("cannot be restored"),
        "{refused}"
    );
    assert_eq!(on_hand(&shop, sku), now);

    let foreign = damaged.with_file_name(format!("notes.{EXTENSION}"));
    std::fs::write(&foreign, b"not a backup at all").unwrap();
    assert!(!shop.verify_backup(&foreign).unwrap().ok());
    // Neither is listed as a backup: only the sound one and the one made before nothing.
    let listed: Vec<String> = shop
        .list_backups()
        .unwrap()
        .into_iter()
        .map(|b| b.path)
        .collect();
    assert!(!listed.iter().any(|p| p.contains("notes")), "{listed:?}");
}

#[test]
fn a_backup_from_a_newer_flagshop_is_refused() {
    let (_dir, shop) = demo_shop();
    let backup = shop.create_backup(None, "manual").unwrap();
    // Rewrite the manifest as a newer Flagshop would have written it.
    let work = tempfile::tempdir().unwrap();
    let newer = work.path().join(format!("newer.{EXTENSION}"));
    {
        let mut archive = tar::Archive::new(std::fs::File::open(&backup.path).unwrap());
        let mut out = tar::Builder::new(std::fs::File::create(&newer).unwrap());
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().display().to_string();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
            if name == "manifest.json" {
                let mut manifest: serde_json::Value = serde_json::from_slice(&data).unwrap();
                manifest["schema_version"] = serde_json::json!(999);
                data = serde_json::to_vec(&manifest).unwrap();
            }
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            out.append_data(&mut header, &name, data.as_slice())
                .unwrap();
        }
        out.finish().unwrap();
    }
    let verified = shop.verify_backup(&newer).unwrap();
    assert!(
        verified
            .problems
            .iter()
            .any(|p| p.contains("newer Flagshop")),
        "{:?}",
        verified.problems
    );
}

#[test]
fn a_daily_backup_is_due_after_a_day_and_old_ones_are_thinned_out() {
    // A small shop: four hundred backups of the demo's images would only test the disk.
    let dir = tempfile::tempdir().unwrap();
    let shop = Shop::open_blank(dir.path()).unwrap();
    shop.create_product(&flag("f", "F", vec![variant("F-1", &["M"], 100, 4)]))
        .unwrap();
    let clock = ManualClock::at(1_767_225_600_000); // 2026-01-01T00:00:00Z
    shop.set_clock(clock.clone());
    assert!(
        shop.backup_if_due().unwrap().is_some(),
        "no backup yet: due"
    );
    assert!(
        shop.backup_if_due().unwrap().is_none(),
        "the newest is fresh"
    );
    clock.advance(Duration::from_secs(23 * 3600));
    assert!(shop.backup_if_due().unwrap().is_none());
    clock.advance(Duration::from_secs(3600));
    assert!(shop.backup_if_due().unwrap().is_some(), "a day old: due");

    // A year of days, one backup each: 7 daily, 4 weekly and 12 monthly remain (they
    // overlap: the newest of a day can also be the newest of its week and month).
    for _ in 0..400 {
        clock.advance(Duration::from_secs(24 * 3600));
        shop.backup_if_due().unwrap();
    }
    let left = shop.list_backups().unwrap();
    assert!(
        (12..=7 + 4 + 12).contains(&left.len()),
        "{} backups left",
        left.len()
    );
    // 2026-01-02 and 400 days: the newest is 2027-02-06, and the six days before it stay.
    let days: Vec<&str> = left.iter().map(|b| &b.manifest.created_at[..10]).collect();
    assert_eq!(
        &days[..7],
        &[
            "2027-02-06",
            "2027-02-05",
            "2027-02-04",
            "2027-02-03",
            "2027-02-02",
            "2027-02-01",
            "2027-01-31"
        ]
    );
    let months: std::collections::BTreeSet<&str> =
        left.iter().map(|b| &b.manifest.created_at[..7]).collect();
    assert_eq!(months.len(), 12, "{months:?}");
}

#[test]
fn an_unrelated_shop_is_untouched_by_a_backup_of_another() {
    // A blank shop with one product backs up and restores as well as the demo.
    let dir = tempfile::tempdir().unwrap();
    let shop = Shop::open_blank(dir.path()).unwrap();
    shop.create_product(&flag("f", "F", vec![variant("F-1", &["M"], 100, 4)]))
        .unwrap();
    let backup = shop
        .create_backup(Some(&dir.path().join("by-hand.flagshop-backup")), "manual")
        .unwrap();
    assert_eq!(backup.manifest.counts.images, 0);
    shop.adjust_stock("F-1", 6, StockReason::Received, "more")
        .unwrap();
    shop.restore_backup(Path::new(&backup.path)).unwrap();
    assert_eq!(on_hand(&shop, "F-1"), 4);
}

#[test]
fn backup_settings_are_checked_and_warn_about_the_shops_own_disk() {
    let dir = tempfile::tempdir().unwrap();
    let shop = Shop::open_blank(dir.path()).unwrap();
    let settings = shop.backup_settings().unwrap();
    assert!(
        settings.on_shop_disk,
        "the default folder is in the data folder"
    );
    assert_eq!(
        (
            settings.keep_daily,
            settings.keep_weekly,
            settings.keep_monthly
        ),
        (7, 4, 12)
    );

    let elsewhere = tempfile::tempdir().unwrap();
    let saved = shop
        .save_backup_settings(&flagshop::backups::BackupSettings {
            dir: elsewhere.path().display().to_string(),
            keep_daily: 3,
            ..settings.clone()
        })
        .unwrap();
    assert!(!saved.on_shop_disk);
    assert_eq!(saved.keep_daily, 3);
    let made = shop.create_backup(None, "manual").unwrap();
    assert!(Path::new(&made.path).starts_with(elsewhere.path()));

    // A backup made while backups went to the shop's disk does not move them back there.
    let old = shop
        .create_backup(Some(&dir.path().join("old.flagshop-backup")), "manual")
        .unwrap();
    shop.save_backup_settings(&flagshop::backups::BackupSettings {
        keep_daily: 5,
        ..saved.clone()
    })
    .unwrap();
    let restored = shop.restore_backup(Path::new(&old.path)).unwrap();
    assert_eq!(shop.backup_settings().unwrap().keep_daily, 5);
    assert!(Path::new(&restored.previous.path).starts_with(elsewhere.path()));
    let saved = shop.backup_settings().unwrap();

    for bad in [
        flagshop::backups::BackupSettings {
            dir: "relative/folder".into(),
            ..saved.clone()
        },
        flagshop::backups::BackupSettings {
            keep_monthly: 0,
            ..saved.clone()
        },
    ] {
        let refused = shop.save_backup_settings(&bad).unwrap_err();
        assert!(
            matches!(refused, flagshop::Error::InvalidField { .. }),
            "{refused}"
        );
    }
    assert_eq!(shop.backup_settings().unwrap(), saved, "nothing half saved");
}

#[test]
fn a_shop_from_an_older_flagshop_is_backed_up_before_it_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let shop = Shop::open(dir.path()).unwrap();
    let sku = "UA-SNK-3X5-NYL";
    let stock = on_hand(&shop, sku);
    drop(shop);
    // Take the shop back to schema 10, as the Flagshop before the import feature left it.
    let conn = rusqlite::Connection::open(dir.path().join("shop.db")).unwrap();
    conn.execute_batch(
        "DROP TABLE pending_images;
         DROP INDEX product_images_by_source;
         ALTER TABLE product_images DROP COLUMN source;
         ALTER TABLE variants DROP COLUMN image_source;
         ALTER TABLE variants DROP COLUMN weight_unit;
         ALTER TABLE variants DROP COLUMN cost_minor;
         PRAGMA user_version = 10;",
    )
    .unwrap();
    drop(conn);

    let shop = Shop::open(dir.path()).unwrap();
    let backups = shop.list_backups().unwrap();
    assert_eq!(backups.len(), 1);
    let before = &backups[0];
    assert!(
        before.manifest.reason.starts_with("before migration"),
        "{before:?}"
    );
    assert_eq!(
        before.manifest.schema_version, 10,
        "the backup holds the old schema"
    );
    assert!(before.manifest.counts.products > 40);
    // Migrated: the new columns are there, and nothing was lost.
    assert_eq!(
        shop.product("ukraine-snake-island-flag").unwrap().variants[0].cost_per_item,
        None
    );
    assert_eq!(on_hand(&shop, sku), stock);

    // The old backup restores into the new Flagshop, migrated on the way in.
    shop.adjust_stock(sku, 2, StockReason::Received, "after")
        .unwrap();
    shop.restore_backup(Path::new(&before.path)).unwrap();
    assert_eq!(on_hand(&shop, sku), stock);
    assert!(shop.product("ukraine-snake-island-flag").is_ok());
    drop(shop);
    // Opening it again needs no migration, so makes no backup.
    let shop = Shop::open(dir.path()).unwrap();
    let reasons: Vec<String> = shop
        .list_backups()
        .unwrap()
        .into_iter()
        .map(|b| b.manifest.reason)
        .collect();
    assert_eq!(
        reasons
            .iter()
            .filter(|r| r.starts_with("before migration"))
            .count(),
        1
    );
}

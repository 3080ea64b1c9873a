//! Faults a laptop meets: a full disk and a damaged shop file, through the real CLI.
//!
//! - A full disk (a small tmpfs; needs root, as CI has, and says SKIPPED otherwise): every
//!   write path answers "the disk is full" naming the folder, nothing stored is lost, the shop
//!   works again once space is freed, and `init` on a full disk leaves no empty shop.db.
//! - A damaged shop file (a b-tree page zeroed): the CLI says the file is damaged, names it,
//!   and names the newest backup that verifies, which then restores the shop.

mod common;

use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use flagshop::{Shop, StockReason};

fn flagshop(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flagshop"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("FLAGSHOP_DATA_DIR")
        .output()
        .expect("run flagshop")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const SKU: &str = "F-M";

/// A small tmpfs, unmounted when dropped; `None` (and a SKIPPED line) when not root.
struct SmallDisk {
    mount: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let mount = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(mount.path())
            .stderr(std::process::Stdio::null())
            .status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("SKIPPED: mounting a small tmpfs needs root (CI runs as root)");
            return None;
        }
        Some(SmallDisk { mount })
    }

    fn path(&self) -> &Path {
        self.mount.path()
    }

    /// Fills the disk to the last byte with a file, returned so that it can be removed.
    fn fill(&self) -> PathBuf {
        let filler = self.path().join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        let byte = [0u8; 1];
        while file.write_all(&byte).is_ok() {}
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.mount.path()).status();
    }
}

fn assert_disk_full(output: &Output, folder: &Path, what: &str) {
    assert_eq!(output.status.code(), Some(1), "{what}: {}", stderr(output));
    let message = stderr(output);
    assert!(message.contains("the disk is full"), "{what}: {message}");
    assert!(
        message.contains(&folder.display().to_string()),
        "{what}: the folder is not named: {message}"
    );
}

#[test]
fn a_full_disk_refuses_every_write_clearly_and_loses_nothing() {
    let Some(disk) = SmallDisk::mount(24) else {
        return;
    };

    // init on a full disk: refused, and no empty shop.db left to be mistaken for a shop.
    let filler = disk.fill();
    let new_shop = disk.path().join("new");
    let output = flagshop(&new_shop, &["init", "--blank"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("full"), "{}", stderr(&output));
    assert!(
        !new_shop.join("shop.db").exists(),
        "an empty shop.db was left behind"
    );
    std::fs::remove_file(&filler).unwrap();

    // A shop with a product, then the disk fills up.
    let dir = disk.path().join("shop");
    let shop = Shop::open_blank(&dir).unwrap();
    shop.create_product(&common::flag(
        "f",
        "F",
        vec![common::variant(SKU, &["M"], 100, 4)],
    ))
    .unwrap();
    drop(shop);
    let csv = disk.path().join("products.csv");
    std::fs::write(
        &csv,
        "Handle,Title,Variant SKU,Variant Price,Variant Inventory Qty\nmug,Mug,MUG,9.00,5\n",
    )
    .unwrap();
    let image = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/images/ua-snake-island.svg");
    let filler = disk.fill();

    let attempts: [(&str, Vec<&str>); 4] = [
        (
            "stock adjust",
            vec!["stock", "adjust", SKU, "5", "--reason", "received"],
        ),
        (
            "product import",
            vec!["products", "import", csv.to_str().unwrap()],
        ),
        ("backup", vec!["backup", "create"]),
        (
            "image import",
            vec!["media", "add", "f", image.to_str().unwrap()],
        ),
    ];
    for (what, args) in &attempts {
        assert_disk_full(&flagshop(&dir, args), &dir, what);
    }
    // Space again: what was stored is intact, nothing half written, and every write works.
    std::fs::remove_file(&filler).unwrap();
    let shop = Shop::open(&dir).unwrap();
    assert_eq!(shop.stock_level(SKU).unwrap().on_hand, 4);
    assert!(shop.verify_stock().unwrap().mismatches.is_empty());
    assert!(
        shop.list_backups().unwrap().is_empty(),
        "no half backup listed"
    );
    assert!(shop.product("mug").is_err(), "no half import");
    drop(shop);
    for (what, args) in &attempts {
        let output = flagshop(&dir, args);
        assert!(
            output.status.success(),
            "{what} after freeing space: {}",
            stderr(&output)
        );
    }
    let shop = Shop::open(&dir).unwrap();
    assert_eq!(shop.stock_level(SKU).unwrap().on_hand, 9);
    assert!(shop.product("mug").is_ok());
}

#[test]
fn a_damaged_shop_file_is_named_with_the_backup_that_brings_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let shop = Shop::open(dir.path()).unwrap();
    let backup = shop.create_backup(None, "manual").unwrap();
    shop.adjust_stock(
        "UA-SNK-3X5-NYL",
        1,
        StockReason::Received,
        "after the backup",
    )
    .unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("shop.db")).unwrap();
    let (page_size, root): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT page_size FROM pragma_page_size()),
                    (SELECT rootpage FROM sqlite_master WHERE name = 'products')",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    drop(shop);
    // Everything into shop.db itself, so that the damage below is what SQLite reads.
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    drop(conn);

    // Zero the products table's root page, as a failing disk would.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.path().join("shop.db"))
        .unwrap();
    file.seek(SeekFrom::Start(((root - 1) * page_size) as u64))
        .unwrap();
    file.write_all(&vec![0u8; page_size as usize]).unwrap();
    file.sync_all().unwrap();
    drop(file);

    let output = flagshop(dir.path(), &["products", "list"]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    let shop_file = dir.path().join("shop.db").display().to_string();
    assert!(message.contains("is damaged"), "{message}");
    assert!(
        message.contains(&shop_file),
        "the file is not named: {message}"
    );
    assert!(
        message.contains(&backup.path),
        "the backup is not offered: {message}"
    );

    // The offered backup brings the shop back; the damaged file is kept beside the backups.
    let output = flagshop(dir.path(), &["backup", "restore", &backup.path, "--yes"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = flagshop(dir.path(), &["products", "list", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let kept = std::fs::read_dir(dir.path().join("backups"))
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with("damaged-"));
    assert!(kept, "the damaged file was not kept");
    let shop = Shop::open(dir.path()).unwrap();
    assert!(shop.verify_stock().unwrap().mismatches.is_empty());
}

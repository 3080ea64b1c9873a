//! Backups: one self-contained `.flagshop-backup` file per backup — a tar archive of a manifest,
//! the database and the original of every image it references — made while the shop keeps
//! working, verified before it is trusted, and restored in one step.
//!
//! - **Making one**: `VACUUM INTO` copies the database from a read connection (never a copy of
//!   the live file beside its WAL); the Stripe secrets are then removed from the copy, with
//!   `secure_delete` and a second VACUUM so that no free page keeps them (the owner re-enters
//!   the keys on another machine; restoring on this one keeps the keys it has, and where its
//!   backups go). The archive is
//!   written under a temporary name and renamed only when complete and synced, so a
//!   half-written backup is never listed.
//! - **Verifying**: every file's SHA-256 against the manifest, `PRAGMA integrity_check`, the
//!   stock ledger adding up to on-hand, and a schema no newer than this Flagshop's.
//! - **Restoring**: verify, back up the current shop, copy the images in, then write the
//!   database through SQLite's online backup API into the shop's own connection, so that every
//!   connection sees the restored shop and no file is swapped under a live WAL. A failure
//!   before the last step leaves the shop exactly as it was; the last step is one SQLite
//!   transaction.
//! - **Keeping them**: a backup is due when the newest is a day old; the last 7 daily, 4
//!   weekly and 12 monthly are kept.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::setting_keys::SettingKey;
use crate::shop::put_setting;
use crate::{Error, Shop, db};

/// The file name ending of a backup.
pub const EXTENSION: &str = "flagshop-backup";
const MANIFEST: &str = "manifest.json";
const DATABASE: &str = "shop.db";
/// The archive layout this Flagshop writes and reads.
const FORMAT: u32 = 1;
/// A backup is due when the newest one is older than this.
const DUE_AFTER_HOURS: f64 = 24.0;

/// Settings that never leave the machine in a backup.
const SECRETS: [SettingKey; 2] = [SettingKey::StripeSecretKey, SettingKey::StripeWebhookSecret];
/// Settings of this machine rather than of the shop: a restore keeps the current ones (the
/// Stripe keys, which backups do not carry, and where backups go and how many are kept, so
/// that the backup made before the restore stays in the list).
const MACHINE: [SettingKey; 6] = [
    SettingKey::StripeSecretKey,
    SettingKey::StripeWebhookSecret,
    SettingKey::BackupDir,
    SettingKey::BackupKeepDaily,
    SettingKey::BackupKeepWeekly,
    SettingKey::BackupKeepMonthly,
];
/// Settings tied to this shop file's identity at Stripe: a restored shop makes its own.
const IDENTITY: [SettingKey; 2] = [
    SettingKey::StripeIdempotencyPrefix,
    SettingKey::StripeIdempotencyPrefixPath,
];

/// What a backup holds, written first in the archive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Manifest {
    pub format: u32,
    pub flagshop_version: String,
    #[ts(type = "number")]
    pub schema_version: usize,
    /// UTC, ISO-8601.
    pub created_at: String,
    /// Why it was made: `manual`, `daily`, `before restore`, `before import`, …
    pub reason: String,
    pub counts: BackupCounts,
    pub files: Vec<BackupFile>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BackupCounts {
    pub products: i64,
    pub variants: i64,
    pub orders: i64,
    pub ledger_rows: i64,
    pub images: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BackupFile {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// A backup as Settings lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct BackupInfo {
    pub path: String,
    /// The archive's size in bytes.
    pub size: u64,
    pub manifest: Manifest,
}

/// What verifying a backup found; `problems` is empty for a good one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Verification {
    pub path: String,
    pub manifest: Option<Manifest>,
    pub problems: Vec<String>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// What a restore did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Restored {
    pub restored: BackupInfo,
    /// The backup of the shop as it was just before, to undo the restore with.
    pub previous: BackupInfo,
}

/// Where backups go and how many are kept, as Settings → Backups shows and saves them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BackupSettings {
    /// The folder backups go to.
    pub dir: String,
    /// The folder is the default one inside the shop's data folder: a backup there does not
    /// survive the disk it is on.
    pub on_shop_disk: bool,
    pub keep_daily: u32,
    pub keep_weekly: u32,
    pub keep_monthly: u32,
}

/// The most backups of one kind that may be kept.
const MAX_KEEP: u32 = 1000;

impl Shop {
    pub fn backup_settings(&self) -> Result<BackupSettings, Error> {
        let keep = |key, default| -> Result<u32, Error> {
            Ok(self
                .setting(key)?
                .and_then(|v| v.parse().ok())
                .unwrap_or(default))
        };
        let dir = self.backup_dir()?;
        Ok(BackupSettings {
            on_shop_disk: dir.starts_with(self.data_dir()),
            dir: dir.display().to_string(),
            keep_daily: keep(SettingKey::BackupKeepDaily, 7)?,
            keep_weekly: keep(SettingKey::BackupKeepWeekly, 4)?,
            keep_monthly: keep(SettingKey::BackupKeepMonthly, 12)?,
        })
    }

    /// Checks and saves where backups go and how many are kept, all or nothing: the folder
    /// must be an absolute path where a file can be written.
    pub fn save_backup_settings(&self, update: &BackupSettings) -> Result<BackupSettings, Error> {
        let dir = PathBuf::from(update.dir.trim());
        if !dir.is_absolute() {
            return Err(Error::InvalidField {
                field: "dir",
                variant: None,
                message: format!("\"{}\" is not a full folder path", update.dir.trim()),
            });
        }
        let writable =
            fs::create_dir_all(&dir).and_then(|()| tempfile::tempfile_in(&dir).map(drop));
        if let Err(e) = writable {
            return Err(Error::InvalidField {
                field: "dir",
                variant: None,
                message: format!("backups cannot be written to {}: {e}", dir.display()),
            });
        }
        for (field, value) in [
            ("keep_daily", update.keep_daily),
            ("keep_weekly", update.keep_weekly),
            ("keep_monthly", update.keep_monthly),
        ] {
            if !(1..=MAX_KEEP).contains(&value) {
                return Err(Error::InvalidField {
                    field,
                    variant: None,
                    message: format!("keep from 1 to {MAX_KEEP} backups, not {value}"),
                });
            }
        }
        self.set_settings(&[
            (SettingKey::BackupDir, dir.display().to_string()),
            (SettingKey::BackupKeepDaily, update.keep_daily.to_string()),
            (SettingKey::BackupKeepWeekly, update.keep_weekly.to_string()),
            (
                SettingKey::BackupKeepMonthly,
                update.keep_monthly.to_string(),
            ),
        ])?;
        self.backup_settings()
    }

    /// The folder backups go to: the `backup_dir` setting, else `backups/` in the data folder
    /// (which does not survive the disk it is on: Settings says so).
    pub fn backup_dir(&self) -> Result<PathBuf, Error> {
        Ok(self
            .setting(SettingKey::BackupDir)?
            .filter(|d| !d.trim().is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| self.data_dir().join("backups")))
    }

    /// Makes a backup in [`Shop::backup_dir`] (or at `out`, a file path) and returns it.
    pub fn create_backup(&self, out: Option<&Path>, reason: &str) -> Result<BackupInfo, Error> {
        let (dir, path) = match out {
            Some(path) => (parent(path), path.to_path_buf()),
            None => {
                let dir = self.backup_dir()?;
                let name = format!("flagshop-{}.{EXTENSION}", stamp(&self.now()?));
                (dir.clone(), dir.join(name))
            }
        };
        fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        remove_stale_work(&dir);
        let work = tempfile::Builder::new()
            .prefix(WORK_PREFIX)
            .tempdir_in(&dir)
            .map_err(|e| io_error(&dir, e))?;
        let database = work.path().join(DATABASE);
        self.copy_database(&database)?;
        let copy = Connection::open(&database)?;
        let counts = counts(&copy)?;
        let hashes = image_hashes(&copy)?;
        // The copy's own version: a backup made before a migration holds the older schema.
        let schema_version: i64 =
            copy.pragma_query_value(None, "user_version", |row| row.get(0))?;
        drop(copy);

        let mut files = vec![describe(&database, DATABASE.to_owned())?];
        let originals = self.data_dir().join("media").join("originals");
        let mut images = Vec::new();
        for hash in &hashes {
            let file = originals.join(&hash[..2]).join(hash);
            // An image the database names but the disk lost is left out, and said so when the
            // backup is verified (its checksum entry is missing).
            if file.is_file() {
                let name = format!("media/originals/{}/{hash}", &hash[..2]);
                files.push(describe(&file, name)?);
                images.push(file);
            } else {
                tracing::warn!(
                    hash,
                    "an image the shop references is missing from the disk"
                );
            }
        }
        let manifest = Manifest {
            format: FORMAT,
            flagshop_version: env!("CARGO_PKG_VERSION").to_owned(),
            schema_version: usize::try_from(schema_version).unwrap_or(0),
            created_at: self.now()?,
            reason: reason.to_owned(),
            counts,
            files,
        };

        let partial = work.path().join("backup.partial");
        write_archive(&partial, &manifest, &database, &images)?;
        fs::rename(&partial, &path).map_err(|e| io_error(&path, e))?;
        sync_dir(&dir);
        let size = fs::metadata(&path).map_err(|e| io_error(&path, e))?.len();
        tracing::info!(path = %path.display(), reason, "backup made");
        Ok(BackupInfo {
            path: path.display().to_string(),
            size,
            manifest,
        })
    }

    /// The backups in [`Shop::backup_dir`], newest first. Files that are not complete backups
    /// (a temporary file, a damaged archive) are not listed.
    pub fn list_backups(&self) -> Result<Vec<BackupInfo>, Error> {
        let dir = self.backup_dir()?;
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error(&dir, e)),
        };
        let mut backups: Vec<BackupInfo> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == EXTENSION))
            .filter_map(|p| match read_manifest(&p) {
                Ok(manifest) => Some(BackupInfo {
                    size: fs::metadata(&p).map(|m| m.len()).unwrap_or(0),
                    path: p.display().to_string(),
                    manifest,
                }),
                Err(e) => {
                    tracing::warn!(path = %p.display(), error = %e, "not a readable backup");
                    None
                }
            })
            .collect();
        backups.sort_by(|a, b| b.manifest.created_at.cmp(&a.manifest.created_at));
        Ok(backups)
    }

    /// Checks a backup through and through, changing nothing.
    pub fn verify_backup(&self, path: &Path) -> Result<Verification, Error> {
        let work = tempfile::tempdir().map_err(|e| io_error(path, e))?;
        Ok(unpack_and_verify(path, work.path()))
    }

    /// Replaces the shop with the backup at `path`, after verifying it and backing up the
    /// shop as it is. Refused, with the shop untouched, when the backup is not sound.
    pub fn restore_backup(&self, path: &Path) -> Result<Restored, Error> {
        let work = tempfile::tempdir().map_err(|e| io_error(path, e))?;
        let verification = unpack_and_verify(path, work.path());
        if !verification.ok() {
            return Err(Error::invalid(format!(
                "{} cannot be restored: {}",
                path.display(),
                verification.problems.join("; ")
            )));
        }
        let manifest = verification
            .manifest
            .expect("a sound backup has a manifest");
        let previous = match self.create_backup(None, "before restore") {
            Ok(previous) => previous,
            // A damaged shop cannot be backed up the usual way: its file is kept as it is.
            Err(Error::Corrupt { .. }) => self.keep_damaged_file()?,
            Err(e) => return Err(e),
        };

        // Images first: adding originals changes nothing the current shop shows.
        let originals = work.path().join("media/originals");
        if originals.is_dir() {
            copy_missing(&originals, &self.data_dir().join("media/originals"))?;
        }

        // The database last, in one step: SQLite's backup API writes the restored pages
        // through the shop's own connection, inside SQLite's locking.
        let source = Connection::open_with_flags(
            work.path().join(DATABASE),
            OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?;
        let mut conn = self.conn();
        let kept: Vec<(SettingKey, Option<String>)> = MACHINE
            .iter()
            .map(|&key| Ok((key, setting(&conn, key)?)))
            .collect::<Result<_, Error>>()?;
        {
            // All pages in one step: one write transaction on the shop, committed whole.
            let backup = rusqlite::backup::Backup::new(&source, &mut conn)?;
            if backup.step(-1)? != rusqlite::backup::StepResult::Done {
                return Err(Error::Busy);
            }
        }
        drop(source);
        // An older backup is brought up to this Flagshop's schema, as opening it would.
        db::migrate(&mut conn)?;
        let tx = conn.transaction()?;
        for key in IDENTITY.iter().chain(&MACHINE) {
            tx.execute("DELETE FROM settings WHERE key = ?1", [key])?;
        }
        for (key, value) in kept.iter().filter_map(|(k, v)| Some((k, v.as_ref()?))) {
            put_setting(&tx, *key, value)?;
        }
        tx.commit()?;
        drop(conn);
        tracing::info!(path = %path.display(), "backup restored");
        Ok(Restored {
            restored: BackupInfo {
                path: path.display().to_string(),
                size: fs::metadata(path).map(|m| m.len()).unwrap_or(0),
                manifest,
            },
            previous,
        })
    }

    /// Makes the daily backup when the newest is a day old (or there is none), then thins the
    /// folder out. Returns the backup made, if one was.
    pub fn backup_if_due(&self) -> Result<Option<BackupInfo>, Error> {
        let newest = self.list_backups()?.into_iter().next();
        let due = match &newest {
            None => true,
            Some(newest) => {
                let hours: f64 = self.read()?.query_row(
                    "SELECT (julianday(shop_now()) - julianday(?1)) * 24",
                    [&newest.manifest.created_at],
                    |row| row.get(0),
                )?;
                hours >= DUE_AFTER_HOURS
            }
        };
        if !due {
            return Ok(None);
        }
        let made = self.create_backup(None, "daily")?;
        self.prune_backups()?;
        Ok(Some(made))
    }

    /// Deletes the backups the retention rules do not keep: the newest of each of the last 7
    /// days, 4 weeks and 12 months that have one (settings `backup_keep_daily`, `…_weekly`,
    /// `…_monthly`). Returns the paths deleted.
    pub fn prune_backups(&self) -> Result<Vec<String>, Error> {
        let keep = |key: SettingKey, default: usize| -> Result<usize, Error> {
            Ok(self
                .setting(key)?
                .and_then(|v| v.parse().ok())
                .unwrap_or(default))
        };
        let rules = [
            (keep(SettingKey::BackupKeepDaily, 7)?, "%Y-%m-%d"),
            (keep(SettingKey::BackupKeepWeekly, 4)?, "%Y-%W"),
            (keep(SettingKey::BackupKeepMonthly, 12)?, "%Y-%m"),
        ];
        let backups = self.list_backups()?;
        let conn = self.read()?;
        let mut kept: BTreeSet<usize> = BTreeSet::new();
        for (count, format) in rules {
            let mut periods: Vec<String> = Vec::new();
            for (i, backup) in backups.iter().enumerate() {
                let period: String = conn.query_row(
                    "SELECT strftime(?1, ?2)",
                    params![format, backup.manifest.created_at],
                    |row| row.get(0),
                )?;
                // Newest first: the first backup of a period is the one it keeps.
                if !periods.contains(&period) && periods.len() < count {
                    periods.push(period);
                    kept.insert(i);
                }
            }
        }
        let mut deleted = Vec::new();
        for (i, backup) in backups.iter().enumerate() {
            if !kept.contains(&i) {
                fs::remove_file(&backup.path).map_err(|e| io_error(Path::new(&backup.path), e))?;
                deleted.push(backup.path.clone());
            }
        }
        Ok(deleted)
    }

    /// Copies a damaged shop file beside the backups (`damaged-<time>.db`), so that restoring
    /// over it loses nothing that a repair tool might still read.
    fn keep_damaged_file(&self) -> Result<BackupInfo, Error> {
        let dir = self.backup_dir()?;
        fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        let now = self.now().unwrap_or_else(|_| "unknown".to_owned());
        let kept = dir.join(format!("damaged-{}.db", stamp(&now)));
        let _ = self.conn().execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
        fs::copy(self.database_path(), &kept).map_err(|e| io_error(&kept, e))?;
        tracing::warn!(kept = %kept.display(), "the damaged shop file was kept before the restore");
        Ok(BackupInfo {
            path: kept.display().to_string(),
            size: fs::metadata(&kept).map(|m| m.len()).unwrap_or(0),
            manifest: Manifest {
                format: FORMAT,
                flagshop_version: env!("CARGO_PKG_VERSION").to_owned(),
                schema_version: db::schema_version(),
                created_at: now,
                reason: "damaged shop kept".to_owned(),
                counts: BackupCounts::default(),
                files: Vec::new(),
            },
        })
    }

    /// Whether the shop has anything a backup would keep: an empty shop needs none.
    pub(crate) fn has_products(&self) -> Result<bool, Error> {
        Ok(self
            .read()?
            .query_row("SELECT EXISTS (SELECT 1 FROM products)", [], |row| {
                row.get(0)
            })?)
    }

    /// Copies the database, secrets removed, to `to` (a new file).
    fn copy_database(&self, to: &Path) -> Result<(), Error> {
        self.read()?
            .execute("VACUUM INTO ?1", [to.display().to_string()])?;
        let copy = Connection::open(to)?;
        copy.pragma_update(None, "secure_delete", "ON")?;
        for key in SECRETS.iter().chain(&IDENTITY) {
            copy.execute("DELETE FROM settings WHERE key = ?1", [key])?;
        }
        // Rewrites every page, so that no free page keeps a deleted secret.
        copy.execute_batch("VACUUM")?;
        Ok(())
    }

    fn now(&self) -> Result<String, Error> {
        Ok(self
            .read()?
            .query_row("SELECT shop_now()", [], |row| row.get(0))?)
    }
}

fn setting(conn: &Connection, key: SettingKey) -> Result<Option<String>, Error> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| {
            row.get(0)
        })
        .optional()?)
}

fn counts(conn: &Connection) -> Result<BackupCounts, Error> {
    let count = |table: &str| -> Result<i64, Error> {
        Ok(
            conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                row.get(0)
            })?,
        )
    };
    Ok(BackupCounts {
        products: count("products")?,
        variants: count("variants")?,
        orders: count("orders WHERE deleted_at IS NULL")?,
        ledger_rows: count("stock_ledger")?,
        images: count("(SELECT DISTINCT hash FROM product_images)")?,
    })
}

fn image_hashes(conn: &Connection) -> Result<Vec<String>, Error> {
    Ok(conn
        .prepare("SELECT DISTINCT hash FROM product_images ORDER BY hash")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?)
}

fn describe(file: &Path, name: String) -> Result<BackupFile, Error> {
    let (size, sha256) = checksum(file)?;
    Ok(BackupFile {
        path: name,
        size,
        sha256,
    })
}

fn checksum(file: &Path) -> Result<(u64, String), Error> {
    let mut reader = File::open(file).map_err(|e| io_error(file, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = reader.read(&mut buffer).map_err(|e| io_error(file, e))?;
        if n == 0 {
            return Ok((size, hex(&hasher.finalize())));
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_archive(
    path: &Path,
    manifest: &Manifest,
    database: &Path,
    images: &[PathBuf],
) -> Result<(), Error> {
    let file = File::create(path).map_err(|e| io_error(path, e))?;
    let mut tar = tar::Builder::new(BufWriter::new(file));
    let io = |e: std::io::Error| io_error(path, e);
    let json = serde_json::to_vec_pretty(manifest)
        .map_err(|e| Error::internal(format!("cannot write a backup manifest: {e}")))?;
    let mut header = tar::Header::new_gnu();
    header.set_size(json.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, MANIFEST, json.as_slice())
        .map_err(io)?;
    tar.append_path_with_name(database, DATABASE).map_err(io)?;
    for (image, entry) in images.iter().zip(manifest.files.iter().skip(1)) {
        tar.append_path_with_name(image, &entry.path).map_err(io)?;
    }
    let mut out = tar.into_inner().map_err(io)?;
    out.flush().map_err(io)?;
    out.get_ref().sync_all().map_err(io)?;
    Ok(())
}

/// The manifest alone: the archive's first entry.
fn read_manifest(path: &Path) -> Result<Manifest, Error> {
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    let mut archive = tar::Archive::new(BufReader::new(file));
    let mut entries = archive.entries().map_err(|e| io_error(path, e))?;
    let mut first = entries
        .next()
        .ok_or_else(|| Error::invalid(format!("{} is empty", path.display())))?
        .map_err(|e| io_error(path, e))?;
    if first.path().map_err(|e| io_error(path, e))?.as_os_str() != MANIFEST {
        return Err(Error::invalid(format!(
            "{} is not a Flagshop backup (no manifest first)",
            path.display()
        )));
    }
    let mut json = Vec::new();
    first
        .read_to_end(&mut json)
        .map_err(|e| io_error(path, e))?;
    serde_json::from_slice(&json).map_err(|e| {
        Error::invalid(format!(
            "{}: the manifest cannot be read: {e}",
            path.display()
        ))
    })
}

/// Unpacks the backup at `path` into `into` and checks it; the problems found, in words.
fn unpack_and_verify(path: &Path, into: &Path) -> Verification {
    let mut verification = Verification {
        path: path.display().to_string(),
        manifest: None,
        problems: Vec::new(),
    };
    let manifest = match read_manifest(path) {
        Ok(manifest) => manifest,
        Err(e) => {
            verification.problems.push(e.to_string());
            return verification;
        }
    };
    let problems = &mut verification.problems;
    if manifest.format > FORMAT {
        problems.push(format!(
            "it was made by a newer Flagshop ({}, archive format {})",
            manifest.flagshop_version, manifest.format
        ));
    }
    if manifest.schema_version > db::schema_version() {
        problems.push(format!(
            "its database is from a newer Flagshop ({}, schema {}; this one knows up to {}): \
             update Flagshop to restore it",
            manifest.flagshop_version,
            manifest.schema_version,
            db::schema_version()
        ));
    }
    if let Err(e) = unpack(path, into, &manifest, problems) {
        problems.push(e.to_string());
    }
    if problems.is_empty() {
        check_database(&into.join(DATABASE), problems);
    }
    verification.manifest = Some(manifest);
    verification
}

/// Extracts every file the manifest lists (and nothing else), checking sizes and checksums.
fn unpack(
    path: &Path,
    into: &Path,
    manifest: &Manifest,
    problems: &mut Vec<String>,
) -> Result<(), Error> {
    let io = |e: std::io::Error| io_error(path, e);
    let file = File::open(path).map_err(io)?;
    let mut archive = tar::Archive::new(BufReader::new(file));
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for entry in archive.entries().map_err(io)? {
        let mut entry = entry.map_err(io)?;
        let name = entry.path().map_err(io)?.display().to_string();
        if name == MANIFEST {
            continue;
        }
        let Some(expected) = manifest.files.iter().find(|f| f.path == name) else {
            problems.push(format!("{name} is in the archive but not in its manifest"));
            continue;
        };
        let target = into.join(&expected.path);
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        }
        let mut out = File::create(&target).map_err(|e| io_error(&target, e))?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 64 * 1024];
        let mut size = 0u64;
        loop {
            let n = entry.read(&mut buffer).map_err(io)?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            out.write_all(&buffer[..n])
                .map_err(|e| io_error(&target, e))?;
            size += n as u64;
        }
        if size != expected.size || hex(&hasher.finalize()) != expected.sha256 {
            problems.push(format!("{name} is damaged (its checksum does not match)"));
        }
        seen.insert(name);
    }
    for missing in manifest.files.iter().filter(|f| !seen.contains(&f.path)) {
        problems.push(format!("{} is missing from the archive", missing.path));
    }
    Ok(())
}

/// The database of a backup: sound, and its stock ledger adding up.
fn check_database(database: &Path, problems: &mut Vec<String>) {
    let check = || -> Result<Vec<String>, Error> {
        let conn = Connection::open_with_flags(database, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let mut found = Vec::new();
        let integrity: Vec<String> = conn
            .prepare("PRAGMA integrity_check")?
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        if integrity != ["ok"] {
            found.push(format!("the database is damaged: {}", integrity.join("; ")));
            return Ok(found);
        }
        let mismatched: Vec<String> = conn
            .prepare(
                "SELECT v.sku FROM variants v
                 WHERE v.on_hand <> (SELECT coalesce(sum(l.delta), 0) FROM stock_ledger l
                                     WHERE l.variant_id = v.id)",
            )?
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        if !mismatched.is_empty() {
            found.push(format!(
                "the stock of {} does not add up to its ledger",
                mismatched.join(", ")
            ));
        }
        Ok(found)
    };
    match check() {
        Ok(found) => problems.extend(found),
        Err(e) => problems.push(format!("the database cannot be read: {e}")),
    }
}

/// Copies every file under `from` that `to` lacks, keeping the layout.
fn copy_missing(from: &Path, to: &Path) -> Result<(), Error> {
    for entry in fs::read_dir(from).map_err(|e| io_error(from, e))? {
        let entry = entry.map_err(|e| io_error(from, e))?;
        let source = entry.path();
        let target = to.join(entry.file_name());
        if source.is_dir() {
            copy_missing(&source, &target)?;
        } else if !target.exists() {
            fs::create_dir_all(to).map_err(|e| io_error(to, e))?;
            let partial = target.with_extension("partial");
            fs::copy(&source, &partial).map_err(|e| io_error(&partial, e))?;
            fs::rename(&partial, &target).map_err(|e| io_error(&target, e))?;
        }
    }
    Ok(())
}

/// The folder a backup is made in, beside the finished ones (so that the last step is a rename
/// on one disk). A process killed while making a backup leaves it behind.
const WORK_PREFIX: &str = ".flagshop-backup-partial-";
/// A work folder older than this belongs to no backup still being made.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes the work folders that killed processes left in `dir`.
fn remove_stale_work(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let stale = entry.file_name().to_string_lossy().starts_with(WORK_PREFIX)
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > STALE_AFTER));
        if stale && let Err(e) = fs::remove_dir_all(entry.path()) {
            tracing::warn!(path = %entry.path().display(), error = %e, "cannot remove a stale backup folder");
        }
    }
}

/// `2026-12-03T15:04:05.123Z` as a file name part: `20261203-150405-123`.
fn stamp(time: &str) -> String {
    time.chars()
        .take(23)
        .filter(|c| c.is_ascii_digit() || matches!(c, 'T' | '.'))
        .map(|c| if c.is_ascii_digit() { c } else { '-' })
        .collect()
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Makes a rename durable: the directory entry is synced too (best effort).
fn sync_dir(dir: &Path) {
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::io(path, e)
}

/// `error`, if it says the shop file is damaged, with the file named and the newest backup in
/// `data_dir/backups` that verifies (the shop's settings may be what is damaged, so the
/// default folder is searched). Other errors come back as they are.
pub fn diagnose(data_dir: &Path, error: Error) -> Error {
    let Error::Corrupt { detail, .. } = error else {
        return error;
    };
    let dir = data_dir.join("backups");
    let mut candidates: Vec<PathBuf> = fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == EXTENSION))
        .collect();
    // Newest first: the file names carry the time they were made.
    candidates.sort();
    candidates.reverse();
    let backup = candidates.into_iter().find(|path| {
        tempfile::tempdir()
            .map(|work| unpack_and_verify(path, work.path()).ok())
            .unwrap_or(false)
    });
    Error::Corrupt {
        path: Some(data_dir.join(crate::shop::DATABASE_FILE)),
        detail,
        backup: backup.map(|b| b.display().to_string()),
    }
}

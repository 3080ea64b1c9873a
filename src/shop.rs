//! The `Shop` handle: one shop's data directory and its database connection.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::clock::{self, Clock, SharedClock};
use crate::{Currency, Error, SettingKey, db, demo};

/// File name of the database inside the data directory.
pub(crate) const DATABASE_FILE: &str = "shop.db";

/// One open shop. Cheap to share behind an `Arc`; methods take `&self`. Writes take turns on
/// one connection; reads (browsing, lists, reports) use read-only connections of their own, so
/// they never wait behind a long write such as an import or a bulk job.
pub struct Shop {
    data_dir: PathBuf,
    /// The database file's absolute path, as found when it was opened.
    database: PathBuf,
    conn: Mutex<Connection>,
    /// Idle read-only connections, opened when first needed.
    readers: Mutex<Vec<Connection>>,
    /// Where every connection's `shop_now()` reads the time.
    clock: SharedClock,
}

/// How many idle read connections a shop keeps; more may be open at a busy moment.
const IDLE_READERS: usize = 4;

/// A read-only connection borrowed from the shop; it goes back to the idle ones when dropped.
pub(crate) struct Reader<'a> {
    conn: Option<Connection>,
    idle: &'a Mutex<Vec<Connection>>,
}

impl std::ops::Deref for Reader<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("a reader holds its connection until dropped")
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < IDLE_READERS
            && let Some(conn) = self.conn.take()
        {
            idle.push(conn);
        }
    }
}

/// What the storefront shows of the shop itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ShopInfo {
    /// The `shop_name` setting; "Flagshop" if unset.
    pub name: String,
    /// The currency every price is in.
    #[ts(type = "string")]
    pub currency: Currency,
}

/// The data directory used when none is given: `FLAGSHOP_DATA_DIR`, else the platform's data
/// directory (`~/.local/share/flagshop` on Linux).
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FLAGSHOP_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("", "", "flagshop")
        .map(|dirs| dirs.data_dir().to_owned())
        .unwrap_or_else(|| PathBuf::from(".flagshop"))
}

impl Shop {
    /// Opens the shop in `data_dir`, creating it if needed. A shop opened for the first time is
    /// filled with the demo catalogue, so that a new install looks like a real shop.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Shop, Error> {
        let shop = Shop::open_as_is(data_dir)?;
        shop.seed_demo_once()?;
        Ok(shop)
    }

    /// Opens the shop in `data_dir` without ever loading the demo catalogue, and remembers
    /// that: a shop created blank stays blank when it is opened again the usual way.
    pub fn open_blank(data_dir: impl AsRef<Path>) -> Result<Shop, Error> {
        let shop = Shop::open_as_is(data_dir)?;
        shop.mark_demo_seeded()?;
        Ok(shop)
    }

    fn open_as_is(data_dir: impl AsRef<Path>) -> Result<Shop, Error> {
        let data_dir = data_dir.as_ref().to_owned();
        std::fs::create_dir_all(&data_dir).map_err(|source| Error::DataDir {
            path: data_dir.clone(),
            source,
        })?;
        let database = data_dir.join(DATABASE_FILE);
        let clock = clock::system();
        let new_shop = !database.exists();
        let opened = db::open(&database, &clock).inspect_err(|_| {
            // A shop that could not be created (a full disk) leaves no empty file behind to
            // be mistaken for one.
            if new_shop {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
                }
            }
        })?;
        let database = std::fs::canonicalize(&database).unwrap_or(database);
        tracing::debug!(data_dir = %data_dir.display(), "shop opened");
        let shop = Shop {
            data_dir,
            database,
            conn: Mutex::new(opened.conn),
            readers: Mutex::new(Vec::new()),
            clock,
        };
        if let Some(found) = opened.outdated {
            // A migration rewrites the shop: the shop as it was is kept first.
            let reason = format!(
                "before migration (schema {found} to {})",
                db::schema_version()
            );
            shop.create_backup(None, &reason)?;
            db::migrate(&mut shop.conn())?;
            tracing::info!(from = found, "shop migrated");
        }
        Ok(shop)
    }

    /// Makes `clock` the shop's time, for every connection: tests move a
    /// [`ManualClock`](crate::clock::ManualClock) instead of sleeping.
    pub fn set_clock(&self, clock: Arc<dyn Clock>) {
        *self.clock.write().unwrap_or_else(|p| p.into_inner()) = clock;
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The shop's database file.
    pub fn database_path(&self) -> &Path {
        &self.database
    }

    /// The shop's name and currency.
    pub fn info(&self) -> Result<ShopInfo, Error> {
        Ok(ShopInfo {
            name: self
                .setting(SettingKey::ShopName)?
                .unwrap_or_else(|| "Flagshop".to_owned()),
            currency: self.currency()?,
        })
    }

    /// A setting's value, if set.
    pub fn setting(&self, key: SettingKey) -> Result<Option<String>, Error> {
        Ok(self
            .conn()
            .query_row(
                "SELECT value FROM settings WHERE key = ?1",
                [key.as_str()],
                |row| row.get(0),
            )
            .optional()?)
    }

    pub fn set_setting(&self, key: SettingKey, value: &str) -> Result<(), Error> {
        put_setting(&self.conn(), key, value)
    }

    /// Sets several settings at once: all of them or, on failure, none. An empty value removes
    /// the setting.
    pub fn set_settings(&self, values: &[(SettingKey, String)]) -> Result<(), Error> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for (key, value) in values {
            if value.is_empty() {
                tx.execute("DELETE FROM settings WHERE key = ?1", [key.as_str()])?;
            } else {
                put_setting(&tx, *key, value)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Loads the demo catalogue the first time a shop is opened with no products. Remembered in
    /// the settings, so a shop whose owner deleted every product stays empty.
    fn seed_demo_once(&self) -> Result<(), Error> {
        let mut conn = self.conn();
        // Read first: a shop opened before needs no write lock to open again.
        let seeded: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM settings WHERE key = ?1)",
            [SettingKey::DemoSeeded.as_str()],
            |row| row.get(0),
        )?;
        if seeded {
            return Ok(());
        }
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let seeded: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM settings WHERE key = ?1)
                 OR EXISTS (SELECT 1 FROM products)",
            [SettingKey::DemoSeeded.as_str()],
            |row| row.get(0),
        )?;
        if !seeded {
            demo::load(&tx, &self.data_dir)?;
            tracing::info!("demo catalogue loaded");
        }
        tx.execute(
            "INSERT OR IGNORE INTO settings (key, value) VALUES (?1, 'true')",
            [SettingKey::DemoSeeded.as_str()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Records that the demo catalogue is not to be loaded (any more). Writes only the first
    /// time: opening a shop again needs no write lock.
    fn mark_demo_seeded(&self) -> Result<(), Error> {
        let conn = self.conn();
        let seeded: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM settings WHERE key = ?1)",
            [SettingKey::DemoSeeded],
            |row| row.get(0),
        )?;
        if !seeded {
            put_setting(&conn, SettingKey::DemoSeeded, "true")?;
        }
        Ok(())
    }

    /// A read-only connection, for one read: it sees what was committed, and waits for no
    /// writer.
    pub(crate) fn read(&self) -> Result<Reader<'_>, Error> {
        let idle = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => db::open_reader(&self.database, &self.clock)?,
        };
        Ok(Reader {
            conn: Some(conn),
            idle: &self.readers,
        })
    }

    /// The connection, for one operation. A panic while it was held poisons the mutex, but any
    /// transaction it had open was rolled back when dropped, so the connection is still sound.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Held by the desktop app while it has the shop open, so that the CLI can refuse what must
/// not happen beneath it (restoring a backup: the app restores itself). An OS file lock: it
/// goes away with the process, however the process ends.
#[derive(Debug)]
pub struct AppLock {
    _file: std::fs::File,
}

const APP_LOCK_FILE: &str = "app.lock";

impl Shop {
    /// Marks the shop as open in the app until the returned lock is dropped. Fails when another
    /// app already has it.
    pub fn lock_for_app(&self) -> Result<AppLock, Error> {
        let path = self.data_dir.join(APP_LOCK_FILE);
        let file = std::fs::File::create(&path).map_err(|source| Error::DataDir {
            path: path.clone(),
            source,
        })?;
        match file.try_lock() {
            Ok(()) => Ok(AppLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::invalid(format!(
                "Flagshop already has the shop in {} open",
                self.data_dir.display()
            ))),
            Err(std::fs::TryLockError::Error(source)) => Err(Error::DataDir { path, source }),
        }
    }

    /// Whether the desktop app has this shop open now.
    pub fn open_in_app(&self) -> bool {
        let path = self.data_dir.join(APP_LOCK_FILE);
        match std::fs::File::open(&path) {
            Ok(file) => matches!(
                file.try_lock_shared(),
                Err(std::fs::TryLockError::WouldBlock)
            ),
            Err(_) => false,
        }
    }
}

/// Sets `key` to `value` on a connection (or transaction) the caller holds.
pub(crate) fn put_setting(conn: &Connection, key: SettingKey, value: &str) -> Result<(), Error> {
    conn.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key.as_str(), value])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;
    use crate::ProductQuery;

    /// A long write (an import, a bulk job) holds the write connection: browsing, the order
    /// list and the dashboard still answer, from connections of their own.
    #[test]
    fn reads_do_not_wait_behind_a_write() {
        let dir = tempfile::tempdir().unwrap();
        let shop = Arc::new(Shop::open(dir.path()).unwrap());
        let writing = shop.conn();
        writing.execute_batch("BEGIN IMMEDIATE").unwrap();
        let (done, answered) = mpsc::channel();
        let reader = Arc::clone(&shop);
        std::thread::spawn(move || {
            let products = reader
                .list_products(&ProductQuery::default())
                .map(|p| p.total);
            let orders = reader.search_orders(&Default::default()).map(|o| o.len());
            let dashboard = reader.dashboard().map(|d| d.orders_to_fulfil);
            done.send((products, orders, dashboard)).unwrap();
        });
        let (products, orders, dashboard) = answered
            .recv_timeout(Duration::from_secs(10))
            .expect("the reads answered while the write connection was held");
        assert_eq!(products.unwrap(), Some(46));
        assert_eq!(orders.unwrap(), 0);
        assert_eq!(dashboard.unwrap(), 0);
        writing.execute_batch("ROLLBACK").unwrap();
    }
}

//! The shop's SQLite file: opening it with the right pragmas and applying the migrations.

use std::path::Path;
use std::sync::LazyLock;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{M, Migrations};

use crate::Error;
use crate::clock::{self, SharedClock};

/// The numbered files of `migrations/`, embedded in the binary, in order. A landed file is never
/// edited: a change of schema is a new file appended here.
const MIGRATION_FILES: &[&str] = &[
    include_str!("../migrations/001_catalogue.sql"),
    include_str!("../migrations/002_carts.sql"),
    include_str!("../migrations/003_orders.sql"),
    include_str!("../migrations/004_back_office.sql"),
    include_str!("../migrations/005_refund_status_and_disputes.sql"),
    include_str!("../migrations/006_ledger_by_order.sql"),
    include_str!("../migrations/007_refund_restock.sql"),
    include_str!("../migrations/008_refund_attempts.sql"),
    include_str!("../migrations/009_test_orders.sql"),
    include_str!("../migrations/010_clock.sql"),
    include_str!("../migrations/011_import.sql"),
];

static MIGRATIONS: LazyLock<Migrations<'static>> =
    LazyLock::new(|| Migrations::new(MIGRATION_FILES.iter().map(|sql| M::up(sql)).collect()));

/// How long a writer waits for another connection's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// An opened database, and whether its schema still has to be brought up to date.
pub(crate) struct Opened {
    pub conn: Connection,
    /// The schema version of an existing shop older than this build: the caller backs it up,
    /// then calls [`migrate`]. A new file is migrated at once.
    pub outdated: Option<usize>,
}

/// Opens (creating if needed) the database at `path`; a new one gets the whole schema.
///
/// Fails with [`Error::DatabaseTooNew`] without touching the file when it was written by a newer
/// Flagshop than this one.
pub(crate) fn open(path: &Path, clock: &SharedClock) -> Result<Opened, Error> {
    let mut conn = Connection::open(path).map_err(|source| Error::OpenDatabase {
        path: path.to_owned(),
        source,
    })?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Before the migrations: the views they create read it.
    clock::register(&conn, clock)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;

    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let found = usize::try_from(found).unwrap_or(usize::MAX);
    let supported = schema_version();
    if found > supported {
        return Err(Error::DatabaseTooNew {
            path: path.to_owned(),
            found,
            supported,
        });
    }
    // WAL lets readers go on while another connection writes. Set after the version check so
    // that a database from a newer version is left exactly as it was, and only when not set
    // yet: opening a shop that is up to date writes nothing and needs no write lock, so it
    // works while another process holds a long write.
    let mode: String = conn.pragma_query_value(None, "journal_mode", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        conn.pragma_update(None, "journal_mode", "WAL")?;
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let outdated = match found {
        0 => {
            MIGRATIONS.to_latest(&mut conn)?;
            None
        }
        found if found < supported => Some(found),
        _ => None,
    };
    Ok(Opened { conn, outdated })
}

/// Brings a database (a restored backup) up to this Flagshop's schema.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), Error> {
    MIGRATIONS.to_latest(conn)?;
    Ok(())
}

/// A read-only connection to the database at `path`, which [`open`] already brought up to date:
/// in WAL mode it reads the last committed state while another connection writes.
pub(crate) fn open_reader(path: &Path, clock: &SharedClock) -> Result<Connection, Error> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| Error::OpenDatabase {
        path: path.to_owned(),
        source,
    })?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    clock::register(&conn, clock)?;
    Ok(conn)
}

/// The schema version this build writes: the number of migrations.
pub(crate) fn schema_version() -> usize {
    MIGRATION_FILES.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        MIGRATIONS.validate().unwrap();
    }

    #[test]
    fn every_migration_file_is_embedded() {
        let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "sql")
            })
            .count();
        assert_eq!(files, schema_version());
    }
}

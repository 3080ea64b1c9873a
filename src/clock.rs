//! "Now", from one place. Every time the shop writes or compares — an order placed, a
//! reservation's end, today's sales — comes from the shop's [`Clock`], through the SQL
//! function `shop_now()` registered on each of its connections (the `variant_stock` view
//! compares reservations with it too). The app and the CLI use the system clock; tests set a
//! [`ManualClock`] and move it, instead of sleeping until time has passed.
//!
//! Column defaults written by the first migrations still read SQLite's own clock; the code
//! passes `shop_now()` wherever the time matters to a rule.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;

/// Where the shop's "now" comes from, in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync {
    fn now_millis(&self) -> i64;
}

/// The machine's clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
    }
}

/// A clock that stands still until it is moved: for tests.
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// Starts at the system clock's time.
    pub fn now() -> Arc<ManualClock> {
        Arc::new(ManualClock(AtomicI64::new(SystemClock.now_millis())))
    }

    /// Starts at `millis` since the Unix epoch.
    pub fn at(millis: i64) -> Arc<ManualClock> {
        Arc::new(ManualClock(AtomicI64::new(millis)))
    }

    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.0.fetch_add(by, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The clock a shop's connections read; replaceable while they are open.
pub(crate) type SharedClock = Arc<RwLock<Arc<dyn Clock>>>;

pub(crate) fn system() -> SharedClock {
    Arc::new(RwLock::new(Arc::new(SystemClock)))
}

/// Registers `shop_now()` on `conn`: the time of `clock` as SQLite writes times,
/// `YYYY-MM-DDTHH:MM:SS.sssZ` in UTC.
pub(crate) fn register(conn: &Connection, clock: &SharedClock) -> rusqlite::Result<()> {
    let clock = Arc::clone(clock);
    conn.create_scalar_function("shop_now", 0, FunctionFlags::SQLITE_UTF8, move |_| {
        let millis = clock.read().unwrap_or_else(|p| p.into_inner()).now_millis();
        Ok(iso(millis))
    })
}

/// `millis` since the epoch as `YYYY-MM-DDTHH:MM:SS.sssZ`.
fn iso(millis: i64) -> String {
    let (days, ms) = (millis.div_euclid(86_400_000), millis.rem_euclid(86_400_000));
    // Civil date from days since 1970-01-01 (Howard Hinnant's days_from_civil, inverted).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_sqlite_writes_them() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(iso(1_796_256_000_000), "2026-12-03T00:00:00.000Z");
        assert_eq!(iso(-1), "1969-12-31T23:59:59.999Z");
        // Whatever SQLite says of the same instant.
        let conn = Connection::open_in_memory().unwrap();
        for millis in [1_764_720_000_456, 4_102_444_799_999, 1_583_020_800_000] {
            let sqlite: String = conn
                .query_row(
                    "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?1 / 1000.0, 'unixepoch')",
                    [millis],
                    |row| row.get(0),
                )
                .unwrap();
            assert_eq!(iso(millis), sqlite);
        }
    }

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = ManualClock::now();
        let start = clock.now_millis();
        assert_eq!(clock.now_millis(), start);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now_millis(), start + 90_000);
    }
}

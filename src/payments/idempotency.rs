//! Idempotency keys for every Stripe call that creates or moves money.
//!
//! Stripe keeps a key for at least 24 hours per account
//! (https://docs.stripe.com/api/idempotent_requests): a key built only from local row ids
//! (`order-12-attempt-1-confirm`) would be reused by a reset shop, a shop restored from a
//! backup, or a second install on the same test account, and get another payment's saved
//! answer. So every key starts with a random id of this shop's database, made the first time a
//! key is needed and made again when the database shows up at another path (copied or
//! restored). Retries of one attempt rebuild the same key, so Stripe applies it once.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::shop::put_setting;
use crate::{Error, SettingKey, Shop};

const PREFIX: SettingKey = SettingKey::StripeIdempotencyPrefix;
/// The database path the prefix was made for: another path means a copy.
const PREFIX_PATH: SettingKey = SettingKey::StripeIdempotencyPrefixPath;

impl Shop {
    /// The idempotency key for `what` (such as `order-12-attempt-1-confirm`) in this shop:
    /// `{shop id}-{what}`, the same on every retry.
    pub fn idempotency_key(&self, what: &str) -> Result<String, Error> {
        let mut conn = self.conn();
        key(&mut conn, self.database_path(), what)
    }
}

/// [`Shop::idempotency_key`] on a connection the caller holds.
pub(crate) fn key(conn: &mut Connection, database: &Path, what: &str) -> Result<String, Error> {
    Ok(format!("{}-{what}", prefix(conn, database)?))
}

fn prefix(conn: &mut Connection, database: &Path) -> Result<String, Error> {
    let path = database.to_string_lossy().into_owned();
    if let Some(prefix) = current(conn, &path)? {
        return Ok(prefix);
    }
    // Checked again under the write lock: another process may have just made one.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let Some(prefix) = current(&tx, &path)? {
        return Ok(prefix);
    }
    let prefix: String = tx.query_row("SELECT 'fs' || lower(hex(randomblob(12)))", [], |row| {
        row.get(0)
    })?;
    put_setting(&tx, PREFIX, &prefix)?;
    put_setting(&tx, PREFIX_PATH, &path)?;
    tx.commit()?;
    tracing::info!("a new idempotency key prefix was made for this shop's database");
    Ok(prefix)
}

/// The prefix, if one was made for the database at `path`.
fn current(conn: &Connection, path: &str) -> Result<Option<String>, Error> {
    let saved: Option<(String, Option<String>)> = conn
        .query_row(
            "SELECT p.value, (SELECT value FROM settings WHERE key = ?2)
             FROM settings p WHERE p.key = ?1",
            [PREFIX, PREFIX_PATH],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    Ok(saved.and_then(|(prefix, made_for)| (made_for.as_deref() == Some(path)).then_some(prefix)))
}

//! Stock: the ledger of every movement, adjustments with a reason, and low-stock alerts.
//!
//! `variants.on_hand` is a running total of the ledger: it only changes through
//! [`record_movement`], which writes the ledger row in the same transaction.

use std::fmt;

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::catalogue::VariantId;
use crate::{Error, Shop};

/// Why stock moved. The direction is part of the reason: stock is received and returned in,
/// sold, damaged and lost out; a correction (after a count) goes either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum StockReason {
    Received,
    Sold,
    Returned,
    Damaged,
    Lost,
    Correction,
}

impl StockReason {
    pub const ALL: [StockReason; 6] = [
        StockReason::Received,
        StockReason::Sold,
        StockReason::Returned,
        StockReason::Damaged,
        StockReason::Lost,
        StockReason::Correction,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StockReason::Received => "received",
            StockReason::Sold => "sold",
            StockReason::Returned => "returned",
            StockReason::Damaged => "damaged",
            StockReason::Lost => "lost",
            StockReason::Correction => "correction",
        }
    }

    /// Whether a movement of `delta` units makes sense for this reason.
    fn allows(self, delta: i64) -> bool {
        match self {
            StockReason::Received | StockReason::Returned => delta > 0,
            StockReason::Sold | StockReason::Damaged | StockReason::Lost => delta < 0,
            StockReason::Correction => delta != 0,
        }
    }
}

impl fmt::Display for StockReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for StockReason {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        StockReason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "unknown stock reason \"{s}\" (expected one of received, sold, returned, \
                     damaged, lost, correction)"
                ))
            })
    }
}

/// One row of the stock ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LedgerEntry {
    pub id: i64,
    pub sku: String,
    /// Units in (positive) or out (negative).
    pub delta: i64,
    pub reason: StockReason,
    pub order_id: Option<i64>,
    pub note: String,
    /// On hand right after this movement.
    pub balance_after: i64,
    pub created_at: String,
}

/// A variant's stock as the inventory screen shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StockLevel {
    pub sku: String,
    pub product_handle: String,
    pub product_title: String,
    pub options: Vec<String>,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    pub low_stock_threshold: i64,
}

/// A variant whose stored on-hand is not the sum of its ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StockMismatch {
    pub sku: String,
    pub product_title: String,
    /// On hand as stored on the variant.
    pub stored: i64,
    /// On hand as the ledger adds up.
    pub from_ledger: i64,
}

/// What "Verify stock" found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StockCheck {
    pub variants_checked: i64,
    /// Empty when every variant's on-hand is the sum of its ledger.
    pub mismatches: Vec<StockMismatch>,
}

impl Shop {
    /// Recomputes every variant's on-hand from its ledger and reports where the stored figure
    /// differs (something wrote to the database around the ledger). Changes nothing: the owner
    /// decides how to correct it.
    pub fn verify_stock(&self) -> Result<StockCheck, Error> {
        let conn = self.read()?;
        let variants_checked =
            conn.query_row("SELECT count(*) FROM variants", [], |row| row.get(0))?;
        let mismatches = conn
            .prepare_cached(
                "SELECT v.sku, p.title, v.on_hand, coalesce(l.total, 0)
                 FROM variants v
                 JOIN products p ON p.id = v.product_id
                 LEFT JOIN (SELECT variant_id, sum(delta) AS total FROM stock_ledger
                            GROUP BY variant_id) l ON l.variant_id = v.id
                 WHERE v.on_hand IS NOT coalesce(l.total, 0)
                 ORDER BY p.title COLLATE NOCASE, v.position, v.id",
            )?
            .query_map([], |row| {
                Ok(StockMismatch {
                    sku: row.get(0)?,
                    product_title: row.get(1)?,
                    stored: row.get(2)?,
                    from_ledger: row.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(StockCheck {
            variants_checked,
            mismatches,
        })
    }

    /// Moves stock of `sku` by `delta` units for `reason`, writing a ledger entry. Refuses a
    /// movement whose sign does not fit the reason, and one that would leave fewer units on
    /// hand than are reserved for orders (or fewer than none).
    pub fn adjust_stock(
        &self,
        sku: &str,
        delta: i64,
        reason: StockReason,
        note: &str,
    ) -> Result<LedgerEntry, Error> {
        if !reason.allows(delta) {
            return Err(Error::invalid(match reason {
                _ if delta == 0 => "a stock adjustment must move at least one unit".to_owned(),
                StockReason::Received | StockReason::Returned => {
                    format!("stock {reason} must be a positive number of units, not {delta}")
                }
                _ => format!("stock {reason} must be a negative number of units, not {delta}"),
            }));
        }
        let mut conn = self.conn();
        // IMMEDIATE: read the level and write the movement under one write lock, so two
        // adjustments at once cannot both pass the check.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = variant_id(&tx, sku)?;
        let entry = record_movement(&tx, id, delta, reason, None, note.trim())?;
        tx.commit()?;
        tracing::info!(sku, delta, reason = %reason, "stock adjusted");
        Ok(entry)
    }

    /// The ledger of `sku`, newest first.
    pub fn stock_history(&self, sku: &str) -> Result<Vec<LedgerEntry>, Error> {
        let conn = self.read()?;
        let id = variant_id(&conn, sku)?;
        let mut stmt = conn.prepare_cached(&format!(
            "{LEDGER_SELECT} WHERE l.variant_id = ?1 ORDER BY l.id DESC"
        ))?;
        let rows = stmt.query_map([id.0], ledger_from_row)?;
        rows.map(|r| r?).collect()
    }

    pub fn stock_level(&self, sku: &str) -> Result<StockLevel, Error> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(&format!("{LEVEL_SELECT} WHERE v.sku = ?1"))?;
        stmt.query_row([sku], level_from_row)
            .optional()?
            .ok_or_else(|| Error::UnknownSku(sku.to_owned()))
    }

    /// Every variant's stock, by product title and then in the product's own order.
    pub fn stock_levels(&self) -> Result<Vec<StockLevel>, Error> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(&format!(
            "{LEVEL_SELECT} ORDER BY p.title COLLATE NOCASE, p.id, v.position, v.id"
        ))?;
        let rows = stmt.query_map([], level_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Variants of products on sale (active) whose available stock is at or below their
    /// threshold, emptiest first.
    pub fn low_stock(&self) -> Result<Vec<StockLevel>, Error> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(&format!(
            "{LEVEL_SELECT}
             WHERE p.status = 'active' AND s.available <= v.low_stock_threshold
             ORDER BY s.available, p.title COLLATE NOCASE, v.position"
        ))?;
        let rows = stmt.query_map([], level_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

const LEDGER_SELECT: &str = "SELECT l.id, v.sku, l.delta, l.reason, l.order_id, l.note,
        l.balance_after, l.created_at
    FROM stock_ledger l JOIN variants v ON v.id = l.variant_id";

const LEVEL_SELECT: &str = "SELECT v.sku, p.handle, p.title, v.option1, v.option2, v.option3,
        s.on_hand, s.reserved, s.available, v.low_stock_threshold
    FROM variants v
    JOIN products p ON p.id = v.product_id
    JOIN variant_stock s ON s.variant_id = v.id";

pub(crate) fn variant_id(conn: &Connection, sku: &str) -> Result<VariantId, Error> {
    conn.prepare_cached("SELECT id FROM variants WHERE sku = ?1")?
        .query_row([sku], |row| row.get(0))
        .optional()?
        .map(VariantId)
        .ok_or_else(|| Error::UnknownSku(sku.to_owned()))
}

/// Applies a movement to on-hand stock and writes its ledger row. The caller owns the
/// (immediate) transaction. Removing more than is available (on hand minus reserved) fails.
pub(crate) fn record_movement(
    tx: &Connection,
    variant: VariantId,
    delta: i64,
    reason: StockReason,
    order_id: Option<i64>,
    note: &str,
) -> Result<LedgerEntry, Error> {
    let (sku, on_hand, reserved): (String, i64, i64) = tx
        .prepare_cached(
            "SELECT v.sku, s.on_hand, s.reserved FROM variants v
             JOIN variant_stock s ON s.variant_id = v.id WHERE v.id = ?1",
        )?
        .query_row([variant.0], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
    // A sale consumes its own reservation, which the caller releases in the same transaction;
    // every other removal must leave the reserved units in place.
    let available = on_hand - reserved;
    // Checked: release builds wrap on overflow, and a wrapped count would reach the database.
    if delta < 0 && available.checked_add(delta).is_none_or(|left| left < 0) {
        return Err(Error::NotEnoughStock {
            sku,
            remove: delta.saturating_neg(),
            on_hand,
            reserved,
            available,
        });
    }
    let balance_after = on_hand.checked_add(delta).ok_or_else(|| {
        Error::invalid(format!(
            "{sku} cannot hold {delta} more units: it has {on_hand} on hand, and stock counts stop at {}",
            i64::MAX
        ))
    })?;
    tx.prepare_cached(
        "UPDATE variants SET on_hand = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE id = ?1",
    )?
    .execute(params![variant.0, balance_after])?;
    tx.prepare_cached(
        "INSERT INTO stock_ledger (variant_id, delta, reason, order_id, note, balance_after)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        variant.0,
        delta,
        reason.as_str(),
        order_id,
        note,
        balance_after
    ])?;
    let id = tx.last_insert_rowid();
    tx.prepare_cached(&format!("{LEDGER_SELECT} WHERE l.id = ?1"))?
        .query_row([id], ledger_from_row)?
}

fn ledger_from_row(row: &Row<'_>) -> rusqlite::Result<Result<LedgerEntry, Error>> {
    let reason: String = row.get(3)?;
    let reason = match reason.parse() {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(LedgerEntry {
        id: row.get(0)?,
        sku: row.get(1)?,
        delta: row.get(2)?,
        reason,
        order_id: row.get(4)?,
        note: row.get(5)?,
        balance_after: row.get(6)?,
        created_at: row.get(7)?,
    }))
}

fn level_from_row(row: &Row<'_>) -> rusqlite::Result<StockLevel> {
    Ok(StockLevel {
        sku: row.get(0)?,
        product_handle: row.get(1)?,
        product_title: row.get(2)?,
        options: (3..6)
            .map(|i| row.get::<_, Option<String>>(i))
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect(),
        on_hand: row.get(6)?,
        reserved: row.get(7)?,
        available: row.get(8)?,
        low_stock_threshold: row.get(9)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_fix_the_direction() {
        assert!(StockReason::Received.allows(3));
        assert!(!StockReason::Received.allows(-3));
        assert!(StockReason::Damaged.allows(-1));
        assert!(!StockReason::Lost.allows(2));
        assert!(StockReason::Correction.allows(-2) && StockReason::Correction.allows(2));
        assert!(!StockReason::Correction.allows(0));
    }

    #[test]
    fn reasons_parse_from_their_names() {
        for reason in StockReason::ALL {
            assert_eq!(reason.as_str().parse::<StockReason>().unwrap(), reason);
        }
        let err = "stolen".parse::<StockReason>().unwrap_err().to_string();
        assert!(err.contains("unknown stock reason \"stolen\""), "{err}");
    }
}

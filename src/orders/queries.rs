//! Reading orders back: one order, the order list with its filters, every order.

use rusqlite::params;

use super::{
    Order, OrderQuery, OrderSummary, PaymentStatus, TO_FULFIL, load_order, order_id,
    summary_from_row, summary_select,
};
use crate::disputes::OPEN as OPEN_DISPUTE;
use crate::oversold::OVERSOLD;
use crate::{Error, Shop};

impl Shop {
    /// The order with this number, with its lines and timeline.
    pub fn order(&self, number: &str) -> Result<Order, Error> {
        let conn = self.read()?;
        let id = order_id(&conn, number)?;
        load_order(&conn, id)
    }

    /// The orders matching `query`, newest first, as list rows. Fails with [`Error::Invalid`]
    /// for a fulfilment status or a day that is not well formed.
    pub fn search_orders(&self, query: &OrderQuery) -> Result<Vec<OrderSummary>, Error> {
        let conn = self.read()?;
        let day = |day: &Option<String>, name: &str| -> Result<Option<String>, Error> {
            day.as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(|d| {
                    // SQLite's date() gives back the same text only for a real YYYY-MM-DD day.
                    let valid: bool =
                        conn.query_row("SELECT date(?1) IS ?1", [d], |row| row.get(0))?;
                    if valid {
                        Ok(d.to_owned())
                    } else {
                        Err(Error::invalid(format!(
                            "{name} \"{d}\" must be a day such as 2026-11-27"
                        )))
                    }
                })
                .transpose()
        };
        let from = day(&query.placed_from, "the first day")?;
        let to = day(&query.placed_to, "the last day")?;
        let fulfillment = match query.fulfillment_status.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s @ ("unfulfilled" | "fulfilled")) => Some(s),
            Some(other) => {
                return Err(Error::invalid(format!(
                    "unknown fulfilment status \"{other}\" (expected unfulfilled or fulfilled)"
                )));
            }
        };
        let text = query
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase);
        // Each filter is skipped when its parameter is NULL, so one cached statement serves all.
        let mut stmt = conn.prepare_cached(&format!(
            "{}
             WHERE o.deleted_at IS NULL
               AND (?1 IS NULL OR instr(lower(o.number), ?1) > 0 OR instr(lower(o.email), ?1) > 0
                    OR instr(lower(o.ship_name), ?1) > 0)
               AND (?2 IS NULL OR o.payment_status = ?2)
               AND (?3 IS NULL OR o.fulfillment_status = ?3)
               AND (?4 IS NULL OR o.created_at >= ?4)
               AND (?5 IS NULL OR o.created_at < strftime('%Y-%m-%d', ?5, '+1 day'))
               AND (NOT ?6 OR ({TO_FULFIL}))
               AND (NOT ?7 OR {OPEN_DISPUTE})
               AND (NOT ?8 OR ({OVERSOLD}))
               AND (?9 IS NULL OR o.test = ?9)
             ORDER BY o.created_at DESC, o.id DESC",
            summary_select()
        ))?;
        let rows = stmt.query_map(
            params![
                text,
                query.payment_status.map(PaymentStatus::as_str),
                fulfillment,
                from,
                to,
                query.to_fulfil,
                query.disputed,
                query.oversold,
                query.test
            ],
            summary_from_row,
        )?;
        rows.map(|r| r?).collect()
    }

    /// Orders, newest first.
    pub fn orders(&self) -> Result<Vec<Order>, Error> {
        let conn = self.read()?;
        let ids: Vec<i64> = conn
            .prepare_cached("SELECT id FROM orders WHERE deleted_at IS NULL ORDER BY id DESC")?
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        ids.into_iter().map(|id| load_order(&conn, id)).collect()
    }
}

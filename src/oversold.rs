//! Oversold orders: a payment completed after its reservation had run out (a slow 3-D Secure,
//! a late webhook) and the stock had gone to another customer meanwhile. The money is taken but
//! the goods are not there: the order keeps its payment, sells what it could, and waits for the
//! owner, who either receives more stock for it ([`Shop::restock_oversold`]) or refunds and
//! cancels it (the order's Cancel, which refunds what is left and closes it).

use rusqlite::{Connection, TransactionBehavior, params};

use crate::catalogue::VariantId;
use crate::inventory::{self, StockReason};
use crate::orders::{add_event, load_order, order_id};
use crate::{Error, Order, Shop};

/// Orders still open, paid (perhaps partly refunded), with a line that sold fewer units than
/// were bought, as a condition on `orders o`.
pub(crate) const OVERSOLD: &str = "o.status = 'open'
    AND o.payment_status IN ('paid', 'partially_refunded')
    AND EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id
        AND l.quantity > (SELECT coalesce(-sum(s.delta), 0) FROM stock_ledger s
                          WHERE s.order_id = o.id AND s.variant_id = l.variant_id
                            AND s.reason = 'sold'))";

impl Shop {
    /// Receives the units an oversold order lacks and sells them to it, in one transaction: a
    /// `received` ledger entry for the new stock, then the order's `sold` entry. For when the
    /// owner got more stock to ship it. Refused for an order that is not oversold.
    pub fn restock_oversold(&self, number: &str) -> Result<Order, Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = order_id(&tx, number)?;
        let short = shortfall(&tx, id)?;
        if short.is_empty() {
            return Err(Error::forbidden(
                number,
                "is not oversold: nothing to restock",
            ));
        }
        let mut units = 0;
        for (variant, sku, missing) in &short {
            let note = format!("Received for oversold order {number}");
            inventory::record_movement(
                &tx,
                *variant,
                *missing,
                StockReason::Received,
                None,
                &note,
            )?;
            inventory::record_movement(&tx, *variant, -missing, StockReason::Sold, Some(id), "")?;
            add_event(
                &tx,
                id,
                "oversold_restocked",
                &format!("{sku}: {missing} received and sold to this order"),
            )?;
            units += missing;
        }
        tx.commit()?;
        tracing::info!(order = number, units, "oversold order restocked");
        load_order(&conn, id)
    }
}

/// The lines of an open, paid order that sold fewer units than were bought: variant, SKU and
/// how many are missing. Empty when the order is not oversold.
pub(crate) fn shortfall(
    conn: &Connection,
    order: i64,
) -> Result<Vec<(VariantId, String, i64)>, Error> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT l.variant_id, l.sku,
                    l.quantity - (SELECT coalesce(-sum(s.delta), 0) FROM stock_ledger s
                                  WHERE s.order_id = o.id AND s.variant_id = l.variant_id
                                    AND s.reason = 'sold')
             FROM orders o JOIN order_lines l ON l.order_id = o.id
             WHERE o.id = ?1 AND ({OVERSOLD})
             ORDER BY l.id"
        ))?
        .query_map(params![order], |row| {
            Ok((VariantId(row.get(0)?), row.get(1)?, row.get::<_, i64>(2)?))
        })?
        .filter(|line| !matches!(line, Ok((_, _, missing)) if *missing <= 0))
        .collect::<Result<_, _>>()?)
}

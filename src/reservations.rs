//! Reservations that ran out: an order holds its stock for a while (the setting
//! `reservation_seconds`, 15 minutes by default) so that nobody else buys it while the
//! customer pays. A reservation whose time is up stops counting against stock at once (the
//! `variant_stock` view compares it with the clock); sweeping records it on the order — the
//! timeline says "reservation expired" — and marks it released.
//!
//! The app sweeps on a timer ([`sweep_every`]); the CLI sweeps before each command that
//! writes. Opening a shop does not: a read must not need the write lock.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::TransactionBehavior;

use crate::orders::{add_event, release_reservations};
use crate::{Error, Shop};

/// How often the app sweeps.
pub const SWEEP_PERIOD: Duration = Duration::from_secs(60);

/// Orders with a reservation whose time is up and that is not yet marked released.
const EXPIRED: &str = "SELECT DISTINCT order_id FROM stock_reservations
     WHERE released_at IS NULL AND order_id IS NOT NULL
       AND expires_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

impl Shop {
    /// Releases reservations whose time ran out (they already stopped counting against stock;
    /// this records it on the order). Returns how many orders were affected. Takes the write
    /// lock only when there is something to release.
    pub fn release_expired_reservations(&self) -> Result<usize, Error> {
        let mut conn = self.conn();
        let any: bool =
            conn.query_row(&format!("SELECT EXISTS ({EXPIRED})"), [], |row| row.get(0))?;
        if !any {
            return Ok(0);
        }
        // Read again under the write lock: a payment may have taken the reservation meanwhile.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let orders: Vec<i64> = tx
            .prepare(EXPIRED)?
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        for &order in &orders {
            release_reservations(&tx, order)?;
            add_event(
                &tx,
                order,
                "reservation_expired",
                "Reserved stock released: the order was not paid in time",
            )?;
        }
        tx.commit()?;
        if !orders.is_empty() {
            tracing::info!(orders = orders.len(), "expired reservations released");
        }
        Ok(orders.len())
    }
}

/// Sweeps every `period`, first at once, for as long as the app runs. A failed sweep (the
/// database busy with another process's write, say) is logged and tried again next time.
pub async fn sweep_every(shop: Arc<Shop>, period: Duration) {
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let shop = Arc::clone(&shop);
        match tokio::task::spawn_blocking(move || shop.release_expired_reservations()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "expired reservations not swept"),
            Err(e) => tracing::warn!(error = %e, "the reservation sweep failed"),
        }
    }
}

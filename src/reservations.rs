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

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::orders::add_event;
use crate::{Error, SettingKey, Shop};

/// How often the app sweeps.
pub const SWEEP_PERIOD: Duration = Duration::from_secs(60);

/// Orders with a reservation whose time is up and that is not yet marked released.
const EXPIRED: &str = "SELECT DISTINCT order_id FROM stock_reservations
     WHERE released_at IS NULL AND order_id IS NOT NULL
       AND expires_at <= shop_now()";

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

impl Shop {
    /// How long checkout holds stock for an unpaid order.
    pub fn set_reservation_seconds(&self, seconds: i64) -> Result<(), Error> {
        if seconds < 0 {
            return Err(Error::invalid("a reservation cannot last a negative time"));
        }
        self.set_setting(SettingKey::ReservationSeconds, &seconds.to_string())
    }
}

/// How long a reservation holds stock for an unpaid order, unless the settings say otherwise.
const DEFAULT_RESERVATION_SECS: i64 = 15 * 60;

/// Reserves every line of an order, checking availability line by line.
pub(crate) fn reserve_order_stock(tx: &Connection, order: i64) -> Result<(), Error> {
    let seconds: i64 = tx
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [SettingKey::ReservationSeconds],
            |row| row.get::<_, String>(0),
        )
        .optional()?
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_RESERVATION_SECS);
    let lines: Vec<(i64, String, i64)> = tx
        .prepare_cached("SELECT variant_id, sku, quantity FROM order_lines WHERE order_id = ?1")?
        .query_map([order], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (variant, sku, quantity) in lines {
        let available: i64 = tx
            .prepare_cached("SELECT available FROM variant_stock WHERE variant_id = ?1")?
            .query_row([variant], |row| row.get(0))?;
        if quantity > available {
            return Err(Error::QuantityUnavailable {
                sku,
                requested: quantity,
                available: available.max(0),
            });
        }
        tx.prepare_cached(
            "INSERT INTO stock_reservations (variant_id, quantity, order_id, expires_at)
             VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', shop_now(), ?4 || ' seconds'))",
        )?
        .execute(params![variant, quantity, order, seconds.to_string()])?;
    }
    Ok(())
}

pub(crate) fn has_active_reservation(tx: &Connection, order: i64) -> Result<bool, Error> {
    Ok(tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM stock_reservations
                        WHERE order_id = ?1 AND released_at IS NULL
                          AND expires_at > shop_now())",
        [order],
        |row| row.get(0),
    )?)
}

pub(crate) fn release_reservations(tx: &Connection, order: i64) -> Result<(), Error> {
    tx.prepare_cached(
        "UPDATE stock_reservations SET released_at = shop_now()
         WHERE order_id = ?1 AND released_at IS NULL",
    )?
    .execute([order])?;
    Ok(())
}

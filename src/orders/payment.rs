//! An order's payment: its PaymentIntent, each attempt, and the outcome applied to its state
//! and stock (a sale when paid; the reservation given back when it failed).

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{
    Order, PaymentStatus, add_event, load_order, order_id, payment_status, set_payment_status,
};
use crate::inventory::StockReason;
use crate::payments::CardSummary;
use crate::reservations::{has_active_reservation, release_reservations, reserve_order_stock};
use crate::{Error, Shop, inventory};

impl Shop {
    /// Records the PaymentIntent created for an order (one per order, reused on every retry).
    ///
    /// Refused with [`Error::Forbidden`] when the order was cancelled meanwhile (the owner
    /// cancelled it while the customer was paying): the intent is then never confirmed, so
    /// nothing is charged for a cancelled order.
    pub fn set_payment_intent(&self, number: &str, payment_intent_id: &str) -> Result<(), Error> {
        let conn = self.conn();
        let id = order_id(&conn, number)?;
        conn.execute(
            "UPDATE orders SET payment_intent_id = ?2
             WHERE id = ?1 AND payment_intent_id IS NULL AND status = 'open'",
            params![id, payment_intent_id],
        )?;
        let status: String =
            conn.query_row("SELECT status FROM orders WHERE id = ?1", [id], |row| {
                row.get(0)
            })?;
        if status == "cancelled" {
            return Err(Error::forbidden(
                number,
                format!(
                    "was cancelled while it was being paid: its payment {payment_intent_id} \
                     is not used"
                ),
            ));
        }
        Ok(())
    }

    /// Starts a payment attempt and returns its number (1, 2, …), part of its idempotency key.
    /// Refused for a paid or cancelled order. A retry after a failure reserves the stock again.
    pub fn begin_payment_attempt(&self, number: &str) -> Result<i64, Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = order_id(&tx, number)?;
        let (status, payment): (String, String) = tx.query_row(
            "SELECT status, payment_status FROM orders WHERE id = ?1",
            [id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let payment = PaymentStatus::parse(&payment)?;
        if status == "cancelled" || payment.is_settled() || payment == PaymentStatus::Voided {
            return Err(Error::forbidden(
                number,
                format!(
                    "cannot be paid: it is {}",
                    if status == "cancelled" {
                        "cancelled"
                    } else {
                        payment.as_str()
                    }
                ),
            ));
        }
        if !has_active_reservation(&tx, id)? {
            reserve_order_stock(&tx, id)?;
        }
        let attempt: i64 = tx.query_row(
            "UPDATE orders SET payment_attempts = payment_attempts + 1, payment_status = 'pending',
                 updated_at = shop_now()
             WHERE id = ?1 RETURNING payment_attempts",
            [id],
            |row| row.get(0),
        )?;
        add_event(
            &tx,
            id,
            "payment_attempt",
            &format!("Payment attempt {attempt}"),
        )?;
        tx.commit()?;
        Ok(attempt)
    }

    /// The payment succeeded: the order is paid, its reserved stock becomes sold, and the
    /// card's brand and last four digits (when Stripe told them) are kept for the order page.
    /// Applying it again changes nothing.
    pub fn mark_paid(
        &self,
        number: &str,
        detail: &str,
        card: Option<&CardSummary>,
    ) -> Result<Order, Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = order_id(&tx, number)?;
        let payment = payment_status(&tx, id)?;
        if !payment.is_settled() {
            sell_order_stock(&tx, id)?;
            set_payment_status(&tx, id, PaymentStatus::Paid)?;
            tx.execute(
                "UPDATE orders SET paid_at = shop_now(),
                     card_brand = ?2, card_last4 = ?3
                 WHERE id = ?1",
                params![
                    id,
                    card.and_then(|c| c.brand.as_deref()),
                    card.and_then(|c| c.last4.as_deref())
                ],
            )?;
            add_event(&tx, id, "paid", detail)?;
        }
        tx.commit()?;
        load_order(&conn, id)
    }

    /// The customer must authenticate (3-D Secure); stock stays reserved meanwhile.
    pub fn mark_requires_action(&self, number: &str) -> Result<Order, Error> {
        self.update_unsettled(
            number,
            PaymentStatus::RequiresAction,
            "requires_action",
            "Waiting for the customer to authenticate (3-D Secure)",
            false,
        )
    }

    /// The payment failed: reserved stock is released and the discount use given back; the
    /// customer may retry with another card. Ignored once the order is paid.
    pub fn mark_payment_failed(&self, number: &str, reason: &str) -> Result<Order, Error> {
        self.update_unsettled(
            number,
            PaymentStatus::Failed,
            "payment_failed",
            reason,
            true,
        )
    }

    /// The number of the order paid through this PaymentIntent, if it is one of ours.
    pub fn order_for_payment_intent(
        &self,
        payment_intent_id: &str,
    ) -> Result<Option<String>, Error> {
        Ok(self
            .conn()
            .query_row(
                "SELECT number FROM orders WHERE payment_intent_id = ?1 AND deleted_at IS NULL",
                [payment_intent_id],
                |row| row.get(0),
            )
            .optional()?)
    }

    fn update_unsettled(
        &self,
        number: &str,
        status: PaymentStatus,
        kind: &str,
        message: &str,
        release: bool,
    ) -> Result<Order, Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = order_id(&tx, number)?;
        let current = payment_status(&tx, id)?;
        // An older outcome never moves an order backwards.
        if !current.is_settled() && current != PaymentStatus::Voided {
            if release {
                release_reservations(&tx, id)?;
            }
            set_payment_status(&tx, id, status)?;
            add_event(&tx, id, kind, message)?;
        }
        tx.commit()?;
        load_order(&conn, id)
    }
}

/// Turns an order's reservations into `sold` ledger entries. If a reservation ran out and the
/// stock was sold to someone else meanwhile, the order is marked oversold for the owner to
/// resolve (refund or restock) rather than letting on-hand go negative.
fn sell_order_stock(tx: &Connection, order: i64) -> Result<(), Error> {
    release_reservations(tx, order)?;
    let lines: Vec<(i64, String, i64)> = tx
        .prepare_cached("SELECT variant_id, sku, quantity FROM order_lines WHERE order_id = ?1")?
        .query_map([order], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (variant, sku, quantity) in lines {
        match inventory::record_movement(
            tx,
            crate::catalogue::VariantId(variant),
            -quantity,
            StockReason::Sold,
            Some(order),
            "",
        ) {
            Ok(_) => {}
            Err(Error::NotEnoughStock { available, .. }) => add_event(
                tx,
                order,
                "oversold",
                &format!("{sku}: {quantity} paid for but only {available} in stock"),
            )?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

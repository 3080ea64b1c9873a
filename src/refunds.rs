//! Refunds: what may still be refunded, recording the refunds Stripe made (once per refund id),
//! and following each one's status as Stripe reports it.
//!
//! A refund is not final when it is made: Stripe answers `pending` for some cards and moves it
//! to `succeeded`, `failed` or `canceled` later (https://docs.stripe.com/refunds#failed-refunds).
//! A pending or succeeded refund counts against what may still be refunded (`amount_refunded`
//! on the order); a failed or canceled one gave nothing back, stops counting, and the timeline
//! says so.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::money::{Currency, Money};
use crate::orders::{add_event, load_order, order_id, restock_order, set_payment_status};
use crate::payments::{self, RefundStatus};
use crate::{Error, Order, PaymentStatus, Shop};

/// Where a refund stands, as the shop keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundState {
    /// Made, money not yet back with the customer: counts against what may be refunded.
    Pending,
    Succeeded,
    /// Gave nothing back.
    Failed,
    Canceled,
}

impl RefundState {
    /// A status this version does not know, or `requires_action`, is taken as pending: it
    /// keeps counting, so the shop never offers to refund money twice.
    pub fn from_stripe(status: &RefundStatus) -> RefundState {
        match status {
            RefundStatus::Succeeded => RefundState::Succeeded,
            RefundStatus::Failed => RefundState::Failed,
            RefundStatus::Canceled => RefundState::Canceled,
            RefundStatus::Pending | RefundStatus::RequiresAction | RefundStatus::Unknown(_) => {
                RefundState::Pending
            }
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            RefundState::Pending => "pending",
            RefundState::Succeeded => "succeeded",
            RefundState::Failed => "failed",
            RefundState::Canceled => "canceled",
        }
    }

    fn parse(s: &str) -> RefundState {
        match s {
            "succeeded" => RefundState::Succeeded,
            "failed" => RefundState::Failed,
            "canceled" => RefundState::Canceled,
            _ => RefundState::Pending,
        }
    }

    /// Whether it counts against what may still be refunded.
    fn counts(self) -> bool {
        matches!(self, RefundState::Pending | RefundState::Succeeded)
    }
}

impl Shop {
    /// Checks a refund of `amount` minor units (everything left when `None`) before any money
    /// moves: the order must be paid, and the amount at most what was paid minus what was
    /// already refunded or is being refunded — enforced here whatever the payment server would
    /// allow. Returns the amount, the PaymentIntent and this refund's idempotency key.
    pub fn prepare_refund(
        &self,
        number: &str,
        amount: Option<i64>,
    ) -> Result<(i64, String, String), Error> {
        let mut conn = self.conn();
        let id = order_id(&conn, number)?;
        let order = load_order(&conn, id)?;
        if !order.payment_status.is_settled() {
            return Err(Error::forbidden(
                &order.number,
                format!(
                    "cannot be refunded: it is {}",
                    order.payment_status.as_str()
                ),
            ));
        }
        let left = order.totals.total - order.amount_refunded;
        let amount = amount.unwrap_or(left);
        let money = |a| Money::new(a, order.totals.currency);
        if amount <= 0 || amount > left {
            return Err(Error::invalid(format!(
                "cannot refund {} of order {}: {} is left to refund",
                money(amount),
                order.number,
                money(left)
            )));
        }
        let intent = order.payment_intent_id.clone().ok_or_else(|| {
            Error::invalid(format!("order {} has no payment to refund", order.number))
        })?;
        // The same key for every retry of this refund until Stripe records it or refuses it
        // for certain; then the next one gets a key of its own.
        let (refunds, refused): (i64, i64) = conn.query_row(
            "SELECT (SELECT count(*) FROM refunds WHERE order_id = ?1), refused_refunds
             FROM orders WHERE id = ?1",
            [id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let database = self.database_path().to_owned();
        let key = payments::idempotency::key(
            &mut conn,
            &database,
            &format!("order-{id}-refund-{}-{refused}", refunds + 1),
        )?;
        Ok((amount, intent, key))
    }

    /// Records that Stripe refused a refund of order `number` for certain (nothing was
    /// refunded), so that the next try is a new request with a key of its own.
    pub fn refund_refused(&self, number: &str) -> Result<(), Error> {
        let conn = self.conn();
        let id = order_id(&conn, number)?;
        conn.execute(
            "UPDATE orders SET refused_refunds = refused_refunds + 1 WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }

    /// Records a refund that succeeded at once (see [`Shop::record_stripe_refund`]).
    pub fn record_refund(
        &self,
        number: &str,
        refund_id: &str,
        amount: i64,
        restock: bool,
    ) -> Result<Order, Error> {
        self.record_refund_in_state(number, refund_id, amount, RefundState::Succeeded, restock)
    }

    /// Records a refund as Stripe reports it, or brings a known one up to date: a new refund
    /// is added to the timeline; one that failed or was canceled after counting stops counting
    /// and the order's payment status follows (back to paid when nothing else was refunded).
    /// `restock` puts the order's goods back as `returned`, never more than the order sold, so
    /// asking again (say, after a webhook recorded the same refund first) returns only what is
    /// still out.
    pub fn record_stripe_refund(
        &self,
        number: &str,
        refund: &payments::Refund,
        restock: bool,
    ) -> Result<Order, Error> {
        let state = RefundState::from_stripe(&refund.status);
        self.record_refund_in_state(number, &refund.id, refund.amount.amount, state, restock)
    }

    fn record_refund_in_state(
        &self,
        number: &str,
        refund_id: &str,
        amount: i64,
        state: RefundState,
        restock: bool,
    ) -> Result<Order, Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = order_id(&tx, number)?;
        // A refund presumes the payment: recording one on an order whose payment was never
        // applied would skip the sale of its stock for good.
        let payment: String = tx.query_row(
            "SELECT payment_status FROM orders WHERE id = ?1",
            [id],
            |row| row.get(0),
        )?;
        let payment: PaymentStatus = payment.parse()?;
        if !payment.is_settled() {
            return Err(Error::forbidden(
                number,
                format!(
                    "cannot record refund {refund_id}: its payment is not recorded as made \
                     (it is {})",
                    payment.as_str()
                ),
            ));
        }
        let known: Option<(i64, String)> = tx
            .query_row(
                "SELECT amount, status FROM refunds WHERE stripe_refund_id = ?1 AND order_id = ?2",
                params![refund_id, id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        match known {
            None => add_refund(&tx, id, number, refund_id, amount, state)?,
            Some((amount, was)) => update_refund(
                &tx,
                id,
                number,
                refund_id,
                amount,
                RefundState::parse(&was),
                state,
            )?,
        }
        if restock {
            restock_when_refunded(&tx, id, refund_id)?;
        }
        tx.commit()?;
        load_order(&conn, id)
    }
}

fn add_refund(
    tx: &Connection,
    order: i64,
    number: &str,
    refund_id: &str,
    amount: i64,
    state: RefundState,
) -> Result<(), Error> {
    tx.execute(
        "INSERT INTO refunds (order_id, stripe_refund_id, amount, status) VALUES (?1, ?2, ?3, ?4)",
        params![order, refund_id, amount, state.as_str()],
    )?;
    let money = money_of(tx, order)?;
    if state.counts() {
        let (refunded, total) = refunded_and_total(tx, order)?;
        // Stripe never refunds more than was paid, but an emulator may: say so rather than fail
        // on the table's constraint.
        if refunded + amount > total {
            return Err(Error::forbidden(
                number,
                format!(
                    "cannot record refund {refund_id} of {}: only {} is left to refund",
                    money(amount),
                    money(total - refunded)
                ),
            ));
        }
        set_refunded(tx, order, refunded + amount, total)?;
    }
    let message = match state {
        RefundState::Succeeded => format!("Refunded {} ({refund_id})", money(amount)),
        RefundState::Pending => format!("Refund pending: {} ({refund_id})", money(amount)),
        RefundState::Failed => format!("Refund of {} failed ({refund_id})", money(amount)),
        RefundState::Canceled => format!("Refund of {} was canceled ({refund_id})", money(amount)),
    };
    add_event(tx, order, "refunded", &message)
}

fn update_refund(
    tx: &Connection,
    order: i64,
    number: &str,
    refund_id: &str,
    amount: i64,
    was: RefundState,
    now: RefundState,
) -> Result<(), Error> {
    // A refund that failed or was canceled is final: a late event saying it was pending
    // must not make it count again. Nor does a stale "pending" (say, the answer to the refund
    // request, recorded after an event already said it succeeded) take it back.
    if was == now || !was.counts() || now == RefundState::Pending {
        return Ok(());
    }
    tx.execute(
        "UPDATE refunds SET status = ?2 WHERE stripe_refund_id = ?1",
        params![refund_id, now.as_str()],
    )?;
    let money = money_of(tx, order)?;
    let (kind, message) = match now {
        RefundState::Succeeded => (
            "refunded",
            format!("Refund of {} completed ({refund_id})", money(amount)),
        ),
        RefundState::Failed => (
            "refund_failed",
            format!(
                "Refund of {} failed ({refund_id}): the money was not returned and may be \
                 refunded again",
                money(amount)
            ),
        ),
        RefundState::Canceled => (
            "refund_failed",
            format!("Refund of {} was canceled ({refund_id})", money(amount)),
        ),
        RefundState::Pending => return Ok(()),
    };
    if !now.counts() {
        let (refunded, total) = refunded_and_total(tx, order)?;
        set_refunded(tx, order, refunded - amount, total)?;
    }
    let restock_waiting: bool = tx.query_row(
        "SELECT restock FROM refunds WHERE stripe_refund_id = ?1",
        [refund_id],
        |row| row.get(0),
    )?;
    if now == RefundState::Succeeded && restock_waiting {
        restock_when_refunded(tx, order, refund_id)?;
    }
    tracing::info!(
        order = number,
        refund = refund_id,
        status = now.as_str(),
        "refund updated"
    );
    add_event(tx, order, kind, &message)
}

/// Puts the order's goods back in stock for refund `refund_id` once it succeeded; while it is
/// pending the request is kept on the refund, and a refund that failed restocks nothing (the
/// customer kept neither the money back nor, as far as the shop knows, returned the goods).
/// Called again when a pending refund succeeds.
fn restock_when_refunded(tx: &Connection, order: i64, refund_id: &str) -> Result<(), Error> {
    let status: String = tx.query_row(
        "SELECT status FROM refunds WHERE stripe_refund_id = ?1",
        [refund_id],
        |row| row.get(0),
    )?;
    match RefundState::parse(&status) {
        RefundState::Succeeded => {
            tx.execute(
                "UPDATE refunds SET restock = 0 WHERE stripe_refund_id = ?1",
                [refund_id],
            )?;
            restock_order(tx, order, "Restocked with a refund")?;
        }
        RefundState::Pending => {
            let asked = tx.execute(
                "UPDATE refunds SET restock = 1 WHERE stripe_refund_id = ?1 AND restock = 0",
                [refund_id],
            )?;
            if asked == 1 {
                add_event(
                    tx,
                    order,
                    "restock_waiting",
                    "The goods go back in stock once the refund completes",
                )?;
            }
        }
        RefundState::Failed | RefundState::Canceled => {}
    }
    Ok(())
}

fn refunded_and_total(tx: &Connection, order: i64) -> Result<(i64, i64), Error> {
    Ok(tx.query_row(
        "SELECT amount_refunded, total FROM orders WHERE id = ?1",
        [order],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?)
}

/// Sets what counts as refunded, and the payment status that follows from it.
fn set_refunded(tx: &Connection, order: i64, refunded: i64, total: i64) -> Result<(), Error> {
    tx.execute(
        "UPDATE orders SET amount_refunded = ?2,
             updated_at = shop_now()
         WHERE id = ?1",
        params![order, refunded],
    )?;
    let status = if refunded <= 0 {
        PaymentStatus::Paid
    } else if refunded >= total {
        PaymentStatus::Refunded
    } else {
        PaymentStatus::PartiallyRefunded
    };
    set_payment_status(tx, order, status)
}

fn money_of(tx: &Connection, order: i64) -> Result<impl Fn(i64) -> Money, Error> {
    let currency: String = tx.query_row(
        "SELECT currency FROM orders WHERE id = ?1",
        [order],
        |row| row.get(0),
    )?;
    let currency = Currency::new(&currency)?;
    Ok(move |amount| Money::new(amount, currency))
}

/// What of the order's refunds is still pending, in minor units.
pub(crate) fn pending_amount(conn: &Connection, order: i64) -> Result<i64, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce(sum(amount), 0) FROM refunds WHERE order_id = ?1 AND status = 'pending'",
        )?
        .query_row([order], |row| row.get(0))?)
}

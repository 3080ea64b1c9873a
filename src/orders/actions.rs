//! What the owner does with an order — fulfil, cancel, note — with every move checked against
//! the order's state, and what each would do (`OrderActions`), decided by the same functions.

use rusqlite::{Connection, TransactionBehavior, params};

use super::{
    CancelPreview, Order, OrderActions, PaymentStatus, add_event, load_order, order_id,
    set_payment_status,
};
use crate::inventory::StockReason;
use crate::reservations::release_reservations;
use crate::{Error, Shop, inventory};

impl Shop {
    /// Marks a paid order fulfilled, shipped by `carrier` (optional) with `tracking`.
    ///
    /// Refused with [`Error::Forbidden`] for an order that is not paid (pending, awaiting
    /// authentication, failed or voided), refunded in full, cancelled or already fulfilled, and
    /// with [`Error::Invalid`] for an empty tracking number.
    pub fn fulfil_order(
        &self,
        number: &str,
        carrier: Option<&str>,
        tracking: &str,
    ) -> Result<Order, Error> {
        let tracking = tracking.trim();
        if tracking.is_empty() {
            return Err(Error::invalid(
                "a tracking number is needed to fulfil an order",
            ));
        }
        let carrier = carrier.map(str::trim).filter(|c| !c.is_empty());
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = order_id(&tx, number)?;
        let state = order_state(&tx, id)?;
        if let Some(reason) = fulfil_refusal(&state) {
            return Err(Error::forbidden(&state.number, reason));
        }
        tx.execute(
            "UPDATE orders SET fulfillment_status = 'fulfilled', carrier = ?2, tracking_number = ?3,
                 fulfilled_at = shop_now(),
                 updated_at = shop_now()
             WHERE id = ?1",
            params![id, carrier, tracking],
        )?;
        let message = match carrier {
            Some(carrier) => format!("Fulfilled: shipped with {carrier}, tracking {tracking}"),
            None => format!("Fulfilled: tracking {tracking}"),
        };
        add_event(&tx, id, "fulfilled", &message)?;
        tx.commit()?;
        tracing::info!(order = %state.number, "order fulfilled");
        load_order(&conn, id)
    }

    /// Adds the owner's note to the order's timeline. An empty note is refused.
    pub fn add_order_note(&self, number: &str, text: &str) -> Result<Order, Error> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::invalid("a note cannot be empty"));
        }
        let conn = self.conn();
        let id = order_id(&conn, number)?;
        add_event(&conn, id, "note", text)?;
        load_order(&conn, id)
    }

    /// What cancelling the order takes, or why it cannot be cancelled ([`Error::Forbidden`]).
    pub(crate) fn prepare_cancel(&self, number: &str) -> Result<CancelStep, Error> {
        let conn = self.conn();
        let id = order_id(&conn, number)?;
        let state = order_state(&conn, id)?;
        cancel_step(&state).map_err(|reason| Error::forbidden(&state.number, reason))
    }

    /// Cancels the order once nothing is left to pay back: releases its reservation, voids its
    /// payment when there was one (the caller cancelled the PaymentIntent at Stripe first), or,
    /// when it was refunded in full before shipping, puts its goods back in stock.
    ///
    /// `expected` is the step the caller has completed at Stripe. It is checked again here,
    /// under the write lock: if the order moved meanwhile (say, the customer started paying and
    /// a PaymentIntent appeared that was never voided), nothing is cancelled.
    pub(crate) fn finish_cancel(
        &self,
        number: &str,
        expected: &CancelStep,
    ) -> Result<Order, Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = order_id(&tx, number)?;
        let state = order_state(&tx, id)?;
        let step = cancel_step(&state).map_err(|r| Error::forbidden(&state.number, r))?;
        if step != *expected {
            return Err(Error::forbidden(
                &state.number,
                format!(
                    "was not cancelled: its payment moved while it was being cancelled (it is now \
                     {}); look at it and try again",
                    state.payment.as_str()
                ),
            ));
        }
        let message = match step {
            CancelStep::Void { payment_intent, .. } => {
                release_reservations(&tx, id)?;
                match payment_intent {
                    Some(intent) => {
                        set_payment_status(&tx, id, PaymentStatus::Voided)?;
                        format!("Cancelled: reserved stock released, payment {intent} voided")
                    }
                    None => "Cancelled: reserved stock released".to_owned(),
                }
            }
            CancelStep::Refund => {
                return Err(Error::forbidden(
                    &state.number,
                    "cannot be cancelled before it is refunded in full",
                ));
            }
            CancelStep::Close if state.fulfilled => {
                "Cancelled after a full refund (already shipped: nothing restocked)".to_owned()
            }
            CancelStep::Close => {
                restock_order(&tx, id, "Restocked: order cancelled")?;
                "Cancelled after a full refund".to_owned()
            }
        };
        tx.execute(
            "UPDATE orders SET status = 'cancelled',
                 cancelled_at = shop_now(),
                 updated_at = shop_now()
             WHERE id = ?1",
            [id],
        )?;
        add_event(&tx, id, "cancelled", &message)?;
        tx.commit()?;
        tracing::info!(order = %state.number, "order cancelled");
        load_order(&conn, id)
    }
}

/// What cancelling an order takes, decided from its state alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CancelStep {
    /// Not paid: release the reservation and void the PaymentIntent, if there is one, at
    /// Stripe first (with this idempotency key).
    Void {
        payment_intent: Option<String>,
        idempotency_key: String,
    },
    /// Paid and not shipped: refund what is left (restocking), then cancel.
    Refund,
    /// Refunded in full already: cancel, restocking what was not shipped.
    Close,
}

/// The parts of an order its actions are decided on.
pub(super) struct OrderState {
    id: i64,
    number: String,
    cancelled: bool,
    payment: PaymentStatus,
    fulfilled: bool,
    payment_intent: Option<String>,
}

impl OrderState {
    /// The state of an order already loaded.
    pub(super) fn of(order: &Order) -> OrderState {
        OrderState {
            id: order.id,
            number: order.number.clone(),
            cancelled: order.status == "cancelled",
            payment: order.payment_status,
            fulfilled: order.fulfillment_status == "fulfilled",
            payment_intent: order.payment_intent_id.clone(),
        }
    }
}

pub(super) fn order_state(conn: &Connection, id: i64) -> Result<OrderState, Error> {
    let (number, status, payment, fulfillment, payment_intent): (
        String,
        String,
        String,
        String,
        Option<String>,
    ) = conn
        .prepare_cached(
            "SELECT number, status, payment_status, fulfillment_status, payment_intent_id
             FROM orders WHERE id = ?1",
        )?
        .query_row([id], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })?;
    Ok(OrderState {
        id,
        number,
        cancelled: status == "cancelled",
        payment: PaymentStatus::parse(&payment)?,
        fulfilled: fulfillment == "fulfilled",
        payment_intent,
    })
}

/// Why the order cannot be fulfilled, if it cannot.
fn fulfil_refusal(state: &OrderState) -> Option<String> {
    let reason = if state.cancelled {
        "cannot be fulfilled: it is cancelled".to_owned()
    } else if state.fulfilled {
        "is already fulfilled".to_owned()
    } else {
        match state.payment {
            PaymentStatus::Paid | PaymentStatus::PartiallyRefunded => return None,
            PaymentStatus::Refunded => "cannot be fulfilled: it was refunded in full".to_owned(),
            PaymentStatus::Failed => "cannot be fulfilled: its payment failed".to_owned(),
            PaymentStatus::Voided => "cannot be fulfilled: its payment was voided".to_owned(),
            unpaid @ (PaymentStatus::Pending | PaymentStatus::RequiresAction) => {
                format!("cannot be fulfilled: it is not paid ({})", unpaid.as_str())
            }
        }
    };
    Some(reason)
}

/// What cancelling the order takes, or why it cannot be cancelled.
fn cancel_step(state: &OrderState) -> Result<CancelStep, String> {
    if state.cancelled {
        return Err("is already cancelled".to_owned());
    }
    match state.payment {
        PaymentStatus::Pending
        | PaymentStatus::RequiresAction
        | PaymentStatus::Failed
        | PaymentStatus::Voided => Ok(CancelStep::Void {
            payment_intent: state.payment_intent.clone(),
            idempotency_key: format!("order-{}-cancel", state.id),
        }),
        PaymentStatus::Paid | PaymentStatus::PartiallyRefunded if state.fulfilled => Err(
            "cannot be cancelled: it is fulfilled, and a fulfilled order cannot be cancelled \
             without a refund; refund it in full first"
                .to_owned(),
        ),
        PaymentStatus::Paid | PaymentStatus::PartiallyRefunded => Ok(CancelStep::Refund),
        PaymentStatus::Refunded => Ok(CancelStep::Close),
    }
}

/// What the owner may do with the order, from the same decisions its actions make.
pub(super) fn allowed(conn: &Connection, order: &Order) -> Result<OrderActions, Error> {
    let state = &OrderState::of(order);
    let left = order.totals.total - order.amount_refunded;
    let refundable = if state.payment.is_settled() && state.payment_intent.is_some() {
        left.max(0)
    } else {
        0
    };
    let none = CancelPreview::default();
    let cancel = match cancel_step(state) {
        Err(reason) => CancelPreview {
            refused: Some(format!("Order {} {reason}", state.number)),
            ..none
        },
        Ok(CancelStep::Void { payment_intent, .. }) => CancelPreview {
            release_units: reserved_units(conn, state.id)?,
            voids_payment: payment_intent.is_some(),
            ..none
        },
        Ok(CancelStep::Refund) => CancelPreview {
            refund: left,
            restock_units: units_out(conn, state.id)?,
            ..none
        },
        Ok(CancelStep::Close) if state.fulfilled => none,
        Ok(CancelStep::Close) => CancelPreview {
            restock_units: units_out(conn, state.id)?,
            ..none
        },
    };
    Ok(OrderActions {
        fulfil_refused: fulfil_refusal(state).map(|r| format!("Order {} {r}", state.number)),
        refundable,
        cancel,
    })
}

/// Units the order sold and has not had back: what restocking it puts back.
pub(crate) fn units_out(conn: &Connection, order: i64) -> Result<i64, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce(-sum(delta), 0) FROM stock_ledger
             WHERE order_id = ?1 AND reason IN ('sold', 'returned')",
        )?
        .query_row([order], |row| row.get(0))?)
}

/// Units still reserved for the order.
fn reserved_units(conn: &Connection, order: i64) -> Result<i64, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce(sum(quantity), 0) FROM stock_reservations
             WHERE order_id = ?1 AND released_at IS NULL
               AND expires_at > shop_now()",
        )?
        .query_row([order], |row| row.get(0))?)
}

/// Puts back in stock, as `returned`, what the order sold and has not yet returned. Returns
/// the number of units.
pub(crate) fn restock_order(tx: &Connection, order: i64, note: &str) -> Result<i64, Error> {
    // Sales are negative and returns positive, so minus their sum is what is still out.
    let out: Vec<(i64, i64)> = tx
        .prepare_cached(
            "SELECT variant_id, -sum(delta) FROM stock_ledger
             WHERE order_id = ?1 AND reason IN ('sold', 'returned')
             GROUP BY variant_id HAVING -sum(delta) > 0 ORDER BY variant_id",
        )?
        .query_map([order], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut units = 0;
    for (variant, quantity) in out {
        inventory::record_movement(
            tx,
            crate::catalogue::VariantId(variant),
            quantity,
            StockReason::Returned,
            Some(order),
            note,
        )?;
        units += quantity;
    }
    if units > 0 {
        add_event(
            tx,
            order,
            "restocked",
            &format!("{units} item(s) put back in stock"),
        )?;
    }
    Ok(units)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::{Address, CustomerDetails};
    use crate::{Currency, Money};
    fn state(cancelled: bool, payment: PaymentStatus, fulfilled: bool) -> OrderState {
        OrderState {
            id: 7,
            number: "FS-1007".into(),
            cancelled,
            payment,
            fulfilled,
            payment_intent: Some("pi_1".into()),
        }
    }

    #[test]
    fn only_paid_open_unfulfilled_orders_can_be_fulfilled() {
        use PaymentStatus::*;
        for payment in [Paid, PartiallyRefunded] {
            assert_eq!(fulfil_refusal(&state(false, payment, false)), None);
            assert!(fulfil_refusal(&state(true, payment, false)).is_some());
            assert!(fulfil_refusal(&state(false, payment, true)).is_some());
        }
        for payment in [Pending, RequiresAction, Failed, Voided, Refunded] {
            assert!(
                fulfil_refusal(&state(false, payment, false)).is_some(),
                "{payment:?}"
            );
        }
    }

    #[test]
    fn a_cancellation_overtaken_by_a_new_payment_intent_cancels_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let shop = Shop::open_blank(dir.path()).expect("blank shop");
        shop.create_product(&crate::NewProduct {
            handle: "pl".into(),
            title: "Poland".into(),
            options: vec!["Size".into()],
            variants: vec![crate::NewVariant {
                sku: "PL".into(),
                options: vec!["3x5 ft".into()],
                price: Money::new(2500, Currency::USD),
                compare_at: None,
                barcode: None,
                weight_grams: 100,
                on_hand: 3,
                low_stock_threshold: 1,
            }],
            ..crate::NewProduct::default()
        })
        .expect("product");
        let customer = CustomerDetails {
            email: "a@example.com".into(),
            name: "A".into(),
            address: Address {
                line1: "1 Main St".into(),
                line2: String::new(),
                city: "Springfield".into(),
                postal_code: "1".into(),
                country: "US".into(),
            },
        };
        let order = shop
            .place_order(&[("PL".into(), 1)], &customer, None)
            .expect("order");
        let planned = shop.prepare_cancel(&order.number).expect("cancellable");
        assert!(matches!(
            planned,
            CancelStep::Void {
                payment_intent: None,
                ..
            }
        ));
        // The customer starts paying before the owner's cancellation lands.
        shop.set_payment_intent(&order.number, "pi_meanwhile")
            .expect("intent");
        let err = shop.finish_cancel(&order.number, &planned).unwrap_err();
        assert!(matches!(err, Error::Forbidden { .. }), "{err}");
        let after = shop.order(&order.number).expect("order");
        assert_eq!(after.status, "open");
        assert_eq!(shop.stock_level("PL").expect("level").reserved, 1);
    }

    #[test]
    fn cancelling_voids_refunds_or_closes_by_state() {
        use PaymentStatus::*;
        for payment in [Pending, RequiresAction, Failed] {
            assert_eq!(
                cancel_step(&state(false, payment, false)),
                Ok(CancelStep::Void {
                    payment_intent: Some("pi_1".into()),
                    idempotency_key: "order-7-cancel".into()
                })
            );
        }
        for payment in [Paid, PartiallyRefunded] {
            assert_eq!(
                cancel_step(&state(false, payment, false)),
                Ok(CancelStep::Refund)
            );
            assert!(cancel_step(&state(false, payment, true)).is_err());
        }
        assert_eq!(
            cancel_step(&state(false, Refunded, true)),
            Ok(CancelStep::Close)
        );
        assert!(cancel_step(&state(true, Refunded, false)).is_err());
        assert!(cancel_step(&state(true, Pending, false)).is_err());
    }
}

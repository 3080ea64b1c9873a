//! Test orders: the ones the Checkout lab and `flagshop checkout` place to try the payment
//! pipeline. They go through it exactly as real orders do (stock, Stripe, the timeline) but stay
//! out of the books — the dashboard, the customers and their spend — and the owner deletes them
//! in bulk when done.
//!
//! Deleting gives everything back first: a paid test order is refunded at Stripe (unless its
//! payment is disputed: the dispute took the money), an unpaid one has its PaymentIntent voided,
//! and what it sold comes back in stock through a `returned` ledger entry naming the test order.
//! Then the order is hidden, not erased: ledger rows are never deleted, and its id and number
//! are part of idempotency keys already sent to Stripe, so they are never used again.

use std::sync::Arc;

use rusqlite::{Connection, TransactionBehavior};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::checkout::{self, blocking};
use crate::money::Currency;
use crate::orders::{PaymentStatus, add_event, load_order, order_id, restock_order, units_out};
use crate::payments::StripeClient;
use crate::reservations::release_reservations;
use crate::{Error, Shop};

/// What deleting a set of test orders will do, before it is done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TestOrderDeletion {
    /// The orders that can be deleted.
    pub orders: Vec<String>,
    /// How many of them are refunded at Stripe first, and for how much in all.
    pub refunds: i64,
    pub refund_amount: i64,
    #[ts(type = "string")]
    pub currency: Currency,
    /// How many have a payment voided at Stripe first.
    pub voids: i64,
    /// Units put back in stock, in all.
    pub units_restocked: i64,
    /// The orders that cannot be deleted, and why.
    pub refused: Vec<RefusedOrder>,
}

/// An order left as it was, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RefusedOrder {
    pub number: String,
    pub reason: String,
}

/// What [`delete_test_orders`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TestOrdersDeleted {
    pub deleted: Vec<String>,
    pub units_restocked: i64,
    /// The orders left as they were (not a test order, Stripe refused the refund, …).
    pub refused: Vec<RefusedOrder>,
}

/// The step a test order needs next on its way out, decided from its state alone.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// Money was taken and not all of it went back: refund the rest at Stripe.
    RefundRest { amount: i64 },
    /// Open and not paid, with a PaymentIntent: void it at Stripe (and release the stock), so
    /// that no late confirmation can charge it.
    Void,
    /// Nothing left at Stripe: release, restock and hide it.
    Delete,
}

/// The parts of an order its deletion is decided on.
struct State {
    test: bool,
    cancelled: bool,
    payment: PaymentStatus,
    left_to_refund: i64,
    disputed: bool,
    payment_intent: bool,
}

fn step(state: &State) -> Result<Step, String> {
    if !state.test {
        return Err("is not a test order: only test orders can be deleted".to_owned());
    }
    let money_taken = matches!(
        state.payment,
        PaymentStatus::Paid | PaymentStatus::PartiallyRefunded
    );
    Ok(
        if money_taken && state.left_to_refund > 0 && !state.disputed {
            Step::RefundRest {
                amount: state.left_to_refund,
            }
        } else if !state.cancelled
            && !money_taken
            && state.payment != PaymentStatus::Refunded
            && state.payment_intent
        {
            Step::Void
        } else {
            Step::Delete
        },
    )
}

fn state(conn: &Connection, id: i64) -> Result<State, Error> {
    let (test, status, payment, total, refunded, intent, disputed): (
        bool,
        String,
        String,
        i64,
        i64,
        Option<String>,
        bool,
    ) = conn
        .prepare_cached(
            "SELECT test, status, payment_status, total, amount_refunded, payment_intent_id,
                    EXISTS (SELECT 1 FROM disputes WHERE order_id = orders.id)
             FROM orders WHERE id = ?1",
        )?
        .query_row([id], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                row.get(6)?,
            ))
        })?;
    Ok(State {
        test,
        cancelled: status == "cancelled",
        payment: PaymentStatus::parse(&payment)?,
        left_to_refund: total - refunded,
        disputed,
        payment_intent: intent.is_some(),
    })
}

impl Shop {
    /// What deleting these orders will do: refunds, voids and units restocked, and which of
    /// them cannot be deleted (unknown, or not test orders). Changes nothing.
    pub fn preview_test_order_deletion(
        &self,
        numbers: &[String],
    ) -> Result<TestOrderDeletion, Error> {
        let conn = self.read()?;
        let mut preview = TestOrderDeletion {
            orders: Vec::new(),
            refunds: 0,
            refund_amount: 0,
            currency: crate::catalogue::shop_currency(&conn)?,
            voids: 0,
            units_restocked: 0,
            refused: Vec::new(),
        };
        for number in numbers {
            let id = match order_id(&conn, number) {
                Ok(id) => id,
                Err(e) => {
                    preview.refused.push(refused(number, &e));
                    continue;
                }
            };
            match step(&state(&conn, id)?) {
                Err(reason) => preview.refused.push(RefusedOrder {
                    number: number.clone(),
                    reason,
                }),
                Ok(step) => {
                    match step {
                        Step::RefundRest { amount } => {
                            preview.refunds += 1;
                            preview.refund_amount += amount;
                        }
                        Step::Void => preview.voids += 1,
                        Step::Delete => {}
                    }
                    preview.units_restocked += units_out(&conn, id)?;
                    preview.orders.push(number.clone());
                }
            }
        }
        Ok(preview)
    }

    /// The last step of deleting a test order, once nothing is left at Stripe: releases what
    /// it still reserves, restocks what it sold, and hides it — in one transaction, after
    /// checking again that it needs nothing more at Stripe. Returns the units restocked.
    fn finish_test_order_deletion(&self, number: &str) -> Result<i64, Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = order_id(&tx, number)?;
        let number = load_order(&tx, id)?.number;
        match step(&state(&tx, id)?) {
            Ok(Step::Delete) => {}
            Ok(_) => {
                return Err(Error::forbidden(
                    &number,
                    "was not deleted: its payment moved while it was being deleted; try again",
                ));
            }
            Err(reason) => return Err(Error::forbidden(&number, reason)),
        }
        release_reservations(&tx, id)?;
        let units = restock_order(&tx, id, &format!("Test order {number} deleted"))?;
        tx.execute(
            "UPDATE orders SET status = 'cancelled',
                 cancelled_at = coalesce(cancelled_at, shop_now()),
                 deleted_at = shop_now(),
                 updated_at = shop_now()
             WHERE id = ?1",
            [id],
        )?;
        add_event(&tx, id, "deleted", "Test order deleted")?;
        tx.commit()?;
        tracing::info!(order = %number, units, "test order deleted");
        Ok(units)
    }
}

/// Deletes these test orders, each after giving back what it holds at Stripe and in stock
/// (see the module's comment). One order's failure (Stripe refused its refund, it is not a test
/// order) leaves that order as it was and does not stop the others. `client` is needed only for
/// orders with something at Stripe; without one, those are refused.
pub async fn delete_test_orders(
    shop: &Arc<Shop>,
    client: Option<&StripeClient>,
    numbers: &[String],
) -> Result<TestOrdersDeleted, Error> {
    let mut report = TestOrdersDeleted::default();
    for number in numbers {
        match delete_one(shop, client, number).await {
            Ok(units) => {
                report.deleted.push(number.clone());
                report.units_restocked += units;
            }
            Err(e) => report.refused.push(refused(number, &e)),
        }
    }
    Ok(report)
}

async fn delete_one(
    shop: &Arc<Shop>,
    client: Option<&StripeClient>,
    number: &str,
) -> Result<i64, Error> {
    // A step at Stripe can change what is needed (a payment voided as unpaid turns out to have
    // succeeded): decide again after each, a few times at most.
    for _ in 0..3 {
        let next = blocking(shop, {
            let number = number.to_owned();
            move |shop| {
                let conn = shop.conn();
                let id = order_id(&conn, &number)?;
                step(&state(&conn, id)?).map_err(|reason| Error::forbidden(&number, reason))
            }
        })
        .await?;
        let stripe = || {
            client.ok_or_else(|| {
                Error::forbidden(
                    number,
                    "needs Stripe to give its payment back, and Stripe is not set up",
                )
            })
        };
        match next {
            Step::RefundRest { .. } => {
                checkout::refund(shop, stripe()?, number, None, false).await?;
            }
            Step::Void => {
                checkout::cancel(shop, stripe()?, number).await?;
            }
            Step::Delete => {
                return blocking(shop, {
                    let number = number.to_owned();
                    move |shop| shop.finish_test_order_deletion(&number)
                })
                .await;
            }
        }
    }
    Err(Error::forbidden(
        number,
        "was not deleted: its payment kept moving; look at it and try again",
    ))
}

fn refused(number: &str, e: &Error) -> RefusedOrder {
    let reason = match e {
        Error::Forbidden { reason, .. } => reason.clone(),
        other => other.to_string(),
    };
    RefusedOrder {
        number: number.to_owned(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(test: bool, cancelled: bool, payment: PaymentStatus, left: i64) -> State {
        State {
            test,
            cancelled,
            payment,
            left_to_refund: left,
            disputed: false,
            payment_intent: true,
        }
    }

    #[test]
    fn only_test_orders_are_deleted() {
        let real = state(false, false, PaymentStatus::Pending, 100);
        assert!(step(&real).unwrap_err().contains("not a test order"));
    }

    #[test]
    fn money_taken_goes_back_first_unless_a_dispute_took_it() {
        for payment in [PaymentStatus::Paid, PaymentStatus::PartiallyRefunded] {
            for cancelled in [false, true] {
                let s = state(true, cancelled, payment, 700);
                assert_eq!(step(&s), Ok(Step::RefundRest { amount: 700 }));
                let disputed = State {
                    disputed: true,
                    ..s
                };
                assert_eq!(step(&disputed), Ok(Step::Delete));
            }
        }
        let refunded = state(true, false, PaymentStatus::Refunded, 0);
        assert_eq!(step(&refunded), Ok(Step::Delete));
    }

    #[test]
    fn an_open_unpaid_order_is_voided_and_a_cancelled_one_just_deleted() {
        for payment in [
            PaymentStatus::Pending,
            PaymentStatus::RequiresAction,
            PaymentStatus::Failed,
            PaymentStatus::Voided,
        ] {
            assert_eq!(step(&state(true, false, payment, 100)), Ok(Step::Void));
            let never_paid = State {
                payment_intent: false,
                ..state(true, false, payment, 100)
            };
            assert_eq!(step(&never_paid), Ok(Step::Delete));
            assert_eq!(step(&state(true, true, payment, 100)), Ok(Step::Delete));
        }
    }
}

//! Disputes: a cardholder questioned a payment with their bank (a chargeback, or an inquiry
//! first). Stripe reports them with `charge.dispute.created`, `…updated` and `…closed`
//! (https://docs.stripe.com/disputes/how-disputes-work); the owner has until the response
//! deadline to answer with evidence in Stripe's dashboard.
//!
//! A dispute is a flag beside the order's payment status, not a payment status: the payment was
//! made, and stays made unless the dispute is lost.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::orders::{add_event, load_order, order_id};
use crate::payments;
use crate::{Error, Order, Shop};

/// Statuses in which the owner can still respond (https://docs.stripe.com/api/disputes/object).
const NEEDS_RESPONSE: [&str; 2] = ["needs_response", "warning_needs_response"];
/// Statuses after which nothing more happens.
const CLOSED: [&str; 4] = ["won", "lost", "warning_closed", "prevented"];

/// [`NEEDS_RESPONSE`] as an SQL list.
pub(crate) const NEEDS_RESPONSE_SQL: &str = "('needs_response', 'warning_needs_response')";

/// Orders with a dispute that is not closed, as a condition on `orders o`.
pub(crate) const OPEN: &str = "EXISTS (SELECT 1 FROM disputes d WHERE d.order_id = o.id
    AND d.status NOT IN ('won', 'lost', 'warning_closed', 'prevented'))";

/// An order's dispute, as the back office shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OrderDispute {
    pub stripe_dispute_id: String,
    /// Minor units of the order's currency.
    pub amount: i64,
    /// Stripe's reason, e.g. `fraudulent`, `product_not_received`.
    pub reason: String,
    /// Stripe's status, e.g. `needs_response`, `under_review`, `won`, `lost`.
    pub status: String,
    /// The owner can still answer it (before `evidence_due_by`).
    pub needs_response: bool,
    /// Closed: won, lost or withdrawn.
    pub closed: bool,
    /// ISO-8601 UTC: the last moment to respond, when Stripe gives one.
    pub evidence_due_by: Option<String>,
    pub created_at: String,
}

impl Shop {
    /// Records a dispute on order `number` as Stripe reports it now, or brings a known one up
    /// to date, with a timeline line for each change. Applying the same state again changes
    /// nothing.
    pub fn record_dispute(
        &self,
        number: &str,
        dispute: &payments::Dispute,
    ) -> Result<Order, Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = order_id(&tx, number)?;
        let known: Option<String> = tx
            .query_row(
                "SELECT status FROM disputes WHERE stripe_dispute_id = ?1",
                [&dispute.id],
                |row| row.get(0),
            )
            .optional()?;
        let due_by: Option<String> = match dispute.evidence_due_by {
            Some(due) => tx.query_row(
                "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', ?1, 'unixepoch')",
                [due],
                |row| row.get(0),
            )?,
            None => None,
        };
        let amount = dispute.amount.to_string();
        match known {
            None => {
                tx.execute(
                    "INSERT INTO disputes
                         (order_id, stripe_dispute_id, amount, reason, status, evidence_due_by)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        id,
                        dispute.id,
                        dispute.amount.amount,
                        dispute.reason,
                        dispute.status,
                        due_by
                    ],
                )?;
                let respond = match (
                    dispute.evidence_due_by,
                    NEEDS_RESPONSE.contains(&dispute.status.as_str()),
                ) {
                    (Some(due), true) => {
                        let due: String = tx.query_row(
                            "SELECT strftime('%Y-%m-%d %H:%M UTC', ?1, 'unixepoch')",
                            [due],
                            |row| row.get(0),
                        )?;
                        format!("; respond in Stripe's dashboard by {due}")
                    }
                    _ => String::new(),
                };
                add_event(
                    &tx,
                    id,
                    "dispute_opened",
                    &format!(
                        "Dispute opened: {amount}, reason {} ({}){respond}",
                        words(&dispute.reason),
                        dispute.id
                    ),
                )?;
                tracing::warn!(order = number, dispute = dispute.id, "dispute opened");
            }
            Some(was) if was != dispute.status && !CLOSED.contains(&was.as_str()) => {
                tx.execute(
                    "UPDATE disputes SET status = ?2, evidence_due_by = ?3,
                         updated_at = shop_now()
                     WHERE stripe_dispute_id = ?1",
                    params![dispute.id, dispute.status, due_by],
                )?;
                let (kind, message) = if CLOSED.contains(&dispute.status.as_str()) {
                    (
                        "dispute_closed",
                        format!(
                            "Dispute closed: {} ({})",
                            words(&dispute.status),
                            dispute.id
                        ),
                    )
                } else {
                    (
                        "dispute_updated",
                        format!("Dispute {} ({})", words(&dispute.status), dispute.id),
                    )
                };
                add_event(&tx, id, kind, &message)?;
            }
            Some(_) => {}
        }
        tx.commit()?;
        load_order(&conn, id)
    }
}

/// The order's newest dispute, if it has one.
pub(crate) fn of_order(conn: &Connection, order: i64) -> Result<Option<OrderDispute>, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT stripe_dispute_id, amount, reason, status, evidence_due_by, created_at
             FROM disputes WHERE order_id = ?1 ORDER BY id DESC LIMIT 1",
        )?
        .query_row([order], |row| {
            let status: String = row.get(3)?;
            Ok(OrderDispute {
                stripe_dispute_id: row.get(0)?,
                amount: row.get(1)?,
                reason: row.get(2)?,
                needs_response: NEEDS_RESPONSE.contains(&status.as_str()),
                closed: CLOSED.contains(&status.as_str()),
                status,
                evidence_due_by: row.get(4)?,
                created_at: row.get(5)?,
            })
        })
        .optional()?)
}

/// `needs_response` → "needs response".
fn words(code: &str) -> String {
    code.replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_conditions_name_the_same_statuses_as_the_lists() {
        for status in NEEDS_RESPONSE {
            assert!(
                NEEDS_RESPONSE_SQL.contains(&format!("'{status}'")),
                "{status}"
            );
        }
        for status in CLOSED {
            assert!(OPEN.contains(&format!("'{status}'")), "{status}");
        }
    }

    #[test]
    fn codes_read_as_words() {
        assert_eq!(words("product_not_received"), "product not received");
    }
}

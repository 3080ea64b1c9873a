//! Orders: placing one (totals, customer, stock reserved in the same transaction), its payment
//! and fulfilment states, and its timeline.
//!
//! Stock for an unpaid order is *reserved*, not removed: a reservation lowers what can be sold
//! until it is paid (then it becomes a `sold` ledger entry), fails, is cancelled, or expires.
//!
//! The model is here; each part of an order's life has a file of its own: `placing` (totals,
//! customer, stock reserved), `payment` (attempts and outcomes), `actions` (fulfil, cancel,
//! notes, and what each would do), `queries` (reading orders back), `stripe_events` (which
//! events were applied).

mod actions;
mod export;
mod payment;
mod placing;
mod queries;
mod stripe_events;
#[cfg(test)]
mod ui_fixtures;

pub(crate) use actions::{CancelStep, restock_order, units_out};

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use export::OrdersExportSummary;

use crate::Error;
use crate::disputes::{self, OPEN as OPEN_DISPUTE, OrderDispute};
use crate::money::Currency;
use crate::oversold::{self, OVERSOLD};
use crate::pricing::Totals;
use crate::refunds;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PaymentStatus {
    Pending,
    RequiresAction,
    Paid,
    PartiallyRefunded,
    Refunded,
    Failed,
    Voided,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::RequiresAction => "requires_action",
            PaymentStatus::Paid => "paid",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Voided => "voided",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<PaymentStatus, Error> {
        [
            PaymentStatus::Pending,
            PaymentStatus::RequiresAction,
            PaymentStatus::Paid,
            PaymentStatus::PartiallyRefunded,
            PaymentStatus::Refunded,
            PaymentStatus::Failed,
            PaymentStatus::Voided,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
        .ok_or_else(|| Error::invalid(format!("unknown payment status \"{s}\"")))
    }

    /// Money has been taken (and perhaps partly given back): no later attempt may change that.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            PaymentStatus::Paid | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded
        )
    }
}

impl std::str::FromStr for PaymentStatus {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        PaymentStatus::parse(s)
    }
}

/// Who buys and where it goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CustomerDetails {
    pub email: String,
    pub name: String,
    pub address: Address,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Address {
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. "US", "UA".
    pub country: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Order {
    pub id: i64,
    pub number: String,
    pub email: String,
    pub customer_name: String,
    pub address: Address,
    pub totals: Totals,
    pub discount_code: Option<String>,
    /// `open` or `cancelled`.
    pub status: String,
    pub payment_status: PaymentStatus,
    /// `unfulfilled` or `fulfilled`.
    pub fulfillment_status: String,
    pub payment_intent_id: Option<String>,
    /// Placed by the Checkout lab or `flagshop checkout`: kept out of the books (dashboard,
    /// customers) and deletable.
    pub test: bool,
    /// The card it was paid with, as Stripe reports it (e.g. "visa"), once paid.
    pub card_brand: Option<String>,
    /// The card's last four digits, once paid.
    pub card_last4: Option<String>,
    pub payment_attempts: i64,
    /// What counts as refunded: refunds that succeeded or are still pending.
    pub amount_refunded: i64,
    /// The part of `amount_refunded` still pending at Stripe ("Refund pending").
    pub amount_refund_pending: i64,
    /// The newest dispute of the payment, if the cardholder disputed it.
    pub dispute: Option<OrderDispute>,
    /// Units paid for that were no longer in stock (0 unless the order is open and paid): the
    /// owner restocks them or refunds and cancels the order.
    pub oversold_units: i64,
    /// Money was taken (paid, perhaps refunded since): the receipt shows what was paid.
    pub paid: bool,
    /// What the shop keeps: the total minus what was refunded.
    pub net_payment: i64,
    /// What the owner may do with the order now, and what each would do: decided here, shown
    /// by the UI as is.
    pub actions: OrderActions,
    /// Set when fulfilled: the carrier is optional, the tracking number is not.
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub lines: Vec<OrderLine>,
    /// Oldest first.
    pub events: Vec<OrderEvent>,
    /// ISO-8601 UTC times.
    pub created_at: String,
    pub paid_at: Option<String>,
    pub fulfilled_at: Option<String>,
    pub cancelled_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OrderLine {
    pub sku: String,
    pub title: String,
    pub options: String,
    pub unit_price: i64,
    pub quantity: i64,
    /// `unit_price` × `quantity`.
    pub total: i64,
}

/// What the owner may do with an order now. A refusal is the sentence the core would answer
/// the action with, so the UI can say it before anything is tried.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OrderActions {
    /// Why it cannot be fulfilled now; `None` when it can.
    pub fulfil_refused: Option<String>,
    /// What may still be refunded, in minor units; 0 when nothing can be.
    pub refundable: i64,
    /// Cancelling it: what it would do, or why it cannot be done.
    pub cancel: CancelPreview,
}

/// What cancelling an order does: refund first, restock, release, void.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CancelPreview {
    /// Why it cannot be cancelled now; `None` when it can.
    pub refused: Option<String>,
    /// Refunded to the customer's card first, in minor units.
    pub refund: i64,
    /// Units that go back in stock.
    pub restock_units: i64,
    /// Units reserved for it that are released.
    pub release_units: i64,
    /// Its payment is voided at Stripe so that it can no longer be charged.
    pub voids_payment: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OrderEvent {
    pub kind: String,
    pub message: String,
    pub created_at: String,
}

/// One row of the back office's order list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OrderSummary {
    pub number: String,
    pub email: String,
    pub customer_name: String,
    #[ts(type = "string")]
    pub currency: Currency,
    pub total: i64,
    pub amount_refunded: i64,
    /// `open` or `cancelled`.
    pub status: String,
    pub payment_status: PaymentStatus,
    /// `unfulfilled` or `fulfilled`.
    pub fulfillment_status: String,
    /// The payment has a dispute that is not closed.
    pub disputed: bool,
    /// Paid for goods that were no longer in stock: the owner must restock or refund.
    pub oversold: bool,
    /// A test order (the Checkout lab's or `flagshop checkout`'s).
    pub test: bool,
    /// Units across all lines.
    pub items: i64,
    /// ISO-8601 UTC.
    pub created_at: String,
}

/// Which orders the back office lists: every filter that is set must match. Newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct OrderQuery {
    /// Part of the order number, the email or the customer's name, in any case.
    pub text: Option<String>,
    pub payment_status: Option<PaymentStatus>,
    /// `unfulfilled` or `fulfilled`.
    pub fulfillment_status: Option<String>,
    /// Placed on or after this UTC day, `YYYY-MM-DD`.
    pub placed_from: Option<String>,
    /// Placed on or before this UTC day, `YYYY-MM-DD`.
    pub placed_to: Option<String>,
    /// Only orders waiting to be shipped: the dashboard's "Orders to fulfil".
    pub to_fulfil: bool,
    /// Only orders whose payment has a dispute that is not closed.
    pub disputed: bool,
    /// Only open, paid orders that lack stock they were paid for.
    pub oversold: bool,
    /// Only test orders (`Some(true)`), only real ones (`Some(false)`), or both.
    pub test: Option<bool>,
}

/// Orders that count in the shop's books, as a condition on `orders o`: real (not test)
/// orders. Deleted orders are test orders, so they are out too.
pub(crate) const IN_THE_BOOKS: &str = "o.test = 0";

/// Orders waiting to be shipped, as a condition on `orders o`: open, paid (perhaps partly
/// refunded) and not fulfilled. The dashboard counts them and the order list filters by it.
pub(crate) const TO_FULFIL: &str = "o.status = 'open' AND o.fulfillment_status = 'unfulfilled'
    AND o.payment_status IN ('paid', 'partially_refunded')";

/// The columns of an order list row, `summary_from_row` reads them; a query adds its `WHERE`.
pub(crate) fn summary_select() -> &'static str {
    static SELECT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "SELECT o.number, o.email, o.ship_name, o.currency,
                o.total, o.amount_refunded, o.status, o.payment_status, o.fulfillment_status,
                (SELECT coalesce(sum(quantity), 0) FROM order_lines WHERE order_id = o.id),
                o.created_at, {OPEN_DISPUTE}, ({OVERSOLD}), o.test
             FROM orders o"
        )
    });
    &SELECT
}

pub(crate) fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<Result<OrderSummary, Error>> {
    let currency: String = row.get(3)?;
    let payment: String = row.get(7)?;
    let (currency, payment) = match (Currency::new(&currency), PaymentStatus::parse(&payment)) {
        (Ok(c), Ok(p)) => (c, p),
        (Err(e), _) => return Ok(Err(e.into())),
        (_, Err(e)) => return Ok(Err(e)),
    };
    Ok(Ok(OrderSummary {
        number: row.get(0)?,
        email: row.get(1)?,
        customer_name: row.get(2)?,
        currency,
        total: row.get(4)?,
        amount_refunded: row.get(5)?,
        status: row.get(6)?,
        payment_status: payment,
        fulfillment_status: row.get(8)?,
        items: row.get(9)?,
        created_at: row.get(10)?,
        disputed: row.get(11)?,
        oversold: row.get(12)?,
        test: row.get(13)?,
    }))
}

fn payment_status(tx: &Connection, order: i64) -> Result<PaymentStatus, Error> {
    let status: String = tx.query_row(
        "SELECT payment_status FROM orders WHERE id = ?1",
        [order],
        |row| row.get(0),
    )?;
    PaymentStatus::parse(&status)
}

pub(crate) fn set_payment_status(
    tx: &Connection,
    order: i64,
    status: PaymentStatus,
) -> Result<(), Error> {
    tx.execute(
        "UPDATE orders SET payment_status = ?2, updated_at = shop_now()
         WHERE id = ?1",
        params![order, status.as_str()],
    )?;
    Ok(())
}

pub(crate) fn add_event(
    tx: &Connection,
    order: i64,
    kind: &str,
    message: &str,
) -> Result<(), Error> {
    tx.prepare_cached(
        "INSERT INTO order_events (order_id, kind, message, created_at)
         VALUES (?1, ?2, ?3, shop_now())",
    )?
    .execute(params![order, kind, message])?;
    Ok(())
}

pub(crate) fn order_id(conn: &Connection, number: &str) -> Result<i64, Error> {
    conn.prepare_cached(
        "SELECT id FROM orders WHERE number = ?1 COLLATE NOCASE AND deleted_at IS NULL",
    )?
    .query_row([number.trim()], |row| row.get(0))
    .optional()?
    .ok_or_else(|| Error::UnknownOrder(number.to_owned()))
}

pub(crate) fn load_order(conn: &Connection, id: i64) -> Result<Order, Error> {
    let mut order = conn
        .prepare_cached(
            "SELECT o.number, o.email, o.ship_name, o.ship_line1, o.ship_line2, o.ship_city,
                    o.ship_postal_code, o.ship_country, o.currency, o.subtotal, o.discount,
                    o.shipping, o.tax, o.total, o.discount_code, o.status, o.payment_status,
                    o.fulfillment_status, o.payment_intent_id, o.payment_attempts,
                    o.amount_refunded, o.created_at, o.card_brand, o.card_last4, o.carrier,
                    o.tracking_number, o.paid_at, o.fulfilled_at, o.cancelled_at, o.test
             FROM orders o WHERE o.id = ?1",
        )?
        .query_row([id], |row| order_from_row(id, row))??;
    order.amount_refund_pending = refunds::pending_amount(conn, id)?;
    order.dispute = disputes::of_order(conn, id)?;
    order.oversold_units = oversold::shortfall(conn, id)?
        .iter()
        .map(|(_, _, missing)| missing)
        .sum();
    order.lines = conn
        .prepare_cached(
            "SELECT sku, title, options, unit_price, quantity, unit_price * quantity
             FROM order_lines WHERE order_id = ?1 ORDER BY id",
        )?
        .query_map([id], |row| {
            Ok(OrderLine {
                sku: row.get(0)?,
                title: row.get(1)?,
                options: row.get(2)?,
                unit_price: row.get(3)?,
                quantity: row.get(4)?,
                total: row.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    order.paid = order.payment_status.is_settled();
    order.net_payment = order.totals.total - order.amount_refunded;
    order.actions = actions::allowed(conn, &order)?;
    order.events = conn
        .prepare_cached(
            "SELECT kind, message, created_at FROM order_events WHERE order_id = ?1 ORDER BY id",
        )?
        .query_map([id], |row| {
            Ok(OrderEvent {
                kind: row.get(0)?,
                message: row.get(1)?,
                created_at: row.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(order)
}

fn order_from_row(id: i64, row: &Row<'_>) -> rusqlite::Result<Result<Order, Error>> {
    let currency: String = row.get(8)?;
    let payment: String = row.get(16)?;
    let (currency, payment) = match (Currency::new(&currency), PaymentStatus::parse(&payment)) {
        (Ok(c), Ok(p)) => (c, p),
        (Err(e), _) => return Ok(Err(e.into())),
        (_, Err(e)) => return Ok(Err(e)),
    };
    Ok(Ok(Order {
        id,
        number: row.get(0)?,
        email: row.get(1)?,
        customer_name: row.get(2)?,
        address: Address {
            line1: row.get(3)?,
            line2: row.get(4)?,
            city: row.get(5)?,
            postal_code: row.get(6)?,
            country: row.get(7)?,
        },
        totals: Totals {
            currency,
            subtotal: row.get(9)?,
            discount: row.get(10)?,
            shipping: row.get(11)?,
            tax: row.get(12)?,
            total: row.get(13)?,
        },
        discount_code: row.get(14)?,
        status: row.get(15)?,
        payment_status: payment,
        fulfillment_status: row.get(17)?,
        payment_intent_id: row.get(18)?,
        test: row.get(29)?,
        card_brand: row.get(22)?,
        card_last4: row.get(23)?,
        payment_attempts: row.get(19)?,
        amount_refunded: row.get(20)?,
        amount_refund_pending: 0,
        dispute: None,
        oversold_units: 0,
        paid: false,
        net_payment: 0,
        actions: OrderActions::default(),
        carrier: row.get(24)?,
        tracking_number: row.get(25)?,
        lines: Vec::new(),
        events: Vec::new(),
        created_at: row.get(21)?,
        paid_at: row.get(26)?,
        fulfilled_at: row.get(27)?,
        cancelled_at: row.get(28)?,
    }))
}

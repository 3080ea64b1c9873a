//! Orders: placing one (totals, customer, stock reserved in the same transaction), its payment
//! and fulfilment states, and its timeline.
//!
//! Stock for an unpaid order is *reserved*, not removed: a reservation lowers what can be sold
//! until it is paid (then it becomes a `sold` ledger entry), fails, is cancelled, or expires.

use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::catalogue::shop_currency;
use crate::disputes::{self, OPEN as OPEN_DISPUTE, OrderDispute};
use crate::inventory::{self, StockReason};
use crate::money::{Currency, Money};
use crate::oversold::{self, OVERSOLD};
use crate::payments::CardSummary;
use crate::pricing::{self, Discount, PricingRules, Totals};
use crate::refunds;
use crate::{Error, Shop};

/// The setting where catching up with Stripe's events resumes.
const EVENTS_SYNCED_UNTIL: &str = "stripe.events_synced_until";

/// How long a reservation holds stock for an unpaid order, unless the settings say otherwise.
const DEFAULT_RESERVATION_SECS: i64 = 15 * 60;

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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
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

/// A discount code as the owner sets it up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DiscountCode {
    pub code: String,
    /// Percent (`value` in basis points) or fixed (`value` in minor units).
    pub percent: bool,
    pub value: i64,
    /// ISO-8601 UTC times; the code works from `starts_at` and until `ends_at`.
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub usage_limit: Option<i64>,
    pub times_used: i64,
}

impl Shop {
    /// How the shop taxes and ships (the `pricing` setting, or the defaults).
    pub fn pricing_rules(&self) -> Result<PricingRules, Error> {
        pricing_rules(&self.conn())
    }

    pub fn set_pricing_rules(&self, rules: &PricingRules) -> Result<(), Error> {
        if !(0..=pricing::BPS).contains(&rules.tax_rate_bps) {
            return Err(Error::invalid(format!(
                "tax rate {} bps is outside 0–10000",
                rules.tax_rate_bps
            )));
        }
        if let Some(rate) = rules.shipping_rates.iter().find(|r| r.amount < 0) {
            return Err(Error::invalid(format!(
                "shipping rate \"{}\" is negative",
                rate.zone
            )));
        }
        let json = serde_json::to_string(rules).expect("pricing rules serialise");
        self.set_setting("pricing", &json)
    }

    /// How long checkout holds stock for an unpaid order.
    pub fn set_reservation_seconds(&self, seconds: i64) -> Result<(), Error> {
        if seconds < 0 {
            return Err(Error::invalid("a reservation cannot last a negative time"));
        }
        self.set_setting("reservation_seconds", &seconds.to_string())
    }

    /// Creates or replaces a discount code.
    pub fn save_discount_code(&self, code: &DiscountCode) -> Result<(), Error> {
        let name = code.code.trim();
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            return Err(Error::invalid(format!(
                "discount code \"{name}\" must be one word"
            )));
        }
        if code.value <= 0 || (code.percent && code.value > pricing::BPS) {
            return Err(Error::invalid(format!(
                "discount code \"{name}\" has an invalid value {}",
                code.value
            )));
        }
        self.conn().execute(
            "INSERT INTO discount_codes (code, kind, value, starts_at, ends_at, usage_limit, times_used)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)
             ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, value = excluded.value,
                 starts_at = excluded.starts_at, ends_at = excluded.ends_at,
                 usage_limit = excluded.usage_limit",
            params![
                name,
                if code.percent { "percent" } else { "fixed" },
                code.value,
                code.starts_at,
                code.ends_at,
                code.usage_limit
            ],
        )?;
        Ok(())
    }

    /// The totals `lines` would have for `customer`'s country, without placing anything.
    pub fn quote(
        &self,
        lines: &[(String, i64)],
        country: &str,
        discount_code: Option<&str>,
    ) -> Result<Totals, Error> {
        let conn = self.conn();
        let wanted = merge_lines(lines)?;
        let mut subtotal = Money::zero(shop_currency(&conn)?);
        for (sku, quantity) in &wanted {
            let (_, _, _, price, _) = variant_for_sale(&conn, sku)?;
            subtotal = subtotal
                .checked_add(Money::new(price, subtotal.currency).checked_mul(*quantity)?)?;
        }
        let discount = discount_code
            .map(|c| usable_discount(&conn, c).map(|(_, d)| d))
            .transpose()?;
        pricing::totals(&pricing_rules(&conn)?, subtotal, discount, country)
    }

    /// Places an order for `lines` (SKU and quantity; the same SKU may appear twice) and reserves
    /// its stock, all in one transaction: if any line lacks stock, nothing is written and the
    /// error names the SKU and how many are left.
    pub fn place_order(
        &self,
        lines: &[(String, i64)],
        customer: &CustomerDetails,
        discount_code: Option<&str>,
    ) -> Result<Order, Error> {
        self.place(lines, customer, discount_code, false)
    }

    /// Places a test order, as [`Shop::place_order`] does a real one: the Checkout lab and
    /// `flagshop checkout` place these, and they stay out of the books.
    pub fn place_test_order(
        &self,
        lines: &[(String, i64)],
        customer: &CustomerDetails,
        discount_code: Option<&str>,
    ) -> Result<Order, Error> {
        self.place(lines, customer, discount_code, true)
    }

    fn place(
        &self,
        lines: &[(String, i64)],
        customer: &CustomerDetails,
        discount_code: Option<&str>,
        test: bool,
    ) -> Result<Order, Error> {
        let customer = validate_customer(customer)?;
        let wanted = merge_lines(lines)?;
        if wanted.is_empty() {
            return Err(Error::invalid("an order needs at least one line"));
        }
        let mut conn = self.conn();
        // IMMEDIATE: availability is read under the write lock, so two checkouts cannot both
        // see the last unit.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = insert_order(&tx, &wanted, &customer, discount_code, test)?;
        tx.commit()?;
        let order = load_order(&conn, id)?;
        tracing::info!(order = %order.number, total = order.totals.total, test, "order placed");
        Ok(order)
    }

    /// Places an order for the current cart, then empties the cart.
    pub fn place_order_from_cart(
        &self,
        customer: &CustomerDetails,
        discount_code: Option<&str>,
    ) -> Result<Order, Error> {
        let cart = self.cart()?;
        let lines: Vec<(String, i64)> = cart
            .lines
            .iter()
            .map(|l| (l.sku.clone(), l.quantity))
            .collect();
        let order = self.place_order(&lines, customer, discount_code)?;
        self.conn().execute(
            "UPDATE carts SET closed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE closed_at IS NULL",
            [],
        )?;
        Ok(order)
    }

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
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
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
                "UPDATE orders SET paid_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
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

    /// Records that a Stripe event was applied. False when it already was: each event id is
    /// applied once, however often it is delivered or polled.
    pub fn record_stripe_event(&self, id: &str, kind: &str, created: i64) -> Result<bool, Error> {
        let inserted = self.conn().execute(
            "INSERT OR IGNORE INTO stripe_events (id, type, created) VALUES (?1, ?2, ?3)",
            params![id, kind, created],
        )?;
        Ok(inserted == 1)
    }

    pub fn stripe_event_applied(&self, id: &str) -> Result<bool, Error> {
        Ok(self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM stripe_events WHERE id = ?1)",
            [id],
            |row| row.get(0),
        )?)
    }

    /// Where the next catch-up with Stripe's events starts (Unix seconds): the newest event of
    /// the last catch-up that applied every event it listed. A shop that never finished one
    /// lists all Stripe still keeps (30 days): the events it applied so far may have come by
    /// webhook, newer than some it never saw.
    pub fn stripe_events_synced_until(&self) -> Result<Option<i64>, Error> {
        let conn = self.conn();
        let saved: Option<String> = conn
            .query_row(
                "SELECT value FROM settings WHERE key = ?1",
                [EVENTS_SYNCED_UNTIL],
                |row| row.get(0),
            )
            .optional()?;
        match saved {
            Some(time) => time.parse().map(Some).map_err(|_| {
                Error::internal(format!(
                    "the setting {EVENTS_SYNCED_UNTIL} is not a time: {time}"
                ))
            }),
            None => Ok(None),
        }
    }

    /// How many Stripe events this shop has applied, however they came.
    pub fn stripe_events_applied(&self) -> Result<i64, Error> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM stripe_events", [], |row| row.get(0))?)
    }

    /// Records that every event up to `created` (Unix seconds) was applied.
    pub fn set_stripe_events_synced_until(&self, created: i64) -> Result<(), Error> {
        self.set_setting(EVENTS_SYNCED_UNTIL, &created.to_string())
    }

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
                 fulfilled_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
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
                 cancelled_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
             WHERE id = ?1",
            [id],
        )?;
        add_event(&tx, id, "cancelled", &message)?;
        tx.commit()?;
        tracing::info!(order = %state.number, "order cancelled");
        load_order(&conn, id)
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
struct OrderState {
    id: i64,
    number: String,
    cancelled: bool,
    payment: PaymentStatus,
    fulfilled: bool,
    payment_intent: Option<String>,
}

fn order_state(conn: &Connection, id: i64) -> Result<OrderState, Error> {
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
fn actions(conn: &Connection, state: &OrderState, order: &Order) -> Result<OrderActions, Error> {
    let left = order.totals.total - order.amount_refunded;
    let refundable = if state.payment.is_settled() && state.payment_intent.is_some() {
        left.max(0)
    } else {
        0
    };
    let none = CancelPreview {
        refused: None,
        refund: 0,
        restock_units: 0,
        release_units: 0,
        voids_payment: false,
    };
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
               AND expires_at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
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

fn pricing_rules(conn: &Connection) -> Result<PricingRules, Error> {
    let json: Option<String> = conn
        .query_row(
            "SELECT value FROM settings WHERE key = 'pricing'",
            [],
            |row| row.get(0),
        )
        .optional()?;
    match json {
        Some(json) => serde_json::from_str(&json).map_err(|e| {
            Error::internal(format!("the stored pricing settings are malformed: {e}"))
        }),
        None => Ok(PricingRules::default()),
    }
}

/// Sums quantities per SKU (two lines of one variant compete for the same stock), keeping the
/// order in which SKUs first appear.
fn merge_lines(lines: &[(String, i64)]) -> Result<Vec<(String, i64)>, Error> {
    let mut merged: Vec<(String, i64)> = Vec::new();
    for (sku, quantity) in lines {
        if *quantity <= 0 {
            return Err(Error::invalid(format!(
                "quantity of \"{sku}\" must be at least 1, not {quantity}"
            )));
        }
        match merged.iter_mut().find(|(s, _)| s == sku) {
            Some((_, q)) => {
                // Checked: release builds wrap, and a wrapped quantity would look negative.
                *q = q.checked_add(*quantity).ok_or_else(|| {
                    Error::invalid(format!(
                        "quantity of \"{sku}\" is too large: {q} and {quantity} together are more \
                         than any order can hold"
                    ))
                })?
            }
            None => merged.push((sku.clone(), *quantity)),
        }
    }
    Ok(merged)
}

fn validate_customer(c: &CustomerDetails) -> Result<CustomerDetails, Error> {
    let email = crate::customers::email_address(&c.email)?;
    let field = |value: &str, name: &str| {
        let value = value.trim();
        if value.is_empty() {
            Err(Error::invalid(format!("{name} is empty")))
        } else {
            Ok(value.to_owned())
        }
    };
    let country = c.address.country.trim().to_ascii_uppercase();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Error::invalid(format!(
            "country \"{}\" must be a two-letter code such as US or UA",
            c.address.country.trim()
        )));
    }
    Ok(CustomerDetails {
        email,
        name: field(&c.name, "name")?,
        address: Address {
            line1: field(&c.address.line1, "address")?,
            line2: c.address.line2.trim().to_owned(),
            city: field(&c.address.city, "city")?,
            postal_code: field(&c.address.postal_code, "postal code")?,
            country,
        },
    })
}

/// A variant that can be sold now: (id, title, options, price, available).
fn variant_for_sale(
    conn: &Connection,
    sku: &str,
) -> Result<(i64, String, String, i64, i64), Error> {
    conn.prepare_cached(
        "SELECT v.id, p.title, concat_ws(' / ', v.option1, v.option2, v.option3), v.price_minor,
                s.available, p.status
         FROM variants v JOIN products p ON p.id = v.product_id
         JOIN variant_stock s ON s.variant_id = v.id
         WHERE v.sku = ?1",
    )?
    .query_row([sku], |row| {
        Ok((
            (
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ),
            row.get::<_, String>(5)?,
        ))
    })
    .optional()?
    .ok_or_else(|| Error::UnknownSku(sku.to_owned()))
    .and_then(|(variant, status)| {
        if status == "active" {
            Ok(variant)
        } else {
            Err(Error::NotForSale(sku.to_owned()))
        }
    })
}

/// A discount code that can be used now: its (code, discount).
fn usable_discount(conn: &Connection, code: &str) -> Result<(String, Discount), Error> {
    let row = conn
        .query_row(
            "SELECT code, kind, value,
                    starts_at IS NULL OR starts_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
                    ends_at IS NULL OR ends_at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
                    usage_limit IS NULL OR times_used < usage_limit
             FROM discount_codes WHERE code = ?1",
            [code.trim()],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, bool>(3)?,
                    row.get::<_, bool>(4)?,
                    row.get::<_, bool>(5)?,
                ))
            },
        )
        .optional()?;
    let Some((code, kind, value, started, not_ended, left)) = row else {
        return Err(Error::invalid(format!(
            "unknown discount code \"{}\"",
            code.trim()
        )));
    };
    if !started || !not_ended {
        return Err(Error::invalid(format!(
            "discount code \"{code}\" is not valid now"
        )));
    }
    if !left {
        return Err(Error::invalid(format!(
            "discount code \"{code}\" has been used up"
        )));
    }
    let discount = if kind == "percent" {
        Discount::Percent(value)
    } else {
        Discount::Fixed(value)
    };
    Ok((code, discount))
}

fn insert_order(
    tx: &Transaction<'_>,
    wanted: &[(String, i64)],
    customer: &CustomerDetails,
    discount_code: Option<&str>,
    test: bool,
) -> Result<i64, Error> {
    let currency = shop_currency(tx)?;
    let mut subtotal = Money::zero(currency);
    let mut lines = Vec::new();
    for (sku, quantity) in wanted {
        let (variant, title, options, price, _) = variant_for_sale(tx, sku)?;
        subtotal = subtotal.checked_add(Money::new(price, currency).checked_mul(*quantity)?)?;
        lines.push((variant, sku, title, options, price, *quantity));
    }
    let discount = discount_code
        .filter(|c| !c.trim().is_empty())
        .map(|c| usable_discount(tx, c))
        .transpose()?;
    let totals = pricing::totals(
        &pricing_rules(tx)?,
        subtotal,
        discount.as_ref().map(|(_, d)| *d),
        &customer.address.country,
    )?;

    tx.execute(
        "INSERT INTO customers (email, name) VALUES (?1, ?2)
         ON CONFLICT (email) DO UPDATE SET name = excluded.name",
        params![customer.email, customer.name],
    )?;
    let customer_id: i64 = tx.query_row(
        "SELECT id FROM customers WHERE email = ?1",
        [&customer.email],
        |row| row.get(0),
    )?;
    let a = &customer.address;
    // The number follows the id; a temporary unique value keeps the UNIQUE constraint happy.
    tx.execute(
        "INSERT INTO orders (number, customer_id, email, ship_name, ship_line1, ship_line2,
                             ship_city, ship_postal_code, ship_country, currency, subtotal,
                             discount, shipping, tax, total, discount_code, test)
         VALUES ('new-' || hex(randomblob(8)), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,
                 ?13, ?14, ?15, ?16)",
        params![
            customer_id,
            customer.email,
            customer.name,
            a.line1,
            a.line2,
            a.city,
            a.postal_code,
            a.country,
            currency.code(),
            totals.subtotal,
            totals.discount,
            totals.shipping,
            totals.tax,
            totals.total,
            discount.as_ref().map(|(c, _)| c.as_str()),
            test,
        ],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "UPDATE orders SET number = 'FS-' || (1000 + id) WHERE id = ?1",
        [id],
    )?;
    for (variant, sku, title, options, price, quantity) in lines {
        tx.prepare_cached(
            "INSERT INTO order_lines (order_id, variant_id, sku, title, options, unit_price, quantity)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![id, variant, sku, title, options, price, quantity])?;
    }
    reserve_order_stock(tx, id)?;
    if let Some((code, _)) = &discount {
        tx.execute(
            "UPDATE discount_codes SET times_used = times_used + 1 WHERE code = ?1",
            [code],
        )?;
    }
    add_event(
        tx,
        id,
        "placed",
        &format!("Order placed by {}", customer.email),
    )?;
    Ok(id)
}

/// Reserves every line of an order, checking availability line by line.
fn reserve_order_stock(tx: &Connection, order: i64) -> Result<(), Error> {
    let seconds: i64 = tx
        .query_row(
            "SELECT value FROM settings WHERE key = 'reservation_seconds'",
            [],
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
             VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?4 || ' seconds'))",
        )?
        .execute(params![variant, quantity, order, seconds.to_string()])?;
    }
    Ok(())
}

fn has_active_reservation(tx: &Connection, order: i64) -> Result<bool, Error> {
    Ok(tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM stock_reservations
                        WHERE order_id = ?1 AND released_at IS NULL
                          AND expires_at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
        [order],
        |row| row.get(0),
    )?)
}

pub(crate) fn release_reservations(tx: &Connection, order: i64) -> Result<(), Error> {
    tx.prepare_cached(
        "UPDATE stock_reservations SET released_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE order_id = ?1 AND released_at IS NULL",
    )?
    .execute([order])?;
    Ok(())
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
        "UPDATE orders SET payment_status = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
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
    tx.prepare_cached("INSERT INTO order_events (order_id, kind, message) VALUES (?1, ?2, ?3)")?
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
    order.actions = actions(conn, &order_state(conn, id)?, &order)?;
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
        actions: OrderActions {
            fulfil_refused: None,
            refundable: 0,
            cancel: CancelPreview {
                refused: None,
                refund: 0,
                restock_units: 0,
                release_units: 0,
                voids_payment: false,
            },
        },
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

#[cfg(test)]
mod tests {
    use super::*;

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

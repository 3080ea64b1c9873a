//! What we read from Stripe, parsed leniently from JSON: only the fields the shop acts on are
//! required, everything else may be missing, null or shaped differently (an id or an embedded
//! object), because neither localstripe nor a Stripe API version we did not test against
//! should turn a payment that happened into a parse error.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::money::{Currency, Money};

/// A PaymentIntent's `status`, as Stripe names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentIntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    /// 3-D Secure or another customer action is needed before the payment can go on.
    RequiresAction,
    Processing,
    RequiresCapture,
    Canceled,
    Succeeded,
    /// A status this version does not know; treat it as "not paid yet" and re-fetch later.
    Unknown(String),
}

impl PaymentIntentStatus {
    fn parse(status: &str) -> PaymentIntentStatus {
        match status {
            "requires_payment_method" => PaymentIntentStatus::RequiresPaymentMethod,
            "requires_confirmation" => PaymentIntentStatus::RequiresConfirmation,
            "requires_action" => PaymentIntentStatus::RequiresAction,
            "processing" => PaymentIntentStatus::Processing,
            "requires_capture" => PaymentIntentStatus::RequiresCapture,
            "canceled" => PaymentIntentStatus::Canceled,
            "succeeded" => PaymentIntentStatus::Succeeded,
            other => PaymentIntentStatus::Unknown(other.to_owned()),
        }
    }

    /// Stripe's own spelling, e.g. `requires_action`.
    pub fn as_str(&self) -> &str {
        match self {
            PaymentIntentStatus::RequiresPaymentMethod => "requires_payment_method",
            PaymentIntentStatus::RequiresConfirmation => "requires_confirmation",
            PaymentIntentStatus::RequiresAction => "requires_action",
            PaymentIntentStatus::Processing => "processing",
            PaymentIntentStatus::RequiresCapture => "requires_capture",
            PaymentIntentStatus::Canceled => "canceled",
            PaymentIntentStatus::Succeeded => "succeeded",
            PaymentIntentStatus::Unknown(other) => other,
        }
    }
}

impl fmt::Display for PaymentIntentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the last attempt to pay failed (`last_payment_error`), or why a card was declined.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decline {
    /// Stripe's error code, e.g. `card_declined`, `payment_intent_authentication_failure`.
    pub code: Option<String>,
    /// The issuer's reason when the card was declined, e.g. `insufficient_funds`.
    pub decline_code: Option<String>,
    /// A message that can be shown to the customer.
    pub message: Option<String>,
    /// The PaymentIntent it happened on, when the server says so.
    pub payment_intent: Option<String>,
    /// The failed charge, when the server says so.
    pub charge: Option<String>,
}

impl Decline {
    pub(crate) fn from_json(error: &Value) -> Decline {
        Decline {
            code: string(error, "code"),
            decline_code: string(error, "decline_code"),
            message: string(error, "message"),
            payment_intent: id_of(error.get("payment_intent")),
            charge: id_of(error.get("charge")),
        }
    }
}

impl fmt::Display for Decline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message.as_deref().unwrap_or("the card was declined"))?;
        match (&self.code, &self.decline_code) {
            (Some(code), Some(decline)) => write!(f, " ({code}: {decline})"),
            (Some(code), None) => write!(f, " ({code})"),
            (None, Some(decline)) => write!(f, " ({decline})"),
            (None, None) => Ok(()),
        }
    }
}

/// The card behind a payment, as far as the server tells: never more than brand and last four.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSummary {
    pub brand: Option<String>,
    pub last4: Option<String>,
}

/// A Stripe PaymentIntent: one per order, reused on retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentIntent {
    pub id: String,
    pub status: PaymentIntentStatus,
    pub amount: Money,
    /// What Stripe.js needs to confirm or authenticate the payment in the browser.
    pub client_secret: Option<String>,
    pub last_payment_error: Option<Decline>,
    /// The id of the latest charge (sent by Stripe as an id, by localstripe as an object).
    pub latest_charge: Option<String>,
    pub payment_method: Option<String>,
    pub card: Option<CardSummary>,
    pub metadata: BTreeMap<String, String>,
    /// Unix seconds.
    pub created: Option<i64>,
}

impl PaymentIntent {
    pub(crate) fn from_json(pi: &Value) -> Result<PaymentIntent, String> {
        let card = card_of(pi.get("payment_method")).or_else(|| {
            pi.get("latest_charge")
                .and_then(|charge| charge.pointer("/payment_method_details/card"))
                .and_then(card_summary)
        });
        Ok(PaymentIntent {
            id: required_string(pi, "id", "payment_intent")?,
            status: PaymentIntentStatus::parse(&required_string(pi, "status", "payment_intent")?),
            amount: money(pi, "payment_intent")?,
            client_secret: string(pi, "client_secret"),
            last_payment_error: pi
                .get("last_payment_error")
                .filter(|e| e.is_object())
                .map(Decline::from_json),
            latest_charge: id_of(pi.get("latest_charge")),
            payment_method: id_of(pi.get("payment_method")),
            card,
            metadata: metadata(pi),
            created: pi.get("created").and_then(Value::as_i64),
        })
    }
}

/// What a confirmation led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Paid.
    Succeeded(PaymentIntent),
    /// The customer must authenticate (3-D Secure) with the intent's `client_secret`.
    RequiresAction(PaymentIntent),
    /// The card was declined: nothing was charged; another card may be tried.
    Declined(Decline),
    /// Any other state (`processing`, `requires_capture`, …): wait for an event or re-fetch.
    Other(PaymentIntent),
}

impl Outcome {
    pub(crate) fn from_intent(pi: PaymentIntent) -> Outcome {
        match (&pi.status, &pi.last_payment_error) {
            (PaymentIntentStatus::Succeeded, _) => Outcome::Succeeded(pi),
            (PaymentIntentStatus::RequiresAction, _) => Outcome::RequiresAction(pi),
            // Stripe may answer 200 with the decline recorded on the intent instead of a 402.
            (PaymentIntentStatus::RequiresPaymentMethod, Some(error)) => {
                let mut decline = error.clone();
                decline.payment_intent.get_or_insert(pi.id);
                Outcome::Declined(decline)
            }
            _ => Outcome::Other(pi),
        }
    }
}

/// A PaymentMethod: what a payment is made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethod {
    pub id: String,
    pub card: Option<CardSummary>,
}

impl PaymentMethod {
    pub(crate) fn from_json(pm: &Value) -> Result<PaymentMethod, String> {
        Ok(PaymentMethod {
            id: required_string(pm, "id", "payment_method")?,
            card: pm.get("card").and_then(card_summary),
        })
    }
}

/// A refund's `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundStatus {
    Pending,
    RequiresAction,
    Succeeded,
    Failed,
    Canceled,
    Unknown(String),
}

/// A refund of all or part of a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub id: String,
    pub amount: Money,
    pub status: RefundStatus,
    pub payment_intent: Option<String>,
    pub charge: Option<String>,
    pub created: Option<i64>,
}

impl Refund {
    pub(crate) fn from_json(refund: &Value) -> Result<Refund, String> {
        let status = match string(refund, "status").as_deref() {
            Some("pending") => RefundStatus::Pending,
            Some("requires_action") => RefundStatus::RequiresAction,
            Some("succeeded") => RefundStatus::Succeeded,
            Some("failed") => RefundStatus::Failed,
            Some("canceled") => RefundStatus::Canceled,
            Some(other) => RefundStatus::Unknown(other.to_owned()),
            None => RefundStatus::Unknown(String::new()),
        };
        Ok(Refund {
            id: required_string(refund, "id", "refund")?,
            amount: money(refund, "refund")?,
            status,
            payment_intent: id_of(refund.get("payment_intent")),
            charge: id_of(refund.get("charge")),
            created: refund.get("created").and_then(Value::as_i64),
        })
    }
}

/// A dispute (chargeback or inquiry): the cardholder questioned a payment with their bank.
/// The owner has until `evidence_due_by` to respond (https://docs.stripe.com/api/disputes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    pub id: String,
    pub amount: Money,
    /// e.g. `fraudulent`, `product_not_received`.
    pub reason: String,
    /// e.g. `needs_response`, `under_review`, `won`, `lost`, `warning_needs_response`.
    pub status: String,
    pub charge: Option<String>,
    pub payment_intent: Option<String>,
    /// Unix seconds; `None` once no response is possible.
    pub evidence_due_by: Option<i64>,
    pub created: Option<i64>,
}

impl Dispute {
    pub(crate) fn from_json(dispute: &Value) -> Result<Dispute, String> {
        Ok(Dispute {
            id: required_string(dispute, "id", "dispute")?,
            amount: money(dispute, "dispute")?,
            reason: string(dispute, "reason").unwrap_or_else(|| "general".to_owned()),
            status: required_string(dispute, "status", "dispute")?,
            charge: id_of(dispute.get("charge")),
            payment_intent: id_of(dispute.get("payment_intent")),
            evidence_due_by: dispute
                .pointer("/evidence_details/due_by")
                .and_then(Value::as_i64),
            created: dispute.get("created").and_then(Value::as_i64),
        })
    }
}

/// Something that happened on the Stripe account, e.g. `payment_intent.succeeded`.
///
/// Events can come twice and out of order: apply each `id` once, and re-fetch the object
/// before acting on it rather than trusting `object`, a snapshot from when it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    /// e.g. `payment_intent.succeeded`, `charge.refunded`.
    pub event_type: String,
    /// Unix seconds.
    pub created: i64,
    /// The id of `data.object` (a `pi_…`, `ch_…`, `re_…`).
    pub object_id: Option<String>,
    /// `data.object` as sent.
    pub object: Value,
}

impl Event {
    /// Parses an event from an events list or from a webhook body (after its signature was
    /// verified: see [`super::webhook::verify_signature`]).
    pub fn from_json(event: &Value) -> Result<Event, String> {
        let object = event
            .pointer("/data/object")
            .cloned()
            .unwrap_or(Value::Null);
        Ok(Event {
            id: required_string(event, "id", "event")?,
            event_type: required_string(event, "type", "event")?,
            created: event
                .get("created")
                .and_then(Value::as_i64)
                .ok_or("event without a numeric created")?,
            object_id: string(&object, "id"),
            object,
        })
    }
}

fn string(value: &Value, field: &str) -> Option<String> {
    value.get(field).and_then(Value::as_str).map(str::to_owned)
}

fn required_string(value: &Value, field: &str, what: &str) -> Result<String, String> {
    string(value, field).ok_or_else(|| format!("{what} without a {field}"))
}

/// `field` may be an id or an embedded (expanded) object with an `id`.
pub(super) fn id_of(field: Option<&Value>) -> Option<String> {
    match field? {
        Value::String(id) => Some(id.clone()),
        object @ Value::Object(_) => string(object, "id"),
        _ => None,
    }
}

fn card_of(payment_method: Option<&Value>) -> Option<CardSummary> {
    let payment_method = payment_method?;
    // A PaymentMethod nests its card; a Card (tokenised by Stripe.js in the page) is the card.
    match payment_method.get("object").and_then(Value::as_str) {
        Some("card") => card_summary(payment_method),
        _ => payment_method.get("card").and_then(card_summary),
    }
}

fn card_summary(card: &Value) -> Option<CardSummary> {
    let summary = CardSummary {
        brand: string(card, "brand"),
        last4: string(card, "last4"),
    };
    (summary.brand.is_some() || summary.last4.is_some()).then_some(summary)
}

fn money(value: &Value, what: &str) -> Result<Money, String> {
    let amount = value
        .get("amount")
        .and_then(Value::as_i64)
        .ok_or_else(|| format!("{what} without an integer amount"))?;
    let code = required_string(value, "currency", what)?;
    let currency = Currency::new(&code).map_err(|e| e.to_string())?;
    Ok(Money::new(amount, currency))
}

fn metadata(value: &Value) -> BTreeMap<String, String> {
    value
        .get("metadata")
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_localstripe_intent_with_an_embedded_charge_parses() {
        let pi = PaymentIntent::from_json(&json!({
            "id": "pi_1", "status": "succeeded", "amount": 2500, "currency": "usd",
            "client_secret": "pi_1_secret_x", "last_payment_error": null,
            "latest_charge": {"id": "ch_1", "status": "succeeded"},
            "payment_method": {"id": "pm_1", "card": {"brand": "visa", "last4": "4242"}},
            "metadata": {"order": "17", "odd": 3}, "created": 1_795_790_000
        }))
        .expect("parses");
        assert_eq!(pi.status, PaymentIntentStatus::Succeeded);
        assert_eq!(pi.amount, Money::new(2500, Currency::USD));
        assert_eq!(pi.latest_charge.as_deref(), Some("ch_1"));
        assert_eq!(pi.payment_method.as_deref(), Some("pm_1"));
        let card = pi.card.expect("card summary");
        assert_eq!(card.last4.as_deref(), Some("4242"));
        assert_eq!(pi.metadata.get("order").map(String::as_str), Some("17"));
        assert!(!pi.metadata.contains_key("odd"));
    }

    #[test]
    fn a_stripe_intent_with_ids_and_an_unknown_status_parses() {
        let pi = PaymentIntent::from_json(&json!({
            "id": "pi_2", "status": "requires_reauthorization", "amount": 100,
            "currency": "jpy", "latest_charge": "ch_2", "payment_method": "pm_2",
            "amount_details": {"tip": {}}
        }))
        .expect("parses");
        assert_eq!(
            pi.status,
            PaymentIntentStatus::Unknown("requires_reauthorization".into())
        );
        assert_eq!(pi.latest_charge.as_deref(), Some("ch_2"));
        assert_eq!(pi.card, None);
    }

    #[test]
    fn an_intent_without_id_or_amount_is_an_error() {
        assert!(PaymentIntent::from_json(&json!({"status": "succeeded"})).is_err());
        assert!(
            PaymentIntent::from_json(
                &json!({"id": "pi", "status": "succeeded", "currency": "usd"})
            )
            .is_err()
        );
    }

    #[test]
    fn a_failed_intent_becomes_a_declined_outcome() {
        let pi = PaymentIntent::from_json(&json!({
            "id": "pi_3", "status": "requires_payment_method", "amount": 100, "currency": "eur",
            "last_payment_error": {"code": "card_declined", "decline_code": "insufficient_funds",
                                   "message": "Your card has insufficient funds."}
        }))
        .expect("parses");
        let Outcome::Declined(decline) = Outcome::from_intent(pi) else {
            panic!("expected a decline");
        };
        assert_eq!(decline.decline_code.as_deref(), Some("insufficient_funds"));
        assert_eq!(decline.payment_intent.as_deref(), Some("pi_3"));
        assert_eq!(
            decline.to_string(),
            "Your card has insufficient funds. (card_declined: insufficient_funds)"
        );
    }

    #[test]
    fn an_event_keeps_its_object_as_sent() {
        let event = Event::from_json(&json!({
            "id": "evt_1", "type": "charge.refunded", "created": 5,
            "data": {"object": {"id": "ch_9", "amount_refunded": 50}}
        }))
        .expect("parses");
        assert_eq!(event.object_id.as_deref(), Some("ch_9"));
        assert_eq!(event.object["amount_refunded"], 50);
    }
}

//! Paying for an order: its one PaymentIntent, each attempt's confirmation, and what the
//! outcome does to the order and its stock.
//!
//! The database work runs on blocking threads; only the Stripe calls are awaited. Every call
//! that creates or moves money carries an idempotency key derived from the order and the
//! attempt, so a retried request never charges twice.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::orders::CancelStep;
use crate::payments::{
    Decline, Outcome, PaymentError, PaymentIntent, PaymentIntentStatus, ServerKind, StripeClient,
};
use crate::{Error, Order, Shop};

/// Stripe's test cards, by what they do (https://docs.stripe.com/testing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestCard {
    /// 4242 4242 4242 4242: succeeds.
    Visa,
    /// 4000 0000 0000 0002: a generic decline.
    Declined,
    /// 4000 0000 0000 0341: attaches, then is declined when charged.
    ChargeDeclined,
    /// 4000 0000 0000 9995: declined for insufficient funds.
    InsufficientFunds,
    /// 4000 0000 0000 9987: declined, the card was reported lost.
    LostCard,
    /// 4000 0000 0000 0069: declined, the card has expired.
    ExpiredCard,
    /// 4000 0000 0000 0127: declined, the CVC is wrong.
    IncorrectCvc,
    /// 4000 0000 0000 0119: declined by a processing error.
    ProcessingError,
    /// 4000 0025 0000 3155 (Stripe: `pm_card_threeDSecure2Required`): requires 3-D Secure.
    #[serde(rename = "3ds")]
    ThreeDSecure,
    /// 4000 0000 0000 0259: succeeds, then the cardholder disputes it as fraudulent.
    Dispute,
}

impl TestCard {
    pub const ALL: [TestCard; 10] = [
        TestCard::Visa,
        TestCard::Declined,
        TestCard::ChargeDeclined,
        TestCard::InsufficientFunds,
        TestCard::LostCard,
        TestCard::ExpiredCard,
        TestCard::IncorrectCvc,
        TestCard::ProcessingError,
        TestCard::ThreeDSecure,
        TestCard::Dispute,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TestCard::Visa => "visa",
            TestCard::Declined => "declined",
            TestCard::ChargeDeclined => "charge_declined",
            TestCard::InsufficientFunds => "insufficient_funds",
            TestCard::LostCard => "lost_card",
            TestCard::ExpiredCard => "expired_card",
            TestCard::IncorrectCvc => "incorrect_cvc",
            TestCard::ProcessingError => "processing_error",
            TestCard::ThreeDSecure => "3ds",
            TestCard::Dispute => "dispute",
        }
    }

    /// The PaymentMethod to pay with. Stripe knows every test card by a `pm_card_…` id
    /// (https://docs.stripe.com/testing#cards); the local emulator knows some only by card
    /// number, which it accepts from the backend (real Stripe never receives a card number
    /// from us), and cannot make the others fail as Stripe does.
    pub async fn payment_method(self, client: &StripeClient) -> Result<String, PaymentError> {
        if client.server_kind() == ServerKind::Stripe {
            return Ok(self.stripe_payment_method().to_owned());
        }
        let by_number = |number: &'static str| async move {
            client
                .emulator_card_payment_method(number, 12, 2034, "123")
                .await
                .map(|pm| pm.id)
        };
        match self {
            TestCard::Visa => Ok("pm_card_visa".into()),
            TestCard::ChargeDeclined => by_number("4000000000000341").await,
            TestCard::ThreeDSecure => by_number("4000002500003155").await,
            // The emulator declines these cards only when they are attached to a customer,
            // so a payment with them would succeed.
            TestCard::Declined => Err(PaymentError::NotSupportedByServer("a generic card decline")),
            TestCard::InsufficientFunds => Err(PaymentError::NotSupportedByServer(
                "the insufficient-funds test card",
            )),
            TestCard::LostCard => Err(PaymentError::NotSupportedByServer(
                "the lost-card test card",
            )),
            TestCard::ExpiredCard => Err(PaymentError::NotSupportedByServer(
                "the expired-card test card",
            )),
            TestCard::IncorrectCvc => Err(PaymentError::NotSupportedByServer(
                "the incorrect-CVC test card",
            )),
            TestCard::ProcessingError => Err(PaymentError::NotSupportedByServer(
                "the processing-error test card",
            )),
            TestCard::Dispute => Err(PaymentError::NotSupportedByServer("disputes")),
        }
    }

    /// Stripe's documented PaymentMethod id for the card.
    fn stripe_payment_method(self) -> &'static str {
        match self {
            TestCard::Visa => "pm_card_visa",
            TestCard::Declined => "pm_card_visa_chargeDeclined",
            TestCard::ChargeDeclined => "pm_card_chargeCustomerFail",
            TestCard::InsufficientFunds => "pm_card_visa_chargeDeclinedInsufficientFunds",
            TestCard::LostCard => "pm_card_visa_chargeDeclinedLostCard",
            TestCard::ExpiredCard => "pm_card_chargeDeclinedExpiredCard",
            TestCard::IncorrectCvc => "pm_card_chargeDeclinedIncorrectCvc",
            TestCard::ProcessingError => "pm_card_chargeDeclinedProcessingError",
            TestCard::ThreeDSecure => "pm_card_threeDSecure2Required",
            TestCard::Dispute => "pm_card_createDispute",
        }
    }
}

impl std::str::FromStr for TestCard {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        TestCard::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "unknown test card \"{s}\" (expected one of: {})",
                    TestCard::ALL.map(TestCard::name).join(", ")
                ))
            })
    }
}

/// Pays order `number` with `payment_method`: one attempt, its outcome applied to the order.
///
/// A decline is not an error: the order comes back `failed` with the reason in its timeline and
/// its stock released. When the server's answer is unclear, the PaymentIntent is read back and
/// the order follows what Stripe says; if that too fails, the order is left as it was (pending,
/// stock still reserved until it expires) and the error says so — nothing is guessed.
pub async fn pay(
    shop: &Arc<Shop>,
    client: &StripeClient,
    number: &str,
    payment_method: &str,
) -> Result<Order, Error> {
    let attempt = blocking(shop, {
        let number = number.to_owned();
        move |shop| shop.begin_payment_attempt(&number)
    })
    .await?;
    let order = blocking(shop, {
        let number = number.to_owned();
        move |shop| shop.order(&number)
    })
    .await?;
    let intent_id = match &order.payment_intent_id {
        Some(id) => id.clone(),
        None => {
            let id = order.id.to_string();
            let created = client
                .create_payment_intent(
                    order.totals.total_money(),
                    &format!("Flagshop order {}", order.number),
                    &[
                        ("order_id", id.as_str()),
                        ("order_number", order.number.as_str()),
                    ],
                    &idempotency_key(shop, format!("order-{}-payment-intent", order.id)).await?,
                )
                .await;
            let intent = match created {
                Ok(intent) => intent,
                // It may exist at Stripe: the order stays pending, its stock reserved, and a
                // retry with the same key finds the same intent.
                Err(e @ PaymentError::OutcomeUnknown { .. }) => return Err(e.into()),
                Err(e) => return attempt_failed(shop, number, &e).await,
            };
            blocking(shop, {
                let (number, id) = (number.to_owned(), intent.id.clone());
                move |shop| shop.set_payment_intent(&number, &id)
            })
            .await?;
            intent.id
        }
    };
    let key = idempotency_key(shop, confirm_key(order.id, attempt)).await?;
    let outcome = match client
        .confirm_payment_intent(&intent_id, Some(payment_method), &key)
        .await
    {
        Ok(outcome) => outcome,
        Err(PaymentError::OutcomeUnknown { reason }) => {
            tracing::warn!(
                order = number,
                reason,
                "confirmation unclear; reading the payment back"
            );
            Outcome::Other(client.retrieve_payment_intent(&intent_id).await?)
        }
        Err(e) => return attempt_failed(shop, number, &e).await,
    };
    apply_outcome(shop, number, outcome).await
}

/// A definite failure: the server refused, or was never reached. Nothing was charged, so the
/// attempt failed and its stock goes back at once, instead of staying reserved until it
/// expires.
async fn attempt_failed(shop: &Arc<Shop>, number: &str, e: &PaymentError) -> Result<Order, Error> {
    let reason = match e {
        PaymentError::NotSent { .. } => format!("The payment could not be sent: {e}"),
        _ => format!("The payment attempt was refused: {e}"),
    };
    blocking(shop, {
        let number = number.to_owned();
        move |shop| shop.mark_payment_failed(&number, &reason)
    })
    .await
}

/// Reads the order's PaymentIntent back from Stripe and applies what it says (after 3-D
/// Secure, or when an earlier answer was unclear).
pub async fn refresh(
    shop: &Arc<Shop>,
    client: &StripeClient,
    number: &str,
) -> Result<Order, Error> {
    let order = blocking(shop, {
        let number = number.to_owned();
        move |shop| shop.order(&number)
    })
    .await?;
    let Some(intent_id) = order.payment_intent_id else {
        return Ok(order);
    };
    let intent = client.retrieve_payment_intent(&intent_id).await?;
    apply_outcome(shop, number, Outcome::Other(intent)).await
}

/// Refunds `amount` minor units of a paid order (all that is left when `None`), with one
/// idempotency key per refund, and optionally restocks its goods.
pub async fn refund(
    shop: &Arc<Shop>,
    client: &StripeClient,
    number: &str,
    amount: Option<i64>,
    restock: bool,
) -> Result<Order, Error> {
    let (amount, intent, key) = blocking(shop, {
        let number = number.to_owned();
        move |shop| shop.prepare_refund(&number, amount)
    })
    .await?;
    let refund = match client.create_refund(&intent, Some(amount), &key).await {
        Ok(refund) => refund,
        Err(
            e @ (PaymentError::Rejected { .. }
            | PaymentError::Declined(_)
            | PaymentError::NotSent { .. }),
        ) => {
            blocking(shop, {
                let number = number.to_owned();
                move |shop| shop.refund_refused(&number)
            })
            .await?;
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    // Stripe may answer `pending`: it counts until Stripe says it failed.
    blocking(shop, {
        let number = number.to_owned();
        move |shop| shop.record_stripe_refund(&number, &refund, restock)
    })
    .await
}

/// Cancels order `number`, after the owner confirmed:
///
/// - not paid (pending, awaiting authentication, failed): its PaymentIntent, if any, is
///   cancelled at Stripe so that no later confirmation can charge it, its reserved stock is
///   released, and its payment becomes `voided`;
/// - paid and not fulfilled: what is left is refunded through Stripe and every line restocked,
///   then it is cancelled (an order already refunded in full is just cancelled and restocked).
///
/// Refused with [`Error::Forbidden`] when it is already cancelled, when it is fulfilled and not
/// refunded in full, and when Stripe reports the payment went through (or is processing) since
/// the order was last updated: the order is brought up to date and the owner decides again.
pub async fn cancel(shop: &Arc<Shop>, client: &StripeClient, number: &str) -> Result<Order, Error> {
    let step = blocking(shop, {
        let number = number.to_owned();
        move |shop| shop.prepare_cancel(&number)
    })
    .await?;
    match &step {
        CancelStep::Void {
            payment_intent: Some(intent),
            idempotency_key,
        } => {
            // Read the payment back before voiding it: the customer may have paid meanwhile.
            let pi = client.retrieve_payment_intent(intent).await?;
            match pi.status {
                PaymentIntentStatus::Canceled => {}
                PaymentIntentStatus::Succeeded | PaymentIntentStatus::Processing => {
                    let at_stripe = pi.status.clone();
                    let order = apply_outcome(shop, number, Outcome::Other(pi)).await?;
                    return Err(Error::forbidden(
                        &order.number,
                        format!(
                            "cannot be cancelled as unpaid: its payment is {at_stripe} at \
                             Stripe; the order is now {}",
                            order.payment_status.as_str()
                        ),
                    ));
                }
                // The idempotency key makes a retried cancel harmless on Stripe; localstripe
                // ignores the key, and answers 400 to a second cancel, which the `Canceled`
                // arm above avoids by reading the intent first.
                _ => {
                    let key = self::idempotency_key(shop, idempotency_key.clone()).await?;
                    client.cancel_payment_intent(intent, &key).await?;
                }
            }
        }
        CancelStep::Void { .. } | CancelStep::Close => {}
        CancelStep::Refund => {
            refund(shop, client, number, None, true).await?;
        }
    }
    // Once refunded in full, what is left is closing the order.
    let done = match step {
        CancelStep::Refund => CancelStep::Close,
        other => other,
    };
    blocking(shop, {
        let number = number.to_owned();
        move |shop| shop.finish_cancel(&number, &done)
    })
    .await
}

/// Brings the order's refunds up to date with what Stripe has for its PaymentIntent: refunds
/// made outside the app (in the Stripe dashboard, say) are added, and the status of each known
/// one follows Stripe's (pending → succeeded, failed or canceled). Nothing is restocked, since
/// the owner did not say the goods came back.
async fn reconcile_refunds(
    shop: &Arc<Shop>,
    client: &StripeClient,
    number: &str,
    payment_intent: &str,
) -> Result<(), Error> {
    let mut refunds = client.list_refunds(payment_intent).await?;
    refunds.sort_by_key(|r| r.created);
    blocking(shop, {
        let number = number.to_owned();
        move |shop| {
            for refund in refunds {
                shop.record_stripe_refund(&number, &refund, false)?;
            }
            Ok(())
        }
    })
    .await
}

/// What [`sync_events`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SyncReport {
    /// Events listed by the server.
    pub seen: usize,
    /// Events applied now (the rest were applied before, or are not about our orders).
    pub applied: usize,
    /// Events that could not be applied now; the next catch-up tries them again.
    pub failed: usize,
    /// Why the first of them failed.
    pub first_failure: Option<String>,
}

/// Learns what happened at Stripe without a public URL: lists every event since the last
/// complete catch-up, then applies each once, oldest first. Nothing is taken from the event
/// itself: the object is read back before an order moves, so an old or repeated event cannot
/// move it backwards.
///
/// Stripe lists newest first, at most 100 a page, and pages back in time
/// (https://docs.stripe.com/api/events/list); so the whole list is read before anything is
/// applied, and the point to resume from moves only once every event was applied. A catch-up
/// cut off halfway leaves that point where it was: the next one lists the same events again,
/// skips those applied (by id) and applies the rest.
pub async fn sync_events(shop: &Arc<Shop>, client: &StripeClient) -> Result<SyncReport, Error> {
    let since = blocking(shop, |shop| shop.stripe_events_synced_until()).await?;
    // A second of overlap: events in the same second as the last catch-up's newest are
    // listed again and skipped by id.
    let after = since.map(|t| t - 1);
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = client.list_events(after, cursor.as_deref(), 100).await?;
        let last = page.events.last().map(|e| e.id.clone());
        events.extend(page.events);
        match last {
            Some(last) if page.has_more => cursor = Some(last),
            _ => break,
        }
    }
    // Oldest first. Stripe lists newest first, so within one second the reversed order is the
    // order they happened in; localstripe lists oldest first already.
    if client.server_kind() == ServerKind::Stripe {
        events.reverse();
    }
    events.sort_by_key(|e| e.created);
    let mut report = SyncReport::default();
    let mut newest = since;
    // One event that cannot be applied now (Stripe refuses to show its object, say) must not
    // hold up the others: it is retried by the next catch-up, which resumes before it.
    let mut first_failed: Option<i64> = None;
    for event in &events {
        report.seen += 1;
        match apply_event_once(shop, client, event).await {
            Ok(applied) => report.applied += usize::from(applied),
            Err(e) => {
                tracing::warn!(event = %event.id, kind = %event.event_type, error = %e, "event not applied");
                report.failed += 1;
                report
                    .first_failure
                    .get_or_insert_with(|| format!("{}: {e}", event.id));
                first_failed = first_failed.or(Some(event.created));
            }
        }
        newest = newest.max(Some(event.created));
    }
    // The next catch-up lists from a second before this point.
    let resume = match first_failed {
        Some(created) => Some(created),
        None => newest,
    };
    if let Some(resume) = resume.filter(|r| Some(*r) != since) {
        blocking(shop, move |shop| {
            shop.set_stripe_events_synced_until(resume)
        })
        .await?;
    }
    Ok(report)
}

/// Applies a Stripe event unless it was applied before (by id), whether it came from polling or
/// a webhook delivery. True when it concerned one of our orders.
///
/// Events come in any order (Stripe does not guarantee one): whatever an event is about, the
/// order first catches up with its payment as Stripe has it now, then with the refunds or the
/// dispute, so a refund or a dispute never lands on an order whose payment was not applied.
pub async fn apply_event_once(
    shop: &Arc<Shop>,
    client: &StripeClient,
    event: &crate::payments::Event,
) -> Result<bool, Error> {
    let id = event.id.clone();
    if blocking(shop, move |shop| shop.stripe_event_applied(&id)).await? {
        return Ok(false);
    }
    let applied = apply_event(shop, client, event).await?;
    let (id, kind, created) = (event.id.clone(), event.event_type.clone(), event.created);
    blocking(shop, move |shop| {
        shop.record_stripe_event(&id, &kind, created)
    })
    .await?;
    Ok(applied)
}

/// Applies one event to the order it is about; false when it concerns none of ours.
///
/// Only ids are taken from the event: the PaymentIntent, its refunds or the dispute are read
/// back from Stripe before acting, whatever order the events came in.
async fn apply_event(
    shop: &Arc<Shop>,
    client: &StripeClient,
    event: &crate::payments::Event,
) -> Result<bool, Error> {
    let kind = event.event_type.as_str();
    let about = if kind.starts_with("payment_intent.") {
        About::Payment
    } else if kind == "charge.refunded"
        || kind.starts_with("refund.")
        || kind == "charge.refund.updated"
    {
        About::Refunds
    } else if kind.starts_with("charge.dispute.") {
        About::Dispute
    } else {
        return Ok(false);
    };
    let intent = match about {
        About::Payment => event.object_id.clone(),
        // A charge or a refund names its PaymentIntent; a dispute names its charge (and, in
        // today's API, its PaymentIntent too).
        About::Refunds | About::Dispute => match id_in(&event.object, "payment_intent") {
            Some(intent) => Some(intent),
            None => match id_in(&event.object, "charge") {
                Some(charge) => client.payment_intent_of_charge(&charge).await?,
                None => None,
            },
        },
    };
    let Some(intent) = intent else {
        return Ok(false);
    };
    let number = blocking(shop, {
        let intent = intent.clone();
        move |shop| shop.order_for_payment_intent(&intent)
    })
    .await?;
    let Some(number) = number else {
        return Ok(false);
    };
    // The payment first, whatever the event: a refund or a dispute presumes it.
    refresh(shop, client, &number).await?;
    match about {
        About::Payment => {}
        About::Refunds => reconcile_refunds(shop, client, &number, &intent).await?,
        About::Dispute => {
            let id = event.object_id.clone().ok_or_else(|| {
                Error::Payment(PaymentError::UnexpectedResponse(
                    "a dispute event without a dispute id".into(),
                ))
            })?;
            let dispute = client.retrieve_dispute(&id).await?;
            blocking(shop, move |shop| shop.record_dispute(&number, &dispute)).await?;
        }
    }
    Ok(true)
}

/// What an event is about, for the one thing to read back from Stripe.
enum About {
    Payment,
    Refunds,
    Dispute,
}

/// `object[field]` as an id, whether Stripe sent an id or an expanded object.
fn id_in(object: &serde_json::Value, field: &str) -> Option<String> {
    match object.get(field)? {
        serde_json::Value::String(id) => Some(id.clone()),
        other => other.get("id")?.as_str().map(str::to_owned),
    }
}

async fn apply_outcome(shop: &Arc<Shop>, number: &str, outcome: Outcome) -> Result<Order, Error> {
    let number = number.to_owned();
    blocking(shop, move |shop| match outcome {
        Outcome::Succeeded(pi) => shop.mark_paid(&number, &paid_message(&pi), pi.card.as_ref()),
        Outcome::RequiresAction(_) => shop.mark_requires_action(&number),
        Outcome::Declined(decline) => shop.mark_payment_failed(&number, &decline_message(&decline)),
        Outcome::Other(pi) => match &pi.status {
            PaymentIntentStatus::Succeeded => {
                shop.mark_paid(&number, &paid_message(&pi), pi.card.as_ref())
            }
            PaymentIntentStatus::RequiresAction => shop.mark_requires_action(&number),
            PaymentIntentStatus::RequiresPaymentMethod if pi.last_payment_error.is_some() => {
                let decline = pi.last_payment_error.as_ref().expect("checked above");
                shop.mark_payment_failed(&number, &decline_message(decline))
            }
            PaymentIntentStatus::Canceled => {
                shop.mark_payment_failed(&number, "The payment was cancelled")
            }
            // Processing or not yet confirmed: nothing happened we can act on.
            _ => shop.order(&number),
        },
    })
    .await
}

fn paid_message(pi: &PaymentIntent) -> String {
    match &pi.card {
        Some(card) => format!(
            "Paid {} by {} •••• {} ({})",
            pi.amount,
            card.brand.as_deref().unwrap_or("card"),
            card.last4.as_deref().unwrap_or("????"),
            pi.id
        ),
        None => format!("Paid {} ({})", pi.amount, pi.id),
    }
}

/// What the customer is told: Stripe's message, and its codes for the owner.
fn decline_message(decline: &Decline) -> String {
    let message = decline
        .message
        .as_deref()
        .unwrap_or("The card was declined.");
    let codes: Vec<&str> = [decline.code.as_deref(), decline.decline_code.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if codes.is_empty() {
        message.to_owned()
    } else {
        format!("{message} ({})", codes.join(", "))
    }
}

/// What attempt `attempt` to confirm order `order_id`'s payment is called in its idempotency
/// key: a repeat of the same attempt can never charge twice.
pub(crate) fn confirm_key(order_id: i64, attempt: i64) -> String {
    format!("order-{order_id}-attempt-{attempt}-confirm")
}

/// The shop's idempotency key for `what` (see [`Shop::idempotency_key`]).
pub(crate) async fn idempotency_key(shop: &Arc<Shop>, what: String) -> Result<String, Error> {
    blocking(shop, move |shop| shop.idempotency_key(&what)).await
}

/// Runs database work on a blocking thread, off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    shop: &Arc<Shop>,
    work: impl FnOnce(&Shop) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    let shop = Arc::clone(shop);
    tokio::task::spawn_blocking(move || work(&shop))
        .await
        .map_err(|e| Error::internal(format!("a database task failed: {e}")))?
}

//! The Checkout lab: the owner runs each Stripe test outcome on purpose, through the real order
//! pipeline, and sees what was expected next to what happened.
//!
//! Each scenario places a real order for one unit of a variant the owner picks (with the
//! customer `lab@flagshop.test`), pays it with a test card, and compares the order's payment
//! status and the stock movement with what the scenario should produce. A scenario the
//! configured server cannot run is reported as not supported, and no order is placed for it.

use std::sync::Arc;

use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::checkout::{self, TestCard, blocking};
use crate::orders::{Address, CustomerDetails};
use crate::payments::{PaymentError, PaymentIntent, ServerKind, StripeClient};
use crate::{Error, Order, PaymentStatus, Shop};

/// The customer every lab order is placed for, so lab orders are easy to tell apart.
pub const LAB_EMAIL: &str = "lab@flagshop.test";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum LabScenario {
    Success,
    GenericDecline,
    ChargeDeclined,
    InsufficientFunds,
    LostCard,
    ExpiredCard,
    IncorrectCvc,
    ProcessingError,
    ThreeDSecurePassed,
    ThreeDSecureFailed,
    /// The same confirmation sent twice with one idempotency key: charged once.
    DuplicateConfirm,
    /// Paid, then refunded in full with the goods restocked.
    Refund,
    /// Paid, then disputed by the cardholder: the order shows the dispute.
    Dispute,
}

impl LabScenario {
    pub const ALL: [LabScenario; 13] = [
        LabScenario::Success,
        LabScenario::GenericDecline,
        LabScenario::ChargeDeclined,
        LabScenario::InsufficientFunds,
        LabScenario::LostCard,
        LabScenario::ExpiredCard,
        LabScenario::IncorrectCvc,
        LabScenario::ProcessingError,
        LabScenario::ThreeDSecurePassed,
        LabScenario::ThreeDSecureFailed,
        LabScenario::DuplicateConfirm,
        LabScenario::Refund,
        LabScenario::Dispute,
    ];

    fn card(self) -> TestCard {
        match self {
            LabScenario::Success | LabScenario::DuplicateConfirm | LabScenario::Refund => {
                TestCard::Visa
            }
            LabScenario::GenericDecline => TestCard::Declined,
            LabScenario::ChargeDeclined => TestCard::ChargeDeclined,
            LabScenario::InsufficientFunds => TestCard::InsufficientFunds,
            LabScenario::LostCard => TestCard::LostCard,
            LabScenario::ExpiredCard => TestCard::ExpiredCard,
            LabScenario::IncorrectCvc => TestCard::IncorrectCvc,
            LabScenario::ProcessingError => TestCard::ProcessingError,
            LabScenario::ThreeDSecurePassed | LabScenario::ThreeDSecureFailed => {
                TestCard::ThreeDSecure
            }
            LabScenario::Dispute => TestCard::Dispute,
        }
    }

    /// What the pipeline must end with: paid and one unit sold, refunded with the unit back,
    /// or failed and nothing sold.
    pub fn expected(self) -> LabState {
        let (payment_status, on_hand_change) = match self {
            LabScenario::Success
            | LabScenario::ThreeDSecurePassed
            | LabScenario::DuplicateConfirm
            | LabScenario::Dispute => (PaymentStatus::Paid, -1),
            LabScenario::Refund => (PaymentStatus::Refunded, 0),
            _ => (PaymentStatus::Failed, 0),
        };
        LabState {
            payment_status,
            on_hand_change,
            reserved_change: 0,
            disputed: self == LabScenario::Dispute,
        }
    }

    fn is_3ds(self) -> bool {
        matches!(
            self,
            LabScenario::ThreeDSecurePassed | LabScenario::ThreeDSecureFailed
        )
    }
}

/// The order's payment status, how the variant's stock moved, and whether the payment was
/// disputed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LabState {
    pub payment_status: PaymentStatus,
    pub on_hand_change: i64,
    pub reserved_change: i64,
    pub disputed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum LabVerdict {
    Pass,
    Fail,
    NotSupported,
    /// Stripe waits for the customer to authenticate (3-D Secure) in the page, with Stripe.js
    /// and the result's `client_secret`; then [`finish`] reads the outcome.
    AwaitingAuthentication,
}

/// The variant's on hand and reserved before the scenario ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LabStock {
    pub on_hand: i64,
    pub reserved: i64,
}

/// One row of the lab's matrix.
#[derive(Clone, Debug, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LabResult {
    pub scenario: LabScenario,
    /// The test card, as the CLI names it (`visa`, `3ds`, …).
    pub card: String,
    pub sku: String,
    pub expected: LabState,
    /// `None` when the scenario could not run here, or waits for authentication.
    pub actual: Option<LabState>,
    pub order_number: Option<String>,
    pub verdict: LabVerdict,
    /// What happened, in a sentence: the decline message, the server's limitation, …
    pub note: String,
    /// The stock the outcome is measured against.
    pub before: Option<LabStock>,
    /// For Stripe.js while the verdict is [`LabVerdict::AwaitingAuthentication`].
    pub client_secret: Option<String>,
}

/// Runs `scenario` with one unit of `sku`.
///
/// With Stripe (or a server that behaves as Stripe), 3-D Secure can only be completed by the
/// customer in the page: those scenarios stop at [`LabVerdict::AwaitingAuthentication`] with
/// the intent's client secret, and [`finish`] reads the outcome once Stripe.js is done. The
/// local emulator completes it on its own endpoint, so there they run to the end here.
pub async fn run(
    shop: &Arc<Shop>,
    client: &StripeClient,
    scenario: LabScenario,
    sku: &str,
) -> Result<LabResult, Error> {
    let card = scenario.card();
    let mut result = LabResult {
        scenario,
        card: card.name().to_owned(),
        sku: sku.to_owned(),
        expected: scenario.expected(),
        actual: None,
        order_number: None,
        verdict: LabVerdict::NotSupported,
        note: String::new(),
        before: None,
        client_secret: None,
    };
    // Decided before any order exists, so an unsupported scenario leaves nothing behind.
    let payment_method = match card.payment_method(client).await {
        Ok(pm) => pm,
        Err(e @ PaymentError::NotSupportedByServer(_)) => {
            result.note = e.to_string();
            return Ok(result);
        }
        Err(e) => return Err(e.into()),
    };

    result.before = Some(stock(shop, sku).await?);
    let order = blocking(shop, {
        let sku = sku.to_owned();
        move |shop| shop.place_test_order(&[(sku, 1)], &lab_customer(), None)
    })
    .await?;
    result.order_number = Some(order.number.clone());
    let mut order = checkout::pay(shop, client, &order.number, &payment_method).await?;
    let mut notes = Vec::new();
    match scenario {
        _ if scenario.is_3ds() && order.payment_status == PaymentStatus::RequiresAction => {
            if client.server_kind() == ServerKind::Stripe {
                let intent = intent_of(client, &order).await?;
                result.client_secret = intent.client_secret;
                result.verdict = LabVerdict::AwaitingAuthentication;
                result.note = format!(
                    "The bank asks for 3-D Secure: {} it in the window Stripe opens.",
                    if scenario == LabScenario::ThreeDSecurePassed {
                        "complete"
                    } else {
                        "fail"
                    }
                );
                return Ok(result);
            }
            order = emulator_authenticate(shop, client, &order, scenario).await?;
        }
        LabScenario::DuplicateConfirm => {
            notes.push(confirm_again(shop, client, &order, &payment_method).await?);
            // The repeat's answer goes through the pipeline too: paid twice is paid once.
            order = checkout::refresh(shop, client, &order.number).await?;
        }
        LabScenario::Refund if order.payment_status == PaymentStatus::Paid => {
            order = checkout::refund(shop, client, &order.number, None, true).await?;
        }
        LabScenario::Dispute if order.payment_status == PaymentStatus::Paid => {
            order = wait_for_dispute(shop, client, &order.number).await?;
        }
        _ => {}
    }
    judge(shop, result, &order, notes).await
}

/// Reads the outcome of a scenario that waited for the customer to authenticate in the page.
pub async fn finish(
    shop: &Arc<Shop>,
    client: &StripeClient,
    mut result: LabResult,
) -> Result<LabResult, Error> {
    let number = result
        .order_number
        .clone()
        .ok_or_else(|| Error::invalid("this lab result has no order to finish"))?;
    let order = checkout::refresh(shop, client, &number).await?;
    result.client_secret = None;
    judge(shop, result, &order, Vec::new()).await
}

/// Compares what happened with what should have.
async fn judge(
    shop: &Arc<Shop>,
    mut result: LabResult,
    order: &Order,
    mut notes: Vec<String>,
) -> Result<LabResult, Error> {
    let before = result
        .before
        .ok_or_else(|| Error::invalid("this lab result has no stock to compare with"))?;
    let after = stock(shop, &result.sku).await?;
    let actual = LabState {
        payment_status: order.payment_status,
        on_hand_change: after.on_hand - before.on_hand,
        reserved_change: after.reserved - before.reserved,
        disputed: order.dispute.is_some(),
    };
    if let Some(event) = order.events.last() {
        notes.insert(0, event.message.clone());
    }
    result.verdict = if actual == result.expected {
        LabVerdict::Pass
    } else {
        LabVerdict::Fail
    };
    result.actual = Some(actual);
    result.note = notes.join(" ");
    tracing::info!(scenario = ?result.scenario, order = order.number, verdict = ?result.verdict, "lab scenario run");
    Ok(result)
}

/// How long the lab waits for Stripe to open the dispute of a disputed test payment: Stripe
/// does it a few seconds after the payment.
const DISPUTE_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Catches up with Stripe's events until the order has its dispute, or [`DISPUTE_WAIT`] passed.
async fn wait_for_dispute(
    shop: &Arc<Shop>,
    client: &StripeClient,
    number: &str,
) -> Result<Order, Error> {
    let deadline = tokio::time::Instant::now() + DISPUTE_WAIT;
    loop {
        checkout::sync_events(shop, client).await?;
        let order = blocking(shop, {
            let number = number.to_owned();
            move |shop| shop.order(&number)
        })
        .await?;
        if order.dispute.is_some() || tokio::time::Instant::now() >= deadline {
            return Ok(order);
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// The variant the lab buys: the one on sale with the most units available, so the lab
/// leaves the shop's scarce stock alone.
pub fn sample_sku(shop: &Shop) -> Result<String, Error> {
    shop.conn()
        .query_row(
            "SELECT v.sku FROM variants v
             JOIN products p ON p.id = v.product_id
             JOIN variant_stock s ON s.variant_id = v.id
             WHERE p.status = 'active' AND s.available > 0
             ORDER BY s.available DESC, v.id
             LIMIT 1",
            [],
            |row| row.get(0),
        )
        .optional()?
        .ok_or_else(|| Error::invalid("no product on sale has stock to run the lab with"))
}

/// The order's PaymentIntent as Stripe has it now.
async fn intent_of(client: &StripeClient, order: &Order) -> Result<PaymentIntent, Error> {
    let intent_id = order
        .payment_intent_id
        .as_deref()
        .ok_or_else(|| Error::invalid("the order has no PaymentIntent to authenticate"))?;
    Ok(client.retrieve_payment_intent(intent_id).await?)
}

/// Completes or fails the 3-D Secure challenge the way the emulator's Stripe.js would, then
/// reads the payment back.
async fn emulator_authenticate(
    shop: &Arc<Shop>,
    client: &StripeClient,
    order: &Order,
    scenario: LabScenario,
) -> Result<Order, Error> {
    let intent = intent_of(client, order).await?;
    let secret = intent.client_secret.as_deref().unwrap_or_default();
    let success = scenario == LabScenario::ThreeDSecurePassed;
    client
        .emulator_authenticate_3ds(&intent.id, secret, success)
        .await?;
    checkout::refresh(shop, client, &order.number).await
}

/// Sends the order's last confirmation again with the same idempotency key, and says what the
/// server made of it.
async fn confirm_again(
    shop: &Arc<Shop>,
    client: &StripeClient,
    order: &Order,
    payment_method: &str,
) -> Result<String, Error> {
    let intent_id = order
        .payment_intent_id
        .as_deref()
        .ok_or_else(|| Error::invalid("the order has no PaymentIntent to confirm again"))?;
    let key = checkout::idempotency_key(
        shop,
        checkout::confirm_key(order.id, order.payment_attempts),
    )
    .await?;
    Ok(
        match client
            .confirm_payment_intent(intent_id, Some(payment_method), &key)
            .await
        {
            Ok(_) => "The repeated confirmation was answered from the first one \
                      (idempotent replay)."
                .to_owned(),
            // localstripe ignores Idempotency-Key and refuses to confirm a paid intent again:
            // still no second charge, which is what the order and the stock show.
            Err(PaymentError::Rejected { status, .. }) => format!(
                "The server refused the repeated confirmation (HTTP {status}) instead of \
                 replaying the first answer; nothing was charged twice."
            ),
            Err(e) => return Err(e.into()),
        },
    )
}

fn lab_customer() -> CustomerDetails {
    CustomerDetails {
        email: LAB_EMAIL.to_owned(),
        name: "Checkout Lab".to_owned(),
        address: Address {
            line1: "1 Test Street".to_owned(),
            line2: String::new(),
            city: "Testville".to_owned(),
            postal_code: "12345".to_owned(),
            country: "US".to_owned(),
        },
    }
}

async fn stock(shop: &Arc<Shop>, sku: &str) -> Result<LabStock, Error> {
    let sku = sku.to_owned();
    let level = blocking(shop, move |shop| shop.stock_level(&sku)).await?;
    Ok(LabStock {
        on_hand: level.on_hand,
        reserved: level.reserved,
    })
}

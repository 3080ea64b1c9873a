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
use crate::payments::{PaymentError, ServerKind, StripeClient};
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
    ThreeDSecurePassed,
    ThreeDSecureFailed,
    /// The same confirmation sent twice with one idempotency key: charged once.
    DuplicateConfirm,
}

impl LabScenario {
    pub const ALL: [LabScenario; 7] = [
        LabScenario::Success,
        LabScenario::GenericDecline,
        LabScenario::ChargeDeclined,
        LabScenario::InsufficientFunds,
        LabScenario::ThreeDSecurePassed,
        LabScenario::ThreeDSecureFailed,
        LabScenario::DuplicateConfirm,
    ];

    fn card(self) -> TestCard {
        match self {
            LabScenario::Success | LabScenario::DuplicateConfirm => TestCard::Visa,
            LabScenario::GenericDecline => TestCard::Declined,
            LabScenario::ChargeDeclined => TestCard::ChargeDeclined,
            LabScenario::InsufficientFunds => TestCard::InsufficientFunds,
            LabScenario::ThreeDSecurePassed | LabScenario::ThreeDSecureFailed => {
                TestCard::ThreeDSecure
            }
        }
    }

    /// What the pipeline must end with: paid and one unit sold, or failed and nothing sold.
    pub fn expected(self) -> LabState {
        let paid = matches!(
            self,
            LabScenario::Success | LabScenario::ThreeDSecurePassed | LabScenario::DuplicateConfirm
        );
        LabState {
            payment_status: if paid {
                PaymentStatus::Paid
            } else {
                PaymentStatus::Failed
            },
            on_hand_change: if paid { -1 } else { 0 },
            reserved_change: 0,
        }
    }
}

/// The order's payment status and how the variant's stock moved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LabState {
    pub payment_status: PaymentStatus,
    pub on_hand_change: i64,
    pub reserved_change: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum LabVerdict {
    Pass,
    Fail,
    NotSupported,
}

/// One row of the lab's matrix.
#[derive(Clone, Debug, Serialize, TS)]
#[ts(export)]
pub struct LabResult {
    pub scenario: LabScenario,
    /// The test card, as the CLI names it (`visa`, `3ds`, …).
    pub card: String,
    pub expected: LabState,
    /// `None` when the scenario could not run here.
    pub actual: Option<LabState>,
    pub order_number: Option<String>,
    pub verdict: LabVerdict,
    /// What happened, in a sentence: the decline message, the server's limitation, …
    pub note: String,
}

/// Runs `scenario` with one unit of `sku`.
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
        expected: scenario.expected(),
        actual: None,
        order_number: None,
        verdict: LabVerdict::NotSupported,
        note: String::new(),
    };
    // Decided before any order exists, so an unsupported scenario leaves nothing behind.
    let is_3ds = matches!(
        scenario,
        LabScenario::ThreeDSecurePassed | LabScenario::ThreeDSecureFailed
    );
    if is_3ds && client.server_kind() != ServerKind::Emulator {
        result.note = "Stripe asks for 3-D Secure in the customer's browser: run this one \
                       from the storefront with the 3-D Secure test card"
            .to_owned();
        return Ok(result);
    }
    let payment_method = match card.payment_method(client).await {
        Ok(pm) => pm,
        Err(e @ PaymentError::NotSupportedByServer(_)) => {
            result.note = e.to_string();
            return Ok(result);
        }
        Err(e) => return Err(e.into()),
    };

    let before = stock(shop, sku).await?;
    let order = blocking(shop, {
        let sku = sku.to_owned();
        move |shop| shop.place_order(&[(sku, 1)], &lab_customer(), None)
    })
    .await?;
    result.order_number = Some(order.number.clone());
    let mut order = checkout::pay(shop, client, &order.number, &payment_method).await?;
    let mut notes = Vec::new();
    match scenario {
        LabScenario::ThreeDSecurePassed | LabScenario::ThreeDSecureFailed => {
            order = authenticate(shop, client, &order, scenario).await?;
        }
        LabScenario::DuplicateConfirm => {
            notes.push(confirm_again(client, &order, &payment_method).await?);
            // The repeat's answer goes through the pipeline too: paid twice is paid once.
            order = checkout::refresh(shop, client, &order.number).await?;
        }
        _ => {}
    }
    let after = stock(shop, sku).await?;
    let actual = LabState {
        payment_status: order.payment_status,
        on_hand_change: after.0 - before.0,
        reserved_change: after.1 - before.1,
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
    tracing::info!(?scenario, order = order.number, verdict = ?result.verdict, "lab scenario run");
    Ok(result)
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

/// Completes or fails the 3-D Secure challenge the way the emulator's Stripe.js would, then
/// reads the payment back.
async fn authenticate(
    shop: &Arc<Shop>,
    client: &StripeClient,
    order: &Order,
    scenario: LabScenario,
) -> Result<Order, Error> {
    if order.payment_status != PaymentStatus::RequiresAction {
        return Ok(order.clone());
    }
    let intent_id = order
        .payment_intent_id
        .as_deref()
        .ok_or_else(|| Error::invalid("the order has no PaymentIntent to authenticate"))?;
    let intent = client.retrieve_payment_intent(intent_id).await?;
    let secret = intent.client_secret.as_deref().unwrap_or_default();
    let success = scenario == LabScenario::ThreeDSecurePassed;
    client
        .emulator_authenticate_3ds(intent_id, secret, success)
        .await?;
    checkout::refresh(shop, client, &order.number).await
}

/// Sends the order's last confirmation again with the same idempotency key, and says what the
/// server made of it.
async fn confirm_again(
    client: &StripeClient,
    order: &Order,
    payment_method: &str,
) -> Result<String, Error> {
    let intent_id = order
        .payment_intent_id
        .as_deref()
        .ok_or_else(|| Error::invalid("the order has no PaymentIntent to confirm again"))?;
    let key = checkout::confirm_key(order.id, order.payment_attempts);
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

/// On hand and reserved.
async fn stock(shop: &Arc<Shop>, sku: &str) -> Result<(i64, i64), Error> {
    let sku = sku.to_owned();
    let level = blocking(shop, move |shop| shop.stock_level(&sku)).await?;
    Ok((level.on_hand, level.reserved))
}

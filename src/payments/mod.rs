//! Payments through Stripe in test mode: a [`StripeClient`] for PaymentIntents, refunds and
//! events, and [`webhook`] signature checks.
//!
//! The client talks to any Stripe-compatible server at a base URL: api.stripe.com, or
//! localstripe on this machine for tests and the demo. It only ever accepts test keys.
//!
//! Requests are built with async-stripe's typed builders and sent by its client; responses are
//! parsed here, leniently, into our own types ([`PaymentIntent`], [`Refund`], [`Event`]):
//! async-stripe's typed responses do not parse localstripe's objects, and a payment that
//! happened must never look like a failure because a field was missing.
//!
//! The one rule for callers: [`PaymentError::OutcomeUnknown`] means "it may or may not have
//! happened". Read the PaymentIntent back ([`StripeClient::retrieve_payment_intent`]) and act on
//! what it says; never mark a payment failed on that error.

mod client;
mod config;
pub(crate) mod idempotency;
mod types;
pub mod webhook;

pub use client::{DEFAULT_API_BASE, DEFAULT_TIMEOUT, EventPage, ServerKind, StripeClient};
pub use config::{ConfigSource, StripeConfigUpdate, StripeStatus};
pub use types::{
    CardSummary, Decline, Dispute, Event, Outcome, PaymentIntent, PaymentIntentStatus,
    PaymentMethod, Refund, RefundStatus,
};
pub use webhook::SignatureError;

/// What can go wrong talking to Stripe, in terms the order pipeline can act on.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error(
        "live Stripe keys are refused: Flagshop only runs test payments; use a secret test key \
         (sk_test_… or rk_test_…)"
    )]
    LiveKeyRefused,
    #[error("not a Stripe secret test key: expected one that starts with sk_test_ or rk_test_")]
    NotATestKey,
    #[error(
        "no Stripe key: add a secret test key (sk_test_…) in Settings, or set STRIPE_SECRET_KEY"
    )]
    MissingKey,
    #[error("\"{0}\" is not a usable Stripe API base URL (expected e.g. https://api.stripe.com)")]
    BadBaseUrl(String),
    #[error("invalid idempotency key: {0}")]
    BadIdempotencyKey(String),
    /// The card was declined (HTTP 402): nothing was charged.
    #[error("payment declined: {0}")]
    Declined(Decline),
    /// The request may or may not have taken effect (timeout, connection lost, server error,
    /// or an answer that could not be read after a POST). Re-fetch before deciding anything.
    #[error(
        "no clear answer from the Stripe server ({reason}): the payment must be read back \
         before deciding"
    )]
    OutcomeUnknown { reason: String },
    /// No attempt reached the server (connection refused, name not resolved): the request
    /// was never sent, so for certain nothing happened there.
    #[error("cannot reach the Stripe server at {base} ({reason}): nothing was sent")]
    NotSent { base: String, reason: String },
    /// A read failed after retries; nothing was changed.
    #[error("cannot reach the Stripe server at {base}: {reason}")]
    Unreachable { base: String, reason: String },
    /// The server refused the request (bad parameters, unknown id, bad key…).
    #[error("the Stripe server refused the request (HTTP {status}): {message}")]
    Rejected {
        status: u16,
        code: Option<String>,
        message: String,
    },
    /// A test helper that only a Stripe emulator such as localstripe offers.
    #[error("{0} is not supported by this Stripe server")]
    NotSupportedByServer(&'static str),
    #[error("unexpected answer from the Stripe server: {0}")]
    UnexpectedResponse(String),
}

impl PaymentError {
    /// True when the server said the object does not exist (HTTP 404).
    pub fn is_not_found(&self) -> bool {
        matches!(self, PaymentError::Rejected { status: 404, .. })
    }
}

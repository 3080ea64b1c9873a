//! The Stripe client: test keys only, a timeout on every attempt, safe retries, and an
//! explicit "outcome unknown" instead of a guess.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError};
use stripe_client_core::{RequestBuilder, StripeMethod, StripeRequest};
use stripe_core::payment_intent::{
    CancelPaymentIntent, ConfirmPaymentIntent, CreatePaymentIntent,
    CreatePaymentIntentAutomaticPaymentMethods,
    CreatePaymentIntentAutomaticPaymentMethodsAllowRedirects, RetrievePaymentIntent,
    UpdatePaymentIntent,
};
use stripe_core::refund::{CreateRefund, ListRefund, RetrieveRefund};
use tracing::Instrument;

use super::PaymentError;
use super::types::{Decline, Dispute, Event, Outcome, PaymentIntent, PaymentMethod, Refund};
use crate::money::Money;

/// Stripe's own API, used when `STRIPE_API_BASE` is not set.
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";

/// How long one attempt may take, answer included, before it counts as failed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// Attempts per request when the network or the server fails: the first and two retries.
const ATTEMPTS: u32 = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// Which dialect the server speaks, and so which code paths the client takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// Stripe's current API: api.stripe.com, or a test server that behaves exactly like it
    /// (`STRIPE_SERVER_KIND=stripe`).
    Stripe,
    /// localstripe, a Stripe emulator for tests and the demo that speaks the 2017 API: it
    /// refuses `description` and `automatic_payment_methods`, knows some test cards only by
    /// number, and completes 3-D Secure through its own endpoint.
    Emulator,
}

impl ServerKind {
    /// The dialect of the server at `base` (as [`check_base`] returns it): Stripe's own host is
    /// Stripe, anything else an emulator.
    pub fn of(base: &str) -> ServerKind {
        if is_stripe_host(base) {
            ServerKind::Stripe
        } else {
            ServerKind::Emulator
        }
    }
}

/// One page of `GET /v1/events`, in the server's order.
#[derive(Debug, Clone)]
pub struct EventPage {
    pub events: Vec<Event>,
    /// More events match beyond this page (continue with `starting_after` the last one).
    pub has_more: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyKind {
    Secret,
    Restricted,
}

/// A client for one Stripe account in test mode.
///
/// Cheap to clone; safe to share between tasks. Its `Debug` output never shows the key.
#[derive(Clone)]
pub struct StripeClient {
    http: Client,
    base: String,
    server: ServerKind,
    key: KeyKind,
    timeout: Duration,
}

impl fmt::Debug for StripeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = match self.key {
            KeyKind::Secret => "sk_test_[redacted]",
            KeyKind::Restricted => "rk_test_[redacted]",
        };
        f.debug_struct("StripeClient")
            .field("base", &self.base)
            .field("server", &self.server)
            .field("key", &key)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl StripeClient {
    /// A client for the server at `base_url` (e.g. `https://api.stripe.com` or
    /// `http://127.0.0.1:8420`) with a secret or restricted **test** key.
    ///
    /// Fails before any request with [`PaymentError::LiveKeyRefused`] for a live key,
    /// [`PaymentError::NotATestKey`] for anything else that is not `sk_test_…`/`rk_test_…`
    /// (a publishable key, a webhook secret…), and [`PaymentError::BadBaseUrl`] for a URL
    /// that is not `http(s)://host[:port]`.
    pub fn new(base_url: &str, secret_key: &str) -> Result<StripeClient, PaymentError> {
        let key = check_key(secret_key)?;
        let base = check_base(base_url)?;
        let server = ServerKind::of(&base);
        let http = ClientBuilder::new(secret_key)
            .url(format!("{base}/"))
            .build()
            .map_err(|_| PaymentError::BadBaseUrl(base_url.to_owned()))?;
        Ok(StripeClient {
            http,
            base,
            server,
            key,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// The same client speaking `kind`'s dialect whatever its host: a local test server that
    /// behaves as today's Stripe is driven exactly as api.stripe.com is.
    pub fn speaking(mut self, kind: ServerKind) -> StripeClient {
        self.server = kind;
        self
    }

    /// The same client with another per-attempt timeout (default [`DEFAULT_TIMEOUT`]).
    pub fn with_timeout(mut self, timeout: Duration) -> StripeClient {
        self.timeout = timeout;
        self
    }

    /// The server's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn server_kind(&self) -> ServerKind {
        self.server
    }

    /// Checks that the server answers and accepts the key ("Test connection"): reads the
    /// account balance, which changes nothing.
    pub async fn account_check(&self) -> Result<(), PaymentError> {
        self.send(|| RequestBuilder::new(StripeMethod::Get, "/balance"), None)
            .await
            .map(drop)
    }

    /// Creates a PaymentIntent for `amount` with `metadata` (e.g. the order id and number),
    /// to be confirmed later. `idempotency_key` should be derived from the order and the
    /// attempt, so that a retried call never creates a second intent.
    ///
    /// Cards only, confirmed in the page or by the backend, with 3-D Secure handled in the
    /// page by Stripe.js: automatic payment methods without redirects, which Stripe asks for
    /// since API version 2023-08-16 when a confirmation carries no `return_url`
    /// (https://docs.stripe.com/upgrades#2023-08-16).
    ///
    /// localstripe refuses Stripe's `description` and `automatic_payment_methods` fields; on an
    /// emulator the description is sent as `metadata["description"]` and the other left out.
    pub async fn create_payment_intent(
        &self,
        amount: Money,
        description: &str,
        metadata: &[(&str, &str)],
        idempotency_key: &str,
    ) -> Result<PaymentIntent, PaymentError> {
        let key = idempotency(idempotency_key)?;
        let mut meta: HashMap<String, String> = metadata
            .iter()
            .map(|&(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let Ok(currency) = amount
            .currency
            .code()
            .to_ascii_lowercase()
            .parse::<stripe_types::Currency>();
        let mut request =
            CreatePaymentIntent::new(amount.amount, currency).expand(expand_payment_method());
        match self.server {
            ServerKind::Stripe => {
                let mut methods = CreatePaymentIntentAutomaticPaymentMethods::new(true);
                methods.allow_redirects =
                    Some(CreatePaymentIntentAutomaticPaymentMethodsAllowRedirects::Never);
                request = request
                    .description(description)
                    .automatic_payment_methods(methods);
            }
            ServerKind::Emulator => {
                meta.insert("description".to_owned(), description.to_owned());
            }
        }
        if !meta.is_empty() {
            request = request.metadata(meta);
        }
        let json = self.send(|| request.build(), Some(&key)).await?;
        parse(&json, PaymentIntent::from_json)
    }

    /// Confirms the PaymentIntent `id`, first attaching `payment_method` when given (a
    /// PaymentMethod id such as `pm_card_visa`, or one made by Stripe.js).
    ///
    /// A declined card is `Ok(Outcome::Declined)`, not an error. Errors: [`PaymentError::
    /// OutcomeUnknown`] when it may or may not have been charged (re-fetch), and
    /// [`PaymentError::Rejected`] when the server refused (e.g. the intent is already paid).
    pub async fn confirm_payment_intent(
        &self,
        id: &str,
        payment_method: Option<&str>,
        idempotency_key: &str,
    ) -> Result<Outcome, PaymentError> {
        let key = idempotency(idempotency_key)?;
        if let Some(payment_method) = payment_method {
            // Attach, then confirm: localstripe does not take a payment method on confirm,
            // and two steps are just as valid on Stripe.
            let attach_key = idempotency(&format!("{idempotency_key}:attach"))?;
            let update = UpdatePaymentIntent::new(id).payment_method(payment_method);
            self.send(|| update.build(), Some(&attach_key)).await?;
        }
        let confirm = ConfirmPaymentIntent::new(id).expand(expand_payment_method());
        match self.send(|| confirm.build(), Some(&key)).await {
            Ok(json) => parse(&json, PaymentIntent::from_json).map(Outcome::from_intent),
            Err(PaymentError::Declined(mut decline)) => {
                decline.payment_intent.get_or_insert_with(|| id.to_owned());
                Ok(Outcome::Declined(decline))
            }
            Err(other) => Err(other),
        }
    }

    /// Reads the PaymentIntent `id` as the server has it now.
    pub async fn retrieve_payment_intent(&self, id: &str) -> Result<PaymentIntent, PaymentError> {
        let request = RetrievePaymentIntent::new(id).expand(expand_payment_method());
        let json = self.send(|| request.build(), None).await?;
        parse(&json, PaymentIntent::from_json)
    }

    /// Cancels (voids) the PaymentIntent `id`, so that no later confirmation can charge it.
    /// The server refuses ([`PaymentError::Rejected`]) an intent that succeeded or is being
    /// processed: read it back and act on what it says.
    pub async fn cancel_payment_intent(
        &self,
        id: &str,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, PaymentError> {
        let key = idempotency(idempotency_key)?;
        // No `expand`: localstripe refuses any parameter on cancel.
        let request = CancelPaymentIntent::new(id);
        let json = self.send(|| request.build(), Some(&key)).await?;
        parse(&json, PaymentIntent::from_json)
    }

    /// **Emulator only** (localstripe's `/_authenticate`, what its fake Stripe.js calls):
    /// passes (`success`) or fails the 3-D Secure challenge of a `requires_action` intent.
    /// With real Stripe the customer does this in Stripe.js; this returns
    /// [`PaymentError::NotSupportedByServer`] there.
    pub async fn emulator_authenticate_3ds(
        &self,
        id: &str,
        client_secret: &str,
        success: bool,
    ) -> Result<PaymentIntent, PaymentError> {
        #[derive(Serialize)]
        struct Form<'a> {
            client_secret: &'a str,
            success: bool,
            expand: Vec<String>,
        }
        self.emulator_only("3-D Secure authentication from the server side")?;
        let form = Form {
            client_secret,
            success,
            expand: expand_payment_method(),
        };
        let path = format!("/payment_intents/{id}/_authenticate");
        let json = self
            .send(
                || RequestBuilder::new(StripeMethod::Post, &path).form(&form),
                None,
            )
            .await?;
        parse(&json, PaymentIntent::from_json)
    }

    /// **Emulator only**: a card PaymentMethod from a test card number, for the cards
    /// localstripe knows only by number (e.g. 3-D Secure `4000002500003155`, declined on
    /// charge `4000000000000341`). Card numbers never go to real Stripe from the backend:
    /// returns [`PaymentError::NotSupportedByServer`] there.
    pub async fn emulator_card_payment_method(
        &self,
        number: &str,
        exp_month: u8,
        exp_year: u16,
        cvc: &str,
    ) -> Result<PaymentMethod, PaymentError> {
        #[derive(Serialize)]
        struct Card<'a> {
            number: &'a str,
            exp_month: u8,
            exp_year: u16,
            cvc: &'a str,
        }
        #[derive(Serialize)]
        struct Form<'a> {
            #[serde(rename = "type")]
            kind: &'a str,
            card: Card<'a>,
        }
        self.emulator_only("creating a payment method from a card number")?;
        let form = Form {
            kind: "card",
            card: Card {
                number,
                exp_month,
                exp_year,
                cvc,
            },
        };
        let json = self
            .send(
                || RequestBuilder::new(StripeMethod::Post, "/payment_methods").form(&form),
                None,
            )
            .await?;
        parse(&json, PaymentMethod::from_json)
    }

    /// Refunds `amount_minor` (in the payment's currency), or all that is left when `None`,
    /// of the PaymentIntent `payment_intent`.
    ///
    /// The server may allow refunding more than was paid (localstripe does): the caller
    /// enforces "never more than paid minus already refunded" before calling.
    pub async fn create_refund(
        &self,
        payment_intent: &str,
        amount_minor: Option<i64>,
        idempotency_key: &str,
    ) -> Result<Refund, PaymentError> {
        let key = idempotency(idempotency_key)?;
        let mut request = CreateRefund::new().payment_intent(payment_intent);
        if let Some(amount) = amount_minor {
            request = request.amount(amount);
        }
        let json = self.send(|| request.build(), Some(&key)).await?;
        parse(&json, Refund::from_json)
    }

    /// Reads the refund `id` as the server has it now.
    pub async fn retrieve_refund(&self, id: &str) -> Result<Refund, PaymentError> {
        let request = RetrieveRefund::new(id);
        let json = self.send(|| request.build(), None).await?;
        parse(&json, Refund::from_json)
    }

    /// The refunds of the PaymentIntent `payment_intent` as the server has them now, newest
    /// first: up to 100, far more than one order ever has.
    pub async fn list_refunds(&self, payment_intent: &str) -> Result<Vec<Refund>, PaymentError> {
        let request = ListRefund::new().payment_intent(payment_intent).limit(100);
        let json = self.send(|| request.build(), None).await?;
        list_data(&json, "refund")?
            .iter()
            .map(Refund::from_json)
            .collect::<Result<_, _>>()
            .map_err(PaymentError::UnexpectedResponse)
    }

    /// One page of up to `limit` (1 to 100) events created after Unix time `created_after`,
    /// continuing after the event `starting_after`, in the server's order: Stripe lists
    /// newest first and pages back in time (https://docs.stripe.com/api/events/list);
    /// localstripe lists oldest first and pages forward. Either way, following `starting_after`
    /// the last event while `has_more` lists every matching event once.
    pub async fn list_events(
        &self,
        created_after: Option<i64>,
        starting_after: Option<&str>,
        limit: u8,
    ) -> Result<EventPage, PaymentError> {
        #[derive(Serialize)]
        struct Created {
            gt: i64,
        }
        #[derive(Serialize)]
        struct Query<'a> {
            limit: u8,
            #[serde(skip_serializing_if = "Option::is_none")]
            created: Option<Created>,
            #[serde(skip_serializing_if = "Option::is_none")]
            starting_after: Option<&'a str>,
        }
        let query = Query {
            limit: limit.clamp(1, 100),
            created: created_after.map(|gt| Created { gt }),
            starting_after,
        };
        let json = self
            .send(
                || RequestBuilder::new(StripeMethod::Get, "/events").query(&query),
                None,
            )
            .await?;
        let events = list_data(&json, "event")?
            .iter()
            .map(Event::from_json)
            .collect::<Result<Vec<_>, _>>()
            .map_err(PaymentError::UnexpectedResponse)?;
        Ok(EventPage {
            events,
            has_more: json.get("has_more").and_then(Value::as_bool) == Some(true),
        })
    }

    /// Reads the dispute `id` as the server has it now.
    pub async fn retrieve_dispute(&self, id: &str) -> Result<Dispute, PaymentError> {
        let path = format!("/disputes/{id}");
        let json = self
            .send(|| RequestBuilder::new(StripeMethod::Get, &path), None)
            .await?;
        parse(&json, Dispute::from_json)
    }

    /// The PaymentIntent the charge `id` belongs to, if any.
    pub async fn payment_intent_of_charge(&self, id: &str) -> Result<Option<String>, PaymentError> {
        let path = format!("/charges/{id}");
        let json = self
            .send(|| RequestBuilder::new(StripeMethod::Get, &path), None)
            .await?;
        Ok(super::types::id_of(json.get("payment_intent")))
    }

    fn emulator_only(&self, what: &'static str) -> Result<(), PaymentError> {
        match self.server {
            ServerKind::Emulator => Ok(()),
            ServerKind::Stripe => Err(PaymentError::NotSupportedByServer(what)),
        }
    }

    /// Sends a request, retrying when that is safe, and returns the answer as JSON.
    ///
    /// Retried (with the same idempotency key, so the server applies it at most once):
    /// connection errors, timeouts, 409/429/5xx, for reads and for POSTs that carry a key.
    /// A POST that fails that way on every attempt, or whose answer cannot be read, ends in
    /// [`PaymentError::OutcomeUnknown`].
    async fn send(
        &self,
        build: impl Fn() -> RequestBuilder,
        key: Option<&IdempotencyKey>,
    ) -> Result<Value, PaymentError> {
        let first = build();
        let method = first.method;
        let writes = !matches!(method, StripeMethod::Get);
        let span = tracing::info_span!("stripe", ?method, path = %first.path);
        let attempts = if writes && key.is_none() { 1 } else { ATTEMPTS };
        let strategy = key.map_or(RequestStrategy::Once, |k| {
            RequestStrategy::Idempotent(k.clone())
        });
        async move {
            let mut request = Some(first);
            let mut reason = String::new();
            // Whether any attempt may have reached the server: if none did, a write failed for
            // certain and nothing needs to be read back.
            let mut maybe_sent = false;
            for attempt in 1..=attempts {
                if attempt > 1 {
                    tokio::time::sleep(FIRST_BACKOFF * 2u32.pow(attempt - 2)).await;
                }
                let result = request
                    .take()
                    .unwrap_or_else(&build)
                    .customize::<miniserde::json::Value>()
                    .request_strategy(strategy.clone())
                    .timeout(self.timeout)
                    .send(&self.http)
                    .await;
                match classify(result, writes) {
                    Attempt::Answer(json) => return Ok(json),
                    // After a try that may have reached the server, a refusal may be about what
                    // that try did (a server ignoring Idempotency-Key refuses to confirm a
                    // payment it just took): the outcome of the write is not known.
                    Attempt::Fail(
                        error @ (PaymentError::Rejected { .. } | PaymentError::Declined(_)),
                    ) if writes && maybe_sent => {
                        return Err(PaymentError::OutcomeUnknown {
                            reason: format!("{error}, after an earlier try that got no answer"),
                        });
                    }
                    Attempt::Fail(error) => return Err(error),
                    Attempt::Retry { why, sent } => {
                        tracing::warn!(attempt, reason = %why, "Stripe request failed");
                        reason = why;
                        maybe_sent |= sent;
                    }
                }
            }
            Err(if writes && !maybe_sent {
                PaymentError::NotSent {
                    base: self.base.clone(),
                    reason,
                }
            } else if writes {
                PaymentError::OutcomeUnknown { reason }
            } else {
                PaymentError::Unreachable {
                    base: self.base.clone(),
                    reason,
                }
            })
        }
        .instrument(span)
        .await
    }
}

enum Attempt {
    Answer(Value),
    /// Worth another try; `sent` when the request may have reached the server.
    Retry {
        why: String,
        sent: bool,
    },
    Fail(PaymentError),
}

impl Attempt {
    fn retry(why: String) -> Attempt {
        Attempt::Retry { why, sent: true }
    }
}

fn classify(result: Result<miniserde::json::Value, StripeError>, writes: bool) -> Attempt {
    let unreadable = |what: String| {
        if writes {
            Attempt::Fail(PaymentError::OutcomeUnknown { reason: what })
        } else {
            Attempt::retry(what)
        }
    };
    match result {
        Ok(value) => {
            // miniserde is what async-stripe parses with; serde_json is what we work with.
            let text = miniserde::json::to_string(&value);
            match serde_json::from_str(&text) {
                Ok(json) => Attempt::Answer(json),
                Err(e) => unreadable(format!("unreadable answer: {e}")),
            }
        }
        Err(StripeError::Stripe(error, status)) => {
            let code = error.code.as_ref().map(|c| c.as_str().to_owned());
            match status {
                402 => Attempt::Fail(PaymentError::Declined(Decline {
                    code,
                    decline_code: error.decline_code.clone(),
                    message: error.message.clone(),
                    payment_intent: error.payment_intent.as_ref().map(|pi| pi.id.to_string()),
                    charge: error.charge.clone(),
                })),
                409 | 429 | 500..=599 => Attempt::retry(format!(
                    "HTTP {status}: {}",
                    error.message.as_deref().unwrap_or("no message")
                )),
                _ => Attempt::Fail(PaymentError::Rejected {
                    status,
                    code,
                    message: error
                        .message
                        .clone()
                        .unwrap_or_else(|| "no message".to_owned()),
                }),
            }
        }
        // A body (error or not) that async-stripe could not parse, including a 5xx page that
        // is not JSON: after a POST, the server may have acted.
        Err(StripeError::JSONDeserialize(what)) => unreadable(what),
        Err(StripeError::Timeout) => Attempt::retry("timed out".to_owned()),
        // hyper-util reports a failure to connect (refused, unreachable, name not resolved, TLS
        // handshake) as its `Connect` kind, before a byte of the request was written; async-
        // stripe passes only its text on. Anything else may have reached the server.
        Err(StripeError::ClientError(what)) => Attempt::Retry {
            sent: !what.contains("(Connect)"),
            why: what,
        },
        Err(StripeError::ConfigError(what)) => {
            Attempt::Fail(PaymentError::UnexpectedResponse(what))
        }
    }
}

fn parse<T>(json: &Value, from_json: fn(&Value) -> Result<T, String>) -> Result<T, PaymentError> {
    // The server answered 2xx, so whatever it did is done; an answer we cannot read means we
    // do not know what that was.
    from_json(json).map_err(|reason| PaymentError::OutcomeUnknown { reason })
}

/// The `data` of a list envelope (`{"object": "list", "data": [...], "has_more": …}`).
fn list_data<'a>(json: &'a Value, what: &str) -> Result<&'a Vec<Value>, PaymentError> {
    json.get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| PaymentError::UnexpectedResponse(format!("a {what} list without data")))
}

fn expand_payment_method() -> Vec<String> {
    vec!["payment_method".to_owned()]
}

fn idempotency(key: &str) -> Result<IdempotencyKey, PaymentError> {
    IdempotencyKey::new(key).map_err(|e| PaymentError::BadIdempotencyKey(e.to_string()))
}

pub(super) fn check_key(key: &str) -> Result<KeyKind, PaymentError> {
    let key = key.trim();
    if key.starts_with("sk_live_") || key.starts_with("rk_live_") || key.starts_with("pk_live_") {
        return Err(PaymentError::LiveKeyRefused);
    }
    let kind = if key.starts_with("sk_test_") {
        KeyKind::Secret
    } else if key.starts_with("rk_test_") {
        KeyKind::Restricted
    } else {
        return Err(PaymentError::NotATestKey);
    };
    let rest = &key["sk_test_".len()..];
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(PaymentError::NotATestKey);
    }
    Ok(kind)
}

/// True for Stripe's own API (`https://api.stripe.com`, on its default port or not): compared
/// by scheme, host and port, never as a string.
pub(super) fn is_stripe_host(base: &str) -> bool {
    let Some(authority) = base.trim().trim_end_matches('/').strip_prefix("https://") else {
        return false;
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    host.eq_ignore_ascii_case("api.stripe.com") && matches!(port, None | Some("443"))
}

/// True for a server on this machine (`localhost`, `127.x.x.x`, `[::1]`), such as a local
/// Stripe emulator: the only other place the owner may point the app at from Settings.
pub(super) fn is_loopback(base: &str) -> bool {
    let Some((_, authority)) = base.trim().trim_end_matches('/').split_once("://") else {
        return false;
    };
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or("", |(host, _)| host),
        None => authority.split(':').next().unwrap_or(""),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

pub(super) fn check_base(base: &str) -> Result<String, PaymentError> {
    let trimmed = base.trim().trim_end_matches('/');
    let bad = || PaymentError::BadBaseUrl(base.to_owned());
    let (scheme, rest) = trimmed.split_once("://").ok_or_else(bad)?;
    // No path, query or user part: `http://127.0.0.1@elsewhere` must not pass for loopback.
    if !matches!(scheme, "http" | "https")
        || rest.is_empty()
        || rest.contains(['/', '?', '#', ' ', '@', '\\'])
    {
        return Err(bad());
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_test_secret_and_restricted_keys_are_accepted() {
        assert!(check_key("sk_test_51abcDEF").is_ok());
        assert!(check_key("rk_test_51abcDEF").is_ok());
        for live in ["sk_live_51abc", "rk_live_51abc", "pk_live_51abc"] {
            assert!(matches!(check_key(live), Err(PaymentError::LiveKeyRefused)));
        }
        for other in [
            "",
            "pk_test_51abc",
            "whsec_abc",
            "sk_test_",
            "sk_test_a b",
            "sk_test_x\nX-Evil: 1",
            "SK_TEST_abc",
        ] {
            assert!(
                matches!(check_key(other), Err(PaymentError::NotATestKey)),
                "{other:?}"
            );
        }
    }

    #[test]
    fn a_live_key_is_refused_before_the_url_is_even_looked_at() {
        assert!(matches!(
            StripeClient::new("not a url", "sk_live_abc"),
            Err(PaymentError::LiveKeyRefused)
        ));
    }

    #[test]
    fn base_urls_are_checked_and_normalised() {
        assert_eq!(
            check_base("http://127.0.0.1:8420/").expect("valid"),
            "http://127.0.0.1:8420"
        );
        for bad in [
            "127.0.0.1:8420",
            "ftp://x",
            "http://",
            "http://x/v1",
            "http://a b",
            "http://127.0.0.1@evil.example",
        ] {
            assert!(check_base(bad).is_err(), "{bad}");
        }
        let client = StripeClient::new("https://api.stripe.com/", "sk_test_abc").expect("valid");
        assert_eq!(client.server_kind(), ServerKind::Stripe);
        let client = StripeClient::new("http://127.0.0.1:1", "sk_test_abc").expect("valid");
        assert_eq!(client.server_kind(), ServerKind::Emulator);
        let client = client.speaking(ServerKind::Stripe);
        assert_eq!(client.server_kind(), ServerKind::Stripe);
    }

    #[test]
    fn loopback_servers_are_told_apart_from_the_rest() {
        for local in [
            "http://127.0.0.1:8420",
            "http://127.1.2.3",
            "http://localhost:12111",
            "https://LOCALHOST",
            "http://[::1]:8420",
        ] {
            assert!(is_loopback(local), "{local}");
        }
        for remote in [
            "http://10.0.0.5:8420",
            "http://evil.example",
            "http://localhost.evil.example",
            "http://127.0.0.1.evil.example",
            "https://api.stripe.com",
            "http://[::2]:1",
        ] {
            assert!(!is_loopback(remote), "{remote}");
        }
    }

    #[test]
    fn stripe_is_recognised_by_its_host_not_by_the_exact_string() {
        for stripe in [
            "https://api.stripe.com",
            "https://api.stripe.com/",
            "https://api.stripe.com:443",
            "https://API.Stripe.com",
        ] {
            assert_eq!(ServerKind::of(stripe), ServerKind::Stripe, "{stripe}");
        }
        for other in [
            "http://api.stripe.com",
            "https://api.stripe.com:8443",
            "https://api.stripe.com.evil.example",
            "https://evilapi.stripe.com",
            "http://127.0.0.1:8420",
        ] {
            assert_eq!(ServerKind::of(other), ServerKind::Emulator, "{other}");
        }
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let client =
            StripeClient::new("http://127.0.0.1:1", "sk_test_VerySecret123").expect("valid client");
        let shown = format!("{client:?}");
        assert!(!shown.contains("VerySecret123"), "{shown}");
        assert!(shown.contains("sk_test_[redacted]"), "{shown}");
    }

    #[test]
    fn a_decline_is_told_apart_from_an_unknown_outcome() {
        let declined: stripe::ApiErrors = miniserde::json::from_str(
            r#"{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"No."}"#,
        )
        .expect("an API error");
        let Attempt::Fail(PaymentError::Declined(decline)) =
            classify(Err(StripeError::Stripe(Box::new(declined), 402)), true)
        else {
            panic!("a 402 is a decline");
        };
        assert_eq!(decline.code.as_deref(), Some("card_declined"));
        assert_eq!(decline.decline_code.as_deref(), Some("insufficient_funds"));

        assert!(matches!(
            classify(Err(StripeError::JSONDeserialize("x".into())), true),
            Attempt::Fail(PaymentError::OutcomeUnknown { .. })
        ));
        assert!(matches!(
            classify(Err(StripeError::JSONDeserialize("x".into())), false),
            Attempt::Retry { .. }
        ));
        assert!(matches!(
            classify(Err(StripeError::Timeout), true),
            Attempt::Retry { sent: true, .. }
        ));
        assert!(matches!(
            classify(
                Err(StripeError::ClientError("client error (Connect)".into())),
                true
            ),
            Attempt::Retry { sent: false, .. }
        ));
        assert!(matches!(
            classify(
                Err(StripeError::ClientError(
                    "connection closed before message completed".into()
                )),
                true
            ),
            Attempt::Retry { sent: true, .. }
        ));
        let server: stripe::ApiErrors =
            miniserde::json::from_str(r#"{"type":"api_error","message":"boom"}"#)
                .expect("an API error");
        assert!(matches!(
            classify(Err(StripeError::Stripe(Box::new(server), 500)), true),
            Attempt::Retry { sent: true, .. }
        ));
    }
}

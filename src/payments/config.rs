//! Which Stripe server the shop talks to, and with which keys.
//!
//! The owner saves the keys in Settings; the environment (`STRIPE_API_BASE`,
//! `STRIPE_SECRET_KEY`, `STRIPE_PUBLISHABLE_KEY`, `STRIPE_WEBHOOK_SECRET`, `STRIPE_JS_URL`)
//! overrides them, so the CLI, the tests and `make run` can point the app at a local emulator.
//! Secrets stay in the core: what leaves it is a [`StripeStatus`], which names the key's kind
//! and last four characters, never the key.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::client::{check_base, check_key, is_loopback, is_stripe_host};
use super::{DEFAULT_API_BASE, PaymentError, ServerKind, StripeClient};
use crate::{Error, SettingKey, Shop};

const API_BASE: Setting = Setting {
    key: SettingKey::StripeApiBase,
    env: "STRIPE_API_BASE",
};
const SECRET_KEY: Setting = Setting {
    key: SettingKey::StripeSecretKey,
    env: "STRIPE_SECRET_KEY",
};
const PUBLISHABLE_KEY: Setting = Setting {
    key: SettingKey::StripePublishableKey,
    env: "STRIPE_PUBLISHABLE_KEY",
};
const WEBHOOK_SECRET: Setting = Setting {
    key: SettingKey::StripeWebhookSecret,
    env: "STRIPE_WEBHOOK_SECRET",
};
const WEBHOOK_PORT: Setting = Setting {
    key: SettingKey::StripeWebhookPort,
    env: "STRIPE_WEBHOOK_PORT",
};
const JS_URL: Setting = Setting {
    key: SettingKey::StripeJsUrl,
    env: "STRIPE_JS_URL",
};

/// Which dialect a server that is not api.stripe.com speaks: `stripe` for a test server that
/// behaves exactly as today's Stripe (so the app takes Stripe's own code paths with it),
/// `emulator` (the default) for localstripe. Environment only: a test or demo setup, never an
/// owner's choice.
const SERVER_KIND_ENV: &str = "STRIPE_SERVER_KIND";

/// A value the environment may override.
struct Setting {
    key: SettingKey,
    env: &'static str,
}

/// Where a value in use came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ConfigSource {
    Environment,
    Settings,
    Default,
}

/// What the owner may see of the Stripe configuration: no secret, ever.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct StripeStatus {
    pub api_base: String,
    pub api_base_source: ConfigSource,
    /// True for anything but api.stripe.com, such as localstripe.
    pub emulator: bool,
    /// True when the app drives the server exactly as it drives Stripe: api.stripe.com, or a
    /// local test server started in today's-Stripe mode (`STRIPE_SERVER_KIND=stripe`).
    pub behaves_as_stripe: bool,
    /// The secret key as `sk_test_…1234`, or `None` when no key is set.
    pub secret_key_masked: Option<String>,
    pub secret_key_source: Option<ConfigSource>,
    /// Publishable keys are public by design: Stripe.js needs it in the page.
    pub publishable_key: Option<String>,
    pub publishable_key_source: Option<ConfigSource>,
    pub webhook_secret_set: bool,
    pub webhook_secret_source: Option<ConfigSource>,
    /// Where the storefront loads Stripe.js from.
    pub js_url: String,
    /// True when payments can be taken: a secret and a publishable key are set, and nothing
    /// in use is refused.
    pub ready: bool,
    /// Why a value in use is refused (a live key, a webhook secret that is not `whsec_…`, a
    /// saved server that is neither Stripe nor this machine), naming where it came from.
    pub problem: Option<String>,
}

/// Changes to the saved configuration: `None` leaves a value as it is, an empty string
/// removes it.
#[derive(Clone, Debug, Default, Deserialize, TS)]
#[ts(export)]
pub struct StripeConfigUpdate {
    #[ts(optional)]
    pub api_base: Option<String>,
    #[ts(optional)]
    pub secret_key: Option<String>,
    #[ts(optional)]
    pub publishable_key: Option<String>,
    #[ts(optional)]
    pub webhook_secret: Option<String>,
}

impl Shop {
    /// A client for the configured server and secret key.
    pub fn stripe_client(&self) -> Result<StripeClient, Error> {
        let (base, _) = self.stripe_api_base()?;
        let (key, _) = self
            .stripe_value(&SECRET_KEY)?
            .ok_or(PaymentError::MissingKey)?;
        Ok(StripeClient::new(&base, &key)?.speaking(server_kind(&base)?))
    }

    /// The webhook signing secret (`whsec_…`), if one is configured. Refused, from any source,
    /// when it is not a `whsec_` secret.
    pub fn stripe_webhook_secret(&self) -> Result<Option<String>, Error> {
        match self.stripe_value(&WEBHOOK_SECRET)? {
            Some((secret, _)) if is_token(&secret, "whsec_") => Ok(Some(secret)),
            Some((_, source)) => Err(Error::invalid(format!(
                "the webhook signing secret {} must start with whsec_",
                source.describe()
            ))),
            None => Ok(None),
        }
    }

    /// The port on 127.0.0.1 where the app takes webhook deliveries (e.g. forwarded by
    /// `stripe listen --forward-to localhost:PORT`): 4242 unless set.
    pub fn stripe_webhook_port(&self) -> Result<u16, Error> {
        match self.stripe_value(&WEBHOOK_PORT)? {
            None => Ok(4242),
            Some((port, _)) => port.parse().map_err(|_| {
                Error::invalid(format!("the webhook port \"{port}\" is not a port number"))
            }),
        }
    }

    /// The configuration in use, as the owner may see it.
    pub fn stripe_status(&self) -> Result<StripeStatus, Error> {
        let mut problems = Vec::new();
        let (api_base, api_base_source) = match self.stripe_api_base() {
            Ok(base) => base,
            Err(e) => {
                problems.push(e.to_string());
                (DEFAULT_API_BASE.to_owned(), ConfigSource::Default)
            }
        };
        let emulator = !is_stripe_host(&api_base);
        let behaves_as_stripe = server_kind(&api_base)? == ServerKind::Stripe;
        let secret = self.stripe_value(&SECRET_KEY)?;
        let publishable = self.stripe_value(&PUBLISHABLE_KEY)?;
        let webhook_secret_source = self
            .stripe_value(&WEBHOOK_SECRET)?
            .map(|(_, source)| source);
        let js_url = match self.stripe_value(&JS_URL)? {
            Some((url, _)) => url,
            // localstripe serves its stand-in for Stripe.js under the same path as Stripe's.
            None if emulator => format!("{api_base}/js.stripe.com/v3/"),
            None => "https://js.stripe.com/v3/".to_owned(),
        };
        if let Some((key, source)) = &secret
            && let Err(e) = check_key(key)
        {
            problems.push(format!("the secret key {}: {e}", source.describe()));
        }
        if let Some((key, source)) = &publishable
            && let Err(e) = check_publishable(key)
        {
            problems.push(format!("the publishable key {}: {e}", source.describe()));
        }
        if let Err(e) = self.stripe_webhook_secret() {
            problems.push(e.to_string());
        }
        let problem = (!problems.is_empty()).then(|| problems.join("; "));
        Ok(StripeStatus {
            ready: secret.is_some() && publishable.is_some() && problem.is_none(),
            problem,
            api_base,
            api_base_source,
            emulator,
            behaves_as_stripe,
            secret_key_masked: secret.as_ref().map(|(key, _)| mask(key)),
            secret_key_source: secret.map(|(_, source)| source),
            publishable_key_source: publishable.as_ref().map(|(_, source)| *source),
            publishable_key: publishable.map(|(key, _)| key),
            webhook_secret_set: webhook_secret_source.is_some(),
            webhook_secret_source,
            js_url,
        })
    }

    /// Checks and saves `update`. Nothing is saved when any value is refused: a live key, a
    /// key of the wrong kind, a malformed URL or webhook secret.
    pub fn save_stripe_config(&self, update: &StripeConfigUpdate) -> Result<StripeStatus, Error> {
        let mut changes = Vec::new();
        if let Some(base) = &update.api_base {
            let base = base.trim();
            let value = if base.is_empty() {
                String::new()
            } else {
                saveable_base(base)?
            };
            changes.push((API_BASE.key, value));
        }
        if let Some(key) = &update.secret_key {
            let key = key.trim();
            if !key.is_empty() {
                check_key(key)?;
            }
            changes.push((SECRET_KEY.key, key.to_owned()));
        }
        if let Some(key) = &update.publishable_key {
            let key = key.trim();
            if !key.is_empty() {
                check_publishable(key)?;
            }
            changes.push((PUBLISHABLE_KEY.key, key.to_owned()));
        }
        if let Some(secret) = &update.webhook_secret {
            let secret = secret.trim();
            if !secret.is_empty() && !is_token(secret, "whsec_") {
                return Err(Error::invalid(
                    "the webhook signing secret must start with whsec_",
                ));
            }
            changes.push((WEBHOOK_SECRET.key, secret.to_owned()));
        }
        self.set_settings(&changes)?;
        tracing::info!(
            changed = ?changes.iter().map(|(key, _)| *key).collect::<Vec<_>>(),
            "Stripe settings saved"
        );
        self.stripe_status()
    }

    /// The server in use. A saved one (from Settings, so from the window) must be Stripe or
    /// this machine: the secret key goes wherever it points. The environment may name any.
    fn stripe_api_base(&self) -> Result<(String, ConfigSource), Error> {
        Ok(match self.stripe_value(&API_BASE)? {
            Some((base, ConfigSource::Settings)) => (saveable_base(&base)?, ConfigSource::Settings),
            Some((base, source)) => (check_base(&base)?, source),
            None => (DEFAULT_API_BASE.to_owned(), ConfigSource::Default),
        })
    }

    /// The environment's value if set and not blank, else the saved one.
    fn stripe_value(&self, setting: &Setting) -> Result<Option<(String, ConfigSource)>, Error> {
        if let Some(value) = std::env::var(setting.env)
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            return Ok(Some((value.trim().to_owned(), ConfigSource::Environment)));
        }
        Ok(self
            .setting(setting.key)?
            .filter(|v| !v.is_empty())
            .map(|v| (v, ConfigSource::Settings)))
    }
}

/// A server the owner may save in Settings: Stripe's own API, or a server on this machine (a
/// local emulator). Anything else could carry the secret key off the machine; it can only come
/// from the environment, never from the window.
fn saveable_base(base: &str) -> Result<String, Error> {
    let base = check_base(base)?;
    if is_stripe_host(&base) || is_loopback(&base) {
        Ok(base)
    } else {
        Err(Error::invalid(format!(
            "\"{base}\" is neither Stripe (https://api.stripe.com) nor a server on this machine \
             (localhost, 127.0.0.1): the secret key is only sent to those; another server can \
             only be set with STRIPE_API_BASE"
        )))
    }
}

/// A publishable test key (`pk_test_…`); a live one is refused.
fn check_publishable(key: &str) -> Result<(), Error> {
    if key.starts_with("pk_live_") {
        return Err(PaymentError::LiveKeyRefused.into());
    }
    if !is_token(key, "pk_test_") {
        return Err(Error::invalid(
            "the publishable key must be a test key that starts with pk_test_",
        ));
    }
    Ok(())
}

impl ConfigSource {
    /// "from the environment", "saved in Settings".
    fn describe(self) -> &'static str {
        match self {
            ConfigSource::Environment => "from the environment",
            ConfigSource::Settings => "saved in Settings",
            ConfigSource::Default => "by default",
        }
    }
}

/// The dialect to speak with the server at `base`: Stripe's own host is always Stripe; another
/// server is an emulator unless `STRIPE_SERVER_KIND=stripe` says it behaves as Stripe.
fn server_kind(base: &str) -> Result<ServerKind, Error> {
    if is_stripe_host(base) {
        return Ok(ServerKind::Stripe);
    }
    match std::env::var(SERVER_KIND_ENV)
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "" | "emulator" => Ok(ServerKind::Emulator),
        "stripe" => Ok(ServerKind::Stripe),
        other => Err(Error::invalid(format!(
            "{SERVER_KIND_ENV}=\"{other}\" is not a server kind (expected stripe or emulator)"
        ))),
    }
}

/// `prefix` followed by letters, digits and underscores only.
fn is_token(value: &str, prefix: &str) -> bool {
    value.strip_prefix(prefix).is_some_and(|rest| {
        !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// `sk_test_…wxyz`: enough to recognise a key, and its kind (a live key shows as one), not to
/// use it.
fn mask(key: &str) -> String {
    let prefix = [
        "sk_test_", "rk_test_", "sk_live_", "rk_live_", "pk_live_", "pk_test_",
    ]
    .into_iter()
    .find(|p| key.starts_with(p))
    .unwrap_or("");
    let last4: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{prefix}…{last4}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_the_kind_and_the_last_four() {
        assert_eq!(mask("sk_test_51abcdefWXYZ"), "sk_test_…WXYZ");
        assert_eq!(mask("rk_test_51abcdef1234"), "rk_test_…1234");
        assert_eq!(mask("sk_live_51abcdef1234"), "sk_live_…1234");
        assert_eq!(mask("whsec_abcdef1234"), "…1234");
    }

    #[test]
    fn tokens_need_their_prefix_and_plain_characters() {
        assert!(is_token("whsec_abc123", "whsec_"));
        assert!(!is_token("whsec_", "whsec_"));
        assert!(!is_token("whsec_a b", "whsec_"));
        assert!(!is_token("pk_test_abc", "whsec_"));
    }
}

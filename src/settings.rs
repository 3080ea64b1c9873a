//! The back office's Settings: the store (name, currency, low-stock default), taxes and
//! shipping, and discount codes, as the owner types them.
//!
//! Forms cross IPC as text, exactly as typed ("8.25", "5.00", "2026-12-31"), and are read here
//! with integer maths, so the rules live in one place. A value that breaks a rule fails with
//! [`Error::InvalidField`] naming the field (and, for a row of a list, its position in
//! `variant`), so the screen can show the message next to it; nothing is saved then.
//! The Stripe keys have their own door: [`crate::payments::StripeConfigUpdate`].

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::catalogue::shop_currency;
use crate::money::{Currency, Money};
use crate::pricing::DiscountCode;
use crate::pricing::{PricingRules, ShippingRate, format_percent, parse_percent};
use crate::{Error, SettingKey, Shop};

/// The threshold new variants start with when the owner has not chosen one (the schema's).
const DEFAULT_LOW_STOCK: i64 = 5;
const MAX_LOW_STOCK: i64 = 1_000_000;
const MAX_NAME_CHARS: usize = 80;
const MAX_CODE_CHARS: usize = 40;

/// The store section: what the shop is called and sells in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct StoreSettings {
    pub name: String,
    #[ts(type = "string")]
    pub currency: Currency,
    /// Why the currency cannot change any more, or `None` while it still can.
    pub currency_locked: Option<String>,
    /// The low-stock threshold a new variant starts with.
    pub low_stock_default: i64,
}

/// The store section as typed.
#[derive(Clone, Debug, Deserialize, TS)]
#[ts(export)]
pub struct StoreSettingsUpdate {
    pub name: String,
    /// An ISO 4217 code such as `EUR`.
    pub currency: String,
    /// A whole number of units, 0 or more.
    pub low_stock_default: String,
}

/// Taxes and shipping as typed: the tax rate as a percentage, amounts in major units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PricingForm {
    /// A percentage such as `"8.25"`.
    pub tax_rate: String,
    pub prices_include_tax: bool,
    pub shipping_rates: Vec<ShippingRateForm>,
}

/// One shipping zone as typed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ShippingRateForm {
    pub zone: String,
    /// ISO country codes separated by commas or spaces (`"US, CA"`), or `*` for everywhere
    /// else.
    pub countries: String,
    /// Major units of the shop's currency, e.g. `"5.00"`.
    pub amount: String,
}

/// Where a discount code stands today.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DiscountState {
    Active,
    /// Its first day is still to come.
    Scheduled,
    /// Its last day has passed, or the owner ended it.
    Ended,
    /// Used as many times as its limit allows.
    UsedUp,
}

/// A discount code as the Settings list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DiscountCodeInfo {
    pub code: String,
    pub percent: bool,
    /// Basis points when `percent`, else minor units of the shop's currency.
    pub value: i64,
    /// `value` as the form shows it: `"10"` (%) or `"5.00"`.
    pub value_text: String,
    /// The first day it works, `YYYY-MM-DD` (UTC).
    pub starts_on: Option<String>,
    /// The last day it works, `YYYY-MM-DD` (UTC).
    pub ends_on: Option<String>,
    pub usage_limit: Option<i64>,
    pub times_used: i64,
    pub state: DiscountState,
}

/// A discount code as typed.
#[derive(Clone, Debug, Deserialize, TS)]
#[ts(export)]
pub struct DiscountCodeForm {
    pub code: String,
    pub percent: bool,
    /// A percentage (`"10"`) or an amount in major units (`"5.00"`).
    pub value: String,
    /// The first day it works, `YYYY-MM-DD` (UTC), or empty for "now".
    pub starts_on: String,
    /// The last day it works, `YYYY-MM-DD` (UTC), or empty for "no end".
    pub ends_on: String,
    /// How many orders may use it, or empty for no limit.
    pub usage_limit: String,
}

impl Shop {
    /// The store section.
    pub fn store_settings(&self) -> Result<StoreSettings, Error> {
        let info = self.info()?;
        Ok(StoreSettings {
            name: info.name,
            currency: info.currency,
            currency_locked: self.currency_locked()?,
            low_stock_default: self.low_stock_default()?,
        })
    }

    /// The low-stock threshold a new variant starts with (`low_stock_default`, else 5).
    pub fn low_stock_default(&self) -> Result<i64, Error> {
        Ok(self
            .setting(SettingKey::LowStockDefault)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_LOW_STOCK))
    }

    /// Checks and saves the store section, all or nothing.
    ///
    /// The currency can change only while no order exists (orders keep the currency they were
    /// paid in), and only to one with as many decimals as the current one: the prices keep
    /// their digits (19.00 USD becomes 19.00 EUR), which would be a hundred times off between
    /// USD and JPY.
    pub fn save_store_settings(
        &self,
        update: &StoreSettingsUpdate,
    ) -> Result<StoreSettings, Error> {
        let name = update.name.trim();
        if name.is_empty() {
            return Err(field("name", "the shop needs a name"));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(field(
                "name",
                format!("the name is too long: at most {MAX_NAME_CHARS} characters"),
            ));
        }
        let currency =
            Currency::new(update.currency.trim()).map_err(|e| field("currency", e.to_string()))?;
        let low_stock = update.low_stock_default.trim();
        let low_stock: i64 = match low_stock.parse() {
            Ok(n) if (0..=MAX_LOW_STOCK).contains(&n) => n,
            _ => {
                return Err(field(
                    "low_stock_default",
                    format!(
                        "\"{low_stock}\" is not a whole number of units from 0 to {MAX_LOW_STOCK}"
                    ),
                ));
            }
        };

        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = shop_currency(&tx)?;
        if currency != current {
            if let Some(reason) = currency_lock(&tx)? {
                return Err(field("currency", reason));
            }
            let priced: i64 = tx.query_row("SELECT count(*) FROM variants", [], |r| r.get(0))?;
            if priced > 0 && currency.exponent() != current.exponent() {
                return Err(field(
                    "currency",
                    format!(
                        "prices are kept with {} decimals in {current} but {currency} has {}: \
                         every price would change, so pick a currency with {} decimals",
                        current.exponent(),
                        currency.exponent(),
                        current.exponent()
                    ),
                ));
            }
            tx.execute("UPDATE variants SET currency = ?1", [currency.code()])?;
        }
        for (key, value) in [
            (SettingKey::ShopName, name.to_owned()),
            (SettingKey::Currency, currency.code().to_owned()),
            (SettingKey::LowStockDefault, low_stock.to_string()),
        ] {
            crate::shop::put_setting(&tx, key, &value)?;
        }
        tx.commit()?;
        drop(conn);
        tracing::info!(%currency, low_stock, "store settings saved");
        self.store_settings()
    }

    /// Taxes and shipping as the form shows them.
    pub fn pricing_form(&self) -> Result<PricingForm, Error> {
        let rules = self.pricing_rules()?;
        let currency = self.currency()?;
        Ok(PricingForm {
            tax_rate: format_percent(rules.tax_rate_bps),
            prices_include_tax: rules.prices_include_tax,
            shipping_rates: rules
                .shipping_rates
                .iter()
                .map(|rate| ShippingRateForm {
                    zone: rate.zone.clone(),
                    countries: rate.countries.join(", "),
                    amount: Money::new(rate.amount, currency).format_amount(),
                })
                .collect(),
        })
    }

    /// Reads and saves the taxes and shipping form. Each zone needs a name of its own, at
    /// least one country code (or `*`), no country another zone already has, and an amount of
    /// zero or more; the shop needs at least one zone.
    pub fn save_pricing_form(&self, form: &PricingForm) -> Result<PricingForm, Error> {
        let tax_rate_bps = parse_percent(&form.tax_rate).map_err(|m| field("tax_rate", m))?;
        let currency = self.currency()?;
        if form.shipping_rates.is_empty() {
            return Err(field(
                "shipping_rates",
                "add at least one shipping zone (countries * for everywhere), or no order can be \
                 shipped",
            ));
        }
        let mut rates: Vec<ShippingRate> = Vec::with_capacity(form.shipping_rates.len());
        for (row, rate) in form.shipping_rates.iter().enumerate() {
            let zone = rate.zone.trim();
            if zone.is_empty() {
                return Err(row_field(
                    "shipping_zone",
                    row,
                    "name this zone, e.g. Domestic",
                ));
            }
            if rates.iter().any(|r| r.zone.eq_ignore_ascii_case(zone)) {
                return Err(row_field(
                    "shipping_zone",
                    row,
                    format!("there is already a zone called \"{zone}\""),
                ));
            }
            let countries = parse_countries(&rate.countries)
                .map_err(|m| row_field("shipping_countries", row, m))?;
            for country in &countries {
                if let Some(other) = rates.iter().find(|r| r.countries.contains(country)) {
                    let which = if country == "*" {
                        "everywhere else (*)".to_owned()
                    } else {
                        country.clone()
                    };
                    return Err(row_field(
                        "shipping_countries",
                        row,
                        format!("{which} is already in the zone \"{}\"", other.zone),
                    ));
                }
            }
            let amount = Money::parse(&rate.amount, currency)
                .map_err(|e| row_field("shipping_amount", row, e.to_string()))?;
            if amount.amount < 0 {
                return Err(row_field(
                    "shipping_amount",
                    row,
                    "shipping cannot cost less than nothing (0 for free shipping)",
                ));
            }
            rates.push(ShippingRate {
                zone: zone.to_owned(),
                countries,
                amount: amount.amount,
            });
        }
        self.set_pricing_rules(&PricingRules {
            tax_rate_bps,
            prices_include_tax: form.prices_include_tax,
            shipping_rates: rates,
        })?;
        tracing::info!(tax_rate_bps, "taxes and shipping saved");
        self.pricing_form()
    }

    /// Every discount code, by code.
    pub fn discount_codes(&self) -> Result<Vec<DiscountCodeInfo>, Error> {
        let conn = self.conn();
        let currency = shop_currency(&conn)?;
        let mut stmt = conn.prepare_cached(
            "SELECT code, kind, value, date(starts_at), date(ends_at, '-1 second'),
                    usage_limit, times_used,
                    CASE
                        WHEN ends_at IS NOT NULL AND ends_at <= ?1 THEN 'ended'
                        WHEN usage_limit IS NOT NULL AND times_used >= usage_limit THEN 'used_up'
                        WHEN starts_at IS NOT NULL AND starts_at > ?1 THEN 'scheduled'
                        ELSE 'active'
                    END
             FROM discount_codes ORDER BY code COLLATE NOCASE",
        )?;
        let now = now(&conn)?;
        let rows = stmt.query_map([now], |row| {
            let percent = row.get::<_, String>(1)? == "percent";
            let value: i64 = row.get(2)?;
            let state = match row.get::<_, String>(7)?.as_str() {
                "ended" => DiscountState::Ended,
                "used_up" => DiscountState::UsedUp,
                "scheduled" => DiscountState::Scheduled,
                _ => DiscountState::Active,
            };
            Ok(DiscountCodeInfo {
                code: row.get(0)?,
                percent,
                value,
                value_text: if percent {
                    format_percent(value)
                } else {
                    Money::new(value, currency).format_amount()
                },
                starts_on: row.get(3)?,
                ends_on: row.get(4)?,
                usage_limit: row.get(5)?,
                times_used: row.get(6)?,
                state,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Reads and saves a discount code: a new one when `new` (refused if the code exists),
    /// else the code of that name, which keeps its count of uses. Days are UTC: the code works
    /// from the start of its first day to the end of its last.
    pub fn save_discount_form(&self, form: &DiscountCodeForm, new: bool) -> Result<(), Error> {
        let code = form.code.trim();
        if code.is_empty() {
            return Err(field(
                "code",
                "type the code customers enter, e.g. WELCOME10",
            ));
        }
        if code.chars().count() > MAX_CODE_CHARS
            || !code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(field(
                "code",
                format!(
                    "\"{code}\" cannot be a code: use letters, digits, - and _ only (at most \
                     {MAX_CODE_CHARS})"
                ),
            ));
        }
        if form.value.trim().is_empty() {
            return Err(field("value", "type how much the code takes off, e.g. 10"));
        }
        let value = if form.percent {
            let bps = parse_percent(&form.value).map_err(|m| field("value", m))?;
            if bps == 0 {
                return Err(field("value", "a discount of 0 % takes nothing off"));
            }
            bps
        } else {
            let amount = Money::parse(&form.value, self.currency()?)
                .map_err(|e| field("value", e.to_string()))?;
            if amount.amount <= 0 {
                return Err(field("value", "the amount off must be more than zero"));
            }
            amount.amount
        };
        let usage_limit = match form.usage_limit.trim() {
            "" => None,
            text => match text.parse::<i64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    return Err(field(
                        "usage_limit",
                        format!(
                            "\"{text}\" is not a number of uses (1 or more, empty for no limit)"
                        ),
                    ));
                }
            },
        };
        let conn = self.conn();
        let starts = day(&conn, &form.starts_on).map_err(|m| field("starts_on", m))?;
        let ends = day(&conn, &form.ends_on).map_err(|m| field("ends_on", m))?;
        if let (Some(starts), Some(ends)) = (&starts, &ends)
            && ends < starts
        {
            return Err(field("ends_on", "the last day comes before the first"));
        }
        let exists: Option<String> = conn
            .query_row(
                "SELECT code FROM discount_codes WHERE code = ?1",
                [code],
                |r| r.get(0),
            )
            .optional()?;
        match (new, exists) {
            (true, Some(existing)) => {
                return Err(field(
                    "code",
                    format!("a discount code \"{existing}\" already exists"),
                ));
            }
            (false, None) => {
                return Err(Error::invalid(format!("unknown discount code \"{code}\"")));
            }
            _ => {}
        }
        let starts_at = starts.map(|d| format!("{d}T00:00:00.000Z"));
        let ends_at = ends
            .map(|d| -> Result<String, Error> {
                Ok(conn.query_row(
                    "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?1, '+1 day')",
                    [d],
                    |r| r.get(0),
                )?)
            })
            .transpose()?;
        drop(conn);
        self.save_discount_code(&DiscountCode {
            code: code.to_owned(),
            percent: form.percent,
            value,
            starts_at,
            ends_at,
            usage_limit,
            times_used: 0,
        })?;
        tracing::info!(code, "discount code saved");
        Ok(())
    }

    /// Ends a discount code now: it stays in the list, with its uses, and can be given a new
    /// last day to work again.
    pub fn end_discount_code(&self, code: &str) -> Result<(), Error> {
        let conn = self.conn();
        let changed = conn.execute(
            "UPDATE discount_codes SET ends_at = ?2 WHERE code = ?1",
            params![code.trim(), now(&conn)?],
        )?;
        if changed == 0 {
            return Err(Error::invalid(format!(
                "unknown discount code \"{}\"",
                code.trim()
            )));
        }
        Ok(())
    }

    /// Deletes a discount code. Orders that used it keep its name and their discount.
    pub fn delete_discount_code(&self, code: &str) -> Result<(), Error> {
        let changed = self
            .conn()
            .execute("DELETE FROM discount_codes WHERE code = ?1", [code.trim()])?;
        if changed == 0 {
            return Err(Error::invalid(format!(
                "unknown discount code \"{}\"",
                code.trim()
            )));
        }
        Ok(())
    }

    fn currency_locked(&self) -> Result<Option<String>, Error> {
        currency_lock(&self.conn())
    }
}

/// Why the currency cannot change, if it cannot.
fn currency_lock(conn: &rusqlite::Connection) -> Result<Option<String>, Error> {
    let (orders, currency): (i64, Option<String>) =
        conn.query_row("SELECT count(*), min(currency) FROM orders", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    Ok((orders > 0).then(|| {
        let currency = currency.unwrap_or_default();
        let orders = if orders == 1 {
            "an order was".to_owned()
        } else {
            format!("{orders} orders were")
        };
        format!(
            "{orders} placed in {currency}: their totals and refunds stay in {currency}, so the \
             shop's currency can no longer change"
        )
    }))
}

/// Country codes as typed: two letters each (upper-cased), or `*`.
fn parse_countries(text: &str) -> Result<Vec<String>, String> {
    let mut countries: Vec<String> = Vec::new();
    for code in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|c| !c.is_empty())
    {
        let code = code.to_ascii_uppercase();
        if code != "*" && !(code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())) {
            return Err(format!(
                "\"{code}\" is not a country code: use two letters such as US or DE, or * for \
                 everywhere else"
            ));
        }
        if !countries.contains(&code) {
            countries.push(code);
        }
    }
    if countries.is_empty() {
        return Err(
            "list the countries of this zone (US, CA), or * for everywhere else".to_owned(),
        );
    }
    Ok(countries)
}

/// A day as typed (`YYYY-MM-DD`), or `None` when empty.
fn day(conn: &rusqlite::Connection, text: &str) -> Result<Option<String>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    // SQLite's date() gives back the same text only for a real YYYY-MM-DD day.
    let valid: bool = conn
        .query_row("SELECT date(?1) IS ?1", [text], |r| r.get(0))
        .unwrap_or(false);
    if valid {
        Ok(Some(text.to_owned()))
    } else {
        Err(format!("\"{text}\" is not a day such as 2026-12-31"))
    }
}

fn now(conn: &rusqlite::Connection) -> Result<String, Error> {
    Ok(conn.query_row("SELECT shop_now()", [], |r| r.get(0))?)
}

fn field(name: &'static str, message: impl Into<String>) -> Error {
    Error::InvalidField {
        field: name,
        variant: None,
        message: message.into(),
    }
}

/// An error about one row of a list (a shipping zone): its position travels in `variant`.
fn row_field(name: &'static str, row: usize, message: impl Into<String>) -> Error {
    Error::InvalidField {
        field: name,
        variant: Some(row),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_are_two_letters_or_a_star() {
        assert_eq!(
            parse_countries("us, ca  MX,us").unwrap(),
            vec!["US", "CA", "MX"]
        );
        assert_eq!(parse_countries("*").unwrap(), vec!["*"]);
        assert!(parse_countries("USA").unwrap_err().contains("\"USA\""));
        assert!(parse_countries(" , ").is_err());
    }
}

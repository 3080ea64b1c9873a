//! Order totals: subtotal, discount, shipping, tax and total, all in minor units.
//!
//! The rounding rule, once: every amount is computed exactly in integers and rounded **once per
//! order**, half away from zero, at the point where a rate is applied (a percentage discount,
//! the tax). Lines are never rounded (unit prices are already whole minor units), so the
//! totals always add up: `total = subtotal - discount + shipping (+ tax when prices exclude it)`.
//!
//! Tax applies to what the customer pays for: the goods after the discount, plus shipping.
//! With tax-inclusive prices the tax is the part of that amount that is tax,
//! `taxable × rate / (1 + rate)`; with tax-exclusive prices it is added on top,
//! `taxable × rate`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use rusqlite::{Connection, OptionalExtension, params};

use crate::money::{Currency, Money};
use crate::{Error, SettingKey, Shop};

/// Basis points: 1 bps = 0.01 %, so 2000 bps = 20 %.
pub const BPS: i64 = 10_000;

/// How the shop taxes and ships, from its settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PricingRules {
    /// Tax rate in basis points (2000 = 20 %).
    pub tax_rate_bps: i64,
    /// Whether catalogue prices already include the tax.
    pub prices_include_tax: bool,
    /// Flat shipping per zone; the first zone listing the country wins, then a zone with "*".
    pub shipping_rates: Vec<ShippingRate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ShippingRate {
    pub zone: String,
    /// ISO 3166-1 alpha-2 codes, or `"*"` for everywhere else.
    pub countries: Vec<String>,
    /// Minor units of the shop's currency.
    pub amount: i64,
}

impl Default for PricingRules {
    /// No tax, and one worldwide flat rate of 5.00 (a sensible start for a new shop).
    fn default() -> Self {
        PricingRules {
            tax_rate_bps: 0,
            prices_include_tax: false,
            shipping_rates: vec![ShippingRate {
                zone: "Worldwide".into(),
                countries: vec!["*".into()],
                amount: 500,
            }],
        }
    }
}

/// A discount as applied to one order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discount {
    /// A percentage of the goods, in basis points.
    Percent(i64),
    /// A fixed amount off the goods, minor units; never more than the goods cost.
    Fixed(i64),
}

/// The totals of an order, minor units of `currency`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Totals {
    #[ts(type = "string")]
    pub currency: Currency,
    pub subtotal: i64,
    pub discount: i64,
    pub shipping: i64,
    /// The tax in the total: added on top, or contained in the prices when they include it.
    pub tax: i64,
    pub total: i64,
}

impl Totals {
    pub fn total_money(&self) -> Money {
        Money::new(self.total, self.currency)
    }
}

/// Totals for goods worth `subtotal` shipped to `country`.
pub fn totals(
    rules: &PricingRules,
    subtotal: Money,
    discount: Option<Discount>,
    country: &str,
) -> Result<Totals, Error> {
    if subtotal.amount < 0 {
        return Err(Error::invalid("the goods cannot cost less than nothing"));
    }
    if !(0..=BPS).contains(&rules.tax_rate_bps) {
        return Err(Error::invalid(format!(
            "tax rate {} bps is outside 0–10000",
            rules.tax_rate_bps
        )));
    }
    let goods = subtotal.amount;
    let discount = match discount {
        None => 0,
        Some(Discount::Percent(bps)) => {
            if !(0..=BPS).contains(&bps) {
                return Err(Error::invalid(format!(
                    "discount of {bps} bps is outside 0–10000"
                )));
            }
            round_div(i128::from(goods) * i128::from(bps), i128::from(BPS))
        }
        Some(Discount::Fixed(amount)) => amount.clamp(0, goods),
    };
    let shipping = shipping_for(rules, country)?;
    let taxable = i128::from(goods - discount + shipping);
    let rate = i128::from(rules.tax_rate_bps);
    let (tax, total) = if rules.prices_include_tax {
        let tax = round_div(taxable * rate, i128::from(BPS) + rate);
        (tax, goods - discount + shipping)
    } else {
        let tax = round_div(taxable * rate, i128::from(BPS));
        (tax, goods - discount + shipping + tax)
    };
    Ok(Totals {
        currency: subtotal.currency,
        subtotal: goods,
        discount,
        shipping,
        tax,
        total,
    })
}

fn shipping_for(rules: &PricingRules, country: &str) -> Result<i64, Error> {
    let country = country.to_ascii_uppercase();
    rules
        .shipping_rates
        .iter()
        .find(|r| r.countries.iter().any(|c| c.eq_ignore_ascii_case(&country)))
        .or_else(|| {
            rules
                .shipping_rates
                .iter()
                .find(|r| r.countries.iter().any(|c| c == "*"))
        })
        .map(|r| r.amount)
        .ok_or_else(|| Error::invalid(format!("the shop does not ship to {country}")))
}

/// A percentage as the owner types it (`"8.25"`, `"20"`, `"7.5 %"`) in basis points, with integer
/// maths only. Fails for anything but a plain number from 0 to 100 with at most two decimals
/// (0.01 % is one basis point, the finest step a rate has).
pub fn parse_percent(input: &str) -> Result<i64, String> {
    let text = input.trim().trim_end_matches('%').trim_end();
    if text.is_empty() {
        return Err("enter a percentage such as 8.25 (0 for none)".to_owned());
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || text.ends_with('.') {
        return Err(format!(
            "\"{}\" is not a percentage: type a number such as 8.25",
            input.trim()
        ));
    }
    if fraction.len() > 2 {
        return Err(format!(
            "\"{}\" has too many decimals: 0.01 % is the smallest step",
            input.trim()
        ));
    }
    // More than three digits before the point is over 100 % whatever they are.
    if whole.trim_start_matches('0').len() > 3 {
        return Err("a percentage cannot be more than 100".to_owned());
    }
    let whole: i64 = whole.parse().unwrap_or(0);
    let fraction: i64 = format!("{fraction:0<2}").parse().unwrap_or(0);
    let bps = whole * 100 + fraction;
    if bps > BPS {
        return Err("a percentage cannot be more than 100".to_owned());
    }
    Ok(bps)
}

/// Basis points as the percentage the owner typed: 825 → `"8.25"`, 2000 → `"20"`, 750 → `"7.5"`.
pub fn format_percent(bps: i64) -> String {
    let sign = if bps < 0 { "-" } else { "" };
    let bps = bps.unsigned_abs();
    let (whole, fraction) = (bps / 100, bps % 100);
    match fraction {
        0 => format!("{sign}{whole}"),
        f if f % 10 == 0 => format!("{sign}{whole}.{}", f / 10),
        f => format!("{sign}{whole}.{f:02}"),
    }
}

/// `n / d` rounded half away from zero; `d > 0`. The result fits in i64 because it is at most
/// the amount it is a fraction of.
fn round_div(n: i128, d: i128) -> i64 {
    let q = (2 * n.abs() + d) / (2 * d);
    let q = if n < 0 { -q } else { q };
    i64::try_from(q).expect("a fraction of an i64 amount fits in i64")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd(amount: i64) -> Money {
        Money::new(amount, Currency::USD)
    }

    fn rules(tax_rate_bps: i64, prices_include_tax: bool) -> PricingRules {
        PricingRules {
            tax_rate_bps,
            prices_include_tax,
            shipping_rates: vec![
                ShippingRate {
                    zone: "Domestic".into(),
                    countries: vec!["US".into()],
                    amount: 500,
                },
                ShippingRate {
                    zone: "International".into(),
                    countries: vec!["*".into()],
                    amount: 1500,
                },
            ],
        }
    }

    #[test]
    fn exclusive_tax_is_added_on_goods_after_discount_and_shipping() {
        // 2 × 39.00 = 78.00, 10 % off = 7.80, shipping 5.00, taxable 75.20, 8.25 % = 6.204 → 6.20
        let t = totals(
            &rules(825, false),
            usd(7800),
            Some(Discount::Percent(1000)),
            "us",
        )
        .unwrap();
        assert_eq!(
            (t.subtotal, t.discount, t.shipping, t.tax, t.total),
            (7800, 780, 500, 620, 8140)
        );
    }

    #[test]
    fn inclusive_tax_is_the_part_of_the_price_that_is_tax() {
        // 120.00 including 20 % VAT contains 20.00 of tax; shipping 15.00 contains 2.50.
        let t = totals(&rules(2000, true), usd(12000), None, "DE").unwrap();
        assert_eq!(
            (t.subtotal, t.shipping, t.tax, t.total),
            (12000, 1500, 2250, 13500)
        );
    }

    #[test]
    fn rounding_is_half_away_from_zero_once_per_order() {
        // 0.05 at 10 % = 0.005 → 0.01
        let mut r = rules(1000, false);
        r.shipping_rates = vec![ShippingRate {
            zone: "Free".into(),
            countries: vec!["*".into()],
            amount: 0,
        }];
        assert_eq!(totals(&r, usd(5), None, "US").unwrap().tax, 1);
        assert_eq!(totals(&r, usd(4), None, "US").unwrap().tax, 0);
        assert_eq!(round_div(-5, 10), -1);
        assert_eq!(round_div(15, 10), 2);
        assert_eq!(round_div(14, 10), 1);
    }

    #[test]
    fn fixed_discounts_never_exceed_the_goods() {
        let t = totals(
            &rules(0, false),
            usd(1000),
            Some(Discount::Fixed(2500)),
            "US",
        )
        .unwrap();
        assert_eq!((t.discount, t.total), (1000, 500), "shipping is still paid");
    }

    #[test]
    fn shipping_follows_the_zone() {
        let r = rules(0, false);
        assert_eq!(totals(&r, usd(100), None, "US").unwrap().shipping, 500);
        assert_eq!(totals(&r, usd(100), None, "UA").unwrap().shipping, 1500);
        let mut domestic_only = r.clone();
        domestic_only.shipping_rates.truncate(1);
        let err = totals(&domestic_only, usd(100), None, "UA").unwrap_err();
        assert_eq!(err.to_string(), "the shop does not ship to UA");
    }

    #[test]
    fn zero_decimal_currencies_work_the_same() {
        let mut r = rules(1000, false);
        r.shipping_rates[0].amount = 800; // 800 yen
        let t = totals(
            &r,
            Money::new(4999, Currency::new("JPY").unwrap()),
            None,
            "US",
        )
        .unwrap();
        assert_eq!((t.tax, t.total), (580, 6379)); // 579.9 → 580
    }

    #[test]
    fn out_of_range_rates_are_refused() {
        assert!(totals(&rules(10_001, false), usd(1), None, "US").is_err());
        assert!(totals(&rules(0, false), usd(1), Some(Discount::Percent(-1)), "US").is_err());
    }

    #[test]
    fn percentages_are_read_with_integer_maths() {
        assert_eq!(parse_percent("8.25"), Ok(825));
        assert_eq!(parse_percent(" 20 % "), Ok(2000));
        assert_eq!(parse_percent("7.5"), Ok(750));
        assert_eq!(parse_percent("0.01"), Ok(1));
        assert_eq!(parse_percent("100"), Ok(10_000));
        assert_eq!(parse_percent("0"), Ok(0));
        // 0.07 is not exactly representable as a float; here it is exactly 7 bps.
        assert_eq!(parse_percent("0.07"), Ok(7));
        assert_eq!(parse_percent("008.10"), Ok(810));
    }

    #[test]
    fn malformed_or_out_of_range_percentages_are_refused_with_a_reason() {
        for (input, reason) in [
            ("", "enter a percentage"),
            ("abc", "not a percentage"),
            ("-5", "not a percentage"),
            ("8,25", "not a percentage"),
            ("8.", "not a percentage"),
            ("1e2", "not a percentage"),
            ("8.255", "too many decimals"),
            ("100.01", "more than 100"),
            ("99999999999999999999", "more than 100"),
        ] {
            let err = parse_percent(input).unwrap_err();
            assert!(err.contains(reason), "{input:?}: {err}");
        }
    }

    #[test]
    fn percentages_are_shown_without_needless_zeros() {
        assert_eq!(format_percent(825), "8.25");
        assert_eq!(format_percent(2000), "20");
        assert_eq!(format_percent(750), "7.5");
        assert_eq!(format_percent(5), "0.05");
        assert_eq!(format_percent(0), "0");
    }

    proptest! {
        #[test]
        fn percentages_round_trip(bps in 0_i64..=10_000) {
            prop_assert_eq!(parse_percent(&format_percent(bps)), Ok(bps));
        }

        #[test]
        fn totals_always_add_up(goods in 0_i64..10_000_000, bps in 0_i64..=10_000,
                                off in 0_i64..=10_000, inclusive: bool, fixed: bool) {
            let r = rules(bps, inclusive);
            let discount = if fixed { Discount::Fixed(off * 100) } else { Discount::Percent(off) };
            let t = totals(&r, usd(goods), Some(discount), "US").unwrap();
            prop_assert!(t.discount >= 0 && t.discount <= t.subtotal);
            prop_assert!(t.tax >= 0);
            let expected = t.subtotal - t.discount + t.shipping + if inclusive { 0 } else { t.tax };
            prop_assert_eq!(t.total, expected);
            if inclusive {
                prop_assert!(t.tax <= t.total);
            }
        }
    }
}

impl Shop {
    /// How the shop taxes and ships (the `pricing` setting, or the defaults).
    pub fn pricing_rules(&self) -> Result<PricingRules, Error> {
        pricing_rules(&self.conn())
    }

    pub fn set_pricing_rules(&self, rules: &PricingRules) -> Result<(), Error> {
        if !(0..=BPS).contains(&rules.tax_rate_bps) {
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
        self.set_setting(SettingKey::Pricing, &json)
    }

    /// Creates or replaces a discount code.
    pub fn save_discount_code(&self, code: &DiscountCode) -> Result<(), Error> {
        let name = code.code.trim();
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            return Err(Error::invalid(format!(
                "discount code \"{name}\" must be one word"
            )));
        }
        if code.value <= 0 || (code.percent && code.value > BPS) {
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
}

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

pub(crate) fn pricing_rules(conn: &Connection) -> Result<PricingRules, Error> {
    let json: Option<String> = conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [SettingKey::Pricing],
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

/// A discount code that can be used now: its (code, discount).
pub(crate) fn usable_discount(conn: &Connection, code: &str) -> Result<(String, Discount), Error> {
    let row = conn
        .query_row(
            "SELECT code, kind, value,
                    starts_at IS NULL OR starts_at <= shop_now(),
                    ends_at IS NULL OR ends_at > shop_now(),
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

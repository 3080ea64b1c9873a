//! Money: integer minor units of an ISO 4217 currency. Never a float.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An ISO 4217 currency code such as `USD`: three ASCII capital letters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

/// Currencies whose minor unit is not the hundredth (ISO 4217 exponent other than 2).
const EXPONENTS: &[(&str, u32)] = &[
    ("BIF", 0),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("ISK", 0),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("PYG", 0),
    ("RWF", 0),
    ("UGX", 0),
    ("UYI", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
    ("BHD", 3),
    ("IQD", 3),
    ("JOD", 3),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("TND", 3),
    ("CLF", 4),
    ("UYW", 4),
];

impl Currency {
    pub const USD: Currency = Currency(*b"USD");
    pub const EUR: Currency = Currency(*b"EUR");

    /// Parses a three-letter code, upper- or lower-case (Stripe sends lower-case).
    pub fn new(code: &str) -> Result<Currency, MoneyError> {
        let bytes: [u8; 3] = code
            .as_bytes()
            .try_into()
            .map_err(|_| MoneyError::BadCurrency(code.to_owned()))?;
        if !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(MoneyError::BadCurrency(code.to_owned()));
        }
        Ok(Currency(bytes.map(|b| b.to_ascii_uppercase())))
    }

    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a currency code is ASCII by construction")
    }

    /// Digits after the decimal point: 2 for USD, 0 for JPY, 3 for KWD.
    pub fn exponent(&self) -> u32 {
        EXPONENTS
            .iter()
            .find(|(code, _)| *code == self.code())
            .map_or(2, |&(_, exp)| exp)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::new(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::new(&code).map_err(serde::de::Error::custom)
    }
}

/// An amount of money. Serialises as `{"amount": 1250, "currency": "USD"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Minor units: cents for USD, yen for JPY, fils for KWD.
    pub amount: i64,
    pub currency: Currency,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("\"{0}\" is not an ISO 4217 currency code (three letters, e.g. USD)")]
    BadCurrency(String),
    #[error("\"{input}\" is not an amount of {currency} (expected e.g. {example})")]
    BadAmount {
        input: String,
        currency: Currency,
        example: String,
    },
    #[error("cannot combine {0} and {1}: amounts in different currencies")]
    CurrencyMismatch(Currency, Currency),
    #[error("amount out of range")]
    Overflow,
}

impl Money {
    pub fn new(amount: i64, currency: Currency) -> Money {
        Money { amount, currency }
    }

    pub fn zero(currency: Currency) -> Money {
        Money::new(0, currency)
    }

    /// Parses a decimal amount in major units: `"12.50"` USD is 1250 cents, `"1500"` JPY is
    /// 1500 yen. Refuses more decimals than the currency has, thousands separators and exponents,
    /// so that a typo never silently becomes another price.
    pub fn parse(input: &str, currency: Currency) -> Result<Money, MoneyError> {
        let exp = currency.exponent();
        let bad = || MoneyError::BadAmount {
            input: input.to_owned(),
            currency,
            example: Money::new(1250 * 10_i64.pow(exp) / 100, currency).format_amount(),
        };
        let text = input.trim();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !is_digits(whole)
            || !is_digits(fraction)
            || fraction.len() > exp as usize
            || (digits.contains('.') && fraction.is_empty())
        {
            return Err(bad());
        }
        let scale = 10_i64.pow(exp);
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let fraction: i64 = if fraction.is_empty() {
            0
        } else {
            let padded = format!("{fraction:0<width$}", width = exp as usize);
            padded.parse().map_err(|_| bad())?
        };
        let amount = whole
            .checked_mul(scale)
            .and_then(|m| m.checked_add(fraction))
            .ok_or_else(bad)?;
        Ok(Money::new(
            if negative { -amount } else { amount },
            currency,
        ))
    }

    /// The amount in major units without the currency: `"12.50"`, `"1500"`, `"-0.05"`.
    pub fn format_amount(&self) -> String {
        let exp = self.currency.exponent();
        let sign = if self.amount < 0 { "-" } else { "" };
        let abs = self.amount.unsigned_abs();
        if exp == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10_u64.pow(exp);
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = exp as usize
        )
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_sub(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    pub fn checked_mul(self, quantity: i64) -> Result<Money, MoneyError> {
        let amount = self
            .amount
            .checked_mul(quantity)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

/// `12.50 USD`: unambiguous for logs and the CLI; the UI formats with the user's locale.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.format_amount(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cur(code: &str) -> Currency {
        Currency::new(code).unwrap()
    }

    #[test]
    fn parses_major_units_into_minor_units() {
        assert_eq!(Money::parse("12.50", Currency::USD).unwrap().amount, 1250);
        assert_eq!(Money::parse("12.5", Currency::USD).unwrap().amount, 1250);
        assert_eq!(Money::parse("12", Currency::USD).unwrap().amount, 1200);
        assert_eq!(Money::parse("0.05", Currency::USD).unwrap().amount, 5);
        assert_eq!(Money::parse("-3.10", Currency::EUR).unwrap().amount, -310);
        assert_eq!(Money::parse("1500", cur("JPY")).unwrap().amount, 1500);
        assert_eq!(Money::parse("1.234", cur("KWD")).unwrap().amount, 1234);
    }

    #[test]
    fn refuses_amounts_that_are_not_plain_decimals() {
        for bad in [
            "", "abc", "12.505", "1,000.00", "1e3", "12.", ".5", "--1", "+1", "1 000",
        ] {
            let err = Money::parse(bad, Currency::USD).unwrap_err();
            assert!(
                matches!(err, MoneyError::BadAmount { .. }),
                "{bad:?} gave {err:?}"
            );
        }
        assert!(
            Money::parse("15.5", cur("JPY")).is_err(),
            "yen have no minor unit"
        );
        assert!(Money::parse("99999999999999999999", Currency::USD).is_err());
    }

    #[test]
    fn error_names_the_input_and_an_example() {
        let msg = Money::parse("12,50", Currency::USD)
            .unwrap_err()
            .to_string();
        assert_eq!(
            msg,
            "\"12,50\" is not an amount of USD (expected e.g. 12.50)"
        );
        let msg = Money::parse("1.5", cur("JPY")).unwrap_err().to_string();
        assert!(msg.contains("e.g. 12"), "{msg}");
    }

    #[test]
    fn exponents_follow_iso_4217() {
        assert_eq!(Currency::USD.exponent(), 2);
        assert_eq!(cur("jpy").exponent(), 0);
        assert_eq!(cur("KRW").exponent(), 0);
        assert_eq!(cur("BHD").exponent(), 3);
        assert_eq!(cur("KWD").exponent(), 3);
        assert_eq!(cur("UAH").exponent(), 2);
    }

    #[test]
    fn formats_for_display() {
        assert_eq!(Money::new(1250, Currency::USD).to_string(), "12.50 USD");
        assert_eq!(Money::new(-5, Currency::EUR).to_string(), "-0.05 EUR");
        assert_eq!(Money::new(1500, cur("JPY")).to_string(), "1500 JPY");
        assert_eq!(Money::new(1234, cur("KWD")).to_string(), "1.234 KWD");
    }

    #[test]
    fn arithmetic_refuses_to_mix_currencies() {
        let usd = Money::new(100, Currency::USD);
        let eur = Money::new(100, Currency::EUR);
        assert_eq!(
            usd.checked_add(eur),
            Err(MoneyError::CurrencyMismatch(Currency::USD, Currency::EUR))
        );
        assert!(usd.checked_sub(eur).is_err());
        assert_eq!(usd.checked_add(usd).unwrap().amount, 200);
        assert_eq!(usd.checked_mul(3).unwrap().amount, 300);
        assert_eq!(
            Money::new(i64::MAX, Currency::USD).checked_add(usd),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn currency_codes_are_validated() {
        assert!(Currency::new("US").is_err());
        assert!(Currency::new("US1").is_err());
        assert!(Currency::new("ÜSD").is_err());
        assert_eq!(cur("usd"), Currency::USD);
    }

    #[test]
    fn serialises_as_amount_and_code() {
        let json = serde_json::to_string(&Money::new(1250, Currency::USD)).unwrap();
        assert_eq!(json, r#"{"amount":1250,"currency":"USD"}"#);
        let back: Money = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Money::new(1250, Currency::USD));
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(amount in -10_i64.pow(15)..10_i64.pow(15),
                                         code in prop::sample::select(vec!["USD", "JPY", "KWD", "CLF"])) {
            let money = Money::new(amount, cur(code));
            prop_assert_eq!(Money::parse(&money.format_amount(), money.currency).unwrap(), money);
        }
    }
}

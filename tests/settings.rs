//! The back office's Settings on real SQLite: the store section (name, currency, low-stock
//! default), taxes and shipping as typed, and discount codes.

mod common;

use common::{blank_shop, buyer, flag, variant};
use flagshop::{
    DiscountCodeForm, DiscountState, Error, PricingForm, PricingRules, ShippingRate,
    ShippingRateForm, Shop, StoreSettingsUpdate,
};

fn store(name: &str, currency: &str, low_stock: &str) -> StoreSettingsUpdate {
    StoreSettingsUpdate {
        name: name.to_owned(),
        currency: currency.to_owned(),
        low_stock_default: low_stock.to_owned(),
    }
}

/// The field an error is about, and its message.
fn field_error(
    result: Result<impl std::fmt::Debug, Error>,
) -> (&'static str, Option<usize>, String) {
    match result {
        Err(Error::InvalidField {
            field,
            variant,
            message,
        }) => (field, variant, message),
        other => panic!("expected a field error, got {other:?}"),
    }
}

fn with_pl_flag(shop: &Shop) {
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![variant("PL", &["3x5 ft"], 2500, 5)],
    ))
    .unwrap();
}

#[test]
fn a_new_shop_has_sensible_store_settings() {
    let (_dir, shop) = blank_shop();
    let settings = shop.store_settings().unwrap();
    assert_eq!(settings.name, "Flagshop");
    assert_eq!(settings.currency.code(), "USD");
    assert_eq!(settings.currency_locked, None);
    assert_eq!(settings.low_stock_default, 5);
}

#[test]
fn the_store_section_is_saved_and_read_back() {
    let (_dir, shop) = blank_shop();
    let saved = shop
        .save_store_settings(&store("  Kyiv Flags ", "eur", "3"))
        .unwrap();
    assert_eq!(saved.name, "Kyiv Flags");
    assert_eq!(saved.currency.code(), "EUR");
    assert_eq!(saved.low_stock_default, 3);
    assert_eq!(shop.info().unwrap().name, "Kyiv Flags");
    assert_eq!(shop.low_stock_default().unwrap(), 3);
    assert_eq!(shop.store_settings().unwrap(), saved);
}

#[test]
fn refused_store_values_name_their_field_and_save_nothing() {
    let (_dir, shop) = blank_shop();
    let before = shop.store_settings().unwrap();
    for (update, expected_field, words) in [
        (store(" ", "USD", "5"), "name", "needs a name"),
        (store(&"x".repeat(81), "USD", "5"), "name", "too long"),
        (store("Shop", "dollars", "5"), "currency", "not an ISO 4217"),
        (
            store("Shop", "EUR", "-1"),
            "low_stock_default",
            "whole number",
        ),
        (
            store("Shop", "EUR", "2.5"),
            "low_stock_default",
            "whole number",
        ),
        (
            store("Shop", "EUR", ""),
            "low_stock_default",
            "whole number",
        ),
    ] {
        let (field, _, message) = field_error(shop.save_store_settings(&update));
        assert_eq!(field, expected_field, "{message}");
        assert!(message.contains(words), "{message}");
    }
    assert_eq!(shop.store_settings().unwrap(), before);
}

#[test]
fn changing_the_currency_relabels_prices_of_the_same_precision() {
    let (_dir, shop) = blank_shop();
    with_pl_flag(&shop);
    shop.save_store_settings(&store("Shop", "EUR", "5"))
        .unwrap();
    let variant = &shop.product("pl").unwrap().variants[0];
    assert_eq!(
        (variant.price().amount, variant.currency.code()),
        (2500, "EUR")
    );
    // The cart and the totals follow: one currency per shop.
    assert_eq!(
        shop.quote(&[("PL".to_owned(), 1)], "US", None)
            .unwrap()
            .currency
            .code(),
        "EUR"
    );
}

#[test]
fn a_currency_with_other_decimals_is_refused_while_products_have_prices() {
    let (_dir, shop) = blank_shop();
    with_pl_flag(&shop);
    let (field, _, message) = field_error(shop.save_store_settings(&store("Shop", "JPY", "5")));
    assert_eq!(field, "currency");
    assert!(message.contains("every price would change"), "{message}");
    assert_eq!(shop.currency().unwrap().code(), "USD");
    assert_eq!(
        shop.product("pl").unwrap().variants[0].currency.code(),
        "USD"
    );

    let (_dir, empty) = blank_shop();
    let saved = empty
        .save_store_settings(&store("Shop", "JPY", "5"))
        .unwrap();
    assert_eq!(
        saved.currency.code(),
        "JPY",
        "nothing to relabel in an empty shop"
    );
}

#[test]
fn the_currency_is_locked_once_an_order_exists() {
    let (_dir, shop) = blank_shop();
    with_pl_flag(&shop);
    shop.place_order(&[("PL".to_owned(), 1)], &buyer(), None)
        .unwrap();
    let settings = shop.store_settings().unwrap();
    let reason = settings.currency_locked.expect("locked by the order");
    assert!(reason.contains("an order was placed in USD"), "{reason}");

    let (field, _, message) = field_error(shop.save_store_settings(&store("Shop", "EUR", "5")));
    assert_eq!((field, message), ("currency", reason));
    assert_eq!(shop.currency().unwrap().code(), "USD");
    // Everything else can still change.
    let saved = shop
        .save_store_settings(&store("Renamed", "usd", "7"))
        .unwrap();
    assert_eq!(
        (saved.name.as_str(), saved.low_stock_default),
        ("Renamed", 7)
    );
}

fn rate(zone: &str, countries: &str, amount: &str) -> ShippingRateForm {
    ShippingRateForm {
        zone: zone.to_owned(),
        countries: countries.to_owned(),
        amount: amount.to_owned(),
    }
}

fn pricing(tax: &str, rates: Vec<ShippingRateForm>) -> PricingForm {
    PricingForm {
        tax_rate: tax.to_owned(),
        prices_include_tax: true,
        shipping_rates: rates,
    }
}

#[test]
fn the_pricing_form_is_read_with_integer_maths_and_shown_as_typed() {
    let (_dir, shop) = blank_shop();
    let form = pricing(
        "8.25",
        vec![
            rate("Domestic", "us", "4.99"),
            rate("Europe", "DE, fr  PL", "12"),
            rate("Rest of world", "*", "25.50"),
        ],
    );
    let saved = shop.save_pricing_form(&form).unwrap();
    assert_eq!(
        shop.pricing_rules().unwrap(),
        PricingRules {
            tax_rate_bps: 825,
            prices_include_tax: true,
            shipping_rates: vec![
                ShippingRate {
                    zone: "Domestic".into(),
                    countries: vec!["US".into()],
                    amount: 499,
                },
                ShippingRate {
                    zone: "Europe".into(),
                    countries: vec!["DE".into(), "FR".into(), "PL".into()],
                    amount: 1200,
                },
                ShippingRate {
                    zone: "Rest of world".into(),
                    countries: vec!["*".into()],
                    amount: 2550,
                },
            ],
        }
    );
    assert_eq!(saved.tax_rate, "8.25");
    assert_eq!(saved.shipping_rates[1].countries, "DE, FR, PL");
    assert_eq!(saved.shipping_rates[1].amount, "12.00");
    assert_eq!(shop.pricing_form().unwrap(), saved);
}

#[test]
fn refused_pricing_values_name_their_field_and_row() {
    let (_dir, shop) = blank_shop();
    let before = shop.pricing_rules().unwrap();
    let ok = || rate("Domestic", "US", "5.00");
    for (form, expected, words) in [
        (
            pricing("8.255", vec![ok()]),
            ("tax_rate", None),
            "too many decimals",
        ),
        (
            pricing("120", vec![ok()]),
            ("tax_rate", None),
            "more than 100",
        ),
        (
            pricing("eight", vec![ok()]),
            ("tax_rate", None),
            "not a percentage",
        ),
        (
            pricing("0", vec![]),
            ("shipping_rates", None),
            "at least one",
        ),
        (
            pricing("0", vec![ok(), rate(" ", "*", "1")]),
            ("shipping_zone", Some(1)),
            "name this zone",
        ),
        (
            pricing("0", vec![ok(), rate("domestic", "*", "1")]),
            ("shipping_zone", Some(1)),
            "already a zone",
        ),
        (
            pricing("0", vec![ok(), rate("World", "USA", "1")]),
            ("shipping_countries", Some(1)),
            "\"USA\" is not a country code",
        ),
        (
            pricing("0", vec![ok(), rate("Americas", "CA, us", "1")]),
            ("shipping_countries", Some(1)),
            "US is already in the zone \"Domestic\"",
        ),
        (
            pricing("0", vec![ok(), rate("World", "", "1")]),
            ("shipping_countries", Some(1)),
            "list the countries",
        ),
        (
            pricing("0", vec![rate("Domestic", "US", "4.999")]),
            ("shipping_amount", Some(0)),
            "not an amount of USD",
        ),
        (
            pricing("0", vec![rate("Domestic", "US", "-1")]),
            ("shipping_amount", Some(0)),
            "less than nothing",
        ),
    ] {
        let (field, row, message) = field_error(shop.save_pricing_form(&form));
        assert_eq!((field, row), expected, "{message}");
        assert!(message.contains(words), "{message}");
    }
    assert_eq!(shop.pricing_rules().unwrap(), before);
}

fn discount(code: &str, percent: bool, value: &str) -> DiscountCodeForm {
    DiscountCodeForm {
        code: code.to_owned(),
        percent,
        value: value.to_owned(),
        starts_on: String::new(),
        ends_on: String::new(),
        usage_limit: String::new(),
    }
}

#[test]
fn discount_codes_are_listed_with_their_state() {
    let (_dir, shop) = blank_shop();
    shop.save_discount_form(&discount("WELCOME10", true, "10"), true)
        .unwrap();
    let mut fixed = discount("FIVE", false, "5");
    fixed.usage_limit = "100".into();
    fixed.ends_on = "2999-12-31".into();
    shop.save_discount_form(&fixed, true).unwrap();
    let mut later = discount("NEXTYEAR", true, "7.5");
    later.starts_on = "2999-01-01".into();
    shop.save_discount_form(&later, true).unwrap();
    let mut past = discount("OLD", true, "20");
    past.starts_on = "2020-01-01".into();
    past.ends_on = "2020-12-31".into();
    shop.save_discount_form(&past, true).unwrap();

    let codes = shop.discount_codes().unwrap();
    let summary: Vec<_> = codes
        .iter()
        .map(|c| (c.code.as_str(), c.value, c.value_text.as_str(), c.state))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("FIVE", 500, "5.00", DiscountState::Active),
            ("NEXTYEAR", 750, "7.5", DiscountState::Scheduled),
            ("OLD", 2000, "20", DiscountState::Ended),
            ("WELCOME10", 1000, "10", DiscountState::Active),
        ]
    );
    let five = &codes[0];
    assert_eq!(
        five.ends_on.as_deref(),
        Some("2999-12-31"),
        "the last day it works"
    );
    assert_eq!((five.usage_limit, five.times_used), (Some(100), 0));
    assert_eq!(codes[2].starts_on.as_deref(), Some("2020-01-01"));
    assert_eq!(codes[2].ends_on.as_deref(), Some("2020-12-31"));
}

#[test]
fn a_discount_code_works_through_its_last_day() {
    let (_dir, shop) = blank_shop();
    with_pl_flag(&shop);
    let mut code = discount("TODAY", true, "10");
    code.starts_on = today();
    code.ends_on = today();
    shop.save_discount_form(&code, true).unwrap();
    let totals = shop
        .quote(&[("PL".to_owned(), 1)], "US", Some("TODAY"))
        .unwrap();
    assert_eq!(totals.discount, 250);
}

/// Today's UTC day, as SQLite sees it.
fn today() -> String {
    rusqlite::Connection::open_in_memory()
        .and_then(|db| db.query_row("SELECT date('now')", [], |r| r.get(0)))
        .expect("ask SQLite for today")
}

#[test]
fn editing_a_code_keeps_its_uses_and_ending_it_stops_it() {
    let (_dir, shop) = blank_shop();
    with_pl_flag(&shop);
    shop.save_discount_form(&discount("SPRING", true, "10"), true)
        .unwrap();
    shop.place_order(&[("PL".to_owned(), 1)], &buyer(), Some("SPRING"))
        .unwrap();
    let mut edit = discount("spring", false, "3.00");
    edit.usage_limit = "1".into();
    shop.save_discount_form(&edit, false).unwrap();
    let code = &shop.discount_codes().unwrap()[0];
    assert_eq!(
        (
            code.code.as_str(),
            code.percent,
            code.value,
            code.times_used,
            code.state
        ),
        ("SPRING", false, 300, 1, DiscountState::UsedUp)
    );

    shop.save_discount_form(&discount("SUMMER", true, "5"), true)
        .unwrap();
    shop.end_discount_code("SUMMER").unwrap();
    let summer = shop
        .discount_codes()
        .unwrap()
        .into_iter()
        .find(|c| c.code == "SUMMER")
        .unwrap();
    assert_eq!(summer.state, DiscountState::Ended);
    let err = shop
        .quote(&[("PL".to_owned(), 1)], "US", Some("SUMMER"))
        .unwrap_err();
    assert!(err.to_string().contains("not valid now"), "{err}");
}

#[test]
fn deleting_a_code_leaves_the_orders_that_used_it() {
    let (_dir, shop) = blank_shop();
    with_pl_flag(&shop);
    shop.save_discount_form(&discount("GONE", true, "10"), true)
        .unwrap();
    let order = shop
        .place_order(&[("PL".to_owned(), 1)], &buyer(), Some("GONE"))
        .unwrap();
    shop.delete_discount_code("gone").unwrap();
    assert!(shop.discount_codes().unwrap().is_empty());
    let order = shop.order(&order.number).unwrap();
    assert_eq!(order.discount_code.as_deref(), Some("GONE"));
    assert_eq!(order.totals.discount, 250);
    assert!(shop.delete_discount_code("GONE").is_err(), "already gone");
    assert!(shop.end_discount_code("GONE").is_err());
}

#[test]
fn refused_discount_codes_name_their_field_and_save_nothing() {
    let (_dir, shop) = blank_shop();
    shop.save_discount_form(&discount("TAKEN", true, "10"), true)
        .unwrap();
    let with = |edit: &dyn Fn(&mut DiscountCodeForm)| {
        let mut form = discount("NEW", true, "10");
        edit(&mut form);
        form
    };
    for (form, expected, words) in [
        (with(&|f| f.code = " ".into()), "code", "type the code"),
        (
            with(&|f| f.code = "TWO WORDS".into()),
            "code",
            "cannot be a code",
        ),
        (with(&|f| f.code = "taken".into()), "code", "already exists"),
        (
            with(&|f| f.value = " ".into()),
            "value",
            "how much the code takes off",
        ),
        (
            with(&|f| f.value = "0".into()),
            "value",
            "takes nothing off",
        ),
        (with(&|f| f.value = "101".into()), "value", "more than 100"),
        (
            with(&|f| f.value = "ten".into()),
            "value",
            "not a percentage",
        ),
        (
            with(&|f| {
                f.percent = false;
                f.value = "0".into();
            }),
            "value",
            "more than zero",
        ),
        (
            with(&|f| {
                f.percent = false;
                f.value = "1.234".into();
            }),
            "value",
            "not an amount of USD",
        ),
        (
            with(&|f| f.usage_limit = "0".into()),
            "usage_limit",
            "number of uses",
        ),
        (
            with(&|f| f.usage_limit = "lots".into()),
            "usage_limit",
            "number of uses",
        ),
        (
            with(&|f| f.starts_on = "2026-02-30".into()),
            "starts_on",
            "not a day",
        ),
        (
            with(&|f| f.ends_on = "31/12/2026".into()),
            "ends_on",
            "not a day",
        ),
        (
            with(&|f| {
                f.starts_on = "2026-12-31".into();
                f.ends_on = "2026-12-01".into();
            }),
            "ends_on",
            "comes before the first",
        ),
    ] {
        let (field, _, message) = field_error(shop.save_discount_form(&form, true));
        assert_eq!(field, expected, "{message}");
        assert!(message.contains(words), "{message}");
    }
    let codes: Vec<_> = shop
        .discount_codes()
        .unwrap()
        .into_iter()
        .map(|c| c.code)
        .collect();
    assert_eq!(codes, vec!["TAKEN"]);
    assert!(
        shop.save_discount_form(&discount("MISSING", true, "5"), false)
            .is_err(),
        "editing a code that does not exist"
    );
}

//! What a product and a variant must be: a handle, a title, unique SKUs, prices that are not
//! negative, … — each refusal names its field, for the editor to show it there.

use rusqlite::Connection;

use super::{NewVariant, shop_currency};
use crate::Error;
use crate::money::Money;

/// The checks every variant passes, new or edited.
pub(super) fn check_variant(
    conn: &Connection,
    option_count: usize,
    new: &NewVariant,
) -> Result<(), Error> {
    let sku = new.sku.trim();
    check_sku(sku)?;
    if new.options.len() != option_count {
        return Err(field_error(
            "options",
            format!(
                "variant \"{sku}\" has {} option values but its product has {option_count} options",
                new.options.len()
            ),
        ));
    }
    if new.options.iter().any(|v| v.trim().is_empty()) {
        return Err(field_error(
            "options",
            format!("variant \"{sku}\" has an empty option value"),
        ));
    }
    check_price(conn, sku, "price", new.price)?;
    if let Some(compare_at) = new.compare_at {
        check_price(conn, sku, "compare_at_price", compare_at)?;
    }
    check_non_negative(sku, "weight_grams", new.weight_grams)?;
    check_non_negative(sku, "on_hand", new.on_hand)?;
    check_non_negative(sku, "low_stock_threshold", new.low_stock_threshold)
}

/// An [`Error::InvalidField`] about `field`, not yet tied to a variant's position.
pub(super) fn field_error(field: &'static str, message: String) -> Error {
    Error::InvalidField {
        field,
        variant: None,
        message,
    }
}

/// `e`, if it is about a field, as being about the variant at `index` of what was sent.
pub(super) fn at_variant(e: Error, index: usize) -> Error {
    match e {
        Error::InvalidField { field, message, .. } => Error::InvalidField {
            field,
            variant: Some(index),
            message,
        },
        other => other,
    }
}

/// The words a message uses for a variant field.
pub(super) fn field_words(field: &'static str) -> &'static str {
    match field {
        "compare_at_price" => "compare-at price",
        "weight_grams" => "weight",
        "low_stock_threshold" => "low-stock threshold",
        "on_hand" => "stock on hand",
        other => other,
    }
}

pub(super) fn check_price(
    conn: &Connection,
    sku: &str,
    field: &'static str,
    price: Money,
) -> Result<(), Error> {
    let what = field_words(field);
    if price.amount < 0 {
        return Err(field_error(
            field,
            format!("{what} of \"{sku}\" is negative ({price})"),
        ));
    }
    let currency = shop_currency(conn)?;
    if price.currency != currency {
        return Err(field_error(
            field,
            format!(
                "{what} of \"{sku}\" is in {} but the shop sells in {currency}",
                price.currency
            ),
        ));
    }
    Ok(())
}

pub(super) fn check_non_negative(sku: &str, field: &'static str, value: i64) -> Result<(), Error> {
    if value < 0 {
        return Err(field_error(
            field,
            format!("{} of \"{sku}\" is negative ({value})", field_words(field)),
        ));
    }
    Ok(())
}

pub(super) fn check_handle(handle: &str) -> Result<(), Error> {
    let ok = !handle.is_empty()
        && handle
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(field_error(
            "handle",
            format!(
                "handle \"{handle}\" must be lower-case letters, digits and dashes, e.g. ukraine-flag"
            ),
        ))
    }
}

pub(super) fn check_title(title: &str) -> Result<(), Error> {
    if title.trim().is_empty() {
        Err(field_error("title", "title is empty".to_owned()))
    } else {
        Ok(())
    }
}

pub(super) fn check_sku(sku: &str) -> Result<(), Error> {
    if sku.is_empty() || sku.chars().any(char::is_whitespace) {
        Err(field_error(
            "sku",
            format!("SKU \"{sku}\" must be non-empty and contain no spaces"),
        ))
    } else {
        Ok(())
    }
}

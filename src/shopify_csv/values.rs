//! The cells of a product CSV as the shop's own values: prices in minor units of the shop's
//! currency, quantities, grams, statuses and handles. Each refusal says what the cell held and
//! what was expected; the caller adds the row and the column.

use crate::catalogue::{ProductStatus, WeightUnit};
use crate::money::{Currency, Money};

/// A price cell: empty is `None`. Shopify writes `19.99`; a spreadsheet in a comma locale may
/// write `19,99`, which is read the same when the comma can only be a decimal point.
pub fn price(cell: &str, currency: Currency) -> Result<Option<i64>, String> {
    let text = cell.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let decimal_comma = !text.contains('.')
        && text
            .rsplit_once(',')
            .is_some_and(|(whole, fraction)| !whole.contains(',') && fraction.len() <= 2);
    let text = if decimal_comma {
        text.replacen(',', ".", 1)
    } else {
        text.to_owned()
    };
    let money = Money::parse(&text, currency).map_err(|e| e.to_string())?;
    if money.amount < 0 {
        return Err(format!("{cell} is negative"));
    }
    Ok(Some(money.amount))
}

/// A stock quantity: a whole number. Empty is `None` (stock left alone).
pub fn quantity(cell: &str) -> Result<Option<i64>, String> {
    let text = cell.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<i64>()
        .map(Some)
        .map_err(|_| format!("\"{cell}\" is not a whole number of units"))
}

/// `Variant Grams`: grams, which exports write as `145` or `0.0`. Rounded to a whole gram.
pub fn grams(cell: &str) -> Result<i64, String> {
    let text = cell.trim();
    if text.is_empty() {
        return Ok(0);
    }
    let value: f64 = text
        .parse()
        .ok()
        .filter(|g: &f64| g.is_finite() && (0.0..1e12).contains(g))
        .ok_or_else(|| format!("\"{cell}\" is not a weight in grams"))?;
    // Whole grams, not money: rounding a measured weight is what a scale does.
    Ok(value.round() as i64)
}

/// The unit a weight is shown in; Shopify writes `g`, `kg`, `lb` or `oz` (any case).
pub fn weight_unit(cell: &str) -> Result<Option<WeightUnit>, String> {
    let text = cell.trim().to_lowercase();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| format!("\"{cell}\" is not a weight unit (g, kg, lb or oz)"))
}

/// The product's status: the `Status` column (2021 on) when the file has it, else `Published`
/// (TRUE is on sale, FALSE a draft); a product with neither is active, as in Shopify.
pub fn status(status: &str, published: &str) -> Result<ProductStatus, String> {
    let status = status.trim().to_lowercase();
    if !status.is_empty() {
        return status
            .parse()
            .map_err(|_| format!("\"{status}\" is not a status (active, draft or archived)"));
    }
    match published.trim().to_lowercase().as_str() {
        "" | "true" | "yes" | "1" => Ok(ProductStatus::Active),
        "false" | "no" | "0" => Ok(ProductStatus::Draft),
        other => Err(format!("\"{other}\" is neither TRUE nor FALSE")),
    }
}

/// A handle as Flagshop keeps them: lower-case ASCII letters, digits and single dashes. Shopify
/// allows more (capitals, accents, underscores); they are transliterated the same way on every
/// import, so a re-import finds the product again. `None` when nothing is left.
pub fn handle(cell: &str) -> Option<String> {
    let mut out = String::new();
    for c in deunicode::deunicode(cell.trim()).chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    (!out.is_empty()).then_some(out)
}

/// A barcode cell. Excel turns long numbers into `3.65275E+11`, and the digits it dropped
/// cannot be recovered: such a barcode is refused, not stored wrong.
pub fn barcode(cell: &str) -> Result<Option<String>, String> {
    let text = cell.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let scientific = text.contains(['E', 'e'])
        && text
            .split(['E', 'e'])
            .all(|part| part.trim_start_matches(['+', '-']).parse::<f64>().is_ok());
    if scientific {
        return Err(format!(
            "{text} was rounded by a spreadsheet and its last digits are lost: barcode not \
             imported (keep the column as text when saving the file)"
        ));
    }
    Ok(Some(text.to_owned()))
}

/// Tags as Shopify writes them: comma-separated.
pub fn tags(cell: &str) -> Vec<String> {
    cell.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_in_minor_units_refusing_negatives_and_typos() {
        let usd = Currency::USD;
        assert_eq!(price("19.99", usd), Ok(Some(1999)));
        assert_eq!(price("25", usd), Ok(Some(2500)));
        assert_eq!(price("15,5", usd), Ok(Some(1550)));
        assert_eq!(price("", usd), Ok(None));
        assert!(price("-1.00", usd).unwrap_err().contains("negative"));
        assert!(price("1,234.50", usd).is_err());
        assert!(price("19.999", usd).is_err());
        assert!(price("$5", usd).is_err());
        let jpy = Currency::new("JPY").unwrap();
        assert_eq!(price("1500", jpy), Ok(Some(1500)));
    }

    #[test]
    fn grams_units_and_quantities() {
        assert_eq!(grams("0.0"), Ok(0));
        assert_eq!(grams("145"), Ok(145));
        assert_eq!(grams("226.8"), Ok(227));
        assert!(grams("heavy").is_err());
        assert!(grams("-3").is_err());
        assert_eq!(weight_unit("KG"), Ok(Some(WeightUnit::Kg)));
        assert!(weight_unit("stone").is_err());
        assert_eq!(quantity("-2"), Ok(Some(-2)));
        assert!(quantity("2.5").is_err());
    }

    #[test]
    fn status_comes_from_status_then_published() {
        assert_eq!(status("Active", "false"), Ok(ProductStatus::Active));
        assert_eq!(status("", "FALSE"), Ok(ProductStatus::Draft));
        assert_eq!(status("", ""), Ok(ProductStatus::Active));
        assert!(status("sold", "").is_err());
    }

    #[test]
    fn handles_are_transliterated_the_same_every_time() {
        assert_eq!(
            handle("Żółta_Koszulka  XL").as_deref(),
            Some("zolta-koszulka-xl")
        );
        assert_eq!(handle("ukraine-flag").as_deref(), Some("ukraine-flag"));
        assert_eq!(handle("---"), None);
    }

    #[test]
    fn excel_rounded_barcodes_are_refused() {
        assert!(barcode("3.65275E+11").unwrap_err().contains("last digits"));
        assert_eq!(barcode("5784397765"), Ok(Some("5784397765".into())));
        assert_eq!(barcode("ABC-E1"), Ok(Some("ABC-E1".into())));
    }
}

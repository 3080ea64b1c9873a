//! Customers: everyone who placed an order, with what they bought and spent.
//!
//! A customer is created (or renamed) by placing an order with their email; there is no
//! separate sign-up.

use std::sync::LazyLock;

use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::catalogue::shop_currency;
use crate::money::Currency;
use crate::orders::{IN_THE_BOOKS, OrderSummary, summary_from_row, summary_select};
use crate::{Error, Shop};

/// One row of the customer list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CustomerSummary {
    pub email: String,
    /// The name given with their latest order.
    pub name: String,
    /// Orders placed, whatever became of them.
    pub orders_count: i64,
    /// What they paid, minus what was refunded, in minor units of `currency`.
    pub lifetime_spend: i64,
    /// `lifetime_spend` per order they paid for (rounded), 0 if they paid for none.
    pub average_order: i64,
    #[ts(type = "string")]
    pub currency: Currency,
    /// When they last ordered (ISO-8601 UTC), if they ever did.
    pub last_order_at: Option<String>,
}

/// A customer with their order history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CustomerDetail {
    pub customer: CustomerSummary,
    /// Newest first.
    pub orders: Vec<OrderSummary>,
}

/// Spend counts an order once money was taken (paid, partly or fully refunded). Only orders in
/// the books count: someone who placed only test orders is not a customer.
static CUSTOMER_SELECT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT c.email, c.name, count(o.id),
            coalesce(sum(CASE WHEN o.payment_status IN ('paid', 'partially_refunded', 'refunded')
                              THEN o.total - o.amount_refunded END), 0),
            max(o.created_at),
            count(CASE WHEN o.payment_status IN ('paid', 'partially_refunded', 'refunded')
                       THEN 1 END)
        FROM customers c JOIN orders o ON o.customer_id = c.id AND {IN_THE_BOOKS}"
    )
});

impl Shop {
    /// Every customer, the one who ordered last first.
    pub fn customers(&self) -> Result<Vec<CustomerSummary>, Error> {
        let conn = self.read()?;
        let currency = shop_currency(&conn)?;
        let mut stmt = conn.prepare_cached(&format!(
            "{} GROUP BY c.id ORDER BY max(o.created_at) DESC, c.id DESC",
            *CUSTOMER_SELECT
        ))?;
        let rows = stmt.query_map([], |row| customer_from_row(row, currency))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The customer with this email (in any case) and their orders, newest first. Fails with
    /// [`Error::UnknownCustomer`] when nobody ordered with it.
    pub fn customer(&self, email: &str) -> Result<CustomerDetail, Error> {
        let conn = self.read()?;
        let customer = find_customer(&conn, email.trim())?
            .ok_or_else(|| Error::UnknownCustomer(email.trim().to_owned()))?;
        let mut stmt = conn.prepare_cached(&format!(
            "{} WHERE o.customer_id = (SELECT id FROM customers WHERE email = ?1) AND {IN_THE_BOOKS}
             ORDER BY o.created_at DESC, o.id DESC",
            summary_select()
        ))?;
        let orders = stmt
            .query_map([&customer.email], summary_from_row)?
            .map(|r| r?)
            .collect::<Result<_, _>>()?;
        Ok(CustomerDetail { customer, orders })
    }
}

/// `email`, trimmed, if it is an e-mail address as the storefront's form accepts one (HTML's
/// "valid e-mail address": https://html.spec.whatwg.org/#valid-e-mail-address) with a dot in
/// its domain, since a shop ships to people on the internet, not on a local host. Anything
/// else is refused with [`Error::Invalid`] quoting it. The one check of an address: checkout,
/// the CLI and anything importing customers come through here.
pub(crate) fn email_address(email: &str) -> Result<String, Error> {
    const LOCAL_SYMBOLS: &str = ".!#$%&'*+/=?^_`{|}~-";
    let email = email.trim();
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let valid = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && local
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || LOCAL_SYMBOLS.contains(c))
                && domain.contains('.')
                && domain.split('.').all(label_ok)
        }
        None => false,
    };
    if valid {
        Ok(email.to_owned())
    } else {
        Err(Error::invalid(format!(
            "\"{email}\" is not an email address"
        )))
    }
}

fn find_customer(conn: &Connection, email: &str) -> Result<Option<CustomerSummary>, Error> {
    let currency = shop_currency(conn)?;
    Ok(conn
        .prepare_cached(&format!(
            "{} WHERE c.email = ?1 GROUP BY c.id",
            *CUSTOMER_SELECT
        ))?
        .query_row([email], |row| customer_from_row(row, currency))
        .optional()?)
}

fn customer_from_row(row: &Row<'_>, currency: Currency) -> rusqlite::Result<CustomerSummary> {
    Ok(CustomerSummary {
        email: row.get(0)?,
        name: row.get(1)?,
        orders_count: row.get(2)?,
        lifetime_spend: row.get(3)?,
        average_order: {
            let (spend, paid): (i64, i64) = (row.get(3)?, row.get(5)?);
            if paid == 0 {
                0
            } else {
                // Rounded half away from zero, as the receipt rounds.
                (spend + paid / 2) / paid
            }
        },
        currency,
        last_order_at: row.get(4)?,
    })
}

#[cfg(test)]
mod tests {
    use super::email_address;

    #[test]
    fn addresses_a_shop_can_mail_are_accepted_trimmed() {
        for ok in [
            "olena@example.com",
            " o.l+tag@mail.example.co.uk ",
            "first_last-1@sub-domain.example.ua",
            "x@a.io",
        ] {
            assert_eq!(email_address(ok).unwrap(), ok.trim(), "{ok}");
        }
    }

    #[test]
    fn anything_else_is_refused_by_name() {
        for bad in [
            "<script>@x.com",
            "a@-.x",
            "a@x-.com",
            "a@.com",
            "a@com",
            "a@x..com",
            "a b@x.com",
            "@x.com",
            "a@",
            "a@b@c.com",
            "ölena@example.com",
            "a@exa_mple.com",
            "",
        ] {
            let err = email_address(bad).unwrap_err().to_string();
            assert!(err.contains("is not an email address"), "{bad}: {err}");
            assert!(err.contains(bad.trim()), "{bad}: {err}");
        }
    }
}

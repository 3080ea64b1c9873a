//! Placing an order: merging its lines, checking the customer, pricing it, and reserving its
//! stock — all in one transaction.

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::{Address, CustomerDetails, Order, add_event, load_order};
use crate::catalogue::shop_currency;
use crate::money::Money;
use crate::pricing::{Totals, pricing_rules, usable_discount};
use crate::reservations::reserve_order_stock;
use crate::{Error, Shop, pricing};

impl Shop {
    /// The totals `lines` would have for `customer`'s country, without placing anything.
    pub fn quote(
        &self,
        lines: &[(String, i64)],
        country: &str,
        discount_code: Option<&str>,
    ) -> Result<Totals, Error> {
        let conn = self.conn();
        let wanted = merge_lines(lines)?;
        let mut subtotal = Money::zero(shop_currency(&conn)?);
        for (sku, quantity) in &wanted {
            let (_, _, _, price, _) = variant_for_sale(&conn, sku)?;
            subtotal = subtotal
                .checked_add(Money::new(price, subtotal.currency).checked_mul(*quantity)?)?;
        }
        let discount = discount_code
            .map(|c| usable_discount(&conn, c).map(|(_, d)| d))
            .transpose()?;
        pricing::totals(&pricing_rules(&conn)?, subtotal, discount, country)
    }

    /// Places an order for `lines` (SKU and quantity; the same SKU may appear twice) and reserves
    /// its stock, all in one transaction: if any line lacks stock, nothing is written and the
    /// error names the SKU and how many are left.
    pub fn place_order(
        &self,
        lines: &[(String, i64)],
        customer: &CustomerDetails,
        discount_code: Option<&str>,
    ) -> Result<Order, Error> {
        self.place(lines, customer, discount_code, false)
    }

    /// Places a test order, as [`Shop::place_order`] does a real one: the Checkout lab and
    /// `flagshop checkout` place these, and they stay out of the books.
    pub fn place_test_order(
        &self,
        lines: &[(String, i64)],
        customer: &CustomerDetails,
        discount_code: Option<&str>,
    ) -> Result<Order, Error> {
        self.place(lines, customer, discount_code, true)
    }

    fn place(
        &self,
        lines: &[(String, i64)],
        customer: &CustomerDetails,
        discount_code: Option<&str>,
        test: bool,
    ) -> Result<Order, Error> {
        let customer = validate_customer(customer)?;
        let wanted = merge_lines(lines)?;
        if wanted.is_empty() {
            return Err(Error::invalid("an order needs at least one line"));
        }
        let mut conn = self.conn();
        // IMMEDIATE: availability is read under the write lock, so two checkouts cannot both
        // see the last unit.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = insert_order(&tx, &wanted, &customer, discount_code, test)?;
        tx.commit()?;
        let order = load_order(&conn, id)?;
        tracing::info!(order = %order.number, total = order.totals.total, test, "order placed");
        Ok(order)
    }

    /// Places an order for the current cart, then empties the cart.
    pub fn place_order_from_cart(
        &self,
        customer: &CustomerDetails,
        discount_code: Option<&str>,
    ) -> Result<Order, Error> {
        let cart = self.cart()?;
        let lines: Vec<(String, i64)> = cart
            .lines
            .iter()
            .map(|l| (l.sku.clone(), l.quantity))
            .collect();
        let order = self.place_order(&lines, customer, discount_code)?;
        self.conn().execute(
            "UPDATE carts SET closed_at = shop_now() WHERE closed_at IS NULL",
            [],
        )?;
        Ok(order)
    }
}

/// Sums quantities per SKU (two lines of one variant compete for the same stock), keeping the
/// order in which SKUs first appear.
fn merge_lines(lines: &[(String, i64)]) -> Result<Vec<(String, i64)>, Error> {
    let mut merged: Vec<(String, i64)> = Vec::new();
    for (sku, quantity) in lines {
        if *quantity <= 0 {
            return Err(Error::invalid(format!(
                "quantity of \"{sku}\" must be at least 1, not {quantity}"
            )));
        }
        match merged.iter_mut().find(|(s, _)| s == sku) {
            Some((_, q)) => {
                // Checked: release builds wrap, and a wrapped quantity would look negative.
                *q = q.checked_add(*quantity).ok_or_else(|| {
                    Error::invalid(format!(
                        "quantity of \"{sku}\" is too large: {q} and {quantity} together are more \
                         than any order can hold"
                    ))
                })?
            }
            None => merged.push((sku.clone(), *quantity)),
        }
    }
    Ok(merged)
}

fn validate_customer(c: &CustomerDetails) -> Result<CustomerDetails, Error> {
    let email = crate::customers::email_address(&c.email)?;
    let field = |value: &str, name: &str| {
        let value = value.trim();
        if value.is_empty() {
            Err(Error::invalid(format!("{name} is empty")))
        } else {
            Ok(value.to_owned())
        }
    };
    let country = c.address.country.trim().to_ascii_uppercase();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Error::invalid(format!(
            "country \"{}\" must be a two-letter code such as US or UA",
            c.address.country.trim()
        )));
    }
    Ok(CustomerDetails {
        email,
        name: field(&c.name, "name")?,
        address: Address {
            line1: field(&c.address.line1, "address")?,
            line2: c.address.line2.trim().to_owned(),
            city: field(&c.address.city, "city")?,
            postal_code: field(&c.address.postal_code, "postal code")?,
            country,
        },
    })
}

/// A variant that can be sold now: (id, title, options, price, available).
fn variant_for_sale(
    conn: &Connection,
    sku: &str,
) -> Result<(i64, String, String, i64, i64), Error> {
    conn.prepare_cached(
        "SELECT v.id, p.title, concat_ws(' / ', v.option1, v.option2, v.option3), v.price_minor,
                s.available, p.status
         FROM variants v JOIN products p ON p.id = v.product_id
         JOIN variant_stock s ON s.variant_id = v.id
         WHERE v.sku = ?1",
    )?
    .query_row([sku], |row| {
        Ok((
            (
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ),
            row.get::<_, String>(5)?,
        ))
    })
    .optional()?
    .ok_or_else(|| Error::UnknownSku(sku.to_owned()))
    .and_then(|(variant, status)| {
        if status == "active" {
            Ok(variant)
        } else {
            Err(Error::NotForSale(sku.to_owned()))
        }
    })
}

fn insert_order(
    tx: &Transaction<'_>,
    wanted: &[(String, i64)],
    customer: &CustomerDetails,
    discount_code: Option<&str>,
    test: bool,
) -> Result<i64, Error> {
    let currency = shop_currency(tx)?;
    let mut subtotal = Money::zero(currency);
    let mut lines = Vec::new();
    for (sku, quantity) in wanted {
        let (variant, title, options, price, _) = variant_for_sale(tx, sku)?;
        subtotal = subtotal.checked_add(Money::new(price, currency).checked_mul(*quantity)?)?;
        lines.push((variant, sku, title, options, price, *quantity));
    }
    let discount = discount_code
        .filter(|c| !c.trim().is_empty())
        .map(|c| usable_discount(tx, c))
        .transpose()?;
    let totals = pricing::totals(
        &pricing_rules(tx)?,
        subtotal,
        discount.as_ref().map(|(_, d)| *d),
        &customer.address.country,
    )?;

    tx.execute(
        "INSERT INTO customers (email, name) VALUES (?1, ?2)
         ON CONFLICT (email) DO UPDATE SET name = excluded.name",
        params![customer.email, customer.name],
    )?;
    let customer_id: i64 = tx.query_row(
        "SELECT id FROM customers WHERE email = ?1",
        [&customer.email],
        |row| row.get(0),
    )?;
    let a = &customer.address;
    // The number follows the id; a temporary unique value keeps the UNIQUE constraint happy.
    tx.execute(
        "INSERT INTO orders (number, customer_id, email, ship_name, ship_line1, ship_line2,
                             ship_city, ship_postal_code, ship_country, currency, subtotal,
                             discount, shipping, tax, total, discount_code, test, created_at,
                             updated_at)
         VALUES ('new-' || hex(randomblob(8)), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,
                 ?13, ?14, ?15, ?16, shop_now(), shop_now())",
        params![
            customer_id,
            customer.email,
            customer.name,
            a.line1,
            a.line2,
            a.city,
            a.postal_code,
            a.country,
            currency.code(),
            totals.subtotal,
            totals.discount,
            totals.shipping,
            totals.tax,
            totals.total,
            discount.as_ref().map(|(c, _)| c.as_str()),
            test,
        ],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "UPDATE orders SET number = 'FS-' || (1000 + id) WHERE id = ?1",
        [id],
    )?;
    for (variant, sku, title, options, price, quantity) in lines {
        tx.prepare_cached(
            "INSERT INTO order_lines (order_id, variant_id, sku, title, options, unit_price, quantity)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![id, variant, sku, title, options, price, quantity])?;
    }
    reserve_order_stock(tx, id)?;
    if let Some((code, _)) = &discount {
        tx.execute(
            "UPDATE discount_codes SET times_used = times_used + 1 WHERE code = ?1",
            [code],
        )?;
    }
    add_event(
        tx,
        id,
        "placed",
        &format!("Order placed by {}", customer.email),
    )?;
    Ok(id)
}

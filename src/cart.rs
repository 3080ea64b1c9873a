//! The cart: what the shopper means to buy, kept in the shop's database so it survives a restart.
//!
//! The storefront is a single-user desktop app, so a shop has one current cart. Quantities are
//! checked against the stock that can still be sold (on hand minus reserved) whenever they
//! change; the cart itself reserves nothing — checkout does.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::catalogue::{ProductImage, ProductStatus, VariantId, shop_currency};
use crate::inventory;
use crate::money::{Currency, Money};
use crate::{Error, PaymentStatus, Shop};

/// The current cart with its lines and totals, as the cart drawer shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Cart {
    /// In the order they were first added.
    pub lines: Vec<CartLine>,
    /// Units in the cart, all lines together.
    pub item_count: i64,
    /// Sum of the line totals, in minor units of `currency`.
    pub subtotal: i64,
    #[ts(type = "string")]
    pub currency: Currency,
}

/// One variant in the cart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CartLine {
    pub sku: String,
    pub product_handle: String,
    pub product_title: String,
    /// Option values of the variant, e.g. `["3x5 ft", "Nylon"]`.
    pub options: Vec<String>,
    /// The product's first image.
    pub image: Option<ProductImage>,
    /// Price of one unit now, in minor units of `currency`.
    pub unit_price: i64,
    #[ts(type = "string")]
    pub currency: Currency,
    pub quantity: i64,
    /// Units that can still be sold; the quantity may not go above it.
    pub available: i64,
    /// `unit_price` × `quantity`, in minor units.
    pub line_total: i64,
}

impl Shop {
    /// The current cart (empty if nothing was ever added).
    pub fn cart(&self) -> Result<Cart, Error> {
        load_cart(&self.conn())
    }

    /// Adds `quantity` units of `sku` to the cart, on top of any already there.
    ///
    /// Fails with [`Error::UnknownSku`], [`Error::NotForSale`] for a draft or archived product,
    /// [`Error::Invalid`] for a quantity of 0, and [`Error::QuantityUnavailable`] when the
    /// cart would then hold more than is available; a refusal leaves the cart as it was.
    pub fn add_to_cart(&self, sku: &str, quantity: u32) -> Result<Cart, Error> {
        if quantity == 0 {
            return Err(Error::invalid("add at least one to the cart"));
        }
        self.change_cart(sku, |current| current + i64::from(quantity))
    }

    /// Sets the quantity of `sku` in the cart; 0 removes the line. Fails like
    /// [`Shop::add_to_cart`].
    pub fn set_cart_quantity(&self, sku: &str, quantity: u32) -> Result<Cart, Error> {
        self.change_cart(sku, |_| i64::from(quantity))
    }

    /// Puts the lines of order `number` back in an empty cart, for the customer to try again
    /// after a payment that failed for certain (declined, refused, voided). An order whose
    /// payment may still go through (pending, awaiting 3-D Secure, outcome unknown) is refused
    /// with [`Error::Forbidden`]: refilling the cart would let the same goods be paid twice.
    /// A cart that already holds something is left as it is; lines that can no longer be sold
    /// (sold out, off sale) are left out.
    pub fn restore_cart(&self, number: &str) -> Result<Cart, Error> {
        let order = self.order(number)?;
        if !matches!(
            order.payment_status,
            PaymentStatus::Failed | PaymentStatus::Voided
        ) {
            return Err(Error::forbidden(
                &order.number,
                format!(
                    "was not put back in the cart: its payment may still go through (it is {}), \
                     and the same goods must not be paid twice",
                    order.payment_status.as_str()
                ),
            ));
        }
        if !self.cart()?.lines.is_empty() {
            return self.cart();
        }
        for line in &order.lines {
            let quantity = u32::try_from(line.quantity).unwrap_or(u32::MAX);
            match self.add_to_cart(&line.sku, quantity) {
                Ok(_) => {}
                Err(
                    Error::QuantityUnavailable { .. } | Error::NotForSale(_) | Error::UnknownSku(_),
                ) => {
                    tracing::info!(order = number, sku = line.sku, "not put back in the cart");
                }
                Err(e) => return Err(e),
            }
        }
        self.cart()
    }

    /// Takes `sku` out of the cart; removing a SKU that is not in it changes nothing.
    pub fn remove_from_cart(&self, sku: &str) -> Result<Cart, Error> {
        self.change_cart(sku, |_| 0)
    }

    /// Sets the line of `sku` to `new_quantity(current quantity)`, checking the product is on
    /// sale and the stock suffices, in one write transaction.
    fn change_cart(&self, sku: &str, new_quantity: impl FnOnce(i64) -> i64) -> Result<Cart, Error> {
        let mut conn = self.conn();
        // IMMEDIATE: read the stock and write the line under one write lock.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let variant = inventory::variant_id(&tx, sku)?;
        let cart = open_cart_id(&tx)?;
        let current: i64 = match cart {
            Some(cart) => tx
                .prepare_cached(
                    "SELECT quantity FROM cart_lines WHERE cart_id = ?1 AND variant_id = ?2",
                )?
                .query_row(params![cart, variant.0], |row| row.get(0))
                .optional()?
                .unwrap_or(0),
            None => 0,
        };
        let quantity = new_quantity(current);
        if quantity == current {
            drop(tx);
            return load_cart(&conn);
        }
        if quantity > 0 {
            check_can_sell(&tx, variant, sku, quantity)?;
        }
        let cart = match cart {
            Some(cart) => cart,
            None => {
                tx.execute("INSERT INTO carts DEFAULT VALUES", [])?;
                tx.last_insert_rowid()
            }
        };
        if quantity > 0 {
            tx.prepare_cached(
                "INSERT INTO cart_lines (cart_id, variant_id, quantity) VALUES (?1, ?2, ?3)
                 ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = excluded.quantity",
            )?
            .execute(params![cart, variant.0, quantity])?;
        } else {
            tx.prepare_cached("DELETE FROM cart_lines WHERE cart_id = ?1 AND variant_id = ?2")?
                .execute(params![cart, variant.0])?;
        }
        tx.prepare_cached("UPDATE carts SET updated_at = shop_now() WHERE id = ?1")?
            .execute([cart])?;
        tx.commit()?;
        tracing::info!(sku, quantity, "cart changed");
        load_cart(&conn)
    }
}

/// The id of the open cart, if one was ever started.
fn open_cart_id(conn: &Connection) -> Result<Option<i64>, Error> {
    Ok(conn
        .prepare_cached("SELECT id FROM carts WHERE closed_at IS NULL")?
        .query_row([], |row| row.get(0))
        .optional()?)
}

/// Refuses `quantity` units of a variant whose product is not on sale or whose available stock
/// is lower.
fn check_can_sell(
    conn: &Connection,
    variant: VariantId,
    sku: &str,
    quantity: i64,
) -> Result<(), Error> {
    let (title, status, available): (String, String, i64) = conn
        .prepare_cached(
            "SELECT p.title, p.status, s.available FROM variants v
             JOIN products p ON p.id = v.product_id
             JOIN variant_stock s ON s.variant_id = v.id
             WHERE v.id = ?1",
        )?
        .query_row([variant.0], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
    if status.parse::<ProductStatus>()? != ProductStatus::Active {
        return Err(Error::NotForSale(title));
    }
    if quantity > available {
        return Err(Error::QuantityUnavailable {
            sku: sku.to_owned(),
            requested: quantity,
            available: available.max(0),
        });
    }
    Ok(())
}

fn load_cart(conn: &Connection) -> Result<Cart, Error> {
    let currency = shop_currency(conn)?;
    let mut lines = Vec::new();
    if let Some(cart) = open_cart_id(conn)? {
        let mut stmt = conn.prepare_cached(
            "SELECT v.sku, p.handle, p.title, v.option1, v.option2, v.option3, v.price_minor,
                    v.currency, l.quantity, s.available, i.hash, i.width, i.height, i.alt
             FROM cart_lines l
             JOIN variants v ON v.id = l.variant_id
             JOIN products p ON p.id = v.product_id
             JOIN variant_stock s ON s.variant_id = v.id
             LEFT JOIN product_images i ON i.id = (
                 SELECT id FROM product_images WHERE product_id = p.id
                 ORDER BY position, id LIMIT 1)
             WHERE l.cart_id = ?1
             ORDER BY l.id",
        )?;
        let rows = stmt.query_map([cart], line_from_row)?;
        for row in rows {
            lines.push(row??);
        }
    }
    let mut subtotal = Money::zero(currency);
    let mut item_count = 0;
    for line in &lines {
        subtotal = subtotal.checked_add(Money::new(line.line_total, line.currency))?;
        item_count += line.quantity;
    }
    Ok(Cart {
        lines,
        item_count,
        subtotal: subtotal.amount,
        currency,
    })
}

fn line_from_row(row: &Row<'_>) -> rusqlite::Result<Result<CartLine, Error>> {
    let options = (3..6)
        .map(|i| row.get::<_, Option<String>>(i))
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    let hash: Option<String> = row.get(10)?;
    let image = match hash {
        Some(hash) => Some(ProductImage {
            hash,
            width: row.get(11)?,
            height: row.get(12)?,
            alt: row.get(13)?,
        }),
        None => None,
    };
    let currency: String = row.get(7)?;
    let quantity: i64 = row.get(8)?;
    let line = Currency::new(&currency)
        .map_err(Error::from)
        .and_then(|currency| {
            let unit_price = Money::new(row.get(6)?, currency);
            Ok(CartLine {
                sku: row.get(0)?,
                product_handle: row.get(1)?,
                product_title: row.get(2)?,
                options,
                image,
                unit_price: unit_price.amount,
                currency,
                quantity,
                available: row.get::<_, i64>(9)?.max(0),
                line_total: unit_price.checked_mul(quantity)?.amount,
            })
        });
    Ok(line)
}

//! The orders export for the accountant, in the columns of Shopify's orders export: one row
//! per line item; the order's own fields (status, totals, addresses, payment) on its first row
//! only, as Shopify writes them, so that summing `Total` counts each order once. Real orders
//! only: test orders never reach the books. Streamed, one order at a time.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::{Order, OrderQuery, PaymentStatus};
use crate::money::Money;
use crate::{Error, Shop, files};

/// The columns written, in Shopify's order.
const HEADER: [&str; 41] = [
    "Name",
    "Email",
    "Financial Status",
    "Paid at",
    "Fulfillment Status",
    "Fulfilled at",
    "Currency",
    "Subtotal",
    "Shipping",
    "Taxes",
    "Total",
    "Discount Code",
    "Discount Amount",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem sku",
    "Lineitem fulfillment status",
    "Billing Name",
    "Billing Street",
    "Billing Address1",
    "Billing Address2",
    "Billing City",
    "Billing Zip",
    "Billing Country",
    "Shipping Name",
    "Shipping Street",
    "Shipping Address1",
    "Shipping Address2",
    "Shipping City",
    "Shipping Zip",
    "Shipping Country",
    "Cancelled at",
    "Payment Method",
    "Payment Reference",
    "Refunded Amount",
    "Outstanding Balance",
    "Id",
    "Tracking Number",
    "Carrier",
];

/// What an orders export wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct OrdersExportSummary {
    pub file: String,
    #[ts(type = "number")]
    pub orders: usize,
    #[ts(type = "number")]
    pub rows: usize,
}

impl Shop {
    /// Writes the real orders placed from `from` to `to` (UTC days, `YYYY-MM-DD`, both
    /// included; either may be open) to the file `path`, under a temporary name renamed when
    /// complete.
    pub fn export_orders_to(
        &self,
        path: &Path,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<OrdersExportSummary, Error> {
        let mut summary = files::write_whole(path, |out| self.export_orders(out, from, to))?;
        summary.file = path.display().to_string();
        Ok(summary)
    }

    /// [`Shop::export_orders_to`], to any writer.
    pub fn export_orders(
        &self,
        out: impl Write,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<OrdersExportSummary, Error> {
        let orders = self.search_orders(&OrderQuery {
            placed_from: from.map(str::to_owned),
            placed_to: to.map(str::to_owned),
            test: Some(false),
            ..OrderQuery::default()
        })?;
        let mut writer = csv::Writer::from_writer(out);
        let write_error = |e: csv::Error| Error::invalid(format!("cannot write the CSV file: {e}"));
        writer.write_record(HEADER).map_err(write_error)?;
        let mut summary = OrdersExportSummary::default();
        // Oldest first, as an accountant reads a ledger.
        for listed in orders.iter().rev() {
            let order = self.order(&listed.number)?;
            for row in order_rows(&order) {
                writer.write_record(&row).map_err(write_error)?;
                summary.rows += 1;
            }
            summary.orders += 1;
        }
        writer.flush().map_err(|e| write_error(e.into()))?;
        Ok(summary)
    }
}

/// Shopify's financial status words.
fn financial_status(status: PaymentStatus) -> &'static str {
    match status {
        PaymentStatus::Pending | PaymentStatus::RequiresAction | PaymentStatus::Failed => "pending",
        PaymentStatus::Paid => "paid",
        PaymentStatus::PartiallyRefunded => "partially_refunded",
        PaymentStatus::Refunded => "refunded",
        PaymentStatus::Voided => "voided",
    }
}

/// `2026-11-27T10:30:00.123Z` as Shopify's exports write times: `2026-11-27 10:30:00 +0000`.
fn shopify_time(time: &str) -> String {
    match (time.get(..10), time.get(11..19)) {
        (Some(day), Some(clock)) => format!("{day} {clock} +0000"),
        _ => time.to_owned(),
    }
}

fn order_rows(order: &Order) -> Vec<[String; HEADER.len()]> {
    let currency = order.totals.currency;
    let money = |minor: i64| Money::new(minor, currency).format_amount();
    let time = |t: &Option<String>| t.as_deref().map(shopify_time).unwrap_or_default();
    let a = &order.address;
    let street = if a.line2.is_empty() {
        a.line1.clone()
    } else {
        format!("{}, {}", a.line1, a.line2)
    };
    let outstanding = if order.paid { 0 } else { order.totals.total };
    order
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let first = i == 0;
            let only_first = |value: String| if first { value } else { String::new() };
            [
                order.number.clone(),
                order.email.clone(),
                only_first(financial_status(order.payment_status).to_owned()),
                only_first(time(&order.paid_at)),
                only_first(order.fulfillment_status.clone()),
                only_first(time(&order.fulfilled_at)),
                only_first(currency.code().to_owned()),
                only_first(money(order.totals.subtotal)),
                only_first(money(order.totals.shipping)),
                only_first(money(order.totals.tax)),
                only_first(money(order.totals.total)),
                only_first(order.discount_code.clone().unwrap_or_default()),
                only_first(money(order.totals.discount)),
                shopify_time(&order.created_at),
                line.quantity.to_string(),
                if line.options.is_empty() {
                    line.title.clone()
                } else {
                    format!("{} - {}", line.title, line.options)
                },
                money(line.unit_price),
                line.sku.clone(),
                order.fulfillment_status.clone(),
                only_first(order.customer_name.clone()),
                only_first(street.clone()),
                only_first(a.line1.clone()),
                only_first(a.line2.clone()),
                only_first(a.city.clone()),
                only_first(a.postal_code.clone()),
                only_first(a.country.clone()),
                only_first(order.customer_name.clone()),
                only_first(street.clone()),
                only_first(a.line1.clone()),
                only_first(a.line2.clone()),
                only_first(a.city.clone()),
                only_first(a.postal_code.clone()),
                only_first(a.country.clone()),
                only_first(time(&order.cancelled_at)),
                only_first(match (&order.card_brand, &order.card_last4) {
                    (Some(brand), Some(last4)) => format!("Stripe ({brand} •••• {last4})"),
                    _ if order.payment_intent_id.is_some() => "Stripe".to_owned(),
                    _ => String::new(),
                }),
                only_first(order.payment_intent_id.clone().unwrap_or_default()),
                only_first(money(order.amount_refunded)),
                only_first(money(outstanding)),
                only_first(order.id.to_string()),
                only_first(order.tracking_number.clone().unwrap_or_default()),
                only_first(order.carrier.clone().unwrap_or_default()),
            ]
        })
        .collect()
}

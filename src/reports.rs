//! The dashboard: today's and this month's sales, what waits to be shipped, what runs low, and
//! the last 30 days of sales.
//!
//! Days are UTC days. Sales are net: an order counts on the day it was paid, a refund is taken
//! off on the day it was made, so a month's figure does not change when an old order is
//! refunded today.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::catalogue::shop_currency;
use crate::money::Currency;
use crate::orders::IN_THE_BOOKS;
use crate::{Error, Shop};

/// How many days the sales chart shows, today included.
pub const CHART_DAYS: usize = 30;

/// What the back office's home screen shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Dashboard {
    /// Every amount below is in minor units of this currency.
    #[ts(type = "string")]
    pub currency: Currency,
    /// The UTC day the figures are for, `YYYY-MM-DD`.
    pub today: String,
    /// Paid minus refunded today.
    pub sales_today: i64,
    /// Paid minus refunded since the first of this month.
    pub sales_this_month: i64,
    /// Open orders that are paid (perhaps partly refunded) and not yet fulfilled.
    pub orders_to_fulfil: i64,
    /// Variants on sale at or below their low-stock threshold.
    pub low_stock_variants: i64,
    /// Open, paid orders lacking stock they were paid for: restock or refund them.
    pub oversold_orders: i64,
    /// Disputes the owner can still answer: the bank is waiting for evidence.
    pub disputes_needing_response: i64,
    /// ISO-8601 UTC: the earliest deadline among them.
    pub next_dispute_deadline: Option<String>,
    /// Net sales of each of the last [`CHART_DAYS`] days, oldest first, days without sales
    /// included as zero.
    pub daily_sales: Vec<DailySales>,
}

/// One day of the sales chart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DailySales {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub sales: i64,
}

impl Shop {
    /// The dashboard's figures, as of now.
    pub fn dashboard(&self) -> Result<Dashboard, Error> {
        // Counted first: it takes the connection itself.
        let low_stock_variants = self.low_stock()?.len() as i64;
        let conn = self.read()?;
        let currency = shop_currency(&conn)?;
        // One "today" for every figure, even if midnight passes while they are read.
        let today: String = conn.query_row("SELECT date(shop_now())", [], |row| row.get(0))?;
        let days_back = format!("-{} days", CHART_DAYS - 1);
        // Sales (+ on the day paid) and refunds (- on the day made) since the earlier of the
        // chart's first day and the first of the month.
        let movements = format!(
            "WITH movements (day, amount) AS (
                SELECT substr(o.paid_at, 1, 10), o.total FROM orders o
                WHERE o.paid_at >= min(date(?1, ?2), date(?1, 'start of month'))
                  AND {IN_THE_BOOKS}
                UNION ALL
                SELECT substr(r.created_at, 1, 10), -r.amount
                FROM refunds r JOIN orders o ON o.id = r.order_id
                WHERE r.created_at >= min(date(?1, ?2), date(?1, 'start of month'))
                  AND r.status IN ('pending', 'succeeded') AND {IN_THE_BOOKS})"
        );
        let (sales_today, sales_this_month): (i64, i64) = conn
            .prepare_cached(&format!(
                "{movements}
                 SELECT coalesce(sum(amount) FILTER (WHERE day = ?1), 0),
                        coalesce(sum(amount) FILTER (WHERE day >= date(?1, 'start of month')
                                                       AND day <= ?1), 0)
                 FROM movements"
            ))?
            .query_row([&today, &days_back], |row| Ok((row.get(0)?, row.get(1)?)))?;
        let daily_sales = conn
            .prepare_cached(&format!(
                "{movements},
                 days (day) AS (
                     SELECT date(?1, ?2)
                     UNION ALL SELECT date(day, '+1 day') FROM days WHERE day < ?1)
                 SELECT d.day, coalesce(sum(m.amount), 0)
                 FROM days d LEFT JOIN movements m ON m.day = d.day
                 GROUP BY d.day ORDER BY d.day"
            ))?
            .query_map([&today, &days_back], |row| {
                Ok(DailySales {
                    day: row.get(0)?,
                    sales: row.get(1)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let orders_to_fulfil = conn.query_row(
            &format!(
                "SELECT count(*) FROM orders o WHERE ({}) AND {IN_THE_BOOKS}",
                crate::orders::TO_FULFIL
            ),
            [],
            |row| row.get(0),
        )?;
        let (disputes_needing_response, next_dispute_deadline) = conn.query_row(
            &format!(
                "SELECT count(*), min(d.evidence_due_by)
                 FROM disputes d JOIN orders o ON o.id = d.order_id
                 WHERE d.status IN {} AND {IN_THE_BOOKS}",
                crate::disputes::NEEDS_RESPONSE_SQL
            ),
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let oversold_orders = conn.query_row(
            &format!(
                "SELECT count(*) FROM orders o WHERE ({}) AND {IN_THE_BOOKS}",
                crate::oversold::OVERSOLD
            ),
            [],
            |row| row.get(0),
        )?;
        Ok(Dashboard {
            currency,
            oversold_orders,
            disputes_needing_response,
            next_dispute_deadline,
            today,
            sales_today,
            sales_this_month,
            orders_to_fulfil,
            low_stock_variants,
            daily_sales,
        })
    }
}

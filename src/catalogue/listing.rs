//! Browsing and searching the catalogue: pages of product summaries, filters, FTS5 prefix
//! search ranked by bm25, and cursors to page on.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{ProductId, ProductPage, ProductQuery, ProductStatus, ProductSummary, image_from_row};
use crate::money::Currency;
use crate::{Error, Shop};

impl Shop {
    /// One page of products matching `query`: by relevance when searching, else by title.
    pub fn list_products(&self, query: &ProductQuery) -> Result<ProductPage, Error> {
        let limit = query.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
        let search = query.search.as_deref().and_then(fts_query);
        let cursor = query.after.as_deref().map(Cursor::decode).transpose()?;
        let cursor_given = cursor.is_some();
        let (rank_after, title_after, id_after) = match cursor {
            Some(Cursor::Rank { rank, id }) if search.is_some() => (Some(rank), None, id),
            Some(Cursor::Title { title, id }) if search.is_none() => (None, Some(title), id),
            Some(_) => return Err(Error::invalid("the page cursor belongs to another query")),
            None => (None, None, 0),
        };
        // Products come from FTS5 when searching, ordered by bm25 rank (lower is better; title,
        // tags and SKUs weigh more than the description), else from the products table in title
        // order, which its title index gives without sorting.
        let (source, rank, order, after) = if search.is_some() {
            (
                "(SELECT rowid AS id, bm25(product_search, 10.0, 1.0, 5.0, 8.0, 3.0) AS rank
                  FROM product_search WHERE product_search MATCH ?1) hits
                 JOIN products p ON p.id = hits.id",
                "hits.rank",
                "hits.rank, p.id",
                "AND hits.rank >= ?7 AND (hits.rank > ?7 OR p.id > ?8)",
            )
        } else {
            (
                "products p",
                "0.0",
                "p.title COLLATE NOCASE, p.id",
                // Written so that SQLite seeks the title index to the cursor.
                "AND p.title COLLATE NOCASE >= ?9 AND (p.title COLLATE NOCASE > ?9 OR p.id > ?8)",
            )
        };
        let after = if cursor_given { after } else { "" };
        let filters = "(?2 IS NULL OR p.status = ?2)
               AND (?3 IS NULL OR EXISTS (
                     SELECT 1 FROM collection_products cp JOIN collections c ON c.id = cp.collection_id
                     WHERE cp.product_id = p.id AND c.handle = ?3))
               AND (NOT ?4 OR EXISTS (
                     SELECT 1 FROM variant_stock s2 WHERE s2.product_id = p.id AND s2.available > 0))
               AND (?5 IS NULL AND ?6 IS NULL OR EXISTS (
                     SELECT 1 FROM variants v2 WHERE v2.product_id = p.id
                       AND (?5 IS NULL OR v2.price_minor >= ?5)
                       AND (?6 IS NULL OR v2.price_minor <= ?6)))";
        // The page's products first, then their prices and stock: summing the variants of
        // every matching product before the LIMIT took a second at 10,000 products. CROSS JOIN
        // keeps the page as the outer loop.
        let sql = format!(
            "WITH page AS MATERIALIZED (
                 SELECT p.id, {rank} AS rank FROM {source}
                 WHERE {filters} {after}
                 ORDER BY {order}
                 LIMIT ?10)
             SELECT p.id, p.handle, p.title, p.vendor, p.product_type, p.status,
                    min(v.price_minor), max(v.price_minor), min(v.currency), count(v.id),
                    coalesce(sum(s.on_hand), 0), coalesce(sum(max(s.available, 0)), 0),
                    coalesce(max(s.available > 0 AND s.available <= v.low_stock_threshold), 0),
                    page.rank
             FROM page
             CROSS JOIN products p ON p.id = page.id
             LEFT JOIN variants v ON v.product_id = p.id
             LEFT JOIN variant_stock s ON s.variant_id = v.id
             GROUP BY p.id
             ORDER BY {outer_order}",
            outer_order = if search.is_some() {
                "page.rank, p.id"
            } else {
                "p.title COLLATE NOCASE, p.id"
            },
        );
        let conn = self.read()?;
        let filter_params = params![
            search,
            query.status.map(ProductStatus::as_str),
            query.collection,
            query.in_stock,
            query.min_price,
            query.max_price,
        ];
        let total = if cursor_given {
            None
        } else {
            let count = format!("SELECT count(*) FROM {source} WHERE {filters}");
            Some(
                conn.prepare_cached(&count)?
                    .query_row(filter_params, |row| row.get(0))?,
            )
        };
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![
            search,
            query.status.map(ProductStatus::as_str),
            query.collection,
            query.in_stock,
            query.min_price,
            query.max_price,
            rank_after,
            id_after,
            title_after,
            limit + 1,
        ])?;
        let mut items = Vec::new();
        let mut ranks = Vec::new();
        while let Some(row) = rows.next()? {
            items.push(summary_from_row(row)?);
            ranks.push(row.get::<_, f64>(13)?);
        }
        drop(rows);
        drop(stmt);
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            let last = items.last().expect("a page over the limit is not empty");
            Some(
                if search.is_some() {
                    Cursor::Rank {
                        rank: ranks[limit as usize - 1],
                        id: last.id.0,
                    }
                } else {
                    Cursor::Title {
                        title: last.title.clone(),
                        id: last.id.0,
                    }
                }
                .encode(),
            )
        } else {
            None
        };
        attach_first_images(&conn, &mut items)?;
        Ok(ProductPage {
            items,
            next_cursor,
            total,
        })
    }
}

const DEFAULT_PAGE: u32 = 50;

const MAX_PAGE: u32 = 500;

/// Where the previous page ended, carried by the client as an opaque string.
enum Cursor {
    Rank { rank: f64, id: i64 },
    Title { title: String, id: i64 },
}

impl Cursor {
    fn encode(&self) -> String {
        match self {
            Cursor::Rank { rank, id } => format!("r:{:016x}:{id}", rank.to_bits()),
            Cursor::Title { title, id } => format!("t:{id}:{title}"),
        }
    }

    fn decode(text: &str) -> Result<Cursor, Error> {
        let bad = || Error::invalid(format!("malformed page cursor \"{text}\""));
        let (kind, rest) = text.split_once(':').ok_or_else(bad)?;
        let (first, second) = rest.split_once(':').ok_or_else(bad)?;
        match kind {
            "r" => Ok(Cursor::Rank {
                rank: f64::from_bits(u64::from_str_radix(first, 16).map_err(|_| bad())?),
                id: second.parse().map_err(|_| bad())?,
            }),
            "t" => Ok(Cursor::Title {
                id: first.parse().map_err(|_| bad())?,
                title: second.to_owned(),
            }),
            _ => Err(bad()),
        }
    }
}

/// Turns what a customer types into an FTS5 query: every word, quoted, as a prefix, all
/// required. Punctuation separates words (as the index's tokenizer does), so no input can be a
/// syntax error. `None` when nothing searchable is left.
fn fts_query(input: &str) -> Option<String> {
    let words: Vec<String> = input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn summary_from_row(row: &Row<'_>) -> Result<ProductSummary, Error> {
    let status: String = row.get(5)?;
    let currency: Option<String> = row.get(8)?;
    let available: i64 = row.get(11)?;
    Ok(ProductSummary {
        id: ProductId(row.get(0)?),
        handle: row.get(1)?,
        title: row.get(2)?,
        vendor: row.get(3)?,
        product_type: row.get(4)?,
        status: status.parse()?,
        min_price: row.get(6)?,
        max_price: row.get(7)?,
        currency: currency.as_deref().map(Currency::new).transpose()?,
        variant_count: row.get(9)?,
        on_hand: row.get(10)?,
        available,
        low_stock: row.get(12)?,
        sold_out: available <= 0,
        image: None,
    })
}

fn attach_first_images(conn: &Connection, items: &mut [ProductSummary]) -> Result<(), Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT hash, width, height, alt FROM product_images
         WHERE product_id = ?1 ORDER BY position, id LIMIT 1",
    )?;
    for item in items {
        item.image = stmt.query_row([item.id.0], image_from_row).optional()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_become_quoted_prefixes() {
        assert_eq!(fts_query("snak isl").as_deref(), Some("\"snak\"* \"isl\"*"));
        assert_eq!(
            fts_query("UA-SNK \"3x5").as_deref(),
            Some("\"UA\"* \"SNK\"* \"3x5\"*")
        );
        assert_eq!(fts_query("  ()*\" "), None);
    }

    #[test]
    fn cursors_round_trip() {
        let c = Cursor::Title {
            title: "Flag: a:b".into(),
            id: 7,
        };
        match Cursor::decode(&c.encode()).unwrap() {
            Cursor::Title { title, id } => assert_eq!((title.as_str(), id), ("Flag: a:b", 7)),
            Cursor::Rank { .. } => panic!("wrong kind"),
        }
        let c = Cursor::Rank { rank: -3.25, id: 9 };
        match Cursor::decode(&c.encode()).unwrap() {
            Cursor::Rank { rank, id } => assert_eq!((rank, id), (-3.25, 9)),
            Cursor::Title { .. } => panic!("wrong kind"),
        }
        assert!(Cursor::decode("nonsense").is_err());
    }
}

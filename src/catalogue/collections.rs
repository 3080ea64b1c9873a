//! Collections: named groups of products the storefront filters by.

use rusqlite::params;

use super::Collection;
use super::rules::{check_handle, check_title};
use crate::{Error, Shop};

impl Shop {
    /// Creates a collection, or updates the title and description of an existing one.
    pub fn save_collection(
        &self,
        handle: &str,
        title: &str,
        description: &str,
    ) -> Result<(), Error> {
        check_handle(handle)?;
        check_title(title)?;
        self.conn().execute(
            "INSERT INTO collections (handle, title, description, position)
             VALUES (?1, ?2, ?3, (SELECT coalesce(max(position) + 1, 0) FROM collections))
             ON CONFLICT (handle) DO UPDATE SET title = excluded.title,
                                                description = excluded.description",
            params![handle, title.trim(), description],
        )?;
        Ok(())
    }

    pub fn collections(&self) -> Result<Vec<Collection>, Error> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT c.handle, c.title, c.description,
                    (SELECT count(*) FROM collection_products cp
                     JOIN products p ON p.id = cp.product_id
                     WHERE cp.collection_id = c.id AND p.status = 'active')
             FROM collections c ORDER BY c.position, c.id",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(Collection {
                handle: row.get(0)?,
                title: row.get(1)?,
                description: row.get(2)?,
                product_count: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

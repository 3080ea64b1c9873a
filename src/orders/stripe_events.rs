//! Which Stripe events were applied (each once, by id) and where the catch-up resumes.

use rusqlite::{OptionalExtension, params};

use crate::{Error, SettingKey, Shop};

impl Shop {
    /// Records that a Stripe event was applied. False when it already was: each event id is
    /// applied once, however often it is delivered or polled.
    pub fn record_stripe_event(&self, id: &str, kind: &str, created: i64) -> Result<bool, Error> {
        let inserted = self.conn().execute(
            "INSERT OR IGNORE INTO stripe_events (id, type, created) VALUES (?1, ?2, ?3)",
            params![id, kind, created],
        )?;
        Ok(inserted == 1)
    }

    pub fn stripe_event_applied(&self, id: &str) -> Result<bool, Error> {
        Ok(self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM stripe_events WHERE id = ?1)",
            [id],
            |row| row.get(0),
        )?)
    }

    /// Where the next catch-up with Stripe's events starts (Unix seconds): the newest event of
    /// the last catch-up that applied every event it listed. A shop that never finished one
    /// lists all Stripe still keeps (30 days): the events it applied so far may have come by
    /// webhook, newer than some it never saw.
    pub fn stripe_events_synced_until(&self) -> Result<Option<i64>, Error> {
        let conn = self.conn();
        let saved: Option<String> = conn
            .query_row(
                "SELECT value FROM settings WHERE key = ?1",
                [EVENTS_SYNCED_UNTIL],
                |row| row.get(0),
            )
            .optional()?;
        match saved {
            Some(time) => time.parse().map(Some).map_err(|_| {
                Error::internal(format!(
                    "the setting {EVENTS_SYNCED_UNTIL} is not a time: {time}"
                ))
            }),
            None => Ok(None),
        }
    }

    /// How many Stripe events this shop has applied, however they came.
    pub fn stripe_events_applied(&self) -> Result<i64, Error> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM stripe_events", [], |row| row.get(0))?)
    }

    /// Records that every event up to `created` (Unix seconds) was applied.
    pub fn set_stripe_events_synced_until(&self, created: i64) -> Result<(), Error> {
        self.set_setting(EVENTS_SYNCED_UNTIL, &created.to_string())
    }
}

/// The setting where catching up with Stripe's events resumes.
const EVENTS_SYNCED_UNTIL: SettingKey = SettingKey::StripeEventsSyncedUntil;

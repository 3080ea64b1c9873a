-- Refund attempts Stripe refused for certain: part of the next refund's idempotency key, so a
-- retry after a refusal is a new request instead of the refusal replayed for 24 hours.
ALTER TABLE orders ADD COLUMN refused_refunds INTEGER NOT NULL DEFAULT 0
    CHECK (refused_refunds >= 0);

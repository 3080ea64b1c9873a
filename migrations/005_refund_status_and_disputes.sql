-- Refunds follow Stripe's status (pending, succeeded, failed, canceled): a pending refund
-- counts against what may still be refunded, a failed or canceled one gave nothing back.
-- Refunds recorded before this migration were all taken as succeeded.
ALTER TABLE refunds ADD COLUMN status TEXT NOT NULL DEFAULT 'succeeded'
    CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled'));

-- Disputes (chargebacks and inquiries) on an order's payment: a flag beside its payment
-- status, not a payment status, with the deadline the owner has to respond.
CREATE TABLE disputes (
    id                INTEGER PRIMARY KEY,
    order_id          INTEGER NOT NULL REFERENCES orders (id),
    stripe_dispute_id TEXT NOT NULL UNIQUE,
    amount            INTEGER NOT NULL CHECK (amount >= 0),
    reason            TEXT NOT NULL,
    status            TEXT NOT NULL,
    -- ISO-8601 UTC; NULL when Stripe gives no deadline.
    evidence_due_by   TEXT,
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE INDEX disputes_by_order ON disputes (order_id);

-- Orders, their stock reservations and timeline, customers, discount codes, refunds, and the
-- Stripe events already applied.

CREATE TABLE customers (
    id         INTEGER PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE TABLE discount_codes (
    code        TEXT PRIMARY KEY COLLATE NOCASE,
    kind        TEXT NOT NULL CHECK (kind IN ('percent', 'fixed')),
    -- Basis points for 'percent', minor units for 'fixed'.
    value       INTEGER NOT NULL CHECK (value > 0),
    starts_at   TEXT,
    ends_at     TEXT,
    usage_limit INTEGER CHECK (usage_limit IS NULL OR usage_limit > 0),
    times_used  INTEGER NOT NULL DEFAULT 0 CHECK (times_used >= 0)
) STRICT;

CREATE TABLE orders (
    id                  INTEGER PRIMARY KEY,
    number              TEXT NOT NULL UNIQUE,
    customer_id         INTEGER NOT NULL REFERENCES customers (id),
    email               TEXT NOT NULL,
    ship_name           TEXT NOT NULL,
    ship_line1          TEXT NOT NULL,
    ship_line2          TEXT NOT NULL DEFAULT '',
    ship_city           TEXT NOT NULL,
    ship_postal_code    TEXT NOT NULL,
    ship_country        TEXT NOT NULL CHECK (length(ship_country) = 2),
    currency            TEXT NOT NULL,
    subtotal            INTEGER NOT NULL CHECK (subtotal >= 0),
    discount            INTEGER NOT NULL CHECK (discount >= 0),
    shipping            INTEGER NOT NULL CHECK (shipping >= 0),
    tax                 INTEGER NOT NULL CHECK (tax >= 0),
    total               INTEGER NOT NULL CHECK (total >= 0),
    discount_code       TEXT,
    status              TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'cancelled')),
    payment_status      TEXT NOT NULL DEFAULT 'pending'
                        CHECK (payment_status IN ('pending', 'requires_action', 'paid',
                               'partially_refunded', 'refunded', 'failed', 'voided')),
    fulfillment_status  TEXT NOT NULL DEFAULT 'unfulfilled'
                        CHECK (fulfillment_status IN ('unfulfilled', 'fulfilled')),
    payment_intent_id   TEXT UNIQUE,
    -- Counts confirmation attempts: part of each attempt's idempotency key.
    payment_attempts    INTEGER NOT NULL DEFAULT 0,
    amount_refunded     INTEGER NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0),
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK (amount_refunded <= total)
) STRICT;

CREATE INDEX orders_by_customer ON orders (customer_id);
CREATE INDEX orders_by_created ON orders (created_at);

CREATE TABLE order_lines (
    id         INTEGER PRIMARY KEY,
    order_id   INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    variant_id INTEGER NOT NULL REFERENCES variants (id),
    -- What was bought, as it was named and priced then.
    sku        TEXT NOT NULL,
    title      TEXT NOT NULL,
    options    TEXT NOT NULL,
    unit_price INTEGER NOT NULL CHECK (unit_price >= 0),
    quantity   INTEGER NOT NULL CHECK (quantity > 0)
) STRICT;

CREATE INDEX order_lines_by_order ON order_lines (order_id);

-- The timeline: placed, each payment attempt, paid, failed, refunded, notes, …
CREATE TABLE order_events (
    id         INTEGER PRIMARY KEY,
    order_id   INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    message    TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE INDEX order_events_by_order ON order_events (order_id, id);
CREATE INDEX stock_reservations_by_order ON stock_reservations (order_id);

CREATE TABLE refunds (
    id               INTEGER PRIMARY KEY,
    order_id         INTEGER NOT NULL REFERENCES orders (id),
    stripe_refund_id TEXT UNIQUE,
    amount           INTEGER NOT NULL CHECK (amount > 0),
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- Stripe events (webhook deliveries or polled) already applied: each id once.
CREATE TABLE stripe_events (
    id         TEXT PRIMARY KEY,
    type       TEXT NOT NULL,
    created    INTEGER NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

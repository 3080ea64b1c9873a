-- The storefront's cart. The desktop storefront has one shopper, so a shop has one current cart:
-- the cart whose closed_at is NULL. Checkout closes it (and a new one opens on the next add).

CREATE TABLE carts (
    id         INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    closed_at  TEXT
) STRICT;

-- At most one open cart.
CREATE UNIQUE INDEX carts_one_open ON carts ((closed_at IS NULL)) WHERE closed_at IS NULL;

-- One line per variant; lines are shown in the order they were first added (id).
CREATE TABLE cart_lines (
    id         INTEGER PRIMARY KEY,
    cart_id    INTEGER NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    variant_id INTEGER NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    added_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (cart_id, variant_id)
) STRICT;

-- Catalogue, stock and settings: the ground floor of a shop.
-- Times are UTC ISO-8601 text with milliseconds; money is integer minor units plus a currency.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE products (
    id           INTEGER PRIMARY KEY,
    handle       TEXT NOT NULL UNIQUE CHECK (handle <> '' AND handle NOT GLOB '*[^a-z0-9-]*'),
    title        TEXT NOT NULL CHECK (trim(title) <> ''),
    description  TEXT NOT NULL DEFAULT '',
    vendor       TEXT NOT NULL DEFAULT '',
    product_type TEXT NOT NULL DEFAULT '',
    -- Tags as one comma-separated string: few per product, read together, indexed by FTS.
    tags         TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'draft', 'archived')),
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE INDEX products_by_title ON products (title COLLATE NOCASE, id);

CREATE TABLE product_options (
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL CHECK (position BETWEEN 1 AND 3),
    name       TEXT NOT NULL CHECK (trim(name) <> ''),
    PRIMARY KEY (product_id, position),
    UNIQUE (product_id, name)
) STRICT;

CREATE TABLE variants (
    id                  INTEGER PRIMARY KEY,
    product_id          INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    sku                 TEXT NOT NULL UNIQUE CHECK (trim(sku) <> ''),
    option1             TEXT,
    option2             TEXT,
    option3             TEXT,
    price_minor         INTEGER NOT NULL CHECK (price_minor >= 0),
    compare_at_minor    INTEGER CHECK (compare_at_minor IS NULL OR compare_at_minor >= 0),
    currency            TEXT NOT NULL CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*'),
    barcode             TEXT,
    weight_grams        INTEGER NOT NULL DEFAULT 0 CHECK (weight_grams >= 0),
    -- Kept equal to the sum of the variant's ledger deltas; see stock_ledger.
    on_hand             INTEGER NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    low_stock_threshold INTEGER NOT NULL DEFAULT 5 CHECK (low_stock_threshold >= 0),
    position            INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- One variant per combination of option values (NULLs compared as equal, hence coalesce).
CREATE UNIQUE INDEX variants_unique_options
    ON variants (product_id, coalesce(option1, ''), coalesce(option2, ''), coalesce(option3, ''));

CREATE INDEX variants_by_product ON variants (product_id, position);
CREATE INDEX variants_by_price ON variants (price_minor);

CREATE TABLE product_images (
    id         INTEGER PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    -- SHA-256 (hex) of the original file: the key into the media store.
    hash       TEXT NOT NULL CHECK (length(hash) = 64),
    width      INTEGER NOT NULL CHECK (width > 0),
    height     INTEGER NOT NULL CHECK (height > 0),
    alt        TEXT NOT NULL DEFAULT '',
    position   INTEGER NOT NULL,
    UNIQUE (product_id, hash)
) STRICT;

CREATE INDEX product_images_by_product ON product_images (product_id, position);

CREATE TABLE collections (
    id          INTEGER PRIMARY KEY,
    handle      TEXT NOT NULL UNIQUE CHECK (handle <> '' AND handle NOT GLOB '*[^a-z0-9-]*'),
    title       TEXT NOT NULL CHECK (trim(title) <> ''),
    description TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE collection_products (
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    product_id    INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    PRIMARY KEY (collection_id, product_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX collection_products_by_product ON collection_products (product_id);

-- Every change of on-hand stock, with its reason. Sum of deltas per variant = variants.on_hand.
CREATE TABLE stock_ledger (
    id            INTEGER PRIMARY KEY,
    variant_id    INTEGER NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    delta         INTEGER NOT NULL CHECK (delta <> 0),
    reason        TEXT NOT NULL
                  CHECK (reason IN ('received', 'sold', 'returned', 'damaged', 'lost', 'correction')),
    -- The order that caused the movement; orders arrive with checkout, so no foreign key yet.
    order_id      INTEGER,
    note          TEXT NOT NULL DEFAULT '',
    balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE INDEX stock_ledger_by_variant ON stock_ledger (variant_id, id);

-- Units promised to an order that is not paid yet. Available = on_hand - active reservations.
-- A reservation is active while released_at is NULL and expires_at lies in the future; paying
-- turns it into a 'sold' ledger row, failing or cancelling releases it.
CREATE TABLE stock_reservations (
    id          INTEGER PRIMARY KEY,
    variant_id  INTEGER NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    order_id    INTEGER,
    expires_at  TEXT NOT NULL,
    released_at TEXT,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE INDEX stock_reservations_active ON stock_reservations (variant_id) WHERE released_at IS NULL;

-- Stock per variant as the shop sees it now: on hand, promised to unpaid orders, and free to sell.
CREATE VIEW variant_stock AS
SELECT variant_id, product_id, on_hand, reserved, on_hand - reserved AS available
FROM (SELECT v.id AS variant_id,
             v.product_id,
             v.on_hand,
             (SELECT coalesce(sum(r.quantity), 0)
              FROM stock_reservations r
              WHERE r.variant_id = v.id
                AND r.released_at IS NULL
                AND r.expires_at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) AS reserved
      FROM variants v);

-- Full-text search, one row per product (rowid = products.id), rebuilt by the triggers below.
CREATE VIRTUAL TABLE product_search USING fts5 (
    title, description, tags, skus, options,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

CREATE TRIGGER products_search_insert AFTER INSERT ON products BEGIN
    INSERT INTO product_search (rowid, title, description, tags, skus, options)
    VALUES (new.id, new.title, new.description, new.tags, '', '');
END;

CREATE TRIGGER products_search_update AFTER UPDATE OF title, description, tags ON products BEGIN
    UPDATE product_search SET title = new.title, description = new.description, tags = new.tags
    WHERE rowid = new.id;
END;

CREATE TRIGGER products_search_delete AFTER DELETE ON products BEGIN
    DELETE FROM product_search WHERE rowid = old.id;
END;

-- SKUs and option values of all the product's variants, recomputed whenever one changes.
CREATE TRIGGER variants_search_insert AFTER INSERT ON variants BEGIN
    UPDATE product_search SET
        skus = (SELECT group_concat(sku, ' ') FROM variants WHERE product_id = new.product_id),
        options = (SELECT group_concat(concat_ws(' ', option1, option2, option3), ' ')
                   FROM variants WHERE product_id = new.product_id)
    WHERE rowid = new.product_id;
END;

CREATE TRIGGER variants_search_update AFTER UPDATE OF sku, option1, option2, option3 ON variants BEGIN
    UPDATE product_search SET
        skus = (SELECT group_concat(sku, ' ') FROM variants WHERE product_id = new.product_id),
        options = (SELECT group_concat(concat_ws(' ', option1, option2, option3), ' ')
                   FROM variants WHERE product_id = new.product_id)
    WHERE rowid = new.product_id;
END;

CREATE TRIGGER variants_search_delete AFTER DELETE ON variants BEGIN
    UPDATE product_search SET
        skus = coalesce((SELECT group_concat(sku, ' ') FROM variants WHERE product_id = old.product_id), ''),
        options = coalesce((SELECT group_concat(concat_ws(' ', option1, option2, option3), ' ')
                            FROM variants WHERE product_id = old.product_id), '')
    WHERE rowid = old.product_id;
END;

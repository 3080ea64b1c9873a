-- What a Shopify product CSV carries that a shop uses: each variant's cost (for margins), the
-- unit its weight is shown in, and its own image; where each imported image came from, so
-- that importing the same file again fetches nothing twice; and the images an import could
-- not fetch yet, for "retry images".

ALTER TABLE variants ADD COLUMN cost_minor INTEGER CHECK (cost_minor IS NULL OR cost_minor >= 0);
-- Weights are stored in grams; this is only the unit the owner reads them in.
ALTER TABLE variants ADD COLUMN weight_unit TEXT NOT NULL DEFAULT 'g'
    CHECK (weight_unit IN ('g', 'kg', 'lb', 'oz'));
-- The source (URL or file path, as the CSV wrote it) of the variant's image among its
-- product's images: the link holds while the image is still being fetched.
ALTER TABLE variants ADD COLUMN image_source TEXT;

-- The URL or path an image was imported from; NULL for an image added by hand.
ALTER TABLE product_images ADD COLUMN source TEXT;
CREATE UNIQUE INDEX product_images_by_source ON product_images (product_id, source)
    WHERE source IS NOT NULL;

CREATE TABLE pending_images (
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    -- As the CSV wrote it (the key variants link by), and where to get it: the URL, or the
    -- file's path made absolute from the CSV's folder.
    source     TEXT NOT NULL,
    location   TEXT NOT NULL,
    -- Where it goes in the gallery, as the CSV ordered it.
    position   INTEGER NOT NULL,
    alt        TEXT NOT NULL DEFAULT '',
    -- Why the last try failed, in words.
    error      TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 1,
    tried_at   TEXT NOT NULL,
    PRIMARY KEY (product_id, source)
) STRICT;

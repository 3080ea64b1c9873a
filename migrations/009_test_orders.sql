-- Test orders (the Checkout lab's, `flagshop checkout`'s) stay out of the books: the dashboard,
-- customers and their spend ignore them. Deleting one only hides it: its id and number are
-- part of Stripe idempotency keys, so they are never used again, and its ledger rows stay.
ALTER TABLE orders ADD COLUMN test INTEGER NOT NULL DEFAULT 0 CHECK (test IN (0, 1));
ALTER TABLE orders ADD COLUMN deleted_at TEXT CHECK (deleted_at IS NULL OR test = 1);

CREATE INDEX orders_by_test ON orders (test) WHERE test = 1;

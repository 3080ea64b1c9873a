-- A refund asked to put the goods back in stock does so once the money went back: a refund
-- still pending keeps the request here until Stripe says it succeeded (a failed one never
-- restocks).
ALTER TABLE refunds ADD COLUMN restock INTEGER NOT NULL DEFAULT 0 CHECK (restock IN (0, 1));

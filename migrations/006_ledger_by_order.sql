-- Finding an order's stock movements (what it sold, what came back, what an oversold order
-- still lacks) without reading the whole ledger.
CREATE INDEX stock_ledger_by_order ON stock_ledger (order_id) WHERE order_id IS NOT NULL;

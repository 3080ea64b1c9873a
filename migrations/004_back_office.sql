-- The back office: fulfilment (carrier, tracking), cancellation, and the card a payment was
-- made with; when an order was paid, for the sales reports.

ALTER TABLE orders ADD COLUMN carrier TEXT;
ALTER TABLE orders ADD COLUMN tracking_number TEXT;
ALTER TABLE orders ADD COLUMN fulfilled_at TEXT;
ALTER TABLE orders ADD COLUMN cancelled_at TEXT;
-- Brand and last four digits only, as Stripe reports them: never a card number.
ALTER TABLE orders ADD COLUMN card_brand TEXT;
ALTER TABLE orders ADD COLUMN card_last4 TEXT;
ALTER TABLE orders ADD COLUMN paid_at TEXT;

-- Orders paid before this migration: the time of their "paid" timeline event.
UPDATE orders SET paid_at = (SELECT min(created_at) FROM order_events
                             WHERE order_id = orders.id AND kind = 'paid')
WHERE payment_status IN ('paid', 'partially_refunded', 'refunded');

CREATE INDEX orders_by_paid ON orders (paid_at);
CREATE INDEX refunds_by_order ON refunds (order_id);
CREATE INDEX refunds_by_created ON refunds (created_at);

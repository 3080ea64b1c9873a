-- Reservations end by the shop's clock (`shop_now()`, registered on every connection from
-- Flagshop's Clock) instead of SQLite's own, so that tests can move time rather than wait.
DROP VIEW variant_stock;

CREATE VIEW variant_stock AS
SELECT variant_id, product_id, on_hand, reserved, on_hand - reserved AS available
FROM (SELECT v.id AS variant_id,
             v.product_id,
             v.on_hand,
             (SELECT coalesce(sum(r.quantity), 0)
              FROM stock_reservations r
              WHERE r.variant_id = v.id
                AND r.released_at IS NULL
                AND r.expires_at > shop_now()) AS reserved
      FROM variants v);

"""A handful of hand-written source rows covering the values the raw contract must carry exactly.

Empty strings next to NULLs, quotes/commas/newlines/unicode in text, text[] arrays, jsonb with
nested and numeric values, numeric with cents, naive timestamps, microsecond timestamps, booleans.
Used where the generator's data would not pin down an edge case; volume tests use the generator.
"""

from __future__ import annotations

import psycopg

from marketplace_elt.el.catalog import load_catalog
from marketplace_elt.el.sync_log import SyncResult

U1 = "00000000-0000-4000-8000-000000000001"
U2 = "00000000-0000-4000-8000-000000000002"
P1 = "00000000-0000-4000-8000-0000000000a1"
P2 = "00000000-0000-4000-8000-0000000000a2"
O1 = "00000000-0000-4000-8000-0000000000b1"
O2 = "00000000-0000-4000-8000-0000000000b2"
I1 = "00000000-0000-4000-8000-0000000000c1"
PAY1 = "00000000-0000-4000-8000-0000000000d1"
PAY2 = "00000000-0000-4000-8000-0000000000d2"
R1 = "00000000-0000-4000-8000-0000000000e1"
S1 = "00000000-0000-4000-8000-0000000000f1"

ROWS = f"""
INSERT INTO users (id, email, username, user_type, first_name, last_name, country_code, seller_tier, seller_rating,
                   created_at, updated_at, deleted_at, is_active) VALUES
  ('{U1}', 'ann@example.com', 'ann', 'seller', 'Ann', '', 'US', 'gold', 4.75,
   '2026-05-01 10:00:00.123456+00', '2026-10-01 09:00:00+00', NULL, true),
  ('{U2}', 'bo@example.com', 'bo', 'buyer', NULL, 'O''Brien, "Bo"
second line', NULL, NULL, NULL,
   '2026-05-02 10:00:00+00', '2026-10-02 09:00:00+00', '2026-10-02 09:00:00+00', false);

INSERT INTO categories (id, name, slug, parent_id, level, is_active, created_at) VALUES
  (1, 'Electronics', 'electronics', NULL, 0, true, '2026-01-01 00:00:00+00'),
  (2, 'Phones & Tablets', 'phones', 1, 1, true, '2026-01-01 00:00:00+00');
SELECT setval('categories_id_seq', 2);

INSERT INTO products (id, seller_id, category_id, title, description, price_amount, price_currency,
                      quantity_available, status, tags, attributes, created_at, updated_at, published_at) VALUES
  ('{P1}', '{U1}', 2, 'Phone, "Pro"', 'Zürich édition ✓', 999.99, 'CHF', 3, 'active',
   ARRAY['new', 'a,b', 'quote"d', ''], '{{"color": "black", "dims": {{"w": 7.1, "h": 14.6}}, "ports": [1, 2]}}',
   '2026-06-01 00:00:00+00', '2026-10-03 12:00:00.000001+00', '2026-06-02 00:00:00+00'),
  ('{P2}', '{U1}', 2, 'Case', NULL, 0.10, 'USD', 0, 'draft', NULL, NULL,
   '2026-06-01 00:00:00+00', '2026-10-03 12:00:00+00', NULL);

INSERT INTO orders (id, order_number, buyer_id, status, subtotal_amount, shipping_amount, tax_amount,
                    discount_amount, total_amount, currency, shipping_country, shipping_city, shipping_postal_code,
                    created_at, updated_at, confirmed_at, shipped_at, delivered_at) VALUES
  ('{O1}', 'ORD-1', '{U2}', 'delivered', 999.99, 5.00, 80.00, 0.00, 1084.99, 'CHF', 'CH', 'Zürich', '8001',
   '2026-10-04 08:00:00+00', '2026-10-06 08:00:00+00', '2026-10-04 04:05:06.5', '2026-10-05 08:00:00+00',
   '2026-10-06 08:00:00+00'),
  ('{O2}', 'ORD-2', '{U2}', 'pending', 0.10, 0.00, 0.00, 0.00, 0.10, 'USD', NULL, '', NULL,
   '2026-10-07 08:00:00+00', '2026-10-07 08:00:00+00', NULL, NULL, NULL);

INSERT INTO order_items (id, order_id, product_id, seller_id, quantity, unit_price, total_price, currency,
                         product_title, product_snapshot, created_at) VALUES
  ('{I1}', '{O1}', '{P1}', '{U1}', 1, 999.99, 999.99, 'CHF', 'Phone, "Pro"', '{{"title": "Phone", "price": 999.99}}',
   '2026-10-04 08:00:00+00');

INSERT INTO payments (id, order_id, payment_provider, payment_provider_id, amount, platform_fee, seller_payout,
                      currency, status, created_at, processed_at, event_id, event_timestamp) VALUES
  ('{PAY1}', '{O1}', 'stripe', 'ch_1', 1084.99, 108.50, 976.49, 'CHF', 'completed',
   '2026-10-04 08:01:00+00', '2026-10-04 08:01:05+00', 'evt_1', '2026-10-04 08:01:00+00'),
  ('{PAY2}', '{O1}', 'stripe', 'ch_1', 1084.99, 108.50, 976.49, 'CHF', 'completed',
   '2026-10-04 08:01:20+00', '2026-10-04 08:01:05+00', 'evt_1', '2026-10-04 08:01:00+00');

INSERT INTO shipments (id, order_id, carrier, tracking_number, status, shipped_at, delivered_at, created_at,
                       updated_at) VALUES
  ('{S1}', '{O1}', ' DHL Express', '1Z 999-AA', 'delivered', '2026-10-05 07:45:00.000001+00',
   '2026-10-06 07:59:59+00', '2026-10-04 09:00:00+00', '2026-10-06 08:00:00+00');

INSERT INTO reviews (id, product_id, order_item_id, reviewer_id, rating, title, body, is_verified_purchase,
                     helpful_votes, status, moderated_at, created_at, updated_at) VALUES
  ('{R1}', '{P1}', '{I1}', '{U2}', 5, 'Great', 'Line one
line two', true, 2, 'approved', NULL, '2026-10-08 00:00:00+00', '2026-10-08 00:00:00+00');

INSERT INTO seller_tier_history (id, user_id, tier, effective_from, effective_to, is_current, change_reason,
                                 created_at) VALUES
  (1, '{U1}', 'silver', '2026-05-01 00:00:00+00', '2026-08-01 00:00:00+00', false, 'signup', '2026-05-01 00:00:00+00'),
  (2, '{U1}', 'gold', '2026-08-01 00:00:00+00', NULL, true, 'volume', '2026-08-01 00:00:00+00');
SELECT setval('seller_tier_history_id_seq', 2);

INSERT INTO event_log (event_type, entity_type, entity_id, event_data, event_timestamp, received_at, processed) VALUES
  ('order.placed', 'order', '{O1}', '{{"total": 1084.99, "items": 1}}', '2026-10-04 08:00:00+00',
   '2026-10-04 08:00:01+00', true),
  ('order.placed', 'order', '{O2}', NULL, '2026-10-07 08:00:00+00', '2026-10-07 08:00:01+00', false);
"""

TABLES = tuple(load_catalog().names)


def populate(conn: psycopg.Connection) -> None:
    """Empty the nine tables and insert the rows above."""
    conn.execute("TRUNCATE " + ", ".join(TABLES) + " RESTART IDENTITY CASCADE")
    conn.execute(ROWS)


def counts(conn: psycopg.Connection) -> dict[str, int]:
    return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES}  # type: ignore[index]


def by_stream(results: list[SyncResult]) -> dict[str, SyncResult]:
    """Sync results keyed by stream name."""
    return {r.stream: r for r in results}

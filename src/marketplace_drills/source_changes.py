"""Changes the drills make to a workspace's source, written as the application (or a provider) would.

All statements run as the owner (``SOURCE_ADMIN_DB_URL``) of the drill's own source database.
"""

from __future__ import annotations

import random

import psycopg

from marketplace_elt.settings import Settings

FORWARD = "greatest(now(), updated_at + interval '1 millisecond')"


def business_changes(settings: Settings, rnd: random.Random) -> None:
    """A little of everything between two syncs: updates that move cursors, late and new rows.

    Updates move ``updated_at`` forward only (``greatest(now(), updated_at + 1 ms)``): the source holds
    a few rows stamped in the future (a known writer fault), and setting those back to now() would move
    a cursor backwards, which no cursor-based sync (Airbyte's included) can see.
    """
    salt = str(rnd.random())
    with psycopg.connect(settings.source_admin_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE orders SET status = 'shipped', updated_at = " + FORWARD + " "
            "WHERE id IN (SELECT id FROM orders ORDER BY md5(id::text || %s) LIMIT 25)",
            [salt],
        )
        conn.execute(
            "UPDATE users SET first_name = left(md5(%s || id::text), 12), updated_at = " + FORWARD + " "
            "WHERE id IN (SELECT id FROM users ORDER BY md5(id::text || %s) LIMIT 10)",
            [salt, salt],
        )
        conn.execute(
            "UPDATE products SET quantity_available = quantity_available + 1, updated_at = " + FORWARD + " "
            "WHERE id IN (SELECT id FROM products ORDER BY md5(id::text || %s) LIMIT 10)",
            [salt],
        )
        # payments stored late: new ids, created_at an hour before the newest payment (inside the look-back)
        conn.execute(
            "INSERT INTO payments (id, order_id, payment_provider, payment_provider_id, amount, platform_fee, "
            "seller_payout, currency, status, created_at, processed_at, event_id, event_timestamp) "
            "SELECT gen_random_uuid(), order_id, payment_provider, payment_provider_id, amount, platform_fee, "
            "seller_payout, currency, status, created_at - interval '1 hour', processed_at, "
            "'drill-' || md5(random()::text), event_timestamp FROM payments ORDER BY created_at DESC LIMIT 10"
        )
        conn.execute(
            "INSERT INTO event_log (event_type, entity_type, entity_id, event_data, event_timestamp, received_at) "
            "SELECT event_type, entity_type, entity_id, event_data, event_timestamp, now() FROM event_log "
            "ORDER BY id DESC LIMIT 30"
        )
        conn.execute("UPDATE categories SET is_active = NOT is_active WHERE id = (SELECT min(id) FROM categories)")


def replay_payments(settings: Settings, share: float, salt: str) -> int:
    """Deliver ``share`` of the payment webhooks again: new row id, same event_id, stored now."""
    with psycopg.connect(settings.source_admin_url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM payments").fetchone()
        total = int(row[0]) if row else 0
        count = max(1, round(share * total))
        cur = conn.execute(
            "INSERT INTO payments (id, order_id, payment_provider, payment_provider_id, amount, platform_fee, "
            "seller_payout, currency, status, created_at, processed_at, event_id, event_timestamp) "
            "SELECT gen_random_uuid(), order_id, payment_provider, payment_provider_id, amount, platform_fee, "
            "seller_payout, currency, status, now(), processed_at, event_id, event_timestamp "
            "FROM payments ORDER BY md5(id::text || %s) LIMIT %s",
            [salt, count],
        )
        return cur.rowcount


def drift_schema(settings: Settings, table: str, added: str, dropped: str, touch: int = 20) -> int:
    """Add a column and drop another at the source, then update ``touch`` rows (they carry the change)."""
    with psycopg.connect(settings.source_admin_url, autocommit=True) as conn:
        conn.execute(f'ALTER TABLE "{table}" ADD COLUMN "{added}" varchar(20)')
        conn.execute(f'ALTER TABLE "{table}" DROP COLUMN "{dropped}"')
        cur = conn.execute(
            f'UPDATE "{table}" SET "{added}" = \'refurbished\', updated_at = {FORWARD} '
            f'WHERE id IN (SELECT id FROM "{table}" ORDER BY md5(id::text) LIMIT %s)',
            [touch],
        )
        return cur.rowcount

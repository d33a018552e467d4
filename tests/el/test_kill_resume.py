"""Crash safety: `marketplace-elt el sync` SIGKILLed mid-sync, then rerun, leaves no gap and no duplicate.

Each round changes the source (updates that move cursors, ties at the saved cursor, late rows,
new rows), starts the CLI in a subprocess, kills it with SIGKILL at a chosen moment after loading
has begun (right after a stream's MERGE committed but before its state row, right after a load
started, at a random delay), reruns the sync to completion and compares raw with the source.
"""

from __future__ import annotations

import queue
import random
import signal
import subprocess
import sys
import threading
import time

import psycopg
import pytest

from marketplace_elt.settings import Settings
from tests.el.checks import mismatches
from tests.isolation import env_for

SCALE = 0.1


def mutate(conn: psycopg.Connection, rnd: random.Random) -> None:
    """Business changes between syncs, written as the application would: an update stamps updated_at
    with the (simulated) current time, later than every earlier write."""
    conn.execute(
        "UPDATE orders SET status = 'shipped', updated_at = (SELECT max(updated_at) FROM orders) + interval '1 minute' "
        "WHERE id IN (SELECT id FROM orders ORDER BY md5(id::text || %s) LIMIT 40)",
        [str(rnd.random())],
    )
    # A change that keeps updated_at equal to the current maximum (the saved cursor): a tie.
    conn.execute(
        "UPDATE users SET first_name = %s "
        "WHERE updated_at = (SELECT max(updated_at) FROM users WHERE updated_at <= now())",
        [f"tie-{rnd.randint(0, 10**6)}"],
    )
    conn.execute(
        "UPDATE products SET quantity_available = quantity_available + 1, updated_at = "
        "(SELECT max(updated_at) FROM products WHERE updated_at <= now()) + interval '1 minute' "
        "WHERE id IN (SELECT id FROM products ORDER BY md5(id::text || %s) LIMIT 10)",
        [str(rnd.random())],
    )
    # Late payments: new ids, created_at an hour *before* the newest existing payment.
    conn.execute(
        "INSERT INTO payments SELECT gen_random_uuid(), order_id, payment_provider, payment_provider_id, amount, "
        "platform_fee, seller_payout, currency, status, created_at - interval '1 hour', processed_at, event_id, "
        "event_timestamp FROM payments ORDER BY created_at DESC LIMIT 15"
    )
    conn.execute(
        "INSERT INTO event_log (event_type, entity_type, entity_id, event_data, event_timestamp, received_at) "
        "SELECT event_type, entity_type, entity_id, event_data, event_timestamp, now() FROM event_log "
        "ORDER BY id DESC LIMIT 50"
    )
    conn.execute("UPDATE categories SET is_active = NOT is_active WHERE id = (SELECT min(id) FROM categories)")


def _reader(stream: object, lines: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.put(line)


def run_and_kill(env: dict[str, str], trigger: str, delay: float, timeout: float = 120) -> tuple[bool, list[str]]:
    """Start `el sync`, SIGKILL it ``delay`` seconds after a log line containing ``trigger``.

    Returns (killed, output lines); killed is False when the sync finished first."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "marketplace_elt.cli", "el", "sync"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stderr, lines), daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.05)
            except queue.Empty:
                if proc.poll() is not None:
                    return False, seen
                continue
            seen.append(line)
            if trigger in line:
                time.sleep(delay)
                if proc.poll() is not None:
                    return False, seen
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
                return True, seen
        raise AssertionError(f"`el sync` never logged {trigger!r}: {''.join(seen)[-2000:]}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def finish(settings: Settings) -> None:
    """Rerun the sync to completion (in this process: the crash already happened in the subprocess)."""
    from marketplace_elt.el import sync

    results = sync(settings)
    assert all(r.succeeded for r in results)


@pytest.mark.timeout(600)
def test_killed_sync_reruns_without_gaps_or_duplicates(el_settings: Settings, owner: psycopg.Connection) -> None:
    from marketplace_sim import seed

    seed(el_settings, SCALE, seed=7, reset=True)
    env = env_for(el_settings)
    rnd = random.Random(20261123)
    rounds = [
        ("orders: loaded and merged", 0.0),  # MERGE committed, state row not written yet
        ("payments: loading", 0.05),  # during the load job
        ("users: loading", rnd.uniform(0.0, 2.5)),  # anywhere later in the run
    ]
    killed = 0
    for i, (trigger, delay) in enumerate(rounds):
        if i:  # the first round kills the initial full load; later rounds kill incremental syncs
            mutate(owner, rnd)
        was_killed, output = run_and_kill(env, trigger, delay)
        killed += was_killed
        finish(el_settings)
        assert mismatches(el_settings, owner) == {}, (
            f"after kill at {trigger!r}+{delay:.2f}s:\n{''.join(output)[-1500:]}"
        )
    assert killed >= 2, "the syncs finished before the kills; the test proved little"
    # One more change + uninterrupted sync: the state the killed runs left behind is still usable.
    mutate(owner, rnd)
    finish(el_settings)
    assert mismatches(el_settings, owner) == {}

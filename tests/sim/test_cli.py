"""`marketplace-elt source ...` as a user runs it: output, and one-line errors for bad input."""

from __future__ import annotations

import socket
from collections.abc import Callable
from subprocess import CompletedProcess
from typing import Any

import pytest

Run = Callable[..., CompletedProcess[str]]


def _one_line_error(result: CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_seed_faults_counts_advance(run_cli: Run, source_settings: Any) -> None:
    result = run_cli("source", "init")
    assert result.returncode == 0, result.stderr
    result = run_cli("source", "seed", "--scale", "0.05", "--seed", "2", "--reset")
    assert result.returncode == 0, result.stderr
    for table in ("users", "orders", "order_items", "payments", "event_log"):
        assert any(line.split()[:1] == [table] and "rows" in line for line in result.stdout.splitlines()), table
    counts = run_cli("source", "counts")
    assert counts.returncode == 0
    assert "orders" in counts.stdout and "500" in counts.stdout
    faults = run_cli("source", "faults")
    assert faults.returncode == 0
    assert "duplicate_payment_webhook" in faults.stdout and "unknown_currency" in faults.stdout
    advanced = run_cli("source", "advance", "--days", "1")
    assert advanced.returncode == 0, advanced.stderr
    assert "2026-11-02" in advanced.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("source", "seed", "--bogus"), "unrecognized arguments: --bogus"),
        (("source", "seed", "--scale", "0"), "--scale must be a number greater than 0"),
        (("source", "seed", "--scale", "-2"), "--scale must be a number greater than 0"),
        (("source", "seed", "--scale", "lots"), "invalid float value"),
        (("source", "seed", "--fault-rate", "nonsense=0.1", "--reset"), "unknown fault 'nonsense'"),
        (("source", "seed", "--fault-rate", "unknown_currency", "--reset"), "is not NAME=RATE"),
        (("source", "advance", "--days", "0"), "--days must be a whole number"),
        (("source", "advance", "--weeks", "1"), "unrecognized arguments: --weeks"),
    ],
)
def test_bad_input_is_one_line(run_cli: Run, source_settings: Any, args: tuple[str, ...], says: str) -> None:
    assert says in _one_line_error(run_cli(*args))


def test_non_empty_database_needs_reset(run_cli: Run, source_settings: Any) -> None:
    from marketplace_sim import seed

    seed(source_settings, scale=0.05, seed=1, reset=True)
    line = _one_line_error(run_cli("source", "seed", "--scale", "0.05"))
    assert "not empty" in line and "--reset" in line


def test_unreachable_source_is_one_line(run_cli: Run) -> None:
    dead = f"postgresql://marketplace_owner:x@127.0.0.1:{_free_port()}/marketplace"
    for args in (("source", "seed", "--scale", "0.1"), ("source", "counts"), ("source", "advance")):
        line = _one_line_error(run_cli(*args, env={"SOURCE_ADMIN_DB_URL": dead}))
        assert "cannot connect to the source database" in line and "services up" in line


def test_public_names_are_the_functions() -> None:
    import marketplace_sim as source
    import marketplace_sim.advancing
    import marketplace_sim.seeding

    for name in ("seed", "advance", "init", "table_counts", "fault_counts"):
        assert callable(getattr(source, name)) and getattr(source, name).__name__ == name
    assert len(source.TABLES) == 10 and set(source.DEFAULT_FAULT_RATES) == set(source.FAULT_NAMES)

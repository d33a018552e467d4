from __future__ import annotations

import subprocess
import sys

import pytest

from marketplace_elt.cli import main


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "marketplace_elt.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def test_help_lists_every_command_group() -> None:
    out = _cli("--help").stdout
    for group in ("config", "services", "source", "el", "dbt", "gates", "pipeline", "airflow"):
        assert f"\n    {group} " in out, group


def test_unknown_flag_is_a_usage_error_without_traceback() -> None:
    result = _cli("services", "up", "--bogus")
    assert result.returncode == 2
    assert "unrecognized arguments: --bogus" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_setting_prints_one_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_PG_PORT", "not-a-port")
    assert main(["config", "show"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith("error: SOURCE_PG_PORT='not-a-port' is not a whole number")


def test_sql_with_bigquery_down_prints_one_line() -> None:
    result = _cli("sql", "SELECT 1", env={"BQ_EMULATOR_PORT": "1"})
    assert result.returncode != 0
    err = result.stderr.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    assert "BigQuery at http://127.0.0.1:1 is not reachable" in err and "marketplace-elt services up" in err

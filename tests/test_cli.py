from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
    for group in ("config", "services", "source", "el", "landing", "dbt", "gates", "pipeline", "airflow"):
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


# --- user errors: one `error:` line on stderr, non-zero exit, no traceback -------------------------


def _one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("command", "var", "value"),
    [
        (("airflow", "start"), "PIPELINE_SCHEDULE", "every tuesday"),
        (("airflow", "setup"), "ALERT_WEBHOOK_URL", "not a url"),
        (("el", "sync"), "SOURCE_DB_URL", "postgresql://reader:" + "secret-pw@db.internal:port/shop"),
        (("source", "init"), "SOURCE_ADMIN_DB_URL", "postgres//owner@db.internal/shop"),
        (("services", "up"), "BQ_EMULATOR_PORT", "99999"),
        (("services", "up"), "AIRFLOW_DB_URL", "not-a-url"),
        (("el", "sync"), "AIRBYTE_API_URL", "airbyte:8000"),
        (("config", "show"), "MELT_HOME", "/etc/hostname"),
    ],
)
def test_bad_setting_is_refused_before_anything_starts(
    tmp_path: Path, command: tuple[str, ...], var: str, value: str
) -> None:
    home = tmp_path / "home"
    result = _cli(*command, env={"MELT_HOME": str(home), var: value})
    line = _one_line_error(result, f"error: {var}=", "set it to")
    assert "secret-pw" not in line
    assert not (home / "postgres").exists() and not (home / "airflow").exists(), "something started"


def test_read_only_melt_home_is_one_line(tmp_path: Path) -> None:
    read_only = tmp_path / "ro"
    read_only.mkdir()
    read_only.chmod(0o555)
    tmp_path.chmod(0o755)
    # root writes anywhere: run the CLI without the capability that lets it, as any other user is
    unprivileged = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"] if os.geteuid() == 0 else []
    for home in (read_only, read_only / "nested"):
        result = subprocess.run(
            [*unprivileged, sys.executable, "-m", "marketplace_elt.cli", "services", "up"],
            capture_output=True,
            text=True,
            env={**os.environ, "MELT_HOME": str(home)},
        )
        _one_line_error(result, "MELT_HOME=", "writ")
    assert list(read_only.iterdir()) == []


def test_permission_error_in_a_command_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from marketplace_elt import config_cli

    def denied(_: object) -> int:
        raise PermissionError(13, "Permission denied", "/var/lib/marketplace-elt/logs")

    monkeypatch.setattr(config_cli, "show", denied)
    assert main(["config", "show"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("error: permission denied on /var/lib/marketplace-elt/logs (Permission denied)")


def test_dbt_selection_matching_nothing_is_an_error(tmp_path: Path) -> None:
    # Nothing is selected, so dbt never connects to the warehouse: no services needed.
    result = _cli("dbt", "build", "--select", "nosuchmodel", env={"MELT_HOME": str(tmp_path)})
    assert "does not match any enabled nodes" in result.stdout  # dbt's own warning, still shown
    _one_line_error(result, "`dbt build --select nosuchmodel` matched no enabled node", "dbt ls --select nosuchmodel")


def test_airflow_trigger_without_airflow_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = str(sock.getsockname()[1])
    result = _cli("airflow", "trigger", env={"MELT_HOME": str(tmp_path), "AIRFLOW_PORT": free})
    _one_line_error(result, f"Airflow API at http://127.0.0.1:{free} is not answering", "airflow start")

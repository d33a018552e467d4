from __future__ import annotations

import pytest

from marketplace_elt.errors import ConfigError
from marketplace_elt.settings import Settings


def test_defaults_target_the_embedded_services(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("SOURCE_PG_PORT", "BQ_EMULATOR_PORT", "SOURCE_DB_URL", "BQ_USE_EMULATOR", "EL_BACKEND"):
        monkeypatch.delenv(var, raising=False)
    s = Settings.from_env()
    assert s.source_pg_port == 55432
    assert s.bq_emulator_url == "http://127.0.0.1:9050"
    assert s.source_db_url.startswith("postgresql://marketplace_replicator:")
    assert s.source_db_url.endswith("@127.0.0.1:55432/marketplace")
    assert (s.raw_dataset, s.staging_dataset, s.marts_dataset) == ("raw", "staging", "marts")
    assert s.el_backend == "embedded"


def test_env_overrides_and_derived_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_PG_PORT", "6000")
    monkeypatch.delenv("SOURCE_DB_URL", raising=False)
    monkeypatch.setenv("BQ_USE_EMULATOR", "false")
    monkeypatch.setenv("EL_BACKEND", "airbyte")
    s = Settings.from_env()
    assert ":6000/marketplace" in s.source_db_url
    assert s.bq_emulator_url is None
    assert s.el_backend == "airbyte"


@pytest.mark.parametrize(
    ("var", "value", "fragment"),
    [
        ("SOURCE_PG_PORT", "five", "SOURCE_PG_PORT='five' is not a whole number"),
        ("BQ_USE_EMULATOR", "maybe", "BQ_USE_EMULATOR='maybe' is not a boolean"),
        ("EL_BACKEND", "fivetran", "EL_BACKEND='fivetran' is not supported"),
        ("COSMOS_EXECUTION_MODE", "virtualenv", "COSMOS_EXECUTION_MODE='virtualenv' is not supported"),
    ],
)
def test_bad_values_name_the_variable_and_the_fix(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as err:
        Settings.from_env()
    message = str(err.value)
    assert fragment in message
    assert "\n" not in message


def test_describe_hides_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DB_URL", "postgresql://reader:s3cr3t-value@db.internal:5432/shop")
    rows = {env: value for env, value, _ in Settings.from_env().describe()}
    assert rows["SOURCE_DB_URL"] == "postgresql://reader:***@db.internal:5432/shop"
    assert all("s3cr3t-value" not in value for value in rows.values())

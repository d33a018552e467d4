"""A failed task's alert names the marts it holds back, their owners and the highest impact tier."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from marketplace_drills.webhook import AlertReceiver as WebhookReceiver
from marketplace_elt.orchestration import alerts
from marketplace_elt.orchestration.impact import impact_of, load_manifest
from marketplace_elt.settings import Settings


@pytest.fixture(scope="module")
def manifest(dbt_manifest: Path) -> dict[str, object]:
    return load_manifest(dbt_manifest)


def _mart(name: str, area: str, meta: dict[str, object]) -> dict[str, object]:
    return {
        "name": name,
        "resource_type": "model",
        "original_file_path": f"models/marts/{area}/{name}.sql",
        "config": {"meta": meta},
    }


# A manifest as dbt writes it, cut down to what impact_of reads: one source feeding a staging model,
# two marts of different areas below it, and a mart that reads neither.
SMALL = {
    "sources": {"source.marketplace.marketplace.payments": {}},
    "nodes": {
        "model.marketplace.stg_payments": {
            "name": "stg_payments",
            "resource_type": "model",
            "original_file_path": "models/staging/stg_payments.sql",
            "config": {"meta": {}},
        },
        "model.marketplace.fct_recon": _mart("fct_recon", "finance", {"owner": "finance-analytics", "impact_tier": 1}),
        "model.marketplace.mart_audit": _mart("mart_audit", "audit", {"owner": "data-platform", "impact_tier": 2}),
        "model.marketplace.fct_cohorts": _mart("fct_cohorts", "marketing", {"owner": "growth", "impact_tier": 3}),
        "test.marketplace.not_null_stg_payments_id": {
            "name": "not_null_stg_payments_id",
            "resource_type": "test",
            "original_file_path": "models/staging/_stg.yml",
            "config": {"meta": {}},
            "depends_on": {"nodes": ["model.marketplace.stg_payments"]},
        },
    },
    "child_map": {
        "source.marketplace.marketplace.payments": ["model.marketplace.stg_payments"],
        "model.marketplace.stg_payments": [
            "model.marketplace.fct_recon",
            "model.marketplace.mart_audit",
            "test.marketplace.not_null_stg_payments_id",
        ],
        "model.marketplace.fct_recon": ["model.marketplace.mart_audit"],
    },
}


@pytest.mark.parametrize(
    "task_id",
    [
        "extract_load.sync_payments",
        "staging.stg_payments_model_build",
        "staging.not_null_stg_payments_id_test",
    ],
)
def test_impact_follows_the_lineage_down_to_the_marts(task_id: str) -> None:
    impact = impact_of(task_id, SMALL)
    assert impact.marts == ("fct_recon", "mart_audit")
    assert impact.owners == ("data-platform", "finance-analytics")
    assert impact.tier == 1


def test_a_mart_holds_back_itself_and_what_reads_it() -> None:
    assert impact_of("marts.mart_audit_model_build", SMALL).marts == ("mart_audit",)
    cohorts = impact_of("marts.fct_cohorts_model_build", SMALL)
    assert (cohorts.marts, cohorts.owners, cohorts.tier) == (("fct_cohorts",), ("growth",), 3)


@pytest.mark.parametrize("task_id", ["gate_marts", "publish_marts", "gate_raw", "extract_load.trigger_sync"])
def test_gates_and_unknown_tasks_hold_back_every_mart(task_id: str) -> None:
    impact = impact_of(task_id, SMALL)
    assert impact.marts == ("fct_cohorts", "fct_recon", "mart_audit")
    assert impact.tier == 1


def test_every_mart_of_the_project_declares_an_owner_and_a_tier(manifest: dict[str, object]) -> None:
    marts = impact_of("gate_marts", manifest)  # type: ignore[arg-type]
    assert len(marts.marts) >= 10
    nodes = manifest["nodes"].values()  # type: ignore[attr-defined]
    for node in nodes:
        if node["resource_type"] == "model" and node["original_file_path"].startswith("models/marts/"):
            meta = node["config"]["meta"]
            assert meta.get("owner") and meta.get("impact_tier") in (1, 2, 3), (node["name"], meta)


def test_a_payments_sync_failure_pages_finance_at_tier_1(manifest: dict[str, object]) -> None:
    impact = impact_of("extract_load.sync_payments", manifest)  # type: ignore[arg-type]
    assert "fct_payment_reconciliation" in impact.marts
    assert "finance-analytics" in impact.owners and impact.tier == 1
    # a marketing-only mart: the cohort table's own build failing is tier 3 and names growth
    cohorts = impact_of("marts.fct_customer_cohorts_model_build", manifest)  # type: ignore[arg-type]
    assert cohorts.marts == ("fct_customer_cohorts",) and cohorts.owners == ("growth-analytics",)
    assert cohorts.tier == 3


def test_the_alert_text_carries_owners_and_tier(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, dbt_manifest: Path
) -> None:
    monkeypatch.setattr(alerts, "get_settings", lambda: settings)
    ti = SimpleNamespace(
        dag_id="marketplace_elt", task_id="marts.fct_payment_reconciliation_model_build", run_id="r1", try_number=1
    )
    with WebhookReceiver() as hook:
        monkeypatch.setenv("AIRFLOW_CONN_ALERT_WEBHOOK", json.dumps({"conn_type": "http", "host": hook.url}))
        alerts.notify_failure({"task_instance": ti, "exception": RuntimeError("boom")})
    (payload,) = hook.payloads
    assert payload["impact_tier"] == 1 and "finance-analytics" in payload["owners"]
    assert "fct_payment_reconciliation" in payload["affected_marts"]
    assert "Impact: tier 1; owners: " in payload["text"] and "finance-analytics" in payload["text"]


def test_an_unreadable_manifest_still_sends_the_alert(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, tmp_path: Path
) -> None:
    monkeypatch.setattr(alerts, "get_settings", lambda: dataclasses.replace(settings, home=tmp_path))
    payload = alerts.failure_message(
        {"task_instance": SimpleNamespace(dag_id="marketplace_elt", task_id="gate_marts"), "exception": None}
    )
    assert payload["owners"] == [] and "Impact: unknown" in payload["text"]

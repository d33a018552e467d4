"""A failed marts gate publishes nothing: the marts readers see stay byte for byte as they were.

Runs on the session's pipeline output (real services, real gate). The audit dataset gets a bad
build (a negative GMV, which gate_marts forbids); `marketplace-elt marts publish` must refuse it,
leave every published table (facts, dimensions, audit marts, the run ledger and the publish log)
unchanged, and the next `marts prepare` must put the audit dataset back to the published marts.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from marketplace_drills.compare import table_fingerprints
from marketplace_elt.bigquery import client
from marketplace_elt.publish import published_models
from marketplace_elt.settings import Settings

# The gates' own log: every gate, a failing one included, records its verdict there.
GATE_LOG = ("quality_gate_results",)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "marketplace_elt.cli", *args], capture_output=True, text=True, timeout=900
    )


def test_failed_marts_gate_leaves_the_published_marts_as_they_were(pipeline_run: Any, settings: Settings) -> None:
    assert pipeline_run.state == "success"
    before = table_fingerprints(settings, settings.marts_dataset, exclude=GATE_LOG)
    assert set(published_models(settings)) <= set(before)
    audit_orders = f"`{settings.bq_project}.{settings.marts_audit_dataset}.fct_orders`"
    client(settings).query(
        f"UPDATE {audit_orders} SET gmv_usd = -100 WHERE order_id = (SELECT MIN(order_id) FROM {audit_orders})"
    ).result()

    refused = _cli("marts", "publish", "--run-id", "test-bad-build")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "FAIL marts fct_orders" in refused.stdout
    assert f"nothing published: {settings.marts_dataset} is unchanged" in refused.stdout
    assert table_fingerprints(settings, settings.marts_dataset, exclude=GATE_LOG) == before

    prepared = _cli("marts", "prepare", "--run-id", "test-after-bad-build")
    assert prepared.returncode == 0, prepared.stderr
    audit = table_fingerprints(settings, settings.marts_audit_dataset)
    published = table_fingerprints(settings, settings.marts_dataset, exclude=GATE_LOG)
    assert audit == {t: v for t, v in published.items() if t in published_models(settings)}

"""Bad data above a threshold fails the right gate, stops the run there, alerts, and spares the marts."""

from __future__ import annotations

import dataclasses

from marketplace_drills.webhook import AlertReceiver as WebhookReceiver
from marketplace_elt.bigquery import client
from marketplace_elt.pipeline.run import RunSummary, run_pipeline
from marketplace_elt.publish import published_models
from marketplace_elt.settings import Settings
from tests.conftest import TEST_SCALE, TEST_SEED
from tests.marts_fingerprint import marts_fingerprint
from tests.orchestration.asset_events import asset_uris_emitted_by

INJECTED = "ORD-INJECTED-"


def test_rows_missing_from_the_source_fail_gate_staging(pipeline_run: RunSummary, settings: Settings) -> None:
    assert pipeline_run.state == "success"
    raw_orders = f"`{settings.bq_project}.{settings.raw_dataset}.orders`"
    bq = client(settings)
    before = marts_fingerprint(settings)
    # 5 % more orders in raw than in the source: staging no longer reconciles with the source.
    n_inject = max(10, pipeline_run.raw_counts["orders"][0] // 20)
    bq.query(
        f"INSERT INTO {raw_orders} SELECT * REPLACE (GENERATE_UUID() AS _airbyte_raw_id, GENERATE_UUID() AS id, "
        f"CONCAT('{INJECTED}', SUBSTR(GENERATE_UUID(), 1, 6)) AS order_number) FROM {raw_orders} LIMIT {n_inject}"
    ).result()
    try:
        with WebhookReceiver() as hook:
            alerting = dataclasses.replace(settings, alert_webhook_url=hook.url)
            failed = run_pipeline(alerting, scale=TEST_SCALE, seed=TEST_SEED)
    finally:
        bq.query(f"DELETE FROM {raw_orders} WHERE STARTS_WITH(order_number, '{INJECTED}')").result()

    assert failed.state == "failed"
    assert failed.task_states["gate_raw"] == "success"
    assert failed.task_states["gate_staging"] == "failed"
    downstream = {t: s for t, s in failed.task_states.items() if t.split(".")[0] in ("intermediate", "marts")}
    assert downstream and all(s != "success" for s in downstream.values()), downstream
    assert failed.task_states["publish_marts"] != "success"
    assert marts_fingerprint(settings) == before
    # the successful run announced every published mart; the failed one announced nothing, so the
    # asset-scheduled finance export does not start on data that did not pass
    marts = published_models(settings)
    announced = asset_uris_emitted_by(settings, pipeline_run.run_id)
    assert [u.rsplit("/", 1)[-1] for u in announced] == marts
    assert asset_uris_emitted_by(settings, failed.run_id) == []
    alerts = [p for p in hook.payloads if p["task_id"] == "gate_staging"]
    assert len(alerts) == 1, hook.payloads
    assert "stg_marketplace__orders" in alerts[0]["reason"] or "orders" in alerts[0]["reason"]

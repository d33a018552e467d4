"""Airflow tasks of the Airbyte backend (EL_BACKEND=airbyte): trigger the connection, wait for the job,
then mark the rows the source hard-deleted (`el/deletes.py`).

`AirbyteTriggerSyncOperator` (asynchronous: it only submits the job and returns its id) followed by
a deferrable job sensor that frees its worker slot while Airbyte runs. The sensor adds Airbyte's
own failure reason to the task error, which the stock sensor reports only as "Job run N has
failed." The Airflow connection `airbyte_default` holds the public API base URL as host (e.g.
http://airbyte:8000/api/public/v1) and the client id/secret as login/password.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from airflow.providers.airbyte.hooks.airbyte import AirbyteHook
from airflow.providers.airbyte.operators.airbyte import AirbyteTriggerSyncOperator
from airflow.providers.airbyte.sensors.airbyte import AirbyteJobSensor
from airflow.providers.common.compat.sdk import AirflowException

from marketplace_elt.errors import ConfigError
from marketplace_elt.settings import Settings

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator, Context

AIRBYTE_CONN_ID = "airbyte_default"
QUEUED_TIMEOUT_S = 30 * 60


def _failure_reason(conn_id: str, job_id: int) -> str | None:
    from marketplace_elt.el.airbyte_api import AirbyteClient

    try:
        conn = AirbyteHook(airbyte_conn_id=conn_id).conn
        api = AirbyteClient(str(conn["host"]), str(conn["client_id"] or ""), str(conn["client_secret"] or ""))
        return api.failure_reason(int(job_id))
    except Exception:
        return None


class AirbyteSyncSensor(AirbyteJobSensor):
    """AirbyteJobSensor whose failure message carries the reason Airbyte recorded for the job."""

    def _fail(self, original: BaseException) -> AirflowException:
        reason = _failure_reason(self.airbyte_conn_id, int(self.airbyte_job_id))
        detail = reason or str(original).strip().splitlines()[0]
        return AirflowException(f"Airbyte job {self.airbyte_job_id} did not succeed: {detail}")

    def poke(self, context: Context) -> bool:
        try:
            return bool(super().poke(context))
        except AirflowException as exc:
            raise self._fail(exc) from exc

    def _wait_while_queued(self) -> None:
        """The stock sensor treats `queued` as an unexpected state and fails; wait it out instead."""
        hook = AirbyteHook(airbyte_conn_id=self.airbyte_conn_id, api_version=self.api_version)
        deadline = time.monotonic() + QUEUED_TIMEOUT_S
        while hook.get_job_status(int(self.airbyte_job_id)) == "queued":
            if time.monotonic() > deadline:
                raise AirflowException(f"Airbyte job {self.airbyte_job_id} stayed queued for {QUEUED_TIMEOUT_S}s")
            self.log.info("Airbyte job %s is queued; checking again in %ss", self.airbyte_job_id, self.poke_interval)
            time.sleep(float(self.poke_interval))

    def execute(self, context: Context) -> Any:
        try:
            self._wait_while_queued()
            return super().execute(context)
        except AirflowException as exc:  # already failed/cancelled when first checked
            raise self._fail(exc) from exc

    def execute_complete(self, context: Context, event: Any = None) -> None:
        try:
            super().execute_complete(context, event)
        except RuntimeError as exc:  # the trigger reported error / cancelled / timeout
            raise self._fail(exc) from exc


def airbyte_extract_load_tasks(
    settings: Settings, airbyte_conn_id: str = AIRBYTE_CONN_ID, reconcile_deletes: bool = True
) -> tuple[BaseOperator, BaseOperator]:
    """Create the Airbyte branch in the current DAG/TaskGroup; returns (first_task, last_task).

    With ``reconcile_deletes`` (and a catalog stream declared ``deletes: hard``) the last task marks
    the rows the source hard-deleted.
    """
    if not settings.airbyte_connection_id:
        raise ConfigError(
            "EL_BACKEND=airbyte needs AIRBYTE_CONNECTION_ID; run `marketplace-elt el airbyte apply` and set it"
        )
    trigger = AirbyteTriggerSyncOperator(
        task_id="airbyte_trigger_sync",
        connection_id=settings.airbyte_connection_id,
        airbyte_conn_id=airbyte_conn_id,
        asynchronous=True,
        doc_md="Submits a sync job on the Airbyte connection and pushes its job id (XCom).",
    )
    wait = AirbyteSyncSensor(
        task_id="airbyte_wait_for_sync",
        airbyte_job_id=trigger.output,  # type: ignore[arg-type]  # resolved from XCom at run time
        airbyte_conn_id=airbyte_conn_id,
        deferrable=True,
        doc_md="Waits (deferred, no worker slot) until the Airbyte job ends; fails with Airbyte's reason.",
    )
    trigger >> wait
    from marketplace_elt.el.catalog import load_catalog

    if not reconcile_deletes or not any(stream.captures_deletes for stream in load_catalog().streams):
        return trigger, wait
    from airflow.providers.standard.operators.python import PythonOperator

    from marketplace_elt.orchestration import tasks

    reconcile = PythonOperator(
        task_id="reconcile_deletes",
        python_callable=tasks.reconcile_deletes,
        op_kwargs={"job_id": trigger.output},
        doc_md=(
            "Marks raw rows whose key the source no longer has (`_ab_cdc_deleted_at`), for the streams "
            "declared `deletes: hard`: Airbyte's incremental (non-CDC) syncs do not see hard deletes."
        ),
    )
    wait >> reconcile
    return trigger, reconcile

"""Write-audit-publish for the marts: build beside them, check there, publish only what passed.

    <marts>__audit     every run builds the marts here (dbt's marts +schema) and gate_marts checks them
    <marts>            what readers see; changed only by `publish` (and `rollback`)
    <marts>__previous  the marts as they were before the last publish

A run is prepare -> dbt builds the marts into audit -> gate_marts on audit -> publish:

* :func:`prepare` makes the audit dataset an exact copy of the published marts: every table of the
  published version is cloned in, anything else (a failed run's build, `*__dbt_tmp` relations left
  by a killed dbt) is dropped. Incremental marts therefore always build on the last good version.
* :func:`publish` saves the published version into previous, then clones every audit mart into
  marts. It writes ``marts_publish_log`` (one row per publish or rollback) in the marts dataset,
  so readers can see which run they are reading; a publish interrupted halfway is finished by the
  next ``publish`` or ``prepare``, without overwriting the saved previous version.
* :func:`rollback` restores previous into marts in one command.

The tables published are the dbt models under ``models/marts`` (read from the manifest: declared once
by the dbt project). ``quality_gate_results`` also lives in the marts dataset: it is the gates' log,
written by every gate (a failed one included) and never part of a published version.

BigQuery has no multi-table atomic swap (DDL is not allowed in transactions), so each table is
replaced atomically by a copy job (WRITE_TRUNCATE: free on BigQuery, and what the emulator supports;
it rejects ``CREATE OR REPLACE TABLE ... CLONE`` onto an existing table) and the log row says whether
the whole set went through.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from marketplace_elt.errors import ConfigError, UserError
from marketplace_elt.settings import Settings

if TYPE_CHECKING:
    from google.cloud import bigquery

log = logging.getLogger(__name__)

PUBLISH_LOG = "marts_publish_log"
# Written by the DAG's publish step, one row per run; a build by hand (or a drill) may not have it.
RUN_LEDGER = "audit_run_ledger"
_LOG_SCHEMA = (
    ("run_id", "STRING", "REQUIRED"),
    ("action", "STRING", "REQUIRED"),  # publish | rollback
    ("state", "STRING", "REQUIRED"),  # started | done
    ("tables", "INTEGER", "NULLABLE"),
    ("recorded_at", "TIMESTAMP", "REQUIRED"),
)


@dataclass(frozen=True)
class LogEntry:
    run_id: str
    action: str
    state: str
    recorded_at: datetime


@dataclass(frozen=True)
class PublishResult:
    action: str
    run_id: str
    tables: list[str]
    resumed: bool = False

    def line(self) -> str:
        verb = {"publish": "published", "rollback": "rolled back", "prepare": "prepared"}[self.action]
        resumed = " (finished an interrupted publish)" if self.resumed else ""
        return f"marts {verb} for run {self.run_id}: {len(self.tables)} tables{resumed}"


def published_models(settings: Settings) -> list[str]:
    """The marts a publish replaces: every dbt model under models/marts, from the manifest."""
    from marketplace_elt.transform.dbt import manifest_path

    path = manifest_path(settings)
    if not path.exists():
        raise ConfigError(f"dbt manifest missing at {path}; run `marketplace-elt dbt parse` (make install does)")
    nodes = json.loads(path.read_text())["nodes"].values()
    return sorted(
        node["alias"] or node["name"]
        for node in nodes
        if node["resource_type"] == "model"
        and node["package_name"] == "marketplace"
        and node["original_file_path"].startswith("models/marts/")
        and node["config"].get("materialized") in ("table", "incremental")
    )


class MartsPublisher:
    """The three datasets of write-audit-publish and the moves between them."""

    def __init__(self, settings: Settings, bq: bigquery.Client | None = None) -> None:
        from marketplace_elt.bigquery import client, require_reachable

        self.settings = settings
        self.bq = bq or client(settings)
        require_reachable(settings, self.bq)
        self.project = settings.bq_project
        self.marts = settings.marts_dataset
        self.audit = settings.marts_audit_dataset
        self.previous = settings.marts_previous_dataset
        self.models = published_models(settings)

    # -- building blocks ---------------------------------------------------------------------------
    def _ensure(self, dataset: str) -> None:
        from google.cloud import bigquery as bqlib

        ds = bqlib.Dataset(f"{self.project}.{dataset}")
        ds.location = self.settings.bq_location
        self.bq.create_dataset(ds, exists_ok=True)

    def tables(self, dataset: str) -> set[str]:
        from google.api_core.exceptions import NotFound

        try:
            return {t.table_id for t in self.bq.list_tables(f"{self.project}.{dataset}")}
        except NotFound:
            return set()

    def _ref(self, dataset: str, table: str) -> str:
        return f"`{self.project}.{dataset}.{table}`"

    def _clone(self, pairs: list[tuple[str, str, str]]) -> None:
        """(table, from dataset, to dataset): copy jobs that replace each target, all started at once.

        A copy job with WRITE_TRUNCATE replaces its target atomically and costs nothing on BigQuery;
        the emulator rejects `CREATE OR REPLACE TABLE ... CLONE` onto an existing table.
        """
        from google.cloud import bigquery as bqlib

        config = bqlib.CopyJobConfig(write_disposition=bqlib.WriteDisposition.WRITE_TRUNCATE)
        jobs = [
            self.bq.copy_table(f"{self.project}.{src}.{t}", f"{self.project}.{dst}.{t}", job_config=config)
            for t, src, dst in pairs
        ]
        for job in jobs:
            job.result()

    def _drop(self, dataset: str, tables: set[str]) -> None:
        for table in sorted(tables):
            self.bq.delete_table(f"{self.project}.{dataset}.{table}", not_found_ok=True)

    # -- the publish log ---------------------------------------------------------------------------
    def last_entry(self) -> LogEntry | None:
        if PUBLISH_LOG not in self.tables(self.marts):
            return None
        rows = list(
            self.bq.query(
                f"SELECT run_id, action, state, recorded_at FROM {self._ref(self.marts, PUBLISH_LOG)} "
                "ORDER BY recorded_at DESC, state = 'done' DESC LIMIT 1"
            ).result()
        )
        return LogEntry(**dict(rows[0].items())) if rows else None

    def _record(self, run_id: str, action: str, state: str, tables: int) -> None:
        from google.cloud import bigquery as bqlib

        table_id = f"{self.project}.{self.marts}.{PUBLISH_LOG}"
        schema = [bqlib.SchemaField(name, kind, mode=mode) for name, kind, mode in _LOG_SCHEMA]
        self.bq.create_table(bqlib.Table(table_id, schema=schema), exists_ok=True)
        self.bq.query(
            f"INSERT INTO `{table_id}` (run_id, action, state, tables, recorded_at) "
            "VALUES (@run_id, @action, @state, @tables, @recorded_at)",
            job_config=bqlib.QueryJobConfig(
                query_parameters=[
                    bqlib.ScalarQueryParameter("run_id", "STRING", run_id),
                    bqlib.ScalarQueryParameter("action", "STRING", action),
                    bqlib.ScalarQueryParameter("state", "STRING", state),
                    bqlib.ScalarQueryParameter("tables", "INT64", tables),
                    bqlib.ScalarQueryParameter("recorded_at", "TIMESTAMP", datetime.now(UTC)),
                ]
            ),
        ).result()

    def interrupted_publish(self) -> LogEntry | None:
        entry = self.last_entry()
        return entry if entry and entry.action == "publish" and entry.state == "started" else None

    # -- the three moves ---------------------------------------------------------------------------
    def _require_built(self) -> list[str]:
        """The audit marts to publish: every mart model (the run ledger only when it was written)."""
        built = self.tables(self.audit)
        missing = [m for m in self.models if m not in built and m != RUN_LEDGER]
        if missing:
            raise UserError(
                f"the audit dataset {self.audit} lacks {', '.join(missing[:5])}: build the marts first "
                "(`marketplace-elt dbt build --select path:models/marts`), then publish"
            )
        return [m for m in self.models if m in built]

    def _copy_audit_to_marts(self, run_id: str) -> list[str]:
        tables = self._require_built()
        self._clone([(m, self.audit, self.marts) for m in tables])
        self._record(run_id, "publish", "done", len(tables))
        return tables

    def prepare(self, run_id: str) -> PublishResult:
        """Reset the audit dataset to the published marts; drop whatever else is in it."""
        self._ensure(self.marts)
        self._ensure(self.audit)
        resumed = self.interrupted_publish()
        if resumed:
            log.warning("the publish of run %s was interrupted; finishing it before this run", resumed.run_id)
            self._copy_audit_to_marts(resumed.run_id)
        published = self.tables(self.marts) & set(self.models)
        leftovers = self.tables(self.audit) - published
        if leftovers:
            log.info("dropping %d relations from %s: %s", len(leftovers), self.audit, ", ".join(sorted(leftovers)))
        self._drop(self.audit, leftovers)
        self._clone([(m, self.marts, self.audit) for m in sorted(published)])
        log.info("%s now holds the %d published marts of %s", self.audit, len(published), self.marts)
        return PublishResult("prepare", run_id, sorted(published), resumed=resumed is not None)

    def publish(self, run_id: str) -> PublishResult:
        """Save the published marts as previous, then publish the audit marts."""
        self._ensure(self.marts)
        self._ensure(self.previous)
        self._require_built()
        resumed = self.interrupted_publish()
        if resumed:
            log.warning("finishing the interrupted publish of run %s (previous version already saved)", resumed.run_id)
        else:
            current = self.tables(self.marts) & set(self.models)
            self._drop(self.previous, self.tables(self.previous) - current)
            self._clone([(m, self.marts, self.previous) for m in sorted(current)])
            self._record(run_id, "publish", "started", len(self.models))
        tables = self._copy_audit_to_marts(run_id)
        return PublishResult("publish", run_id, tables, resumed=resumed is not None)

    def rollback(self, run_id: str = "manual") -> PublishResult:
        """Restore the marts as they were before the last publish (one level; a second is a no-op)."""
        if self.interrupted_publish():
            raise UserError(
                "the last publish was interrupted; finish it with `marketplace-elt marts publish` first, then roll back"
            )
        saved = self.tables(self.previous) & set(self.models)
        if not saved:
            raise UserError(
                f"nothing to roll back to: {self.previous} is empty (only one version has been published so far)"
            )
        self._clone([(m, self.previous, self.marts) for m in sorted(saved)])
        # A mart that first appeared in the last publish did not exist in the restored version.
        self._drop(self.marts, (self.tables(self.marts) & set(self.models)) - saved)
        self._record(run_id, "rollback", "done", len(saved))
        return PublishResult("rollback", run_id, sorted(saved))


def prepare(settings: Settings, run_id: str) -> PublishResult:
    return MartsPublisher(settings).prepare(run_id)


def publish(settings: Settings, run_id: str) -> PublishResult:
    return MartsPublisher(settings).publish(run_id)


def rollback(settings: Settings, run_id: str = "manual") -> PublishResult:
    return MartsPublisher(settings).rollback(run_id)

"""dbt invocation: environment derived from Settings, the manifest Cosmos renders from, and runs.

The dbt profile (`dbt/profiles.yml`) reads only environment variables; :func:`dbt_env` is the single
place that turns Settings into those variables, so the CLI, the Airflow tasks and the tests all
target the same warehouse and datasets.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from marketplace_elt.errors import UserError
from marketplace_elt.settings import Settings

log = logging.getLogger(__name__)


DBT_PROFILE = "marketplace"


def dbt_env(settings: Settings) -> dict[str, str]:
    """Environment variables the dbt profile and project read."""
    return {
        "DBT_PROFILES_DIR": str(settings.dbt_dir),
        "DBT_TARGET": "emulator" if settings.bq_emulator else "prod",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_TARGET_PATH": str(settings.dbt_target_dir),
        "DBT_LOG_PATH": str(settings.logs_dir / "dbt"),
        "BQ_PROJECT": settings.bq_project,
        "BQ_LOCATION": settings.bq_location,
        "BQ_EMULATOR_URL": settings.bq_emulator_url or "",
        "BQ_RAW_DATASET": settings.raw_dataset,
        "BQ_STAGING_DATASET": settings.staging_dataset,
        "BQ_MARTS_DATASET": settings.marts_dataset,
        # Models under models/marts are built here, beside the published marts (write-audit-publish).
        "BQ_MARTS_BUILD_DATASET": settings.marts_audit_dataset,
        "SOURCE_TIMEZONE": settings.source_timezone,
        "PII_HASH_SECRET": settings.pii_hash_secret,
        "DBT_THREADS": str(settings.dbt_threads),
    }


def run_context_env(run_id: str, data_interval_start: str, data_interval_end: str) -> dict[str, str]:
    """The run's context as the variables dbt's `run_var` macro reads (empty values: unset).

    Not `--vars`: a var that changes every run makes every dbt invocation re-parse the project.
    """
    return {
        "MARKETPLACE_RUN_ID": run_id,
        "MARKETPLACE_DATA_INTERVAL_START": data_interval_start,
        "MARKETPLACE_DATA_INTERVAL_END": data_interval_end,
    }


def parse_args(settings: Settings) -> list[str]:
    """`dbt parse` naming profile and target as Cosmos does: dbt keys its partial parse on them."""
    return ["parse", "--quiet", "--profile", DBT_PROFILE, "--target", dbt_env(settings)["DBT_TARGET"]]


def partial_parse_seed(settings: Settings) -> Path:
    """Where Cosmos looks first for the partial parse each dbt task starts from."""
    return settings.dbt_dir / "target" / "partial_parse.msgpack"


def manifest_path(settings: Settings) -> Path:
    """The manifest Cosmos renders the DAG from; built by `marketplace-elt dbt parse`.

    A copy outside dbt's target directory: every dbt command rewrites target/manifest.json, and
    Airflow re-parses the DAG file in each task process while other tasks run dbt.
    """
    return settings.home / "dbt_manifest" / "manifest.json"


def _dbt_executable() -> str:
    exe = Path(sys.executable).parent / "dbt"
    return str(exe) if exe.exists() else "dbt"


def run_dbt(
    settings: Settings,
    args: Sequence[str],
    extra_env: Mapping[str, str] | None = None,
    check: bool = True,
) -> int:
    """Run ``dbt <args>`` in the project directory with the platform environment; streams output."""
    cmd = [_dbt_executable(), *args]
    env = {**os.environ, **dbt_env(settings), **(extra_env or {})}
    log.debug("running %s", " ".join(cmd))
    results_file = Path(env["DBT_TARGET_PATH"]) / "run_results.json"
    before = _mtime(results_file)
    result = subprocess.run(cmd, cwd=settings.dbt_dir, env=env)
    if check and result.returncode != 0:
        raise UserError(
            f"`dbt {' '.join(args)}` failed (exit {result.returncode}); read the dbt output above, "
            f"fix the model or data, and rerun"
        )
    if result.returncode == 0 and _mtime(results_file) != before:
        _require_selected_nodes(results_file)
    return result.returncode


# Commands that run the selected nodes and write run_results.json.
_NODE_COMMANDS = ("build", "run", "test", "seed", "snapshot", "compile")


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _require_selected_nodes(results_file: Path) -> None:
    """A --select matching no enabled node is an error here (dbt only warns and exits 0)."""
    try:
        run = json.loads(results_file.read_text())
    except (OSError, ValueError):
        return
    args = run.get("args") or {}
    selection = args.get("select") or []
    if args.get("which") in _NODE_COMMANDS and selection and not run.get("results"):
        chosen = " ".join(selection)
        raise UserError(
            f"`dbt {args['which']} --select {chosen}` matched no enabled node, so nothing ran; "
            f"check the names with `marketplace-elt dbt ls --select {chosen}`"
        )


def render_stream_macro(settings: Settings) -> None:
    """Write dbt/macros/generated/marketplace_streams.sql from the stream catalog when it changed."""
    from marketplace_elt.el.catalog import DBT_MACRO_RELPATH, write_dbt_macro

    try:
        # writes only when the text changed, so a read-only image with a current macro is fine
        path, changed = write_dbt_macro(settings.dbt_dir)
    except OSError as exc:
        raise UserError(
            f"cannot write {settings.dbt_dir / DBT_MACRO_RELPATH} ({exc.strerror or exc}); "
            "run `marketplace-elt catalog render` where dbt/ is writable"
        ) from None
    if changed:
        log.info("stream catalog rendered into %s", path)


def build_manifest(settings: Settings) -> Path:
    """`dbt parse` (no warehouse connection needed) so Airflow renders from a file, never `dbt ls`.

    The stream catalog's dbt macro is rendered first, so the manifest always follows
    airbyte/streams/*.yml.
    """
    render_stream_macro(settings)
    settings.dbt_target_dir.mkdir(parents=True, exist_ok=True)
    run_dbt(settings, parse_args(settings))
    parsed = settings.dbt_target_dir / "manifest.json"
    if not parsed.exists():
        raise UserError(f"dbt parse did not write {parsed}; run `marketplace-elt dbt parse` and read its output")
    path = manifest_path(settings)
    _copy_atomically(parsed, path)  # a DAG parse never reads a half-written manifest
    # Cosmos starts each dbt task from the newer of <project>/target/partial_parse.msgpack and its
    # own cache: seeding the first means no task re-parses the whole project after an install.
    seed = partial_parse_seed(settings)
    try:
        _copy_atomically(settings.dbt_target_dir / seed.name, seed)
    except OSError as exc:  # e.g. a read-only image: correct, only slower (each group parses once)
        log.warning("dbt partial parse not seeded at %s (%s); Cosmos tasks will parse the project once", seed, exc)
    return path


def _copy_atomically(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    staged = dst.with_name(dst.name + ".tmp")
    shutil.copyfile(src, staged)
    os.replace(staged, dst)

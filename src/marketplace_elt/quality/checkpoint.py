"""Great Expectations side of the gates: one suite + checkpoint per layer, and the data docs.

The GX project lives in ``MELT_HOME/gx`` (a file context, so suites, validation results and the
data-docs site persist between runs). Each layer is a pandas data asset whose batch is a one-row
frame of the observed values computed in BigQuery (``metrics.py``): column ``<table>.<check>``.
Each check is an ``expect_column_values_to_be_between`` on its column with the configured bounds,
annotated with the check's plain-words meaning, so the data docs read as the gate's rulebook.
A check that could not be computed is left out of the frame: GX then fails its expectation
("column not found"), so the verdict on every check is always GX's own.

GX is imported lazily (it takes seconds) and its chatty INFO loggers are silenced.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marketplace_elt.quality.config import CheckSpec, describe_check, describe_threshold
from marketplace_elt.quality.landing import write_landing_page
from marketplace_elt.settings import Settings

if TYPE_CHECKING:
    from great_expectations.data_context import FileDataContext

log = logging.getLogger(__name__)

DOCS_SITE = "gates"
DATASOURCE = "quality_gates"
GX_EXPECTATION = "expect_column_values_to_be_between"


def gx_root(settings: Settings) -> Path:
    """``MELT_HOME/gx``: the GX project directory (suites, validations, data docs, result files)."""
    return settings.home / "gx"


def data_docs_dir(settings: Settings) -> Path:
    return gx_root(settings) / "data_docs"


def suite_name(layer: str) -> str:
    return f"gate_{layer}"


def _quiet_gx_logging() -> None:
    for name in ("great_expectations", "great_expectations.core", "great_expectations.data_context"):
        logging.getLogger(name).setLevel(logging.WARNING)


@contextlib.contextmanager
def _locked(settings: Settings) -> Iterator[None]:
    """Serialise access to the GX project: two gates writing its JSON stores at once would corrupt them."""
    root = gx_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _context(settings: Settings) -> FileDataContext:
    """The file context in MELT_HOME/gx, with our data-docs site and no progress bars."""
    _quiet_gx_logging()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", project_root_dir=str(settings.home))
    sites = dict(context.variables.data_docs_sites or {})
    if DOCS_SITE not in sites or context.variables.progress_bars is None:
        for name in sites:
            if name != DOCS_SITE:
                context.delete_data_docs_site(name)
        if DOCS_SITE not in sites:
            site: Any = {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": "data_docs/"},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
            context.add_data_docs_site(DOCS_SITE, site)
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        context.variables.save()
    return context


def _suite(layer: str, specs: Sequence[CheckSpec]) -> Any:
    import great_expectations as gx

    suite = gx.ExpectationSuite(
        name=suite_name(layer),
        meta={"notes": {"format": "markdown", "content": f"Quality gate after the **{layer}** layer."}},
    )
    for spec in specs:
        note = f"**{spec.table}**: {describe_check(spec)} must be {describe_threshold(spec)}."
        suite.add_expectation(
            gx.expectations.ExpectColumnValuesToBeBetween(
                column=spec.key,
                min_value=spec.min,
                max_value=spec.max,
                meta={
                    "notes": {"format": "markdown", "content": note},
                    "table": spec.table,
                    "check": spec.name,
                    "expect": spec.expect,
                },
            )
        )
    return suite


@dataclass(frozen=True)
class Validation:
    """GX's verdict per check key, and the stored resources (for an incremental data-docs build)."""

    verdicts: dict[str, bool]
    resources: list[Any]
    page: str | None  # this validation's page, relative to the data-docs directory


def validate(
    settings: Settings, layer: str, run_id: str, specs: Sequence[CheckSpec], values: Mapping[str, float]
) -> Validation:
    """Run the layer's checkpoint on the observed values.

    ``values`` holds the checks that could be computed; the others fail inside GX.
    """
    _quiet_gx_logging()
    import great_expectations as gx
    import pandas as pd
    from great_expectations.core.run_identifier import RunIdentifier

    frame = pd.DataFrame([{spec.key: float(values[spec.key]) for spec in specs if spec.key in values}])
    if frame.empty:
        frame = pd.DataFrame(index=[0])
    with _locked(settings):
        context = _context(settings)
        datasource = context.data_sources.add_or_update_pandas(DATASOURCE)
        asset_names = {a.name for a in datasource.assets}
        asset = datasource.get_asset(layer) if layer in asset_names else datasource.add_dataframe_asset(layer)
        batch_names = {b.name for b in asset.batch_definitions}
        batch = (
            asset.get_batch_definition(layer)
            if layer in batch_names
            else asset.add_batch_definition_whole_dataframe(layer)
        )
        suite = context.suites.add_or_update(_suite(layer, specs))
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=suite_name(layer), data=batch, suite=suite)
        )
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=suite_name(layer),
                validation_definitions=[definition],
                result_format="SUMMARY",
                actions=[],
            )
        )
        result = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=RunIdentifier(run_name=run_id))
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    verdicts: dict[str, bool] = {}
    resources: list[Any] = [ExpectationSuiteIdentifier(name=suite_name(layer))]
    pages: list[str] = []
    for identifier, run_result in result.run_results.items():
        resources.append(identifier)
        pages.append("validations/" + "/".join(str(part) for part in identifier.to_tuple()) + ".html")
        for expectation in run_result.results:
            config = expectation.expectation_config
            column = config.kwargs.get("column") if config is not None else None
            if column is not None:
                verdicts[str(column)] = bool(expectation.success)
    return Validation(verdicts=verdicts, resources=resources, page=pages[0] if pages else None)


def build_data_docs(settings: Settings, keep_runs: int | None = None, resources: Sequence[Any] | None = None) -> Path:
    """Render the data docs into ``MELT_HOME/gx/data_docs`` and return the path of GX's index.html.

    With ``resources`` (from :func:`validate`) only those pages and the index are rendered -- what
    each gate does, in about a second; without, the whole site is rebuilt. With ``keep_runs``,
    validation results older than the newest ``keep_runs`` per layer are deleted first (with their
    pages), so the site stays small on a long-lived deployment. The script-free summary page
    ``gates.html`` is rewritten too (see ``landing.py``).
    """
    with _locked(settings):
        context = _context(settings)
        if keep_runs is not None:
            _prune(settings, keep_runs)
        context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=list(resources) if resources else None)
        write_landing_page(settings, data_docs_dir(settings))
    return data_docs_dir(settings) / "index.html"


def _oldest_beyond(directory: Path, keep: int) -> list[Path]:
    runs = sorted((p for p in directory.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    return runs[: max(0, len(runs) - keep)]


def _prune(settings: Settings, keep_runs: int) -> None:
    """Keep the newest ``keep_runs`` runs of each suite (results + pages) and of the JSON results.

    The BigQuery table ``quality_gate_results`` keeps the full history.
    """
    validations = gx_root(settings) / "uncommitted" / "validations"
    if validations.is_dir():
        for suite_dir in (p for p in validations.iterdir() if p.is_dir()):
            for old in _oldest_beyond(suite_dir, keep_runs):
                shutil.rmtree(old, ignore_errors=True)
                shutil.rmtree(data_docs_dir(settings) / "validations" / suite_dir.name / old.name, ignore_errors=True)
    results = gx_root(settings) / "results"
    if results.is_dir():
        for old in _oldest_beyond(results, keep_runs):
            shutil.rmtree(old, ignore_errors=True)

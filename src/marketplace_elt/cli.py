"""`marketplace-elt`: the one command-line entry point of the platform.

Each command group lives in the module that owns the behaviour and registers itself through an
``add_parser(subparsers)`` function; this module only assembles them and turns user errors into
one clear line on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from marketplace_elt.errors import UserError
from marketplace_elt.settings import get_settings

# (module, one-line description shown in --help). Order is the order of a pipeline run.
COMMAND_GROUPS: list[tuple[str, str]] = [
    ("marketplace_elt.config_cli", "config: show the effective settings"),
    ("marketplace_elt.services.cli", "services: start/stop the embedded PostgreSQL and BigQuery emulator"),
    ("marketplace_sim.cli", "source: create, seed and advance the marketplace source database"),
    ("marketplace_elt.el.cli", "el: extract-load source tables into the raw dataset"),
    (
        "marketplace_elt.el.catalog_cli",
        "catalog: the stream catalog (airbyte/streams) and the dbt macro generated from it",
    ),
    ("marketplace_elt.landing.cli", "landing: payment-provider daily files into raw (generate, load, status)"),
    ("marketplace_elt.transform.cli", "dbt: run the dbt project with the platform's settings"),
    ("marketplace_elt.quality.cli", "gates: run the Great Expectations quality gates"),
    ("marketplace_elt.publish.cli", "marts: publish the audited marts, roll back, compare with a full refresh"),
    ("marketplace_elt.sql_cli", "sql: query the warehouse (emulator or BigQuery) from the shell"),
    ("marketplace_elt.dashboard.cli", "dashboard: the Streamlit dashboard on the published marts"),
    ("marketplace_elt.pipeline.cli", "pipeline: run everything end to end, print a summary"),
    ("marketplace_elt.orchestration.cli", "airflow: set up and start Airflow for this project"),
    ("marketplace_bench.cli", "bench: measure the pipeline against the machine's limits"),
    ("marketplace_drills.cli", "drills: fault drills on real processes (kill, outage, drift, replays)"),
]

EPILOG = """\
Typical first run (all local, no Docker, no cloud account):
  marketplace-elt services up          start PostgreSQL + BigQuery emulator
  marketplace-elt source seed --scale 1
  marketplace-elt el sync              copy all tables into BigQuery dataset `raw`
  marketplace-elt dbt build            staging -> intermediate -> marts
  marketplace-elt pipeline run         all of the above through the Airflow DAG

Settings come from environment variables: `marketplace-elt config show` lists them.
"""


class OneLineErrorParser(argparse.ArgumentParser):
    """Usage mistakes end in one line naming the problem and where to look, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message}; see `{self.prog} --help`\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog="marketplace-elt",
        description="Marketplace ELT platform: PostgreSQL -> extract-load -> BigQuery -> dbt, under Airflow.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show debug logs and tracebacks")
    sub = parser.add_subparsers(dest="group", metavar="COMMAND", required=True, parser_class=OneLineErrorParser)
    for module_name, _ in COMMAND_GROUPS:
        importlib.import_module(module_name).add_parser(sub)
    return parser


def permission_message(exc: PermissionError) -> str:
    """One line for a file the user cannot read or write (a read-only MELT_HOME, a root-owned file)."""
    where = f" on {exc.filename}" if exc.filename else ""
    return (
        f"permission denied{where} ({exc.strerror or exc}); fix its permissions, "
        "or set MELT_HOME to a directory you can write (e.g. /var/tmp/marketplace-elt)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
    )
    handler: Callable[[argparse.Namespace], int | None] = args.handler
    try:
        get_settings()  # every setting is validated before any command starts anything
        return handler(args) or 0
    except UserError as exc:
        if args.verbose:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PermissionError as exc:
        if args.verbose:
            raise
        print(f"error: {permission_message(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to resume (every step is idempotent)", file=sys.stderr)
        return 130


def run() -> None:  # pragma: no cover - console entry point wrapper
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()

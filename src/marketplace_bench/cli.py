"""`marketplace-elt bench run --scale N`: the benchmark; JSON to bench/results/, Markdown to stdout."""

from __future__ import annotations

import argparse
import logging
import re
from pathlib import Path

from marketplace_elt.settings import get_settings


def _scale(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number; use e.g. --scale 10") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"scale must be > 0 (got {value}); use e.g. --scale 10")
    return number


def _phases(value: str) -> tuple[str, ...]:
    from marketplace_bench.runner import PHASES

    names = tuple(p.strip() for p in value.split(",") if p.strip())
    unknown = [p for p in names if p not in PHASES]
    if unknown or not names:
        bad = unknown[0] if unknown else value
        raise argparse.ArgumentTypeError(f"unknown phase {bad!r}; choose from {','.join(PHASES)}")
    return names


def _workspace(value: str) -> str:
    if not re.match(r"^[a-z][a-z0-9_]{0,26}$", value):
        raise argparse.ArgumentTypeError(f"workspace {value!r} must be a short lower-case identifier, e.g. bench2")
    return value


def _run(args: argparse.Namespace) -> int:
    from marketplace_bench.runner import PHASES, BenchOptions, run_bench, summary_markdown

    options = BenchOptions(
        scale=args.scale,
        seed=args.seed,
        phases=args.phases or PHASES,
        parse_runs=args.parse_runs,
        copy_repeats=args.copy_repeats,
        run_scale=args.run_scale,
        results_dir=args.results_dir,
        keep=args.keep,
        workspace=args.workspace,
    )
    if not args.verbose:  # per-stream loader lines would drown the figures; -v shows them
        logging.getLogger("marketplace_elt.el").setLevel(logging.WARNING)
    result, path = run_bench(get_settings(), options)
    print()
    print(summary_markdown(result))
    print(f"results written to {path}")
    return 1 if result.get("errors") else 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("bench", help="measure the pipeline against the machine's limits")
    cmds = parser.add_subparsers(dest="command", metavar="ACTION", required=True)
    run = cmds.add_parser(
        "run",
        help="benchmark EL, dbt, DAG parsing and a full run; writes bench/results/<timestamp>.json",
        description="Runs in its own source database and datasets (`<db>_bench`, `raw_bench`, ...) on the "
        "configured services; exit 1 if a phase could not be measured (targets are reported, never asserted).",
    )
    run.add_argument("--scale", type=_scale, default=100.0, help="source size (100 = ~1M orders; default 100)")
    run.add_argument("--seed", type=int, default=42, help="random seed of the generated source")
    run.add_argument(
        "--phases",
        type=_phases,
        default=None,
        metavar="LIST",
        help="comma-separated subset of el,peer,dbt,incremental,parse,run (default: all)",
    )
    run.add_argument("--parse-runs", type=int, default=10, metavar="N", help="fresh processes timing the DAG import")
    run.add_argument("--copy-repeats", type=int, default=3, metavar="N", help="COPY reads per table (fastest kept)")
    run.add_argument(
        "--run-scale",
        type=_scale,
        default=None,
        metavar="S",
        help="scale of the `pipeline run` phase (default: its default)",
    )
    run.add_argument("--results-dir", type=Path, default=None, help="where the JSON goes (default bench/results/)")
    run.add_argument("--keep", action="store_true", help="keep the bench database and datasets afterwards")
    run.add_argument(
        "--workspace",
        type=_workspace,
        default="bench",
        metavar="NAME",
        help="workspace name: source database <db>_NAME, datasets raw_NAME, ... (default bench)",
    )
    run.set_defaults(handler=_run)

"""`marketplace-elt pipeline run`: the whole pipeline end to end on the configured services."""

from __future__ import annotations

import argparse

from marketplace_elt.settings import get_settings


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number; use e.g. --scale 1") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"scale must be > 0 (got {value}); use e.g. --scale 1")
    return number


def _run(args: argparse.Namespace) -> int:
    from marketplace_elt.pipeline.run import ensure_success, run_pipeline

    summary = run_pipeline(get_settings(), scale=args.scale, seed=args.seed, logical_date=args.logical_date)
    print()
    print(summary.render())
    ensure_success(summary)
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("pipeline", help="run the whole pipeline end to end and print a summary")
    cmds = parser.add_subparsers(dest="command", metavar="ACTION", required=True)
    run = cmds.add_parser(
        "run",
        help="services up, seed the source if empty, run the DAG once (airflow dags test), print a summary",
    )
    run.add_argument("--scale", type=_positive, default=1.0, help="source size when seeding (1 = ~10k orders)")
    run.add_argument("--seed", type=int, default=42, help="random seed of the generated source")
    run.add_argument("--logical-date", default=None, help="logical date of the run (default: now)")
    run.set_defaults(handler=_run)

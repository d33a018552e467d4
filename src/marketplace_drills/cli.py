"""`marketplace-elt drills run --scale N [--only NAME]`: fault drills on real processes."""

from __future__ import annotations

import argparse
import logging

from marketplace_elt.settings import get_settings


def _scale(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number; use e.g. --scale 0.1") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"scale must be > 0 (got {value}); use e.g. --scale 0.1")
    return number


def _run(args: argparse.Namespace) -> int:
    from marketplace_drills.base import DrillOptions
    from marketplace_drills.runner import closing_line, run_drills

    options = DrillOptions(
        scale=args.scale,
        seed=args.seed,
        trials=args.trials,
        retry_delay_s=args.retry_delay,
        retries=args.retries,
        keep=args.keep,
        random_seed=args.random_seed,
    )
    only = [name for group in args.only or [] for name in group.split(",") if name]
    if not args.verbose:  # per-stream loader lines would drown the figures; -v shows them
        logging.getLogger("marketplace_elt.el").setLevel(logging.WARNING)
    results = run_drills(get_settings(), options, only or None)
    print()
    print(closing_line(results))
    return 0 if all(r.passed for r in results) else 1


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from marketplace_drills.runner import NAMES

    parser = sub.add_parser("drills", help="fault drills on real processes (kill, outage, drift, replays)")
    cmds = parser.add_subparsers(dest="command", metavar="ACTION", required=True)
    run = cmds.add_parser(
        "run",
        help="run the drills; prints PASS/FAIL with evidence and ends with `N passed, N failed`",
        description="Each drill runs in its own source database and datasets on the configured services. "
        f"Drills: {', '.join(NAMES)}. Exit code 1 if any drill failed.",
    )
    run.add_argument("--scale", type=_scale, default=0.1, help="source size of each drill (default 0.1)")
    run.add_argument("--only", action="append", metavar="NAME", help="run only this drill (repeatable, or a,b)")
    run.add_argument("--trials", type=int, default=10, help="kills of the loader-kill and dbt-kill drills (default 10)")
    run.add_argument("--seed", type=int, default=7, help="seed of the generated source")
    run.add_argument("--random-seed", type=int, default=None, help="seed of the kill timings (default: random)")
    run.add_argument(
        "--retry-delay", type=float, default=15.0, help="retry delay (s) of the drills' DAG runs (default 15)"
    )
    run.add_argument(
        "--retries", type=int, default=None, help="retries of every task in the drills' DAG runs (default: the DAG's)"
    )
    run.add_argument("--keep", action="store_true", help="keep each drill's database and datasets afterwards")
    run.set_defaults(handler=_run)

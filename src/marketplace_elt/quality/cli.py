"""`marketplace-elt gates run --layer L [--run-id X] [--config FILE] [--freshness FILE]` and `gates docs`."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from marketplace_elt.quality.config import LAYERS
from marketplace_elt.settings import get_settings


def _run(args: argparse.Namespace) -> int:
    from marketplace_elt.quality import GateFailed, freshness_outcomes, run_gate

    run_id = args.run_id or f"manual__{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%S')}"
    extra = freshness_outcomes(Path(args.freshness), layer=args.layer) if args.freshness else []
    try:
        result = run_gate(get_settings(), args.layer, run_id, config=args.config, extra_outcomes=extra)
    except GateFailed as failed:
        print(str(failed))
        return 1
    print(result.summary())
    print(f"result: {result.result_file}")
    if result.data_docs:
        print(f"data docs: {result.data_docs.parent / 'gates.html'}")
    return 0


def _docs(args: argparse.Namespace) -> int:
    from marketplace_elt.quality import build_data_docs, load_config

    index = build_data_docs(get_settings(), keep_runs=load_config(args.config).keep_runs)
    print(index)
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("gates", help="run the Great Expectations quality gates")
    cmds = parser.add_subparsers(dest="command", metavar="ACTION", required=True)
    run = cmds.add_parser(
        "run",
        help="run one layer's gate (exit 1 when an expectation fails)",
        description="Check one layer against the rules in the quality config; results go to "
        "MELT_HOME/gx/results/<run_id>/<layer>.json and <marts>.quality_gate_results.",
    )
    run.add_argument("--layer", required=True, choices=LAYERS, help="which gate to run")
    run.add_argument("--run-id", help="id to record the result under (default: manual__<UTC time>)")
    run.add_argument("--config", help="thresholds file (default: the packaged quality/thresholds.yml)")
    run.add_argument(
        "--freshness", metavar="SOURCES_JSON", help="also judge a dbt `source freshness` result (sources.json)"
    )
    run.set_defaults(handler=_run)
    docs = cmds.add_parser("docs", help="rebuild the whole GX data-docs site and print its index.html path")
    docs.add_argument("--config", help="thresholds file (its data_docs.keep_runs applies)")
    docs.set_defaults(handler=_docs)

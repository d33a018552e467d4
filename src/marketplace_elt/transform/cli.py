"""`marketplace-elt dbt ...`: dbt with the platform's settings (any dbt arguments pass through)."""

from __future__ import annotations

import argparse

from marketplace_elt.settings import get_settings
from marketplace_elt.transform.dbt import build_manifest, run_dbt


def _passthrough(args: argparse.Namespace) -> int:
    settings = get_settings()
    dbt_args: list[str] = list(args.dbt_args)
    if dbt_args[:1] == ["parse"] and len(dbt_args) == 1:
        print(f"manifest written to {build_manifest(settings)}")
        return 0
    return run_dbt(settings, dbt_args, check=False)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "dbt",
        help="run dbt against the configured warehouse, e.g. `marketplace-elt dbt build`",
        description="Runs dbt in dbt/ with the profile env derived from the settings. "
        "Everything after `dbt` goes to dbt unchanged (build, test, parse, docs generate, ...).",
    )
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER, metavar="DBT_ARGS", help="arguments for dbt")
    parser.set_defaults(handler=_passthrough)

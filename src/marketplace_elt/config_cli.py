"""`marketplace-elt config show`: the effective settings, so nobody has to guess a default."""

from __future__ import annotations

import argparse

from marketplace_elt.settings import get_settings


def show(_: argparse.Namespace) -> int:
    rows = get_settings().describe()
    width = max(len(env) for env, _, _ in rows)
    for env, value, doc in rows:
        print(f"{env:<{width}}  {value}    # {doc}")
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("config", help="show the effective settings (env vars and defaults)")
    cmds = parser.add_subparsers(dest="command", metavar="ACTION", required=True)
    cmds.add_parser("show", help="print every setting, its value and what it means").set_defaults(handler=show)

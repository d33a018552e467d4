"""`marketplace-elt catalog render|check`: the dbt view of the stream catalog (airbyte/streams/)."""

from __future__ import annotations

import argparse

from marketplace_elt.el.catalog import DBT_MACRO_RELPATH, load_catalog, render_dbt_macro, write_dbt_macro
from marketplace_elt.errors import UserError
from marketplace_elt.settings import get_settings


def _render(args: argparse.Namespace) -> int:
    path, changed = write_dbt_macro(get_settings().dbt_dir)
    print(f"{path} {'written' if changed else 'already up to date'}")
    return 0


def _check(args: argparse.Namespace) -> int:
    path = get_settings().dbt_dir / DBT_MACRO_RELPATH
    current = path.read_text() if path.exists() else ""
    if current != render_dbt_macro(load_catalog()):
        raise UserError(f"{path} does not match airbyte/streams/*.yml; run marketplace-elt catalog render")
    names = load_catalog().names
    print(f"{path} matches the catalog ({len(names)} streams: {', '.join(names)})")
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("catalog", help="the stream catalog (airbyte/streams/*.yml) and what is generated from it")
    cmds = parser.add_subparsers(dest="command", metavar="ACTION", required=True)
    p_render = cmds.add_parser("render", help=f"write dbt/{DBT_MACRO_RELPATH} (the macro marketplace_streams())")
    p_render.set_defaults(handler=_render)
    p_check = cmds.add_parser("check", help="validate the catalog; fail if the generated dbt macro is stale")
    p_check.set_defaults(handler=_check)

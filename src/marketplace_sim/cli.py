"""`marketplace-elt source init|seed|advance|faults|counts`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, NoReturn

from marketplace_elt.settings import get_settings
from marketplace_sim.limits import MAX_DAYS, ORDERS_PER_SCALE


class _OneLineErrors(argparse.ArgumentParser):
    """Argument errors as one line (what is wrong, where to look), like every other user error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message}; see `{self.prog} --help`\n")

    def parse_known_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> tuple[Any, list[str]]:
        parsed, extra = super().parse_known_args(args, namespace)
        if extra:
            self.error(f"unrecognized arguments: {' '.join(extra)}")
        return parsed, extra


def _init(_: argparse.Namespace) -> int:
    from marketplace_sim.schema import init

    init(get_settings())
    print("source schema, meta schema and read-only replication role are in place")
    return 0


def _seed(args: argparse.Namespace) -> int:
    from marketplace_sim.faults import parse_fault_rate
    from marketplace_sim.seeding import seed as seed_source

    rates = dict(parse_fault_rate(item) for item in args.fault_rate or [])
    report = seed_source(
        get_settings(), args.scale, args.seed, args.reset, rates, progress=lambda line: print(line, flush=True)
    )
    faults = sum(report.faults.values())
    print(f"faults injected: {faults:,} rows (see `marketplace-elt source faults`)")
    return 0


def _advance(args: argparse.Namespace) -> int:
    from marketplace_sim.advancing import advance

    report = advance(get_settings(), args.days, progress=lambda line: print(line, flush=True))
    changed = sum(report.changes.values())
    print(
        f"advanced {report.days} day(s) to {report.sim_now:%Y-%m-%d %H:%M} UTC: {changed:,} rows written "
        f"in {report.seconds:.1f} s"
    )
    return 0


def _faults(_: argparse.Namespace) -> int:
    from marketplace_sim.counts import fault_counts, fault_rates_in_effect
    from marketplace_sim.faults import FAULTS

    settings = get_settings()
    counts = fault_counts(settings)
    rates = fault_rates_in_effect(settings)
    width = max(len(f.name) for f in FAULTS)
    print(f"{'fault':<{width}}  {'table':<19} {'rows':>8}  rate")
    for fault in FAULTS:
        print(f"{fault.name:<{width}}  {fault.table:<19} {counts[fault.name]:>8,}  {rates[fault.name]:g}")
    print(f"{'total':<{width}}  {'':<19} {sum(counts.values()):>8,}")
    return 0


def _counts(_: argparse.Namespace) -> int:
    from marketplace_sim.counts import table_counts

    counts = table_counts(get_settings())
    for table, rows in counts.items():
        print(f"{table:<20} {rows:>12,}")
    print(f"{'total':<20} {sum(counts.values()):>12,}")
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "source",
        help="create, seed and advance the marketplace source database",
        description="The marketplace source database (settings: SOURCE_ADMIN_DB_URL, the owner; "
        "SOURCE_DB_URL, the read-only role extract-load uses).",
    )
    cmds = parser.add_subparsers(dest="command", metavar="ACTION", required=True, parser_class=_OneLineErrors)

    cmds.add_parser("init", help="create the tables, the meta schema and the read-only role (idempotent)").set_defaults(
        handler=_init
    )

    p_seed = cmds.add_parser("seed", help="generate a deterministic marketplace history (init implied)")
    p_seed.add_argument(
        "--scale", type=float, default=1.0, help=f"size: {ORDERS_PER_SCALE:,} orders per unit, e.g. 0.1, 1, 100"
    )
    p_seed.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same data")
    p_seed.add_argument("--reset", action="store_true", help="replace the data of a non-empty database")
    p_seed.add_argument(
        "--fault-rate",
        action="append",
        metavar="NAME=RATE",
        help="override a fault's rate (repeatable; NAME 'all' sets every rate, e.g. all=0); "
        "see `source faults` for the names",
    )
    p_seed.set_defaults(handler=_seed)

    p_adv = cmds.add_parser("advance", help="simulate more business days after the seeded history")
    p_adv.add_argument("--days", type=int, default=1, help=f"simulated days to add (1..{MAX_DAYS})")
    p_adv.set_defaults(handler=_advance)

    cmds.add_parser("faults", help="rows per injected fault (from the fault manifest)").set_defaults(handler=_faults)
    cmds.add_parser("counts", help="rows per source table").set_defaults(handler=_counts)

"""`marketplace-elt landing generate|load|status`: the payment provider's daily files."""

from __future__ import annotations

import argparse
import json
from datetime import date, timedelta
from typing import Any

from marketplace_elt.errors import UserError
from marketplace_elt.settings import get_settings

ALL = "*"  # a variant flag given without a stream: every file written

DESCRIPTION = """\
The landing zone: a payment provider drops three CSV files a day into LANDING_DIR
(events_YYYYMMDD.csv, transactions_YYYYMMDD.csv, settlement_YYYYMMDD.csv; their contracts are
landing/streams/*.yml). `load` copies each new or corrected file into the raw dataset exactly
once (raw.provider_*, with rejected lines in raw.landing_rejects and one row per file load in
raw.landing_manifest); `generate` plays the provider from the source's payments; `status` shows
the manifest. See docs/landing-zone.md.
"""

GENERATE_DESCRIPTION = """\
Play the payment provider: read the day's payments from the source database (read-only) and
write its events, transactions and settlement files into LANDING_DIR, consistent with the
payments but for the rates below, with messy values at seeded rates. The same seed writes the
same bytes; a file is replaced atomically (temporary file + rename).
"""

GENERATE_EPILOG = """\
examples:
  marketplace-elt landing generate --date 2026-10-15                the day's three files
  marketplace-elt landing generate --date 2026-10-01 --days 7       a week of files
  marketplace-elt landing generate --date 2026-10-15 --redeliver    the corrected version, same names
  marketplace-elt landing generate --date 2026-10-15 --truncate provider_events --rate all=0
"""


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-10-15") from None


def _variant_streams(values: list[str] | None, streams: list[str]) -> frozenset[str]:
    if not values:
        return frozenset()
    return frozenset(streams) if ALL in values else frozenset(values)


def _generate(args: argparse.Namespace) -> int:
    from marketplace_elt.landing.contract import load_contract
    from marketplace_sim.provider_files import Variants, write_provider_files
    from marketplace_sim.provider_rates import parse_rate, resolve_rates

    if not 1 <= args.days <= 366:
        raise UserError(f"--days {args.days} must be between 1 and 366")
    settings = get_settings()
    contract = load_contract()
    streams = [s.name for s in contract.select(args.stream)]
    for values in (args.truncate, args.extra_column, args.missing_column):
        for name in values or []:
            if name != ALL:
                contract.stream(name)  # an unknown stream name is one clear line
    rates = resolve_rates(dict(parse_rate(item) for item in args.rate or []))
    variants = Variants(
        redeliver=args.redeliver,
        truncate=_variant_streams(args.truncate, streams),
        extra_column=_variant_streams(args.extra_column, streams),
        missing_column=_variant_streams(args.missing_column, streams),
    )
    for offset in range(args.days):
        day = args.date + timedelta(days=offset)
        report = write_provider_files(settings, day, seed=args.seed, rates=rates, variants=variants, streams=streams)
        kind = "corrected re-delivery" if report.redelivered else "delivery"
        print(
            f"{day}: {report.payments:,} payments at the platform, {report.missing_at_provider:,} missing at the "
            f"provider; {report.missing_at_platform:,} settlement rows missing at the platform, "
            f"{report.amount_mismatches:,} amount mismatches ({kind})"
        )
        for written in report.files.values():
            notes = [f"{k} {v}" for k, v in written.mess.items()]
            notes += ["last line truncated"] * written.truncated
            notes += [f"extra column {written.extra_column}"] if written.extra_column else []
            notes += [f"missing column {written.missing_column}"] if written.missing_column else []
            detail = f" ({', '.join(notes)})" if notes else ""
            print(f"  {written.path}: {written.lines:,} lines{detail}")
    return 0


def _load(args: argparse.Namespace) -> int:
    from marketplace_elt.landing.bronze import load

    results = load(get_settings(), args.stream or None)
    if not results:
        print("no provider files in the landing directory")
        return 0
    print(f"{'file':<30}{'stream':<24}{'lines':>8}{'accepted':>10}{'rejected':>10}  outcome")
    for r in results:
        e = r.entry
        outcome = {"loaded": "loaded", "redelivered": "re-delivery loaded", "unchanged": "already loaded"}[r.action]
        if e.status == "rejected":
            outcome += f", whole file rejected: {e.reason}"
        print(f"{e.file_name:<30}{e.stream:<24}{e.lines:>8,}{e.accepted:>10,}{e.rejected:>10,}  {outcome}")
    wrote = sum(r.wrote for r in results)
    print(f"{wrote} file(s) loaded, {len(results) - wrote} already loaded")
    return 0


def _status(args: argparse.Namespace) -> int:
    from marketplace_elt.bigquery import client, require_reachable
    from marketplace_elt.landing import bronze, files, manifest
    from marketplace_elt.landing.contract import load_contract

    settings = get_settings()
    bq = client(settings)
    require_reachable(settings, bq)
    entries = manifest.entries(bq, settings, history=args.history)
    current = {(e.stream, e.file_name): e for e in entries if e.current}
    waiting = bronze.pending(settings, current) if settings.landing_dir.is_dir() else []
    others = files.other_files(settings.landing_dir, load_contract()) if settings.landing_dir.is_dir() else []
    if args.json:
        out: dict[str, Any] = {
            "manifest": [e.values() for e in entries],
            "pending": [
                {"file": p.file.name, "stream": p.file.stream.name, "redelivery": p.redelivery} for p in waiting
            ],
            "unrecognised": others,
        }
        print(json.dumps(out, default=str, indent=2))
        return 0
    if not entries:
        print("the manifest is empty: no provider file has been loaded yet")
    else:
        print(
            f"{'file':<30}{'stream':<24}{'loaded (UTC)':<21}{'lines':>8}{'accepted':>10}{'rejected':>10}  "
            "status / notes"
        )
    for e in entries:
        notes = [e.status if e.status == "loaded" else f"rejected: {e.reason}"]
        if e.superseded_at is not None:
            notes.append(f"superseded {e.superseded_at:%Y-%m-%d %H:%M:%S} by {(e.superseded_by or '')[:8]}")
        if e.schema_drift and e.status == "loaded":
            notes.append(f"drift {json.dumps(e.schema_drift, sort_keys=True)}")
        if e.reject_reasons:
            notes.append(", ".join(f"{k} {v}" for k, v in e.reject_reasons.items()))
        print(
            f"{e.file_name:<30}{e.stream:<24}{e.loaded_at:%Y-%m-%d %H:%M:%S}  {e.lines:>8,}{e.accepted:>10,}"
            f"{e.rejected:>10,}  {'; '.join(notes)}"
        )
    for p in waiting:
        print(f"waiting: {p.file.name} ({'corrected re-delivery' if p.redelivery else 'new'}); run `landing load`")
    for name in others:
        print(f"not a provider file (matches no landing/streams pattern): {name}")
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from marketplace_sim.provider_rates import DEFAULT_RATES, RATE_MEANINGS

    parser = sub.add_parser(
        "landing",
        help="payment-provider daily files: generate them, load them into raw, show the manifest",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmds = parser.add_subparsers(dest="command", metavar="ACTION", required=True, parser_class=type(parser))

    width = max(len(name) for name in DEFAULT_RATES)
    rates = "\n".join(f"  {name:<{width}}  {rate:<5g} {RATE_MEANINGS[name]}" for name, rate in DEFAULT_RATES.items())
    gen = cmds.add_parser(
        "generate",
        help="write the provider's files of a day into LANDING_DIR, from the source's payments",
        description=GENERATE_DESCRIPTION,
        epilog=f"rates (--rate NAME=RATE, share of rows or values; defaults shown):\n{rates}\n\n{GENERATE_EPILOG}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    gen.add_argument("--date", type=_day, required=True, help="the (first) day, e.g. 2026-10-15 (UTC)")
    gen.add_argument("--days", type=int, default=1, help="how many consecutive days to write (default 1)")
    gen.add_argument("--seed", type=int, default=0, help="random seed of the mess; the same seed gives the same files")
    gen.add_argument(
        "--stream", action="append", metavar="STREAM", help="write only this stream's file (repeatable; default all)"
    )
    gen.add_argument(
        "--rate", action="append", metavar="NAME=RATE", help="override a rate (repeatable; all=0 turns them all off)"
    )
    gen.add_argument(
        "--redeliver",
        action="store_true",
        help="write the corrected version of the day's files under the same names (no malformed values, no duplicates)",
    )
    for flag, what in (
        ("--truncate", "cut the last line short, as a file cut while being written"),
        ("--extra-column", "add an undeclared column"),
        ("--missing-column", "leave out the last declared non-key column"),
    ):
        gen.add_argument(
            flag,
            action="append",
            nargs="?",
            const=ALL,
            metavar="STREAM",
            help=f"{what}: in STREAM's file, or in every file without STREAM (repeatable)",
        )
    gen.set_defaults(handler=_generate)

    load = cmds.add_parser(
        "load",
        help="load new and re-delivered files into raw (exactly once; a rerun loads nothing new)",
        description="Load every file in LANDING_DIR whose content is not loaded yet into the raw dataset: "
        "accepted rows into raw.<stream>, rejected lines into raw.landing_rejects, one row per file into "
        "raw.landing_manifest, in one transaction per file. A re-delivered file (same name, new content) "
        "supersedes its previous load.",
    )
    load.add_argument("--stream", action="append", metavar="STREAM", help="load only this stream (repeatable)")
    load.set_defaults(handler=_load)

    status = cmds.add_parser(
        "status",
        help="the manifest: each file's current load, its counts and rejects; files waiting to load",
    )
    status.add_argument("--history", action="store_true", help="also list superseded loads (earlier deliveries)")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(handler=_status)

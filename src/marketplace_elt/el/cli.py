"""`marketplace-elt el sync|status|airbyte apply|airbyte trigger`."""

from __future__ import annotations

import argparse
import json

from marketplace_elt.errors import UserError
from marketplace_elt.settings import Settings, get_settings


def _print_results(results: list[object]) -> None:
    from marketplace_elt.el.sync_log import SyncResult

    rows = [r for r in results if isinstance(r, SyncResult)]
    if not rows:
        return
    print(f"{'stream':<22}{'mode':<30}{'read':>10}{'written':>10}{'seconds':>9}{'rows/s':>11}  status")
    for r in rows:
        print(
            f"{r.stream:<22}{r.sync_mode:<30}{r.rows_read:>10,}{r.rows_written:>10,}{r.duration_s:>9.1f}"
            f"{r.rows_per_s:>11,.0f}  {r.status}"
        )


def _sync(args: argparse.Namespace) -> int:
    settings = get_settings()
    if settings.el_backend == "airbyte":
        return _sync_with_airbyte(settings, args)
    from marketplace_elt.el import SyncFailed, sync

    if args.parallel < 1:
        raise UserError(f"--parallel {args.parallel} must be at least 1")
    try:
        results = sync(settings, args.stream or None, args.full_refresh, parallel=args.parallel)
    except SyncFailed as exc:
        _print_results(list(exc.results))
        raise
    _print_results(list(results))
    return 0


def _sync_with_airbyte(settings: Settings, args: argparse.Namespace) -> int:
    from marketplace_elt.el.airbyte_api import AirbyteClient

    if args.stream:
        raise UserError(
            "with EL_BACKEND=airbyte a sync covers the whole Airbyte connection; drop --stream "
            "(or use EL_BACKEND=embedded to sync single streams)"
        )
    api = AirbyteClient.from_settings(settings)
    job = api.run_job(api.connection_id(settings), "refresh" if args.full_refresh else "sync", wait=True)
    print(f"airbyte job {job['jobId']}: {job['status']}")
    return 0


def _status(args: argparse.Namespace) -> int:
    from marketplace_elt.el import last_syncs, load_catalog

    settings = get_settings()
    rows = {r["stream"]: r for r in last_syncs(settings)}
    if args.json:
        print(json.dumps(rows, default=str, indent=2))
        return 0
    print(f"{'stream':<22}{'sync':>6}  {'status':<10}{'finished (UTC)':<21}{'read':>10}{'written':>10}  cursor")
    for stream in load_catalog().streams:
        r = rows.get(stream.name)
        if r is None:
            print(f"{stream.name:<22}{'-':>6}  {'never':<10}")
            continue
        finished = r["finished_at"].strftime("%Y-%m-%d %H:%M:%S") if r["finished_at"] else "-"
        print(
            f"{stream.name:<22}{r['sync_id']:>6}  {r['status']:<10}{finished:<21}{r['rows_read'] or 0:>10,}"
            f"{r['rows_written'] or 0:>10,}  {r['state'] or '-'}"
        )
        if r["status"] != "succeeded" and r["error"]:
            print(f"{'':<30}error: {r['error'][:150]}")
    return 0


def _benchmark(args: argparse.Namespace) -> int:
    import marketplace_bench.el_speed as benchmark

    results = benchmark.run(get_settings(), args.stream or None)
    print(f"{'stream':<22}{'rows':>10}{'COPY rows/s':>14}{'extract rows/s':>16}{'sync rows/s':>14}{'ratio':>8}")
    for r in results:
        print(
            f"{r.stream:<22}{r.rows:>10,}{r.rows / r.copy_s:>14,.0f}{r.rows / r.extract_s:>16,.0f}"
            f"{r.rows / r.sync_s:>14,.0f}{r.ratio:>8.2f}"
        )
    return 0


def _airbyte_apply(args: argparse.Namespace) -> int:
    from marketplace_elt.el.airbyte_api import AirbyteClient
    from marketplace_elt.el.airbyte_config import render_specs

    settings = get_settings()
    specs = render_specs(settings)
    if args.dry_run:
        print(json.dumps(specs.redacted(), indent=2))
        return 0
    api = AirbyteClient.from_settings(settings)
    applied = api.apply(specs)
    for kind, (name, object_id, action) in applied.items():
        print(f"{kind:<12} {action:<8} {name}  id={object_id}")
    print(f"set AIRBYTE_CONNECTION_ID={applied['connection'][1]} for `el sync` and the DAG")
    return 0


def _airbyte_trigger(args: argparse.Namespace) -> int:
    from marketplace_elt.el.airbyte_api import AirbyteClient

    settings = get_settings()
    api = AirbyteClient.from_settings(settings)
    job = api.run_job(api.connection_id(settings), args.job_type, wait=args.wait)
    print(f"airbyte job {job['jobId']}: {job['status']}")
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("el", help="extract-load source tables into the raw dataset")
    cmds = parser.add_subparsers(dest="command", metavar="ACTION", required=True)

    p_sync = cmds.add_parser(
        "sync",
        help="sync streams into raw (EL_BACKEND=embedded: this machine; airbyte: trigger the connection)",
    )
    p_sync.add_argument(
        "--stream", action="append", metavar="NAME", help="sync only this stream (repeatable); default: all"
    )
    p_sync.add_argument(
        "--full-refresh", action="store_true", help="re-read everything and replace raw's contents (new generation)"
    )
    p_sync.add_argument("--parallel", type=int, default=1, metavar="N", help="streams synced at once (default 1)")
    p_sync.set_defaults(handler=_sync)

    p_status = cmds.add_parser("status", help="last sync of every stream (from raw.el_sync_log)")
    p_status.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p_status.set_defaults(handler=_status)

    p_bench = cmds.add_parser(
        "benchmark", help="full-sync speed vs a plain COPY of the same rows (scratch dataset, raw untouched)"
    )
    p_bench.add_argument("--stream", action="append", metavar="NAME", help="only this stream (repeatable)")
    p_bench.set_defaults(handler=_benchmark)

    p_airbyte = cmds.add_parser("airbyte", help="the Airbyte backend: apply the connection-as-code, trigger syncs")
    ab = p_airbyte.add_subparsers(dest="airbyte_command", metavar="ACTION", required=True)
    p_apply = ab.add_parser("apply", help="create or update the source, destination and connection (by name)")
    p_apply.add_argument("--dry-run", action="store_true", help="print the rendered specs (secrets hidden)")
    p_apply.set_defaults(handler=_airbyte_apply)
    p_trigger = ab.add_parser("trigger", help="start a job on the connection (AIRBYTE_CONNECTION_ID)")
    p_trigger.add_argument("--job-type", choices=["sync", "refresh"], default="sync")
    p_trigger.add_argument("--wait", action="store_true", help="poll until the job finishes; fail if it fails")
    p_trigger.set_defaults(handler=_airbyte_trigger)

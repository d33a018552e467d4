"""`marketplace-elt marts ...`: prepare, publish, roll back and verify the published marts."""

from __future__ import annotations

import argparse

from marketplace_elt.settings import get_settings


def _prepare(args: argparse.Namespace) -> int:
    from marketplace_elt.publish.marts import prepare

    print(prepare(get_settings(), args.run_id).line())
    return 0


def _publish(args: argparse.Namespace) -> int:
    from marketplace_elt.publish.marts import publish
    from marketplace_elt.quality import GateFailed, run_gate
    from marketplace_elt.quality.dbt_tests import marts_test_outcomes

    settings = get_settings()
    if not args.skip_gate:
        try:
            # outside the DAG nothing has run the marts' dbt tests on this build: the gate runs them
            run_gate(settings, "marts", args.run_id, extra_outcomes=marts_test_outcomes(settings))
        except GateFailed as failed:
            print(str(failed))
            print(f"nothing published: {settings.marts_dataset} is unchanged")
            return 1
    print(publish(settings, args.run_id).line())
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from marketplace_elt.publish.marts import rollback

    print(rollback(get_settings(), args.run_id).line())
    return 0


def _status(args: argparse.Namespace) -> int:
    from marketplace_elt.publish.marts import MartsPublisher

    publisher = MartsPublisher(get_settings())
    entry = publisher.last_entry()
    if entry is None:
        print(f"{publisher.marts}: nothing published yet")
    else:
        print(f"{publisher.marts}: last {entry.action} {entry.state} for run {entry.run_id} at {entry.recorded_at}")
    for name, dataset in (("published", publisher.marts), ("audit", publisher.audit), ("previous", publisher.previous)):
        present = publisher.tables(dataset) & set(publisher.models)
        print(f"  {name:<9} {dataset}: {len(present)}/{len(publisher.models)} marts")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from marketplace_elt.publish.compare import compare_with_full_refresh

    result = compare_with_full_refresh(get_settings(), against=args.against)
    print(f"incremental = full refresh: {len(result.models)} marts, 0 differing rows")
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "marts",
        help="publish the audited marts, roll back, compare incremental with a full refresh",
        description="Write-audit-publish: dbt builds the marts into <marts>__audit, gate_marts checks them "
        "there, and `publish` makes them what readers see. The DAG does all three on every run.",
    )
    cmds = parser.add_subparsers(dest="marts_cmd", metavar="ACTION", required=True)
    run_id = {"default": "manual", "help": "run id recorded in the publish log (default: manual)"}

    p = cmds.add_parser("prepare", help="reset <marts>__audit to the published marts (drops leftovers)")
    p.add_argument("--run-id", **run_id)  # type: ignore[arg-type]
    p.set_defaults(handler=_prepare)

    p = cmds.add_parser("publish", help="run gate_marts on <marts>__audit, then publish it (previous kept)")
    p.add_argument("--run-id", **run_id)  # type: ignore[arg-type]
    p.add_argument("--skip-gate", action="store_true", help="publish without running gate_marts (the DAG gates first)")
    p.set_defaults(handler=_publish)

    p = cmds.add_parser("rollback", help="restore the marts as they were before the last publish")
    p.add_argument("--run-id", **run_id)  # type: ignore[arg-type]
    p.set_defaults(handler=_rollback)

    p = cmds.add_parser("status", help="what is published, built and kept, and the last publish")
    p.set_defaults(handler=_status)

    p = cmds.add_parser("compare", help="full-refresh the marts into <marts>__shadow and diff them row by row")
    p.add_argument("--against", default=None, help="dataset to compare (default: <marts>__audit, the last build)")
    p.set_defaults(handler=_compare)

"""`marketplace-elt airflow ...`: local Airflow for this project (UI, scheduler, REST trigger)."""

from __future__ import annotations

import argparse

from marketplace_elt.settings import get_settings


def _setup(_: argparse.Namespace) -> int:
    from marketplace_elt import services
    from marketplace_elt.orchestration import local_airflow
    from marketplace_elt.transform import build_manifest

    settings = get_settings()
    services.up(settings)
    build_manifest(settings)
    local_airflow.migrate(settings)
    print(f"Airflow ready: home={settings.airflow_home}, metadata DB migrated, dbt manifest built")
    return 0


def _start(args: argparse.Namespace) -> int:
    from marketplace_elt.orchestration import local_airflow
    from marketplace_elt.orchestration.airflow_env import ADMIN_USER, admin_password
    from marketplace_elt.orchestration.dag import DAG_ID
    from marketplace_elt.orchestration.finance_export_dag import DAG_ID as EXPORT_DAG_ID

    _setup(args)
    settings = get_settings()
    print("starting api-server, scheduler, dag-processor, triggerer (about a minute) ...", flush=True)
    url = local_airflow.start(settings)
    api = local_airflow.AirflowApi(settings)
    for dag_id in (DAG_ID, EXPORT_DAG_ID):  # the export runs on the pipeline's published marts (assets)
        api.wait_for_dag(dag_id)
        api.unpause(dag_id)
    print(f"Airflow UI: {url}/dags/{DAG_ID}")
    print(f"login: {ADMIN_USER} / {admin_password(settings)}")
    print("stop with: marketplace-elt airflow stop")
    return 0


def _stop(_: argparse.Namespace) -> int:
    from marketplace_elt.orchestration import local_airflow

    local_airflow.stop(get_settings())
    print("Airflow stopped")
    return 0


def _trigger(args: argparse.Namespace) -> int:
    from marketplace_elt.orchestration.dag import DAG_ID
    from marketplace_elt.orchestration.local_airflow import AirflowApi

    api = AirflowApi(get_settings())
    run_id = api.trigger(DAG_ID)
    print(f"triggered {DAG_ID} run {run_id}")
    if args.wait:
        state = api.wait_for_run(DAG_ID, run_id, timeout=args.timeout)
        print(f"run {run_id}: {state}")
        return 0 if state == "success" else 1
    return 0


def _exec(args: argparse.Namespace) -> int:
    from marketplace_elt.orchestration.local_airflow import run_airflow

    return run_airflow(get_settings(), list(args.airflow_args)).returncode


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("airflow", help="set up, start, stop local Airflow; trigger the DAG")
    cmds = parser.add_subparsers(dest="command", metavar="ACTION", required=True)
    cmds.add_parser("setup", help="services up, dbt manifest, Airflow metadata DB migrate").set_defaults(handler=_setup)
    cmds.add_parser(
        "start", help="start the UI + scheduler + dag-processor + triggerer, unpause the DAG, print the login"
    ).set_defaults(handler=_start)
    cmds.add_parser("stop", help="stop every Airflow component started by `start`").set_defaults(handler=_stop)
    trigger = cmds.add_parser("trigger", help="trigger a DAG run through the REST API")
    trigger.add_argument("--wait", action="store_true", help="wait until the run finishes; exit 1 if it failed")
    trigger.add_argument("--timeout", type=float, default=1800, help="seconds to wait with --wait")
    trigger.set_defaults(handler=_trigger)
    ex = cmds.add_parser("exec", help="run any `airflow` CLI command with this project's environment")
    ex.add_argument("airflow_args", nargs=argparse.REMAINDER, metavar="ARGS")
    ex.set_defaults(handler=_exec)

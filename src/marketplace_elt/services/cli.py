"""`marketplace-elt services up|down|status`."""

from __future__ import annotations

import argparse

from marketplace_elt import services
from marketplace_elt.errors import ServiceError
from marketplace_elt.services.bq_emulator import BigQueryEmulator
from marketplace_elt.services.postgres import EmbeddedPostgres
from marketplace_elt.settings import get_settings


def _up(_: argparse.Namespace) -> int:
    settings = get_settings()
    print("starting services ...", flush=True)
    services.up(settings)
    return _status(_)


def _down(_: argparse.Namespace) -> int:
    services.down(get_settings())
    print("services stopped (data kept under MELT_HOME)")
    return 0


def _status(_: argparse.Namespace) -> int:
    settings = get_settings()
    ok = True
    if settings.embedded_postgres:
        pg = EmbeddedPostgres(settings).status()
        ok &= pg.running
        print(f"postgres     {pg.detail:<10} 127.0.0.1:{pg.port}  data={pg.data_dir}")
    else:
        print("postgres     external   (MELT_EMBEDDED_POSTGRES=false, SOURCE_DB_URL is used as is)")
    if settings.bq_emulator_is_local:
        bq = BigQueryEmulator(settings).status()
        ok &= bq.healthy
        print(f"bq_emulator  {bq.detail:<10} {settings.bq_emulator_url}  project={settings.bq_project}")
    elif settings.bq_emulator:
        print(f"bq_emulator  external   {settings.bq_emulator_url}  project={settings.bq_project}")
    else:
        print(f"bigquery     real GCP   project={settings.bq_project} location={settings.bq_location}")
    if not ok:
        raise ServiceError("some services are not running; start them with `marketplace-elt services up`")
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("services", help="start/stop the embedded PostgreSQL and BigQuery emulator")
    cmds = parser.add_subparsers(dest="command", metavar="ACTION", required=True)
    cmds.add_parser("up", help="start both services (idempotent) and create the datasets").set_defaults(handler=_up)
    cmds.add_parser("down", help="stop both services; data stays on disk").set_defaults(handler=_down)
    cmds.add_parser("status", help="health of each service (exit 2 if one is down)").set_defaults(handler=_status)

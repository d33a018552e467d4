"""`marketplace-elt dashboard start|stop|status`: the Streamlit dashboard on the published marts."""

from __future__ import annotations

import argparse

from marketplace_elt.settings import get_settings


def _start(_: argparse.Namespace) -> int:
    from marketplace_elt.bigquery import client, require_reachable
    from marketplace_elt.dashboard import Dashboard, dashboard_port

    settings = get_settings()
    dashboard_port()  # a bad DASHBOARD_PORT fails here, before anything is probed
    require_reachable(settings, client(settings))
    status = Dashboard(settings).start()
    print(f"Dashboard: {status.url}  (marts: {settings.bq_project}.{settings.marts_dataset})")
    print("pages: /executive /sales /sellers /payments /quality; stop with: marketplace-elt dashboard stop")
    return 0


def _stop(_: argparse.Namespace) -> int:
    from marketplace_elt.dashboard import Dashboard

    stopped = Dashboard(get_settings()).stop()
    print("Dashboard stopped" if stopped else "Dashboard was not running")
    return 0


def _status(_: argparse.Namespace) -> int:
    from marketplace_elt.dashboard import Dashboard

    status = Dashboard(get_settings()).status()
    if status.healthy:
        print(f"Dashboard running at {status.url} (pid {status.pid})")
        return 0
    print("Dashboard starting or unhealthy" if status.running else "Dashboard stopped")
    return 1


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("dashboard", help="start, stop or check the dashboard on the published marts")
    cmds = parser.add_subparsers(dest="command", metavar="ACTION", required=True)
    cmds.add_parser(
        "start", help="serve the dashboard on 127.0.0.1:$DASHBOARD_PORT (default 8501), print its URL"
    ).set_defaults(handler=_start)
    cmds.add_parser("stop", help="stop the dashboard started by `start`").set_defaults(handler=_stop)
    cmds.add_parser("status", help="whether the dashboard is running (exit 1 when it is not)").set_defaults(
        handler=_status
    )

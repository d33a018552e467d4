"""Stopping a service stops everything it started."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys

from marketplace_elt.services.process import terminate, wait_until

# A leader that starts a child which ignores SIGTERM (as an idle worker of Airflow's forkserver
# did), prints the child's pid, then waits.
LEADER = """
import signal, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(300)"],
    stdout=subprocess.PIPE, text=True)
child.stdout.readline()
print(child.pid, flush=True)
time.sleep(300)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


def test_terminate_leaves_nothing_of_the_process_group_behind() -> None:
    leader = subprocess.Popen([sys.executable, "-c", LEADER], stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert leader.stdout is not None
    child = int(leader.stdout.readline())
    try:
        terminate(leader.pid, timeout=10)
        assert leader.wait(timeout=10) is not None
        assert wait_until(lambda: not _alive(child), 10), "the SIGTERM-ignoring child outlived terminate()"
    finally:
        for pid in (child, leader.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

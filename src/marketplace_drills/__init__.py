"""Fault drills: real processes are killed, services stopped, the source broken, and the platform
must come back with the right data.

`marketplace-elt drills run --scale N [--only NAME]` (``make drills``) runs the drills of
:data:`marketplace_drills.runner.DRILLS`, each in its own workspace (source database and
datasets, see :mod:`marketplace_bench.workspace`), prints PASS/FAIL with the evidence of each,
and ends with the line ``N passed, N failed``. docs/drills.md describes every drill.
"""

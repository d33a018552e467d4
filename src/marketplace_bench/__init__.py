"""Benchmarks: the pipeline's speed against the machine's own limits, measured in one run.

`marketplace-elt bench run --scale N` (``make bench``) runs the phases of :mod:`.runner` in a
private workspace (:mod:`.workspace`), writes ``bench/results/<timestamp>.json`` and prints the
Markdown tables of :mod:`.report`. docs/benchmarks.md explains every figure and shows the latest.
"""

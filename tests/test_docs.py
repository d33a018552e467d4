"""Every command in README.md and docs/ exists: CLI lines parse, make targets exist, queries run."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace_elt.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"```(?:sh|bash|shell)\n(.*?)```", re.S)


def _commands(prefix: str) -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for block in FENCE.findall(doc.read_text()):
            for line in block.splitlines():
                line = line.strip()
                if line.startswith(prefix):
                    found.append((doc.name, line))
    return found


CLI_LINES = _commands("marketplace-elt ")
MAKE_LINES = _commands("make ")


def test_docs_document_commands() -> None:
    assert len(CLI_LINES) > 20
    assert any(doc == "runbook.md" for doc, _ in CLI_LINES)


@pytest.mark.parametrize(("doc", "line"), CLI_LINES)
def test_cli_line_parses(doc: str, line: str) -> None:
    args = shlex.split(line, comments=True)[1:]
    try:
        build_parser().parse_args(args)
    except SystemExit as exc:  # argparse exits on a bad command line
        pytest.fail(f"{doc}: `{line}` does not parse (exit {exc.code})")


@pytest.mark.parametrize(("doc", "line"), MAKE_LINES)
def test_make_target_exists(doc: str, line: str) -> None:
    target = shlex.split(line, comments=True)[1]
    assert re.search(rf"^{re.escape(target)}:", (ROOT / "Makefile").read_text(), re.M), f"{doc}: {line}"


SQL_LINES = [(doc, line) for doc, line in CLI_LINES if line.startswith("marketplace-elt sql ")]


@pytest.mark.parametrize(("doc", "line"), SQL_LINES)
def test_documented_query_runs_on_the_pipeline_output(pipeline_run: object, doc: str, line: str) -> None:
    args = shlex.split(line, comments=True)[1:]
    result = subprocess.run(
        [sys.executable, "-m", "marketplace_elt.cli", *args], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"{doc}: `{line}`\n{result.stderr}"

"""No secret in the repository: detect-secrets over every file git would commit, plus the files that
must never be committed (`.env`, Terraform variables and state, keys) staying ignored.

Findings are allowed only for the exact audited lines below, matched by a fragment of the line (a
fragment, not the secret, so this file does not itself look like a secret). An allowlisted line that
disappears fails the test too, so the list cannot silently outlive the code it excuses.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# (path, fragment of the audited line) -> why it is not a secret.
AUDITED_LINES: dict[tuple[str, str], str] = {
    ("src/marketplace_sim/schema.py", "marketplace_replicator:PASSWORD@host/db"): (
        "example URL with a PASSWORD placeholder in an error message"
    ),
    ("tests/test_settings.py", "s3cr3t-value@db.internal"): (
        "made-up password in a test proving `config show` masks passwords"
    ),
}

# Files that hold secrets or machine state; they must be git-ignored wherever they appear.
MUST_BE_IGNORED = [
    ".env",
    "airbyte/terraform/terraform.tfvars",
    "airbyte/terraform/terraform.tfstate",
    "airbyte/terraform/.terraform/providers",
]
FORBIDDEN_SUFFIXES = (".pem", ".key", ".p12", ".pfx", ".tfstate", ".tfvars", ".tfstate.backup")


def _git(*args: str) -> str:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the committed file set is unknown")
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def committable_files() -> list[str]:
    """Tracked files plus untracked files that are not ignored (what `git add -A` would commit)."""
    names = _git("ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
    return sorted({n for n in names if n and (ROOT / n).is_file()})


def detect_secrets_findings(files: list[str]) -> list[dict[str, object]]:
    exe = Path(sys.executable).parent / "detect-secrets"
    if not exe.exists():
        pytest.fail("detect-secrets is missing from the environment; run `uv sync` (it is a dev dependency)")
    findings: list[dict[str, object]] = []
    for start in range(0, len(files), 200):
        batch = files[start : start + 200]
        scan = [str(exe), "scan", *batch]
        result = subprocess.run(scan, cwd=ROOT, capture_output=True, text=True, check=True)
        for items in json.loads(result.stdout)["results"].values():
            findings.extend(items)
    return findings


def test_no_unaudited_secret_in_any_committable_file() -> None:
    unexplained = []
    for finding in detect_secrets_findings(committable_files()):
        path, number = str(finding["filename"]), int(str(finding["line_number"]))
        line = (ROOT / path).read_text(errors="replace").splitlines()[number - 1]
        if any(p == path and fragment in line for p, fragment in AUDITED_LINES):
            continue
        unexplained.append(f"{path}:{number}: {finding['type']}")
    report = "\n".join(unexplained)
    assert not unexplained, f"possible secrets (remove them, or audit the line here):\n{report}"


def test_every_audited_line_still_exists() -> None:
    for (path, fragment), why in AUDITED_LINES.items():
        assert fragment in (ROOT / path).read_text(), f"{path} no longer has the line audited as: {why}"


def test_secret_files_are_never_committed() -> None:
    offenders = [
        name
        for name in committable_files()
        if Path(name).name == ".env"
        or name.endswith(FORBIDDEN_SUFFIXES)
        or (Path(name).name.startswith(".env.") and Path(name).name != ".env.example")
    ]
    assert not offenders, f"secret-bearing files would be committed: {offenders}"


def test_secret_bearing_paths_are_git_ignored() -> None:
    _git("--version")
    not_ignored = [
        path
        for path in MUST_BE_IGNORED
        if subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT).returncode != 0
    ]
    assert not not_ignored, f"add these to .gitignore: {not_ignored}"

"""A minimal Dockerfile lint (no Docker engine here): base images pinned, COPY sources present in the
build context and not hidden by .dockerignore, non-root users, and the installs use the lock files."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.compose_model import ROOT, ComposeFile

SKIP_DIRS = {".git", ".venv", ".venv-bqemulator", ".venv-dashboard", ".venv-tools", ".state", "node_modules"}


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int


@dataclass(frozen=True)
class Build:
    """One image build of docker-compose.yml: Dockerfile, context and named contexts."""

    service: str
    dockerfile: Path
    context: Path
    named_contexts: frozenset[str]


def parse_dockerfile(path: Path) -> list[Instruction]:
    instructions: list[Instruction] = []
    buffer, start = "", 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not buffer and (not line or line.startswith("#")):
            continue
        if buffer and line.startswith("#"):
            continue  # comment line inside a continued instruction
        if not buffer:
            start = number
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        buffer += line
        keyword, _, args = buffer.partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
        buffer = ""
    assert not buffer, f"{path}: the last instruction ends with a line continuation"
    return instructions


def compose_builds() -> list[Build]:
    unique: dict[Path, Build] = {}  # one entry per Dockerfile (the Airflow services share one)
    for name, service in ComposeFile().services.items():
        spec = service.build
        if not spec:
            continue
        context = (ROOT / spec.get("context", ".")).resolve()
        dockerfile = (context / spec.get("dockerfile", "Dockerfile")).resolve()
        named = frozenset((spec.get("additional_contexts") or {}).keys())
        unique.setdefault(dockerfile, Build(name, dockerfile, context, named))
    return list(unique.values())


BUILDS = compose_builds()


def build_id(build: Build) -> str:
    return str(build.dockerfile.relative_to(ROOT))


def dockerignore_patterns(context: Path) -> list[tuple[bool, re.Pattern[str]]]:
    """(negated, regex) per .dockerignore line, in file order (the last match wins)."""
    path = context / ".dockerignore"
    patterns = []
    for raw in path.read_text().splitlines() if path.exists() else []:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.lstrip("!").strip().strip("/")
        regex = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                regex, i = regex + ".*", i + 2
            elif pattern[i] == "*":
                regex, i = regex + "[^/]*", i + 1
            elif pattern[i] == "?":
                regex, i = regex + "[^/]", i + 1
            else:
                regex, i = regex + re.escape(pattern[i]), i + 1
        patterns.append((negated, re.compile(regex)))
    return patterns


def ignored(relative: str, patterns: list[tuple[bool, re.Pattern[str]]]) -> bool:
    parts = relative.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for negated, regex in patterns:
        if any(regex.fullmatch(candidate) for candidate in candidates):
            excluded = not negated
    return excluded


def copy_sources(instruction: Instruction) -> list[str] | None:
    """Sources of a COPY/ADD from the build context; None for `--from=` copies."""
    args = instruction.args
    words = shlex.split(args) if not args.startswith("[") else json.loads(args)
    flags = [w for w in words if w.startswith("--")]
    if any(f.startswith("--from=") for f in flags):
        return None
    paths = [w for w in words if not w.startswith("--")]
    assert len(paths) >= 2, f"line {instruction.line}: {instruction.keyword} needs a source and a destination"
    return paths[:-1]


def arg_defaults(instructions: list[Instruction]) -> dict[str, str]:
    defaults = {}
    for ins in instructions:
        if ins.keyword == "ARG" and "=" in ins.args:
            key, _, value = ins.args.partition("=")
            defaults[key.strip()] = value.strip().strip('"')
    return defaults


# --- tests --------------------------------------------------------------------------------------


def test_every_dockerfile_in_the_repository_is_built_by_compose() -> None:
    candidates = (p for p in ROOT.rglob("Dockerfile*") if p.is_file())
    found = {p.resolve() for p in candidates if not SKIP_DIRS & set(p.relative_to(ROOT).parts)}
    assert found == {b.dockerfile for b in BUILDS}, "lint covers the Dockerfiles compose builds"


@pytest.mark.parametrize("build", BUILDS, ids=build_id)
def test_from_is_present_and_pinned(build: Build) -> None:
    instructions = parse_dockerfile(build.dockerfile)
    keywords = [i.keyword for i in instructions]
    assert "FROM" in keywords, "no FROM instruction"
    assert set(keywords[: keywords.index("FROM")]) <= {"ARG"}, "only ARG may come before the first FROM"
    defaults = arg_defaults(instructions)
    stages: set[str] = set()
    for ins in instructions:
        if ins.keyword != "FROM":
            continue
        words = [w for w in ins.args.split() if not w.startswith("--platform")]
        image = re.sub(r"\$\{?(\w+)\}?", lambda m: defaults.get(m.group(1), m.group(0)), words[0])
        if len(words) >= 3 and words[1].lower() == "as":
            stages.add(words[2].lower())
        if image.lower() in stages or image in build.named_contexts:
            continue  # an earlier stage, or a context compose provides (build.additional_contexts)
        name = image.split("@", 1)[0]
        tag = name.rpartition(":")[2] if ":" in name.rpartition("/")[2] else ""
        assert tag or "@sha256:" in image, f"line {ins.line}: pin {image} to a tag or digest"
        assert tag != "latest", f"line {ins.line}: {image} uses the floating `latest` tag"


@pytest.mark.parametrize("build", BUILDS, ids=build_id)
def test_copy_sources_exist_in_the_build_context(build: Build) -> None:
    patterns = dockerignore_patterns(build.context)
    for ins in parse_dockerfile(build.dockerfile):
        if ins.keyword not in ("COPY", "ADD"):
            continue
        for source in copy_sources(ins) or []:
            assert "://" not in source, f"line {ins.line}: fetch remote files in a RUN step with a checksum"
            if source in (".", "./"):
                continue
            matches = list(build.context.glob(source))
            assert matches, f"line {ins.line}: {source} does not exist in the build context"
            for match in matches:
                relative = str(match.relative_to(build.context))
                assert not ignored(relative, patterns), f"line {ins.line}: {relative} is in .dockerignore"


@pytest.mark.parametrize("build", BUILDS, ids=build_id)
def test_the_image_runs_as_an_unprivileged_user(build: Build) -> None:
    instructions = parse_dockerfile(build.dockerfile)
    last_from = max(i for i, ins in enumerate(instructions) if ins.keyword == "FROM")
    final_stage = instructions[last_from + 1 :]
    users = [ins.args.split(":")[0] for ins in final_stage if ins.keyword == "USER"]
    base = instructions[last_from].args.split()[0]
    if not users and base in build.named_contexts:
        return  # inherits the USER of the image it is built FROM (checked on that Dockerfile)
    assert users and users[-1] not in ("root", "0"), "switch to a non-root USER in the final stage"


def test_dockerignore_keeps_secrets_and_local_state_out_of_images() -> None:
    patterns = dockerignore_patterns(ROOT)
    for path in (".env", ".env.local", ".git/config", ".venv/bin/python", ".state/postgres", "dbt/target/x"):
        assert ignored(path, patterns), f"{path} would be sent to the Docker daemon"
    for path in ("uv.lock", "pyproject.toml", "src/marketplace_elt/settings.py", "dbt/dbt_project.yml"):
        assert not ignored(path, patterns), f"{path} is needed in the image"


def test_platform_image_installs_the_locked_environment_with_the_makefile_uv() -> None:
    text = (ROOT / "airflow" / "Dockerfile").read_text()
    instructions = parse_dockerfile(ROOT / "airflow" / "Dockerfile")
    assert instructions[0].args.startswith("python:3.11-"), "same Python minor as pyproject (3.11)"
    makefile_uv = re.search(r"^UV_VERSION\s*:=\s*(\S+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert makefile_uv, "Makefile defines UV_VERSION"
    assert arg_defaults(instructions).get("UV_VERSION") == makefile_uv.group(1)
    syncs = [i.args for i in instructions if i.keyword == "RUN" and "uv sync" in i.args]
    assert syncs and all("--frozen" in s for s in syncs), "install from uv.lock exactly (uv sync --frozen)"
    assert "--no-editable" not in text, "settings locate dbt/ and airflow/ next to an editable install"
    workdir = [i.args for i in instructions if i.keyword == "WORKDIR"][-1]
    assert workdir == "/opt/marketplace-elt", "docker-compose.yml's DAGS_FOLDER expects the project here"


def test_dbt_image_is_the_platform_image_with_the_cli_entrypoint() -> None:
    instructions = parse_dockerfile(ROOT / "dbt" / "Dockerfile")
    entrypoints = [i.args for i in instructions if i.keyword == "ENTRYPOINT"]
    assert entrypoints and json.loads(entrypoints[-1]) == ["marketplace-elt"]
    assert not [i for i in instructions if i.keyword == "RUN"], "reuse the platform build; install nothing"


def test_emulator_image_installs_its_lock_and_the_spatial_extension() -> None:
    instructions = parse_dockerfile(ROOT / "bq_emulator" / "Dockerfile")
    copies = [copy_sources(i) for i in instructions if i.keyword == "COPY"]
    assert ["bq_emulator/requirements.lock"] in copies
    # the launcher the compose command starts, with the retention that makes it skip per-write copies
    assert ["bq_emulator/launch.py"] in copies
    envs = " ".join(i.args for i in instructions if i.keyword == "ENV")
    assert "BQEMU_TIME_TRAVEL_RETENTION_DAYS=0" in envs
    runs = " ".join(i.args for i in instructions if i.keyword == "RUN")
    assert re.search(r"pip install -r \S*requirements\.lock", runs)
    assert "spatial.duckdb_extension" in runs and ".duckdb/extensions" in runs
    lock = (ROOT / "bq_emulator" / "requirements.lock").read_text()
    assert re.search(r"^duckdb-extension-spatial==", lock, re.MULTILINE), "the extension comes from the lock"

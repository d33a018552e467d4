"""docker-compose.yml as data, for static checks on a machine without a Docker engine.

Reads the file with PyYAML (anchors and `<<` merge keys resolved) and implements the subset of
Compose variable interpolation the file uses (`${VAR}`, `${VAR:-default}`, `${VAR-default}`,
`${VAR:?error}`, `${VAR?error}`, `$$`), so values can be checked both as written (which variable
feeds them) and as a user's `.env` would resolve them.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"

_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


class MissingVariable(ValueError):
    """A `${VAR:?...}` / `${VAR?...}` reference whose variable is not set."""


def variables(text: str) -> list[tuple[str, str | None]]:
    """(name, operator) of every `${...}` reference in ``text`` (escaped `$${...}` excluded)."""
    unescaped = text.replace("$$", "")
    return [(m.group("name"), m.group("op")) for m in _VARIABLE.finditer(unescaped)]


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Resolve the references in ``text`` the way `docker compose` does with ``env`` as `.env`."""

    def resolve(match: re.Match[str]) -> str:
        name, op, arg = match.group("name"), match.group("op"), match.group("arg") or ""
        value = env.get(name)
        unset_or_empty = value is None or (value == "" and op is not None and op.startswith(":"))
        if op in (":-", "-") and (value is None if op == "-" else unset_or_empty):
            return arg
        if op in (":?", "?") and (value is None if op == "?" else unset_or_empty):
            raise MissingVariable(f"{name}: {arg}")
        return value or ""

    parts = text.split("$$")
    return "$".join(_VARIABLE.sub(resolve, part) for part in parts)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines of a `.env`-style file (comments and blank lines skipped)."""
    result: dict[str, str] = {}
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        assert sep, f"{path.name}: line {line!r} is not KEY=value"
        result[key.strip()] = value.strip()
    return result


def _as_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Service:
    name: str
    spec: dict[str, Any]

    @property
    def raw_environment(self) -> dict[str, str]:
        """Environment as written in the file (references unresolved)."""
        env = self.spec.get("environment") or {}
        if isinstance(env, list):
            pairs = (item.partition("=") for item in env)
            return {key: value for key, _, value in pairs}
        return {key: _as_str(value) for key, value in env.items()}

    def environment(self, dotenv: Mapping[str, str]) -> dict[str, str]:
        return {key: interpolate(value, dotenv) for key, value in self.raw_environment.items()}

    def command(self, dotenv: Mapping[str, str]) -> list[str]:
        command = self.spec.get("command") or []
        if isinstance(command, str):
            return shlex.split(interpolate(command, dotenv))
        return [interpolate(_as_str(part), dotenv) for part in command]

    @property
    def build(self) -> dict[str, Any] | None:
        build = self.spec.get("build")
        if isinstance(build, str):
            return {"context": build}
        return build

    @property
    def extra_hosts(self) -> set[str]:
        hosts = self.spec.get("extra_hosts") or []
        if isinstance(hosts, dict):
            return set(hosts)
        return {entry.split(":", 1)[0].split("=", 1)[0] for entry in hosts}


class ComposeFile:
    def __init__(self, path: Path = COMPOSE_FILE) -> None:
        self.path = path
        self.text = path.read_text()

    @cached_property
    def data(self) -> dict[str, Any]:
        loaded = yaml.safe_load(self.text)
        assert isinstance(loaded, dict), f"{self.path.name} is not a YAML mapping"
        return loaded

    @cached_property
    def services(self) -> dict[str, Service]:
        return {name: Service(name, spec) for name, spec in self.data["services"].items()}

    def referenced_variables(self) -> dict[str, set[str | None]]:
        """Every variable the file interpolates, with the operators it is used with."""
        found: dict[str, set[str | None]] = {}
        for name, op in variables(self.text):
            found.setdefault(name, set()).add(op)
        return found

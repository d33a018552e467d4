"""Connection-as-code for the Airbyte backend: `airbyte/*.json` + the catalog -> public-API payloads.

`airbyte/source.json`, `destination.json` and `connection.json` hold everything except secrets and
per-deployment values, which are ``${NAME}`` placeholders filled from Settings here. The
connection's stream list is generated from the stream catalog (`airbyte/streams/*.yml`), the same
catalog the embedded loader reads, so both backends always sync the same streams the same way.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from marketplace_elt.el.catalog import Catalog, load_catalog
from marketplace_elt.errors import ConfigError
from marketplace_elt.settings import PROJECT_ROOT, Settings

AIRBYTE_DIR = PROJECT_ROOT / "airbyte"
SECRET_KEYS = frozenset({"password", "credentials_json", "client_secret"})
_PLACEHOLDER = re.compile(r"\$\{([A-Z0-9_]+)\}")


def placeholder_values(settings: Settings, catalog: Catalog) -> dict[str, Any]:
    url = urlsplit(settings.source_db_url)
    credentials_file = settings.bq_credentials_file
    credentials = Path(credentials_file).read_text() if credentials_file else ""
    return {
        "SOURCE_HOST": url.hostname or "localhost",
        "SOURCE_PORT": url.port or 5432,
        "SOURCE_DATABASE": settings.source_db_name,
        "SOURCE_USER": unquote(url.username or ""),
        "SOURCE_PASSWORD": unquote(url.password or ""),
        "SOURCE_SCHEMA": catalog.source_schema,
        "BQ_PROJECT": settings.bq_project,
        "BQ_LOCATION": settings.bq_location,
        "BQ_RAW_DATASET": settings.raw_dataset,
        "BQ_CREDENTIALS_JSON": credentials,
    }


def _fill(value: Any, values: dict[str, Any], where: str) -> Any:
    """Replace placeholders; a string that is exactly one placeholder takes the value's type (ports)."""
    if isinstance(value, dict):
        filled = {k: _fill(v, values, where) for k, v in value.items() if not k.startswith("$")}
        return {k: v for k, v in filled.items() if v != ""}  # empty optional values are left out
    if isinstance(value, list):
        return [_fill(v, values, where) for v in value]
    if not isinstance(value, str):
        return value

    def lookup(name: str) -> Any:
        if name not in values:
            raise ConfigError(f"{where} uses unknown placeholder ${{{name}}}; use one of {', '.join(sorted(values))}")
        return values[name]

    whole = _PLACEHOLDER.fullmatch(value)
    if whole:
        return lookup(whole.group(1))
    return _PLACEHOLDER.sub(lambda m: str(lookup(m.group(1))), value)


def _read(name: str) -> dict[str, Any]:
    path = AIRBYTE_DIR / name
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path} is missing; restore it from version control") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON (line {exc.lineno}); fix it") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object")
    return data


def stream_configurations(catalog: Catalog) -> list[dict[str, Any]]:
    """The connection's ``configurations.streams``: one entry per catalog stream."""
    streams = []
    for s in catalog.streams:
        entry: dict[str, Any] = {
            "name": s.name,
            "namespace": catalog.source_schema,
            "syncMode": s.sync_mode,
            "primaryKey": [[k] for k in s.primary_key],
        }
        if s.cursor_field:
            entry["cursorField"] = [s.cursor_field]
        streams.append(entry)
    return streams


@dataclass(frozen=True)
class AirbyteSpecs:
    """Rendered payloads: source/destination as SourceCreateRequest/DestinationCreateRequest bodies
    (without workspaceId), connection as a ConnectionCreateRequest body (without the ids)."""

    source: dict[str, Any]
    destination: dict[str, Any]
    connection: dict[str, Any]

    def redacted(self) -> dict[str, Any]:
        def hide(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: ("***" if k in SECRET_KEYS and v else hide(v)) for k, v in value.items()}
            if isinstance(value, list):
                return [hide(v) for v in value]
            return value

        return {"source": hide(self.source), "destination": hide(self.destination), "connection": hide(self.connection)}


def render_specs(settings: Settings, catalog: Catalog | None = None) -> AirbyteSpecs:
    catalog = catalog or load_catalog()
    values = placeholder_values(settings, catalog)
    source = _fill(_read("source.json"), values, "airbyte/source.json")
    destination = _fill(_read("destination.json"), values, "airbyte/destination.json")
    connection = _fill(_read("connection.json"), values, "airbyte/connection.json")
    connection = copy.deepcopy(connection)
    connection["configurations"] = {"streams": stream_configurations(catalog)}
    for kind, spec in (("source", source), ("destination", destination), ("connection", connection)):
        if not spec.get("name"):
            raise ConfigError(f'airbyte/{kind}.json needs a "name" (objects are matched by name)')
    return AirbyteSpecs(source=source, destination=destination, connection=connection)

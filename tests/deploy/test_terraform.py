"""Terraform in airbyte/terraform/: formatting, the Airbyte stream list read from the stream catalog
(airbyte/streams/*.yml), and least-privilege IAM. Providers cannot be downloaded here, so the
configuration is read as text (`terraform validate` is documented in docs/deployment.md)."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from marketplace_elt.el.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[2]
TF_DIR = ROOT / "airbyte" / "terraform"
STREAMS_DIR = ROOT / "airbyte" / "streams"
WRITE_ROLES = {
    "roles/bigquery.dataEditor",
    "roles/bigquery.dataOwner",
    "roles/bigquery.admin",
    "roles/editor",
    "roles/owner",
}


@dataclass(frozen=True)
class Block:
    kind: str  # resource, locals, variable, ...
    labels: tuple[str, ...]
    body: str


def _closing_brace(text: str, open_at: int) -> int:
    depth, i, in_string = 0, open_at, False
    while i < len(text):
        char = text[i]
        if in_string:
            if char == "\\":
                i += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "#" or text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                break
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise AssertionError(f"unbalanced braces after offset {open_at}")


def top_level_blocks() -> list[Block]:
    blocks = []
    header = re.compile(r'^(\w+)((?:\s+"[^"]*")*)\s*\{', re.MULTILINE)
    for path in sorted(TF_DIR.glob("*.tf")):
        text = path.read_text()
        position = 0
        while match := header.search(text, position):
            end = _closing_brace(text, match.end() - 1)
            labels = tuple(re.findall(r'"([^"]*)"', match.group(2)))
            blocks.append(Block(match.group(1), labels, text[match.end() : end]))
            position = end + 1
    return blocks


def resources(kind: str) -> dict[str, str]:
    return {b.labels[1]: b.body for b in top_level_blocks() if b.kind == "resource" and b.labels[0] == kind}


def attribute(body: str, name: str) -> str | None:
    match = re.search(rf"^\s*{name}\s*=\s*(.+?)\s*$", body, re.MULTILINE)
    return match.group(1) if match else None


def locals_attributes() -> dict[str, str]:
    """Every attribute of the locals blocks as ``name -> expression text`` (multi-line values whole)."""
    out: dict[str, str] = {}
    for body in (b.body for b in top_level_blocks() if b.kind == "locals"):
        for match in re.finditer(r"^  (\w+)\s*=\s*", body, re.MULTILINE):
            value_start = match.end()
            if body[value_start] == "{":
                value = body[value_start : _closing_brace(body, value_start) + 1]
            else:
                value = body[value_start : body.index("\n", value_start)]
            out[match.group(1)] = value.strip()
    return out


def _squash(text: str) -> str:
    text = re.sub(r"#[^\n]*", "", text)
    return re.sub(r"\s+", " ", text).strip()


# --- tests --------------------------------------------------------------------------------------


def test_terraform_files_are_formatted() -> None:
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform binary not on PATH: formatting not checked (install terraform >= 1.5)")
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", str(TF_DIR.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"run `terraform fmt -recursive airbyte/terraform`:\n{result.stdout}"


def test_the_stream_list_is_read_from_the_catalog_files() -> None:
    """The locals decode every airbyte/streams/*.yml but _catalog.yml: no copy of the list to keep in step."""
    attrs = locals_attributes()
    stream_dir = attrs["stream_dir"].strip('"').replace("${path.module}", str(TF_DIR))
    assert Path(stream_dir).resolve() == STREAMS_DIR.resolve()
    assert _squash(attrs["stream_declarations"]) == _squash(
        """{ for file_name in fileset(local.stream_dir, "*.yml") :
        trimsuffix(file_name, ".yml") => yamldecode(file("${local.stream_dir}/${file_name}"))
        if file_name != "_catalog.yml" }"""
    )
    assert _squash(attrs["streams"]) == _squash(
        """{ for name, stream in local.stream_declarations : name => {
        sync_mode = stream.sync_mode
        cursor_field = try([stream.cursor_field], null)
        primary_key = stream.primary_key } }"""
    )
    assert attrs["catalog_options"] == 'yamldecode(file("${local.stream_dir}/_catalog.yml"))'
    (source,) = resources("airbyte_source").values()
    assert attribute(source, "schemas") == "[local.source_schema]"

    # What that expression evaluates to, file by file, is what the platform's catalog loader reads.
    declared = {
        p.stem: yaml.safe_load(p.read_text()) for p in sorted(STREAMS_DIR.glob("*.yml")) if p.name != "_catalog.yml"
    }
    catalog = load_catalog()
    assert set(declared) == set(catalog.names)
    for stream in catalog.streams:
        spec = declared[stream.name]
        assert spec["sync_mode"] == stream.sync_mode, stream.name
        assert spec.get("cursor_field") == stream.cursor_field, stream.name
        assert tuple(spec["primary_key"]) == stream.primary_key, stream.name


def test_no_stream_name_is_written_in_terraform() -> None:
    names = load_catalog().names
    for path in sorted(TF_DIR.glob("*.tf")):
        text = _squash(path.read_text())
        found = [n for n in names if re.search(rf'"{n}"|\b{n}\s*=\s*\{{', text)]
        assert not found, f"{path.name} names streams {found}: read them from local.streams"


def test_the_connection_streams_are_built_from_local_streams() -> None:
    (connection,) = resources("airbyte_connection").values()
    loop = re.search(r"for\s+(\w+)\s*,\s*(\w+)\s+in\s+local\.streams\s*:\s*\{(.*?)\}", connection, re.DOTALL)
    assert loop, "the connection's configurations.streams must be built from local.streams"
    key, value, body = loop.groups()
    assert attribute(body, "name") == key
    for field in ("sync_mode", "cursor_field"):
        assert attribute(body, field) == f"{value}.{field}", f"connection stream {field}"
    assert attribute(body, "primary_key") == f"[{value}.primary_key]"


def test_loader_cannot_write_staging_or_marts() -> None:
    datasets = resources("google_bigquery_dataset")
    assert {"raw", "staging", "marts"} <= set(datasets)
    grants: dict[str, list[tuple[str, str]]] = {"loader": [], "dbt": []}
    for body in resources("google_bigquery_dataset_iam_member").values():
        member, role = attribute(body, "member"), attribute(body, "role")
        dataset = attribute(body, "dataset_id")
        assert member and role and dataset
        sa = re.search(r"google_service_account\.(\w+)\.email", member)
        assert sa, f"dataset grant to {member}: grant the platform's service accounts only"
        ds = re.fullmatch(r"google_bigquery_dataset\.(\w+)\.dataset_id", dataset)
        assert ds, f"dataset_id {dataset} must reference a dataset resource"
        grants.setdefault(sa.group(1), []).append((ds.group(1), role.strip('"')))
    for kind in ("google_bigquery_dataset_iam_binding", "google_bigquery_dataset_iam_policy"):
        assert not resources(kind), f"use additive {kind.replace('binding', 'member')} grants only"
    assert not resources("google_bigquery_dataset_access"), "grant dataset access through IAM members"

    loader_writes = {ds for ds, role in grants["loader"] if role in WRITE_ROLES}
    assert "raw" in loader_writes
    marts = {"marts", "marts_audit", "marts_previous", "marts_shadow"}
    assert not loader_writes & {"staging", *marts}, "the loader must not write staging or marts"
    assert not {ds for ds, _ in grants["loader"]} & {"staging", *marts}, "the loader needs no access there"
    dbt_writes = {ds for ds, role in grants["dbt"] if role in WRITE_ROLES}
    assert dbt_writes == {"staging", "marts", "marts_audit", "marts_previous", "marts_shadow"}
    assert ("raw", "roles/bigquery.dataViewer") in grants["dbt"]

    for body in resources("google_project_iam_member").values():
        role = (attribute(body, "role") or "").strip('"')
        member = attribute(body, "member") or ""
        if "google_service_account.loader" in member:
            assert role not in WRITE_ROLES, f"project-wide {role} would let the loader write every dataset"
            assert role == "roles/bigquery.jobUser", f"loader project role {role}: grant per dataset instead"


def test_datasets_take_location_and_labels_from_variables() -> None:
    variables = {b.labels[0] for b in top_level_blocks() if b.kind == "variable"}
    assert {"bq_location", "labels", "project_id"} <= variables
    for name, body in resources("google_bigquery_dataset").items():
        assert attribute(body, "location") == "var.bq_location", f"dataset {name}: location"
        labels = attribute(body, "labels") or ""
        assert "var.labels" in labels, f"dataset {name}: labels"


def test_raw_drop_bucket_is_private() -> None:
    (bucket,) = resources("google_storage_bucket").values()
    assert attribute(bucket, "uniform_bucket_level_access") == "true"
    assert attribute(bucket, "public_access_prevention") == '"enforced"'
    assert "var.labels" in (attribute(bucket, "labels") or "")
    for body in resources("google_storage_bucket_iam_member").values():
        member = attribute(body, "member") or ""
        assert "allUsers" not in member and "allAuthenticatedUsers" not in member


def test_airbyte_reads_as_the_replicator_and_writes_raw() -> None:
    variables = {b.labels[0]: b.body for b in top_level_blocks() if b.kind == "variable"}
    assert attribute(variables["source_username"], "default") == '"marketplace_replicator"'
    for name, body in variables.items():
        if re.search(r"password|secret|credentials", name):
            assert attribute(body, "sensitive") == "true", f"variable {name} must be sensitive"
            default = attribute(body, "default")
            assert default in (None, '""'), f"variable {name} must not have a default value"
    (destination,) = resources("airbyte_destination").values()
    assert attribute(destination, "dataset_id") == "google_bigquery_dataset.raw.dataset_id"
    (source,) = resources("airbyte_source").values()
    assert attribute(source, "username") == "var.source_username"
    assert attribute(source, "password") == "var.source_password"

"""Who to call when a task fails: the marts it feeds, their owners and their impact tier.

Owners and tiers are declared once, as dbt `meta` per marts area (`dbt/dbt_project.yml`), and read
here from the manifest: a failed task's impact is every mart downstream of what the task builds.
A dbt task maps to its node, `extract_load.sync_<stream>` to its source table, a test to the nodes it
tests; the gates and the publish steps hold back every mart.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Cosmos task ids: `<group>.<node>_<resource>_<verb>` for models/seeds/snapshots, `<group>.<test>_test`.
_COSMOS_SUFFIXES = ("_model_build", "_model_run", "_seed_build", "_snapshot_build", "_model", "_seed", "_snapshot")
_SOURCE_PREFIX = "source.marketplace.marketplace."


@dataclass(frozen=True)
class Impact:
    marts: tuple[str, ...]
    owners: tuple[str, ...]
    tier: int | None

    def line(self) -> str:
        if not self.marts:
            return "Impact: no published mart depends on this task."
        tier = f"tier {self.tier}" if self.tier is not None else "tier unknown"
        owners = ", ".join(self.owners) or "no owner declared"
        shown = ", ".join(self.marts[:4]) + (f" and {len(self.marts) - 4} more" if len(self.marts) > 4 else "")
        return f"Impact: {tier}; owners: {owners}; holds back {len(self.marts)} marts ({shown})."


def _marts(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """unique_id -> node of every model under models/marts (what readers see)."""
    return {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["original_file_path"].startswith("models/marts/")
    }


def _start_nodes(task_id: str, manifest: dict[str, Any]) -> list[str] | None:
    """The manifest nodes a task builds or checks; None means the task holds back every mart."""
    group, _, name = task_id.rpartition(".")
    if group == "extract_load" and name.startswith("sync_"):
        source = _SOURCE_PREFIX + name.removeprefix("sync_")
        return [source] if source in manifest["sources"] else None
    if group not in ("staging", "intermediate", "marts"):
        return None
    by_name = {node["name"]: uid for uid, node in manifest["nodes"].items()}
    if name.endswith("_test") and name.removesuffix("_test") in by_name:
        test = manifest["nodes"][by_name[name.removesuffix("_test")]]
        return list(test["depends_on"]["nodes"])
    for suffix in _COSMOS_SUFFIXES:
        if name.endswith(suffix) and name.removesuffix(suffix) in by_name:
            return [by_name[name.removesuffix(suffix)]]
    return None


def impact_of(task_id: str, manifest: dict[str, Any]) -> Impact:
    """The marts downstream of ``task_id`` (itself included), with their owners and highest tier."""
    marts = _marts(manifest)
    start = _start_nodes(task_id, manifest)
    if start is None:
        affected = set(marts)
    else:
        affected, queue, seen = set(), deque(start), set(start)
        while queue:
            uid = queue.popleft()
            if uid in marts:
                affected.add(uid)
            for child in manifest["child_map"].get(uid, []):
                if child not in seen:
                    seen.add(child)
                    queue.append(child)
    metas = [marts[uid]["config"].get("meta") or {} for uid in affected]
    tiers = [int(m["impact_tier"]) for m in metas if "impact_tier" in m]
    return Impact(
        marts=tuple(sorted(marts[uid]["name"] for uid in affected)),
        owners=tuple(sorted({str(m["owner"]) for m in metas if "owner" in m})),
        tier=min(tiers) if tiers else None,
    )


def load_manifest(path: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(path.read_text())
    return manifest

"""``gates.html``: the entry page of the data-docs site -- the latest gate verdicts at a glance.

GX's own index page draws its tables with JavaScript fetched from public CDNs, so it is blank in a
browser without internet access. This page is plain HTML (no scripts, inline styles) written next
to it from the stored gate results (``MELT_HOME/gx/results``): one row per gate run, newest first,
with the failing expectations spelled out and links to GX's page of that validation and to the
full GX index.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from marketplace_elt.settings import Settings

PAGE = "gates.html"

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1f2933; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { border-bottom: 1px solid #d9e2ec; padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #f0f4f8; }
.pass { color: #18794e; font-weight: 600; } .fail { color: #c62828; font-weight: 600; }
ul { margin: 0; padding-left: 1.1rem; } code { font-size: 12px; }
"""


def _load(results_dir: Path) -> list[dict[str, Any]]:
    out = []
    for path in results_dir.glob("*/*.json"):
        try:
            out.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue  # a file being written or hand-edited: skip it, the next build shows it
    return sorted(out, key=lambda r: str(r.get("checked_at", "")), reverse=True)


def _row(result: dict[str, Any]) -> str:
    esc = html.escape
    ok = bool(result.get("success"))
    checks = result.get("results") or []
    failed = [c for c in checks if not c.get("success")]
    verdict = f'<span class="{"pass" if ok else "fail"}">{"PASS" if ok else "FAIL"}</span>'
    failures = "".join(
        f"<li><b>{esc(str(c.get('table')))}</b>: {esc(str(c.get('description')))} -- observed "
        f"{esc(str(c.get('observed')))}, expected {esc(str(c.get('threshold')))}</li>"
        for c in failed
    )
    page = result.get("docs_page")
    link = f'<a href="{esc(quote(str(page)))}">GX validation</a>' if page else ""
    return (
        f"<tr><td>{esc(str(result.get('checked_at', ''))[:19].replace('T', ' '))}</td>"
        f"<td><code>{esc(str(result.get('run_id')))}</code></td><td>{esc(str(result.get('layer')))}</td>"
        f"<td>{verdict} {len(checks) - len(failed)}/{len(checks)}</td>"
        f"<td>{'<ul>' + failures + '</ul>' if failures else ''}</td><td>{link}</td></tr>"
    )


def write_landing_page(settings: Settings, site_dir: Path, limit: int = 200) -> Path:
    """Write ``site_dir/gates.html`` from the newest ``limit`` stored gate results."""
    results = _load(settings.home / "gx" / "results")[:limit]
    rows = "\n".join(_row(r) for r in results) or '<tr><td colspan="6">No gate has run yet.</td></tr>'
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Quality gates</title><style>{_STYLE}</style></head>
<body>
<h2>Quality gates</h2>
<p>Latest verdicts of the Great Expectations gates between the layers (newest first).
Full data docs: <a href="index.html">Great Expectations index</a> (needs internet access for its scripts);
each <i>GX validation</i> link opens that run's page.</p>
<table>
<tr><th>checked at (UTC)</th><th>run</th><th>layer</th><th>verdict</th><th>failing expectations</th><th></th></tr>
{rows}
</table>
</body></html>
"""
    site_dir.mkdir(parents=True, exist_ok=True)
    target = site_dir / PAGE
    tmp = target.with_suffix(".html.tmp")
    tmp.write_text(page)
    tmp.replace(target)
    return target

"""The dashboard: what it reads, how it is configured, and each page in a real headless browser."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest

from marketplace_elt.bigquery import query_rows
from marketplace_elt.cli import build_parser
from marketplace_elt.dashboard import APP_DIR, DASHBOARD_VENV, Dashboard, dashboard_env, dashboard_port
from marketplace_elt.errors import ConfigError
from marketplace_elt.settings import PROJECT_ROOT, Settings

PAGES = {  # URL path -> page title
    "executive": "Executive summary",
    "sales": "Sales by day, region and category",
    "sellers": "Seller performance",
    "payments": "Payment reconciliation",
    "quality": "Data quality",
}
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# --- no services needed ------------------------------------------------------------------------


def test_the_app_reads_only_published_marts(settings: Settings, dbt_manifest: Path) -> None:
    from marketplace_elt.publish import published_models

    # what a publish makes readable (the dbt models under models/marts), and the gates' log
    published = set(published_models(settings)) | {"quality_gate_results"}
    files = [APP_DIR / "app.py", APP_DIR / "warehouse.py", *APP_DIR.glob("views/*.py")]
    sources = {p.name: p.read_text() for p in files}
    assert set(PAGES) <= set(re.findall(r'url_path="(\w+)"', sources["app.py"]))
    read: set[str] = set()
    for name, text in sources.items():
        assert "__audit" not in text.replace('endswith("__audit")', ""), f"{name} names the audit dataset"
        imports = re.findall(r"^\s*(?:from|import)\s+(marketplace_\w+)", text, flags=re.M)
        assert not imports, f"{name} imports {imports[0]} (the app runs in its own venv, without the platform)"
        read |= set(re.findall(r"\{\{?(\w+)\}\}?", text)) & (published | {"marts__audit"})
        for table in re.findall(r"FROM \{\{?(\w+)\}", text):
            assert table in published, f"{name} reads {table}, which is not a published mart"
    assert {"fct_orders", "fct_daily_sales", "fct_payment_reconciliation", "fct_seller_performance"} <= read
    assert {"mart_audit_daily", "mart_audit_rolling", "mart_audit_top3", "quality_gate_results"} <= read


def test_the_app_gets_its_target_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BQ_PROJECT", "acme-analytics")
    monkeypatch.setenv("BQ_MARTS_DATASET", "marts_eu")
    monkeypatch.setenv("BQ_EMULATOR_PORT", "9999")
    env = dashboard_env(Settings.from_env())
    assert env == {
        "DASHBOARD_BQ_PROJECT": "acme-analytics",
        "DASHBOARD_BQ_LOCATION": "US",
        "DASHBOARD_BQ_ENDPOINT": "http://127.0.0.1:9999",
        "DASHBOARD_MARTS_DATASET": "marts_eu",
    }
    monkeypatch.setenv("BQ_USE_EMULATOR", "false")
    assert dashboard_env(Settings.from_env())["DASHBOARD_BQ_ENDPOINT"] == "", "real BigQuery: ADC, no endpoint"


def test_dashboard_port_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHBOARD_PORT", raising=False)
    assert dashboard_port() == 8501
    for bad in ("http", "0", "70000"):
        monkeypatch.setenv("DASHBOARD_PORT", bad)
        with pytest.raises(ConfigError, match="DASHBOARD_PORT"):
            dashboard_port()


def test_cli_has_start_stop_status() -> None:
    parser = build_parser()
    for action in ("start", "stop", "status"):
        assert callable(parser.parse_args(["dashboard", action]).handler)


def test_the_lock_file_pins_the_dashboard_stack() -> None:
    lock = (APP_DIR / "requirements.lock").read_text()
    for package in ("streamlit", "altair", "google-cloud-bigquery", "pandas"):
        assert re.search(rf"^{package}==\S+$", lock, re.M), f"{package} is not pinned in dashboard/requirements.lock"


# --- the real app on the published marts ------------------------------------------------------


@pytest.fixture(scope="module")
def dashboard_url(pipeline_run, settings: Settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if not (DASHBOARD_VENV / "bin" / "streamlit").exists():
        pytest.skip(f"the dashboard venv {DASHBOARD_VENV} is not installed (make install builds it)")
    not_done = {task: state for task, state in pipeline_run.task_states.items() if state != "success"}
    assert pipeline_run.state == "success", f"the session's DAG run published no marts: {not_done}"
    previous = os.environ.get("DASHBOARD_PORT")
    os.environ["DASHBOARD_PORT"] = os.environ.get("TEST_DASHBOARD_PORT", "8651")
    dashboard = Dashboard(settings)
    try:
        yield dashboard.start().url
    finally:
        dashboard.stop()
        if previous is None:
            os.environ.pop("DASHBOARD_PORT", None)
        else:
            os.environ["DASHBOARD_PORT"] = previous
    assert not dashboard.status().running


def _cents(value: object) -> str:
    amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return f"${amount:,.2f}"


@pytest.mark.skipif(not CHROMIUM, reason="needs Debian's chromium (make test installs it)")
def test_each_page_renders_and_gmv_equals_the_published_mart(dashboard_url: str, settings: Settings) -> None:
    from playwright.sync_api import sync_playwright

    (expected,) = query_rows(
        settings,
        f"SELECT SUM(gmv_usd) AS gmv FROM `{settings.bq_project}.{settings.marts_dataset}.fct_orders`",
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shown: dict[str, str] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            for path, title in PAGES.items():
                page.goto(f"{dashboard_url}/{path}", wait_until="domcontentloaded")
                page.get_by_role("heading", name=title).first.wait_for(timeout=90_000)
                # Every page ends with the source caption: once it is there, the script has run to the end.
                page.get_by_text("Source: published marts on").wait_for(timeout=90_000)
                page.wait_for_timeout(1_500)  # charts finish drawing
                errors = [e.inner_text()[:500] for e in page.locator('[data-testid="stException"]').all()]
                errors += [e.inner_text()[:500] for e in page.locator('[data-testid="stAlertContentError"]').all()]
                assert errors == [], f"/{path}: {errors}"
                assert "Page not found" not in page.inner_text("body"), f"/{path} is not a page"
                # Streamlit scrolls an inner container, not the page: grow the window to the content to capture it all.
                height = page.evaluate(
                    "() => document.querySelector('[data-testid=\"stMainBlockContainer\"]')?.scrollHeight ?? 1000"
                )
                page.set_viewport_size({"width": 1500, "height": min(int(height) + 150, 8000)})
                page.wait_for_timeout(1_000)
                page.screenshot(path=str(SCREENSHOTS / f"dashboard-{path}.png"))
                page.set_viewport_size({"width": 1500, "height": 1000})
                if path == "executive":
                    card = page.locator('[data-testid="stMetric"]').filter(has_text="GMV (USD)").first
                    shown["gmv"] = card.locator('[data-testid="stMetricValue"]').inner_text().strip()
        finally:
            browser.close()
    assert shown["gmv"] == _cents(expected["gmv"])
    for path in PAGES:
        assert (SCREENSHOTS / f"dashboard-{path}.png").stat().st_size > 20_000

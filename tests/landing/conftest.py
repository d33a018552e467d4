"""Fixtures of the landing-zone tests: a private raw dataset and landing directory per test module.

The session's `services` fixture gives the real BigQuery emulator; each module here loads into its
own raw dataset (`raw_landing_<module>`) from its own landing directory, so it neither sees nor
disturbs what other modules load.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator

import pytest

from marketplace_elt.settings import Settings
from tests.isolation import isolated_settings


@pytest.fixture(scope="module")
def landing_settings(
    services: Settings, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """Settings with this module's own (empty) raw dataset and landing directory."""
    from marketplace_elt.bigquery import client

    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    isolated = dataclasses.replace(
        isolated_settings(services, name, prefix="landing"), landing_dir=tmp_path_factory.mktemp("landing")
    )
    bq = client(isolated)
    dataset = f"{isolated.bq_project}.{isolated.raw_dataset}"
    bq.delete_dataset(dataset, delete_contents=True, not_found_ok=True)
    bq.create_dataset(dataset)
    yield isolated
    if not os.environ.get("TEST_KEEP_SERVICES"):
        bq.delete_dataset(dataset, delete_contents=True, not_found_ok=True)

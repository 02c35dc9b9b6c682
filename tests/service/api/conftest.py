"""A fresh database per test (SQLite file, and PostgreSQL when SYMBIOSIS_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from benchmarks.load import fresh_database
from service.db.engine import create_db_engine
from service.db.migrate import upgrade_database
from service.settings import Settings
from tests.helpers import create_app_client, new_key

POSTGRES_URL = os.environ.get("SYMBIOSIS_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
#: Seconds a test waits for a round to finish.
ROUND_TIMEOUT_S = 120


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """An SQLite file migrated once; each test gets its own copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade_database(engine)
    engine.dispose()  # the last connection to close checkpoints the write-ahead log into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path, migrated_sqlite) -> Iterator[str]:
    """The URL of an empty, migrated database that only this test uses."""
    if request.param == "sqlite":
        path = tmp_path / "symbiosis.db"
        shutil.copyfile(migrated_sqlite, path)
        yield f"sqlite:///{path}"
        return
    with fresh_database(POSTGRES_URL) as url:
        yield url


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings(database_url=database_url, round_workers=2)


@dataclass
class Api:
    """A test client plus helpers to make keys and wait for rounds."""

    client: TestClient
    app: FastAPI
    keys: dict[str, dict[str, str]] = field(default_factory=dict)

    def key(self, role: str, company_id: str | None = None) -> dict[str, str]:
        """Headers with a fresh key of ``role`` (made directly in the database)."""
        return {"Authorization": f"Bearer {new_key(self.app, role, company_id)}"}

    def wait(self, round_id: int, headers: dict[str, str]) -> dict:
        """Wait until the round's job has ended and return the round."""
        self.app.state.jobs.wait(round_id, timeout=ROUND_TIMEOUT_S)
        response = self.client.get(f"/api/v1/rounds/{round_id}", headers=headers)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def api(settings) -> Iterator[Api]:
    with create_app_client(settings) as (client, app):
        yield Api(client, app)


# --- a small region: a power station with FGD gypsum, two gypsum users --------------------------

COMPANIES = [
    {"company_id": "asnaes", "name": "Asnæs Power Station", "nace": "35.11", "lat": 55.6626, "lon": 11.0808,
     "municipality": "Kalundborg"},
    {"company_id": "gyproc", "name": "Gyproc plasterboard", "nace": "23.62", "lat": 55.683, "lon": 11.108,
     "municipality": "Kalundborg"},
    {"company_id": "boardco", "name": "Board Company", "nace": "23.62", "lat": 55.60, "lon": 11.30,
     "municipality": "Holbæk"},
]
LISTINGS = [
    {"listing_id": "asnaes-gypsum", "company_id": "asnaes", "kind": "offer", "material": "10 01 05",
     "quantity": 150000, "unit": "t/yr", "description": "FGD gypsum"},
    {"listing_id": "gyproc-gypsum", "company_id": "gyproc", "kind": "need", "material": "gypsum",
     "quantity": 100000, "unit": "t/yr"},
    {"listing_id": "boardco-gypsum", "company_id": "boardco", "kind": "need", "material": "gypsum",
     "quantity": 30000, "unit": "t/yr"},
]


@dataclass
class Region:
    api: Api
    facilitator: dict[str, str]
    companies: dict[str, dict[str, str]]


@pytest.fixture
def region(api) -> Region:
    """Three companies created by a facilitator; each lists its own offer or need with its company key."""
    facilitator = api.key("facilitator")
    keys = {}
    for company in COMPANIES:
        response = api.client.post("/api/v1/companies", json=company, headers=facilitator)
        assert response.status_code == 201, response.text
        keys[company["company_id"]] = api.key("company", company["company_id"])
    for listing in LISTINGS:
        response = api.client.post("/api/v1/listings", json=listing, headers=keys[listing["company_id"]])
        assert response.status_code == 201, response.text
    return Region(api, facilitator, keys)

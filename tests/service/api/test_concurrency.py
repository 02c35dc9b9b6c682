"""Sessions, locks and limits under concurrency: reads never wait for a writer on SQLite, pool and
thread sizes are consistent settings, and round time limits are bounded by a setting."""

from __future__ import annotations

import sqlite3
import time

import pytest
from pydantic import ValidationError

from service.settings import Settings

V1 = "/api/v1"


def test_time_limits_above_the_setting_are_refused_naming_the_field(region):
    api, fac = region.api, region.facilitator
    limit = api.app.state.settings.max_time_limit_s
    response = api.client.post(f"{V1}/rounds", json={"name": "long", "options": {"time_limit_s": limit + 1}},
                               headers=fac)
    assert response.status_code == 422
    assert "options.time_limit_s" in response.text and "SYMBIOSIS_MAX_TIME_LIMIT_S" in response.text
    assert api.client.post(f"{V1}/rounds", json={"name": "ok", "options": {"time_limit_s": limit}},
                           headers=fac).status_code == 202


def test_the_pool_must_hold_more_connections_than_threads_and_round_workers():
    with pytest.raises(ValidationError, match="threads \\+ round_workers"):
        Settings(threads=30, round_workers=2, db_pool_size=20, db_max_overflow=5)
    assert Settings(threads=30, round_workers=2, db_pool_size=30, db_max_overflow=4).threads == 30


def test_on_sqlite_reads_answer_while_another_process_holds_the_write_lock(region, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the write lock is SQLite's")
    api, fac = region.api, region.facilitator
    other = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        started = time.monotonic()
        for path in ("/listings", "/companies", "/rounds", "/analytics/network"):
            assert api.client.get(f"{V1}{path}", headers=fac).status_code == 200, path
        assert time.monotonic() - started < 2.0
    finally:
        other.execute("ROLLBACK")
        other.close()
    changed = api.client.patch(f"{V1}/listings/gyproc-gypsum", json={"quantity": 90000, "version": 1},
                               headers=region.companies["gyproc"])
    assert changed.status_code == 200 and changed.json()["version"] == 2

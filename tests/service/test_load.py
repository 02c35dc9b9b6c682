"""A short run of benchmarks/load.py: 50 clients for 10 s against a real server, with no 5xx, no
timeout and no lost write (SQLite, and PostgreSQL when SYMBIOSIS_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import os

import pytest

from benchmarks.load import run_load

POSTGRES_URL = os.environ.get("SYMBIOSIS_TEST_POSTGRES_URL")


@pytest.mark.parametrize("database_url", [None] + ([POSTGRES_URL] if POSTGRES_URL else []),
                         ids=lambda url: "postgresql" if url else "sqlite")
def test_fifty_clients_for_ten_seconds_lose_nothing_and_get_no_5xx(database_url, tmp_path):
    report = run_load(50, 10, database_url, listings=60, think_s=1.0, timeout_s=20, log=tmp_path / "server.log")
    print(report.table())
    assert report.requests > 200
    assert report.server_errors == 0 and report.timeouts == 0 and report.transport_errors == 0
    assert report.writes_acknowledged > 20 and report.lost_writes == 0
    assert {"read: analytics", "read: listings", "write: create listing", "write: update listing"} <= set(report.groups)

"""Several processes on one database: real `symbiosis serve` and `symbiosis worker` processes.

A round keeps running when a second server starts; a kill -9 of the process running a round lets
the other take it over once the lease expires; a cancel stops a round inside a long MILP solve
within 2 s. Each runs on an SQLite file, and on PostgreSQL when SYMBIOSIS_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import ExitStack

import httpx
import numpy as np
import pytest
from sqlalchemy import insert

from benchmarks.load import (
    create_admin_key, fresh_database, free_port, running_server, server_env, symbiosis_command,
)
from service.api.auth import create_key
from service.api.records import stored_listing_fields
from service.db.engine import create_db_engine, create_session_factory
from service.db.models import Company, Listing, Round
from symbiosis.registry import validate_tables

POSTGRES_URL = os.environ.get("SYMBIOSIS_TEST_POSTGRES_URL")
BACKENDS = [None] + ([POSTGRES_URL] if POSTGRES_URL else [])
V1 = "/api/v1"
#: Listings of the region whose MILP (minimum lots, money objective) runs into its time limit.
HARD_LISTINGS = 3000
#: Short enough for a quick takeover, long enough that a heartbeat delayed by a loaded 2-core machine
#: (a second server starting, the page tests' browser) does not let the claim lapse (2 s once did).
LEASE_S = 4.0
#: Settings of every process in these tests: short lease, quick polling.
FAST = {"round_lease_s": str(LEASE_S), "round_poll_s": "0.2"}


@pytest.fixture(params=BACKENDS, ids=lambda url: "postgresql" if url else "sqlite")
def database(request):
    with fresh_database(request.param) as url:
        yield url


def seed_hard_region(url: str) -> dict[str, str]:
    """A synthetic region with minimum lots on a third of the listings, written straight into the
    database (migrated by a first `symbiosis` command); return facilitator headers."""
    from benchmarks.milp import LOT_RANGE, LOT_SHARE
    from symbiosis.synthetic import generate_region

    env = server_env(url, free_port())
    create_admin_key(env)  # migrates the database
    companies, listings = generate_region(n_listings=HARD_LISTINGS, seed=7)
    rng = np.random.default_rng(8)
    lots = listings["quantity"].astype(float).to_numpy() * rng.uniform(*LOT_RANGE, len(listings))
    listings["min_lot"] = np.where(rng.random(len(listings)) < LOT_SHARE, np.round(lots, 3), np.nan)
    companies, listings = companies.astype(str).replace("nan", ""), listings.astype(str).replace("nan", "")
    engine = create_db_engine(url)
    try:
        with create_session_factory(engine).begin() as session:
            session.add_all(Company(company_id=r["company_id"], name=r["name"], nace=r["nace"], lat=float(r["lat"]),
                                    lon=float(r["lon"]), municipality=r.get("municipality") or None)
                            for r in companies.to_dict("records"))
            session.flush()
            registry = validate_tables(companies, listings)
            data = listings.set_index("listing_id").to_dict("index")
            session.execute(insert(Listing), [{**stored_listing_fields(row, data[listing_id]), "version": 1}
                                              for listing_id, row in registry.listings.iterrows()])
            _row, key = create_key(session, "facilitator", None)
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {key}"}


def start_round(base: str, headers: dict, **options) -> int:
    # A gap of 0 keeps SCIP proving optimality on this region until its time limit: a round that runs long.
    body = {"name": "long", "solver": "milp", "objective": "value",
            "options": {"time_limit_s": 60, "relative_gap": 0.0, **options}}
    response = httpx.post(f"{base}{V1}/rounds", json=body, headers=headers, timeout=30)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def read_round(base: str, headers: dict, round_id: int) -> dict:
    response = httpx.get(f"{base}{V1}/rounds/{round_id}", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


def claim_of(url: str, round_id: int) -> str | None:
    engine = create_db_engine(url)
    try:
        with create_session_factory(engine)() as session:
            return session.get(Round, round_id).claimed_by
    finally:
        engine.dispose()


def test_a_round_keeps_running_when_another_server_starts_and_is_taken_over_after_kill_9(database, tmp_path):
    headers = seed_hard_region(database)
    first_env = server_env(database, free_port(), **FAST)
    second_env = server_env(database, free_port(), **FAST)
    with ExitStack() as stack:
        first, first_process = stack.enter_context(running_server(first_env, log=tmp_path / "first.log"))
        round_id = start_round(first, headers)
        wait_for(lambda: read_round(first, headers, round_id)["stage"] == "matching", 60, "the round matches")
        owner = claim_of(database, round_id)
        assert owner is not None and f":{first_process.pid}:" in owner
        second, second_process = stack.enter_context(running_server(second_env, log=tmp_path / "second.log"))
        time.sleep(2 * LEASE_S)  # the second server is up and has looked for work several times
        seen = read_round(second, headers, round_id)
        assert seen["status"] == "running" and seen["message"] is None
        assert claim_of(database, round_id) == owner  # the heartbeat kept the claim alive
        os.kill(first_process.pid, signal.SIGKILL)
        first_process.wait()
        killed = time.monotonic()
        taker = wait_for(lambda: (c := claim_of(database, round_id)) != owner and c, 30, "the round is taken over")
        assert f":{second_process.pid}:" in taker
        assert time.monotonic() - killed >= LEASE_S * 0.5  # not before the lease could expire
        assert read_round(second, headers, round_id)["status"] == "running"
        started = time.monotonic()
        assert httpx.post(f"{second}{V1}/rounds/{round_id}/cancel", headers=headers).status_code == 202
        final = wait_for(lambda: (r := read_round(second, headers, round_id))["status"] != "running" and r, 10,
                         "the round taken over is cancelled")
        assert final["status"] == "cancelled" and time.monotonic() - started < 5


def test_cancel_stops_a_round_inside_a_milp_solve_within_two_seconds(database, tmp_path):
    headers = seed_hard_region(database)
    env = server_env(database, free_port(), **FAST)
    with running_server(env, log=tmp_path / "server.log") as (base, _process):
        round_id = start_round(base, headers)
        wait_for(lambda: read_round(base, headers, round_id)["stage"] == "matching", 60, "the round matches")
        time.sleep(5)  # candidates take well under a second: the MILP (60 s limit) is solving now
        assert read_round(base, headers, round_id)["status"] == "running"
        started = time.monotonic()
        assert httpx.post(f"{base}{V1}/rounds/{round_id}/cancel", headers=headers).status_code == 202
        final = wait_for(lambda: (r := read_round(base, headers, round_id))["status"] != "running" and r, 5,
                         "the round is cancelled")
        latency = time.monotonic() - started
        print(f"cancel inside the MILP took {latency:.2f} s")
        assert final["status"] == "cancelled" and latency < 2.0


def test_a_worker_process_runs_queued_rounds_without_a_server(database, tmp_path):
    seed_hard_region(database)
    engine = create_db_engine(database)
    try:
        with create_session_factory(engine).begin() as session:
            queued = Round(name="for the worker", status="queued", scope={"municipalities": ["Kolding"]},
                           objective="diverted", solver="auto", options={}, directives=[])
            session.add(queued)
            session.flush()
            round_id = queued.id
        sessions = create_session_factory(engine)

        def status() -> Round:
            with sessions() as session:
                return session.get(Round, round_id)

        with open(tmp_path / "worker.log", "wb") as log:
            worker = subprocess.Popen([*symbiosis_command(), "worker"], env=server_env(database, free_port(), **FAST),
                                      stdout=log, stderr=log)
            try:
                final = wait_for(lambda: (r := status()).status not in ("queued", "running") and r, 120,
                                 "the worker runs the round")
                assert final.status == "succeeded", final.message
                assert final.runs == 1 and final.claimed_by is None and final.summary["counts"]["listings"] > 0
            finally:
                worker.send_signal(signal.SIGTERM)
                assert worker.wait(30) == 0
    finally:
        engine.dispose()

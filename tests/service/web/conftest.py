"""A real server on a free local port with a small known network, and a headless Chromium.

The network: six companies in three municipalities and twelve listings; one matching round proposes six
exchanges, five are accepted by both sides (the active exchanges) and one still waits for the receiver.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvicorn

from service.api.app import create_app
from service.api.auth import create_key
from service.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROUND_TIMEOUT_S = 120

COMPANIES = [
    {"company_id": "asnaes", "name": "Asnæs Power Station", "nace": "35.11", "lat": 55.6626, "lon": 11.0808,
     "municipality": "Kalundborg"},
    {"company_id": "novo", "name": "Novo Nordisk Kalundborg", "nace": "21.10", "lat": 55.666, "lon": 11.115,
     "municipality": "Kalundborg"},
    {"company_id": "refinery", "name": "Kalundborg Refinery", "nace": "19.20", "lat": 55.725, "lon": 10.96,
     "municipality": "Kalundborg"},
    {"company_id": "gyproc", "name": "Gyproc Plasterboard", "nace": "23.62", "lat": 55.715, "lon": 10.975,
     "municipality": "Kalundborg"},
    {"company_id": "cement", "name": "Roskilde Cement Works", "nace": "23.51", "lat": 55.64, "lon": 12.08,
     "municipality": "Roskilde"},
    {"company_id": "pigfarm", "name": "Holbæk Pig Farm", "nace": "01.46", "lat": 55.70, "lon": 11.55,
     "municipality": "Holbæk"},
]
LISTINGS = [
    ("asnaes-gypsum", "asnaes", "offer", "10 01 05", 100000, "t/yr"),
    ("asnaes-fly-ash", "asnaes", "offer", "10 01 02", 50000, "t/yr"),
    ("asnaes-steam", "asnaes", "offer", "steam", 120000, "MWh/yr"),
    ("novo-steam", "novo", "need", "steam", 100000, "MWh/yr"),
    ("novo-yeast", "novo", "offer", "07 05 14", 10000, "t/yr"),
    ("refinery-sulphur", "refinery", "offer", "sulphur", 4000, "t/yr"),
    ("refinery-gas", "refinery", "offer", "fuel-gas", 10000, "MWh/yr"),
    ("gyproc-gypsum", "gyproc", "need", "gypsum", 100000, "t/yr"),
    ("gyproc-gas", "gyproc", "need", "fuel-gas", 10000, "MWh/yr"),
    ("cement-raw", "cement", "need", "cement-raw-material", 50000, "t/yr"),
    ("pigfarm-feed", "pigfarm", "need", "animal-feed", 10000, "t/yr"),
    ("pigfarm-fertiliser", "pigfarm", "need", "fertiliser", 4000, "t/yr"),
]
#: The proposal left waiting: the refinery accepted, Gyproc has not answered yet.
PENDING = ("refinery-gas", "gyproc-gas")
#: Material class of each active exchange (the need's class).
EXCHANGE_CLASSES = {"gypsum": 1, "cement-raw-material": 1, "steam": 1, "fertiliser": 1, "animal-feed": 1}
#: Offered material of each company pair linked by an active exchange or the pending proposal (the map's lines).
LINK_MATERIALS = ("10 01 05", "10 01 02", "steam", "07 05 14", "sulphur", "fuel-gas")


@dataclass
class Site:
    """The running server, its keys and what the round produced."""

    url: str
    app: object
    keys: dict[str, str] = field(default_factory=dict)
    round_id: int | None = None
    proposals: list[dict] = field(default_factory=list)

    def key(self, role: str, company_id: str | None = None) -> str:
        with self.app.state.sessions.begin() as session:
            _row, key = create_key(session, role, company_id)
        return key


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed(site: Site) -> None:
    facilitator = site.keys["facilitator"] = site.key("facilitator")
    site.keys["planner"] = site.key("planner")
    company_keys = {}
    with httpx.Client(base_url=site.url + "/api/v1", timeout=30) as client:
        def call(method: str, path: str, key: str, **kwargs) -> dict:
            response = client.request(method, path, headers={"Authorization": f"Bearer {key}"}, **kwargs)
            assert response.is_success, (method, path, response.status_code, response.text)
            return response.json()

        for company in COMPANIES:
            call("POST", "/companies", facilitator, json=company)
            company_keys[company["company_id"]] = site.keys[company["company_id"]] = site.key(
                "company", company["company_id"])
        for listing_id, company_id, kind, material, quantity, unit in LISTINGS:
            call("POST", "/listings", company_keys[company_id], json={
                "listing_id": listing_id, "company_id": company_id, "kind": kind, "material": material,
                "quantity": quantity, "unit": unit})
        round_ = call("POST", "/rounds", facilitator, json={"name": "West Zealand spring"})
        site.round_id = round_["id"]
        deadline = time.monotonic() + ROUND_TIMEOUT_S
        while round_["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, "the round did not finish"
            time.sleep(0.2)
            round_ = call("GET", f"/rounds/{site.round_id}", facilitator)
        assert round_["status"] == "succeeded", round_
        call("POST", f"/rounds/{site.round_id}/send", facilitator)
        proposals = call("GET", f"/proposals?round_id={site.round_id}", facilitator)["data"]
        pairs = sorted((p["offer_id"], p["need_id"]) for p in proposals)
        assert len(proposals) == 6 and PENDING in pairs, pairs
        for p in proposals:
            call("POST", f"/proposals/{p['id']}/accept", company_keys[p["supplier_id"]])
            if (p["offer_id"], p["need_id"]) != PENDING:
                call("POST", f"/proposals/{p['id']}/accept", company_keys[p["receiver_id"]])
        site.proposals = call("GET", f"/proposals?round_id={site.round_id}", facilitator)["data"]
        exchanges = call("GET", "/exchanges?status=active", facilitator)["data"]
        assert sorted(e["need_material"] for e in exchanges) == sorted(EXCHANGE_CLASSES), exchanges


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Iterator[Site]:
    """The service on 127.0.0.1 (a free port) over a fresh SQLite file, seeded through its API."""
    database = tmp_path_factory.mktemp("web") / "symbiosis.db"
    app = create_app(Settings(database_url=f"sqlite:///{database}", round_workers=1))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    site = Site(url=f"http://127.0.0.1:{port}", app=app)
    try:
        _seed(site)
        yield site
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; skipped only outside CI when it is not installed."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs it")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()

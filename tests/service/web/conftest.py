"""A real server on a free local port with a small known network, and a headless Chromium.

The network (``WEB_*`` in tests/helpers.py): six companies in three municipalities and twelve listings; one matching round proposes six
exchanges, five are accepted by both sides (the active exchanges) and one still waits for the receiver.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.helpers import (
    WAIT_MS, WEB_COMPANIES as COMPANIES, WEB_EXCHANGE_CLASSES as EXCHANGE_CLASSES, WEB_LISTINGS as LISTINGS,
    WEB_PENDING as PENDING, Page, Site, serve,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROUND_TIMEOUT_S = 120

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
    """The service seeded through its API with the small known network."""
    with serve(tmp_path_factory.mktemp("web") / "symbiosis.db") as site:
        _seed(site)
        yield site


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


#: Milliseconds to wait for the page to draw after the key is entered.
@pytest.fixture
def open_page(browser, site):
    pages = []

    def open_(role: str, **kwargs) -> Page:
        pages.append(Page(browser, site, role, **kwargs))
        return pages[-1]

    yield open_
    for page in pages:
        page.context.close()

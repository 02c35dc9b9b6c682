"""The web page in a real headless Chromium against a real server (see conftest.py for the network)."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.helpers import WEB_COMPANIES as COMPANIES, WEB_LINK_MATERIALS as LINK_MATERIALS

#: Milliseconds to wait for the page to draw after the key is entered.
WAIT_MS = 30_000


class Page:
    """A browser page with the key of one role entered, recording console errors and page errors."""

    def __init__(self, browser, site, role: str):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.goto(site.url + "/")
        self.page.fill("#key-input", site.keys[role])
        self.page.click("#key-use")
        expect(self.page.locator("#shown")).to_contain_text("shown", timeout=WAIT_MS)

    def counts(self) -> tuple[int, int]:
        return (self.page.locator("#map path.company-marker").count(),
                self.page.locator("#map path.exchange-line").count())

    def select(self, filter_id: str, value: str) -> tuple[int, int]:
        self.page.select_option(f"#filter-{filter_id}", value)
        return self.counts()

    def totals(self) -> dict[str, str]:
        rows = self.page.locator("#totals tbody tr").all()
        return {row.locator("td").nth(0).inner_text(): row.locator("td").nth(1).inner_text() for row in rows}


@pytest.fixture
def open_page(browser, site):
    pages = []

    def open_(role: str) -> Page:
        pages.append(Page(browser, site, role))
        return pages[-1]

    yield open_
    for page in pages:
        page.context.close()


def test_the_page_and_its_files_are_public_but_the_data_needs_a_key(site):
    with httpx.Client(base_url=site.url) as client:
        index = client.get("/")
        assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in index.headers["content-security-policy"]
        for asset in ("static/app.js", "static/style.css", "static/vendor/leaflet/leaflet.js",
                      "static/vendor/leaflet/leaflet.css", "static/vendor/natural-earth/outline_denmark.geojson"):
            assert client.get(f"/{asset}").status_code == 200, asset
            assert asset in index.text or not asset.endswith((".js", ".css")) or "leaflet.css" in index.text
        assert not any(c["name"] in index.text for c in COMPANIES)
        assert client.get("/api/v1/web-config").status_code == 401
        config = client.get("/api/v1/web-config", headers={"Authorization": f"Bearer {site.keys['planner']}"})
        assert config.status_code == 200 and config.json()["map_tiles_url"] is None
        assert client.get("/static/../service/settings.py").status_code == 404


def test_the_page_loads_without_console_errors_and_draws_the_network(open_page):
    page = open_page("facilitator")
    # Six companies; six links: the five active exchanges and the proposal still waiting.
    assert page.counts() == (len(COMPANIES), len(LINK_MATERIALS)) == (6, 6)
    assert page.page.locator("#map path.outline-home").count() == 1  # no tiles set: the bundled outline
    legend = page.page.locator("#legend").inner_text()
    assert all(material in legend for material in LINK_MATERIALS)
    colours = set(page.page.locator("#map path.exchange-line").evaluate_all(
        "lines => lines.map(l => l.getAttribute('stroke'))"))
    assert len(colours) == len(LINK_MATERIALS)  # one colour per material
    widths = {float(w) for w in page.page.locator("#map path.exchange-line").evaluate_all(
        "lines => lines.map(l => l.getAttribute('stroke-width'))")}
    assert len(widths) > 1  # line width follows the quantity
    assert page.page.inner_text("#shown") == "6 companies, 6 links shown"
    keystones = page.page.locator("#keystones tbody tr")
    expect(keystones.first).to_contain_text("Asnæs Power Station")  # supplies three of the six
    expect(page.page.locator("#unmatched tbody tr")).to_have_count(1)
    expect(page.page.locator("#unmatched tbody tr")).to_contain_text("steam")  # 20,000 of 120,000 MWh left
    expect(page.page.locator("#unmatched tbody tr")).to_contain_text("20,000 MWh")
    assert page.errors == []


def test_filters_change_what_is_drawn_and_the_totals(open_page):
    page = open_page("facilitator")
    all_totals = page.totals()
    assert page.select("material", "10 01 05") == (2, 1)  # FGD gypsum, Asnæs -> Gyproc
    assert page.totals()["Waste diverted"] == "100,000" != all_totals["Waste diverted"]
    assert page.select("material", "") == (6, 6)
    assert page.select("municipality", "Roskilde") == (2, 1)  # the cement works and its supplier
    assert page.page.locator("#map path.company-marker.partner").count() == 1
    assert page.select("municipality", "") == (6, 6)
    # Gyproc and the cement works (NACE 23: CG) with their partners Asnæs and the refinery.
    assert page.select("branch", "CG") == (4, 3)
    assert page.select("material", "steam") == (0, 0)
    assert page.totals()["Waste diverted"] == "0"
    assert page.errors == []


def test_a_scenario_runs_from_the_page_and_shows_the_comparison(open_page):
    page = open_page("facilitator")
    expect(page.page.locator("#scenario-panel")).to_be_visible()
    page.page.fill("#scenario-name", "Without Asnaes")
    page.page.select_option("#scenario-kind", "remove_company")
    page.page.select_option("#scenario-company", "asnaes")
    page.page.click("#scenario-run")
    table = page.page.locator("#scenario-compare")
    expect(table.locator("thead")).to_contain_text("Without Asnaes: change", timeout=WAIT_MS)
    headers = table.locator("thead th").all_inner_texts()
    row = table.locator("tbody tr", has_text="Exchanges").first.locator("td").all_inner_texts()
    cells = dict(zip(headers, row))
    # Re-solved from all listings: six exchanges; without Asnæs its gypsum, fly ash and steam go.
    assert (cells["Without Asnaes: before"], cells["Without Asnaes: after"], cells["Without Asnaes: change"]) == (
        "6", "3", "-3")
    assert "delta-down" in table.locator("tbody tr", has_text="Exchanges").first.locator("td").last.get_attribute("class")
    expect(page.page.locator("#scenario-status")).to_contain_text("-3 exchanges")
    assert page.errors == []


def test_a_planner_sees_the_network_shape_without_company_names(open_page, site):
    page = open_page("planner")
    assert page.counts() == (6, 6)
    expect(page.page.locator("#keystones tbody tr").first).to_contain_text("n")
    expect(page.page.locator("#unmatched tbody tr")).to_contain_text("withheld")  # one company's figure
    page.page.locator("#map path.company-marker").first.hover()
    expect(page.page.locator(".leaflet-tooltip")).to_contain_text(re.compile(r"^n\d"))
    text = page.page.locator("body").inner_text()
    for company in COMPANIES:
        assert company["name"] not in text
        assert company["company_id"] not in text.split()
    assert "pseudonyms" in page.page.inner_text("#status")
    assert page.page.locator("#round-panel").is_hidden()
    assert page.errors == []


def test_a_facilitator_sees_a_rounds_proposals_with_explanations_and_decisions(open_page, site):
    page = open_page("facilitator")
    page.page.wait_for_selector("#proposals tbody tr >> nth=5")
    rows = page.page.locator("#proposals tbody tr")
    assert rows.count() == len(site.proposals) == 6
    assert page.page.inner_text("#round-summary") == "5 accepted, 1 sent"
    pending = rows.filter(has_text="fuel-gas")
    assert re.search(r"sent\s+accepted\s+open", pending.inner_text())
    pending.locator("summary").click()
    explanation = next(p["explanation"] for p in site.proposals if p["offer_id"] == "refinery-gas")
    assert pending.locator("details p").inner_text() == explanation
    assert page.errors == []


def test_a_company_key_gets_a_pointer_to_the_api_instead_of_the_map(browser, site):
    context = browser.new_context()
    try:
        page = context.new_page()
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(site.url + "/")
        page.fill("#key-input", site.keys["gyproc"])
        page.click("#key-use")
        expect(page.locator("#status")).to_contain_text("for facilitators and regional planners")
        assert page.locator("#content").is_hidden() and errors == []
        # The key is kept for the tab only; a reload opens the page with it again.
        page.reload()
        expect(page.locator("#who")).to_have_text("company · gyproc")
    finally:
        context.close()


def test_a_tile_server_setting_reaches_the_page_and_its_content_policy(tmp_path):
    from fastapi.testclient import TestClient

    from service.api.app import create_app
    from service.settings import Settings

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'tiles.db'}",
                        map_tiles_url="https://{s}.tiles.example.org/{z}/{x}/{y}.png", map_tiles_attribution="Example")
    app = create_app(settings)
    with TestClient(app) as client:
        policy = client.get("/").headers["content-security-policy"]
        assert "img-src 'self' data: https://*.tiles.example.org;" in policy
        from service.api.auth import create_key

        with app.state.sessions.begin() as session:
            _row, key = create_key(session, "planner", None)
        config = client.get("/api/v1/web-config", headers={"Authorization": f"Bearer {key}"}).json()
        assert config == {"map_tiles_url": "https://{s}.tiles.example.org/{z}/{x}/{y}.png",
                          "map_tiles_attribution": "Example"}

"""The web page in a real headless Chromium against a real server (see conftest.py for the network)."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.helpers import WAIT_MS

from tests.helpers import WEB_COMPANIES as COMPANIES, WEB_LINK_MATERIALS as LINK_MATERIALS

def test_the_page_and_its_files_are_public_but_the_data_needs_a_key(site):
    with httpx.Client(base_url=site.url) as client:
        index = client.get("/")
        assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in index.headers["content-security-policy"]
        for asset in ("static/app.js", "static/style.css", "static/vendor/leaflet/leaflet.js",
                      "static/vendor/leaflet/leaflet.css", "static/vendor/natural-earth/outline_denmark.geojson",
                      "static/i18n.js", "static/core.js", "static/inbox.js", "static/console.js", "static/map.js",
                      "static/vendor/swagger-ui/swagger-ui-bundle.js", "static/vendor/redoc/redoc.standalone.js"):
            assert client.get(f"/{asset}").status_code == 200, asset
        assert 'src="static/app.js"' in index.text and 'href="static/style.css"' in index.text
        catalog = client.get("/catalog.json").json()  # reference names only, no key needed
        assert catalog["nace"]["23"]["da"] == "Fremstilling af andre ikke-metalholdige mineralske produkter"
        assert catalog["classes"]["gypsum"] == {"en": "Gypsum", "da": "Gips", "unit": "t"}
        assert catalog["ewc"]["10 01 05"].startswith("Calcium-based") and catalog["ewc_chapters"]["10"] == "Wastes from thermal processes"
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
    # Coloured by material class: a waste code by its chapter (10 01 05 and 10 01 02 are both chapter 10).
    for name in ("10 Wastes from thermal processes", "07 Wastes from organic chemical processes", "Process steam",
                 "Sulphur", "Fuel gas"):
        assert name in legend
    assert "null" not in legend and "undefined" not in legend
    colours = page.page.locator("#map path.exchange-line").evaluate_all(
        "lines => lines.map(l => l.getAttribute('stroke'))")
    assert len(set(colours)) == 5 and len(colours) == len(LINK_MATERIALS)
    page.page.locator("#map path.exchange-line").first.hover()
    expect(page.page.locator(".leaflet-tooltip")).to_contain_text(re.compile(r"\d (t|MWh) per year"))
    widths = {float(w) for w in page.page.locator("#map path.exchange-line").evaluate_all(
        "lines => lines.map(l => l.getAttribute('stroke-width'))")}
    assert len(widths) > 1  # line width follows the quantity
    assert page.page.inner_text("#shown") == "6 companies, 6 links shown"
    keystones = page.page.locator("#keystones tbody tr")
    expect(keystones.first).to_contain_text("Asnæs Power Station")  # supplies three of the six
    expect(page.page.locator("#unmatched tbody tr")).to_have_count(1)
    expect(page.page.locator("#unmatched tbody tr")).to_contain_text("steam")  # 20,000 of 120,000 MWh left
    expect(page.page.locator("#unmatched tbody tr")).to_contain_text("20,000 MWh")
    assert page.page.locator("#map path.hotspot-marker").count() == 1  # drawn at Kalundborg
    assert page.errors == []


def test_filters_change_what_is_drawn_and_the_totals(open_page):
    page = open_page("facilitator")
    all_totals = page.totals()
    assert page.select("material", "10 01 05") == (2, 1)  # FGD gypsum, Asnæs -> Gyproc
    assert page.totals()["Waste diverted"] == "100,000" != all_totals["Waste diverted"]
    assert page.select("material", "") == (6, 6)
    assert page.select("municipality", "Roskilde") == (2, 1)  # the cement works and its supplier
    assert page.page.locator("#map path.company-marker.partner").count() == 1
    aggregates = page.page.locator("#aggregates tbody tr")
    expect(aggregates.and_(page.page.locator(".empty"))).to_have_count(1)  # no supplier in Roskilde
    assert page.select("municipality", "") == (6, 6)
    expect(aggregates).to_have_count(1)  # every supplier is in Kalundborg
    expect(aggregates.first).to_contain_text("Kalundborg")
    page.page.select_option("#aggregates-by", "branch")
    expect(aggregates).to_have_count(3)  # Asnæs and the pig farm (other), the refinery (CD), Novo (CF)
    expect(aggregates.filter(has_text="CD Manufacture of coke and refined petroleum products")).to_have_count(1)
    # Gyproc and the cement works (NACE 23: CG) with their partners Asnæs and the refinery.
    assert page.select("branch", "CG") == (4, 3)
    # The keystone panel follows the filters: only CG companies (Gyproc, the cement works) are listed.
    expect(page.page.locator("#keystones tbody tr")).to_have_count(2)
    assert page.select("material", "steam") == (0, 0)
    assert page.totals()["Waste diverted"] == "0"
    expect(page.page.locator("#unmatched tbody tr")).to_have_count(1)
    assert page.select("branch", "") == (2, 1)
    assert page.select("material", "") == (6, 6)
    assert page.select("group", "10") == (3, 2)  # the gypsum and the fly ash from Asnæs
    assert page.errors == []


def test_a_filter_change_zooms_to_what_it_shows(open_page):
    page = open_page("facilitator")
    bounds = "() => { const m = document.querySelector('#map'); return m.getBoundingClientRect().width; }"
    assert page.page.evaluate(bounds) > 0
    zoom_all = page.page.locator(".leaflet-proxy").get_attribute("style")
    page.select("municipality", "Roskilde")
    expect(page.page.locator(".leaflet-proxy")).not_to_have_attribute("style", zoom_all)
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
    page.page.select_option("#lang-select", "da")  # the same comparison, worded on the Danish page
    expect(table.locator("thead")).to_contain_text("Without Asnaes: ændring")
    assert "Without Asnaes: før" in table.locator("thead th").all_inner_texts()
    assert page.page.title() == "Industriel symbiose"


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


def test_every_label_the_page_uses_exists_in_danish_and_english():
    from service.api.routes.web import WEB_DIR

    source = (WEB_DIR / "i18n.js").read_text(encoding="utf-8")
    english, danish = source.split("\n  en: {", 1)[1].split("\n  da: {", 1)
    keys = [set(re.findall(r'^\s+"([\w.]+)":', part, re.MULTILINE)) for part in (english, danish)]
    assert keys[0] == keys[1] and len(keys[0]) > 200, keys[0] ^ keys[1]
    used = set(re.findall(r'data-i18n(?:-placeholder|-aria)?="([\w.]+)"', (WEB_DIR / "index.html").read_text("utf-8")))
    for script in ("app.js", "core.js", "inbox.js", "console.js", "map.js"):
        used |= set(re.findall(r'\bt\("([\w.]+)"', (WEB_DIR / script).read_text(encoding="utf-8")))
    assert used and used <= keys[0], used - keys[0]


def test_the_map_controls_speak_the_page_s_language(open_page):
    page = open_page("planner", locale="da")
    assert page.page.locator(".leaflet-control-zoom-in").get_attribute("title") == "Zoom ind"
    assert page.page.locator(".leaflet-control-zoom-out").get_attribute("aria-label") == "Zoom ud"
    assert page.page.title() == "Industriel symbiose"

"""Shared test builders: small hand-made instances, rule books, transport tables and random regions.

Test modules import builders from here only; no test module imports another test module or a conftest.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from numbers import Real
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd

from symbiosis.candidates import Candidates, build_candidates
from symbiosis.economics import PriceBook, read_price_book
from symbiosis.registry import Registry, validate_tables
from symbiosis.rules import FACTOR_COLUMNS, RuleBook, read_rulebook
from symbiosis.transport import read_link_costs, read_transport_modes

RULE_COLUMNS = ["rule_id", "offer_material", "need_material", "yield", "max_distance_km", "transport_mode",
                *FACTOR_COLUMNS, "quality_note", "source"]


def make_rulebook(rows: list[dict]) -> RuleBook:
    """A rule book from short dicts; unspecified factors are 0 and the value unknown (so the rule's
    distance limit decides reach unless prices are known), distance 100 km by truck."""
    defaults = {"yield": 1, "max_distance_km": 100, "transport_mode": "truck", "quality_note": "", "source": "test"}
    defaults.update({c: 0 for c in FACTOR_COLUMNS})
    defaults["value_eur"] = ""
    frame = pd.DataFrame([{**defaults, **row} for row in rows])[RULE_COLUMNS].astype(str)
    same = pd.DataFrame([{**defaults, "rule_id": "same-ewc-code", "waste_t": 1, "resource_t": 1}])
    return read_rulebook(frame, same[[c for c in RULE_COLUMNS if c not in ("offer_material", "need_material")]].astype(str))


def make_transport(kg_per_tkm: float = 0.0, eur_per_tkm: float = 0.0, detour: float = 1.0) -> pd.DataFrame:
    """A transport table with the same factors for every mode."""
    rows = [
        {"mode": m, "vehicle": m, "kg_co2e_per_tkm_ttw": str(kg_per_tkm), "kg_co2e_per_tkm_wtt": "0",
         "emission_source": "test", "cost_eur_per_tkm": str(eur_per_tkm), "cost_source": "test",
         "detour_factor": str(detour), "detour_source": "test"}
        for m in ("truck", "rail", "ship", "pipeline")
    ]
    return read_transport_modes(pd.DataFrame(rows))


def make_registry(companies: list[tuple], listings: list[tuple]) -> Registry:
    """Companies as (id, lat, lon); listings as (id, company, kind, material, quantity, unit[, extra dict])."""
    comp = pd.DataFrame(
        [{"company_id": c, "name": f"Company {c}", "nace": "23.51", "lat": str(lat), "lon": str(lon)} for c, lat, lon in companies]
    )
    rows = []
    for item in listings:
        lid, company, kind, material, quantity, unit, *extra = item
        row = {"listing_id": lid, "company_id": company, "kind": kind, "material": material,
               "quantity": str(quantity), "unit": unit}
        if extra:
            row.update({k: str(v) for k, v in extra[0].items()})
        rows.append(row)
    return validate_tables(comp, pd.DataFrame(rows).fillna(""))


def no_prices() -> PriceBook:
    """A price book that knows no price: every exchange's economics rest on its rule's value."""
    return read_price_book(pd.DataFrame(columns=["material", "side", "eur_per_unit"]))


def make_link_costs(fixed_eur: float = 0.0, per_km_eur: float = 0.0) -> pd.DataFrame:
    """A link-cost table with the same yearly costs for every mode."""
    return read_link_costs(pd.DataFrame([
        {"mode": m, "fixed_eur_per_yr": str(fixed_eur), "eur_per_km_per_yr": str(per_km_eur), "source": "test"}
        for m in ("truck", "rail", "ship", "pipeline")
    ]))


#: Consistent yields: gypsum and aggregates both scale 1, cement-raw-material 1, wood 2.
RANDOM_RULES_ROWS = [
    {"rule_id": "g-c", "offer_material": "gypsum", "need_material": "cement-raw-material", "waste_t": 1, "resource_t": 1},
    {"rule_id": "a-c", "offer_material": "aggregates", "need_material": "cement-raw-material", "waste_t": 1},
    {"rule_id": "g-w", "offer_material": "gypsum", "need_material": "wood", "yield": 0.5, "waste_t": 1.5},
    {"rule_id": "a-w", "offer_material": "aggregates", "need_material": "wood", "yield": 0.5, "resource_t": 0.7},
]


def random_instance(seed: int, n_companies: int = 30, n_listings: int = 60) -> Candidates:
    """Candidates of a seeded random region: gypsum and aggregates offered, cement raw material and
    wood needed, under :data:`RANDOM_RULES_ROWS` (consistent yields, so a pure min-cost flow)."""
    rng = np.random.default_rng(seed)
    companies = [(f"c{i}", 55 + rng.uniform(0, 1.0), 9 + rng.uniform(0, 1.5)) for i in range(n_companies)]
    listings = []
    for j in range(n_listings):
        kind = "offer" if rng.random() < 0.5 else "need"
        material = rng.choice(["gypsum", "aggregates"] if kind == "offer" else ["cement-raw-material", "wood"])
        listings.append((f"l{j}", f"c{rng.integers(n_companies)}", kind, str(material),
                         round(float(rng.uniform(1, 500)), 3), "t/yr"))
    registry = make_registry(companies, listings)
    return build_candidates(registry, rulebook=make_rulebook(RANDOM_RULES_ROWS),
                            transport=make_transport(kg_per_tkm=0.1, detour=1.3))


# ==== service: the HTTP service and its web page =================================================
# (FastAPI and the database are imported inside the builders, so the engine's tests stay light.)

@contextmanager
def create_app_client(settings):
    """Start an instance of the service on ``settings``' database and yield ``(client, app)``
    (a second instance on the same database is the service after a restart)."""
    from fastapi.testclient import TestClient

    from service.api.app import create_app

    app = create_app(settings)
    with TestClient(app) as client:
        yield client, app


def new_key(app, role: str, company_id: str | None = None) -> str:
    """A fresh API key of ``role`` made directly in the service's database."""
    from service.api.auth import create_key

    with app.state.sessions.begin() as session:
        _row, key = create_key(session, role, company_id)
    return key


COMPANY_FIELDS = ("company_id", "name", "nace", "lat", "lon", "municipality")
#: The web page's network: six companies in three municipalities and twelve listings.
WEB_COMPANIES = [dict(zip(COMPANY_FIELDS, row)) for row in (
    ("asnaes", "Asnæs Power Station", "35.11", 55.6626, 11.0808, "Kalundborg"),
    ("novo", "Novo Nordisk Kalundborg", "21.10", 55.666, 11.115, "Kalundborg"),
    ("refinery", "Kalundborg Refinery", "19.20", 55.725, 10.96, "Kalundborg"),
    ("gyproc", "Gyproc Plasterboard", "23.62", 55.715, 10.975, "Kalundborg"),
    ("cement", "Roskilde Cement Works", "23.51", 55.64, 12.08, "Roskilde"),
    ("pigfarm", "Holbæk Pig Farm", "01.46", 55.70, 11.55, "Holbæk"),
)]
#: (listing_id, company_id, kind, material, quantity, unit) of the web page's network.
WEB_LISTINGS = [(lid, company, kind, material, int(quantity), unit) for lid, company, kind, material, quantity, unit in (
    line.split(";") for line in """\
asnaes-gypsum;asnaes;offer;10 01 05;100000;t/yr
asnaes-fly-ash;asnaes;offer;10 01 02;50000;t/yr
asnaes-steam;asnaes;offer;steam;120000;MWh/yr
novo-steam;novo;need;steam;100000;MWh/yr
novo-yeast;novo;offer;07 05 14;10000;t/yr
refinery-sulphur;refinery;offer;sulphur;4000;t/yr
refinery-gas;refinery;offer;fuel-gas;10000;MWh/yr
gyproc-gypsum;gyproc;need;gypsum;100000;t/yr
gyproc-gas;gyproc;need;fuel-gas;10000;MWh/yr
cement-raw;cement;need;cement-raw-material;50000;t/yr
pigfarm-feed;pigfarm;need;animal-feed;10000;t/yr
pigfarm-fertiliser;pigfarm;need;fertiliser;4000;t/yr""".splitlines())]
#: The proposal left waiting: the refinery accepted, Gyproc has not answered yet.
WEB_PENDING = ("refinery-gas", "gyproc-gas")
#: Material class of each active exchange (the need's class).
WEB_EXCHANGE_CLASSES = {"gypsum": 1, "cement-raw-material": 1, "steam": 1, "fertiliser": 1, "animal-feed": 1}
#: Offered material of each company pair linked by an active exchange or the pending proposal (the map's lines).
WEB_LINK_MATERIALS = ("10 01 05", "10 01 02", "steam", "07 05 14", "sulphur", "fuel-gas")


# --- a local stub geocoder ------------------------------------------------------------------------

PLACES = {
    "Asnæsvej 16, 4400 Kalundborg": {"lat": "55.6626", "lon": "11.0808", "display_name": "Asnæsvej 16, Kalundborg, Danmark"},
    "Hareskovvej 12, 4400 Kalundborg": {"lat": "55.6701", "lon": "11.0950", "display_name": "Hareskovvej 12, Kalundborg"},
}


class StubNominatim(BaseHTTPRequestHandler):
    """A Nominatim-shaped geocoder that knows the addresses of :data:`PLACES` (never the network)."""

    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        parts = urlsplit(self.path)
        query = parse_qs(parts.query).get("q", [""])[0]
        type(self).requests.append(query)
        if parts.path != "/search":
            self.send_error(404)
            return
        body = json.dumps([PLACES[query]] if query in PLACES else []).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextmanager
def stub_nominatim() -> Iterator[str]:
    """Serve :class:`StubNominatim` on 127.0.0.1 and yield its base URL."""
    StubNominatim.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubNominatim)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --- the web pages' server and browser page ---------------------------------------------------------

@dataclass
class Site:
    """The running server, its keys and what the round produced."""

    url: str
    app: object
    keys: dict[str, str] = field(default_factory=dict)
    round_id: int | None = None
    proposals: list[dict] = field(default_factory=list)

    def key(self, role: str, company_id: str | None = None) -> str:
        return new_key(self.app, role, company_id)


@contextmanager
def serve(database: Path) -> Iterator[Site]:
    """The service on 127.0.0.1 (a free port) over a fresh SQLite file, stopped on leaving."""
    import uvicorn

    from benchmarks.load import free_port
    from service.api.app import create_app
    from service.settings import Settings

    app = create_app(Settings(database_url=f"sqlite:///{database}", round_workers=1))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield Site(url=f"http://127.0.0.1:{port}", app=app)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


WAIT_MS = 30_000


class Page:
    """A browser page with the key of one role entered, recording console errors and page errors."""

    def __init__(self, browser, site, role: str, *, locale: str = "en-GB", ready: str = "#shown",
                 timeout_ms: int = WAIT_MS, viewport: tuple[int, int] = (1400, 1000)):
        from playwright.sync_api import expect

        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale=locale,
                                           accept_downloads=True)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(site.url + "/")
        self.page.fill("#key-input", site.keys[role])
        started = time.monotonic()
        self.page.click("#key-use")
        expect(self.page.locator(ready).first).not_to_be_empty(timeout=timeout_ms)
        #: Seconds from entering the key until the page showed ``ready``.
        self.ready_s = time.monotonic() - started

    def counts(self) -> tuple[int, int]:
        return (self.page.locator("#map path.company-marker").count(),
                self.page.locator("#map path.exchange-line").count())

    def select(self, filter_id: str, value: str) -> tuple[int, int]:
        self.page.select_option(f"#filter-{filter_id}", value)
        return self.counts()

    def totals(self) -> dict[str, str]:
        rows = self.page.locator("#totals tbody tr").all()
        return {row.locator("td").nth(0).inner_text(): row.locator("td").nth(1).inner_text() for row in rows}




# --- a validator of the GeoJSON exports -----------------------------------------------------------

# A validator of the GeoJSON (RFC 7946) rules the exports rely on, and of their clean geometry.
#
# RFC 7946: a FeatureCollection has ``type`` and a ``features`` array (section 3.3); a Feature has
# ``type``, ``geometry`` (an object or null) and ``properties`` (an object or null), and an ``id``
# that is a string or a number if any (3.2); a position is two or three numbers, longitude then
# latitude in WGS84 (3.1.1, 4); a LineString has two or more positions (3.1.4); no ``crs`` member
# (4). Beyond the RFC, the exports promise clean geometry: no line of zero length, and (with
# ``single_type``) one geometry type per collection.

def _geojson_position(value, where: str) -> list[str]:
    if not isinstance(value, list) or len(value) not in (2, 3):
        return [f"{where}: a position is 2 or 3 numbers, not {value!r}"]
    if not all(isinstance(v, Real) and not isinstance(v, bool) and v == v for v in value):
        return [f"{where}: a position holds numbers only, not {value!r}"]
    lon, lat = value[0], value[1]
    problems = []
    if not -180 <= lon <= 180:
        problems.append(f"{where}: longitude {lon} is outside [-180, 180]")
    if not -90 <= lat <= 90:
        problems.append(f"{where}: latitude {lat} is outside [-90, 90]")
    return problems


def _geojson_geometry(geometry, where: str) -> list[str]:
    if geometry is None:
        return []
    if not isinstance(geometry, dict) or "coordinates" not in geometry:
        return [f"{where}: a geometry is an object with coordinates"]
    kind, coordinates = geometry.get("type"), geometry["coordinates"]
    if kind == "Point":
        return _geojson_position(coordinates, where)
    if kind == "LineString":
        if not isinstance(coordinates, list) or len(coordinates) < 2:
            return [f"{where}: a LineString has two or more positions"]
        problems = [p for i, c in enumerate(coordinates) for p in _geojson_position(c, f"{where}[{i}]")]
        if not problems and all(c[:2] == coordinates[0][:2] for c in coordinates):
            problems.append(f"{where}: a LineString of zero length")
        return problems
    return [f"{where}: geometry type {kind!r} is not one the exports write (Point, LineString)"]


def geojson_problems(collection, single_type: bool = False) -> list[str]:
    """Every rule the collection breaks (empty when it is valid)."""
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        return ["the top level is not a FeatureCollection"]
    if "crs" in collection:
        return ["RFC 7946 has no crs member: coordinates are WGS84"]
    features = collection.get("features")
    if not isinstance(features, list):
        return ["a FeatureCollection has a features array"]
    problems: list[str] = []
    types = set()
    for i, feature in enumerate(features):
        where = f"features[{i}]"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(f"{where}: not a Feature")
            continue
        if "geometry" not in feature or "properties" not in feature:
            problems.append(f"{where}: a Feature has geometry and properties members")
            continue
        if feature["properties"] is not None and not isinstance(feature["properties"], dict):
            problems.append(f"{where}: properties are an object or null")
        if "id" in feature and not isinstance(feature["id"], (str, int, float)):
            problems.append(f"{where}: an id is a string or a number")
        problems += _geojson_geometry(feature["geometry"], f"{where}.geometry")
        if feature["geometry"] is not None:
            types.add(feature["geometry"].get("type"))
    if single_type and len(types) > 1:
        problems.append(f"one geometry type expected, found {sorted(types)}")
    return problems

"""Network analytics over the API: what planners may see of single companies, and saved scenarios."""

from __future__ import annotations

import csv
import io
import math
import threading

import networkx as nx
import pytest

from analytics.disclosure import round_significant
from service.api.routes import analytics as analytics_routes
from tests.helpers import geojson_problems

V1 = "/api/v1"
NAMES = ("asnaes", "gyproc", "boardco", "Asnæs", "Gyproc", "Board Company")


@pytest.fixture
def proposed(region):
    """The three-company region after a round whose two proposals were sent (the proposed network)."""
    api, fac = region.api, region.facilitator
    round_id = api.client.post(f"{V1}/rounds", json={"name": "spring"}, headers=fac).json()["id"]
    assert api.wait(round_id, fac)["status"] == "succeeded"
    assert api.client.post(f"{V1}/rounds/{round_id}/send", headers=fac).json() == {"sent": 2}
    return region


def test_the_network_counts_each_flow_once_across_rounds_and_exchanges(proposed):
    # A second round re-proposes both flows; then round 1's Gyproc proposal is accepted. The network
    # is the active exchange plus the latest round's open proposal to Boardco, not all four.
    api, fac, keys = proposed.api, proposed.facilitator, proposed.companies
    first = api.client.get(f"{V1}/proposals", headers=fac).json()["data"]
    second_id = api.client.post(f"{V1}/rounds", json={"name": "autumn"}, headers=fac).json()["id"]
    assert api.wait(second_id, fac)["status"] == "succeeded"
    api.client.post(f"{V1}/rounds/{second_id}/send", headers=fac)
    [gyproc] = [p for p in first if p["need_id"] == "gyproc-gypsum"]
    for company in ("asnaes", "gyproc"):
        assert api.client.post(f"{V1}/proposals/{gyproc['id']}/accept", headers=keys[company]).status_code == 200
    [exchange] = api.client.get(f"{V1}/exchanges", headers=fac).json()["data"]
    [board] = [p for p in api.client.get(f"{V1}/proposals", params={"round_id": second_id}, headers=fac).json()["data"]
               if p["need_id"] == "boardco-gypsum"]
    rows = api.client.get(f"{V1}/analytics/aggregates?by=material", headers=fac).json()["data"]
    assert sum(row["exchanges"] for row in rows) == 2
    expected = sum(item["indicators"]["waste_t"] + (item["indicators"]["resource_t"] or 0) for item in (exchange, board))
    assert sum(row["diverted_t"] for row in rows) == pytest.approx(expected)


def _consent(region, company_id: str) -> None:
    headers = region.companies[company_id]
    version = region.api.client.get(f"{V1}/companies/{company_id}", headers=headers).json()["version"]
    response = region.api.client.patch(f"{V1}/companies/{company_id}", headers=headers,
                                       json={"consent_planner": True, "version": version})
    assert response.status_code == 200, response.text


def _is_rounded(value: float) -> bool:
    return value == float(round_significant([value])[0])


def test_facilitators_see_the_network_with_names_and_exact_figures(proposed):
    network = proposed.api.client.get(f"{V1}/analytics/network", headers=proposed.facilitator).json()
    assert network["private"] is False and network["components"] == 1
    nodes = {n["company_id"]: n for n in network["nodes"]}
    assert nodes["asnaes"]["name"] == "Asnæs Power Station" and nodes["asnaes"]["degree"] == 2
    assert nodes["asnaes"]["betweenness"] == 1.0
    edges = {(e["source"], e["target"]): e for e in network["edges"]}
    assert edges[("asnaes", "gyproc")]["quantity"] == 100000.0
    assert not all(_is_rounded(e["transport_co2e_t"]) for e in network["edges"])


def test_planners_see_no_names_ids_or_exact_quantities_without_consent(proposed):
    api = proposed.api
    planner = api.key("planner")
    for path in ("network", "keystones", "export/geojson", "export/graphml", "export/csv?table=exchanges",
                 "export/csv?table=companies", "aggregates?by=material", "unmatched-supply"):
        response = api.client.get(f"{V1}/analytics/{path}", headers=planner)
        assert response.status_code == 200, (path, response.text)
        assert not any(name in response.text for name in NAMES), path
    network = api.client.get(f"{V1}/analytics/network", headers=planner).json()
    assert network["private"] is True
    assert sorted(n["company_id"] for n in network["nodes"]) == ["n1", "n2", "n3"]
    assert all(n["name"] is None for n in network["nodes"])
    assert all(_is_rounded(e[c]) for e in network["edges"] for c in ("quantity", "co2e_t", "transport_co2e_t"))
    # Three companies make up the only group (SYMBIOSIS_PLANNER_MIN_COMPANIES), but one supplier takes
    # part in every exchange of it: its figure would be that supplier's exact total, so it is withheld.
    material = api.client.get(f"{V1}/analytics/aggregates?by=material", headers=planner).json()["data"]
    assert [(row["key"], row["companies"], row["suppressed"], row["waste_t"]) for row in material] == [
        ("10 01 05", None, True, None)]  # a withheld group shows no counts either
    graph = nx.parse_graphml(api.client.get(f"{V1}/analytics/export/graphml", headers=planner).text)
    assert set(graph.nodes) == {"n1", "n2", "n3"}


def test_consenting_companies_are_shown_with_exact_figures(proposed):
    _consent(proposed, "asnaes")
    _consent(proposed, "gyproc")
    planner = proposed.api.key("planner")
    network = proposed.api.client.get(f"{V1}/analytics/network", headers=planner).json()
    nodes = {n["company_id"]: n for n in network["nodes"]}
    assert set(nodes) == {"asnaes", "gyproc", "n1"} and nodes["gyproc"]["name"] == "Gyproc plasterboard"
    assert nodes["n1"]["name"] is None
    edges = {(e["source"], e["target"]): e for e in network["edges"]}
    facilitator = proposed.api.client.get(f"{V1}/analytics/network", headers=proposed.facilitator).json()
    exact = {(e["source"], e["target"]): e for e in facilitator["edges"]}
    assert edges[("asnaes", "gyproc")]["transport_co2e_t"] == exact[("asnaes", "gyproc")]["transport_co2e_t"]
    assert _is_rounded(edges[("asnaes", "n1")]["transport_co2e_t"])
    assert edges[("asnaes", "n1")]["transport_co2e_t"] != exact[("asnaes", "boardco")]["transport_co2e_t"]
    # Asnæs consents but also supplies n1: its weighted degree minus its exact edge to Gyproc would give
    # the edge to n1, so it is rounded.
    facilitator_nodes = {n["company_id"]: n for n in facilitator["nodes"]}
    assert nodes["asnaes"]["weighted_degree"] == round_significant([facilitator_nodes["asnaes"]["weighted_degree"]])[0]


def test_planners_close_companies_by_the_pseudonyms_they_see(proposed):
    api = proposed.api
    planner = api.key("planner")
    nodes = api.client.get(f"{V1}/analytics/network", headers=planner).json()["nodes"]
    hub = next(n["company_id"] for n in nodes if n["degree"] == 2)
    report = api.client.post(f"{V1}/analytics/resilience", json={"remove": [hub]}, headers=planner)
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["removed"] == [hub] and body["lost_exchanges"] is None and body["after"]["exchanges"] == 0
    assert body["recovery"] == 0.0
    real = api.client.post(f"{V1}/analytics/resilience", json={"remove": ["asnaes"]}, headers=planner)
    assert real.status_code == 422 and "'asnaes' is not in the network" in real.text
    full = api.client.post(f"{V1}/analytics/resilience", json={"remove": ["asnaes"]}, headers=proposed.facilitator)
    assert len(full.json()["lost_exchanges"]) == 2 and full.json()["lost"]["waste_t"] == 130000.0


def test_scenarios_are_saved_listed_and_compared(proposed):
    api, fac = proposed.api, proposed.facilitator
    more = {"name": "second plasterboard line", "add_listings": [
        {"listing_id": "boardco-more", "company_id": "boardco", "kind": "need", "material": "gypsum",
         "quantity": 20000, "unit": "t/yr"}]}
    created = api.client.post(f"{V1}/analytics/scenarios", json=more, headers=fac)
    assert created.status_code == 201, created.text
    first = created.json()
    assert first["change"]["waste_t"] == 20000.0 and first["before"]["waste_t"] == 130000.0
    closed = api.client.post(f"{V1}/analytics/scenarios", json={"name": "no gyproc", "remove_companies": ["gyproc"]},
                             headers=fac).json()
    assert closed["change"]["waste_t"] == -100000.0
    listed = api.client.get(f"{V1}/analytics/scenarios", headers=fac).json()
    assert [s["name"] for s in listed["data"]] == ["no gyproc", "second plasterboard line"]
    compared = api.client.get(f"{V1}/analytics/scenarios/compare?ids={first['id']},{closed['id']}", headers=fac).json()
    waste = next(row for row in compared["rows"] if row["metric"] == "waste_t")
    assert waste["second plasterboard line: change"] == 20000.0 and waste["no gyproc: change"] == -100000.0
    # each column's scenario and part, so that a page words the header in its own language
    assert compared["headers"][3:5] == [{"column": "no gyproc: before", "scenario": "no gyproc", "part": "before"},
                                        {"column": "no gyproc: after", "scenario": "no gyproc", "part": "after"}]
    assert [h["column"] for h in compared["headers"]] == compared["columns"]
    assert api.client.get(f"{V1}/analytics/scenarios/{first['id']}", headers=fac).json()["name"] == more["name"]
    bad = api.client.post(f"{V1}/analytics/scenarios", headers=fac, json={
        "name": "bad", "add_listings": [{"listing_id": "x", "company_id": "ghost", "kind": "offer"}]})
    assert bad.status_code == 422 and "ghost" in bad.text
    # The stored listings are untouched by scenarios.
    listings = api.client.get(f"{V1}/listings", headers=fac).json()["data"]
    assert sorted(item["listing_id"] for item in listings) == ["asnaes-gypsum", "boardco-gypsum", "gyproc-gypsum"]


@pytest.mark.parametrize("extra", ['"note": "a\\ud800b"', '"note": NaN', '"note": Infinity', '"note": "Ac\\u0000me"',
                                   '"a\\ud800b": "x"', '"n\\u0000te": "x"'])
def test_a_scenario_cell_no_database_can_store_is_a_422_and_the_list_still_reads(region, extra):
    # A lone surrogate, a NUL or a non-finite number, as a value or a column name: refused before
    # anything is stored, on every database, so the facilitator's and planners' lists keep working.
    api, fac = region.api, region.facilitator
    planner = api.key("planner")
    body = ('{"name": "s", "add_companies": [{"company_id": "newco", "name": "New", "nace": "23.62", "lat": 55.65, '
            '"lon": 11.1, ' + extra + '}]}')
    answer = api.client.post(f"{V1}/analytics/scenarios", content=body,
                             headers={**planner, "Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"] and "add_companies" in answer.text
    for headers in (planner, fac):
        listed = api.client.get(f"{V1}/analytics/scenarios", headers=headers)
        assert listed.status_code == 200 and listed.json()["count"] == 0, listed.text


def test_processor_site_and_marginal_values_for_open_supply(region):
    api = region.api
    site = api.client.get(f"{V1}/analytics/processor-site", params={"material": "10 01 05"},
                          headers=region.facilitator)
    # All gypsum is taken by the two needs in reach: nothing is left unmatched.
    assert site.status_code == 400 and "no unmatched supply" in site.text
    values = api.client.get(f"{V1}/analytics/marginal-values", headers=region.facilitator).json()
    by_listing = {row["listing_id"]: row["value"] for row in values["listings"]}
    # 150,000 t offered, 130,000 t needed: the needs bind, each more tonne of need is worth 2 t.
    assert by_listing == {"asnaes-gypsum": 0.0, "gyproc-gypsum": pytest.approx(2.0),
                          "boardco-gypsum": pytest.approx(2.0)}
    planner = api.client.get(f"{V1}/analytics/marginal-values", headers=api.key("planner")).json()
    assert planner["listings"] is None and planner["by_area"]


# --- regression tests of what planners could read or work out -----------------------------------------

#: Quantities that no rounding leaves as they are.
ODD = {"asnaes-gypsum": 151_234, "gyproc-gypsum": 101_357, "boardco-gypsum": 31_789}
#: A fourth company whose fly ash nobody in the region takes.
ASHCO = {"company_id": "ashco", "name": "Ash Company", "nace": "35.11", "lat": 55.4321, "lon": 11.5678,
         "municipality": "Slagelse"}


@pytest.fixture
def odd(region):
    """The three-company region with odd quantities, after a round whose proposals were sent, and an
    offer of fly ash that nobody takes."""
    api, fac = region.api, region.facilitator
    for listing_id, quantity in ODD.items():
        response = api.client.patch(f"{V1}/listings/{listing_id}", json={"quantity": quantity},
                                    headers={**fac, "If-Match": '"1"'})
        assert response.status_code == 200, response.text
    assert api.client.post(f"{V1}/companies", json=ASHCO, headers=fac).status_code == 201
    ash = {"listing_id": "ashco-ash", "company_id": "ashco", "kind": "offer", "material": "10 01 02",
           "quantity": 12_345, "unit": "t/yr"}
    assert api.client.post(f"{V1}/listings", json=ash, headers=fac).status_code == 201
    round_id = api.client.post(f"{V1}/rounds", json={"name": "odd"}, headers=fac).json()["id"]
    assert api.wait(round_id, fac)["status"] == "succeeded"
    assert api.client.post(f"{V1}/rounds/{round_id}/send", headers=fac).json() == {"sent": 2}
    return region


def _exact_degrees(region) -> dict[str, float]:
    nodes = region.api.client.get(f"{V1}/analytics/network", headers=region.facilitator).json()["nodes"]
    return {n["company_id"]: n["weighted_degree"] for n in nodes}


def test_planners_never_see_the_exact_weighted_degree_of_a_company(odd):
    api, planner = odd.api, odd.api.key("planner")
    exact = _exact_degrees(odd)
    assert not _is_rounded(exact["asnaes"]) and not _is_rounded(exact["gyproc"])
    network = api.client.get(f"{V1}/analytics/network", headers=planner).json()["nodes"]
    text = api.client.get(f"{V1}/analytics/export/csv?table=companies", headers=planner).text
    companies = list(csv.DictReader(io.StringIO(text)))
    geojson = api.client.get(f"{V1}/analytics/export/geojson", headers=planner).json()["features"]
    points = [f["properties"] for f in geojson if f["properties"]["kind"] == "company"]
    for source in (network, companies, points):
        shown = sorted(float(row["weighted_degree"]) for row in source)
        assert all(_is_rounded(value) for value in shown), shown
        assert not set(shown) & {v for v in exact.values() if v}, shown


def test_planners_see_company_points_and_processor_sites_on_grid_cell_centres_only(odd):
    api, planner = odd.api, odd.api.key("planner")
    exact = {(55.6626, 11.0808), (55.683, 11.108), (55.60, 11.30), (ASHCO["lat"], ASHCO["lon"])}  # every site
    site = api.client.get(f"{V1}/analytics/processor-site", params={"material": "10 01 02"},
                          headers=odd.facilitator).json()
    assert (site["lat"], site["lon"]) == (ASHCO["lat"], ASHCO["lon"])  # the site is the only supplier's own
    shown = api.client.get(f"{V1}/analytics/processor-site", params={"material": "10 01 02"}, headers=planner).json()
    assert (shown["lat"], shown["lon"]) == (55.435, 11.565) and (shown["lat"], shown["lon"]) not in exact
    assert shown["quantity"] == 10_000.0 and shown["offers"] is None
    features = api.client.get(f"{V1}/analytics/export/geojson", headers=planner).json()["features"]
    for feature in features:
        coordinates = feature["geometry"]["coordinates"]
        for lon, lat in ([coordinates] if feature["geometry"]["type"] == "Point" else coordinates):
            assert (lat, lon) not in exact and round(lat * 1000) % 10 == 5 and round(lon * 1000) % 10 == 5


def test_planners_see_no_single_listing_quantity_in_marginal_values_by_area(odd):
    api, planner = odd.api, odd.api.key("planner")
    full = api.client.get(f"{V1}/analytics/marginal-values", headers=odd.facilitator).json()["by_area"]
    assert {row["quantity"] for row in full} >= {12_345.0}
    rows = api.client.get(f"{V1}/analytics/marginal-values", headers=planner).json()["by_area"]
    assert rows and all(row["suppressed"] for row in rows)  # every area is one company here
    assert all(row["quantity"] is None and row["max_value"] is None for row in rows)


def test_resilience_figures_give_no_exact_figure_by_arithmetic(odd):
    api, planner = odd.api, odd.api.key("planner")
    hub = next(n["company_id"] for n in api.client.get(f"{V1}/analytics/network", headers=planner).json()["nodes"]
               if n["degree"] == 2)
    exact = api.client.post(f"{V1}/analytics/resilience", json={"remove": ["asnaes"]},
                            headers=odd.facilitator).json()
    body = api.client.post(f"{V1}/analytics/resilience", json={"remove": [hub]}, headers=planner).json()
    for part in ("before", "after", "lost"):  # (null: unknown for every exchange)
        assert all(v is None or _is_rounded(v) for v in body[part].values()), part
    assert body["change"] == {k: None if body["after"][k] is None or body["before"][k] is None
                              else body["after"][k] - body["before"][k] for k in body["before"]}
    regained = body["after"]["diverted_t"] - (body["before"]["diverted_t"] - body["lost_diverted_t"])
    assert body["regained_diverted_t"] == regained and body["lost_diverted_t"] == body["lost"]["diverted_t"]
    # The exact lost tonnes cannot be worked out of before, after and recovery.
    assert exact["lost"]["waste_t"] == 133_146.0 and body["lost"]["waste_t"] == 100_000.0
    if body["recovery"] not in (None, 1.0):
        assert not math.isclose(body["change"]["diverted_t"] / (body["recovery"] - 1), exact["lost_diverted_t"])


def test_totals_minus_the_shown_groups_never_give_a_withheld_group(odd):
    api, planner = odd.api, odd.api.key("planner")
    for proposal in api.client.get(f"{V1}/proposals", headers=odd.facilitator).json()["data"]:
        for side in ("supplier_id", "receiver_id"):
            accepted = api.client.post(f"{V1}/proposals/{proposal['id']}/accept",
                                       headers=odd.companies[proposal[side]])
            assert accepted.status_code == 200, accepted.text
    for path in ("exchanges/totals?by=municipality&status=all", "stats/listings", "analytics/aggregates?by=branch",
                 "analytics/unmatched-supply"):
        body = api.client.get(f"{V1}/{path}", headers=planner).json()
        rows = body["data"]
        # The counts as the facilitator sees them (a planner sees none for a withheld listing group).
        counts = [row["companies"] for row in api.client.get(f"{V1}/{path}", headers=odd.facilitator).json()["data"]]
        assert len(counts) == len(rows)
        withheld = [n for row, n in zip(rows, counts) if row["suppressed"]]
        if len(withheld) == len(rows):  # nothing shown: no total either unless enough companies make it up
            assert body.get("total") is None or sum(counts) >= 3, (path, body)
            continue
        assert len(withheld) != 1, (path, rows)
        if withheld:
            assert sum(withheld) >= 3, (path, rows)
    # Both exchanges are the one supplier's: three companies, but the figure is that supplier's total.
    totals = api.client.get(f"{V1}/exchanges/totals?by=municipality&status=all", headers=planner).json()
    assert [(row["key"], row["suppressed"]) for row in totals["data"]] == [("Kalundborg", True)]
    assert totals["total"] is None


def test_a_group_one_supplier_makes_up_is_withheld_however_many_receivers(odd):
    """One supplier and two receivers are three companies, but every tonne of the group is the
    supplier's: its exact total is withheld everywhere a planner could read it, and shown once the
    companies consent."""
    api, planner = odd.api, odd.api.key("planner")
    for proposal in api.client.get(f"{V1}/proposals", headers=odd.facilitator).json()["data"]:
        for side in ("supplier_id", "receiver_id"):
            api.client.post(f"{V1}/proposals/{proposal['id']}/accept", headers=odd.companies[proposal[side]])
    paths = ["exchanges/totals?by=round&status=all", "exchanges/totals?by=municipality&status=all",
             *(f"analytics/aggregates?by={by}" for by in ("municipality", "branch", "material"))]
    exact = api.client.get(f"{V1}/exchanges/totals?by=round&status=all", headers=odd.facilitator).json()
    waste = exact["total"]["waste_t"]
    assert waste and not _is_rounded(waste)
    for path in paths:
        body = api.client.get(f"{V1}/{path}", headers=planner)
        assert body.status_code == 200, body.text
        assert all(row["suppressed"] for row in body.json()["data"]), path
        assert str(waste).removesuffix(".0") not in body.text.replace(",", ""), path
    for company in ("asnaes", "gyproc", "boardco"):
        _consent(odd, company)
    shown = api.client.get(f"{V1}/analytics/aggregates?by=material", headers=planner).json()["data"]
    assert [row["suppressed"] for row in shown] == [False]



def test_planners_read_only_their_own_scenarios_and_never_real_company_ids(odd):
    api, fac = odd.api, odd.facilitator
    theirs = api.client.post(f"{V1}/analytics/scenarios", json={"name": "no gyproc", "remove_companies": ["gyproc"]},
                             headers=fac).json()
    planner, other = api.key("planner"), api.key("planner")
    hub = next(n["company_id"] for n in api.client.get(f"{V1}/analytics/network", headers=planner).json()["nodes"]
               if n["degree"] == 2)
    mine = api.client.post(f"{V1}/analytics/scenarios", json={"name": "mine", "remove_companies": [hub]},
                           headers=planner)
    assert mine.status_code == 201, mine.text
    listed = api.client.get(f"{V1}/analytics/scenarios", headers=planner).json()
    assert [s["name"] for s in listed["data"]] == ["mine"] and "gyproc" not in str(listed)
    assert api.client.get(f"{V1}/analytics/scenarios/{theirs['id']}", headers=planner).status_code == 404
    assert api.client.get(f"{V1}/analytics/scenarios/compare?ids={theirs['id']}", headers=planner).status_code == 404
    assert api.client.get(f"{V1}/analytics/scenarios", headers=other).json()["count"] == 0
    assert api.client.get(f"{V1}/analytics/scenarios/{mine.json()['id']}", headers=other).status_code == 404
    assert len(api.client.get(f"{V1}/analytics/scenarios", headers=fac).json()["data"]) == 2


#: A made-up company beside the gypsum offer with a need far larger than the region's gypsum.
GYPSUM_PROBE = {"name": "probe", "add_companies": [{"company_id": "probe", "name": "Probe", "nace": "23.62",
                                                    "lat": 55.66, "lon": 11.08, "municipality": "Kalundborg"}],
                "add_listings": [{"listing_id": "probe-gypsum", "company_id": "probe", "kind": "need",
                                  "material": "gypsum", "quantity": 1_000_000, "unit": "t/yr"}]}


def test_a_planners_probe_scenario_gives_no_exact_unmatched_quantity(odd):
    api, planner = odd.api, odd.api.key("planner")
    # A huge need beside the gypsum offer would take exactly what is left of it: 151,234 - 133,146 t.
    probe = GYPSUM_PROBE
    exact = api.client.post(f"{V1}/analytics/scenarios", json=probe, headers=odd.facilitator).json()
    assert exact["change"]["waste_t"] == 18_088.0
    shown = api.client.post(f"{V1}/analytics/scenarios", json=probe, headers=planner)
    assert shown.status_code == 201, shown.text
    body = shown.json()
    assert all(v is None or _is_rounded(v) for part in ("before", "after") for v in body[part].values())
    assert body["change"] == {k: None if body["after"][k] is None or body["before"][k] is None
                              else body["after"][k] - body["before"][k] for k in body["before"]}
    assert body["change"]["waste_t"] != 18_088.0
    # Planners name existing companies by their pseudonyms, never by guessed real ids.
    guessed = {**probe, "add_listings": [{**probe["add_listings"][0], "company_id": "asnaes"}]}
    refused = api.client.post(f"{V1}/analytics/scenarios", json=guessed, headers=planner)
    assert refused.status_code == 422 and "'asnaes' is not in the network" in refused.text
    clash = {**probe, "add_companies": [{**probe["add_companies"][0], "company_id": "gyproc"}],
             "add_listings": [{**probe["add_listings"][0], "company_id": "gyproc"}]}
    assert api.client.post(f"{V1}/analytics/scenarios", json=clash, headers=planner).status_code == 201


def test_planner_and_facilitator_csv_exports_carry_no_formulas(region):
    api, fac = region.api, region.facilitator
    version = api.client.get(f"{V1}/companies/asnaes", headers=fac).json()["version"]
    renamed = api.client.patch(f"{V1}/companies/asnaes", headers=fac, json={
        "name": '=HYPERLINK("http://evil.example","click")', "municipality": "+1", "version": version})
    assert renamed.status_code == 200, renamed.text
    text = api.client.get(f"{V1}/analytics/export/csv?table=companies", headers=fac).text
    rows = {row["company_id"]: row for row in csv.DictReader(io.StringIO(text))}
    assert rows["asnaes"]["name"] == "\'=HYPERLINK(\"http://evil.example\",\"click\")"
    assert rows["asnaes"]["municipality"] == "\'+1" and float(rows["asnaes"]["lat"]) == 55.6626


def test_the_network_says_how_betweenness_was_computed_and_is_cached_until_the_data_change(proposed, monkeypatch):
    api, fac = proposed.api, proposed.facilitator
    for thread in threading.enumerate():  # the round's warm-up of the analytics has finished
        if thread.name.startswith("after-round-"):
            thread.join(timeout=120)
    calls = []
    graph = analytics_routes.company_graph
    monkeypatch.setattr(analytics_routes, "company_graph", lambda *a, **k: calls.append(1) or graph(*a, **k))
    analytics_routes.CACHE.clear()
    first = api.client.get(f"{V1}/analytics/network", headers=fac).json()
    assert first["betweenness"] == {"method": "exact", "sample": None, "seed": None, "threshold": 3000}
    for path in ("network", "keystones", "keystones?dependency_share=0.9", "export/graphml", "export/geojson"):
        assert api.client.get(f"{V1}/analytics/{path}", headers=fac).status_code == 200
    assert len(calls) == 1  # one graph for every view of this version of the data
    planner = api.key("planner")
    assert api.client.get(f"{V1}/analytics/network", headers=planner).json()["private"] is True
    assert len(calls) == 1  # the planner's view is made from the same results
    _consent(proposed, "gyproc")  # a change of the data: computed again, and the planner sees the name
    nodes = api.client.get(f"{V1}/analytics/network", headers=planner).json()["nodes"]
    assert len(calls) == 2 and "gyproc" in {n["company_id"] for n in nodes}


def test_exports_are_directed_labelled_graphml_and_valid_separable_geojson(proposed):
    api, fac, planner = proposed.api, proposed.facilitator, proposed.api.key("planner")
    graph = nx.parse_graphml(api.client.get(f"{V1}/analytics/export/graphml", headers=fac).text)
    assert graph.is_directed() and ("asnaes", "gyproc") in graph.edges and ("gyproc", "asnaes") not in graph.edges
    assert graph.nodes["asnaes"]["label"] == "Asnæs Power Station" and graph.nodes["asnaes"]["keystone_rank"] >= 1
    edge = graph.edges["asnaes", "gyproc"]
    assert edge["quantity"] == 100000.0 and edge["unit"] and edge["weight"] > 0
    assert {"degree", "weighted_degree", "betweenness"} <= set(graph.nodes["asnaes"])
    private = nx.parse_graphml(api.client.get(f"{V1}/analytics/export/graphml", headers=planner).text)
    assert {data["label"] for _, data in private.nodes(data=True)} == {"n1", "n2", "n3"}
    for headers in (fac, planner):
        whole = api.client.get(f"{V1}/analytics/export/geojson", headers=headers).json()
        assert geojson_problems(whole) == [] and whole["same_site_exchanges"] == 0
        for layer, geometry in (("companies", "Point"), ("exchanges", "LineString")):
            response = api.client.get(f"{V1}/analytics/export/geojson?layer={layer}", headers=headers)
            assert f"network_{layer}.geojson" in response.headers["content-disposition"]
            collection = response.json()
            assert geojson_problems(collection, single_type=True) == []
            assert {f["geometry"]["type"] for f in collection["features"]} == {geometry}
    bad = api.client.get(f"{V1}/analytics/export/geojson?layer=roads", headers=fac)
    assert bad.status_code == 422 and "layer" in bad.text


def test_the_planner_workbook_has_every_table_and_no_names_for_a_planner(proposed):
    import io

    import openpyxl

    api = proposed.api
    for key, private in ((proposed.facilitator, False), (api.key("planner"), True)):
        answer = api.client.get(f"{V1}/analytics/export/xlsx", headers=key)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
        book = openpyxl.load_workbook(io.BytesIO(answer.content))
        assert {"companies", "exchanges", "keystones", "by municipality", "by branch", "by material"} <= set(book.sheetnames)
        text = " ".join(str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row)
        assert any(name in text for name in NAMES) is not private


def test_a_finished_round_warms_the_planner_s_first_view(region):
    """After a round the network, keystones, aggregates and the open listings' match are computed for
    the new data, so the planner's first view reads them from the cache."""
    import time

    from service.api.routes.analytics import CACHE

    created = region.api.client.post(f"{V1}/rounds", json={"name": "warm"}, headers=region.facilitator)
    region.api.wait(created.json()["id"], region.facilitator)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not {"network", "open-match"} <= set(CACHE._results):
        time.sleep(0.1)
    assert {"region", "network", "open-match", ("aggregates", "material")} <= set(CACHE._results)
    hits = CACHE.hits
    planner = region.api.key("planner")
    assert region.api.client.get(f"{V1}/analytics/network", headers=planner).status_code == 200
    assert CACHE.hits > hits


def test_planners_cannot_name_or_probe_listing_ids_of_companies_that_do_not_consent(odd):
    """A listing id usually carries its company's name: a planner's scenario may not remove it, nor
    learn from the answer whether it exists; an added listing's id never clashes with the region's."""
    api, planner = odd.api, odd.api.key("planner")
    answers = [api.client.post(f"{V1}/analytics/scenarios", json={"name": "x", "remove_listings": [listing]},
                               headers=planner) for listing in ("asnaes-gypsum", "no-such-listing")]
    assert [a.status_code for a in answers] == [422, 422]
    reasons = [a.json()["errors"][0]["reason"].replace(listing, "ID")
               for a, listing in zip(answers, ("asnaes-gypsum", "no-such-listing"))]
    assert reasons[0] == reasons[1] and "not one a planner may name" in reasons[0]
    probe = {"name": "probe", "add_companies": [{"company_id": "probe", "name": "Probe", "nace": "23.62",
                                                 "lat": 55.66, "lon": 11.08, "municipality": "Kalundborg"}],
             "add_listings": [{"listing_id": "gyproc-gypsum", "company_id": "probe", "kind": "need",
                               "material": "gypsum", "quantity": 1_000, "unit": "t/yr"}]}
    added = api.client.post(f"{V1}/analytics/scenarios", json=probe, headers=planner)
    assert added.status_code == 201, added.text  # no "already exists": the real id is never met
    # A consenting company's listings are the planner's to name.
    _consent(odd, "asnaes")
    removed = api.client.post(f"{V1}/analytics/scenarios", json={"name": "y", "remove_listings": ["asnaes-gypsum"]},
                              headers=planner)
    assert removed.status_code == 201, removed.text
    # A facilitator names any listing, and gets the region's own answer.
    assert api.client.post(f"{V1}/analytics/scenarios", json={"name": "z", "remove_listings": ["no-such-listing"]},
                           headers=odd.facilitator).status_code == 422


def test_a_planners_made_up_listing_never_exchanges_with_a_company_that_does_not_consent(odd):
    """Moved scenario after scenario, a probe listing would read a company's own settings off the totals
    (its distance limit, minimum lot, price): it exchanges only with consenting companies."""
    api, planner = odd.api, odd.api.key("planner")
    probe = GYPSUM_PROBE
    facilitator_view = api.client.post(f"{V1}/analytics/scenarios", json=probe, headers=odd.facilitator).json()
    assert facilitator_view["change"]["waste_t"] > 0  # the probe takes the gypsum left over
    blocked = api.client.post(f"{V1}/analytics/scenarios", json=probe, headers=planner).json()
    assert blocked["change"]["waste_t"] == 0 and blocked["change"]["exchanges"] == 0  # nothing it may take
    _consent(odd, "asnaes")  # the gypsum's supplier consents: the probe may take it now
    allowed = api.client.post(f"{V1}/analytics/scenarios", json=probe, headers=planner).json()
    assert allowed["change"]["exchanges"] != 0 and allowed["after"] != blocked["after"]

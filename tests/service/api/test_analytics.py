"""Network analytics over the API: what planners may see of single companies, and saved scenarios."""

from __future__ import annotations

import networkx as nx
import pytest

from analytics.disclosure import round_significant

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
    assert not all(_is_rounded(e["co2e_t"]) for e in network["edges"])


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
    # A group that three companies make up (SYMBIOSIS_PLANNER_MIN_COMPANIES) is shown in full.
    material = api.client.get(f"{V1}/analytics/aggregates?by=material", headers=planner).json()["data"]
    assert [(row["key"], row["companies"], row["suppressed"], row["waste_t"]) for row in material] == [
        ("10 01 05", 3, False, 130000.0)]
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
    assert edges[("asnaes", "gyproc")]["co2e_t"] == exact[("asnaes", "gyproc")]["co2e_t"]
    assert _is_rounded(edges[("asnaes", "n1")]["co2e_t"])
    assert edges[("asnaes", "n1")]["co2e_t"] != exact[("asnaes", "boardco")]["co2e_t"]


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
    listed = api.client.get(f"{V1}/analytics/scenarios", headers=api.key("planner")).json()
    assert [s["name"] for s in listed["data"]] == ["no gyproc", "second plasterboard line"]
    compared = api.client.get(f"{V1}/analytics/scenarios/compare?ids={first['id']},{closed['id']}", headers=fac).json()
    waste = next(row for row in compared["rows"] if row["metric"] == "waste_t")
    assert waste["second plasterboard line: change"] == 20000.0 and waste["no gyproc: change"] == -100000.0
    assert api.client.get(f"{V1}/analytics/scenarios/{first['id']}", headers=fac).json()["name"] == more["name"]
    bad = api.client.post(f"{V1}/analytics/scenarios", headers=fac, json={
        "name": "bad", "add_listings": [{"listing_id": "x", "company_id": "ghost", "kind": "offer"}]})
    assert bad.status_code == 422 and "ghost" in bad.text
    # The stored listings are untouched by scenarios.
    listings = api.client.get(f"{V1}/listings", headers=fac).json()["data"]
    assert sorted(item["listing_id"] for item in listings) == ["asnaes-gypsum", "boardco-gypsum", "gyproc-gypsum"]


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

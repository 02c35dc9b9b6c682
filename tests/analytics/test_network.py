"""Network analytics on a hand-built network: branches, clusters, centralities, keystones, aggregates, exports."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest

from analytics.aggregates import aggregate_indicators
from analytics.branches import nace_branch
from analytics.disclosure import Privacy
from analytics.exports import to_geojson, to_graphml
from analytics.network import company_graph, keystone_ranking, network_metrics
from symbiosis.errors import AnalyticsError
from symbiosis.schema import INDICATORS

COMPANIES = pd.DataFrame({
    "company_id": ["A", "B", "C", "D", "E"],
    "name": ["Alpha Foods", "Beta Board", "Gamma Power", "Delta Steel", "Epsilon Repair"],
    "nace": ["10.11", "23.51", "35.11", "24.10", "33.12"],
    "lat": [55.0, 55.1, 55.2, 55.3, 56.0],
    "lon": [10.0, 10.1, 10.2, 10.3, 11.0],
    "municipality": ["X", "X", "Y", "Y", "Z"],
}).set_index("company_id")


def _exchange(supplier, receiver, material, quantity, waste, resource, co2e=0.0, transport=0.0):
    row = {"supplier_id": supplier, "receiver_id": receiver, "material": material, "quantity_canonical": quantity,
           "offer_id": f"{supplier}-{material}", "need_id": f"{receiver}-{material}"}
    row.update({name: 0.0 for name in INDICATORS})
    row.update(waste_t=waste, resource_t=resource, co2e_t=co2e, transport_co2e_t=transport)
    return row


#: A path A - B - C - D (C and D exchange both ways) and E alone.
EXCHANGES = pd.DataFrame([
    _exchange("A", "B", "m1", 100.0, 100.0, 0.0, co2e=12.5, transport=1.0),
    _exchange("B", "C", "m2", 50.0, 0.0, 47.0, co2e=3.0, transport=0.5),
    _exchange("C", "D", "m1", 10.0, 10.0, 0.0),
    _exchange("D", "C", "m2", 5.0, 5.0, 0.0),
])


def test_nace_codes_map_to_their_branch_group_and_others_to_other():
    codes = pd.Series(["10.11", "12", "13.92", "23.51", "24.10", "30.11", "33.12", "35.11", "01.11"])
    assert list(nace_branch(codes)) == ["CA", "CA", "CB", "CG", "CH", "CL", "CM", "other", "other"]


def test_graph_joins_companies_that_exchange_in_either_direction_with_summed_edges():
    g = company_graph(EXCHANGES, COMPANIES)
    assert set(g.nodes) == {"A", "B", "C", "D", "E"}
    assert {frozenset(e) for e in g.edges} == {frozenset("AB"), frozenset("BC"), frozenset("CD")}
    cd = g.edges["C", "D"]
    assert cd["exchanges"] == 2 and cd["materials"] == "m1,m2" and cd["diverted_t"] == 15.0
    assert g.nodes["B"]["branch"] == "CG" and g.nodes["E"]["municipality"] == "Z"


def test_exchanges_naming_an_unknown_company_are_an_error():
    with pytest.raises(AnalyticsError, match="Q"):
        company_graph(pd.concat([EXCHANGES, pd.DataFrame([_exchange("A", "Q", "m1", 1, 1, 0)])]), COMPANIES)


def test_metrics_give_clusters_degrees_and_exact_betweenness():
    metrics = network_metrics(company_graph(EXCHANGES, COMPANIES))
    assert metrics.loc[["A", "B", "C", "D"], "component"].tolist() == [1, 1, 1, 1]
    assert metrics.loc["E", "component"] == 2 and metrics.loc["E", "component_size"] == 1
    assert metrics.loc["A", "component_size"] == 4
    assert metrics["degree"].to_dict() == {"A": 1, "B": 2, "C": 2, "D": 1, "E": 0}
    assert metrics["weighted_degree"].to_dict() == {"B": 147.0, "C": 62.0, "A": 100.0, "D": 15.0, "E": 0.0}
    # B and C each lie on 2 of the C(4, 2) = 6 pairs of the other four nodes: 2 / ((5-1)(5-2)/2) = 1/3.
    assert metrics.loc["B", "betweenness"] == pytest.approx(1 / 3)
    assert metrics.loc["C", "betweenness"] == pytest.approx(1 / 3)
    assert metrics.loc["A", "betweenness"] == 0.0
    assert metrics.loc["B", "degree_centrality"] == pytest.approx(2 / 4)


def test_keystones_count_direct_exchanges_and_those_of_dependent_companies():
    # B gets all its m1 from A; C gets 50 of its 55 m2 from B; D gets all its m1 from C.
    # D's 5 of C's m2 is below half, so C does not depend on D.
    table = keystone_ranking(EXCHANGES, company_graph(EXCHANGES, COMPANIES), dependency_share=0.5)
    assert table.loc["A", "direct_diverted_t"] == 100.0
    assert table.loc["A", "dependants"] == 3
    assert table.loc["A", "knock_on_diverted_t"] == 47.0 + 10.0 + 5.0
    assert table.loc["B", "direct_diverted_t"] == 147.0 and table.loc["B", "knock_on_diverted_t"] == 15.0
    assert table.loc["C", "knock_on_diverted_t"] == 0.0 and table.loc["C", "total_diverted_t"] == 62.0
    assert table.loc["D", "dependants"] == 0 and table.loc["D", "total_diverted_t"] == 15.0
    assert table.loc["E", "total_exchanges"] == 0
    assert table.loc["A", "co2e_t"] == 15.5 and table.loc["A", "transport_co2e_t"] == 1.5
    # A and B both carry 162 t; B ranks first by its larger direct share.
    assert list(table.index[:2]) == ["B", "A"] and table["rank"].tolist() == [1, 2, 3, 4, 5]


def test_a_higher_dependency_share_cuts_the_chains():
    table = keystone_ranking(EXCHANGES, company_graph(EXCHANGES, COMPANIES), dependency_share=0.95)
    # Only the 100 % dependencies remain: A -> B and C -> D; B no longer carries C's m2.
    assert table.loc["A", "dependants"] == 1 and table.loc["A", "knock_on_diverted_t"] == 47.0
    assert table.loc["B", "dependants"] == 0


def test_aggregates_sum_by_supplier_municipality_branch_and_material():
    by_municipality = aggregate_indicators(EXCHANGES, COMPANIES, "municipality")
    assert by_municipality.loc["X", "diverted_t"] == 147.0 and by_municipality.loc["X", "exchanges"] == 2
    assert by_municipality.loc["X", "companies"] == 3 and by_municipality.loc["Y", "diverted_t"] == 15.0
    assert by_municipality.loc["X", "co2e_t"] == 15.5
    by_branch = aggregate_indicators(EXCHANGES, COMPANIES, "branch")
    assert by_branch["diverted_t"].to_dict() == {"CA": 100.0, "CG": 47.0, "other": 10.0, "CH": 5.0}
    by_material = aggregate_indicators(EXCHANGES, COMPANIES, "material")
    assert by_material["waste_t"].to_dict() == {"m1": 110.0, "m2": 5.0}
    received = aggregate_indicators(EXCHANGES, COMPANIES, "municipality", side="receiver")
    assert received["diverted_t"].to_dict() == {"X": 100.0, "Y": 62.0}
    with pytest.raises(AnalyticsError, match="nace"):
        aggregate_indicators(EXCHANGES, COMPANIES, "nace")


# --- exports --------------------------------------------------------------------------------------


def test_geojson_has_points_and_lines_and_hides_non_consenting_companies():
    plain = to_geojson(COMPANIES, EXCHANGES)
    kinds = [f["properties"]["kind"] for f in plain["features"]]
    assert kinds.count("company") == 5 and kinds.count("exchange") == 4
    line = next(f for f in plain["features"] if f["properties"]["kind"] == "exchange")
    assert line["geometry"] == {"type": "LineString", "coordinates": [[10.0, 55.0], [10.1, 55.1]]}
    private = to_geojson(COMPANIES, EXCHANGES, privacy=Privacy(frozenset({"A", "B"})))
    companies = {f["properties"]["company_id"]: f["properties"] for f in private["features"]
                 if f["properties"]["kind"] == "company"}
    assert companies["A"]["name"] == "Alpha Foods" and set(companies) - {"A", "B"} == {"n1", "n2", "n3"}
    assert all(companies[n]["name"] is None for n in ("n1", "n2", "n3"))
    text = str(private)
    assert "Gamma" not in text and "'C'" not in text and "C-m1" not in text
    lines = [f["properties"] for f in private["features"] if f["properties"]["kind"] == "exchange"]
    assert lines[0]["diverted_t"] == 100.0 and lines[0]["offer_id"] == "A-m1"  # both consent: exact
    assert lines[1]["resource_t"] == 50.0 and lines[1]["offer_id"] is None  # B -> C: rounded from 47


def test_graphml_round_trip_keeps_nodes_edges_and_attributes(tmp_path):
    g = company_graph(EXCHANGES, COMPANIES)
    back = nx.read_graphml(to_graphml(g, tmp_path / "network.graphml"))
    assert set(back.nodes) == set(g.nodes) and back.number_of_edges() == 3
    assert back.nodes["B"]["name"] == "Beta Board" and back.nodes["B"]["branch"] == "CG"
    assert back.edges["C", "D"]["diverted_t"] == 15.0 and back.edges["C", "D"]["materials"] == "m1,m2"
    private = nx.read_graphml(to_graphml(g, tmp_path / "private.graphml", privacy=Privacy()))
    assert set(private.nodes) == {"n1", "n2", "n3", "n4", "n5"}
    assert all("name" not in data for _, data in private.nodes(data=True))

"""Network analytics on a hand-built network: branches, clusters, centralities, keystones, aggregates, exports."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from analytics.aggregates import aggregate_indicators
from analytics.branches import nace_branch
from analytics.disclosure import Privacy
from analytics.cache import AnalyticsCache
from analytics.exports import export_graph, graphml_text, to_geojson, write_graphml
from analytics.network import (
    BetweennessMethod, betweenness, betweenness_method, company_graph, dependency_graph, keystone_ranking,
    network_metrics,
)
from tests.helpers import geojson_problems
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


def test_graphml_is_directed_with_labels_weights_units_and_node_metrics(tmp_path):
    g = company_graph(EXCHANGES, COMPANIES)
    metrics, keystones = network_metrics(g), keystone_ranking(EXCHANGES, g)
    exchanges = EXCHANGES.assign(quantity=EXCHANGES["quantity_canonical"], unit=["t/yr", "t/yr", "t/yr", "m3/yr"])
    back = nx.read_graphml(write_graphml(export_graph(COMPANIES, exchanges, metrics, keystones),
                                         tmp_path / "network.graphml"))
    assert back.is_directed() and set(back.nodes) == set("ABCDE")
    assert set(back.edges) == {("A", "B"), ("B", "C"), ("C", "D"), ("D", "C")}  # supplier -> receiver
    assert back.nodes["B"]["label"] == "Beta Board" and back.nodes["B"]["branch"] == "CG"
    assert back.nodes["B"]["degree"] == 2 and back.nodes["B"]["weighted_degree"] == 147.0
    assert back.nodes["B"]["betweenness"] == pytest.approx(1 / 3) and back.nodes["B"]["keystone_rank"] == 1
    assert back.edges["A", "B"]["weight"] == 100.0 and back.edges["A", "B"]["unit"] == "t/yr"
    assert back.edges["A", "B"]["quantity"] == 100.0 and back.edges["A", "B"]["quantities"] == "100 t/yr m1"
    assert back.edges["D", "C"]["quantities"] == "5 m3/yr m2" and back.edges["C", "D"]["weight"] == 10.0
    private = nx.read_graphml(write_graphml(export_graph(COMPANIES, exchanges, metrics, keystones, Privacy(), g),
                                            tmp_path / "private.graphml"))
    assert set(private.nodes) == {"n1", "n2", "n3", "n4", "n5"}
    assert all("name" not in data and data["label"] == node for node, data in private.nodes(data=True))
    text = (tmp_path / "private.graphml").read_text()
    assert not any(name in text for name in COMPANIES["name"])
    weights = sorted(d["weight"] for _, _, d in private.edges(data=True))
    assert weights == [5.0, 10.0, 50.0, 100.0]  # 47 t rounded to one significant digit
    assert sorted(d["weighted_degree"] for _, d in private.nodes(data=True)) == [0.0, 20.0, 60.0, 100.0, 100.0]


def test_graphml_text_reads_back_as_networkx_writes_it_with_markup_and_controls_in_names():
    companies = COMPANIES.assign(name=["A <&> \"B\"", "tab\there", "bell\x07", "Ærø", "x"])
    g = company_graph(EXCHANGES, companies)
    graph = export_graph(companies, EXCHANGES, network_metrics(g), keystone_ranking(EXCHANGES, g), graph=g)
    ours = nx.parse_graphml(graphml_text(graph))
    theirs = nx.parse_graphml("\n".join(nx.generate_graphml(nx.relabel_nodes(graph, str))).replace("\x07", ""))
    assert dict(ours.nodes(data=True)) == {n: {**d, "name": d["name"].replace("\x07", ""), "label": d["label"].replace(
        "\x07", "")} for n, d in theirs.nodes(data=True)}
    assert ours.nodes["A"]["label"] == 'A <&> "B"' and ours.nodes["C"]["label"] == "bell"
    assert {(u, v): d for u, v, d in ours.edges(data=True)} == {(u, v): d for u, v, d in theirs.edges(data=True)}


def test_geojson_is_valid_separable_and_draws_no_zero_length_line():
    same_site = COMPANIES.copy()
    same_site.loc["D", ["lat", "lon"]] = same_site.loc["C", ["lat", "lon"]].to_numpy()
    collection = to_geojson(same_site, EXCHANGES)
    assert geojson_problems(collection) == []
    lines = [f for f in collection["features"] if f["properties"]["layer"] == "exchanges"]
    assert len(lines) == 2 and collection["same_site_exchanges"] == 2  # C <-> D share a site
    points = to_geojson(same_site, EXCHANGES, layer="companies")
    assert geojson_problems(points, single_type=True) == [] and len(points["features"]) == 5
    only_lines = to_geojson(same_site, EXCHANGES, layer="exchanges")
    assert geojson_problems(only_lines, single_type=True) == []
    assert {f["geometry"]["type"] for f in only_lines["features"]} == {"LineString"}
    # Under privacy two companies in one grid cell are one point: their line is left out too.
    near = COMPANIES.copy()
    near.loc["B", ["lat", "lon"]] = [55.0012, 10.0013]
    private = to_geojson(near, EXCHANGES, privacy=Privacy())
    assert geojson_problems(private) == [] and private["same_site_exchanges"] == 1
    with pytest.raises(AnalyticsError, match="layer"):
        to_geojson(COMPANIES, EXCHANGES, layer="roads")


def test_the_geojson_validator_catches_what_it_checks():
    line = {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[10, 55], [10, 55]]}}
    assert "zero length" in geojson_problems({"type": "FeatureCollection", "features": [line]})[0]
    point = {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [55.0, 190.0]}}
    assert "latitude" in geojson_problems({"type": "FeatureCollection", "features": [point]})[0]
    assert geojson_problems({"type": "FeatureCollection", "features": [], "crs": {}})
    mixed = {"type": "FeatureCollection", "features": [
        {**line, "geometry": {"type": "LineString", "coordinates": [[10, 55], [11, 55]]}},
        {**point, "geometry": {"type": "Point", "coordinates": [10, 55]}}]}
    assert geojson_problems(mixed) == [] and geojson_problems(mixed, single_type=True)


# --- at scale ------------------------------------------------------------------------------------


def _random_network(companies: int, exchanges: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = [f"c{i:03d}" for i in range(companies)]
    table = pd.DataFrame({"company_id": ids, "name": ids, "nace": "20.1", "lat": 55 + rng.random(companies),
                          "lon": 10 + rng.random(companies), "municipality": "M"}).set_index("company_id")
    ends = rng.integers(0, companies, size=(exchanges, 2))
    rows = [_exchange(ids[a], ids[b], f"m{rng.integers(3)}", float(rng.integers(1, 100)), float(rng.integers(0, 50)),
                      float(rng.integers(0, 50))) for a, b in ends if a != b]
    return table, pd.DataFrame(rows)


def test_betweenness_is_exact_below_the_threshold_and_sampled_above_it():
    companies, exchanges = _random_network(120, 200, seed=3)
    g = company_graph(exchanges, companies)
    exact = pd.Series(nx.betweenness_centrality(g))
    ours, method = betweenness(g, BetweennessMethod("exact", None, None))
    assert method.method == "exact" and np.allclose(ours.reindex(exact.index), exact, atol=1e-12)
    # Every company as a source: the sampled estimator is the exact figure.
    full, _ = betweenness(g, BetweennessMethod("sampled", 120, 7))
    assert np.allclose(full.reindex(exact.index), exact, atol=1e-12)
    sampled, used = betweenness(g, BetweennessMethod("sampled", 40, 7))
    again, _ = betweenness(g, BetweennessMethod("sampled", 40, 7))
    assert used.sample == 40 and sampled.equals(again) and not np.allclose(sampled, full.reindex(sampled.index))
    assert np.corrcoef(sampled.reindex(exact.index), exact)[0, 1] > 0.8
    assert betweenness_method(3000).method == "exact" and betweenness_method(3001).to_dict() == {
        "method": "sampled", "sample": 200, "seed": 0, "threshold": 3000}
    assert network_metrics(g).attrs["betweenness"].method == "exact"


def _keystones_by_loop(exchanges: pd.DataFrame, nodes, share: float) -> pd.DataFrame:
    """The definition, one company at a time: direct exchanges, and those of its descendants."""
    deps = dependency_graph(exchanges, share)
    diverted = (exchanges["waste_t"] + exchanges["resource_t"]).to_numpy()
    rows = {}
    for company in nodes:
        direct = ((exchanges["supplier_id"] == company) | (exchanges["receiver_id"] == company)).to_numpy()
        below = (nx.descendants(deps, company) if company in deps else set()) - {company}
        knock = ~direct & (exchanges["supplier_id"].isin(below) | exchanges["receiver_id"].isin(below)).to_numpy()
        rows[company] = (len(below), int(knock.sum()), float(diverted[knock].sum()), float(diverted[direct].sum()))
    return pd.DataFrame.from_dict(rows, orient="index",
                                  columns=["dependants", "knock_on_exchanges", "knock_on_diverted_t", "direct_diverted_t"])


@pytest.mark.parametrize("seed", [1, 2])
def test_the_vectorised_keystone_ranking_matches_the_definition_with_chains_and_cycles(seed):
    companies, exchanges = _random_network(60, 150, seed=seed)
    g = company_graph(exchanges, companies)
    table = keystone_ranking(exchanges, g, dependency_share=0.3)
    expected = _keystones_by_loop(exchanges, g.nodes, 0.3)
    assert expected["dependants"].max() > 2  # chains longer than one step
    pd.testing.assert_frame_equal(table[expected.columns].sort_index(), expected.sort_index(), check_dtype=False,
                                  check_names=False)


def test_the_cache_keeps_results_per_data_version_and_bounds_its_size():
    cache, calls = AnalyticsCache(entries=2), []

    def compute(value):
        calls.append(value)
        return value

    assert cache.get("v1", "a", lambda: compute(1)) == 1 and cache.get("v1", "a", lambda: compute(99)) == 1
    cache.get("v1", "b", lambda: compute(2))
    cache.get("v1", "c", lambda: compute(3))  # "a" was used least recently and leaves
    assert len(cache) == 2 and cache.get("v1", "a", lambda: compute(4)) == 4
    assert cache.get("v2", "a", lambda: compute(5)) == 5 and len(cache) == 1  # a new version empties it
    assert calls == [1, 2, 3, 4, 5] and (cache.hits, cache.misses) == (1, 5)
    with pytest.raises(ValueError):
        AnalyticsCache(entries=0)


def test_a_figure_unknown_for_every_exchange_is_unknown_in_totals_and_groups_not_zero():
    # Cooling water: no cited CO2 or energy factor, no price. The totals and the group figures say
    # unknown (None, NaN), never 0; a figure known for some exchanges sums those.
    from analytics.aggregates import indicator_changes, indicator_totals
    from solvers import match

    companies = pd.DataFrame({"company_id": ["a", "b"], "name": ["A", "B"], "nace": ["35.11", "24.10"],
                              "lat": [55.60, 55.61], "lon": [11.10, 11.11], "municipality": ["X", "Y"]})
    listings = pd.DataFrame({"listing_id": ["l1", "l2"], "company_id": ["a", "b"], "kind": ["offer", "need"],
                             "material": ["cooling-water", "cooling-water"], "quantity": [700000, 700000],
                             "unit": ["m3/yr", "m3/yr"]})
    exchanges = match(companies, listings).exchanges
    assert len(exchanges) == 1 and exchanges["co2e_t"].isna().all()
    totals = indicator_totals(exchanges)
    assert totals["co2e_t"] is None and totals["energy_mwh"] is None and totals["value_eur"] is None
    assert totals["water_m3"] == pytest.approx(700000) and totals["diverted_t"] == pytest.approx(700000)
    assert indicator_totals(exchanges.iloc[:0])["co2e_t"] == 0.0  # no exchange: nothing, known
    change = indicator_changes(totals, indicator_totals(exchanges.iloc[:0]))
    assert change["co2e_t"] is None and change["water_m3"] == pytest.approx(-700000)
    groups = aggregate_indicators(exchanges, companies.set_index("company_id"), "material")
    assert np.isnan(groups.loc["cooling-water", "co2e_t"]) and groups.loc["cooling-water", "water_m3"] == 700000
    # The exports too: no attribute in GraphML, null in GeoJSON, for a figure that is unknown.
    graph = export_graph(companies.set_index("company_id"), exchanges)
    [(_, _, edge)] = graph.edges(data=True)
    assert "co2e_t" not in edge and "energy_mwh" not in edge and edge["water_m3"] == pytest.approx(700000)
    back = nx.parse_graphml(graphml_text(graph))
    assert "co2e_t" not in back.edges["a", "b"]

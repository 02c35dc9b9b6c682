"""Disclosure control: rounding, pseudonyms, and which group figures a planner may see."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest

from analytics.aggregates import group_companies
from analytics.disclosure import (
    Privacy, disclosable, private_exchanges, private_nodes, private_ranking, private_resilience, private_totals,
    exact_companies, real_company_ids, round_significant, snap_to_grid, suppress_groups, suppression,
)
from symbiosis.errors import InputError


def test_rounding_keeps_one_significant_digit():
    assert round_significant([153_000, 27_400, 399_999.99, 0.0347, -6.2, 0.0]).tolist() == [
        200_000, 30_000, 400_000, 0.03, -6, 0]


def test_privacy_rounds_single_figures_and_named_figures():
    privacy = Privacy(significant_digits=2)
    assert privacy.rounded(153_000.0) == 150_000.0
    assert privacy.rounded_figures({"waste_t": 27_460.0, "co2e_t": -0.0347}) == {"waste_t": 27_000.0,
                                                                                 "co2e_t": -0.035}


def test_a_group_is_disclosable_when_all_consent_or_enough_others_make_it_up():
    assert disclosable({"a", "b"}, {"a", "b"}, 3)
    assert not disclosable({"a", "b", "c"}, {"a"}, 3)
    assert disclosable({"a", "b", "c", "d"}, {"a"}, 3)


def test_small_groups_are_blanked_for_a_planner_only():
    table = pd.DataFrame({"waste_t": [10.0, 20.0, 30.0], "exchanges": [1, 3, 4]},
                         index=pd.Index(["X", "Y", "Z"], name="key"))
    groups = {"X": {"a", "b"}, "Y": {"a", "b", "c"}, "Z": {"b", "c", "d"}}
    shown = suppress_groups(table, groups, Privacy(frozenset({"a"}), min_companies=2), ["waste_t"], size="waste_t")
    # X has one non-consenting company; Y, the smallest group that adds one, is withheld with it.
    assert shown["suppressed"].tolist() == [True, True, False]
    assert shown.loc["X", "waste_t"] is None and shown.loc["Y", "waste_t"] is None and shown.loc["Z", "waste_t"] == 30.0
    # nor its counts: "1 exchange" or "1 company" in a small area says who it is
    assert shown.loc["X", "exchanges"] is None and shown.loc["Z", "exchanges"] == 4 and table.loc["X", "waste_t"] == 10.0
    everything = suppress_groups(table, groups, None, ["waste_t"])
    assert not everything["suppressed"].any() and everything["waste_t"].tolist() == [10.0, 20.0, 30.0]


def test_one_withheld_group_brings_the_next_smallest_so_no_total_minus_the_shown_groups_reveals_it():
    table = pd.DataFrame({"waste_t": [5.0, 700.0, 400.0, 900.0]}, index=pd.Index(["A", "B", "C", "D"]))
    groups = {"A": {"x"}, "B": {"p", "q", "r"}, "C": {"s", "t", "u"}, "D": {"v", "w", "y", "z"}}
    shown = suppress_groups(table, groups, Privacy(), ["waste_t"], size="waste_t")
    # A (one company) is withheld; C, the next smallest, is withheld with it.
    assert shown["suppressed"].tolist() == [True, False, True, False]
    total = table["waste_t"].sum()
    assert total - shown.loc[~shown["suppressed"], "waste_t"].sum() == 405.0  # A and C together only
    found = suppression(groups, Privacy(), {k: table.loc[k, "waste_t"] for k in groups})
    assert found.primary == {"A"} and found.complementary == {"C"} and found.total_shown
    # Two withheld groups of one company each are still too few together: a third is withheld.
    two = suppression({**groups, "E": {"e"}}, Privacy(), {"A": 5.0, "E": 6.0, "B": 700.0, "C": 400.0, "D": 900.0})
    assert two.primary == {"A", "E"} and two.complementary == {"C"} and two.total_shown
    # Groups of consenting companies alone never help: with nothing else to withhold the total goes too.
    alone = suppression({"A": {"x"}, "K": {"k1", "k2", "k3"}}, Privacy(frozenset({"k1", "k2", "k3"})))
    assert alone.hidden == {"A"} and not alone.total_shown
    assert suppression({"A": {"x"}}, None).hidden == frozenset()


def test_company_points_and_processor_sites_are_grid_cell_centres():
    assert snap_to_grid([55.6626, 11.0808, -0.0001, 55.66]).tolist() == [55.665, 11.085, -0.005, 55.665]
    privacy = Privacy()
    assert privacy.point(55.6626, 11.0808) == (55.665, 11.085)
    nodes = pd.DataFrame({"name": ["A", "B", "C", "D"], "lat": [55.6626, 55.1, 55.2, 55.3],
                          "lon": [11.0808, 10.2, 10.3, 10.4], "weighted_degree": [153_456.0, 27_400.0, 35_600.0, 8_100.0],
                          "degree": [1, 1, 2, 1]}, index=pd.Index(["a", "b", "c", "d"], name="company_id"))
    graph = nx.Graph([("a", "c"), ("c", "b")])
    graph.add_node("d")
    shown = private_nodes(nodes, Privacy(frozenset({"b", "c", "d"})), graph)
    hidden = shown.loc["n1"]
    assert hidden["name"] is None and (hidden["lat"], hidden["lon"]) == (55.665, 11.085)
    assert hidden["weighted_degree"] == 200_000.0 and hidden["degree"] == 1
    # c consents but trades with a: its sum minus its exact exchange with b would give a's, so it is rounded,
    # and so is b's in the same cluster; d's cluster consents throughout.
    assert shown.loc["c", "weighted_degree"] == 40_000.0 and shown.loc["b", "weighted_degree"] == 30_000.0
    assert shown.loc["d", "weighted_degree"] == 8_100.0 and shown.loc["b", "lat"] == 55.1
    assert exact_companies(graph, Privacy(frozenset({"b", "c", "d"}))) == {"d"}
    assert exact_companies(None, Privacy(frozenset({"d"}))) == frozenset()


def test_exchange_distances_are_rounded_unless_both_sides_consent():
    exchanges = pd.DataFrame({"supplier_id": ["a", "a"], "receiver_id": ["b", "c"], "distance_km": [3.8193, 47.2],
                              "waste_t": [101_357.0, 31_789.0]})
    shown = private_exchanges(exchanges, Privacy(frozenset({"a", "b"})), ["a", "b", "c"])
    assert shown["distance_km"].tolist() == [3.8193, 50.0] and shown["waste_t"].tolist() == [101_357.0, 30_000.0]


def test_resilience_figures_are_rounded_and_their_change_and_recovery_come_from_the_rounded_totals():
    exact = {"before": {"waste_t": 133_146.0, "diverted_t": 266_292.0},
             "after": {"waste_t": 31_789.0, "diverted_t": 63_578.0},
             "lost": {"waste_t": 101_357.0, "diverted_t": 202_714.0}}
    shown = private_resilience({**exact, "change": {}, "lost_diverted_t": 202_714.0,
                                "regained_diverted_t": 0.0, "recovery": 0.0}, Privacy())
    assert shown["before"] == {"waste_t": 100_000.0, "diverted_t": 300_000.0}
    assert shown["after"] == {"waste_t": 30_000.0, "diverted_t": 60_000.0}
    assert shown["change"] == {"waste_t": -70_000.0, "diverted_t": -240_000.0}
    assert shown["lost"] == {"waste_t": 100_000.0, "diverted_t": 200_000.0} and shown["lost_diverted_t"] == 200_000.0
    # regained = after - (before - lost) and recovery = regained / lost, on the shown figures only.
    assert shown["regained_diverted_t"] == -40_000.0 and shown["recovery"] == -0.2
    before, after, change = private_totals({"waste_t": 133_146.0}, {"waste_t": 151_234.0}, Privacy())
    assert (before, after, change) == ({"waste_t": 100_000.0}, {"waste_t": 200_000.0}, {"waste_t": 100_000.0})


def test_group_companies_are_the_suppliers_and_receivers_of_each_aggregate_group():
    companies = pd.DataFrame({"nace": ["10.11", "23.51", "35.11"], "municipality": ["X", "X", "Y"]},
                             index=pd.Index(["A", "B", "C"], name="company_id"))
    exchanges = pd.DataFrame({"supplier_id": ["A", "B", "C"], "receiver_id": ["B", "C", "A"],
                              "material": ["m1", "m2", "m1"]})
    assert group_companies(exchanges, companies, "municipality") == {"X": {"A", "B", "C"}, "Y": {"A", "C"}}
    assert group_companies(exchanges, companies, "material", side="receiver") == {"m1": {"A", "B", "C"},
                                                                                  "m2": {"B", "C"}}
    assert group_companies(exchanges, companies, "branch") == {"CA": {"A", "B"}, "CG": {"B", "C"}, "other": {"A", "C"}}


def test_a_private_ranking_rounds_and_renames_only_non_consenting_companies():
    table = pd.DataFrame({"rank": [1, 2], "total_diverted_t": [153.0, 27.4], "co2e_t": [12.5, 3.3],
                          "total_exchanges": [4, 2]}, index=pd.Index(["A", "B"], name="company_id"))
    graph = nx.Graph([("B", "C")])
    graph.add_node("A")  # A's cluster consents throughout: its figures are exact
    shown = private_ranking(table, Privacy(frozenset({"A"})), graph)
    assert list(shown.index) == ["A", "n1"]
    assert shown["total_diverted_t"].tolist() == [153.0, 30.0] and shown["co2e_t"].tolist() == [12.5, 3.0]
    assert shown["rank"].tolist() == [1, 2] and shown["total_exchanges"].tolist() == [4, 2]


def test_a_planner_names_companies_by_the_pseudonyms_shown():
    companies = pd.Index(["A", "B", "C"])
    privacy = Privacy(frozenset({"A"}))
    shown = privacy.pseudonyms(companies)
    assert real_company_ids(["A", shown["C"]], companies, privacy, "remove") == ["A", "C"]
    assert real_company_ids(["B"], companies, None, "remove") == ["B"]
    with pytest.raises(InputError, match="column 'remove': company 'B' is not in the network"):
        real_company_ids(["B"], companies, privacy, "remove")


def test_a_group_one_company_makes_up_is_withheld_and_its_complement_too():
    """Three companies, but the supplier s is in every exchange of group "a": withheld (and a second
    group with it, so that the total minus the shown groups gives nothing away). Where s makes up
    at most the allowed share, the group is shown; max_share 1 turns the rule off."""
    from analytics.disclosure import Privacy, suppression

    groups = {"a": {"s", "r1", "r2"}, "b": {"t", "u", "v"}, "c": {"x", "y", "z"}}
    size = {"a": 100.0, "b": 50.0, "c": 80.0}
    parts = {"a": {"s": 100.0, "r1": 60.0, "r2": 40.0}, "b": {"t": 30.0, "u": 30.0, "v": 20.0},
             "c": {"x": 40.0, "y": 40.0, "z": 40.0}}
    withheld = suppression(groups, Privacy(), size, parts)
    assert withheld.primary == {"a"} and withheld.complementary == {"b"} and withheld.total_shown
    assert suppression(groups, Privacy(), size).hidden == frozenset()  # counting companies alone: shown
    assert suppression(groups, Privacy(max_share=1.0), size, parts).hidden == frozenset()
    # Together with b, s makes up 100 of 150: still too much at 0.6, so c is withheld as well.
    strict = suppression(groups, Privacy(max_share=0.6), size, parts)
    assert strict.hidden == {"a", "b", "c"} and strict.total_shown  # all three: s makes up 100 of 230


def test_exchange_contributions_count_each_exchange_for_both_companies():
    from analytics.disclosure import exchange_contributions

    exchanges = pd.DataFrame({"supplier_id": ["s", "s", "t"], "receiver_id": ["r1", "r2", "s"]})
    found = exchange_contributions(exchanges, pd.Series(["a", "a", "a"]), pd.Series([70.0, 30.0, 5.0]))
    assert found == {"a": {"s": 105.0, "r1": 70.0, "r2": 30.0, "t": 5.0}}

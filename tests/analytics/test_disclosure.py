"""Disclosure control: rounding, pseudonyms, and which group figures a planner may see."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.aggregates import group_companies
from analytics.disclosure import (
    Privacy, disclosable, private_ranking, real_company_ids, round_significant, suppress_groups,
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
    table = pd.DataFrame({"waste_t": [10.0, 20.0], "exchanges": [1, 3]}, index=pd.Index(["X", "Y"], name="key"))
    groups = {"X": {"a", "b"}, "Y": {"a", "b", "c"}}
    shown = suppress_groups(table.astype(object), groups, Privacy(frozenset({"a"})), 2, ["waste_t"])
    assert shown["suppressed"].tolist() == [True, False]
    assert shown.loc["X", "waste_t"] is None and shown.loc["Y", "waste_t"] == 20.0
    assert shown.loc["X", "exchanges"] == 1 and table.loc["X", "waste_t"] == 10.0
    everything = suppress_groups(table, groups, None, 2, ["waste_t"])
    assert not everything["suppressed"].any() and everything["waste_t"].tolist() == [10.0, 20.0]


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
    shown = private_ranking(table, Privacy(frozenset({"A"})))
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

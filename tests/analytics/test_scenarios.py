"""Resilience, marginal values and scenarios on hand-solved gypsum regions.

FGD gypsum (10 01 05) into plasterboard gypsum has yield 1, and per tonne 1 t of waste diverted and
1 t of virgin gypsum substituted (datasets/compatibility.csv, fgd-gypsum-to-plasterboard): the
default objective counts 2 per tonne exchanged.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.marginal import marginal_values
from analytics.resilience import resilience
from analytics.scenarios import METRICS, Scenario, apply_scenario, compare_scenarios, run_scenario
from solvers.matching import match
from solvers.solve import solve
from symbiosis.candidates import build_candidates
from symbiosis.errors import InputError
from symbiosis.registry import validate_tables
from symbiosis.synthetic import generate_region

DIVERTED_PER_T = 2.0


def _region(listings: list[tuple[str, str, str, float]], extra_companies=()) -> object:
    companies = pd.DataFrame([
        {"company_id": "hub", "name": "Hub power", "nace": "35.11", "lat": "55.0", "lon": "11.0", "municipality": "M1"},
        {"company_id": "spare", "name": "Spare plant", "nace": "35.11", "lat": "55.5", "lon": "11.0", "municipality": "M2"},
        {"company_id": "a", "name": "Board A", "nace": "23.62", "lat": "55.05", "lon": "11.0", "municipality": "M1"},
        {"company_id": "b", "name": "Board B", "nace": "23.62", "lat": "55.05", "lon": "11.05", "municipality": "M1"},
        {"company_id": "c", "name": "Board C", "nace": "23.62", "lat": "55.3", "lon": "11.0", "municipality": "M2"},
        *extra_companies,
    ])
    rows = [{"listing_id": lid, "company_id": cid, "kind": kind, "quantity": str(q), "unit": "t/yr",
             "material": "10 01 05" if kind == "offer" else "gypsum"} for lid, cid, kind, q in listings]
    return validate_tables(companies, pd.DataFrame(rows))


HUB_REGION = [("hub-gypsum", "hub", "offer", 100), ("spare-gypsum", "spare", "offer", 30),
              ("a-gypsum", "a", "need", 60), ("b-gypsum", "b", "need", 40)]


def test_closing_the_hub_loses_exactly_its_exchanges_and_the_spare_supplier_recovers_30_percent():
    registry = _region(HUB_REGION)
    report = resilience(registry, ["hub"])
    # Baseline: the nearby hub serves both needs in full (less transport than the spare plant).
    assert sorted(report.baseline.exchanges["supplier_id"]) == ["hub", "hub"]
    assert sorted(report.lost_exchanges["need_id"]) == ["a-gypsum", "b-gypsum"]
    assert report.lost_diverted_t == pytest.approx(100 * DIVERTED_PER_T)
    # Without it the spare plant's 30 t are all that is left: 60 of the 200 lost diverted tonnes.
    assert report.after["diverted_t"] == pytest.approx(30 * DIVERTED_PER_T)
    assert report.regained_diverted_t == pytest.approx(60.0)
    assert report.recovery == pytest.approx(0.3)
    assert report.change["waste_t"] == pytest.approx(-70.0)
    assert set(report.result.exchanges["supplier_id"]) == {"spare"}


def test_resilience_names_unknown_companies():
    with pytest.raises(InputError, match="'nobody' is not a company_id"):
        resilience(_region(HUB_REGION), ["nobody"])
    with pytest.raises(InputError, match="at least one"):
        resilience(_region(HUB_REGION), [])


def test_a_scarce_need_has_the_objective_gain_per_unit_as_its_marginal_value():
    registry = _region([("hub-gypsum", "hub", "offer", 100), ("a-gypsum", "a", "need", 60)])
    values = marginal_values(build_candidates(registry), companies=registry.companies)
    # One more tonne of need lets one more tonne flow: +1 t waste diverted, +1 t resource substituted.
    assert values.loc["a-gypsum", "value"] == pytest.approx(DIVERTED_PER_T)
    assert values.loc["hub-gypsum", "value"] == 0.0
    assert values.loc["a-gypsum", "municipality"] == "M1" and values.loc["a-gypsum", "kind"] == "need"
    scarce_supply = _region([("hub-gypsum", "hub", "offer", 30), ("a-gypsum", "a", "need", 60)])
    values = marginal_values(build_candidates(scarce_supply))
    assert values.loc["hub-gypsum", "value"] == pytest.approx(DIVERTED_PER_T)
    assert values.loc["a-gypsum", "value"] == 0.0


def _copy(registry):
    return registry.companies.copy(deep=True), registry.listings.copy(deep=True)


NEW_SUPPLIER = Scenario(
    name="new gypsum supplier",
    add_companies=pd.DataFrame([{"company_id": "newco", "name": "New plant", "nace": "35.11", "lat": "55.31",
                                 "lon": "11.0", "municipality": "M2"}]),
    add_listings=pd.DataFrame([{"listing_id": "newco-gypsum", "company_id": "newco", "kind": "offer",
                                "material": "10 01 05", "quantity": "30", "unit": "t/yr"}]),
)


def test_a_scenario_reports_exact_changes_and_leaves_the_registry_alone():
    registry = _region([("hub-gypsum", "hub", "offer", 100), ("a-gypsum", "a", "need", 60),
                        ("b-gypsum", "b", "need", 40), ("c-gypsum", "c", "need", 50)])
    companies, listings = _copy(registry)
    result = run_scenario(registry, NEW_SUPPLIER)
    pd.testing.assert_frame_equal(registry.companies, companies)
    pd.testing.assert_frame_equal(registry.listings, listings)
    assert result.before["diverted_t"] == pytest.approx(100 * DIVERTED_PER_T)
    assert result.after["diverted_t"] == pytest.approx(130 * DIVERTED_PER_T)
    assert result.change["diverted_t"] == pytest.approx(30 * DIVERTED_PER_T)
    assert result.change["waste_t"] == pytest.approx(30.0) and result.change["resource_t"] == pytest.approx(30.0)
    assert set(result.change) == set(METRICS)
    assert "newco" in result.registry.companies.index and "newco" not in registry.companies.index


def test_removing_a_listing_and_a_company_in_a_scenario():
    registry = _region(HUB_REGION)
    changed = apply_scenario(registry, Scenario(name="x", remove_companies=("spare",), remove_listings=("b-gypsum",)))
    assert list(changed.listings.index) == ["hub-gypsum", "a-gypsum"]
    assert "spare" not in changed.companies.index and len(registry.listings) == 4
    assert solve(build_candidates(changed)).exchanges["quantity"].sum() == pytest.approx(60.0)


def test_scenario_problems_are_all_named_with_their_row():
    bad = Scenario.from_dict({
        "name": "bad", "remove_companies": ["ghost"],
        "add_listings": [{"listing_id": "hub-gypsum", "company_id": "hub", "kind": "offer", "material": "10 01 05",
                          "quantity": "-5", "unit": "t/yr"}],
    })
    with pytest.raises(InputError) as caught:
        apply_scenario(_region(HUB_REGION), bad)
    text = str(caught.value)
    assert "'ghost' is not a company_id" in text
    assert "row 2, column 'listing_id': 'hub-gypsum' already exists" in text
    assert "row 2, column 'quantity': -5.0 is not positive" in text
    with pytest.raises(InputError, match="column 'colour': is not a scenario field"):
        Scenario.from_dict({"name": "x", "colour": "red"})


def test_scenarios_round_trip_as_json_and_compare_side_by_side():
    assert Scenario.from_dict(NEW_SUPPLIER.to_dict()).to_dict() == NEW_SUPPLIER.to_dict()
    registry = _region(HUB_REGION)
    closing = run_scenario(registry, Scenario(name="close hub", remove_companies=("hub",)))
    adding = run_scenario(registry, NEW_SUPPLIER)
    table = compare_scenarios([closing, adding.to_dict()])
    assert list(table.index) == list(METRICS)
    assert list(table.columns) == ["close hub: before", "close hub: after", "close hub: change",
                                   "new gypsum supplier: before", "new gypsum supplier: after",
                                   "new gypsum supplier: change"]
    assert table.loc["diverted_t", "close hub: change"] == pytest.approx(-140.0)
    assert table.loc["diverted_t", "new gypsum supplier: change"] == pytest.approx(0.0)


@pytest.mark.parametrize(("seed", "closed_count"), [(5, 1), (11, 1), (17, 3)])
def test_resilience_resolves_only_the_touched_components_and_equals_a_full_resolve(seed, closed_count):
    """Closing companies re-solves only their material components; the result is the full re-solve's."""
    registry = validate_tables(*generate_region(n_listings=600, seed=seed))
    base = match(registry=registry)
    closed = tuple(base.exchanges["supplier_id"].value_counts().index[:closed_count])
    report = resilience(registry, closed, baseline=base)
    full = match(registry=apply_scenario(registry, Scenario(name="x", remove_companies=closed))).result
    assert report.result.details["resolved_components"] >= 1
    assert report.result.objective_value == pytest.approx(full.objective_value, rel=1e-9)
    pairs = lambda ex: sorted(zip(ex["offer_id"], ex["need_id"], ex["quantity"].round(6)))  # noqa: E731
    assert pairs(report.result.exchanges) == pairs(full.exchanges)


def test_ids_with_stray_spaces_are_trimmed_before_every_check_and_look_up():
    spaced = Scenario.from_dict({
        "name": "spaced", "remove_companies": [" spare "], "remove_listings": ["b-gypsum "],
        "add_companies": [{"company_id": "newco ", "name": "New plant", "nace": "35.11", "lat": 55.31, "lon": 11.0}],
        "add_listings": [{"listing_id": " newco-gypsum", "company_id": " newco", "kind": "offer",
                          "material": "10 01 05", "quantity": 30, "unit": "t/yr"}],
    })
    changed = apply_scenario(_region(HUB_REGION), spaced)
    assert "newco" in changed.companies.index and "spare" not in changed.companies.index
    assert sorted(changed.listings.index) == ["a-gypsum", "hub-gypsum", "newco-gypsum"]
    assert changed.listings.loc["newco-gypsum", "company_id"] == "newco"


def test_an_added_id_with_stray_spaces_that_exists_is_named_at_its_scenario_row():
    clash = Scenario.from_dict({
        "name": "clash",
        "add_companies": [{"company_id": " hub ", "name": "Hub again", "nace": "35.11", "lat": 55.0, "lon": 11.0}],
        "add_listings": [{"listing_id": "spare-gypsum", "company_id": "a", "kind": "need", "material": "gypsum",
                          "quantity": 5, "unit": "t/yr"},
                         {"listing_id": " hub-gypsum", "company_id": "a", "kind": "offer", "material": "10 01 05",
                          "quantity": 5, "unit": "t/yr"}],
    })
    with pytest.raises(InputError) as caught:
        apply_scenario(_region(HUB_REGION), clash)
    text = str(caught.value)
    assert "companies, row 2, column 'company_id': 'hub' already exists in the region" in text
    assert "listings, row 2, column 'listing_id': 'spare-gypsum' already exists" in text
    assert "listings, row 3, column 'listing_id': 'hub-gypsum' already exists" in text
    assert "used again" not in text and len(caught.value.problems) == 3


def test_scenario_headers_are_trimmed_and_one_given_twice_is_named():
    changed = apply_scenario(_region(HUB_REGION), Scenario(name="x", add_companies=pd.DataFrame([
        {" company_id ": "newco", "name": "New plant", "nace": "35.11", "lat": "55.31", "lon": "11.0"}])))
    assert "newco" in changed.companies.index
    with pytest.raises(InputError, match="scenario 'x' companies, column 'company_id': is given twice"):
        Scenario(name="x", add_companies=pd.DataFrame([{"company_id": "a", "company_id ": "b"}]))


def test_compare_names_every_result_that_is_not_one_by_its_label():
    good = run_scenario(_region(HUB_REGION), Scenario(name="close hub", remove_companies=("hub",))).to_dict()
    with pytest.raises(InputError) as caught:
        compare_scenarios([good, {"name": "half"}, [1]], labels=["good.json", "half.json", "list.json"])
    text = str(caught.value)
    assert "half.json: is not a saved scenario result (missing or bad 'before')" in text
    assert "list.json: is not a saved scenario result (not a JSON object)" in text
    assert "good.json" not in text


def test_scenarios_of_one_name_are_numbered_without_overwriting_each_other():
    from analytics.scenarios import METRICS, compare_scenarios

    def saved(name: str, value: float) -> dict:
        figures = {m: value for m in METRICS}
        return {"name": name, "before": figures, "after": figures, "change": figures}

    table = compare_scenarios([saved("A", 1.0), saved("A (2)", 2.0), saved("A", 3.0)])
    assert len(table.columns) == 9 and len(set(table.columns)) == 9
    assert table["A: after"].iloc[0] == 1.0 and table["A (2): after"].iloc[0] == 2.0
    assert table["A (3): after"].iloc[0] == 3.0
    assert [c for c, _, _ in table.attrs["parts"]] == list(table.columns)

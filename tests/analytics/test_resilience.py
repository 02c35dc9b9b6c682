"""Resilience and scenarios on a region baseline kept per material component (analytics.cache.RegionBaseline)."""

from __future__ import annotations

import pandas as pd
import pytest

import analytics.cache
from analytics.cache import RegionBaseline, material_components
from analytics.resilience import resilience
from analytics.scenarios import Scenario, apply_scenario, run_scenario
from solvers.matching import match
from solvers.params import SolveParams
from symbiosis.objective import Objective
from symbiosis.reference import ReferenceData
from symbiosis.registry import validate_tables
from symbiosis.synthetic import generate_region

pairs = lambda ex: sorted(zip(ex["offer_id"], ex["need_id"], ex["quantity"].round(6)))  # noqa: E731


@pytest.fixture(scope="module")
def region():
    registry = validate_tables(*generate_region(n_listings=600, seed=5))
    return registry, match(registry=registry)


def _same(a: dict, b: dict, scale: float) -> None:
    """Figures equal up to the rounding of sums of the size ``scale``."""
    for name in a:
        assert a[name] == pytest.approx(b[name], rel=1e-9, abs=1e-9 * scale), name


def test_a_closure_matches_only_the_components_it_touches_and_reports_the_full_baselines_change(region, monkeypatch):
    registry, full = region
    calls = []
    real_match = analytics.cache.match
    monkeypatch.setattr(analytics.cache, "match", lambda **kw: calls.append(len(kw["registry"].listings))
                        or real_match(**kw))
    parts = RegionBaseline(registry)
    closed = full.exchanges["supplier_id"].value_counts().index[0]
    report = resilience(registry, [closed], baseline=parts)
    today = resilience(registry, [closed], baseline=full)
    components = set(parts.component_of.values())
    touched = report.result.details["resolved_components"]
    assert 1 <= touched < len(components)
    # One match per touched component's baseline, one of the touched components without the company;
    # none of them holds the whole region.
    assert len(calls) == touched + 1 and max(calls) < len(registry.listings)
    scale = abs(today.before["diverted_t"]) + abs(today.before["value_eur"])
    _same(report.change, today.change, scale)
    _same(report.lost, today.lost, scale)
    assert report.regained_diverted_t == pytest.approx(today.regained_diverted_t, rel=1e-9, abs=1e-9 * scale)
    assert report.recovery == pytest.approx(today.recovery, rel=1e-9, abs=1e-9)
    assert pairs(report.lost_exchanges) == pairs(today.lost_exchanges)
    # The totals are the touched components': the full baseline's exchanges of their offer materials.
    touched_nodes = parts.touched_by(_closed(registry, closed))
    in_scope = full.exchanges[full.exchanges["material"].isin({m for side, m in touched_nodes if side == "offer"})]
    assert report.before["exchanges"] == len(in_scope) < len(full.exchanges)
    # The next closure reuses the baselines it shares with this one: a match per component not yet
    # matched, and one of the touched components without the company.
    calls.clear()
    known = set(parts._results)
    other = report.baseline.exchanges["supplier_id"].value_counts().index[1]
    resilience(registry, [other], baseline=parts)
    assert len(calls) == len(parts.components_in(parts.touched_by(_closed(registry, other))) - known) + 1


def _closed(registry, company):
    return apply_scenario(registry, Scenario(name="closed", remove_companies=(company,)))


def test_a_scenario_on_a_region_baseline_equals_solving_the_whole_region_twice(region):
    registry, full = region
    parts = RegionBaseline(registry)
    supplier = full.exchanges["supplier_id"].value_counts().index[0]
    listing = registry.listings[registry.listings["kind"] == "offer"].iloc[0]
    scenario = Scenario(
        name="close and add", remove_companies=(supplier,),
        add_companies=pd.DataFrame([{"company_id": "newco", "name": "New plant", "nace": "35.11",
                                     "lat": str(listing["lat"]), "lon": str(listing["lon"] + 0.01),
                                     "municipality": "M"}]),
        add_listings=pd.DataFrame([{"listing_id": "newco-1", "company_id": "newco", "kind": "offer",
                                    "material": listing["material"], "quantity": "500", "unit": "t/yr"}]))
    fast = run_scenario(registry, scenario, baseline=parts)
    whole = run_scenario(registry, scenario)
    scale = abs(whole.before["diverted_t"]) + abs(whole.before["value_eur"])
    for part in ("before", "after", "change"):
        _same(getattr(fast, part), getattr(whole, part), scale)
    assert pairs(fast.result.exchanges) == pairs(whole.result.exchanges)
    assert pairs(fast.baseline.exchanges) == pairs(full.exchanges)
    assert "newco" in set(fast.result.exchanges["supplier_id"])


def test_material_components_follow_the_rules_between_the_materials_listed():
    listings = pd.DataFrame({"kind": ["offer", "need", "offer", "need", "need"],
                             "material": ["10 01 05", "gypsum", "steam", "steam", "nothing-takes-this"]})
    components = material_components(listings, ReferenceData.shipped().rulebook)
    assert components[("offer", "10 01 05")] == components[("need", "gypsum")]
    assert components[("offer", "steam")] == components[("need", "steam")] != components[("need", "gypsum")]
    assert ("need", "nothing-takes-this") not in components


def test_a_region_baseline_refuses_other_parameters(region):
    registry, full = region
    closed = full.exchanges["supplier_id"].iloc[0]
    with pytest.raises(ValueError, match="solve_params differ"):
        resilience(registry, [closed], solve_params=SolveParams(objective=Objective.CO2),
                   baseline=RegionBaseline(registry))

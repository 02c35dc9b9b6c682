"""Tiny instances solved by hand: the exact optimal objective and exchanges."""

import pytest

from solvers.solve import solve
from symbiosis.errors import SolverError
from solvers.params import SolveParams
from symbiosis.candidates import CandidateParams, build_candidates
from tests.helpers import make_registry, make_rulebook, make_transport

# Two companies a few hundred metres apart: distances are far inside every limit.
NEAR = [("s", 55.60, 9.50), ("r", 55.601, 9.501), ("q", 55.602, 9.502)]


def _exchanges(result):
    return {(r.offer_id, r.need_id): round(r.quantity_canonical, 6) for r in result.exchanges.itertuples()}


def test_one_offer_split_between_two_needs_of_different_yield_by_min_cost_flow():
    """100 t of gypsum: 60 t to the cement need (2 per t), the other 40 t to the aggregates need
    at yield 0.5 (1 per t, serving 20 of its 30 t). Optimum 160; yields are consistent -> flow."""
    rules = make_rulebook([
        {"rule_id": "g-c", "offer_material": "gypsum", "need_material": "cement-raw-material", "waste_t": 1, "resource_t": 1},
        {"rule_id": "g-a", "offer_material": "gypsum", "need_material": "aggregates", "yield": 0.5, "waste_t": 1},
    ])
    reg = make_registry(NEAR, [
        ("o", "s", "offer", "gypsum", 100, "t/yr"),
        ("n1", "r", "need", "cement-raw-material", 60, "t/yr"),
        ("n2", "q", "need", "aggregates", 30, "t/yr"),
    ])
    cands = build_candidates(reg, rulebook=rules, transport=make_transport())
    for solver in ("auto", "flow", "lp"):
        result = solve(cands, SolveParams(solver=solver))
        assert result.objective_value == pytest.approx(160.0, rel=1e-9)
        assert _exchanges(result) == {("o", "n1"): 60.0, ("o", "n2"): 40.0}
        assert result.status.value == "optimal"
    result = solve(cands, SolveParams(solver="auto"))
    assert result.solver == "flow"
    row = result.exchanges.set_index("need_id").loc["n2"]
    assert row["need_quantity"] == pytest.approx(20.0) and row["waste_t"] == pytest.approx(40.0)


def _mixed_yield_case():
    rules = make_rulebook([
        {"rule_id": "x-c1", "offer_material": "gypsum", "need_material": "cement-raw-material", "waste_t": 2},
        {"rule_id": "y-c1", "offer_material": "aggregates", "need_material": "cement-raw-material", "waste_t": 1},
        {"rule_id": "x-c2", "offer_material": "gypsum", "need_material": "wood", "yield": 0.5, "waste_t": 0.8},
        {"rule_id": "y-c2", "offer_material": "aggregates", "need_material": "wood", "waste_t": 2},
    ])
    reg = make_registry(NEAR, [
        ("x", "s", "offer", "gypsum", 100, "t/yr"),
        ("y", "s", "offer", "aggregates", 100, "t/yr"),
        ("c1", "r", "need", "cement-raw-material", 50, "t/yr"),
        ("c2", "q", "need", "wood", 110, "t/yr"),
    ])
    return build_candidates(reg, rulebook=rules, transport=make_transport())


def test_mixed_yields_are_solved_by_the_lp_with_the_exact_optimum():
    """x->c1 50 t (100), y->c2 100 t (200), x->c2 the last 10 units of c2 = 20 t of x (16): 316."""
    cands = _mixed_yield_case()
    result = solve(cands, SolveParams(solver="auto"))
    assert result.solver == "glop"
    assert result.objective_value == pytest.approx(316.0, rel=1e-9)
    assert _exchanges(result) == {("x", "c1"): 50.0, ("y", "c2"): 100.0, ("x", "c2"): 20.0}
    assert result.bound == pytest.approx(316.0, rel=1e-6)


def test_forcing_min_cost_flow_on_mixed_yields_is_a_clear_error():
    with pytest.raises(SolverError, match="cannot represent the yields"):
        solve(_mixed_yield_case(), SolveParams(solver="flow"))


def test_greedy_takes_the_best_arc_first_and_can_miss_the_optimum():
    """Greedy sends x to c1 first (2 per t) and then y -> c2; here it also reaches 316, but on the
    contention case below it is strictly worse than the optimum."""
    rules = make_rulebook([
        {"rule_id": "a-c", "offer_material": "gypsum", "need_material": "cement-raw-material", "waste_t": 3},
        {"rule_id": "b-c", "offer_material": "aggregates", "need_material": "cement-raw-material", "waste_t": 2},
        {"rule_id": "a-w", "offer_material": "gypsum", "need_material": "wood", "waste_t": 2},
    ])
    reg = make_registry(NEAR, [
        ("a", "s", "offer", "gypsum", 10, "t/yr"),
        ("b", "s", "offer", "aggregates", 10, "t/yr"),
        ("c", "r", "need", "cement-raw-material", 10, "t/yr"),
        ("w", "q", "need", "wood", 10, "t/yr"),
    ])
    cands = build_candidates(reg, rulebook=rules, transport=make_transport())
    greedy = solve(cands, SolveParams(solver="greedy"))
    best = solve(cands, SolveParams(solver="auto"))
    assert greedy.objective_value == pytest.approx(30.0)  # a -> c only; b and w left idle
    assert best.objective_value == pytest.approx(40.0)  # a -> w (20) and b -> c (20)
    assert _exchanges(best) == {("a", "w"): 10.0, ("b", "c"): 10.0}
    assert greedy.status.value == "feasible"


def test_co2_objective_drops_an_exchange_whose_transport_outweighs_its_saving():
    """0.01 t CO2e saved per t, but 0.1 kg/tkm x 200 km = 0.02 t per t of transport: not worth it."""
    rules = make_rulebook([{"rule_id": "g", "offer_material": "gypsum", "need_material": "gypsum",
                            "co2e_t": 0.01, "waste_t": 1, "max_distance_km": 500}])
    reg = make_registry([("s", 55.0, 9.0), ("far", 56.8, 9.0)], [
        ("o", "s", "offer", "gypsum", 100, "t/yr"), ("n", "far", "need", "gypsum", 100, "t/yr")])
    cands = build_candidates(reg, rulebook=rules, transport=make_transport(kg_per_tkm=0.1))
    assert len(cands.arcs) == 1 and cands.arcs["distance_km"].iloc[0] == pytest.approx(200.3, abs=0.5)
    co2 = solve(cands, SolveParams(objective="co2"))
    assert co2.exchanges.empty and co2.objective_value == 0.0
    assert co2.unmatched.loc["o", "reason"] == "its 1 candidate(s) in reach gain nothing under objective 'co2'"
    diverted = solve(cands, SolveParams(objective="diverted"))
    assert diverted.objective_value == pytest.approx(100.0)
    assert diverted.exchanges["transport_co2e_t"].iloc[0] == pytest.approx(100 * 0.1 * cands.arcs["distance_km"].iloc[0] / 1000)


def test_outbid_listing_names_the_exchange_that_took_its_partner():
    rules = make_rulebook([
        {"rule_id": "a", "offer_material": "gypsum", "need_material": "cement-raw-material", "waste_t": 2},
        {"rule_id": "b", "offer_material": "aggregates", "need_material": "cement-raw-material", "waste_t": 1},
    ])
    reg = make_registry(NEAR, [
        ("good", "s", "offer", "gypsum", 10, "t/yr"), ("poor", "q", "offer", "aggregates", 10, "t/yr"),
        ("c", "r", "need", "cement-raw-material", 10, "t/yr")])
    result = solve(build_candidates(reg, rulebook=rules, transport=make_transport()))
    reason = result.unmatched.loc["poor", "reason"]
    assert reason.startswith("outbid") and "good -> c" in reason


def test_max_candidates_bounds_the_arcs_per_listing():
    rules = make_rulebook([{"rule_id": "g", "offer_material": "gypsum", "need_material": "gypsum", "waste_t": 1}])
    companies = [(f"c{i}", 55.0 + i * 0.001, 9.0) for i in range(40)]
    listings = [(f"o{i}", f"c{i}", "offer", "gypsum", 1, "t/yr") for i in range(20)]
    listings += [(f"n{i}", f"c{20 + i}", "need", "gypsum", 1, "t/yr") for i in range(20)]
    reg = make_registry(companies, listings)
    few = build_candidates(reg, CandidateParams(max_candidates=3), rulebook=rules, transport=make_transport())
    assert len(few.arcs) <= 2 * 20 * 3
    assert few.arcs.groupby("offer_id").size().min() >= 3
    full = build_candidates(reg, CandidateParams(max_candidates=50), rulebook=rules, transport=make_transport())
    assert len(full.arcs) == 400


def test_a_listing_that_gains_nothing_for_want_of_a_factor_is_told_so():
    """Under co2 a rule whose CO2e factor is unknown counts as nothing: the reason says that the
    figure is unknown, not that the exchange is worthless."""
    rules = make_rulebook([{"rule_id": "g", "offer_material": "gypsum", "need_material": "gypsum",
                            "co2e_t": "", "waste_t": 1}])
    reg = make_registry([("s", 55.0, 9.0), ("r", 55.01, 9.0)], [
        ("o", "s", "offer", "gypsum", 100, "t/yr"), ("n", "r", "need", "gypsum", 100, "t/yr")])
    cands = build_candidates(reg, rulebook=rules, transport=make_transport())
    co2 = solve(cands, SolveParams(objective="co2"))
    assert co2.exchanges.empty
    for listing in ("o", "n"):
        assert co2.unmatched.loc[listing, "reason"] == (
            "its 1 candidate(s) in reach gain nothing under objective 'co2': for all of them the figure it counts "
            "(co2e_t) is unknown (no cited factor), which counts as nothing")

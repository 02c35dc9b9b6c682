"""Discrete exchange rules solved by the MILP: each option changes the hand-solved optimum."""

import numpy as np
import pandas as pd
import pytest

from solvers.solve import solve
from symbiosis.errors import SolverError
from solvers.params import SolveParams
from symbiosis.candidates import build_candidates
from symbiosis.directives import read_directives, read_weights
from symbiosis.errors import InfeasibleError, InputError
from tests.helpers import make_link_costs, make_registry, make_rulebook, make_transport
from tests.helpers import random_instance

NEAR = [("s", 55.60, 9.50), ("t", 55.6005, 9.5005), ("r", 55.601, 9.501), ("q", 55.602, 9.502)]
RULES = make_rulebook([
    {"rule_id": "g-c", "offer_material": "gypsum", "need_material": "cement-raw-material", "waste_t": 2, "value_eur": 10},
    {"rule_id": "g-w", "offer_material": "gypsum", "need_material": "wood", "waste_t": 1, "value_eur": 10},
])


def _case(offer_extra=None, n1_extra=None, n2_extra=None, directives=None, link=0.0):
    """Offer a (100 t) can serve n1 (30 t, 2 per t) and n2 (100 t, 1 per t): optimum 130."""
    reg = make_registry(NEAR, [
        ("a", "s", "offer", "gypsum", 100, "t/yr", offer_extra or {}),
        ("n1", "r", "need", "cement-raw-material", 30, "t/yr", n1_extra or {}),
        ("n2", "q", "need", "wood", 100, "t/yr", n2_extra or {}),
    ])
    rules = read_directives(pd.DataFrame(directives), reg) if directives else None
    return reg, build_candidates(reg, rulebook=RULES, transport=make_transport(), link_costs=make_link_costs(link),
                                 directives=rules)


def _ex(result):
    return {(r.offer_id, r.need_id): round(r.quantity_canonical, 6) for r in result.exchanges.itertuples()}


def test_without_discrete_rules_auto_does_not_use_the_milp():
    _, cands = _case()
    result = solve(cands)
    assert result.solver == "flow" and result.objective_value == pytest.approx(130)
    assert _ex(result) == {("a", "n1"): 30, ("a", "n2"): 70}


@pytest.mark.parametrize("engine", ["scip", "highs"])
def test_a_minimum_lot_on_the_need_moves_quantity_to_meet_it(engine):
    """n2 takes 0 or at least 80 t: a -> n2 80 and a -> n1 the remaining 20: 2*20 + 80 = 120."""
    _, cands = _case(n2_extra={"min_lot": 80})
    result = solve(cands, SolveParams(milp_engine=engine))
    assert result.solver == "milp" and result.status.value == "optimal"
    assert result.objective_value == pytest.approx(120)
    assert _ex(result) == {("a", "n1"): 20, ("a", "n2"): 80}
    assert result.gap == pytest.approx(0, abs=1e-4)


def test_a_minimum_lot_on_the_offer_drops_the_small_exchange():
    """Every exchange of a is at least 40 t: n1 can only take 30, so a -> n2 100: 100."""
    _, cands = _case(offer_extra={"min_lot": 40})
    result = solve(cands)
    assert _ex(result) == {("a", "n2"): 100}
    assert result.objective_value == pytest.approx(100)
    reason = result.unmatched.loc["n1", "reason"]
    assert reason.startswith("below a minimum lot") and "at most 30 t/yr" in reason


def test_a_partner_limit_of_one_keeps_the_best_single_partner():
    _, cands = _case(offer_extra={"max_partners": 1})
    result = solve(cands)
    assert _ex(result) == {("a", "n2"): 100} and result.objective_value == pytest.approx(100)
    assert result.unmatched.loc["n1", "reason"].startswith("partner limit reached: a")


def test_all_or_nothing_sends_the_whole_offer_to_one_need():
    _, cands = _case(offer_extra={"all_or_nothing": "yes"}, n2_extra={"quantity": 90})
    result = solve(cands)  # n2 can take 90 only, n1 30: nobody takes all 100
    assert result.exchanges.empty and result.objective_value == 0
    _, cands = _case(offer_extra={"all_or_nothing": "yes"})
    assert _ex(solve(cands)) == {("a", "n2"): 100}


def test_link_costs_drop_exchanges_that_do_not_pay_for_their_link():
    """Value objective: 10 EUR/t; a link costs 400 EUR/yr. n1 (30 t) earns 300 - 400 < 0."""
    _, cands = _case(link=400.0)
    result = solve(cands, SolveParams(objective="value"))
    assert _ex(result) == {("a", "n2"): 100}
    assert result.objective_value == pytest.approx(1000 - 400)
    assert result.exchanges["value_eur"].sum() == pytest.approx(600)
    with pytest.raises(SolverError, match="need the MILP"):
        solve(cands, SolveParams(objective="value", solver="lp"))


def test_a_lock_with_a_minimum_quantity_is_honoured():
    lock = [{"action": "lock", "offer_id": "a", "need_id": "n2", "min_quantity": "80"}]
    _, cands = _case(directives=lock)
    result = solve(cands)
    assert _ex(result) == {("a", "n1"): 20, ("a", "n2"): 80}
    assert result.objective_value == pytest.approx(120)


def test_a_lock_beyond_the_distance_limit_is_still_proposed():
    reg = make_registry([("s", 55.0, 9.0), ("far", 57.0, 9.0)], [
        ("a", "s", "offer", "gypsum", 10, "t/yr"), ("n", "far", "need", "wood", 10, "t/yr", {"max_distance_km": 100})])
    free = build_candidates(reg, rulebook=RULES, transport=make_transport(), link_costs=make_link_costs())
    assert free.arcs.empty
    locks = read_directives(pd.DataFrame([{"action": "lock", "offer_id": "a", "need_id": "n"}]), reg)
    cands = build_candidates(reg, rulebook=RULES, transport=make_transport(), link_costs=make_link_costs(), directives=locks)
    result = solve(cands)
    assert _ex(result) == {("a", "n"): 10}
    from symbiosis.explain import explain_exchanges

    [text] = explain_exchanges(result.exchanges, result.objective).tolist()
    assert "beyond the 100 km limit, as a facilitator's lock keeps it" in text and "within" not in text


def test_forbidding_a_pair_or_two_companies_removes_their_exchanges():
    _, cands = _case(directives=[{"action": "forbid", "offer_id": "a", "need_id": "n1"}])
    assert _ex(solve(cands)) == {("a", "n2"): 100}
    assert "forbade" in cands.unmatched.loc["n1", "reason"]
    _, cands = _case(directives=[{"action": "forbid", "supplier_id": "q", "receiver_id": "s"}])  # either way round
    assert _ex(solve(cands)) == {("a", "n1"): 30}


def test_conflicting_locks_are_reported_by_name():
    reg = make_registry(NEAR, [
        ("a", "s", "offer", "gypsum", 100, "t/yr"), ("b", "t", "offer", "gypsum", 100, "t/yr"),
        ("n", "q", "need", "wood", 100, "t/yr"), ("m", "r", "need", "wood", 100, "t/yr")])
    rows = [{"action": "lock", "offer_id": "a", "need_id": "n", "min_quantity": "60"},
            {"action": "lock", "offer_id": "b", "need_id": "n", "min_quantity": "60"},
            {"action": "lock", "offer_id": "b", "need_id": "m", "min_quantity": "10"}]
    cands = build_candidates(reg, rulebook=RULES, transport=make_transport(), link_costs=make_link_costs(),
                             directives=read_directives(pd.DataFrame(rows), reg))
    with pytest.raises(InfeasibleError) as info:
        solve(cands)
    message = str(info.value)
    assert "these locks conflict" in message and "a -> n" in message and "b -> n" in message
    assert "b -> m" not in message


def test_a_lock_asking_more_than_the_listing_has_is_reported():
    with pytest.raises(InfeasibleError, match="cannot hold on their own: a -> n1"):
        solve(_case(directives=[{"action": "lock", "offer_id": "a", "need_id": "n1", "min_quantity": "50"}])[1])


def test_bad_directives_are_input_errors_with_rows():
    reg, _ = _case()
    rows = pd.DataFrame([
        {"action": "keep", "offer_id": "a", "need_id": "n1"},
        {"action": "lock", "offer_id": "n1", "need_id": "a"},
        {"action": "forbid", "offer_id": "a", "need_id": "", "supplier_id": "", "receiver_id": ""},
        {"action": "lock", "offer_id": "a", "need_id": "n1", "min_quantity": "lots"},
    ])
    with pytest.raises(InputError) as info:
        read_directives(rows, reg, label="d.csv")
    found = {(p.row, p.column) for p in info.value.problems}
    assert found == {(2, "action"), (3, "offer_id"), (3, "need_id"), (4, None), (5, "min_quantity")}


def test_locking_and_forbidding_the_same_pair_is_an_input_error():
    reg, _ = _case()
    rows = pd.DataFrame([{"action": "lock", "offer_id": "a", "need_id": "n1"},
                         {"action": "forbid", "supplier_id": "s", "receiver_id": "r"}])
    with pytest.raises(InputError, match="also forbidden"):
        read_directives(rows, reg)


def test_material_and_indicator_weights_change_the_choice():
    """Weight wood x3: a -> n2 is worth 3 per t against 2 for n1: all 100 t go to n2."""
    _, cands = _case()
    weights = read_weights(pd.DataFrame([{"kind": "material", "name": "wood", "weight": "3"}]))
    result = solve(cands, SolveParams(weights=weights))
    assert _ex(result) == {("a", "n2"): 100} and result.objective_value == pytest.approx(300)
    only_value = read_weights(pd.DataFrame([{"kind": "indicator", "name": "waste_t", "weight": "0"},
                                            {"kind": "indicator", "name": "value_eur", "weight": "1"}]))
    assert solve(cands, SolveParams(weights=only_value, objective="value")).objective_value == pytest.approx(1000)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("engine", ["scip", "highs"])
def test_milp_without_discrete_rules_equals_the_flow_objective(seed, engine):
    cands = random_instance(seed)
    flow = solve(cands, SolveParams(solver="flow"))
    milp = solve(cands, SolveParams(solver="milp", milp_engine=engine, relative_gap=0.0))
    assert milp.solver == "milp" and milp.status.value == "optimal"
    assert milp.objective_value == pytest.approx(flow.objective_value, rel=1e-6)


@pytest.mark.parametrize("seed", range(3))
def test_milp_with_lots_and_link_costs_beats_greedy_and_stays_under_its_bound(seed):
    """Random instances with minimum lots, partner limits and link costs: the MILP respects every
    rule, reaches at least the greedy objective, and never reports a bound below its objective."""
    import numpy as np

    rng = np.random.default_rng(seed)
    companies = [(f"c{i}", 55 + rng.uniform(0, 0.3), 9 + rng.uniform(0, 0.5)) for i in range(20)]
    listings = []
    for j in range(40):
        kind = "offer" if j % 2 == 0 else "need"
        quantity = round(float(rng.uniform(10, 200)), 3)
        extra = {}
        if rng.random() < 0.4:
            extra["min_lot"] = round(quantity * float(rng.uniform(0.2, 0.7)), 3)
        if rng.random() < 0.3:
            extra["max_partners"] = int(rng.integers(1, 3))
        material = "gypsum" if kind == "offer" else str(rng.choice(["cement-raw-material", "wood"]))
        listings.append((f"l{j}", f"c{rng.integers(20)}", kind, material, quantity, "t/yr", extra))
    reg = make_registry(companies, listings)
    cands = build_candidates(reg, rulebook=RULES, transport=make_transport(kg_per_tkm=0.1),
                             link_costs=make_link_costs(fixed_eur=150.0))
    best = solve(cands, SolveParams(objective="value", relative_gap=0.0))
    greedy = solve(cands, SolveParams(objective="value", solver="greedy"))
    assert best.solver == "milp" and best.status.value == "optimal"
    assert best.objective_value >= greedy.objective_value - 1e-6
    assert best.bound >= best.objective_value - 1e-6 * max(1.0, abs(best.objective_value))
    for result in (best, greedy):
        ex = result.exchanges
        listing = reg.listings
        offer_lot = listing["min_lot"].reindex(ex["offer_id"]).to_numpy()
        need_lot = listing["min_lot"].reindex(ex["need_id"]).to_numpy()
        sent, received = ex["quantity_canonical"].to_numpy(), (ex["quantity_canonical"] * ex["yield"]).to_numpy()
        assert (np.isnan(offer_lot) | (sent >= offer_lot * (1 - 1e-6))).all()
        assert (np.isnan(need_lot) | (received >= need_lot * (1 - 1e-6))).all()
        counts = pd.concat([result.exchanges["offer_id"], result.exchanges["need_id"]]).value_counts()
        limits = listing["max_partners"].reindex(counts.index)
        assert (limits.isna() | (counts <= limits)).all()


def test_scip_root_separation_rounds_reach_scip_and_are_checked():
    assert "maxroundsroot" not in SolveParams().scip_parameters()
    assert "separating/maxroundsroot = 3" in SolveParams(scip_root_separation_rounds=3).scip_parameters().splitlines()
    with pytest.raises(ValueError, match="scip_root_separation_rounds"):
        SolveParams(scip_root_separation_rounds=-1)


def test_a_milp_that_finds_no_solution_in_its_time_falls_back_to_greedy(monkeypatch):
    """If SCIP ends without a solution, the component keeps the greedy exchanges (which respect the
    lot: a -> n1 30 is taken first at 2 per t, then n2 cannot reach its lot of 80), not nothing."""
    import solvers.solve as solve_module
    from solvers.milp import MilpSolution

    def no_solution(model, params, start=None, time_limit_s=None):
        nothing = np.zeros(len(model.objective))
        return MilpSolution("not_solved", False, False, nothing, nothing > 0, float("nan"), float("nan"),
                            float("nan"), 0.0)

    monkeypatch.setattr(solve_module, "solve_milp", no_solution)
    _, cands = _case(n2_extra={"min_lot": 80})
    result = solve(cands)
    assert result.status.value == "feasible" and "greedy" in result.solver
    assert _ex(result) == {("a", "n1"): 30}
    assert result.objective_value == pytest.approx(60)


def test_a_component_whose_milp_finds_nothing_keeps_greedy_exchanges_and_says_so(monkeypatch):
    from types import SimpleNamespace

    import pandas as pd

    from solvers import match, solve as solve_module

    companies = pd.DataFrame({"company_id": ["a", "b"], "name": ["A", "B"], "nace": ["35.11", "23.62"],
                              "lat": [55.60, 55.61], "lon": [11.10, 11.11]})
    listings = pd.DataFrame({"listing_id": ["o", "n"], "company_id": ["a", "b"], "kind": ["offer", "need"],
                             "material": ["10 01 05", "gypsum"], "quantity": [100, 80], "unit": ["t/yr", "t/yr"],
                             "min_lot": [50, None]})
    monkeypatch.setattr(solve_module, "solve_milp", lambda *a, **k: SimpleNamespace(has_solution=False,
                                                                                     status="not_solved"))
    run = match(companies, listings)
    assert [e["engine"] for e in run.result.details["engines"]] == ["milp+greedy"]
    assert len(run.exchanges) == 1
    assert any("keep the greedy exchanges" in notice for notice in run.summary["notices"])


@pytest.mark.parametrize("materials", [["gypsum"], ["gypsum", "wood"], ["wood", "gypsum", None]])
def test_material_weights_on_categorical_arcs(materials):
    """The arcs table holds materials as categoricals; a weight on one of them (whatever the other
    categories are) multiplies its arcs and leaves the rest, and a missing material, at 1."""
    from symbiosis.directives import Weights
    from symbiosis.objective import material_factor

    arcs = pd.DataFrame({"material": pd.Categorical(materials),
                         "need_material": pd.Categorical(["gypsum"] * len(materials))})
    weights = Weights(indicators={}, materials={"gypsum": 2.0})
    expected = [(2.0 if m == "gypsum" else 1.0) * 2.0 for m in materials]
    assert material_factor(arcs, weights).tolist() == expected
    assert material_factor(arcs.astype(object), weights).tolist() == expected


def test_a_material_weight_on_a_region_of_one_material():
    """A weight on the only material a region trades: its exchanges count twice."""
    from solvers.matching import match

    companies = pd.DataFrame({"company_id": ["s", "r"], "name": ["S", "R"], "nace": ["23.51", "23.62"],
                              "lat": [55.5, 55.51], "lon": [11.5, 11.51]})
    listings = pd.DataFrame({"listing_id": ["o", "n"], "company_id": ["s", "r"], "kind": ["offer", "need"],
                             "material": ["10 01 05", "gypsum"], "quantity": [100.0, 100.0], "unit": ["t/yr", "t/yr"]})
    plain = match(companies, listings)
    weighted = match(companies, listings, weights=pd.DataFrame([{"kind": "material", "name": "gypsum", "weight": 2}]))
    assert len(weighted.result.exchanges) == len(plain.result.exchanges) == 1
    assert weighted.result.objective_value == pytest.approx(2 * plain.result.objective_value)


def test_an_all_or_nothing_listing_is_told_its_own_rule_binds():
    """n1 wants all 150 t or nothing from a's 100 t: n1 is told that its own all-or-nothing binds,
    a that its partner's does (not that the partner 'can take at most' its own 100 t)."""
    reg = make_registry(NEAR, [
        ("a", "s", "offer", "gypsum", 100, "t/yr"),
        ("n1", "r", "need", "cement-raw-material", 150, "t/yr", {"all_or_nothing": "yes"})])
    cands = build_candidates(reg, rulebook=RULES, transport=make_transport(), link_costs=make_link_costs())
    result = solve(cands)
    assert result.exchanges.empty
    assert result.unmatched.loc["n1", "reason"] == (
        "all or nothing: exchanges with the 1 partner(s) in reach could carry at most 100 t/yr, and it takes all "
        "its 150 t/yr or nothing")
    assert result.unmatched.loc["a", "reason"] == (
        "below a minimum lot: exchanges with the 1 partner(s) in reach could carry at most 100 t/yr, below their "
        "minimum lot or all-or-nothing quantity")

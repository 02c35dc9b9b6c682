"""Decomposition of large discrete components: the compact relaxation has the full relaxation's
optimum, and the decomposed solve is feasible (lots and links hold), stays under its LP bound and
reports the gap to it."""

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

from benchmarks.milp import region_with_lots
from solvers.decompose import compact_relaxation, quantities
from solvers.milp import build_milp, solve_relaxation
from solvers.params import SolveParams
from solvers.solve import SolveInputs, solve
from symbiosis.candidates import build_candidates

PARAMS = SolveParams(objective="value", time_limit_s=20)


@pytest.fixture(scope="module")
def candidates():
    return build_candidates(region_with_lots(800, seed=2))


def test_the_compact_relaxation_has_the_optimum_of_the_full_one(candidates):
    inputs = SolveInputs.of(candidates, PARAMS)
    useful = np.flatnonzero(inputs.useful & inputs.discrete)
    sub = inputs.subset(useful)
    full = build_milp(sub.arcs, sub.objective.effective, sub.objective.link, sub.rules)
    _, full_bound = solve_relaxation(full)
    _, compact_bound = compact_relaxation(sub.arcs, sub.objective, quantities(sub.arcs, sub.rules), PARAMS, 20)
    assert compact_bound == pytest.approx(full_bound, rel=1e-7)


def test_the_decomposed_solve_is_feasible_and_honest_about_its_gap(candidates):
    whole = solve(candidates, replace(PARAMS, milp_full_up_to_arcs=10**9))
    decomposed = solve(candidates, replace(PARAMS, milp_full_up_to_arcs=0))
    ex = decomposed.exchanges
    assert len(ex) > 0
    offers = candidates.offers
    lots = offers["min_lot_canonical"].reindex(ex["offer_id"]).fillna(0).to_numpy()
    assert (ex["quantity_canonical"].to_numpy() >= lots * (1 - 1e-6) - 1e-6).all()
    assert decomposed.objective_value <= decomposed.bound * (1 + 1e-9)
    assert decomposed.gap == pytest.approx((decomposed.bound - decomposed.objective_value) / decomposed.bound, rel=1e-6)
    # LP-support reduction loses little against the whole MILP on a region this size.
    assert decomposed.objective_value >= whole.objective_value * 0.99


def test_an_exact_answer_asked_for_is_sought_on_the_whole_model(candidates, monkeypatch):
    """With a relative gap of 0 a large component goes to the MILP engine whole, never decomposed."""
    import solvers.solve as solve_module

    calls = []
    monkeypatch.setattr(solve_module, "solve_decomposed", lambda *args, **kwargs: calls.append(args))
    exact = solve(candidates, replace(PARAMS, milp_full_up_to_arcs=0, relative_gap=0.0, time_limit_s=5))
    assert calls == [] and len(exact.exchanges) > 0


def test_the_lp_dive_widens_the_support_and_starts_from_a_feasible_solution(candidates):
    """The dive drops the arcs the relaxation uses below a lot, so its union of supports holds the
    first support and more, and its warm start satisfies every constraint of the whole model."""
    from solvers.decompose import SUPPORT_TOL, _dive, _relaxer
    from solvers.milp import locked_arcs, satisfies, warm_start

    inputs = SolveInputs.of(candidates, PARAMS)
    sub = inputs.subset(np.flatnonzero(inputs.useful & inputs.discrete))
    full = build_milp(sub.arcs, sub.objective.effective, sub.objective.link, sub.rules)
    locked = locked_arcs(sub.arcs)
    relax = _relaxer(sub.arcs, sub.objective, sub.rules, locked, PARAMS)
    relaxed, _ = relax(np.arange(len(sub.arcs)), 20)
    below_lot = (relaxed > SUPPORT_TOL) & (relaxed < sub.rules.offer_lot * (1 - 1e-6))
    assert below_lot.any()  # the relaxation ignores lots: there is something to dive on
    union, start = _dive(sub.arcs, sub.rules, locked, full, relax, relaxed, deadline=float("inf"))
    first = relaxed > SUPPORT_TOL
    assert union[first].all() and union.sum() > first.sum()
    assert satisfies(full, warm_start(full, start)) and full.objective @ warm_start(full, start) > 0


def test_chunks_are_independent_cover_every_arc_and_respect_their_size(candidates):
    from solvers.decompose import chunks

    arcs = candidates.arcs
    positions = np.flatnonzero(np.random.default_rng(0).random(len(arcs)) < 0.3)
    parts = chunks(arcs, positions, 200)
    assert len(parts) > 1
    assert np.array_equal(np.sort(np.concatenate(parts)), positions)
    for column in ("offer_id", "need_id"):
        owners = [set(arcs[column].to_numpy()[part]) for part in parts]
        assert sum(len(o) for o in owners) == len(set().union(*owners))  # no listing in two chunks
    assert [len(p) for p in parts] == sorted(len(p) for p in parts)
    assert all(len(p) <= 200 or _one_part(arcs, p) for p in parts)


def _one_part(arcs, part):
    """Whether the arcs at ``part`` join their listings into one connected part."""
    from solvers.decompose import chunks

    return len(chunks(arcs, part, 0)) == 1


def test_the_lp_bound_is_strengthened_where_links_are_paid_and_stays_above_the_solution(candidates):
    """Flow covers lower the bound of a component with link costs below its plain relaxation, never
    below a solution the engine finds; without ``tighten`` it is the plain (compact) relaxation."""
    from solvers.decompose import lp_bound

    inputs = SolveInputs.of(candidates, PARAMS)
    sub = inputs.subset(np.flatnonzero(inputs.useful & inputs.discrete))
    assert (sub.objective.link != 0).any()
    _, plain = lp_bound(sub.arcs, sub.objective, sub.rules, PARAMS, tighten=False)
    _, compact = compact_relaxation(sub.arcs, sub.objective, quantities(sub.arcs, sub.rules), PARAMS, 20)
    _, tightened = lp_bound(sub.arcs, sub.objective, sub.rules, PARAMS)
    assert plain == pytest.approx(compact, rel=1e-9)
    assert tightened < plain * (1 - 1e-6)
    found = solve(candidates, replace(PARAMS, milp_full_up_to_arcs=0))
    assert found.objective_value <= found.bound * (1 + 1e-9)


def test_a_solution_within_the_engines_tolerance_of_a_large_bound_satisfies_the_model():
    from solvers.milp import MilpModel, satisfies

    # One row: x0 + x1 <= 7160 (a need of 7,160 t), both flows at most 7160.
    model = MilpModel(num_arcs=2, binary_arcs=np.zeros(0, dtype=np.int64), var_lower=np.zeros(2),
                      var_upper=np.full(2, 7160.0), objective=np.ones(2), row_lower=np.array([-np.inf]),
                      row_upper=np.array([7160.0]), matrix=sp.csr_matrix(np.ones((1, 2))))
    assert satisfies(model, np.array([3580.0, 3580.0]))
    assert satisfies(model, np.array([3580.0, 3580.0 + 1.2e-5]))  # over by 1.7e-9 of the bound, as SCIP returned
    assert not satisfies(model, np.array([3580.0, 3580.0 + 1.0]))  # over by a tonne
    assert not satisfies(model, np.array([-1e-3, 0.0]))  # a negative flow


def test_chunks_without_a_milp_solution_keep_their_start_or_the_greedy_choice(candidates, monkeypatch):
    """When the MILP finds nothing on a chunk in its time (here: never), the chunk keeps its
    repaired start where that holds, else the greedy choice on its arcs; the whole is a solution."""
    import solvers.decompose as decompose
    from solvers.milp import MilpSolution, satisfies, warm_start

    inputs = SolveInputs.of(candidates, PARAMS)
    sub = inputs.subset(np.flatnonzero(inputs.useful & inputs.discrete))
    full = build_milp(sub.arcs, sub.objective.effective, sub.objective.link, sub.rules)
    nothing = lambda model, *a, **k: MilpSolution("not_solved", False, False, np.zeros(model.num_arcs),  # noqa: E731
                                                   np.zeros(model.num_arcs, bool), np.nan, np.nan, np.nan, 0.0)
    monkeypatch.setattr(decompose, "solve_milp", nothing)
    kept = decompose.solve_decomposed(sub.arcs, sub.objective, sub.rules, PARAMS, 20)
    assert kept.has_solution and satisfies(full, warm_start(full, kept.flows)) and kept.model_objective > 0
    # Starts that break the listings' quantities: every chunk takes the greedy choice.
    monkeypatch.setattr(decompose, "repair_for_rules", lambda flows, arcs, rules: flows * 0 + arcs["upper"].to_numpy() * 3)
    greedy = decompose.solve_decomposed(sub.arcs, sub.objective, sub.rules, PARAMS, 20)
    assert greedy.has_solution and satisfies(full, warm_start(full, greedy.flows)) and greedy.model_objective > 0
    assert not np.array_equal(greedy.flows, kept.flows)


@pytest.mark.parametrize("gap", [0.0, 2e-3])
def test_the_priced_relaxation_bounds_the_optimum_and_reaches_it_without_a_gap(candidates, monkeypatch, gap):
    import solvers.decompose as decompose

    inputs = SolveInputs.of(candidates, PARAMS)
    sub = inputs.subset(np.flatnonzero(inputs.useful & inputs.discrete))
    rows = quantities(sub.arcs, sub.rules)
    exact_flows, optimum = compact_relaxation(sub.arcs, sub.objective, rows, PARAMS, 20)
    solved = []
    real_solve = decompose.solve_linear_model
    monkeypatch.setattr(decompose, "solve_linear_model",
                        lambda model, *a: solved.append(model.model.num_variables) or real_solve(model, *a))
    priced = replace(PARAMS, relative_gap=gap, priced_relaxation_from_arcs=1)
    flows, bound = compact_relaxation(sub.arcs, sub.objective, rows, priced, 20)
    assert len(solved) >= 2 and max(solved) < len(sub.arcs)  # several restricted LPs, none with every arc
    upper = sub.arcs["upper"].to_numpy(dtype=float)
    weights = sub.objective.effective + sub.objective.link / np.maximum(upper, 1e-12)
    value = float(weights @ flows)
    assert (flows >= 0).all() and (flows <= upper * (1 + 1e-9)).all()
    offered = np.bincount(sub.arcs["offer_id"].cat.codes, weights=flows, minlength=len(sub.arcs["offer_id"].cat.categories))
    quantity = rows[0].reindex(sub.arcs["offer_id"].cat.categories).fillna(0).to_numpy()
    assert (offered <= quantity * (1 + 1e-9) + 1e-9).all()
    assert value <= optimum * (1 + 1e-9) and bound >= optimum * (1 - 1e-9)  # a solution below, a bound above
    assert bound - value <= max(gap * decompose.PRICED_GAP_SHARE, 1e-9) * bound * 1.001
    if gap == 0.0:
        assert bound == pytest.approx(optimum, rel=1e-7) and value == pytest.approx(optimum, rel=1e-7)


def test_without_a_relaxation_in_time_the_milp_works_around_the_greedy_choice(candidates, monkeypatch):
    """A relaxation that does not finish (no flows, no bound) must not leave the component empty."""
    import solvers.decompose as decompose
    from solvers.milp import satisfies, warm_start

    inputs = SolveInputs.of(candidates, PARAMS)
    sub = inputs.subset(np.flatnonzero(inputs.useful & inputs.discrete))
    full = build_milp(sub.arcs, sub.objective.effective, sub.objective.link, sub.rules)
    greedy_flows = decompose._greedy(sub.arcs, sub.objective, sub.rules, np.zeros(len(sub.arcs), bool),
                                     np.arange(len(sub.arcs)))
    _, greedy_value = decompose.feasible_start(full, greedy_flows)
    monkeypatch.setattr(decompose, "lp_bound", lambda arcs, *a, **k: (np.zeros(len(arcs)), float("nan")))
    outcome = decompose.solve_decomposed(sub.arcs, sub.objective, sub.rules, PARAMS, 20)
    assert outcome.has_solution and satisfies(full, warm_start(full, outcome.flows))
    assert greedy_value > 0 and outcome.model_objective >= greedy_value * (1 - 1e-9)
    assert outcome.relaxed_bound == float("inf")  # no bound is claimed


def test_the_priced_relaxation_keeps_the_last_round_when_time_runs_out(candidates, monkeypatch):
    import solvers.decompose as decompose

    inputs = SolveInputs.of(candidates, PARAMS)
    sub = inputs.subset(np.flatnonzero(inputs.useful & inputs.discrete))
    rows = quantities(sub.arcs, sub.rules)
    _, optimum = compact_relaxation(sub.arcs, sub.objective, rows, PARAMS, 20)
    real_solve, rounds = decompose.solve_linear_model, []

    def second_round_out_of_time(model, *args):
        rounds.append(1)
        solution = real_solve(model, *args)
        return solution if len(rounds) == 1 else replace(solution, optimal=False)

    monkeypatch.setattr(decompose, "solve_linear_model", second_round_out_of_time)
    flows, bound = compact_relaxation(sub.arcs, sub.objective, rows,
                                      replace(PARAMS, relative_gap=0.0, priced_relaxation_from_arcs=1), 20)
    assert len(rounds) == 2 and flows.max() > 0
    assert np.isfinite(bound) and bound >= optimum * (1 - 1e-9)  # the first round's bound, still valid

"""The tightened LP bound: flow cover inequalities cut off relaxed solutions that pay a link only in
part, and never cut off a solution of the MILP (the bound stays at or above the exact optimum)."""

import numpy as np
import pandas as pd
import pytest

from solvers.milp import build_milp, flow_cover_cuts, solve_milp, solve_relaxation, tightened_relaxation
from solvers.params import SolveParams
from symbiosis.options import ListingRules

EXACT = SolveParams(relative_gap=0.0)


def _model(offer, need, offer_qty, need_qty, yields, lots=None):
    """Arcs ``offer[i] -> need[i]`` with capacity ``min(S, D / yield)`` and their rules."""
    arcs = pd.DataFrame({"offer_id": offer, "need_id": need, "yield": yields})
    s = np.asarray([offer_qty[o] for o in offer], float)
    d = np.asarray([need_qty[n] for n in need], float)
    arcs["upper"] = np.minimum(s, d / arcs["yield"].to_numpy())
    m = len(arcs)
    rules = ListingRules(
        offer_lot=np.zeros(m) if lots is None else np.asarray(lots, float), need_lot=np.zeros(m),
        offer_partners=np.full(m, np.inf), need_partners=np.full(m, np.inf), offer_aon=np.zeros(m, bool),
        need_aon=np.zeros(m, bool), offer_qty=s, need_qty=d)
    return arcs, rules


def test_a_flow_cover_makes_the_relaxation_pay_the_whole_link():
    """An offer of 10 and two needs of 8 (10 per unit, a link of 40 each): the MILP serves one need
    (80 - 40 = 40); the plain relaxation splits the offer and pays 10/8 of a link (100 - 50 = 50);
    the flow cover x1 + x2 + 2 (1 - y1) + 2 (1 - y2) <= 10 brings it to 40."""
    arcs, rules = _model(["a", "a"], ["n1", "n2"], {"a": 10.0}, {"n1": 8.0, "n2": 8.0}, [1.0, 1.0])
    model = build_milp(arcs, np.array([10.0, 10.0]), np.array([-40.0, -40.0]), rules)
    flows, relaxed = solve_relaxation(model)
    assert relaxed == pytest.approx(50.0)
    matrix, upper = flow_cover_cuts(model, arcs, rules, np.concatenate([flows, flows / 8.0]))
    assert matrix.shape[0] == 1 and upper[0] == pytest.approx(6.0)
    assert tightened_relaxation(model, arcs, rules)[1] == pytest.approx(40.0)
    assert solve_milp(model, EXACT).objective == pytest.approx(40.0)


@pytest.mark.parametrize("seed", range(12))
def test_the_tightened_bound_never_falls_below_the_exact_optimum(seed):
    rng = np.random.default_rng(seed)
    offers, needs = [f"o{i}" for i in range(5)], [f"n{i}" for i in range(5)]
    pairs = [(o, n) for o in offers for n in needs if rng.random() < 0.6]
    offer_qty = {o: float(rng.uniform(5, 50)) for o in offers}
    need_qty = {n: float(rng.uniform(5, 50)) for n in needs}
    yields = rng.choice([0.5, 1.0, 1.5], len(pairs))
    arcs, rules = _model([p[0] for p in pairs], [p[1] for p in pairs], offer_qty, need_qty, yields)
    lots = np.where(rng.random(len(arcs)) < 0.3, arcs["upper"].to_numpy() * rng.uniform(0.2, 0.6, len(arcs)), 0.0)
    rules = ListingRules(**{**rules.__dict__, "offer_lot": lots})
    weights = rng.uniform(1, 10, len(arcs))
    links = -weights * arcs["upper"].to_numpy() * rng.uniform(0.1, 0.9, len(arcs))
    model = build_milp(arcs, weights, links, rules)
    optimum = solve_milp(model, EXACT).objective
    plain = solve_relaxation(model)[1]
    tightened = tightened_relaxation(model, arcs, rules)[1]
    assert optimum <= tightened + 1e-6 * max(abs(optimum), 1.0)
    # Each of these instances has a link paid in part in its plain relaxation: the cuts bite.
    assert tightened < plain * (1 - 1e-3)

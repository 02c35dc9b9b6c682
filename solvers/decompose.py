"""MILP decomposition for large discrete components, with an honest bound.

A component with discrete rules larger than :attr:`~solvers.params.SolveParams.milp_full_up_to_arcs`
is not handed to the MILP engine whole. Instead:

1. the LP relaxation of the whole component is solved (GLOP); its optimum bounds the MILP. Where
   no partner limit, all-or-nothing rule or lock applies, the relaxation is solved in its compact
   form: with the binaries continuous, each ``y_a`` settles at ``x_a / u_a`` (a usable arc's lots
   are at most ``u_a``, so they hold), which leaves an LP in the flows alone with the link cost
   spread over the arc's capacity, the same optimum at a fraction of the size;
2. LP-support reduction: the MILP is solved on the arcs that carry flow in the relaxation (and
   locked arcs), warm-started from the relaxation repaired to respect the discrete rules; any
   solution of it is a solution of the whole component, since leaving arcs out never breaks a
   constraint (each lot and link binds only an arc that is used), and this is checked against the
   whole model;
3. relax-fix-resolve: while time is left and the gap to the LP bound is above the target, the
   listings whose lots or links bind fractionally in the relaxation get all their arcs back (then,
   in a further round, every listing the model holds does), and the MILP is solved again from the
   best solution so far, each round within :data:`RESOLVE_TIME_FACTOR` times what the previous
   one took (its purpose is a cheap improvement, not a proof).

The reported bound is the whole component's LP relaxation, so the gap is against it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from solvers.lp import build_linear_model, solve_linear_model
from solvers.milp import MilpModel, build_milp, locked_arcs, repair_for_rules, solve_milp, solve_relaxation, warm_start
from solvers.params import SolveParams
from symbiosis.objective import ArcObjective
from symbiosis.options import ListingRules

#: Flow below which an arc counts as unused in the relaxation (canonical units).
SUPPORT_TOL = 1e-9
#: The relax-fix-resolve round may take this many times the first reduced solve's seconds (at least
#: :data:`RESOLVE_MIN_S`).
RESOLVE_TIME_FACTOR = 3.0
RESOLVE_MIN_S = 2.0
#: The reduced MILPs stop at this share of the asked relative gap: their own bound is tighter than
#: the component's LP relaxation, against which the gap is reported.
REDUCED_GAP_SHARE = 0.25
#: Relax-fix-resolve rounds after the first reduced solve: the listings whose lots or links bind
#: fractionally get their arcs back, then every listing the model holds does.
RESOLVE_ROUNDS = 1


@dataclass(frozen=True)
class Decomposed:
    """Outcome on a whole component: flows per arc, the objective the model maximised at them, the
    LP relaxation's optimum (an upper bound), whether a solution satisfying every constraint of the
    whole model was found, and whether the first reduced model was proven infeasible without one."""

    flows: np.ndarray
    model_objective: float
    relaxed_bound: float
    has_solution: bool
    infeasible: bool


def satisfies(model: MilpModel, start: np.ndarray) -> bool:
    """Whether a full variable vector satisfies every row and bound of ``model``."""
    activity = model.matrix @ start
    return bool(
        np.all(activity >= model.row_lower - 1e-6) and np.all(activity <= model.row_upper + 1e-6)
        and np.all(start >= model.var_lower - 1e-9) and np.all(start <= model.var_upper + 1e-9)
    )


def compact_applies(locked: np.ndarray, rules: ListingRules) -> bool:
    """Whether the LP relaxation may be solved in its compact form: no lock, partner limit or
    all-or-nothing rule applies."""
    return not (locked.any() or np.isfinite(rules.offer_partners).any() or np.isfinite(rules.need_partners).any()
                or rules.offer_aon.any() or rules.need_aon.any())


def solve_decomposed(arcs: pd.DataFrame, objective: ArcObjective, rules: ListingRules, params: SolveParams,
                     time_limit_s: float) -> Decomposed:
    """Solve one large discrete component by LP-support reduction and relax-fix-resolve."""
    started = time.perf_counter()
    left = lambda: max(time_limit_s - (time.perf_counter() - started), 1.0)  # noqa: E731
    full = build_milp(arcs, objective.effective, objective.link, rules)
    locked = locked_arcs(arcs)
    if compact_applies(locked, rules):
        relaxed, bound = compact_relaxation(arcs, objective, quantities(arcs, rules), params, left())
    else:
        relaxed, bound = solve_relaxation(full, params.lp_engine, left())
    bound = bound if np.isfinite(bound) else float("inf")
    keep = (relaxed > SUPPORT_TOL) | locked
    best = np.zeros(len(arcs))
    best_value, found, infeasible = -np.inf, False, False
    start_flows = repair_for_rules(relaxed, arcs, rules)
    round_limit = None
    reduced = replace(params, relative_gap=params.relative_gap * REDUCED_GAP_SHARE)
    for round_ in range(RESOLVE_ROUNDS + 1):
        round_started = time.perf_counter()
        positions = np.flatnonzero(keep)
        sub = build_milp(arcs.iloc[positions], objective.effective[positions], objective.link[positions],
                         rules.subset(positions))
        start = warm_start(sub, start_flows[positions])
        limit = left() if round_limit is None else min(left(), round_limit)
        solution = solve_milp(sub, reduced, start if satisfies(sub, start) else None, time_limit_s=limit)
        round_limit = max(RESOLVE_TIME_FACTOR * (time.perf_counter() - round_started), RESOLVE_MIN_S)
        if solution.has_solution:
            flows = np.zeros(len(arcs))
            flows[positions] = solution.flows
            candidate = warm_start(full, flows)
            value = float(full.objective @ candidate)
            if satisfies(full, candidate) and value > best_value:
                best, best_value, found = flows, value, True
        elif round_ == 0 and solution.status == "infeasible":
            infeasible = True
        gap = (bound - best_value) / max(abs(bound), 1e-9) if found else np.inf
        if gap <= params.relative_gap or time_limit_s - (time.perf_counter() - started) < 2.0:
            break
        if round_ == 0:
            grown = keep | _binding_listings_arcs(arcs, relaxed, full, rules)
        else:  # the next neighbourhood: every arc of the listings the model holds so far
            grown = keep | _listings_arcs(arcs, keep)
        if grown.sum() == keep.sum():
            break
        keep, start_flows = grown, best
    return Decomposed(best, best_value if found else float("nan"), bound, found, infeasible and not found)


def quantities(arcs: pd.DataFrame, rules: ListingRules) -> tuple[pd.Series, pd.Series]:
    """Offer and need quantities by listing id, as the model's rows hold them."""
    offer = pd.Series(rules.offer_qty, index=arcs["offer_id"].to_numpy())
    need = pd.Series(rules.need_qty, index=arcs["need_id"].to_numpy())
    return offer[~offer.index.duplicated()], need[~need.index.duplicated()]


def compact_relaxation(arcs: pd.DataFrame, objective: ArcObjective, listing_quantities: tuple[pd.Series, pd.Series],
                       params: SolveParams, time_limit_s: float) -> tuple[np.ndarray, float]:
    """The LP relaxation in the flows alone (each binary at ``x / u``): flows and optimum (``nan``
    if the engine did not reach it)."""
    upper = arcs["upper"].to_numpy(dtype=float)
    weights = objective.effective + objective.link / np.maximum(upper, 1e-12)
    model = build_linear_model(arcs, weights, *listing_quantities)
    solution = solve_linear_model(model, params.lp_engine, time_limit_s)
    if not solution.optimal:
        return np.zeros(len(arcs)), float("nan")
    return solution.flows, float(solution.objective)


def _listings_arcs(arcs: pd.DataFrame, chosen: np.ndarray) -> np.ndarray:
    """Every arc of the listings that have an arc among ``chosen``."""
    return (arcs["offer_id"].isin(arcs["offer_id"].to_numpy(dtype=object)[chosen]).to_numpy()
            | arcs["need_id"].isin(arcs["need_id"].to_numpy(dtype=object)[chosen]).to_numpy())


def _binding_listings_arcs(arcs: pd.DataFrame, relaxed: np.ndarray, full: MilpModel, rules: ListingRules) -> np.ndarray:
    """Every arc of the listings with an arc whose lot or link binds fractionally in the
    relaxation (it carries flow, but less than its lot or too little to pay its whole link)."""
    b = full.binary_arcs
    used = relaxed[b] > SUPPORT_TOL
    upper = arcs["upper"].to_numpy(dtype=float)[b]
    floor = np.maximum(rules.offer_lot[b], 0.0)
    fractional = used & ((relaxed[b] < upper * (1 - 1e-6)) | (relaxed[b] < floor * (1 - 1e-6)))
    touched_offers = arcs["offer_id"].to_numpy(dtype=object)[b[fractional]]
    touched_needs = arcs["need_id"].to_numpy(dtype=object)[b[fractional]]
    return arcs["offer_id"].isin(touched_offers).to_numpy() | arcs["need_id"].isin(touched_needs).to_numpy()

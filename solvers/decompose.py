"""MILP decomposition for large discrete components, with an honest bound.

A component with discrete rules larger than :attr:`~solvers.params.SolveParams.milp_full_up_to_arcs`
is not handed to the MILP engine whole. Instead:

1. the LP relaxation of the whole component is solved (GLOP); its optimum bounds the MILP. Where
   no partner limit, all-or-nothing rule or lock applies, the relaxation is solved in its compact
   form: with the binaries continuous, each ``y_a`` settles at ``x_a / u_a`` (a usable arc's lots
   are at most ``u_a``, so they hold), which leaves an LP in the flows alone with the link cost
   spread over the arc's capacity, the same optimum at a fraction of the size (from a million
   arcs in a run in parts, by pricing: restricted LPs of each listing's best arcs, widened by the arcs whose reduced
   cost is positive, bounded by the Lagrangian bound of their duals; :func:`priced_relaxation`).
   Where link costs are paid, the relaxation (with its binaries) is strengthened by rounds of
   violated flow cover inequalities at the listings (:func:`~solvers.milp.flow_cover_cuts`, valid
   for every solution of the MILP), which make it pay more of a link whose arc it fills only in part;
2. LP-support reduction: the MILP is solved on the arcs that carry flow in the relaxation (and
   locked arcs), warm-started from the relaxation repaired to respect the discrete rules; any
   solution of it is a solution of the whole component, since leaving arcs out never breaks a
   constraint (each lot and link binds only an arc that is used), and this is checked against the
   whole model. The reduced MILP falls apart into independent parts (the support of an LP is
   sparse: on 100,000 listings the largest component's support had 479 parts of at most 1,016
   arcs), which are solved in chunks of at most ``milp_full_up_to_arcs`` arcs, smallest first,
   each with its share of the time left. A chunk the MILP engine finds nothing for in its time
   (or that comes after the time is up) keeps its repaired start where that holds, else the
   greedy choice on its arcs (chunks share no constraint, so the whole stays a solution; at
   1,000,000 listings this keeps a 2.3 M-arc component's MILP solution, 0.012 % from its bound,
   where the greedy fallback of the whole component was 0.042 %);
3. LP dive, if the gap to the LP bound is still above the target: the arcs the relaxation uses
   against a lot, a link's break-even quantity, a partner limit or an all-or-nothing rule are
   dropped and the relaxation is solved again, up to :data:`DIVE_ROUNDS` times within
   :data:`DIVE_TIME_SHARE` of the time left; the MILP is then solved on the union of the
   relaxations' supports, from the best of the first solution and the dives' repaired solutions
   (on 20,000 listings this closed one component's gap from 2.07 % to 0.57 %: the first support
   alone lacks the arcs the flow moves to when a lot or link rules an arc out);
4. relax-fix-resolve: while time is left and the gap to the LP bound is above the target, the
   listings whose lots or links bind fractionally in the relaxation get all their arcs back (then,
   in a further round, every listing the model holds does), and the MILP is solved again from the
   best solution so far, each round within :data:`RESOLVE_TIME_FACTOR` times what the previous
   one took (its purpose is a cheap improvement, not a proof).

The reported bound is the LP relaxation of the whole component's model, with those valid
inequalities where links are paid, so the gap is against it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from solvers.greedy import solve_greedy
from solvers.lp import build_linear_model, solve_linear_model
from solvers.milp import (
    MilpModel, build_milp, feasible_start, locked_arcs, repair_for_rules, satisfies, solve_milp, solve_relaxation,
    tightened_relaxation, warm_start,
)
from solvers.params import SolveParams
from symbiosis.candidates import codes_of, rank_in_group
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
#: Rounds of cutting planes at SCIP's root node in the reduced MILPs (SCIP's default is unlimited):
#: within their seconds, the time goes to the search instead. On the 20,000-listing benchmark's
#: components, with 5 s each, it found 801.9 M instead of 799.5 M and 626.9 M instead of 621.1 M
#: (6 s); on a third component it stopped sooner at the asked gap.
REDUCED_ROOT_SEPARATION_ROUNDS = 3
#: Share of a component's time limit within which rounds of flow cover inequalities may start
#: (components with link costs; see :func:`lp_bound`).
COVER_TIME_SHARE = 0.25
#: The engine strengthens the relaxation only of components with at most this many arcs: with its
#: binaries the relaxation is far slower than in its compact form (the 100,000-listing synthetic
#: region's 94,567-arc `value` component: 9 s against 0.6 s, and 21 s with the cut rounds of a
#: quarter of 60 s for 0.06 %; the 20,000-listing MILP benchmark's 8,037-arc pipeline component:
#: 0.2 s). The benchmark's LP bound strengthens every component.
COVER_MAX_ARCS = 20_000
#: A further step (dive, neighbourhood) starts only while this share of the component's time limit
#: is left (before: 2 s, which left components with a small share no step after the first solve).
ROUND_MIN_SHARE = 0.1
#: Least seconds a chunk of a reduced MILP is given (see :func:`chunks`).
CHUNK_MIN_S = 0.5
#: Most LP dive rounds (each drops the arcs the relaxation uses against a discrete rule and solves it
#: again), and the share of the component's time left after the first reduced solve they may take.
DIVE_ROUNDS = 12
DIVE_TIME_SHARE = 0.3
#: The dive is tried only while the gap to the LP bound is above this: each of its rounds solves
#: the relaxation of the whole component again, and on the 100,000-listing synthetic region (the
#: `diverted` objective, a 177,498-arc pipeline-energy component at 0.02 % after the first solve)
#: it took the component from 6 s to 21 s for 0.02 %.
DIVE_MIN_GAP = 1e-3
#: Relax-fix-resolve rounds after the first reduced solve: the listings whose lots or links bind
#: fractionally get their arcs back, then every listing the model holds does.
RESOLVE_ROUNDS = 1
#: A relax-fix-resolve neighbourhood with more than this many times the arcs of the last one is not
#: tried (on 100,000 listings the binding listings' arcs were 105,887 against 22,389: SCIP did not
#: finish its root in the seconds left).
RESOLVE_MAX_GROWTH = 3


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


def compact_applies(locked: np.ndarray, rules: ListingRules) -> bool:
    """Whether the LP relaxation may be solved in its compact form: no lock, partner limit or
    all-or-nothing rule applies."""
    return not (locked.any() or np.isfinite(rules.offer_partners).any() or np.isfinite(rules.need_partners).any()
                or rules.offer_aon.any() or rules.need_aon.any())


def solve_decomposed(arcs: pd.DataFrame, objective: ArcObjective, rules: ListingRules, params: SolveParams,
                     time_limit_s: float) -> Decomposed:
    """Solve one large discrete component by LP-support reduction, an LP dive and relax-fix-resolve."""
    started = time.perf_counter()
    elapsed = lambda: time.perf_counter() - started  # noqa: E731
    left = lambda: max(time_limit_s - elapsed(), 1.0)  # noqa: E731
    locked = locked_arcs(arcs)
    relax = _relaxer(arcs, objective, rules, locked, params)
    tighten = len(arcs) <= COVER_MAX_ARCS
    # The whole model is built before the relaxation only when the cuts need it; otherwise after,
    # so that it and the relaxation's engine are not in memory at once.
    full = build_milp(arcs, objective.effective, objective.link, rules) if tighten else None
    relaxed, bound = lp_bound(arcs, objective, rules, params, left(), COVER_TIME_SHARE * time_limit_s, full,
                              tighten=tighten, relax=relax)
    if full is None:
        full = build_milp(arcs, objective.effective, objective.link, rules)
    if not np.isfinite(bound):  # no relaxation in time: the MILP works around the greedy choice instead
        relaxed = _greedy(arcs, objective, rules, locked, np.arange(len(arcs)))
    bound = bound if np.isfinite(bound) else float("inf")
    reduced = replace(params, relative_gap=params.relative_gap * REDUCED_GAP_SHARE,
                      scip_root_separation_rounds=REDUCED_ROOT_SEPARATION_ROUNDS)
    best, best_value, last_seconds = np.zeros(len(arcs)), -np.inf, 0.0

    def attempt(keep: np.ndarray, start_flows: np.ndarray, limit: float) -> str:
        """Solve the MILP on the arcs ``keep`` from ``start_flows``, chunk by chunk of independent
        parts (:func:`chunks`), each with its share of ``limit`` (a chunk's unused time passes on);
        keep the solution if it is the best. Returns ``"infeasible"`` if a chunk is proven so,
        ``"not_solved"`` if one found no solution and neither its start nor the greedy choice holds,
        else ``"solved"``."""
        nonlocal best, best_value, last_seconds
        attempt_started = time.perf_counter()
        deadline = attempt_started + limit
        parts = chunks(arcs, np.flatnonzero(keep), params.milp_full_up_to_arcs)
        waiting = sum(len(part) for part in parts)
        flows, status = np.zeros(len(arcs)), "solved"
        for part in parts:
            left_s = deadline - time.perf_counter()
            share = max(left_s * len(part) / waiting, CHUNK_MIN_S)
            waiting -= len(part)
            sub = build_milp(arcs.iloc[part], objective.effective_at(part), objective.link[part], rules.subset(part))
            start = warm_start(sub, start_flows[part])
            valid = satisfies(sub, start)
            # Once the time is up, the chunks left keep their start (or the greedy choice) unsolved.
            solution = solve_milp(sub, reduced, start if valid else None, time_limit_s=share) if left_s > 0 else None
            if solution is not None and solution.has_solution:
                flows[part] = solution.flows
            elif solution is not None and solution.status == "infeasible":
                status = "infeasible"
                break
            elif valid:
                flows[part] = start_flows[part]
            elif satisfies(sub, warm_start(sub, chosen := _greedy(arcs, objective, rules, locked, part))):
                flows[part] = chosen
            else:
                status = "not_solved"
                break
        if status == "solved":
            _start, value = feasible_start(full, flows)
            if value > best_value:
                best, best_value = flows, value
        last_seconds = time.perf_counter() - attempt_started
        return status

    def gap() -> float:
        return (bound - best_value) / max(abs(bound), 1e-9) if np.isfinite(best_value) else np.inf

    def done() -> bool:
        return gap() <= params.relative_gap or time_limit_s - elapsed() < ROUND_MIN_SHARE * time_limit_s

    keep = (relaxed > SUPPORT_TOL) | locked
    status = attempt(keep, repair_for_rules(relaxed, arcs, rules), left())
    infeasible = status == "infeasible" and not np.isfinite(best_value)
    if not done() and gap() > DIVE_MIN_GAP:
        deadline = time.perf_counter() + DIVE_TIME_SHARE * (time_limit_s - elapsed())
        union, dived = _dive(arcs, rules, locked, full, relax, relaxed, deadline)
        dived_value = float(full.objective @ warm_start(full, dived))
        if (union & ~keep).any():
            keep |= union
            attempt(keep, best if best_value >= dived_value else dived, left())
    neighbourhoods = (lambda: _binding_listings_arcs(arcs, relaxed, full, rules), lambda: _listings_arcs(arcs, keep))
    for grow in neighbourhoods[:RESOLVE_ROUNDS]:
        if done():
            break
        grown = keep | grow()
        if grown.sum() == keep.sum() or grown.sum() > RESOLVE_MAX_GROWTH * keep.sum():
            break
        keep = grown
        attempt(keep, best, min(left(), max(RESOLVE_TIME_FACTOR * last_seconds, RESOLVE_MIN_S)))
    found = bool(np.isfinite(best_value))
    return Decomposed(best, best_value if found else float("nan"), bound, found, infeasible)


def _greedy(arcs: pd.DataFrame, objective: ArcObjective, rules: ListingRules, locked: np.ndarray,
            part: np.ndarray) -> np.ndarray:
    """The greedy flows on the arcs at ``part`` (all the arcs a chunk holds of its listings)."""
    sub_rules = rules.subset(part)
    return solve_greedy(arcs.iloc[part], objective.effective_at(part), *quantities(arcs.iloc[part], sub_rules),
                        link_weights=objective.link[part], rules=sub_rules, locked=locked[part])


def chunks(arcs: pd.DataFrame, positions: np.ndarray, size: int) -> list[np.ndarray]:
    """The arcs at ``positions`` in chunks of independent parts: the connected parts of the graph
    of listings they join (no constraint spans two of them), packed largest first into chunks of
    at most ``size`` arcs (a larger part is a chunk of its own), smallest chunk first (so that the
    time the small ones leave goes to the large ones)."""
    if not len(positions):
        return []
    offers, _ = pd.factorize(arcs["offer_id"].to_numpy()[positions])
    needs, _ = pd.factorize(arcs["need_id"].to_numpy()[positions])
    n_offers = offers.max() + 1
    nodes = n_offers + needs.max() + 1
    graph = sp.coo_matrix((np.ones(len(positions)), (offers, n_offers + needs)), shape=(nodes, nodes))
    label = connected_components(graph, directed=False)[1][offers]
    parts = sorted(np.split(positions[np.argsort(label, kind="stable")], np.cumsum(np.bincount(label))[:-1]),
                   key=len, reverse=True)
    packed: list[list[np.ndarray]] = []
    filled = 0  # arcs in the last chunk so far
    for part in parts:
        if packed and filled + len(part) <= size:
            packed[-1].append(part)
            filled += len(part)
        else:
            packed.append([part])
            filled = len(part)
    return sorted((np.sort(np.concatenate(group)) for group in packed), key=len)


def lp_bound(arcs: pd.DataFrame, objective: ArcObjective, rules: ListingRules, params: SolveParams,
             time_limit_s: float | None = None, cut_time_s: float | None = None,
             full: MilpModel | None = None, *, tighten: bool = True, relax=None) -> tuple[np.ndarray, float]:
    """The LP bound of a component: flows and optimum of its LP relaxation, where link costs are
    paid (and ``tighten``) strengthened by flow cover inequalities (cut rounds starting within
    ``cut_time_s``; see :func:`~solvers.milp.tightened_relaxation`), elsewhere in the compact form
    where it applies. ``full`` is the component's model and ``relax`` its :func:`_relaxer`, if
    already built."""
    if tighten and (objective.link != 0).any():
        full = full if full is not None else build_milp(arcs, objective.effective, objective.link, rules)
        return tightened_relaxation(full, arcs, rules, params.lp_engine, time_limit_s, cut_time_s)
    relax = relax if relax is not None else _relaxer(arcs, objective, rules, locked_arcs(arcs), params)
    return relax(np.arange(len(arcs)), time_limit_s)


def _relaxer(arcs: pd.DataFrame, objective: ArcObjective, rules: ListingRules, locked: np.ndarray,
             params: SolveParams):
    """A function solving the LP relaxation on the arcs at given positions (compact form where it
    applies) within a time limit: flows on those arcs and the optimum (``nan`` if not reached)."""
    listing_quantities = quantities(arcs, rules)

    def relax(positions: np.ndarray, limit_s: float) -> tuple[np.ndarray, float]:
        sub_rules = rules.subset(positions)
        if compact_applies(locked[positions], sub_rules):
            whole = len(positions) == len(arcs)  # (positions in order, as every caller gives them)
            return compact_relaxation(arcs if whole else arcs.iloc[positions],
                                      objective if whole else objective.subset(positions), listing_quantities,
                                      params, limit_s)
        model = build_milp(arcs.iloc[positions], objective.effective_at(positions), objective.link[positions], sub_rules)
        return solve_relaxation(model, params.lp_engine, limit_s)

    return relax


def _dive(arcs: pd.DataFrame, rules: ListingRules, locked: np.ndarray, full: MilpModel, relax, relaxed: np.ndarray,
          deadline: float) -> tuple[np.ndarray, np.ndarray]:
    """LP dive: drop the arcs the relaxation uses against a lot, link, partner limit or
    all-or-nothing rule and solve it again, up to :data:`DIVE_ROUNDS` times or until ``deadline``.
    Returns the union of the relaxations' supports (and locked arcs), the neighbourhood the MILP
    is solved on, and the best of their solutions repaired to respect the rules (a warm start)."""
    allowed = np.ones(len(arcs), bool)
    union = locked.copy()
    flows = relaxed
    best, best_value = np.zeros(len(arcs)), -np.inf
    for _ in range(DIVE_ROUNDS + 1):
        used = flows > SUPPORT_TOL
        union |= used
        repaired = repair_for_rules(flows, arcs, rules)
        _start, value = feasible_start(full, repaired)
        if value > best_value:
            best, best_value = repaired, value
        broken = used & (repaired <= 0) & ~locked
        remaining = deadline - time.perf_counter()
        if not broken.any() or remaining <= 0:
            break
        allowed &= ~broken
        positions = np.flatnonzero(allowed)
        sub_flows, optimum = relax(positions, remaining)
        if not np.isfinite(optimum):
            break
        flows = np.zeros(len(arcs))
        flows[positions] = sub_flows
    return union, best


def quantities(arcs: pd.DataFrame, rules: ListingRules) -> tuple[pd.Series, pd.Series]:
    """Offer and need quantities by listing id, as the model's rows hold them."""
    offer = pd.Series(rules.offer_qty, index=arcs["offer_id"].to_numpy())
    need = pd.Series(rules.need_qty, index=arcs["need_id"].to_numpy())
    return offer[~offer.index.duplicated()], need[~need.index.duplicated()]


def compact_relaxation(arcs: pd.DataFrame, objective: ArcObjective, listing_quantities: tuple[pd.Series, pd.Series],
                       params: SolveParams, time_limit_s: float) -> tuple[np.ndarray, float]:
    """The LP relaxation in the flows alone (each binary at ``x / u``): flows and optimum (``nan``
    if the engine did not reach it); from :attr:`SolveParams.priced_relaxation_from_arcs` arcs by
    :func:`priced_relaxation`, whose bound is an upper bound of the optimum, within
    :data:`PRICED_GAP_SHARE` of the asked gap of it."""
    upper = arcs["upper"].to_numpy(dtype=float)
    weights = objective.effective + objective.link / np.maximum(upper, 1e-12)
    priced_from = params.priced_relaxation_from_arcs
    if priced_from is not None and len(arcs) >= priced_from:
        return priced_relaxation(arcs, weights, listing_quantities, params, time_limit_s)
    model = build_linear_model(arcs, weights, *listing_quantities)
    solution = solve_linear_model(model, params.lp_engine, time_limit_s)
    if not solution.optimal:
        return np.zeros(len(arcs)), float("nan")
    return solution.flows, float(solution.objective)


def _listings_arcs(arcs: pd.DataFrame, chosen: np.ndarray) -> np.ndarray:
    """Every arc of the listings that have an arc among ``chosen`` (positions or a mask)."""
    offers, needs = arcs["offer_id"], arcs["need_id"]
    return (offers.isin(offers.iloc[chosen].unique()).to_numpy()
            | needs.isin(needs.iloc[chosen].unique()).to_numpy())


def _binding_listings_arcs(arcs: pd.DataFrame, relaxed: np.ndarray, full: MilpModel, rules: ListingRules) -> np.ndarray:
    """Every arc of the listings with an arc whose lot or link binds fractionally in the
    relaxation (it carries flow, but less than its lot or too little to pay its whole link)."""
    b = full.binary_arcs
    used = relaxed[b] > SUPPORT_TOL
    upper = arcs["upper"].to_numpy(dtype=float)[b]
    floor = np.maximum(rules.offer_lot[b], 0.0)
    fractional = used & ((relaxed[b] < upper * (1 - 1e-6)) | (relaxed[b] < floor * (1 - 1e-6)))
    return _listings_arcs(arcs, b[fractional])


#: Arcs from which a run in parts solves a compact relaxation by pricing (:func:`priced_relaxation`,
#: :attr:`SolveParams.priced_relaxation_from_arcs`): on the 2.3 M-arc pipeline-energy component at
#: 1,000,000 listings GLOP took 48 s and 2.0 GB on the whole LP; by pricing, four LPs of at most
#: 525,000 arcs reached 2.2e-5 in 39 s with 0.8 GB (2.3e-6 in 55 s). Each restricted LP is solved
#: afresh (the engine takes no starting basis), which is why adding more arcs per round, or fewer,
#: was slower; and with the min-cost flows of a run at once on the other core the rounds took so
#: long that the 60 s ran out before the MILP's turn, so a run at once solves the whole LP.
PRICED_MIN_ARCS = 1_000_000
#: The pricing stops once its bound is within this share of the asked relative gap
#: (:attr:`SolveParams.relative_gap`: 1e-4 by default, so 5e-5) of the restricted LP's optimum, or when no
#: left-out arc could add anything (with a gap of 0, only then).
PRICED_GAP_SHARE = 0.5
#: Arcs each listing starts with (its best by weight) and, per round, most arcs added to it (its
#: best by reduced cost among those that would add something).
PRICED_START_ARCS = 2
PRICED_ADDED_ARCS = 2


def priced_relaxation(arcs: pd.DataFrame, weights: np.ndarray, listing_quantities: tuple[pd.Series, pd.Series],
                      params: SolveParams, time_limit_s: float) -> tuple[np.ndarray, float]:
    """The compact LP relaxation by column generation: solved on each listing's best arcs, then
    again with the left-out arcs whose reduced cost at the LP's duals is positive (each listing's
    best few), until none is left or the bound is within :data:`PRICED_GAP_SHARE` of the asked gap.

    The bound is Lagrangian: for row prices ``p >= 0`` (the LP's duals), every flow within the
    rows and the arcs' capacities has value at most ``sum(p * row bound) + sum(max(reduced cost, 0)
    * capacity)``, so it bounds the LP optimum (and the MILP) whatever arcs the restricted LP
    held; once no arc has a positive reduced cost it equals the optimum. Returns flows on all arcs
    (zero off the restricted LP) and the bound; when the time is up during a round, those of the
    round before (``nan`` as the bound if not even the first was solved in time)."""
    started = time.perf_counter()
    upper = arcs["upper"].to_numpy(dtype=float)
    yields = arcs["yield"].to_numpy(dtype=float)
    weights = np.asarray(weights, dtype=float)
    offer_codes, offer_ids = codes_of(arcs["offer_id"])
    need_codes, need_ids = codes_of(arcs["need_id"])
    offer_rows = listing_quantities[0].reindex(offer_ids).fillna(0.0).to_numpy(dtype=float)
    need_rows = listing_quantities[1].reindex(need_ids).fillna(0.0).to_numpy(dtype=float)
    tolerance = 1e-9 * np.maximum(np.abs(weights), 1e-12)
    held = _best_per_listing(offer_codes, weights, PRICED_START_ARCS) | _best_per_listing(need_codes, weights,
                                                                                          PRICED_START_ARCS)
    last = np.zeros(len(arcs)), float("nan")  # the last round's flows and bound
    while True:
        positions = np.flatnonzero(held)
        left_s = max(time_limit_s - (time.perf_counter() - started), 1.0)
        model = build_linear_model(arcs.iloc[positions], weights[positions], *listing_quantities)
        solution = solve_linear_model(model, params.lp_engine, left_s)
        del model
        if not solution.optimal:  # out of time: the last round's flows and bound still hold
            return last
        offer_price = np.zeros(len(offer_ids))
        need_price = np.zeros(len(need_ids))
        offer_price[offer_ids.get_indexer(solution.offer_duals.index)] = np.maximum(solution.offer_duals.to_numpy(), 0)
        need_price[need_ids.get_indexer(solution.need_duals.index)] = np.maximum(solution.need_duals.to_numpy(), 0)
        reduced = weights - offer_price[offer_codes] - yields * need_price[need_codes]
        bound = float(offer_rows @ offer_price + need_rows @ need_price + upper @ np.maximum(reduced, 0.0))
        adding = (reduced > tolerance) & ~held
        value = float(solution.objective)
        close = bound - value <= PRICED_GAP_SHARE * params.relative_gap * max(abs(bound), 1e-9)
        flows = np.zeros(len(arcs))
        flows[positions] = solution.flows
        last = flows, max(bound, value)
        if not adding.any() or close or time.perf_counter() - started >= time_limit_s:
            return last
        held |= (_best_per_listing(offer_codes, reduced, PRICED_ADDED_ARCS, adding)
                 | _best_per_listing(need_codes, reduced, PRICED_ADDED_ARCS, adding))


def _best_per_listing(codes: np.ndarray, score: np.ndarray, count: int, among: np.ndarray | None = None) -> np.ndarray:
    """Per arc, whether it is among the ``count`` highest-scoring arcs of its listing (``codes``),
    counting only the arcs ``among`` (all when None)."""
    positions = np.arange(len(codes)) if among is None else np.flatnonzero(among)
    order = positions[np.argsort(-score[positions], kind="stable")]  # best first, ties in arc order
    best = np.zeros(len(codes), bool)
    best[order[rank_in_group(codes[order]) < count]] = True
    return best

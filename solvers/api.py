"""Solve a candidate graph: choose engines per material component, solve, extract a MatchResult."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from solvers.flow import build_flow_network, flows_to_arcs, solve_flow_network
from solvers.greedy import solve_greedy
from solvers.lp import build_linear_model, solve_linear_model
from solvers.milp import MilpParams, build_milp, repair_for_rules, solve_milp, solve_relaxation, warm_start
from solvers.network import find_material_components
from solvers.params import DEFAULT_MILP_TIME_LIMIT_S, SolveParams, SolverName
from solvers.scaling import TIE_BREAK_WEIGHT
from symbiosis.candidates import Candidates
from symbiosis.errors import InfeasibleError, SymbiosisError
from symbiosis.explain import explain_unmatched
from symbiosis.impacts import EXCHANGE_MIN_QUANTITY, arc_link_weights, arc_tiebreak, arc_weights, build_exchanges
from symbiosis.options import ListingRules
from symbiosis.result import MatchResult, Status


class SolverError(SymbiosisError):
    """The chosen engine cannot solve this model (e.g. min-cost flow with mixed yields)."""


def solve(candidates: Candidates, params: SolveParams | None = None) -> MatchResult:
    """Propose exchanges for a candidate graph.

    ``auto`` solves each independent material component with OR-Tools min-cost flow when its
    yields are consistent, with an OR-Tools LP otherwise, and the components touched by discrete
    rules (minimum lots, partner limits, all or nothing, locks, link costs) together as one MILP.
    ``flow``, ``lp``, ``milp`` and ``greedy`` force one engine. The result's objective is the sum
    of the exchanges' contributions.

    Raises
    ------
    InfeasibleError
        When the locks cannot all hold; the message names a smallest conflicting set.
    SolverError
        When a forced engine cannot represent the model.
    """
    params = params or SolveParams()
    started = time.perf_counter()
    arcs = candidates.arcs
    offer_q = candidates.offers["quantity_canonical"]
    need_q = candidates.needs["quantity_canonical"]
    primary = arc_weights(arcs, params.objective, params.weights)
    link = arc_link_weights(arcs, params.objective, params.weights)
    effective = primary + TIE_BREAK_WEIGHT * arc_tiebreak(arcs, params.objective, params.weights)
    locked = arcs["locked"].to_numpy(dtype=bool) if "locked" in arcs else np.zeros(len(arcs), bool)
    rules = ListingRules.for_arcs(arcs, candidates.offers, candidates.needs)
    usable = rules.usable(arcs["upper"].to_numpy(dtype=float), arcs["yield"].to_numpy(dtype=float))
    useful = (((primary > 0) & (effective > 0)) & usable) | locked
    discrete = (rules.discrete() | locked | (link != 0)) & useful
    flows = np.zeros(len(arcs))
    details: dict = {"arcs": int(len(arcs)), "useful_arcs": int(useful.sum()), "components": {}}
    parts: list[tuple[str, Status, float, float]] = []  # engine, status, primary objective, bound

    if locked.any():
        _check_locks(arcs, locked, rules, params)
    idx = np.flatnonzero(useful)
    if params.solver is SolverName.GREEDY:
        sub = arcs.iloc[idx]
        flows[idx] = solve_greedy(sub, effective[idx], offer_q, need_q, link_weights=link[idx],
                                  rules=_subset(rules, idx), locked=locked[idx])
        parts.append(("greedy", Status.FEASIBLE, float("nan"), float("nan")))
    elif params.solver is SolverName.MILP:
        parts.append(_solve_milp(arcs, idx, effective, primary, link, rules, offer_q, need_q, params, flows))
        details["components"]["milp"] = 1
    else:
        if params.solver in (SolverName.FLOW, SolverName.LP) and discrete.any():
            raise SolverError(
                "minimum lots, partner limits, all-or-nothing listings, locks and link costs need the MILP: "
                "use --solver milp or auto"
            )
        comps = find_material_components(arcs.iloc[idx])
        label = np.full(len(arcs), -1)
        label[idx] = comps.label
        milp_members: list[np.ndarray] = []
        for number, consistent in comps.consistent.items():
            members = idx[comps.label == number]
            if discrete[members].any():
                milp_members.append(members)
                kind = "milp"
            elif params.solver is SolverName.LP or not consistent:
                if params.solver is SolverName.FLOW:
                    materials = sorted(set(arcs["material"].iloc[members]))
                    raise SolverError(
                        "min-cost flow cannot represent the yields of materials "
                        f"{', '.join(materials[:5])}: use --solver lp or auto"
                    )
                parts.append(_solve_lp(arcs.iloc[members], members, effective, primary, offer_q, need_q, params, flows))
                kind = "lp"
            else:
                parts.append(_solve_flow(arcs.iloc[members], members, effective, primary, offer_q, need_q, comps,
                                         idx, flows))
                kind = "flow"
            details["components"][kind] = details["components"].get(kind, 0) + 1
        if milp_members:
            parts.append(_solve_milp(arcs, np.concatenate(milp_members), effective, primary, link, rules,
                                     offer_q, need_q, params, flows))

    exchanges = build_exchanges(arcs, flows, candidates.offers, candidates.needs, params.objective, params.weights)
    objective_value = float(exchanges["objective_contribution"].sum())
    status = Status.OPTIMAL if all(p[1] is Status.OPTIMAL for p in parts) else Status.FEASIBLE
    if any(p[1] is Status.NOT_SOLVED for p in parts):
        status = Status.NOT_SOLVED
    bounds = [p[3] for p in parts]
    if status is Status.OPTIMAL and all(p[0] != "milp" for p in parts):
        bound = objective_value
    elif not parts:
        bound = objective_value
    elif any(not np.isfinite(b) for b in bounds):
        bound = float("nan")
    else:
        bound = float(sum(bounds))
    gap = abs(bound - objective_value) / max(abs(bound), 1e-9) if np.isfinite(bound) else float("nan")
    details["engines"] = [{"engine": p[0], "status": p[1].value} for p in parts]
    unmatched = explain_unmatched(candidates, exchanges, useful, params.objective.value, usable=usable)
    return MatchResult(
        status=status, objective=params.objective, objective_value=objective_value, bound=bound, gap=gap,
        solver="+".join(sorted({p[0] for p in parts})) or "none", solve_seconds=time.perf_counter() - started,
        exchanges=exchanges, unmatched=unmatched, details=details,
    )


def _subset(rules: ListingRules, positions: np.ndarray) -> ListingRules:
    return ListingRules(**{name: getattr(rules, name)[positions] for name in rules.__dataclass_fields__})


def _solve_flow(sub, members, effective, primary, offer_q, need_q, comps, idx, flows):
    local = np.searchsorted(idx, members)
    network = build_flow_network(sub, effective[members], offer_q, need_q,
                                 comps.offer_scale[local], comps.need_scale[local])
    optimal, net_flows = solve_flow_network(network)
    if not optimal:
        raise SolverError("OR-Tools min-cost flow did not find an optimal flow")
    flows[members] = flows_to_arcs(network, net_flows, len(members))
    value = float(np.dot(primary[members], flows[members]))
    return ("flow", Status.OPTIMAL, value, value)


def _continuous(sub, members, effective, offer_q, need_q, params) -> tuple:
    solution = solve_linear_model(build_linear_model(sub, effective[members], offer_q, need_q),
                                  params.lp_engine, params.time_limit_s)
    if not np.isfinite(solution.objective):
        raise SolverError(f"the LP engine {params.lp_engine} stopped with status {solution.status}")
    return solution


def _solve_lp(sub, members, effective, primary, offer_q, need_q, params, flows):
    solution = _continuous(sub, members, effective, offer_q, need_q, params)
    flows[members] = solution.flows
    value = float(np.dot(primary[members], solution.flows))
    # The LP bound is on the tie-broken objective; the tie-break term is tiny next to it.
    bound = value + max(solution.bound - solution.objective, 0.0)
    return (params.lp_engine, Status.OPTIMAL if solution.optimal else Status.FEASIBLE, value, bound)


def _solve_milp(arcs, members, effective, primary, link, rules, offer_q, need_q, params, flows):
    started = time.perf_counter()
    sub = arcs.iloc[members]
    sub_rules = _subset(rules, members)
    model = build_milp(sub, effective[members], link[members], sub_rules)
    start, relaxed_bound = _best_start(model, sub, members, effective, link, locked_of(sub), sub_rules, offer_q,
                                       need_q, params)
    limit = DEFAULT_MILP_TIME_LIMIT_S if params.time_limit_s is None else params.time_limit_s
    limit = max(limit - (time.perf_counter() - started), 1.0)  # building and the warm start count too
    milp = MilpParams(engine=params.milp_engine, time_limit_s=limit,
                      relative_gap=params.relative_gap, workers=params.workers, seed=params.seed)
    solution = solve_milp(model, milp, start)
    if not solution.has_solution:
        if solution.status == "infeasible":
            raise InfeasibleError("the exchange rules and locks admit no solution")
        return ("milp", Status.NOT_SOLVED, float("nan"), float("nan"))
    flows[members] = solution.flows
    value = float(np.dot(primary[members], solution.flows) + link[members][solution.flows > EXCHANGE_MIN_QUANTITY].sum())
    bound = value + max(min(solution.bound, relaxed_bound) - solution.objective, 0.0)
    return ("milp", Status.OPTIMAL if solution.optimal else Status.FEASIBLE, value, bound)


def locked_of(arcs: pd.DataFrame) -> np.ndarray:
    return arcs["locked"].to_numpy(dtype=bool) if "locked" in arcs else np.zeros(len(arcs), bool)


def _best_start(model, sub, members, effective, link, locked, sub_rules, offer_q, need_q, params):
    """Warm start: the better of the greedy solution and the LP relaxation's solution repaired to
    respect the discrete rules, among those that satisfy every constraint of the model; and the
    LP relaxation's optimum, an upper bound of the MILP whatever the engine reports."""
    relaxed, bound = solve_relaxation(model, params.lp_engine, params.time_limit_s)
    bound = bound if np.isfinite(bound) else float("inf")
    greedy = solve_greedy(sub, effective[members], offer_q, need_q, link_weights=link[members],
                          rules=sub_rules, locked=locked)
    best, best_value = None, -np.inf
    for flows in (repair_for_rules(relaxed, sub, sub_rules), greedy):
        start = warm_start(model, flows)
        activity = model.matrix @ start
        feasible = (
            np.all(activity >= model.row_lower - 1e-6) and np.all(activity <= model.row_upper + 1e-6)
            and np.all(start >= model.var_lower - 1e-9) and np.all(start <= model.var_upper + 1e-9)
        )
        value = float(model.objective @ start)
        if feasible and value > best_value:
            best, best_value = start, value
    return best, bound


def _check_locks(arcs: pd.DataFrame, locked: np.ndarray, rules: ListingRules, params: SolveParams) -> None:
    """Raise InfeasibleError naming a smallest set of locks that cannot hold together.

    Only the locked arcs and their listings' rules decide this, so a model with just those arcs
    (objective zero) is solved, and a deletion filter shrinks the set to an irreducible conflict.
    """
    positions = np.flatnonzero(locked)
    milp = MilpParams(engine="scip", time_limit_s=params.time_limit_s, relative_gap=0.0)

    def feasible(subset: np.ndarray) -> bool:
        sub = arcs.iloc[subset]
        model = build_milp(sub, np.zeros(len(subset)), np.zeros(len(subset)), _subset(rules, subset),
                           binaries=np.ones(len(subset), bool))
        return solve_milp(model, milp).has_solution

    usable = rules.usable(arcs["upper"].to_numpy(dtype=float), arcs["yield"].to_numpy(dtype=float))
    lonely = [p for p in positions if not usable[p] or not feasible(np.array([p]))]
    if lonely:
        raise InfeasibleError("lock(s) that cannot hold on their own: " + "; ".join(_describe(arcs, p, rules) for p in lonely))
    if feasible(positions):
        return
    conflict = list(positions)
    for p in list(conflict):
        trial = [q for q in conflict if q != p]
        if trial and not feasible(np.array(trial)):
            conflict = trial
    raise InfeasibleError("these locks conflict: " + "; ".join(_describe(arcs, p, rules) for p in conflict))


def _describe(arcs: pd.DataFrame, p: int, rules: ListingRules) -> str:
    row = arcs.iloc[p]
    text = f"{row['offer_id']} -> {row['need_id']} (min {row['lock_min']:g}, at most {row['upper']:g} possible"
    if rules.offer_lot[p] or rules.need_lot[p]:
        text += f", lots {rules.offer_lot[p]:g}/{rules.need_lot[p]:g}"
    return text + ")"

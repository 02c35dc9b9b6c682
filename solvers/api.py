"""Solve a candidate graph: choose engines per material component, solve, extract a MatchResult."""

from __future__ import annotations

import time

import numpy as np

from solvers.flow import build_flow_network, flows_to_arcs, solve_flow_network
from solvers.greedy import solve_greedy
from solvers.lp import build_linear_model, solve_linear_model
from solvers.network import find_material_components
from solvers.params import SolveParams, SolverName
from solvers.scaling import TIE_BREAK_WEIGHT
from symbiosis.candidates import Candidates
from symbiosis.errors import SymbiosisError
from symbiosis.explain import explain_unmatched
from symbiosis.impacts import arc_tiebreak, arc_weights, build_exchanges
from symbiosis.result import MatchResult, Status


class SolverError(SymbiosisError):
    """The chosen engine cannot solve this model (e.g. min-cost flow with mixed yields)."""


def solve(candidates: Candidates, params: SolveParams | None = None) -> MatchResult:
    """Propose exchanges for a candidate graph.

    ``auto`` solves each independent material component with OR-Tools min-cost flow when its
    yields are consistent and with an OR-Tools LP otherwise; ``flow``, ``lp`` and ``greedy``
    force one engine. The result's objective is the sum of the exchanges' contributions.
    """
    params = params or SolveParams()
    started = time.perf_counter()
    arcs = candidates.arcs
    offer_q = candidates.offers["quantity_canonical"]
    need_q = candidates.needs["quantity_canonical"]
    primary = arc_weights(arcs, params.objective)
    effective = primary + TIE_BREAK_WEIGHT * arc_tiebreak(arcs, params.objective)
    useful = (primary > 0) & (effective > 0)
    flows = np.zeros(len(arcs))
    details: dict = {"arcs": int(len(arcs)), "useful_arcs": int(useful.sum()), "components": {}}
    engines: set[str] = set()
    statuses: list[Status] = []
    bound_parts: list[float] = []

    idx = np.flatnonzero(useful)
    sub = arcs.iloc[idx]
    if params.solver is SolverName.GREEDY:
        flows[idx] = solve_greedy(sub, effective[idx], offer_q, need_q)
        engines.add("greedy")
        statuses.append(Status.FEASIBLE)
        bound_parts.append(np.nan)
    elif params.solver is SolverName.LP:
        _solve_lp(sub, idx, effective, primary, offer_q, need_q, params, flows, engines, statuses, bound_parts)
    else:
        comps = find_material_components(sub)
        for number, ok in comps.consistent.items():
            members = np.flatnonzero(comps.label == number)
            details["components"]["flow" if ok else "lp"] = details["components"].get("flow" if ok else "lp", 0) + 1
            if not ok and params.solver is SolverName.FLOW:
                materials = sorted(set(sub["material"].iloc[members]))
                raise SolverError(
                    "min-cost flow cannot represent the yields of materials "
                    f"{', '.join(materials[:5])}: use --solver lp or auto"
                )
            if ok:
                part = sub.iloc[members]
                network = build_flow_network(
                    part, effective[idx[members]], offer_q, need_q,
                    comps.offer_scale[members], comps.need_scale[members],
                )
                optimal, net_flows = solve_flow_network(network)
                if not optimal:
                    raise SolverError("OR-Tools min-cost flow did not find an optimal flow")
                flows[idx[members]] = flows_to_arcs(network, net_flows, len(members))
                engines.add("flow")
                statuses.append(Status.OPTIMAL)
                bound_parts.append(float(np.dot(primary[idx[members]], flows[idx[members]])))
            else:
                _solve_lp(sub.iloc[members], idx[members], effective, primary, offer_q, need_q, params,
                          flows, engines, statuses, bound_parts)

    exchanges = build_exchanges(arcs, flows, candidates.offers, candidates.needs, params.objective)
    objective_value = float(exchanges["objective_contribution"].sum())
    status = _combine(statuses)
    if status is Status.OPTIMAL:
        bound = objective_value
    elif np.isnan(bound_parts).any() if bound_parts else False:
        bound = float("nan")
    else:
        bound = float(np.sum(bound_parts)) if bound_parts else objective_value
    gap = abs(bound - objective_value) / max(abs(bound), 1e-9) if np.isfinite(bound) else float("nan")
    unmatched = explain_unmatched(candidates, exchanges, useful, params.objective.value)
    return MatchResult(
        status=status, objective=params.objective, objective_value=objective_value, bound=bound, gap=gap,
        solver="+".join(sorted(engines)) or "none", solve_seconds=time.perf_counter() - started,
        exchanges=exchanges, unmatched=unmatched, details=details,
    )


def _solve_lp(sub, positions, effective, primary, offer_q, need_q, params, flows, engines, statuses, bounds) -> None:
    model = build_linear_model(sub, effective[positions], offer_q, need_q)
    solution = solve_linear_model(model, params.lp_engine, params.time_limit_s)
    if not np.isfinite(solution.objective):
        raise SolverError(f"the LP engine {params.lp_engine} stopped with status {solution.status}")
    flows[positions] = solution.flows
    engines.add(params.lp_engine)
    statuses.append(Status.OPTIMAL if solution.optimal else Status.FEASIBLE)
    # The LP bound is on the effective (tie-broken) objective; it bounds the primary objective
    # up to the tie-break term, which is at most TIE_BREAK_WEIGHT x transport emissions.
    bounds.append(float(np.dot(primary[positions], solution.flows)) + max(solution.bound - solution.objective, 0.0))


def _combine(statuses: list[Status]) -> Status:
    if not statuses or all(s is Status.OPTIMAL for s in statuses):
        return Status.OPTIMAL
    return Status.FEASIBLE

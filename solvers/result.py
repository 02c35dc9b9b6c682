"""Typed results: of one engine run inside a solve, and of the whole solve (MatchResult)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np
import pandas as pd

from symbiosis.objective import Objective


class Status(str, Enum):
    """How a solve ended."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  #: a solution, not proven optimal (e.g. time limit, greedy)
    NOT_SOLVED = "not_solved"


@dataclass(frozen=True)
class EngineRun:
    """What one engine returned for one part of the arcs.

    Attributes
    ----------
    engine
        ``"flow"``, ``"glop"`` (an LP), ``"milp"``, ``"greedy"``, or ``"milp+greedy"`` (a MILP that found
        no solution within its time, whose component keeps the greedy exchanges).
    status
        How it ended.
    positions
        Positions (in the solve's arcs table) of the arcs it decided.
    flows
        Canonical offer units per year on each of those arcs (same order as ``positions``).
    value
        Its primary objective (without the tie-break), ``nan`` where not known.
    bound
        An upper bound of that objective, ``nan`` where not known.
    seconds
        Wall seconds it took.
    """

    engine: str
    status: Status
    positions: np.ndarray
    flows: np.ndarray
    value: float
    bound: float
    seconds: float = 0.0


@dataclass(frozen=True)
class MatchResult:
    """Proposed exchanges and how they were found.

    Attributes
    ----------
    status, objective, objective_value, bound, gap
        Solve outcome; ``objective_value`` is the sum of the exchanges' ``objective_contribution``.
    solver
        Which engine(s) produced it, e.g. ``"flow+lp"``.
    solve_seconds
        Wall time of building, solving and extracting the model.
    exchanges
        One row per proposed exchange (see :data:`symbiosis.schema.EXCHANGE_FIELDS`).
    unmatched
        Listings with nothing exchanged, by listing id, with the reason.
    details
        Solver facts worth reporting (components, arcs, engine statuses).
    """

    status: Status
    objective: Objective
    objective_value: float
    bound: float
    gap: float
    solver: str
    solve_seconds: float
    exchanges: pd.DataFrame
    unmatched: pd.DataFrame
    details: dict = field(default_factory=dict)


def worst_status(statuses) -> Status:
    """The status of a whole made of parts with these statuses: not solved if any part is not,
    optimal if every part is (or there is none), else feasible."""
    statuses = set(statuses)
    if Status.NOT_SOLVED in statuses:
        return Status.NOT_SOLVED
    return Status.OPTIMAL if statuses <= {Status.OPTIMAL} else Status.FEASIBLE


def relative_gap(bound: float, value: float) -> float:
    """How far ``value`` is below ``bound``, as a share of the bound (``nan`` without a bound)."""
    return abs(bound - value) / max(abs(bound), 1e-9) if np.isfinite(bound) else float("nan")


def combine_results(results: list[MatchResult], objective: Objective) -> MatchResult:
    """One result of several solves of independent parts of a region (no arc joins two parts): the
    exchanges and unmatched listings of every part, objective and bound summed, the status the
    worst of theirs, the solver details added up (``parts``: how many)."""
    if not results:
        raise ValueError("combine_results needs at least one result")
    status = worst_status(r.status for r in results)
    exchanges = pd.concat(nonempty_frames([r.exchanges for r in results]), ignore_index=True)
    objective_value = float(exchanges["objective_contribution"].sum())
    # A part solved to optimality by continuous engines has its objective as its bound.
    bound = float(sum(r.bound for r in results))
    gap = relative_gap(bound, objective_value)
    engines = [e for r in results for e in r.details.get("engines", [])]
    components: dict[str, int] = {}
    for r in results:
        for kind, count in r.details.get("components", {}).items():
            components[kind] = components.get(kind, 0) + count
    details = {"arcs": sum(r.details.get("arcs", 0) for r in results),
               "useful_arcs": sum(r.details.get("useful_arcs", 0) for r in results),
               "components": components, "engines": engines, "parts": len(results)}
    milp_seconds = [r.details["milp_seconds"] for r in results if "milp_seconds" in r.details]
    if milp_seconds:
        details["milp_seconds"] = round(sum(milp_seconds), 3)
    relaxed = [r.details["relaxed"] for r in results if "relaxed" in r.details]
    if relaxed:
        details["relaxed"] = relaxed[0]
    return MatchResult(
        status=status, objective=objective, objective_value=objective_value, bound=bound, gap=gap,
        solver="+".join(sorted({e["engine"] for e in engines})) or "none",
        solve_seconds=sum(r.solve_seconds for r in results), exchanges=exchanges,
        unmatched=pd.concat(nonempty_frames([r.unmatched for r in results])), details=details,
    )


def nonempty_frames(frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """The frames with rows (or the first, when none has any): an empty frame's column types would
    otherwise turn the others' into plain objects when they are joined."""
    kept = [f for f in frames if len(f)]
    return kept or frames[:1]

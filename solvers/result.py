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
    """

    engine: str
    status: Status
    positions: np.ndarray
    flows: np.ndarray
    value: float
    bound: float


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

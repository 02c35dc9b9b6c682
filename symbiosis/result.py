"""The typed result of a matching run."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import pandas as pd

from symbiosis.impacts import Objective


class Status(str, Enum):
    """How a solve ended."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  #: a solution, not proven optimal (e.g. time limit, greedy)
    INFEASIBLE = "infeasible"
    NOT_SOLVED = "not_solved"


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
        One row per proposed exchange (see :data:`symbiosis.impacts.EXCHANGE_COLUMNS`).
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

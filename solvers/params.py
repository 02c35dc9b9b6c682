"""Parameters of a solve, in one explicit object."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from symbiosis.impacts import Objective


class SolverName(str, Enum):
    """Which engine solves the model."""

    AUTO = "auto"  #: min-cost flow where yields allow it, an LP elsewhere
    FLOW = "flow"  #: OR-Tools min-cost flow only (fails if yields do not allow it)
    LP = "lp"  #: OR-Tools linear programme (GLOP) for everything
    GREEDY = "greedy"  #: best arc first, for comparison


@dataclass(frozen=True)
class SolveParams:
    """How to solve.

    Attributes
    ----------
    objective
        What to maximise.
    solver
        Which engine.
    lp_engine
        OR-Tools model_builder LP engine: ``"glop"`` (simplex) or ``"pdlp"`` (first order).
    time_limit_s
        Wall-clock limit for each LP solve, or ``None``.
    """

    objective: Objective = Objective.DIVERTED
    solver: SolverName = SolverName.AUTO
    lp_engine: str = "glop"
    time_limit_s: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "objective", Objective(self.objective))
        object.__setattr__(self, "solver", SolverName(self.solver))
        if self.lp_engine not in ("glop", "pdlp"):
            raise ValueError(f"lp_engine must be 'glop' or 'pdlp', not {self.lp_engine!r}")

"""Parameters of a solve, in one explicit object."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from symbiosis.objective import Objective

if TYPE_CHECKING:
    from symbiosis.directives import Weights

#: MILP engines reachable through OR-Tools model_builder.
MILP_ENGINES: tuple[str, ...] = ("scip", "highs")
#: LP engines reachable through OR-Tools model_builder.
LP_ENGINES: tuple[str, ...] = ("glop",)
#: Wall-clock limit of a MILP solve when none is given: the best solution found by then is
#: returned with its gap.
DEFAULT_MILP_TIME_LIMIT_S = 60.0


class SolverName(str, Enum):
    """Which engine solves the model."""

    AUTO = "auto"  #: min-cost flow or LP per component; the MILP only where discrete rules apply
    FLOW = "flow"  #: OR-Tools min-cost flow only (fails if yields or discrete rules need more)
    LP = "lp"  #: OR-Tools linear programme (GLOP) for everything (fails with discrete rules)
    MILP = "milp"  #: OR-Tools MILP (SCIP or HiGHS) for everything
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
    weights
        A region's indicator and material weights (see :func:`symbiosis.directives.read_weights`).
    lp_engine
        OR-Tools model_builder LP engine: ``"glop"`` (simplex).
    milp_engine
        ``"scip"`` (default; takes the warm start) or ``"highs"``.
    time_limit_s
        Wall-clock limit for each LP or MILP solve; ``None`` means none for the LP and
        :data:`DEFAULT_MILP_TIME_LIMIT_S` for the MILP.
    relative_gap
        The MILP stops once its relative gap to the best bound is at most this.
    workers
        Threads the MILP engine may use (HiGHS; SCIP in OR-Tools runs on one).
    seed
        Random seed of the MILP engine.
    allow_subsidised
        Also propose exchanges whose known net benefit is negative (a facilitator's subsidised
        round); by default an exchange is proposed only when it at least pays its transport,
        treatment and link costs (or its economics are unknown).
    milp_full_up_to_arcs
        A discrete component with at most this many arcs goes to the MILP engine whole; a larger one
        is decomposed (:mod:`solvers.decompose`: LP-support reduction, an LP dive, relax-fix-resolve,
        bounded by its LP relaxation), unless ``relative_gap`` is 0: an exact answer asked for is
        sought on the whole model until the time limit. On the 5,000-listing MILP benchmark (components
        of 100 to 20,000 arcs) decomposing every component reached 0.27 % to the LP bound in 8.5 s,
        SCIP on the whole components 0.28 % in 24 s.
    scip_root_separation_rounds
        At most this many rounds of cutting planes at SCIP's root node (``None``: SCIP's default,
        unlimited). The reduced MILPs of a decomposed component set it (see
        :data:`solvers.decompose.REDUCED_ROOT_SEPARATION_ROUNDS`).
    processes
        Worker processes that solve independent components side by side. ``None`` (the default):
        one per core, at most :data:`solvers.solve.MAX_AUTO_PROCESSES`, once the useful arcs number
        at least :data:`solvers.solve.PARALLEL_MIN_ARCS` (below that, starting the processes costs
        more than it saves); ``1``: one after another in this process; ``2`` or more: that many
        processes whatever the size. The exchanges are the same either way (a MILP that stops at
        its time limit may stop elsewhere, as it may in one process).
    priced_relaxation_from_arcs
        A decomposed component's compact LP relaxation with at least this many arcs is solved by
        pricing (:func:`solvers.decompose.priced_relaxation`: a third of the memory, about the time
        when the machine is otherwise idle, slower when other solves share its cores); ``None``
        (the default): never. A run in parts sets :data:`solvers.decompose.PRICED_MIN_ARCS`.
    """

    objective: Objective = Objective.DIVERTED
    solver: SolverName = SolverName.AUTO
    weights: Weights | None = None
    lp_engine: str = "glop"
    milp_engine: str = "scip"
    time_limit_s: float | None = None
    relative_gap: float = 1e-4
    workers: int = 1
    seed: int = 0
    allow_subsidised: bool = False
    milp_full_up_to_arcs: int = 2_000
    scip_root_separation_rounds: int | None = None
    processes: int | None = None
    priced_relaxation_from_arcs: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "objective", Objective(self.objective))
        object.__setattr__(self, "solver", SolverName(self.solver))
        if self.lp_engine not in LP_ENGINES:
            raise ValueError(f"lp_engine must be one of {LP_ENGINES}, not {self.lp_engine!r}")
        if self.milp_engine not in MILP_ENGINES:
            raise ValueError(f"milp_engine must be one of {MILP_ENGINES}, not {self.milp_engine!r}")
        if not 0 <= self.relative_gap < 1:
            raise ValueError("relative_gap must be in [0, 1)")
        if self.milp_full_up_to_arcs < 0:
            raise ValueError("milp_full_up_to_arcs must be at least 0")
        if self.scip_root_separation_rounds is not None and self.scip_root_separation_rounds < 0:
            raise ValueError("scip_root_separation_rounds must be at least 0")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if self.processes is not None and self.processes < 1:
            raise ValueError("processes must be at least 1")
        if self.priced_relaxation_from_arcs is not None and self.priced_relaxation_from_arcs < 1:
            raise ValueError("priced_relaxation_from_arcs must be at least 1")

    @property
    def milp_time_limit_s(self) -> float:
        """The MILP's wall-clock limit: ``time_limit_s``, or :data:`DEFAULT_MILP_TIME_LIMIT_S`."""
        return DEFAULT_MILP_TIME_LIMIT_S if self.time_limit_s is None else self.time_limit_s

    def scip_parameters(self) -> str:
        """SCIP parameters in its own file format (SCIP in OR-Tools runs on one thread)."""
        text = f"limits/gap = {self.relative_gap}\nrandomization/randomseedshift = {self.seed}"
        if self.scip_root_separation_rounds is not None:
            text += f"\nseparating/maxroundsroot = {self.scip_root_separation_rounds}"
        return text

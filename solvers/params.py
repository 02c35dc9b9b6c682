"""Parameters of a solve, in one explicit object."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

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
#: Largest value of an integer handed to an engine as a C ``int`` (``seed``, ``scip_root_separation_rounds``).
MAX_ENGINE_INT = 2**31 - 1
#: Most MILP threads (``workers``) and worker processes (``processes``) that may be asked for: the
#: engines start them all, and far more than this only exhausts the machine's memory.
MAX_PARALLEL = 1024


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
        What to maximise: an :class:`~symbiosis.objective.Objective` or its name (``"diverted"``,
        ``"co2"``, ``"value"``; any case).
    solver
        Which engine: a :class:`SolverName` or its name (any case).
    weights
        A region's indicator and material weights (see :func:`symbiosis.directives.read_weights`).
    lp_engine
        OR-Tools model_builder LP engine: ``"glop"`` (simplex).
    milp_engine
        ``"scip"`` (default; takes the warm start) or ``"highs"``.
    time_limit_s
        Wall-clock limit in seconds (above 0) for each LP or MILP solve; ``None`` means none for
        the LP and :data:`DEFAULT_MILP_TIME_LIMIT_S` for the MILP.
    relative_gap
        The MILP stops once its relative gap to the best bound is at most this (0 to below 1).
    workers
        Threads the MILP engine may use (HiGHS; SCIP in OR-Tools runs on one), 1 to
        :data:`MAX_PARALLEL`.
    seed
        Random seed of the MILP engine, 0 to :data:`MAX_ENGINE_INT`.
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
        processes whatever the size (at most :data:`MAX_PARALLEL`). The exchanges are the same either way (a MILP that stops at
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
        """Check every field; a wrong type is a :class:`TypeError`, a value out of range a
        :class:`ValueError`, each naming the field, the value given and what is allowed. Names
        (``objective``, ``solver``, ``lp_engine``, ``milp_engine``) are read regardless of case and
        surrounding spaces."""
        set_field = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 - frozen
        set_field("objective", _choice("objective", self.objective, Objective))
        set_field("solver", _choice("solver", self.solver, SolverName))
        set_field("lp_engine", _choice("lp_engine", self.lp_engine, LP_ENGINES))
        set_field("milp_engine", _choice("milp_engine", self.milp_engine, MILP_ENGINES))
        if self.weights is not None:
            from symbiosis.directives import Weights

            if not isinstance(self.weights, Weights):
                raise TypeError(f"SolveParams.weights must be a Weights (symbiosis.directives.read_weights reads "
                                f"one from a table) or None, not {_shown(self.weights)}")
        if self.time_limit_s is not None:
            set_field("time_limit_s", _number("time_limit_s", self.time_limit_s,
                                              "a finite number of seconds above 0, or None (no limit)",
                                              lambda x: x > 0))
        set_field("relative_gap", _number("relative_gap", self.relative_gap, "a number in [0, 1)",
                                          lambda x: 0 <= x < 1))
        set_field("workers", _whole("workers", self.workers, 1, MAX_PARALLEL))
        set_field("seed", _whole("seed", self.seed, 0, MAX_ENGINE_INT))
        if not isinstance(self.allow_subsidised, bool):
            raise TypeError(f"SolveParams.allow_subsidised must be True or False, not {_shown(self.allow_subsidised)}")
        set_field("milp_full_up_to_arcs", _whole("milp_full_up_to_arcs", self.milp_full_up_to_arcs, 0))
        if self.scip_root_separation_rounds is not None:
            set_field("scip_root_separation_rounds", _whole("scip_root_separation_rounds",
                                                            self.scip_root_separation_rounds, 0, MAX_ENGINE_INT,
                                                            none_means="SCIP's default, unlimited"))
        if self.processes is not None:
            set_field("processes", _whole("processes", self.processes, 1, MAX_PARALLEL,
                                          none_means="one per core on a large region"))
        if self.priced_relaxation_from_arcs is not None:
            set_field("priced_relaxation_from_arcs", _whole("priced_relaxation_from_arcs",
                                                            self.priced_relaxation_from_arcs, 1, none_means="never"))

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


def _shown(value: Any) -> str:
    """A value as an error message shows it: its repr and, unless it is None, its type."""
    return "None" if value is None else f"{value!r} ({type(value).__name__})"


def _choice(name: str, value: Any, allowed: type[Enum] | tuple[str, ...]) -> Any:
    """``value`` as a member of the enum or tuple ``allowed``, read regardless of case and of
    surrounding spaces; anything else is an error listing the allowed names."""
    names = tuple(member.value for member in allowed) if isinstance(allowed, type) else allowed
    listed = ", ".join(repr(n) for n in names)
    if isinstance(allowed, type) and isinstance(value, allowed):
        return value
    if not isinstance(value, str):
        raise TypeError(f"SolveParams.{name} must be one of {listed}, not {_shown(value)}")
    key = value.strip().lower()  # a str enum member strips to its value
    if key not in names:
        raise ValueError(f"SolveParams.{name} must be one of {listed} (in any case), not {value!r}")
    return allowed(key) if isinstance(allowed, type) else key


def _number(name: str, value: Any, allowed: str, in_range) -> float:
    """``value`` as a float if it is a finite real number (not a bool) that ``in_range`` accepts."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"SolveParams.{name} must be {allowed}, not {_shown(value)}")
    number = float(value)
    if not math.isfinite(number) or not in_range(number):
        raise ValueError(f"SolveParams.{name} must be {allowed}, not {value!r}")
    return number


def _whole(name: str, value: Any, least: int, most: int | None = None, *, none_means: str | None = None) -> int:
    """``value`` as an int if it is a whole number (an integer type, not a bool or a float) in
    ``[least, most]``."""
    allowed = f"a whole number from {least} to {most}" if most is not None else f"a whole number of at least {least}"
    if none_means is not None:
        allowed += f", or None ({none_means})"
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"SolveParams.{name} must be {allowed}, not {_shown(value)}")
    number = int(value)
    if number < least or (most is not None and number > most):
        raise ValueError(f"SolveParams.{name} must be {allowed}, not {value!r}")
    return number

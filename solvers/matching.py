"""Match a region: validated registry -> candidates -> solve -> result, the one path every entry point takes.

The command line, the rounds of the service, the planner's scenarios and analytics, and a notebook
user all call :func:`match`; the defaults live in :class:`~symbiosis.candidates.CandidateParams`
and :class:`~solvers.params.SolveParams` alone.

>>> from solvers import match
>>> result = match(companies, listings)          # doctest: +SKIP
>>> result.exchanges, result.unmatched, result.summary, result.graph()  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property

import networkx as nx
import pandas as pd

from solvers.params import SolveParams
from solvers.result import MatchResult
from solvers.solve import solve
from solvers.summary import build_summary
from symbiosis.candidates import CandidateParams, Candidates, build_candidates
from symbiosis.directives import Directives, Weights, read_directives, read_weights
from symbiosis.reference import ReferenceData
from symbiosis.registry import Registry, validate_tables

#: Progress callback: ``(stage, done, total)``.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Match:
    """Everything one matching run produced.

    Attributes
    ----------
    registry
        The validated companies and listings.
    candidates
        The candidate arcs (:meth:`graph` gives them as a networkx DiGraph).
    result
        The solve's :class:`~solvers.result.MatchResult`.
    timings
        Seconds per stage (``read``, ``candidates``, ``solve``, ...).
    parameters
        What was asked: candidate and solve parameters, counts of directives, weights.
    """

    registry: Registry
    candidates: Candidates
    result: MatchResult
    timings: dict[str, float] = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)

    @property
    def exchanges(self) -> pd.DataFrame:
        """One row per proposed exchange (columns: :data:`symbiosis.schema.EXCHANGE_FIELDS`)."""
        return self.result.exchanges

    @property
    def unmatched(self) -> pd.DataFrame:
        """Every listing with nothing exchanged, by listing id, with the reason."""
        return self.result.unmatched

    @cached_property
    def summary(self) -> dict:
        """Status, objective, bound, gap, timings, totals, counts, parameters and notices."""
        return build_summary(self.result, self.registry, self.candidates, self.timings, self.parameters)

    def graph(self) -> nx.DiGraph:
        """The candidate graph: offer and need listings as nodes, candidate arcs as edges."""
        return self.candidates.graph()


@contextmanager
def timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Record the wall time of a block in ``timings[stage]``."""
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = time.perf_counter() - started


def match(
    companies: pd.DataFrame | None = None,
    listings: pd.DataFrame | None = None,
    *,
    registry: Registry | None = None,
    directives: Directives | pd.DataFrame | None = None,
    weights: Weights | pd.DataFrame | None = None,
    candidate_params: CandidateParams | None = None,
    solve_params: SolveParams | None = None,
    progress: Progress | None = None,
    timings: dict[str, float] | None = None,
    reference: ReferenceData | None = None,
    scheduler: str | None = None,
) -> Match:
    """Propose the exchanges of a region.

    Parameters
    ----------
    companies, listings
        The input tables as DataFrames, with the columns of the input contract
        (:data:`symbiosis.schema.COMPANY_COLUMNS`, :data:`symbiosis.schema.LISTING_COLUMNS`); they
        are validated first. Give these, or ``registry``.
    registry
        An already validated :class:`~symbiosis.registry.Registry` (from files, the API or a database).
    directives
        Locks and forbids: a :class:`~symbiosis.directives.Directives` or a table with the columns of
        a directives file (``action``, ``offer_id``, ``need_id``, ``supplier_id``, ``receiver_id``,
        ``min_quantity``).
    weights
        A region's priorities: :class:`~symbiosis.directives.Weights` or a table (``kind``, ``name``,
        ``weight``); they replace ``solve_params.weights``.
    candidate_params, solve_params
        How candidates are searched and how the model is solved (defaults: ``CandidateParams()``,
        ``SolveParams()``).
    progress
        Called as ``progress(stage, done, total)`` during long stages.
    timings
        Seconds of stages already spent by the caller (e.g. reading files), kept in the result.
    reference
        Rules, transport factors, link costs and prices (default: the shipped data files; see
        :func:`symbiosis.reference.read_reference` for a region's own).
    scheduler
        Address of a Dask distributed scheduler (``tcp://host:8786``) or a connected
        ``distributed.Client``: the nearest-neighbour searches and the component solves then run as
        Dask tasks (:mod:`solvers.distributed`); without one, everything runs in this process.

    Raises
    ------
    InputError
        When the tables, directives or weights have problems (every problem listed).
    InfeasibleError, SolverError
        When locks cannot hold, or a forced engine cannot represent the model.
    """
    candidate_params = candidate_params or CandidateParams()
    solve_params = solve_params or SolveParams()
    timings = dict(timings or {})
    with timed(timings, "validate"):
        if registry is None:
            if companies is None or listings is None:
                raise TypeError("match() needs companies and listings tables, or a registry")
            registry = validate_tables(companies, listings)
        if isinstance(directives, pd.DataFrame):
            directives = read_directives(directives, registry)
        if isinstance(weights, pd.DataFrame):
            weights = read_weights(weights)
        if weights is not None:
            solve_params = replace(solve_params, weights=weights)
    with ExitStack() as stack:
        map_jobs = run_tasks = None
        if scheduler is not None:
            from solvers.distributed import connect, job_mapper, task_runner

            client = stack.enter_context(connect(scheduler))
            map_jobs, run_tasks = job_mapper(client), task_runner(client)
        with timed(timings, "candidates"):
            reference = reference or ReferenceData.shipped()
            candidates = build_candidates(
                registry, candidate_params, directives=directives, rulebook=reference.rulebook,
                transport=reference.transport, link_costs=reference.link_costs, prices=reference.prices,
                progress=(lambda done, total: progress("candidates", done, total)) if progress else None,
                map_jobs=map_jobs,
            )
        with timed(timings, "solve"):
            result = solve(candidates, solve_params, run_tasks=run_tasks)
    parameters = {
        **asdict(candidate_params),
        "objective": solve_params.objective.value,
        "solver": solve_params.solver.value,
        "lp_engine": solve_params.lp_engine,
        "milp_engine": solve_params.milp_engine,
        "time_limit_s": solve_params.time_limit_s,
        "relative_gap": solve_params.relative_gap,
        "workers": solve_params.workers,
        "seed": solve_params.seed,
        "allow_subsidised": solve_params.allow_subsidised,
        "scheduler": None if scheduler is None else str(scheduler),
        "reference": None if reference.folder is None else str(reference.folder),
        "locks": 0 if directives is None else int(len(directives.locks)),
        "forbids": 0 if directives is None else int(len(directives.forbidden_pairs) + len(directives.forbidden_companies)),
        "weights": None if solve_params.weights is None else {
            "indicators": solve_params.weights.indicators, "materials": solve_params.weights.materials},
    }
    return Match(registry, candidates, result, timings, parameters)

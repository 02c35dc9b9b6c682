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
from solvers.result import MatchResult, combine_results, nonempty_frames
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
        """The candidate graph: offer and need listings as nodes, candidate arcs as edges.

        Raises
        ------
        ValueError
            For a run in parts, which keeps no arcs (match at once for the graph).
        """
        if self.parameters.get("in_parts"):
            raise ValueError("a run in parts keeps no candidate arcs: match at once (in_parts=False) for the graph")
        return self.candidates.graph()


@contextmanager
def timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Add the wall time of a block to ``timings[stage]`` (a stage timed block by block, such as
    each part's candidate search, adds up)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - started


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
    in_parts: bool = False,
    locale: str | None = None,
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
        How candidates are searched and how the model is solved: a
        :class:`~symbiosis.candidates.CandidateParams` and a :class:`~solvers.params.SolveParams`
        (defaults: ``CandidateParams()``, ``SolveParams()``). Anything else, a dict included, is a
        ``TypeError``: build the object from a dict with ``SolveParams(**options)``.
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
    in_parts
        Search and solve the region one independent part at a time (:func:`match_in_parts`): the
        same exchanges in far less memory, and the returned candidates hold no arcs.
    locale
        How numbers written as text in ``companies``, ``listings`` and ``directives`` and
        ``weights`` tables are read: ``'da'`` (``1.234,5``) or ``'en'`` (``1,234.5``). None: as in
        a file, detected, and a text cell that reads differently in the two (``150.000``) is an
        error naming both readings. Numbers held as numbers need no locale.

    Raises
    ------
    TypeError
        When ``candidate_params``, ``solve_params``, ``directives``, ``weights`` or ``in_parts`` is
        not of a type listed above.
    InputError
        When the tables, directives or weights have problems (every problem listed).
    InfeasibleError, SolverError
        When locks cannot hold, or a forced engine cannot represent the model.
    """
    for name, value, kind in (("candidate_params", candidate_params, CandidateParams),
                              ("solve_params", solve_params, SolveParams)):
        if value is not None and not isinstance(value, kind):
            hint = f"; build one from a dict with {kind.__name__}(**options)" if isinstance(value, dict) else ""
            raise TypeError(f"match() {name} must be a {kind.__name__}, e.g. {kind.__name__}(...), or None, "
                            f"not {value!r} ({type(value).__name__}){hint}")
    for name, value, kinds in (("directives", directives, (Directives, pd.DataFrame)),
                               ("weights", weights, (Weights, pd.DataFrame))):
        if value is not None and not isinstance(value, kinds):
            raise TypeError(f"match() {name} must be a {kinds[0].__name__}, a DataFrame or None, "
                            f"not {repr(value)[:80]} ({type(value).__name__})")
    if not isinstance(in_parts, bool):
        raise TypeError(f"match() in_parts must be True or False, not {in_parts!r} ({type(in_parts).__name__})")
    candidate_params = CandidateParams() if candidate_params is None else candidate_params
    solve_params = SolveParams() if solve_params is None else solve_params
    timings = dict(timings or {})
    with timed(timings, "validate"):
        if registry is None:
            if companies is None or listings is None:
                raise TypeError("match() needs companies and listings tables, or a registry")
            registry = validate_tables(companies, listings, locale=locale)
        numbers = locale if locale is not None else registry.locale  # the listings' notation
        if isinstance(directives, pd.DataFrame):
            directives = read_directives(directives, registry, locale=numbers)
        if isinstance(weights, pd.DataFrame):
            weights = read_weights(weights, locale=numbers)
        if weights is not None:
            solve_params = replace(solve_params, weights=weights)
    reference = reference or ReferenceData.shipped()
    with ExitStack() as stack:
        map_jobs = run_tasks = None
        if scheduler is not None:
            from solvers.distributed import connect, job_mapper, task_runner

            client = stack.enter_context(connect(scheduler))
            map_jobs, run_tasks = job_mapper(client), task_runner(client)
        if in_parts:
            candidates, result = _match_in_parts(registry, directives, candidate_params, solve_params, reference,
                                                 progress, timings, map_jobs, run_tasks)
        else:
            candidates, result = _match_at_once(registry, directives, candidate_params, solve_params, reference,
                                                progress, timings, map_jobs, run_tasks)
    _add_conditions(result, reference)
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
        "in_parts": bool(in_parts),
        "reference": None if reference.folder is None else str(reference.folder),
        "locks": 0 if directives is None else int(len(directives.locks)),
        "forbids": 0 if directives is None else int(len(directives.forbidden_pairs) + len(directives.forbidden_companies)),
        "weights": None if solve_params.weights is None else {
            "indicators": solve_params.weights.indicators, "materials": solve_params.weights.materials},
    }
    return Match(registry, candidates, result, timings, parameters)


def _add_conditions(result: MatchResult, reference: ReferenceData) -> None:
    """Give each exchange its rule's quality note (``conditions``: what the receiver must check, what
    the exchange needs first), which its explanation then carries to every file and proposal."""
    if result.exchanges.empty or "rule_id" not in result.exchanges:
        return
    notes = reference.rulebook.rule_table()["quality_note"].fillna("").astype(str)
    rules = result.exchanges["rule_id"].astype(object)
    result.exchanges["conditions"] = rules.map(notes).fillna("").to_numpy(dtype=object)


def _match_at_once(registry: Registry, directives: Directives | None, candidate_params: CandidateParams,
                   solve_params: SolveParams, reference: ReferenceData, progress: Progress | None,
                   timings: dict[str, float], map_jobs, run_tasks) -> tuple[Candidates, MatchResult]:
    """Candidates of the whole region, then one solve of them."""
    with timed(timings, "candidates"):
        candidates = build_candidates(
            registry, candidate_params, directives=directives, rulebook=reference.rulebook,
            transport=reference.transport, link_costs=reference.link_costs, prices=reference.prices,
            progress=(lambda done, total: progress("candidates", done, total)) if progress else None,
            map_jobs=map_jobs,
        )
    with timed(timings, "solve"):
        result = solve(candidates, solve_params, run_tasks=run_tasks)
    return candidates, result


#: Share of the MILP time limit that a part of a run in parts is given at least, whatever the
#: parts before it used.
PART_MIN_BUDGET_SHARE = 0.1


def match_in_parts(companies: pd.DataFrame | None = None, listings: pd.DataFrame | None = None, **kwargs) -> Match:
    """:func:`match` one independent part of the region at a time (``match(..., in_parts=True)``).

    The listings fall into parts that no compatibility rule joins
    (:func:`symbiosis.parts.independent_parts`); each part's candidates are searched, solved and
    let go before the next part's, so memory holds one part's arcs at a time. No arc joins two parts
    and each of the solve's material components lies in one part, so the exchanges and the reasons
    of the unmatched listings are those of :func:`match` (their rows in order of the parts, the
    largest first; a grade too low is told against the whole region), except where a MILP stops at
    its time limit (its share differs) and in a decomposed component of a million arcs or more,
    whose relaxation is solved by pricing (:attr:`SolveParams.priced_relaxation_from_arcs`: a
    third of the memory, another optimal vertex and a bound within half the asked gap).

    The MILP time limit is shared as the parts come: each part's MILPs get what those of the parts
    before left, at least :data:`PART_MIN_BUDGET_SHARE` of the limit (so with several discrete
    parts they may take up to that share more per part than the limit); one discrete part, as
    usual, gets it all. Memory comes first: a part's components are solved in this process unless
    :attr:`SolveParams.processes` asks for workers, and each part's freed memory is handed back
    before the next. The returned candidates hold the listings and the unmatched ones without arcs
    (none is kept: :meth:`Match.graph` refuses); the summary counts the arcs each part had.
    """
    return match(companies, listings, in_parts=True, **kwargs)


def _match_in_parts(registry: Registry, directives: Directives | None, candidate_params: CandidateParams,
                    solve_params: SolveParams, reference: ReferenceData, progress: Progress | None,
                    timings: dict[str, float], map_jobs, run_tasks) -> tuple[Candidates, MatchResult]:
    """Search and solve each independent part on its own; the candidates returned keep no arcs."""
    from solvers.decompose import PRICED_MIN_ARCS
    from solvers.solve import run_in_process
    from solvers.worker import return_freed_memory
    from symbiosis.candidates import check_locks
    from symbiosis.parts import independent_parts, registry_part

    with timed(timings, "partition"):
        parts = independent_parts(registry, reference.rulebook)
    if not parts:  # no listings: nothing to take apart
        return _match_at_once(registry, directives, candidate_params, solve_params, reference, progress, timings,
                              map_jobs, run_tasks)
    if directives is not None:
        check_locks(registry, directives, reference.rulebook)  # every bad lock named at once, before any part
    if solve_params.priced_relaxation_from_arcs is None:  # memory first: large relaxations by pricing
        solve_params = replace(solve_params, priced_relaxation_from_arcs=PRICED_MIN_ARCS)
    if run_tasks is None and solve_params.processes is None:  # and no worker's memory on top of this one's
        run_tasks = run_in_process
    budget_s = solve_params.milp_time_limit_s
    floor_s = budget_s * PART_MIN_BUDGET_SHARE
    results, unmatched, empty_arcs = [], [], None
    region_materials = (pd.Index(registry.offers["material"].unique()), pd.Index(registry.needs["material"].unique()))
    if progress:
        progress("parts", 0, len(parts))
    for number, listing_ids in enumerate(parts):
        part = registry_part(registry, listing_ids)
        part_directives = None if directives is None else directives.within(listing_ids)
        with timed(timings, "candidates"):
            candidates = build_candidates(
                part, candidate_params, directives=part_directives, rulebook=reference.rulebook,
                transport=reference.transport, link_costs=reference.link_costs, prices=reference.prices,
                map_jobs=map_jobs, region_materials=region_materials,
            )
        with timed(timings, "solve"):
            result = solve(candidates, solve_params, run_tasks=run_tasks, milp_budget_s=max(budget_s, floor_s))
        budget_s -= result.details.get("milp_seconds", 0.0)  # what the part's MILPs took
        results.append(result)
        unmatched.append(candidates.unmatched)
        if empty_arcs is None:
            empty_arcs = candidates.arcs.iloc[:0]
        del candidates, result
        return_freed_memory()  # the part's arcs and engines, so that the next part starts lean
        if progress:
            progress("parts", number + 1, len(parts))
    combined = combine_results(results, solve_params.objective)
    candidates = Candidates(arcs=empty_arcs, offers=registry.offers, needs=registry.needs,
                            unmatched=pd.concat(nonempty_frames(unmatched)))
    return candidates, combined

"""The matching run end to end: read -> candidates -> solve -> write, timing each stage."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import pandas as pd

from solvers.api import solve
from solvers.params import SolveParams
from symbiosis.candidates import CandidateParams, Candidates, build_candidates
from symbiosis.data import dataset_path
from symbiosis.directives import Directives, read_directives, read_weights
from symbiosis.registry import Registry, read_registry
from symbiosis.result import MatchResult
from service.output import build_summary, write_outputs

Stage = Callable[[str, int, int], None]


@dataclass
class Run:
    """Everything one matching run produced."""

    registry: Registry
    candidates: Candidates
    result: MatchResult
    summary: dict
    timings: dict[str, float] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)


@contextmanager
def _timed(timings: dict[str, float], stage: str):
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = time.perf_counter() - started


def kalundborg_paths() -> dict[str, Path]:
    """The bundled Kalundborg input files."""
    return {"companies": dataset_path("kalundborg/companies.csv"), "listings": dataset_path("kalundborg/listings.csv")}


def match_registry(
    registry: Registry,
    candidate_params: CandidateParams | None = None,
    solve_params: SolveParams | None = None,
    progress: Stage | None = None,
    directives: Directives | pd.DataFrame | None = None,
) -> tuple[Candidates, MatchResult]:
    """Find candidates and solve for an already validated registry (files, API or database).

    ``directives`` is a :class:`Directives` or a table with the columns of a directives file
    (``action``, ``offer_id``, ``need_id``, ``supplier_id``, ``receiver_id``, ``min_quantity``).
    """
    if isinstance(directives, pd.DataFrame):
        directives = read_directives(directives, registry)
    candidates = build_candidates(
        registry, candidate_params or CandidateParams(), directives=directives,
        progress=(lambda done, total: progress("candidates", done, total)) if progress else None,
    )
    return candidates, solve(candidates, solve_params or SolveParams())


def run_match(
    *,
    companies: str | Path | None = None,
    listings: str | Path | None = None,
    workbook: str | Path | None = None,
    directives: str | Path | None = None,
    weights: str | Path | None = None,
    out_dir: str | Path | None = None,
    candidate_params: CandidateParams | None = None,
    solve_params: SolveParams | None = None,
    progress: Stage | None = None,
) -> Run:
    """Read, validate, find candidates, solve and (if ``out_dir``) write the files.

    Raises
    ------
    InputError
        Before anything is written, when the input has problems.
    """
    candidate_params = candidate_params or CandidateParams()
    solve_params = solve_params or SolveParams()
    timings: dict[str, float] = {}
    with _timed(timings, "read"):
        registry = read_registry(companies=companies, listings=listings, workbook=workbook)
        directive_set = read_directives(directives, registry) if directives is not None else None
        if weights is not None:
            solve_params = replace(solve_params, weights=read_weights(weights))
    with _timed(timings, "candidates"):
        candidates = build_candidates(
            registry, candidate_params, directives=directive_set,
            progress=(lambda done, total: progress("candidates", done, total)) if progress else None,
        )
    with _timed(timings, "solve"):
        result = solve(candidates, solve_params)
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
        "directives": None if directives is None else str(directives),
        "locks": 0 if directive_set is None else int(len(directive_set.locks)),
        "forbids": 0 if directive_set is None else int(len(directive_set.forbidden_pairs) + len(directive_set.forbidden_companies)),
        "weights": None if solve_params.weights is None else {
            "indicators": solve_params.weights.indicators, "materials": solve_params.weights.materials},
    }
    summary = build_summary(result, registry, candidates, timings, parameters)
    written: list[Path] = []
    if out_dir is not None:
        with _timed(timings, "write"):
            written = write_outputs(result, summary, out_dir)
    return Run(registry, candidates, result, summary, timings, written)

"""The matching run end to end: read -> candidates -> solve -> write, timing each stage."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from solvers.api import solve
from solvers.params import SolveParams
from symbiosis.candidates import CandidateParams, Candidates, build_candidates
from symbiosis.data import dataset_path
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
) -> tuple[Candidates, MatchResult]:
    """Find candidates and solve for an already validated registry (files, API or database)."""
    candidates = build_candidates(
        registry, candidate_params or CandidateParams(),
        progress=(lambda done, total: progress("candidates", done, total)) if progress else None,
    )
    return candidates, solve(candidates, solve_params or SolveParams())


def run_match(
    *,
    companies: str | Path | None = None,
    listings: str | Path | None = None,
    workbook: str | Path | None = None,
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
    with _timed(timings, "candidates"):
        candidates = build_candidates(
            registry, candidate_params,
            progress=(lambda done, total: progress("candidates", done, total)) if progress else None,
        )
    with _timed(timings, "solve"):
        result = solve(candidates, solve_params)
    parameters = {
        **asdict(candidate_params),
        "objective": solve_params.objective.value,
        "solver": solve_params.solver.value,
        "lp_engine": solve_params.lp_engine,
        "time_limit_s": solve_params.time_limit_s,
    }
    summary = build_summary(result, registry, candidates, timings, parameters)
    written: list[Path] = []
    if out_dir is not None:
        with _timed(timings, "write"):
            written = write_outputs(result, summary, out_dir)
    return Run(registry, candidates, result, summary, timings, written)

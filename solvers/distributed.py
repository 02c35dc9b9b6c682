"""Matching beyond one machine on Dask distributed.

With a scheduler address (``tcp://host:8786``) or a connected :class:`distributed.Client`,
:func:`solvers.matching.match` runs the candidate search's nearest-neighbour jobs (one per
direction, material group and spatial tile) and the independent component solves as Dask tasks;
the pair checks, the objective and the explanations stay in the calling process. The tasks are
pure functions of their inputs and their results are put back in the order of the in-process
path, so the same input gives the same exchanges either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from distributed import Client

from solvers.result import EngineRun
from solvers.solve import ComponentTask, solve_component


@contextmanager
def connect(scheduler: str | Client) -> Iterator[Client]:
    """A client of the scheduler at ``scheduler`` (closed on exit), or the given client itself."""
    if isinstance(scheduler, Client):
        yield scheduler
        return
    client = Client(scheduler, set_as_default=False)
    try:
        yield client
    finally:
        client.close()


def job_mapper(client: Client) -> Callable[[Callable, list[tuple]], list]:
    """Run ``function(*job)`` for every job as Dask tasks; results in the order of the jobs."""
    def run(function: Callable, jobs: list[tuple]) -> list:
        if not jobs:
            return []
        futures = [client.submit(function, *job, pure=False) for job in jobs]
        return client.gather(futures)
    return run


def task_runner(client: Client) -> Callable[[Iterable[ComponentTask]], list[EngineRun]]:
    """Solve component tasks as Dask tasks; runs in the order of the tasks."""
    def run(tasks: Iterable[ComponentTask]) -> list[EngineRun]:
        tasks = list(tasks)
        if not tasks:
            return []
        return client.gather(client.map(solve_component, tasks, pure=False))
    return run

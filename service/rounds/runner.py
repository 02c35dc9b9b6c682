"""Matching rounds as background jobs: snapshot, match, and write all proposals in one transaction.

A round's proposals are written in the same transaction that marks it succeeded, so a round that is
cancelled, fails, or is cut off by a server stop leaves no proposals of that run behind. On start
the service marks rounds left queued or running as failed (see :func:`fail_interrupted_rounds`).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from service.api.records import registry_from_records
from service.db.models import Exchange, Proposal, Round, utcnow
from service.rounds import proposals
from service.rounds.snapshot import DIRECTIVE_FIELDS, build_snapshot
from solvers.matching import Progress, match
from solvers.params import SolveParams
from symbiosis.candidates import CandidateParams
from symbiosis.errors import CancelledError, SymbiosisError
from symbiosis.objective import Objective

log = logging.getLogger(__name__)

#: Seconds between two progress writes of a running round.
PROGRESS_INTERVAL_S = 0.5
#: Share of a round's progress bar taken by matching (the rest is snapshot and saving).
MATCH_SHARE = 0.8
INTERRUPTED = "the service stopped while the round was queued or running; run it again"
CANCELLED = "cancelled on request"


def fail_interrupted_rounds(sessions: sessionmaker[Session]) -> int:
    """Mark rounds left queued or running by a stopped server as failed; return how many."""
    with sessions.begin() as session:
        result = session.execute(
            update(Round).where(Round.status.in_(("queued", "running")))
            .values(status="failed", message=INTERRUPTED, finished_at=utcnow(), progress=0.0,
                    version=Round.version + 1)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount or 0


def round_params(round_: Round) -> tuple[CandidateParams, SolveParams]:
    """The candidate and solve parameters a round asked for; what it left out has the engine's defaults."""
    options = round_.options or {}
    candidate_options = {name: options[name] for name in ("max_candidates", "check_availability")
                         if options.get(name) is not None}
    solve_params = SolveParams(objective=Objective(round_.objective), solver=round_.solver,
                               time_limit_s=options.get("time_limit_s"))
    return CandidateParams(**candidate_options), solve_params


class RoundJobs:
    """Runs rounds on a thread pool; progress and the cancel flag live in the database."""

    def __init__(self, sessions: sessionmaker[Session], workers: int):
        self.sessions = sessions
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="round")
        self.futures: dict[int, Future] = {}
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    def submit(self, round_id: int) -> None:
        """Run the round in the background."""
        with self._lock:
            self.futures[round_id] = self.executor.submit(self.run, round_id)

    def wait(self, round_id: int, timeout: float | None = None) -> None:
        """Wait until a submitted round has finished (for tests and the command line)."""
        future = self.futures.get(round_id)
        if future is not None:
            future.result(timeout=timeout)

    def shutdown(self) -> None:
        """Stop taking work; running rounds stop at their next check and are marked failed."""
        self.stopping.set()
        self.executor.shutdown(wait=True, cancel_futures=True)
        fail_interrupted_rounds(self.sessions)

    # --- one run ---

    def _check(self, round_id: int) -> None:
        if self.stopping.is_set():
            raise CancelledError(INTERRUPTED)
        with self.sessions() as session:
            if session.scalar(select(Round.cancel_requested).where(Round.id == round_id)):
                raise CancelledError(CANCELLED)

    def _progress(self, round_id: int, stage: str, fraction: float) -> None:
        with self.sessions.begin() as session:
            session.execute(update(Round).where(Round.id == round_id, Round.status == "running")
                            .values(stage=stage, progress=min(max(fraction, 0.0), 1.0))
                            .execution_options(synchronize_session=False))

    def progress(self, round_id: int) -> Progress:
        """A progress callback for :func:`solvers.matching.match` that writes the round's progress at most
        every :data:`PROGRESS_INTERVAL_S` and stops the run when it was cancelled."""
        last = [0.0]

        def report(stage: str, done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_INTERVAL_S or done >= total:
                last[0] = now
                self._check(round_id)
                self._progress(round_id, stage, MATCH_SHARE * done / max(total, 1))

        return report

    def run(self, round_id: int) -> None:
        """Run one round to a final state: succeeded, failed or cancelled."""
        try:
            self._run(round_id)
        except CancelledError as exc:
            status = "failed" if str(exc) == INTERRUPTED else "cancelled"
            self._finish(round_id, status, str(exc))
        except SymbiosisError as exc:
            self._finish(round_id, "failed", str(exc))
        except Exception as exc:  # a job must always end in a final state
            log.exception("round %s failed", round_id)
            self._finish(round_id, "failed", f"internal error: {exc.__class__.__name__}: {exc}")

    def _finish(self, round_id: int, status: str, message: str) -> None:
        with self.sessions.begin() as session:
            round_ = session.get(Round, round_id)
            if round_ is not None and round_.status in ("queued", "running"):
                round_.status, round_.message, round_.finished_at = status, message, utcnow()
                round_.cancel_requested = False

    def _start(self, round_id: int) -> tuple[dict, int, CandidateParams, SolveParams] | None:
        """Mark a queued round running and take its snapshot; ``None`` if it is not queued."""
        with self.sessions.begin() as session:
            round_ = session.get(Round, round_id)
            if round_ is None or round_.status != "queued":
                return None
            if round_.cancel_requested:
                raise CancelledError(CANCELLED)
            round_.status, round_.runs, round_.started_at = "running", round_.runs + 1, utcnow()
            round_.finished_at, round_.progress, round_.stage, round_.message = None, 0.0, "snapshot", None
            round_.snapshot = build_snapshot(session, round_)
            return round_.snapshot, round_.runs, *round_params(round_)

    def _run(self, round_id: int) -> None:
        started = self._start(round_id)
        if started is None:
            return
        snapshot, run_number, candidate_params, solve_params = started
        if not snapshot["listings"]:
            raise SymbiosisError("no open listings in the round's scope")
        registry = registry_from_records(snapshot["companies"], snapshot["listings"])
        self._check(round_id)
        directives = pd.DataFrame(snapshot["directives"], columns=list(DIRECTIVE_FIELDS), dtype=str)
        found = match(registry=registry, directives=directives if len(directives) else None,
                      candidate_params=candidate_params, solve_params=solve_params, progress=self.progress(round_id))
        self._check(round_id)
        self._progress(round_id, "saving", 0.9)
        with self.sessions.begin() as session:
            round_ = session.get(Round, round_id, with_for_update=True)
            if round_ is None or round_.status != "running":
                return
            if round_.cancel_requested:
                raise CancelledError(CANCELLED)
            exchanged = {(e.offer_id, e.need_id) for e in session.scalars(
                select(Exchange).where(Exchange.round_id == round_id, Exchange.status == "active"))}
            session.execute(update(Proposal).where(Proposal.round_id == round_id,
                                                   Proposal.status.in_(("draft", "sent")))
                            .values(status="superseded", version=Proposal.version + 1)
                            .execution_options(synchronize_session=False))
            session.add_all(proposals.proposals_from(found.exchanges, round_id, run_number,
                                                     solve_params.objective, exchanged))
            round_.unmatched = proposals.unmatched_records(found.unmatched)
            round_.summary = proposals.round_summary(found, len(directives))
            round_.status, round_.progress, round_.stage = "succeeded", 1.0, None
            round_.finished_at, round_.message = utcnow(), None

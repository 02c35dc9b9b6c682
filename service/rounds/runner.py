"""Matching rounds as background jobs that every process on one database shares safely.

- **Claim.** A process takes a queued round with one conditional UPDATE, so two processes never run
  the same round; the claim names the process (``claimed_by``) and lasts until ``lease_until``.
- **Heartbeat.** While the round runs its process renews the lease every third of ``round_lease_s``.
  A round whose lease expired (its process was killed) is taken over, from its stored snapshot, by
  the next process that looks; a process starting up leaves every live claim alone.
- **Child process.** The matching itself runs in a child process (``forkserver``), so a cancel stops
  it at any stage, inside a MILP solve too, within :data:`CHECK_INTERVAL_S` plus the time to end it.
- **One transaction.** A round's proposals are written in the transaction that marks it succeeded,
  and only while this process still holds it: a round that is cancelled, fails, is taken over or
  cut off leaves no proposals of that run behind.

A process that stops in an orderly way hands its running rounds back to the queue.
"""

from __future__ import annotations

from collections.abc import Callable

import logging
import multiprocessing
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pandas as pd
from sqlalchemy import and_, false, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from service.api.records import registry_from_records, weights_of
from service.db.engine import begin_consistent_read
from service.db.models import Exchange, Listing, Proposal, Round, utcnow
from service.rounds import proposals
from service.rounds.snapshot import DIRECTIVE_FIELDS, build_snapshot
from solvers.matching import match
from solvers.params import SolveParams
from symbiosis.candidates import CandidateParams
from symbiosis.errors import CancelledError, SymbiosisError
from symbiosis.objective import Objective

log = logging.getLogger(__name__)

#: Seconds between two progress writes of a running round.
PROGRESS_INTERVAL_S = 0.5
#: Seconds between two looks at a running round's cancel flag and claim.
CHECK_INTERVAL_S = 0.2
#: Seconds a cancelled child process gets to end before it is killed.
TERMINATE_GRACE_S = 0.5
#: Share of a round's progress bar taken by matching (the rest is snapshot and saving).
MATCH_SHARE = 0.8
ACTIVE = ("queued", "running")
INTERRUPTED = "the service stopped while the round was running, before rounds were claimed; run it again"
CANCELLED = "cancelled on request"

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload([__name__])


#: Longest text of an unexpected error a round's message repeats (the log keeps all of it).
INTERNAL_MESSAGE_CHARS = 300


def internal_error_message(exc: BaseException) -> str:
    """A failed round's message for an error the engine did not foresee: its kind and first line,
    without a database statement or its parameters (those stay in the service log)."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = text[0] if text else ""
    if len(first) > INTERNAL_MESSAGE_CHARS:
        first = first[:INTERNAL_MESSAGE_CHARS] + "..."
    return (f"internal error: {exc.__class__.__name__}" + (f": {first}" if first else "")
            + "; the service log has the details")


#: Ids looked up per query when a finished round checks which of its listings are still there.
PRESENT_BATCH = 5000


def _of_present_listings(session: Session, rows: list[dict]) -> list[dict]:
    """The proposal rows whose offer and need listings (and so their companies, whose deletion
    takes their listings) are still stored: a listing deleted while the round ran gets no proposal
    that its company, or a newcomer later listed under the same id, could accept."""
    wanted = list({row["offer_id"] for row in rows} | {row["need_id"] for row in rows})
    present: set[str] = set()
    for start in range(0, len(wanted), PRESENT_BATCH):
        present.update(session.scalars(select(Listing.listing_id).where(
            Listing.listing_id.in_(wanted[start:start + PRESENT_BATCH]))))
    return [row for row in rows if row["offer_id"] in present and row["need_id"] in present]


class LostClaimError(Exception):
    """This process no longer holds the round: it ended, or another process took it over."""


class StoppingError(Exception):
    """This process is stopping: the round goes back to the queue."""


def worker_name() -> str:
    """A name for this process that no other process on any host shares."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def fail_interrupted_rounds(sessions: sessionmaker[Session]) -> int:
    """Mark rounds left running by a server from before claims (no ``claimed_by``) as failed; return how many.

    Rounds claimed by a process are left alone: they are taken over only once their lease expires.
    """
    with sessions.begin() as session:
        result = session.execute(
            update(Round).where(Round.status == "running", Round.claimed_by.is_(None))
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
    chosen = {name: options[name] for name in ("time_limit_s", "milp_engine", "relative_gap", "seed")
              if options.get(name) is not None}
    solve_params = SolveParams(objective=Objective(round_.objective), solver=round_.solver,
                               allow_subsidised=bool(options.get("allow_subsidised", False)),
                               weights=weights_of(options["weights"]) if options.get("weights") else None, **chosen)
    return CandidateParams(**candidate_options), solve_params


# --- the child process ------------------------------------------------------------------------------------


def _exit_when_parent_dies(alive) -> None:
    """Block until the parent's end of ``alive`` closes (the parent ended, even by kill -9), then exit."""
    try:
        alive.recv()
    except (EOFError, OSError):
        pass
    os._exit(1)


def match_in_child(results, alive, snapshot: dict, candidate_params: CandidateParams,
                   solve_params: SolveParams) -> None:
    """Match a round's snapshot; send ``("done", exchanges, unmatched, summary, directives)`` (or an error) back.

    Progress goes back as ``("progress", stage, done, total)`` at most every :data:`CHECK_INTERVAL_S`.
    """
    threading.Thread(target=_exit_when_parent_dies, args=(alive,), daemon=True).start()
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= CHECK_INTERVAL_S or done >= total:
            last[0] = now
            results.send(("progress", stage, done, total))

    try:
        registry = registry_from_records(snapshot["companies"], snapshot["listings"])
        directives = pd.DataFrame(snapshot["directives"], columns=list(DIRECTIVE_FIELDS), dtype=str)
        found = match(registry=registry, directives=directives if len(directives) else None,
                      candidate_params=candidate_params, solve_params=solve_params, progress=progress)
        results.send(("done", found.exchanges, found.unmatched, found.summary, len(directives)))
    except SymbiosisError as exc:
        results.send(("error", str(exc)))
    except Exception as exc:  # reported to the parent, which fails the round with it
        log.exception("matching failed")
        results.send(("crash", f"{exc.__class__.__name__}: {exc}"))


# --- the jobs of one process --------------------------------------------------------------------------


class RoundJobs:
    """Claims queued rounds (and rounds whose lease expired) and runs them on a thread pool.

    Progress, the cancel flag and the claim live in the database, so any process can read or cancel a
    round that another runs.
    """

    def __init__(self, sessions: sessionmaker[Session], *, workers: int, lease_s: float, poll_s: float,
                 after_success: Callable[[], None] | None = None):
        self.sessions = sessions
        self.after_success = after_success
        self.workers, self.lease_s, self.poll_s = workers, lease_s, poll_s
        self.name = worker_name()
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="round")
        self.running: set[int] = set()
        self.stopping = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._poller = threading.Thread(target=self._poll, name="round-poller", daemon=True)

    def start(self) -> None:
        """Start looking for rounds to run."""
        self._poller.start()

    def submit(self, round_id: int) -> None:
        """A round was queued: look for work now instead of at the next poll."""
        self._wake.set()

    def wait(self, round_id: int, timeout: float | None = None) -> None:
        """Wait until a round (run by any process) is no longer queued or running."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self.sessions() as session:
                if session.scalar(select(Round.status).where(Round.id == round_id)) not in ACTIVE:
                    return
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"round {round_id} is still queued or running after {timeout} s")
            time.sleep(0.05)

    def shutdown(self) -> None:
        """Stop taking work; running rounds stop at their next check and go back to the queue."""
        self.stopping.set()
        self._wake.set()
        if self._poller.is_alive():
            self._poller.join()
        self.executor.shutdown(wait=True, cancel_futures=True)

    # --- claiming ---

    def _poll(self) -> None:
        while not self.stopping.is_set():
            try:
                self.claim_free()
            except Exception:  # the database may be briefly unavailable: try again at the next poll
                log.exception("looking for rounds to run failed")
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def claim_free(self) -> list[int]:
        """Claim as many claimable rounds as there are free workers and start them; return their ids."""
        with self._lock:
            free = self.workers - len(self.running)
        if free <= 0 or self.stopping.is_set():
            return []
        now = utcnow()
        with self.sessions() as session:
            candidates = list(session.scalars(
                select(Round.id).where(or_(Round.status == "queued", and_(
                    Round.status == "running", Round.claimed_by.is_not(None), Round.lease_until < now)))
                .order_by(Round.id).limit(free)))
        started = []
        for round_id in candidates:
            if self._claim(round_id):
                with self._lock:
                    self.running.add(round_id)
                self.executor.submit(self.run, round_id)
                started.append(round_id)
        return started

    def _lease(self) -> dict[str, Any]:
        now = utcnow()
        return {"claimed_by": self.name, "heartbeat_at": now, "lease_until": now + timedelta(seconds=self.lease_s)}

    def _claim(self, round_id: int) -> bool:
        """Take a queued round (a new run) or a running one whose lease expired (the same run, taken over)."""
        now = utcnow()
        with self.sessions.begin() as session:
            fresh = session.execute(
                update(Round).where(Round.id == round_id, Round.status == "queued")
                .values(status="running", runs=Round.runs + 1, started_at=now, finished_at=None, progress=0.0,
                        stage="snapshot", message=None, snapshot=None, version=Round.version + 1, **self._lease())
                .execution_options(synchronize_session=False)).rowcount
            if fresh:
                return True
            taken = session.execute(
                update(Round).where(Round.id == round_id, Round.status == "running",
                                    Round.claimed_by.is_not(None), Round.lease_until < now)
                .values(version=Round.version + 1, **self._lease())
                .execution_options(synchronize_session=False)).rowcount
            if taken:
                log.warning("round %s: the lease of the process running it expired; taking it over", round_id)
            return bool(taken)

    def _mine(self, round_id: int):
        return and_(Round.id == round_id, Round.claimed_by == self.name, Round.status == "running")

    def _set(self, session: Session, round_id: int, **values: Any) -> int:
        """Update the round while this process holds it; return 1, or 0 when it no longer does."""
        return session.execute(update(Round).where(self._mine(round_id)).values(**values)
                               .execution_options(synchronize_session=False)).rowcount or 0

    def _check(self, round_id: int) -> None:
        """Raise when the round should stop: cancelled, no longer ours, or this process is stopping."""
        if self.stopping.is_set():
            raise StoppingError()
        with self.sessions() as session:
            row = session.execute(select(Round.cancel_requested, Round.claimed_by, Round.status)
                                  .where(Round.id == round_id)).first()
        if row is None or row.claimed_by != self.name or row.status != "running":
            raise LostClaimError()
        if row.cancel_requested:
            raise CancelledError(CANCELLED)

    def _heartbeat(self, round_id: int) -> None:
        with self.sessions.begin() as session:
            if not self._set(session, round_id, heartbeat_at=utcnow(),
                             lease_until=utcnow() + timedelta(seconds=self.lease_s)):
                raise LostClaimError()

    def _after_success(self) -> None:
        try:
            self.after_success()
        except Exception:  # a follow-up never changes the round's outcome
            log.exception("the work after a round failed")

    def _progress(self, round_id: int, stage: str, fraction: float) -> None:
        with self.sessions.begin() as session:
            self._set(session, round_id, stage=stage, progress=min(max(fraction, 0.0), 1.0))

    # --- one run ---

    def run(self, round_id: int) -> None:
        """Run one claimed round to a final state: succeeded, failed or cancelled (or back to the queue)."""
        try:
            self._run(round_id)
            if self.after_success is not None:  # e.g. warm the planner's analytics, off the round's thread
                threading.Thread(target=self._after_success, name=f"after-round-{round_id}", daemon=True).start()
        except CancelledError as exc:
            self._finish(round_id, "cancelled", str(exc))
        except StoppingError:
            self._release(round_id)
        except LostClaimError:
            log.warning("round %s: another process holds it now; stopped here", round_id)
        except SymbiosisError as exc:
            self._finish(round_id, "failed", str(exc))
        except Exception as exc:  # a job must always end in a final state
            log.exception("round %s failed", round_id)
            self._finish(round_id, "failed", internal_error_message(exc))
        finally:
            with self._lock:
                self.running.discard(round_id)
            self._wake.set()

    def _finish(self, round_id: int, status: str, message: str) -> None:
        with self.sessions.begin() as session:
            self._set(session, round_id, status=status, message=message, finished_at=utcnow(),
                      cancel_requested=False, claimed_by=None, lease_until=None, version=Round.version + 1)

    def _release(self, round_id: int) -> None:
        """Hand a round this process was running back to the queue (the run starts again)."""
        with self.sessions.begin() as session:
            self._set(session, round_id, status="queued", runs=Round.runs - 1, progress=0.0, stage=None,
                      claimed_by=None, lease_until=None, version=Round.version + 1)

    def _prepare(self, round_id: int) -> tuple[dict, int, CandidateParams, SolveParams]:
        """The round's snapshot (taken now in a consistent read, or the one of the run taken over)."""
        with self.sessions() as session:
            begin_consistent_read(session)
            round_ = session.get(Round, round_id)
            if round_ is None or round_.claimed_by != self.name:
                raise LostClaimError()
            if round_.cancel_requested:
                raise CancelledError(CANCELLED)
            snapshot = round_.snapshot or build_snapshot(session, round_)
            taken = round_.snapshot is not None
            result = snapshot, round_.runs, *round_params(round_)
            session.commit()
            if not taken:
                with session.begin():
                    if not self._set(session, round_id, snapshot=snapshot, stage="matching"):
                        raise LostClaimError()
        return result

    def _run(self, round_id: int) -> None:
        snapshot, run_number, candidate_params, solve_params = self._prepare(round_id)
        if not snapshot["listings"]:
            raise SymbiosisError("no open listings in the round's scope")
        exchanges, unmatched, summary, directives = self._match(round_id, snapshot, candidate_params, solve_params)
        self._check(round_id)
        self._progress(round_id, "saving", 0.9)
        with self.sessions.begin() as session:
            if not session.execute(
                    update(Round).where(self._mine(round_id), Round.cancel_requested == false())
                    .values(status="succeeded", progress=1.0, stage=None, finished_at=utcnow(), message=None,
                            unmatched=proposals.unmatched_records(unmatched),
                            summary=proposals.round_summary(summary, directives), claimed_by=None,
                            lease_until=None, version=Round.version + 1)
                    .execution_options(synchronize_session=False)).rowcount:
                self._check(round_id)  # raises: cancelled, or no longer ours
                raise LostClaimError()
            exchanged = {(e.offer_id, e.need_id) for e in session.scalars(
                select(Exchange).where(Exchange.round_id == round_id, Exchange.status == "active"))}
            session.execute(update(Proposal).where(Proposal.round_id == round_id,
                                                   Proposal.status.in_(("draft", "sent")))
                            .values(status="superseded", version=Proposal.version + 1)
                            .execution_options(synchronize_session=False))
            rows = proposals.proposals_from(exchanges, round_id, run_number, solve_params.objective, exchanged)
            rows = _of_present_listings(session, rows)
            if rows:
                session.execute(insert(Proposal.__table__), rows)

    def _match(self, round_id: int, snapshot: dict, candidate_params: CandidateParams,
               solve_params: SolveParams) -> tuple[pd.DataFrame, pd.DataFrame, dict, int]:
        """Match in a child process while checking the cancel flag and renewing the lease."""
        results, child_results = _CONTEXT.Pipe(duplex=False)
        child_alive, alive = _CONTEXT.Pipe(duplex=False)
        child = _CONTEXT.Process(target=match_in_child, name=f"round-{round_id}", daemon=True,
                                 args=(child_results, child_alive, snapshot, candidate_params, solve_params))
        child.start()
        child_results.close()
        child_alive.close()
        last_beat = last_progress = time.monotonic()
        try:
            while True:
                if results.poll(CHECK_INTERVAL_S):
                    try:
                        message = results.recv()
                    except EOFError:
                        child.join(TERMINATE_GRACE_S)
                        raise SymbiosisError(f"the matching process ended without a result "
                                             f"(exit code {child.exitcode})") from None
                    kind, *payload = message
                    if kind == "done":
                        return payload[0], payload[1], payload[2], payload[3]
                    if kind == "error":
                        raise SymbiosisError(payload[0])
                    if kind == "crash":
                        raise RuntimeError(payload[0])
                    stage, done, total = payload
                    if time.monotonic() - last_progress >= PROGRESS_INTERVAL_S or done >= total:
                        last_progress = time.monotonic()
                        self._progress(round_id, stage, MATCH_SHARE * done / max(total, 1))
                self._check(round_id)
                if time.monotonic() - last_beat >= self.lease_s / 3:
                    last_beat = time.monotonic()
                    self._heartbeat(round_id)
        finally:
            if child.is_alive():
                child.terminate()
                child.join(TERMINATE_GRACE_S)
                if child.is_alive():
                    child.kill()
            child.join()
            results.close()
            alive.close()

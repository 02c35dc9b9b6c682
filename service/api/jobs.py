"""Matching rounds as background jobs: snapshot, match, and write all proposals in one transaction.

A round's proposals are written in the same transaction that marks it succeeded, so a round that is
cancelled, fails, or is cut off by a server stop leaves no proposals of that run behind. On start
the service marks rounds left queued or running as failed (see :func:`fail_interrupted_rounds`).
"""

from __future__ import annotations

import inspect
import logging
import math
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from service.api.records import company_record, listing_record, registry_from_records, to_text
from service.db.models import Company, Exchange, Listing, Proposal, Round, utcnow
from service.db.queries import open_quantity, used_quantities
from service.pipeline import match_registry
from solvers.params import SolveParams
from symbiosis.candidates import CandidateParams
from symbiosis.errors import InputError, SymbiosisError
from symbiosis.impacts import INDICATORS, Objective, total_indicators
from symbiosis.materials import default_catalog

log = logging.getLogger(__name__)

#: Seconds between two progress writes of a running round.
PROGRESS_INTERVAL_S = 0.5
#: Listings whose open quantity falls below this share of their quantity are left out of a round.
EXHAUSTED_SHARE = 1e-9
INTERRUPTED = "the service stopped while the round was queued or running; run it again"
DIRECTIVE_FIELDS = ("action", "offer_id", "need_id", "supplier_id", "receiver_id", "min_quantity")


def engine_takes_directives() -> bool:
    """Whether the matching pipeline accepts lock and forbid directives."""
    return "directives" in inspect.signature(match_registry).parameters


class RoundCancelled(Exception):
    """The round was cancelled while it ran."""


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


def material_in_classes(material_key: str, classes: list[str]) -> bool:
    """A listing's material is one of ``classes``: a class id, or an EWC code, sub-chapter or chapter."""
    compact = material_key.replace(" ", "")
    for wanted in classes:
        wanted = wanted.strip().lower()
        if material_key == wanted or (compact.isdigit() and compact.startswith(wanted.replace(" ", ""))):
            return True
    return False


def check_material_classes(classes: list[str]) -> list[str]:
    """The entries of a round scope's material classes that name nothing (empty when all are fine)."""
    catalog = default_catalog()
    bad = []
    for wanted in classes:
        text = wanted.strip().lower()
        compact = text.replace(" ", "").rstrip("*")
        if text in catalog.classes:
            continue
        if compact.isdigit() and len(compact) in (2, 4, 6):
            continue
        bad.append(wanted)
    return bad


def build_snapshot(session: Session, round_: Round, *, with_directives: bool) -> dict:
    """The companies and open listings in the round's scope, and the directives of this run."""
    scope = round_.scope or {}
    query = select(Company)
    if scope.get("municipalities"):
        query = query.where(Company.municipality.in_(scope["municipalities"]))
    if scope.get("bbox"):
        min_lon, min_lat, max_lon, max_lat = scope["bbox"]
        query = query.where(Company.lon.between(min_lon, max_lon), Company.lat.between(min_lat, max_lat))
    companies = {c.company_id: c for c in session.scalars(query.order_by(Company.company_id))}
    listings = [
        item for item in session.scalars(
            select(Listing).where(Listing.company_id.in_(list(companies))).order_by(Listing.listing_id))
        if not scope.get("material_classes") or material_in_classes(item.material_key, scope["material_classes"])
    ]
    # A re-run locks the exchanges its earlier runs produced instead of subtracting them.
    exclude_round = round_.id if with_directives else None
    used = used_quantities(session, [item.listing_id for item in listings], exclude_round=exclude_round)
    records = []
    for item in listings:
        left = open_quantity(item.quantity, item.quantity_canonical, used.get(item.listing_id, 0.0))
        if left <= item.quantity * EXHAUSTED_SHARE:
            continue
        record = listing_record(item)
        record["quantity"] = to_text(left)
        if item.min_lot is not None and "min_lot" in record and item.min_lot > left:
            record["min_lot"] = ""  # the open rest is smaller than a lot: the engine decides without it
        records.append(record)
    in_snapshot = {r["listing_id"] for r in records}
    directives = [dict(d) for d in round_.directives or []]
    if with_directives:
        factor = {item.listing_id: item.quantity / item.quantity_canonical for item in listings}
        locked = session.scalars(select(Exchange).where(
            Exchange.round_id == round_.id, Exchange.status == "active")).all()
        for exchange in locked:
            if exchange.offer_id in in_snapshot and exchange.need_id in in_snapshot:
                directives.append({"action": "lock", "offer_id": exchange.offer_id, "need_id": exchange.need_id,
                                   "min_quantity": exchange.quantity_canonical * factor[exchange.offer_id]})
        declined = session.execute(select(Proposal.offer_id, Proposal.need_id).where(
            Proposal.round_id == round_.id, Proposal.status == "declined").distinct()).all()
        for offer_id, need_id in declined:
            if offer_id in in_snapshot and need_id in in_snapshot:
                directives.append({"action": "forbid", "offer_id": offer_id, "need_id": need_id})
    used_companies = {r["company_id"] for r in records}
    return {
        "companies": [company_record(c) for key, c in companies.items() if key in used_companies],
        "listings": records,
        "directives": [{name: to_text(d.get(name)) for name in DIRECTIVE_FIELDS} for d in directives],
    }


def explain(row, yield_: float, objective: Objective) -> str:
    """Why an exchange was proposed, without naming either company."""
    limit = row.max_distance_km
    within = f" within the {limit:,.0f} km limit" if isinstance(limit, float) and math.isfinite(limit) else ""
    return (
        f"{row.material} serves a need for {row.need_material} under compatibility rule {row.rule_id} "
        f"(yield {yield_:g}); {row.distance_km:,.1f} km by {row.transport_mode}{within}; "
        f"it contributes {row.objective_contribution:,.1f} {objective.unit} to the objective '{objective.value}', "
        f"diverts {row.waste_t:,.1f} t of waste, saves {row.resource_t:,.1f} t of virgin resource and avoids "
        f"{row.co2e_t:,.1f} t CO2e net of {row.transport_co2e_t:,.2f} t for transport."
    )


def proposals_from(result_exchanges: pd.DataFrame, round_id: int, run: int, objective: Objective,
                   skip_pairs: set[tuple[str, str]]) -> list[Proposal]:
    frame = result_exchanges.rename(columns={"yield": "yield_"})
    rows = []
    for row in frame.itertuples(index=False):
        if (row.offer_id, row.need_id) in skip_pairs:
            continue
        values = {name: getattr(row, name) for name in (
            "offer_id", "need_id", "supplier_id", "receiver_id", "material", "need_material", "quantity", "unit",
            "quantity_canonical", "need_quantity", "need_unit", "distance_km", "transport_mode", "transport_co2e_t",
            *INDICATORS, "value_eur", "rule_id", "yield_", "objective_contribution")}
        values = {k: (float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v))
                  for k, v in values.items()}
        limit = float(row.max_distance_km) if pd.notna(row.max_distance_km) else None
        text = explain(row, float(row.yield_), objective)
        rows.append(Proposal(
            **values, round_id=round_id, run=run, status="draft", max_distance_km=limit,
            need_quantity_canonical=float(row.quantity_canonical) * float(row.yield_), explanation=text,
        ))
    return rows


def summarise(result, registry, candidates, directives_used: int) -> dict:
    ex = result.exchanges
    return {
        "status": result.status.value,
        "objective": {"name": result.objective.value, "value": float(result.objective_value),
                      "unit": result.objective.unit},
        "solver": result.solver,
        "solve_seconds": round(float(result.solve_seconds), 4),
        "totals": {k: round(v, 6) for k, v in total_indicators(ex).items()},
        "counts": {
            "companies": int(len(registry.companies)),
            "listings": int(len(registry.listings)),
            "candidate_arcs": int(len(candidates.arcs)),
            "exchanges": int(len(ex)),
            "unmatched_listings": int(len(result.unmatched)),
            "directives": directives_used,
        },
        "notices": list(registry.notices),
    }


class RoundJobs:
    """Runs rounds on a thread pool; progress and the cancel flag live in the database."""

    def __init__(self, sessions: sessionmaker[Session], workers: int):
        self.sessions = sessions
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="round")
        self.futures: dict[int, Future] = {}
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    def submit(self, round_id: int) -> None:
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
            raise RoundCancelled(INTERRUPTED)
        with self.sessions() as session:
            if session.scalar(select(Round.cancel_requested).where(Round.id == round_id)):
                raise RoundCancelled("cancelled on request")

    def _progress(self, round_id: int, stage: str, fraction: float) -> None:
        with self.sessions.begin() as session:
            session.execute(update(Round).where(Round.id == round_id, Round.status == "running")
                            .values(stage=stage, progress=min(max(fraction, 0.0), 1.0))
                            .execution_options(synchronize_session=False))

    def run(self, round_id: int) -> None:
        try:
            self._run(round_id)
        except RoundCancelled as exc:
            status = "failed" if str(exc) == INTERRUPTED else "cancelled"
            self._finish(round_id, status, str(exc))
        except (InputError, SymbiosisError) as exc:
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

    def _run(self, round_id: int) -> None:
        with_directives = engine_takes_directives()
        with self.sessions.begin() as session:
            round_ = session.get(Round, round_id)
            if round_ is None or round_.status != "queued":
                return
            if round_.cancel_requested:
                raise RoundCancelled("cancelled on request")
            round_.status, round_.runs, round_.started_at = "running", round_.runs + 1, utcnow()
            round_.finished_at, round_.progress, round_.stage, round_.message = None, 0.0, "snapshot", None
            snapshot = build_snapshot(session, round_, with_directives=with_directives)
            round_.snapshot = snapshot
            run_number, objective = round_.runs, Objective(round_.objective)
            solve_params = SolveParams(objective=round_.objective, solver=round_.solver,
                                       time_limit_s=round_.options.get("time_limit_s"))
            candidate_params = CandidateParams(
                max_candidates=int(round_.options.get("max_candidates", 25)),
                check_availability=bool(round_.options.get("check_availability", True)),
            )
        if not snapshot["listings"]:
            raise SymbiosisError("no open listings in the round's scope")
        registry = registry_from_records(snapshot["companies"], snapshot["listings"])
        self._check(round_id)
        last = [0.0]

        def progress(stage: str, done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_INTERVAL_S or done >= total:
                last[0] = now
                self._check(round_id)
                self._progress(round_id, stage, 0.8 * done / max(total, 1))

        extra = {}
        directives = pd.DataFrame(snapshot["directives"], columns=list(DIRECTIVE_FIELDS), dtype=str)
        if with_directives and len(directives):
            extra["directives"] = directives
        elif len(directives):
            raise SymbiosisError("this engine version cannot apply lock or forbid directives; remove them")
        candidates, result = match_registry(registry, candidate_params, solve_params, progress=progress, **extra)
        self._check(round_id)
        self._progress(round_id, "saving", 0.9)
        with self.sessions.begin() as session:
            round_ = session.get(Round, round_id, with_for_update=True)
            if round_ is None or round_.status != "running":
                return
            if round_.cancel_requested:
                raise RoundCancelled("cancelled on request")
            exchanged = {(e.offer_id, e.need_id) for e in session.scalars(
                select(Exchange).where(Exchange.round_id == round_id, Exchange.status == "active"))}
            session.execute(update(Proposal).where(Proposal.round_id == round_id,
                                                   Proposal.status.in_(("draft", "sent")))
                            .values(status="superseded", version=Proposal.version + 1)
                            .execution_options(synchronize_session=False))
            session.add_all(proposals_from(result.exchanges, round_id, run_number, objective, exchanged))
            unmatched = result.unmatched.reset_index()
            round_.unmatched = [
                {"listing_id": str(r["listing_id"]), "kind": str(r["kind"]), "company_id": str(r["company_id"]),
                 "material": str(r["material"]), "reason": str(r["reason"])}
                for r in unmatched.to_dict("records")
            ]
            round_.summary = summarise(result, registry, candidates, len(directives))
            round_.status, round_.progress, round_.stage = "succeeded", 1.0, None
            round_.finished_at, round_.message = utcnow(), None

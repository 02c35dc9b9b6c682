"""Matching rounds: a facilitator creates, runs, cancels and sends them; planners may read them."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Query, Request, Response, status
from fastapi.encoders import jsonable_encoder
from sqlalchemy import select, update

from service.api.auth import Principal, Role
from service.api.deps import (
    FacilitatorDep, FacilitatorOrPlannerDep, IntId, LimitQuery, OffsetQuery, SessionDep, SettingsDep, record,
)
from service.api.paging import page
from service.api.schemas.rounds import (
    RoundCreate, RoundPublic, RoundsPublic, RoundStatus, RoundUnmatched, SendResult, UnmatchedListing,
)
from service.db.models import Company, Listing, Proposal, Round, utcnow
from service.results_workbook import RESULTS_WORKBOOK, XLSX, write_results_workbook
from service.rounds.runner import CANCELLED
from service.rounds.snapshot import check_material_classes
from symbiosis.errors import ConflictError, InputError, NotFoundError, Problem

router = APIRouter(prefix="/rounds", tags=["rounds"])

ACTIVE = ("queued", "running")


def round_view(round_: Round, principal: Principal) -> RoundPublic:
    """A round; planners get it without directives, messages or totals, which can name or size one company."""
    view = RoundPublic.model_validate(round_)
    if principal.role is Role.PLANNER:
        summary = None if view.summary is None else {
            key: view.summary[key] for key in ("status", "solver", "counts") if key in view.summary}
        view = view.model_copy(update={"directives": [], "message": None, "summary": summary})
    return view


def _round(session, round_id: int, *, lock: bool = False) -> Round:
    round_ = session.get(Round, round_id, with_for_update=lock)
    if round_ is None:
        raise NotFoundError("round", round_id)
    return round_


@router.post("", response_model=RoundPublic, status_code=status.HTTP_202_ACCEPTED)
def create_round(body: RoundCreate, session: SessionDep, principal: FacilitatorDep, settings: SettingsDep,
                 request: Request) -> Round:
    """Create a round and start it: it snapshots the open listings in scope and matches them in the background.

    Follow its ``status`` and ``progress`` with GET /rounds/{id}.
    """
    bad = check_material_classes(body.scope.material_classes or [])
    problems = [Problem("round", None, "material_classes",
                        f"{b!r} is neither a material class id nor an EWC code, sub-chapter or chapter") for b in bad]
    limit = body.options.time_limit_s
    if limit is not None and limit > settings.max_time_limit_s:
        problems.append(Problem("round", None, "options.time_limit_s",
                                f"{limit:g} s is longer than this service allows: at most "
                                f"{settings.max_time_limit_s:g} s (setting SYMBIOSIS_MAX_TIME_LIMIT_S)"))
    if problems:
        raise InputError(problems, location="body")
    data = jsonable_encoder(body)
    round_ = Round(name=body.name, status="queued", scope=data["scope"], objective=body.objective.value,
                   solver=body.solver.value, options=data["options"],
                   directives=[{k: v for k, v in d.items() if v is not None} for d in data["directives"]],
                   created_by=principal.key_id)
    session.add(round_)
    session.flush()
    record(session, principal, "create", "round", round_.id, data)
    session.commit()
    request.app.state.jobs.submit(round_.id)
    return round_


@router.get("", response_model=RoundsPublic)
def list_rounds(session: SessionDep, principal: FacilitatorOrPlannerDep, status_: Annotated[RoundStatus | None, Query(alias="status")] = None,
                limit: LimitQuery = 50, offset: OffsetQuery = 0) -> RoundsPublic:
    query = select(Round).order_by(Round.id.desc())
    if status_ is not None:
        query = query.where(Round.status == status_)
    rows, total = page(session, query, limit, offset)
    return RoundsPublic(data=[round_view(r, principal) for r in rows], count=total)


@router.get("/{round_id}", response_model=RoundPublic)
def read_round(round_id: IntId, session: SessionDep, principal: FacilitatorOrPlannerDep) -> RoundPublic:
    return round_view(_round(session, round_id), principal)


@router.post("/{round_id}/run", response_model=RoundPublic, status_code=status.HTTP_202_ACCEPTED)
def rerun_round(round_id: IntId, session: SessionDep, principal: FacilitatorDep, request: Request) -> Round:
    """Run the round again on the current open listings.

    Exchanges that came from this round are kept as locks, declined proposals are forbidden, and
    proposals still open are superseded by the new run's (all at once when the run succeeds).
    """
    round_ = _round(session, round_id, lock=True)
    if round_.status in ACTIVE:
        raise ConflictError(f"round {round_id} is {round_.status}; cancel it or wait until it ends")
    round_.status, round_.cancel_requested, round_.progress, round_.message = "queued", False, 0.0, None
    record(session, principal, "run", "round", round_id, {"run": round_.runs + 1})
    session.commit()
    request.app.state.jobs.submit(round_id)
    return round_


@router.post("/{round_id}/cancel", response_model=RoundPublic, status_code=status.HTTP_202_ACCEPTED)
def cancel_round(round_id: IntId, session: SessionDep, principal: FacilitatorDep) -> Round:
    """Stop a queued round at once, or ask a running one to stop (it does within about a second, in
    whichever process runs it); it ends as ``cancelled`` without new proposals."""
    _round(session, round_id)

    def change(state: str, **values) -> int:
        return session.execute(update(Round).where(Round.id == round_id, Round.status == state)
                               .values(version=Round.version + 1, **values)
                               .execution_options(synchronize_session=False)).rowcount or 0

    if not (change("queued", status="cancelled", message=CANCELLED, finished_at=utcnow(), cancel_requested=False)
            or change("running", cancel_requested=True)):
        session.rollback()
        raise ConflictError(f"round {round_id} is {_round(session, round_id).status}, not queued or running")
    record(session, principal, "cancel", "round", round_id)
    session.commit()
    return session.get(Round, round_id, populate_existing=True)


@router.post("/{round_id}/send", response_model=SendResult)
def send_proposals(round_id: IntId, session: SessionDep, principal: FacilitatorDep) -> SendResult:
    """Send the round's draft proposals to the companies involved, who can then accept or decline."""
    round_ = _round(session, round_id, lock=True)
    if round_.status != "succeeded":
        raise ConflictError(f"round {round_id} is {round_.status}; only a succeeded round's proposals can be sent")
    result = session.execute(
        update(Proposal).where(Proposal.round_id == round_id, Proposal.status == "draft")
        .values(status="sent", sent_at=utcnow(), version=Proposal.version + 1)
        .execution_options(synchronize_session=False))
    sent = int(result.rowcount or 0)
    round_.sent_run = round_.runs  # its unmatched listings are now the companies' to see, as they are now
    round_.sent_unmatched = list(round_.unmatched or [])
    record(session, principal, "send", "round", round_id, {"proposals": sent})
    session.commit()
    return SendResult(sent=sent)


@router.get("/{round_id}/unmatched", response_model=RoundUnmatched)
def read_unmatched(round_id: IntId, session: SessionDep, _principal: FacilitatorDep,
                   limit: LimitQuery = 50, offset: OffsetQuery = 0) -> RoundUnmatched:
    """Listings of the last run with nothing proposed, and why."""
    rows = _round(session, round_id).unmatched or []
    return RoundUnmatched(data=[UnmatchedListing(**r) for r in rows[offset:offset + limit]], count=len(rows))


@router.get("/{round_id}/results.xlsx", response_class=Response, responses={200: {
    "description": "The round's results workbook (as `results.xlsx` of the command line).",
    "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
    "headers": {"Content-Disposition": {"description": 'attachment; filename="round-{id}-results.xlsx"',
                                        "schema": {"type": "string"}}}},
    409: {"description": "The round has no results yet."}})
def download_results(round_id: IntId, session: SessionDep, _principal: FacilitatorDep) -> Response:
    """The last run's proposals with both companies' names, units and explanations, the unmatched
    listings with their reasons, and the indicator totals: the workbook a facilitator mails."""
    round_ = _round(session, round_id)
    if round_.summary is None:
        raise ConflictError(f"round {round_id} has no results yet (status {round_.status})")
    proposals = list(session.scalars(select(Proposal).where(Proposal.round_id == round_id, Proposal.run == round_.runs)))
    exchanges = pd.DataFrame([p.column_values() for p in proposals])
    unmatched = pd.DataFrame(round_.unmatched or [], columns=["listing_id", "kind", "company_id", "material", "reason"])
    ids = set(exchanges.get("supplier_id", [])) | set(exchanges.get("receiver_id", [])) | set(unmatched["company_id"])
    companies = pd.DataFrame([{"company_id": c.company_id, "name": c.name}
                              for c in session.scalars(select(Company).where(Company.company_id.in_(ids)))],
                             columns=["company_id", "name"]).set_index("company_id")
    listings = pd.DataFrame([{"listing_id": row.listing_id, "company_id": row.company_id, "quantity": row.quantity,
                              "unit": row.unit}
                             for row in session.scalars(select(Listing).where(
                                 Listing.listing_id.in_(set(unmatched["listing_id"]))))],
                            columns=["listing_id", "company_id", "quantity", "unit"]).set_index("listing_id")
    with tempfile.TemporaryDirectory(prefix="symbiosis-results-") as folder:
        path = write_results_workbook(Path(folder) / RESULTS_WORKBOOK, exchanges, unmatched.set_index("listing_id"),
                                      round_.summary, companies, listings)
        content = path.read_bytes()
    return Response(content, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="round-{round_id}-results.xlsx"'})

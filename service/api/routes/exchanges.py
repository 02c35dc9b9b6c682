"""Exchanges (accepted proposals): active and ended, with their indicators and totals."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy import select

from analytics.disclosure import Privacy, suppression
from service.api.auth import Role
from service.api.deps import (
    FacilitatorOrCompanyDep, FacilitatorOrPlannerDep, IdFilter, IntId, LimitQuery, OffsetQuery, SessionDep, SettingsDep, record,
)
from service.api.paging import party_page
from service.api.schemas.common import Indicators, economics_of, indicators_of
from service.api.schemas.exchanges import ExchangePublic, ExchangesPublic, ExchangeStatus, TotalsPublic, TotalsRow
from service.db.models import Company, Exchange, utcnow
from symbiosis.errors import ConflictError, NotFoundError
from symbiosis.schema import INDICATORS

router = APIRouter(prefix="/exchanges", tags=["exchanges"])

_SUMMED = (*INDICATORS, "value_eur", "transport_co2e_t")


def exchange_view(e: Exchange) -> ExchangePublic:
    return ExchangePublic.model_validate({
        **{c.key: getattr(e, c.key) for c in Exchange.__table__.columns}, "indicators": indicators_of(e),
        "economics": economics_of(e)})


@router.get("/totals", response_model=TotalsPublic)
def exchange_totals(session: SessionDep, principal: FacilitatorOrPlannerDep, settings: SettingsDep,
                    by: Literal["round", "municipality"] = "round",
                    status_: Annotated[ExchangeStatus | Literal["all"], Query(alias="status")] = "active",
                    ) -> TotalsPublic:
    """The five indicators, value and transport emissions summed per round or per supplier's municipality.

    Planners see a group's figures only when enough companies contribute (or all consent); further groups
    are withheld so that the total minus the shown groups gives no small group away (complementary
    suppression), and the total only when all companies together are enough.
    """
    query = select(Exchange)
    if status_ != "all":
        query = query.where(Exchange.status == status_)
    rows = list(session.scalars(query))
    companies = {c.company_id: c for c in session.scalars(select(Company).where(Company.company_id.in_(
        {e.supplier_id for e in rows} | {e.receiver_id for e in rows})))}
    consenting = {cid for cid, c in companies.items() if c.consent_planner}
    groups: dict[object, list[Exchange]] = defaultdict(list)
    for e in rows:
        key = e.round_id if by == "round" else (companies[e.supplier_id].municipality
                                                 if e.supplier_id in companies else None)
        groups[key].append(e)
    privacy = Privacy(frozenset(consenting), min_companies=settings.planner_min_companies,
                      max_share=settings.planner_max_share) if principal.role is Role.PLANNER else None

    def summed(items: list[Exchange]) -> Indicators:
        # An unknown figure (None) adds nothing; the exchanges listing shows which are unknown.
        return Indicators(**{name: float(sum(getattr(e, name) or 0.0 for e in items)) for name in _SUMMED})

    def involved(items: list[Exchange]) -> set[str]:
        return {e.supplier_id for e in items} | {e.receiver_id for e in items}

    members = {key: involved(items) for key, items in groups.items()}
    def weight(e: Exchange) -> float:
        return (e.waste_t or 0.0) + (e.resource_t or 0.0)

    size = {key: sum(weight(e) for e in items) for key, items in groups.items()}
    parts: dict[object, dict[str, float]] = {}  # each company's part of a group: every exchange it is in
    for key, items in groups.items():
        for e in items:
            for company in {e.supplier_id, e.receiver_id}:
                parts.setdefault(key, {})[company] = parts.get(key, {}).get(company, 0.0) + weight(e)
    withheld = suppression(members, privacy, size, parts)
    data = []
    for key in sorted(groups, key=lambda k: (k is None, str(k))):
        items = groups[key]
        hidden = key in withheld.hidden
        data.append(TotalsRow(key=key, exchanges=len(items), companies=len(members[key]), suppressed=hidden,
                              indicators=None if hidden else summed(items)))
    shown = withheld.total_shown and (privacy is None or privacy.disclosable(involved(rows)))
    return TotalsPublic(by=by, data=data, total=summed(rows) if shown else None)


@router.get("", response_model=ExchangesPublic)
def list_exchanges(session: SessionDep, principal: FacilitatorOrCompanyDep, round_id: IdFilter = None,
                   status_: Annotated[ExchangeStatus | None, Query(alias="status")] = None,
                   limit: LimitQuery = 50, offset: OffsetQuery = 0) -> ExchangesPublic:
    rows, total = party_page(session, select(Exchange).order_by(Exchange.id), Exchange, principal, round_id, status_,
                             limit, offset)
    return ExchangesPublic(data=[exchange_view(e) for e in rows], count=total)


def _visible(session, principal, exchange_id: int, *, lock: bool = False) -> Exchange:
    e = session.get(Exchange, exchange_id, with_for_update=lock)
    if e is None or (principal.role is Role.COMPANY and principal.company_id not in (e.supplier_id, e.receiver_id)):
        raise NotFoundError("exchange", exchange_id)
    return e


@router.get("/{exchange_id}", response_model=ExchangePublic)
def read_exchange(exchange_id: IntId, session: SessionDep, principal: FacilitatorOrCompanyDep) -> ExchangePublic:
    return exchange_view(_visible(session, principal, exchange_id))


@router.post("/{exchange_id}/end", response_model=ExchangePublic)
def end_exchange(exchange_id: IntId, session: SessionDep, principal: FacilitatorOrCompanyDep) -> ExchangePublic:
    """End an active exchange (either company or a facilitator); its quantities are open again."""
    e = _visible(session, principal, exchange_id, lock=True)
    if e.status != "active":
        raise ConflictError(f"exchange {exchange_id} has already ended")
    e.status, e.ended_at = "ended", utcnow()
    record(session, principal, "end", "exchange", exchange_id)
    session.commit()
    return exchange_view(e)

"""The audit log: every change, who made it and when."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from service.api.deps import FacilitatorOrAdminDep, LimitQuery, OffsetQuery, SessionDep, TextFilter
from service.api.paging import page
from service.api.schemas.audit import AuditEntryPublic, AuditPublic
from service.db.models import AuditEntry

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=AuditPublic)
def read_audit_log(session: SessionDep, _principal: FacilitatorOrAdminDep, entity: TextFilter = None,
                   entity_id: TextFilter = None, action: TextFilter = None,
                   limit: LimitQuery = 50, offset: OffsetQuery = 0) -> AuditPublic:
    """Newest first; filter by entity (company, listing, round, proposal, exchange, api_key, import)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    rows, total = page(session, query, limit, offset)
    return AuditPublic(data=[AuditEntryPublic.model_validate(r) for r in rows], count=total)

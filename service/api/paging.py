"""Limit/offset pages with the total count, and the filtered pages of proposals and exchanges."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from service.api.auth import Principal, Role


def page(session: Session, query: Select, limit: int, offset: int) -> tuple[list[Any], int]:
    """The rows of one page of ``query`` and how many rows the whole query has."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(session.scalars(query.limit(limit).offset(offset)))
    return rows, int(total)


def where_given(query: Select, *conditions: Any) -> Select:
    """``query`` narrowed by each of ``conditions`` that is not ``None`` (a filter the caller left out)."""
    return query.where(*(c for c in conditions if c is not None))


def party_page(session: Session, query: Select, model: Any, principal: Principal, round_id: int | None,
               status: str | None, limit: int, offset: int, *company_filters: Any) -> tuple[list[Any], int]:
    """A page of proposals or exchanges (``model``) filtered by round and status.

    A company key sees only the rows where it supplies or receives, and that also pass ``company_filters``.
    """
    if principal.role is Role.COMPANY:
        query = query.where(or_(model.supplier_id == principal.company_id,
                                model.receiver_id == principal.company_id), *company_filters)
    if round_id is not None:
        query = query.where(model.round_id == round_id)
    if status is not None:
        query = query.where(model.status == status)
    return page(session, query, limit, offset)

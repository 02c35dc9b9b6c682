"""Limit/offset pages with the total count."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


def page(session: Session, query: Select, limit: int, offset: int) -> tuple[list[Any], int]:
    """The rows of one page of ``query`` and how many rows the whole query has."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(session.scalars(query.limit(limit).offset(offset)))
    return rows, int(total)

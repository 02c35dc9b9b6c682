"""The audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

class AuditEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_key_id: int | None
    actor_role: str
    actor_company_id: str | None
    action: str
    entity: str
    entity_id: str
    changes: dict[str, Any]


class AuditPublic(BaseModel):
    data: list[AuditEntryPublic]
    count: int

"""API keys and who-am-I."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from service.api.auth import Role
from service.api.schemas.common import Id, Name, Strict

class KeyCreate(Strict):
    role: Role
    company_id: Id | None = Field(None, description="Required for company keys: the company it acts for.")
    label: Name | None = Field(None, description="What the key is for, e.g. who holds it.")


class KeyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    prefix: str
    role: Role
    company_id: str | None
    label: str | None
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(KeyPublic):
    key: str = Field(description="The key itself. It is shown only now: store it safely.")


class KeysPublic(BaseModel):
    data: list[KeyPublic]
    count: int


class Me(BaseModel):
    key_id: int | None
    role: Role
    company_id: str | None

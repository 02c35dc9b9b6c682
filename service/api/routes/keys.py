"""API keys (admin) and who-am-I (everyone)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy import select

from service.api.auth import create_key, revoke_key
from service.api.deps import AdminDep, AnyRoleDep, IntId, LimitQuery, OffsetQuery, SessionDep, record
from service.api.paging import page
from service.api.schemas.keys import KeyCreate, KeyCreated, KeyPublic, KeysPublic, Me
from service.db.models import ApiKey
from symbiosis.errors import InputError, KeyRequestError, NotFoundError, Problem

router = APIRouter(tags=["keys"])


@router.get("/me", response_model=Me)
def read_me(principal: AnyRoleDep) -> Me:
    """The role and company of the key in use."""
    return Me(key_id=principal.key_id, role=principal.role, company_id=principal.company_id)


@router.post("/keys", response_model=KeyCreated, status_code=status.HTTP_201_CREATED)
def create_api_key(body: KeyCreate, session: SessionDep, principal: AdminDep) -> KeyCreated:
    """Create a key. The key text is in this response only; the service keeps just its hash."""
    try:
        row, key = create_key(session, body.role, body.company_id, body.label)
    except KeyRequestError as exc:
        raise InputError([Problem("key", None, "company_id", str(exc))], location="body") from None
    record(session, principal, "create", "api_key", row.id, {"role": row.role, "company_id": row.company_id})
    session.commit()
    return KeyCreated(**KeyPublic.model_validate(row).model_dump(), key=key)


@router.get("/keys", response_model=KeysPublic)
def list_api_keys(session: SessionDep, _principal: AdminDep, limit: LimitQuery = 50, offset: OffsetQuery = 0,
                  include_revoked: bool = False) -> KeysPublic:
    query = select(ApiKey).order_by(ApiKey.id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    rows, total = page(session, query, limit, offset)
    return KeysPublic(data=[KeyPublic.model_validate(r) for r in rows], count=total)


@router.delete("/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_api_key(key_id: IntId, session: SessionDep, principal: AdminDep) -> Response:
    """Revoke a key: it stops working at once."""
    row = revoke_key(session, key_id)
    if row is None:
        raise NotFoundError("key", key_id)
    record(session, principal, "revoke", "api_key", key_id)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)

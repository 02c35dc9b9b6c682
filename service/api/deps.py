"""Dependencies shared by the routers: the database session, the caller, role checks, paging."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Query, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from service.api.auth import Principal, Role, authenticate
from service.db.models import AuditEntry, Company, Exchange, Listing, Proposal
from service.db.queries import OPEN_PROPOSALS, lock_listings
from service.settings import Settings
from symbiosis.errors import ConflictError, InputError, PermissionDeniedError, Problem

#: Largest integer id accepted in a path (PostgreSQL integer columns are 32-bit).
MAX_INT_ID = 2**31 - 1
#: Largest page a list returns.
MAX_LIMIT = 500

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer sym_...`")


#: Methods whose requests only read: their sessions never open a write transaction.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session for the endpoint alone.

    It is closed as soon as the endpoint returns (``scope="function"``), before the response is
    validated and sent: a connection is never held while its request waits for a thread, so requests
    cannot all hold connections while the threads wait for one. Creating and closing a session
    takes no thread: the endpoint has already committed or only read.
    """
    factory = request.app.state.read_sessions if request.method in READ_METHODS else request.app.state.sessions
    session = factory()
    try:
        yield session
    finally:
        session.close()


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    unauthorized = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "an API key is required: Authorization: Bearer <key>",
                            headers=unauthorized)
    principal = authenticate(session, credentials.credentials)
    session.rollback()  # end the read so the request starts its own transaction
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "the API key is unknown or revoked", headers=unauthorized)
    return principal


def require(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets only ``roles`` through (403 for any other role)."""
    allowed = ", ".join(r.value for r in roles)

    def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.role not in roles:
            raise PermissionDeniedError(f"a {principal.role.value} key may not do this (allowed: {allowed})")
        return principal

    return check


AnyRoleDep = Annotated[Principal, Depends(get_principal)]
AdminDep = Annotated[Principal, Depends(require(Role.ADMIN))]
FacilitatorDep = Annotated[Principal, Depends(require(Role.FACILITATOR))]
FacilitatorOrCompanyDep = Annotated[Principal, Depends(require(Role.FACILITATOR, Role.COMPANY))]
FacilitatorOrPlannerDep = Annotated[Principal, Depends(require(Role.FACILITATOR, Role.PLANNER))]
FacilitatorOrAdminDep = Annotated[Principal, Depends(require(Role.FACILITATOR, Role.ADMIN))]
CompanyDep = Annotated[Principal, Depends(require(Role.COMPANY))]

LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_INT_ID, description="Items to skip.")]
#: Text in paths and filters: no control characters (PostgreSQL rejects NUL), bounded length.
_NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
IntId = Annotated[int, Path(ge=1, le=MAX_INT_ID)]
TextId = Annotated[str, Path(min_length=1, max_length=100, pattern=_NO_CONTROL)]
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_INT_ID)]
TextFilter = Annotated[str | None, Query(max_length=300, pattern=_NO_CONTROL)]
IfMatch = Annotated[
    str | None,
    Header(description="The version you edited, as the ETag of your last read (or send `version` in the body)."),
]


def record(session: Session, principal: Principal, action: str, entity: str, entity_id: object,
           changes: dict | None = None) -> None:
    """Add an audit entry to the current transaction (so it commits or rolls back with the change)."""
    session.add(AuditEntry(
        actor_key_id=principal.key_id, actor_role=principal.role.value, actor_company_id=principal.company_id,
        action=action, entity=entity, entity_id=str(entity_id), changes=changes or {},
    ))


def expected_version(if_match: str | None, body_version: int | None) -> int:
    """The version a client edited, from If-Match (an ETag such as ``"3"`` or ``W/"3"``) or the body.

    Raises 428 when neither is given and :class:`InputError` (422) when If-Match is not a version this API
    issued.
    """
    if body_version is not None:
        return body_version
    if if_match is None:
        raise HTTPException(status.HTTP_428_PRECONDITION_REQUIRED,
                            "send the version you edited: an If-Match header with the ETag, or a version field")
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 9:
        raise InputError([Problem("request", None, "If-Match",
                                  f"{if_match!r} is not an ETag issued by this API (like \"3\")")], location="header")
    return int(text)


def check_version(current: int, expected: int, what: str) -> None:
    if current != expected:
        raise ConflictError(f"{what} was changed meanwhile: you edited version {expected}, it is now at version "
                            f"{current}; read it again and reapply your change")


def etag(version: int) -> str:
    return f'"{version}"'


def delete_unless_active(session: Session, principal: Principal, row: Company | Listing,
                         uses: tuple[InstrumentedAttribute, InstrumentedAttribute], refusal: str) -> Response:
    """Delete a company or listing with an audit entry, unless an active exchange names it in one of
    the exchange columns ``uses``; its proposals still in draft or sent are superseded.

    Raises
    ------
    ConflictError
        ``refusal`` with ``{active}`` replaced by the id of an active exchange that uses the row.
    """
    entity, key = ("company", row.company_id) if isinstance(row, Company) else ("listing", row.listing_id)
    # Locked first, so that an exchange starting beside the delete is seen (or waits for it).
    if entity == "company":
        lock_listings(session, company_id=key)
    else:
        lock_listings(session, [key])
    active = session.scalar(select(Exchange.id).where(Exchange.status == "active", or_(*(c == key for c in uses))))
    if active is not None:
        raise ConflictError(refusal.format(active=active))
    # Its open proposals go with it: no one can accept them any more, nor a newcomer under the same id.
    session.execute(update(Proposal).where(Proposal.status.in_(OPEN_PROPOSALS),
                                           or_(*(getattr(Proposal, c.key) == key for c in uses)))
                    .values(status="superseded", version=Proposal.version + 1))
    session.delete(row)
    record(session, principal, "delete", entity, key, {"name": row.name} if entity == "company" else None)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)

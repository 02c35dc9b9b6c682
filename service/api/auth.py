"""API keys and roles: keys are random, shown once, and stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import ApiKey, Company, utcnow
from symbiosis.errors import KeyRequestError

#: Every key starts with this, so a leaked key is easy to recognise (e.g. by secret scanners).
KEY_PREFIX = "sym"


class Role(str, Enum):
    """What a key may do."""

    COMPANY = "company"  #: bound to one company: its own listings, proposals that involve it
    FACILITATOR = "facilitator"  #: companies, listings, rounds, proposals, exchanges, audit log
    PLANNER = "planner"  #: read-only aggregates without single companies' names or quantities
    ADMIN = "admin"  #: API keys


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, role and (for company keys) company."""

    key_id: int | None
    role: Role
    company_id: str | None = None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    """Return (lookup prefix, secret) of a key written as ``sym_<prefix>_<secret>``, or None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def create_key(session: Session, role: Role | str, company_id: str | None = None,
               label: str | None = None) -> tuple[ApiKey, str]:
    """Create a key (not yet committed); return the row and the full key text, shown only now.

    Raises
    ------
    KeyRequestError
        When a company key has no existing company, or another role is given a company.
    """
    role = Role(role)
    if role is Role.COMPANY:
        if not company_id:
            raise KeyRequestError("a company key needs the company it acts for (company_id)")
        if session.get(Company, company_id) is None:
            raise KeyRequestError(f"company {company_id!r} does not exist")
    elif company_id:
        raise KeyRequestError(f"only company keys are bound to a company, not {role.value} keys")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    row = ApiKey(prefix=prefix, key_hash=hash_secret(secret), role=role.value, company_id=company_id, label=label)
    session.add(row)
    session.flush()
    return row, f"{KEY_PREFIX}_{prefix}_{secret}"


def authenticate(session: Session, key: str) -> Principal | None:
    """The principal of a valid, unrevoked key, or None."""
    parts = split_key(key)
    if parts is None:
        return None
    prefix, secret = parts
    row = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.key_hash, hash_secret(secret)):
        return None
    return Principal(key_id=row.id, role=Role(row.role), company_id=row.company_id)


def revoke_key(session: Session, key_id: int) -> ApiKey | None:
    """Mark a key revoked (kept for the audit log); None when there is no such key."""
    row = session.get(ApiKey, key_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
    return row

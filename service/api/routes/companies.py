"""Companies: facilitators manage them; a company key reads and updates its own company."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Response, status
from fastapi.encoders import jsonable_encoder
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.api.auth import Principal, Role
from service.api.deps import (
    FacilitatorDep, FacilitatorOrCompanyDep, IfMatch, TextFilter, LimitQuery, OffsetQuery, SessionDep, TextId, check_version,
    delete_unless_active, etag, expected_version, record,
)
from service.api.paging import page, where_given
from service.api.records import COMPANY_FIELDS, validate_company
from service.api.schemas.companies import CompaniesPublic, CompanyCreate, CompanyPublic, CompanyUpdate
from service.db.models import Company, Exchange
from symbiosis.errors import ConflictError, NotFoundError

router = APIRouter(prefix="/companies", tags=["companies"])


def visible_company(session: Session, principal: Principal, company_id: str) -> Company:
    """The company if this caller may see it (a company key sees only its own); 404 otherwise."""
    company = session.get(Company, company_id)
    if company is None or (principal.role is Role.COMPANY and principal.company_id != company_id):
        raise NotFoundError("company", company_id)
    return company


@router.post("", response_model=CompanyPublic, status_code=status.HTTP_201_CREATED)
def create_company(body: CompanyCreate, session: SessionDep, principal: FacilitatorDep,  # type: ignore[valid-type]
                   response: Response) -> Company:
    data = body.model_dump()
    if session.get(Company, data["company_id"]) is not None:
        raise ConflictError(f"company {data['company_id']!r} already exists")
    company = Company(**validate_company(data), consent_planner=data["consent_planner"])
    session.add(company)
    record(session, principal, "create", "company", company.company_id, jsonable_encoder(data))
    session.commit()
    response.headers["ETag"] = etag(company.version)
    response.headers["Location"] = f"{router.prefix}/{quote(company.company_id, safe='')}"  # ids may be any Unicode
    return company


@router.get("", response_model=CompaniesPublic)
def list_companies(session: SessionDep, principal: FacilitatorOrCompanyDep, municipality: TextFilter = None,
                   nace: TextFilter = None, q: TextFilter = None, limit: LimitQuery = 50,
                   offset: OffsetQuery = 0) -> CompaniesPublic:
    """Companies, filtered by municipality, NACE code (prefix) or a text in the name or id."""
    query = where_given(
        select(Company).order_by(Company.company_id),
        (Company.company_id == principal.company_id) if principal.role is Role.COMPANY else None,
        None if municipality is None else Company.municipality == municipality,
        None if nace is None else Company.nace.startswith(nace, autoescape=True),
        None if q is None else or_(Company.name.icontains(q, autoescape=True),
                                   Company.company_id.icontains(q, autoescape=True)))
    rows, total = page(session, query, limit, offset)
    return CompaniesPublic(data=[CompanyPublic.model_validate(r) for r in rows], count=total)


@router.get("/{company_id}", response_model=CompanyPublic)
def read_company(company_id: TextId, session: SessionDep, principal: FacilitatorOrCompanyDep,
                 response: Response) -> Company:
    company = visible_company(session, principal, company_id)
    response.headers["ETag"] = etag(company.version)
    return company


@router.patch("/{company_id}", response_model=CompanyPublic)
def update_company(company_id: TextId, body: CompanyUpdate, session: SessionDep,  # type: ignore[valid-type]
                   principal: FacilitatorOrCompanyDep, response: Response, if_match: IfMatch = None) -> Company:
    """Change some fields. Send the version you edited (If-Match or ``version``); 409 if it moved on."""
    company = visible_company(session, principal, company_id)
    changes = body.model_dump(exclude_unset=True)
    check_version(company.version, expected_version(if_match, changes.pop("version", None)), f"company {company_id!r}")
    consent = changes.pop("consent_planner", None)
    current = {name: getattr(company, name) for name in COMPANY_FIELDS}
    fields = validate_company({**current, **changes})
    before = {name: current[name] for name in changes}
    for name, value in fields.items():
        setattr(company, name, value)
    if consent is not None:
        before["consent_planner"] = company.consent_planner
        changes["consent_planner"] = company.consent_planner = consent
    record(session, principal, "update", "company", company_id,
           jsonable_encoder({"before": before, "after": changes}))
    session.commit()
    response.headers["ETag"] = etag(company.version)
    return company


@router.delete("/{company_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_company(company_id: TextId, session: SessionDep, principal: FacilitatorDep) -> Response:
    """Delete a company with its listings and keys; refused while it has active exchanges."""
    company = visible_company(session, principal, company_id)
    return delete_unless_active(session, principal, company, (Exchange.supplier_id, Exchange.receiver_id),
                                f"company {company_id!r} has active exchanges (e.g. {{active}}); end them first")

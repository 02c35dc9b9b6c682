"""Search the waste codes and material classes a listing can name."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.api.deps import AnyRoleDep
from service.api.schemas.materials import MaterialPublic, MaterialsPublic

router = APIRouter(prefix="/materials", tags=["materials"])

#: Most results one search returns.
MAX_RESULTS = 100


@router.get("", response_model=MaterialsPublic)
def search_materials(
    _principal: AnyRoleDep,
    q: Annotated[str, Query(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$",
                            description="Words (English, or Danish for the classes) or a waste code, e.g. 'fly ash'.")],
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS, description="Most results.")] = 10,
) -> MaterialsPublic:
    """The waste codes and classes that best match ``q``, best first."""
    from symbiosis.material_search import search_materials as search

    found = search(q, limit=limit)
    rows = [MaterialPublic(code=str(r.code), kind=str(r.kind), description=str(r.description),
                           name_da=str(r.name_da or ""), hazardous=bool(r.hazardous), score=float(r.score))
            for r in found.itertuples(index=False)]
    return MaterialsPublic(data=rows, count=len(rows))

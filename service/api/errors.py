"""The one place that maps errors to HTTP status codes, and the one shape of every error response.

Routes raise the exceptions of :mod:`symbiosis.errors`; :data:`STATUS` maps each class (and the
database's conflicts) to a status code. Every error body is an RFC 9457 problem details object with
media type ``application/problem+json``::

    {"type": "urn:symbiosis:problem:input", "title": "Unprocessable Content", "status": 422,
     "detail": "2 problem(s) in the input", "instance": "/api/v1/listings",
     "errors": [{"loc": ["body", "quantity"], "msg": "...", "type": "value_error",
                 "table": "listing", "row": null, "column": "quantity", "field": "quantity", "reason": "..."}]}

``errors`` is present on 422 responses only: one entry per problem, naming the table (file or sheet),
row, column or field, with FastAPI's ``loc``/``msg``/``type`` alongside. FastAPI's own request
validation errors and HTTP exceptions are answered in the same shape.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError as DatabaseValueError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException

from symbiosis.errors import (
    CancelledError, ConflictError, InfeasibleError, InputError, KeyRequestError, NotFoundError,
    PermissionDeniedError, Problem, SymbiosisError,
)

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

#: Status code of each exception class; the most specific class of an exception wins.
STATUS: dict[type[Exception], int] = {
    InputError: 422,
    KeyRequestError: 422,
    NotFoundError: 404,
    PermissionDeniedError: 403,
    ConflictError: 409,
    InfeasibleError: 409,
    CancelledError: 409,
    SymbiosisError: 400,
    StaleDataError: 409,
    IntegrityError: 409,
    DatabaseValueError: 422,
    OperationalError: 503,
}

#: Fixed details of the database's errors (their own text names tables and SQL, which stays in the log).
DATABASE_DETAIL: dict[type[Exception], str] = {
    StaleDataError: "the record was changed by someone else at the same time; read it again and retry",
    IntegrityError: "the change conflicts with existing data (a duplicate id or a missing reference)",
    DatabaseValueError: "a value the database cannot store (a character or a number outside its range); "
                        "nothing was saved",
    OperationalError: "the database is busy or unavailable; retry shortly",
}

#: Response headers of a status code.
HEADERS: dict[int, dict[str, str]] = {503: {"Retry-After": "1"}}


class ProblemError(BaseModel):
    """One problem of a 422 response: where it was and why."""

    loc: list[str | int] = Field(description="Where, as FastAPI names it: body, query, header or file, then the field.")
    msg: str
    type: str
    table: str | None = Field(description="The table, file or sheet (e.g. 'listing', 'region.xlsx [listings]').")
    row: int | None = Field(description="The row a person sees in the file (the header is row 1).")
    column: str | None
    field: str | None
    reason: str


class ProblemDetails(BaseModel):
    """An error response (RFC 9457, media type application/problem+json)."""

    type: str = Field(description="A URI naming the kind of problem (about:blank for plain HTTP errors).")
    title: str
    status: int
    detail: str
    instance: str = Field(description="The path of the request.")
    errors: list[ProblemError] | None = Field(None, description="422 only: every problem with the request.")


def status_of(exc: Exception) -> int:
    """The status code :data:`STATUS` gives ``exc`` (500 for a class it does not name)."""
    return next((STATUS[cls] for cls in type(exc).__mro__ if cls in STATUS), 500)


def problem_type(exc: Exception) -> str:
    """A URI naming the kind of problem, from the exception's class (``InputError`` -> ``...:input``)."""
    name = re.sub(r"(Error|Exception)$", "", type(exc).__name__)
    return "urn:symbiosis:problem:" + (re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower() or "error")


def problem_error(problem: Problem, location: str = "body") -> dict[str, Any]:
    """One input problem as an entry of ``errors``: where it was and why, and FastAPI's ``loc``/``msg``."""
    loc: list[str | int] = [location]
    if problem.row is not None and location != "body":
        loc.append(problem.row)
    if problem.column is not None:
        loc.append(problem.column)
    return {"loc": loc, "msg": problem.reason, "type": "value_error", "table": problem.table, "row": problem.row,
            "column": problem.column, "field": problem.column, "reason": problem.reason}


def validation_error(error: dict[str, Any]) -> dict[str, Any]:
    """One FastAPI request validation error as an entry of ``errors``."""
    loc = list(error.get("loc", ()))
    field = next((str(part) for part in reversed(loc) if isinstance(part, str)), None)
    return {"loc": loc, "msg": error.get("msg", ""), "type": error.get("type", "value_error"),
            "table": str(loc[0]) if loc else None, "row": None, "column": field, "field": field,
            "reason": error.get("msg", "")}


def problem_response(request: Request, status: int, detail: str, *, type_: str = "about:blank",
                     errors: list[dict[str, Any]] | None = None,
                     headers: dict[str, str] | None = None) -> JSONResponse:
    """An RFC 9457 problem details response."""
    body: dict[str, Any] = {"type": type_, "title": HTTPStatus(status).phrase, "status": status,
                            "detail": detail, "instance": request.url.path}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers={**HEADERS.get(status, {}), **(headers or {})},
                        media_type=PROBLEM_JSON)


async def _known(request: Request, exc: Exception) -> JSONResponse:
    status = status_of(exc)
    detail = DATABASE_DETAIL.get(type(exc))
    if detail is not None:
        log.log(logging.WARNING if status >= 500 else logging.INFO, "database: %s", getattr(exc, "orig", exc))
    errors = None
    if isinstance(exc, InputError):
        errors = [problem_error(p, exc.location or "body") for p in exc.problems]
        detail = f"{len(exc.problems)} problem(s) in the input"
    elif status == 422:
        reason = detail or str(exc)  # a database's own text names tables and SQL: it stays in the log
        errors = [{"loc": ["body"], "msg": reason, "type": "value_error", "table": None, "row": None,
                   "column": None, "field": None, "reason": reason}]
    return problem_response(request, status, detail or str(exc), type_=problem_type(exc), errors=errors)


async def _request_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [validation_error(e) for e in exc.errors()]
    return problem_response(request, 422, f"{len(errors)} problem(s) in the request", errors=errors)


async def _http(request: Request, exc: HTTPException) -> JSONResponse:
    return problem_response(request, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))


def install_error_handlers(app: FastAPI) -> None:
    """Answer every class of :data:`STATUS`, request validation and HTTP errors with problem details,
    and say so in the OpenAPI document."""
    document_problems(app)
    for cls in STATUS:
        app.add_exception_handler(cls, _known)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(HTTPException, _http)


#: What each documented error status means, in the OpenAPI document.
RESPONSE_DESCRIPTIONS: dict[int, str] = {
    400: "The request cannot be answered as asked (e.g. an analysis that is not possible on this data)",
    401: "No API key, or not a valid one",
    403: "The key's role may not do this",
    404: "No such resource (or not one this key may see)",
    409: "Conflicts with the current state: someone else changed it (send the version you read), it is in use, "
         "or it has no data to work on yet",
    413: "The request body is larger than the limit",
    422: "Problems with the request",
    428: "An update must say which version it edits (If-Match or version)",
    503: "The database is busy or unavailable; retry after the Retry-After seconds",
}


def error_statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    """The error status codes an operation can answer with: those its route declares, and from what it
    takes: every operation with a key 401, 403 and 503; path parameters 404; parameters or a body 422;
    a body 413; every change, and analyses that need data, 409; analyses 400; an If-Match header 428."""
    statuses = {int(code) for code in operation.get("responses", {}) if code.isdigit() and int(code) >= 400}
    parameters = operation.get("parameters", [])
    if operation.get("security"):
        statuses |= {401, 403, 503}
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    if parameters or "requestBody" in operation:
        statuses.add(422)
    if "requestBody" in operation:
        statuses.add(413)
    if method != "get" or "/analytics/" in path:
        statuses.add(409)
    if "/analytics/" in path:
        statuses.add(400)
    if any(p.get("in") == "header" and p.get("name", "").lower() == "if-match" for p in parameters):
        statuses |= {409, 428}
    return sorted(statuses)


def document_problems(app: FastAPI) -> None:
    """Describe every error response an operation can give in the OpenAPI document (:func:`error_statuses`),
    each as :class:`ProblemDetails` with media type application/problem+json, as they are sent."""
    plain_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = plain_openapi()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        definitions = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(definitions.pop("$defs", {}), ProblemDetails=definitions)
        problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
        retry = {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "string"}}}
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                responses = operation.setdefault("responses", {})
                for status in error_statuses(path, method, operation):
                    description = responses.get(str(status), {}).get("description") or RESPONSE_DESCRIPTIONS[status]
                    responses[str(status)] = {"description": description, "content": problem,
                                              **({"headers": retry} if status in HEADERS else {})}
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

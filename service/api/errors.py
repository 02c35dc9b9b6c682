"""Errors of the API and the one place that maps them (and the engine's errors) to status codes."""

from __future__ import annotations

import logging

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from symbiosis.errors import InfeasibleError, InputError, Problem, SymbiosisError

log = logging.getLogger(__name__)


def not_found(what: str, key: object) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} {key!r} does not exist")


def conflict(reason: str) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, reason)


def forbidden(reason: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, reason)


def problem_detail(problem: Problem, location: str = "body") -> dict:
    """One engine validation problem in the shape of FastAPI's 422 details, plus where it was."""
    loc: list[str | int] = [location]
    if problem.row is not None and location != "body":
        loc.append(problem.row)
    if problem.column is not None:
        loc.append(problem.column)
    return {
        "type": "value_error",
        "loc": loc,
        "msg": problem.reason,
        "table": problem.table,
        "row": problem.row,
        "column": problem.column,
    }


class ProblemsError(Exception):
    """Engine validation problems found in a request (422), with where they were found."""

    def __init__(self, problems: list[Problem], location: str = "body"):
        self.problems = problems
        self.location = location
        super().__init__("; ".join(str(p) for p in problems))


def install_error_handlers(app: FastAPI) -> None:
    """Map engine and database errors to status codes in one place."""

    @app.exception_handler(ProblemsError)
    async def _problems(_request: Request, exc: ProblemsError) -> JSONResponse:
        return JSONResponse(
            {"detail": [problem_detail(p, exc.location) for p in exc.problems]},
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )

    @app.exception_handler(InputError)
    async def _input(_request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse(
            {"detail": [problem_detail(p) for p in exc.problems]},
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )

    @app.exception_handler(InfeasibleError)
    async def _infeasible(_request: Request, exc: InfeasibleError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_409_CONFLICT)

    @app.exception_handler(SymbiosisError)
    async def _symbiosis(_request: Request, exc: SymbiosisError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_400_BAD_REQUEST)

    @app.exception_handler(StaleDataError)
    async def _stale(_request: Request, _exc: StaleDataError) -> JSONResponse:
        return JSONResponse(
            {"detail": "the record was changed by someone else at the same time; read it again and retry"},
            status_code=status.HTTP_409_CONFLICT,
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, exc: IntegrityError) -> JSONResponse:
        log.info("integrity error: %s", exc.orig)
        return JSONResponse(
            {"detail": "the change conflicts with existing data (a duplicate id or a missing reference)"},
            status_code=status.HTTP_409_CONFLICT,
        )

    @app.exception_handler(OperationalError)
    async def _busy(_request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc.orig)
        return JSONResponse(
            jsonable_encoder({"detail": "the database is busy or unavailable; retry shortly"}),
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "1"},
        )

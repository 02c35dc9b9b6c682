"""The exception tree: every error the engine, the analytics and the service raise on purpose."""

from __future__ import annotations

from dataclasses import dataclass


class SymbiosisError(Exception):
    """Base class of every error the engine raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where (table, row, column) and why.

    ``row`` is the row number a person sees in the spreadsheet or CSV file (the header is row 1),
    or ``None`` when the problem concerns a whole table or column.
    """

    table: str
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.table
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        return f"{where}: {self.reason}"


class InputError(SymbiosisError):
    """The input has problems; ``problems`` lists every one of them.

    ``location`` says where the input came from when it was not a file (``"body"`` or ``"query"`` of
    an HTTP request); the HTTP layer names it in each error.
    """

    def __init__(self, problems: list[Problem], location: str | None = None):
        self.problems = list(problems)
        self.location = location
        lines = "\n".join(f"  - {p}" for p in self.problems[:50])
        more = len(self.problems) - 50
        if more > 0:
            lines += f"\n  ... and {more} more"
        super().__init__(f"{len(self.problems)} problem(s) in the input:\n{lines}")


class DataError(SymbiosisError):
    """A data file shipped in ``datasets/`` is missing or inconsistent."""


class InfeasibleError(SymbiosisError):
    """The requested model has no solution (for example conflicting locks)."""


class SolverError(SymbiosisError):
    """The chosen engine cannot represent or solve this model (e.g. min-cost flow with mixed yields)."""


class AnalyticsError(SymbiosisError):
    """An analysis cannot be made as asked (unknown company, material without supply, ...)."""


class NotFoundError(SymbiosisError):
    """A record that a request names does not exist."""

    def __init__(self, what: str, key: object):
        self.what = what
        self.key = key
        super().__init__(f"{what} {key!r} does not exist")


class ConflictError(SymbiosisError):
    """The request conflicts with the current state (a stale version, a duplicate, a finished round)."""


class PermissionDeniedError(SymbiosisError):
    """The caller may not do this with this record."""


class KeyRequestError(SymbiosisError):
    """An API key cannot be created as asked."""


class CancelledError(SymbiosisError):
    """Work was cancelled while it ran (a matching round)."""

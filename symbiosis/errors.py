"""The exception tree: one base error, then input, data and infeasibility errors."""

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
    """The input tables have problems; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems[:50])
        more = len(self.problems) - 50
        if more > 0:
            lines += f"\n  ... and {more} more"
        super().__init__(f"{len(self.problems)} problem(s) in the input:\n{lines}")


class DataError(SymbiosisError):
    """A data file shipped in ``datasets/`` is missing or inconsistent."""


class InfeasibleError(SymbiosisError):
    """The requested model has no solution (for example conflicting locks)."""

"""Terminal output shared by the command-line modules."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from symbiosis.errors import InputError

err = Console(stderr=True)


def print_input_problems(exc: InputError) -> None:
    """Print every input problem as one table (file or sheet, row, column, problem)."""
    table = Table(title=f"{len(exc.problems)} problem(s) in the input; nothing was written", title_justify="left")
    for column in ("file / sheet", "row", "column", "problem"):
        table.add_column(column, overflow="fold")
    for p in exc.problems:
        table.add_row(p.table, "" if p.row is None else str(p.row), p.column or "", p.reason)
    err.print(table)

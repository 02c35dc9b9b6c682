"""The one console helper of the command line: consoles, progress bars, input problems, exit codes.

Exit codes of every ``symbiosis`` command:

====  ==========================================================================
0     done
1     the engine could not solve (infeasible locks, solver error, analysis not possible)
2     usage error: unknown, missing or contradictory options or arguments (click's own code)
3     bad input data: every problem is listed and nothing is written
====  ==========================================================================

Only typer, click and rich are imported here, so ``symbiosis --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from rich.table import Table

    from symbiosis.errors import InputError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INPUT = 3

#: The exit codes as shown in ``symbiosis --help``.
EXIT_CODES_HELP = (
    "Exit codes: 0 done; 1 the engine could not solve (infeasible locks, solver error); "
    "2 usage error; 3 bad input data (every problem listed, nothing written)."
)

out = Console(width=None if Console().is_terminal else 160)
err = Console(stderr=True)


def fmt(value: float | None) -> str:
    """A figure for the terminal: one decimal from 10 up, three significant digits below, ``unknown`` if unknown."""
    if value is None or value != value:
        return "unknown"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.3g}"


def table(title: str, columns: dict[str, str], caption: str | None = None) -> Table:
    """A left-titled table whose ``columns`` map a header to its justification (``left``/``right``)."""
    from rich.table import Table
    from rich.text import Text

    class PlainTable(Table):
        """A table whose text cells are shown as they are: ids, file names and reasons may hold
        square brackets, which rich would otherwise read as markup (and fail on, or drop)."""

        def add_row(self, *cells, **kwargs) -> None:
            super().add_row(*(Text(c) if isinstance(c, str) else c for c in cells), **kwargs)

    shown = PlainTable(title=Text(title), title_justify="left", caption=None if caption is None else Text(caption))
    for header, justify in columns.items():
        shown.add_column(Text(header), justify=justify, overflow="fold")
    return shown


@contextmanager
def progress() -> Iterator[Callable[[str, int, int], None]]:
    """Progress bars on stderr (only on a terminal); yields the ``progress(stage, done, total)`` callback."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bars = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=True, disable=not err.is_terminal)
    tasks: dict[str, int] = {}

    def stage(name: str, done: int, total: int) -> None:
        if name not in tasks:
            tasks[name] = bars.add_task(name, total=total)
        bars.update(tasks[name], completed=done, total=total)

    with bars:
        yield stage


def print_input_problems(exc: InputError) -> None:
    """Print every input problem as one table (file or sheet, row, column, problem)."""
    shown = table(f"{len(exc.problems)} problem(s) in the input; nothing was written",
                  {"file / sheet": "left", "row": "left", "column": "left", "problem": "left"})
    for p in exc.problems:
        shown.add_row(p.table, "" if p.row is None else str(p.row), p.column or "", p.reason)
    err.print(shown)


def usage_error(message: str) -> NoReturn:
    """Stop with a usage error (exit code 2), the code click gives its own checks of options."""
    err.print(f"[bold red]error:[/] {escape(str(message))}")
    raise typer.Exit(code=EXIT_USAGE)


def fail(exc: Exception) -> NoReturn:
    """Print an engine error and exit: bad input data with 3, anything else the engine refused with 1."""
    from symbiosis.errors import InputError

    if isinstance(exc, InputError):
        print_input_problems(exc)
        raise typer.Exit(code=EXIT_INPUT) from None
    err.print(f"[bold red]error:[/] {escape(str(exc))}")
    raise typer.Exit(code=EXIT_FAILED) from None


@contextmanager
def write_errors() -> Iterator[None]:
    """Exit with 1 and the system's message when writing inside the block fails in a way the checks
    before the work cannot foresee (a full disk)."""
    try:
        yield
    except OSError as exc:
        fail(exc)


@contextmanager
def engine_errors() -> Iterator[None]:
    """Turn the engine's errors raised inside the block into a printed message and the documented exit code."""
    from symbiosis.errors import SymbiosisError

    try:
        yield
    except SymbiosisError as exc:
        fail(exc)

"""Spreadsheets written for people and read from them: formula neutralising and workbook size checks.

Every CSV or workbook the project writes for people passes :func:`neutralise_formulas`, so a text cell
that a spreadsheet program would take as a formula (a company can choose its own name, e.g.
``=HYPERLINK(...)``) is written as text. Every uploaded workbook passes :func:`check_workbook` before
it is parsed: its declared size, its uncompressed size, and a row and time budget while it is read.
"""

from __future__ import annotations

import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from symbiosis.errors import InputError, Problem

#: First characters that make a spreadsheet program read a text cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def neutralise_text(value):
    """A text cell that starts like a formula, prefixed with a single quote; anything else unchanged
    (numbers stay numbers: a negative number is not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _neutral_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples([tuple(neutralise_text(v) for v in t) for t in index], names=index.names)
    if index.dtype == object or pd.api.types.is_string_dtype(index.dtype):
        return pd.Index([neutralise_text(v) for v in index], name=index.name)
    return index


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` safe to open in a spreadsheet program: every text cell, index label and
    column label starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    single quote (the OWASP rule against CSV injection). Numeric columns are left as they are."""
    table = frame.copy()
    for position in range(table.shape[1]):
        column = table.iloc[:, position]
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            cells = [neutralise_text(v) for v in column.tolist()]
            table.isetitem(position, pd.Series(cells, index=table.index, dtype=column.dtype))
    table.columns = _neutral_index(table.columns)
    table.index = _neutral_index(table.index)
    return table


@dataclass(frozen=True)
class WorkbookLimits:
    """How large an uploaded workbook may be.

    Attributes
    ----------
    max_rows
        Rows of a sheet (header included).
    max_cells
        Declared rows times declared columns of a sheet.
    max_unzipped_bytes
        The workbook's files uncompressed, together.
    time_budget_s
        Seconds the rows may take to read.
    names
        What a limit is called where it is set (e.g. an environment variable), for the error.
    """

    max_rows: int
    max_cells: int
    max_unzipped_bytes: int
    time_budget_s: float
    names: dict[str, str] | None = None

    def _named(self, key: str) -> str:
        name = (self.names or {}).get(key)
        return f" ({name})" if name else ""


def check_workbook(path: str | Path, limits: WorkbookLimits, sheets: tuple[str, ...], label: str | None = None) -> None:
    """Refuse a workbook that is too large before it is parsed, and stop reading it at a budget.

    Checks, in order: the uncompressed size of the zip's members; each of ``sheets``' declared
    dimension (rows and rows x columns, from the sheet's dimension record, without reading its
    cells), which bounds what openpyxl's read-only mode reads of it; then reads each sheet without a
    dimension record once (values only) counting rows and time, and stops at ``max_rows`` or
    ``time_budget_s``.

    Raises
    ------
    InputError
        Naming the workbook, the sheet, which limit is exceeded and its value.
    """
    import openpyxl

    path = Path(path)
    label = label or path.name

    def refuse(sheet: str | None, reason: str) -> InputError:
        return InputError([Problem(label if sheet is None else f"{label} [{sheet}]", None, None, reason)])

    try:
        with zipfile.ZipFile(path) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise refuse(None, f"cannot be read as an .xlsx workbook: {exc}") from None
    if unzipped > limits.max_unzipped_bytes:
        raise refuse(None, f"unpacks to {unzipped:,} bytes, more than the limit of {limits.max_unzipped_bytes:,} "
                           f"bytes{limits._named('max_unzipped_bytes')}")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise refuse(None, f"cannot be read as an .xlsx workbook: {exc}") from None
    try:
        started = time.monotonic()
        present = [name for name in sheets if name in book.sheetnames]
        for name in present:
            sheet = book[name]
            rows, columns = sheet.max_row or 0, sheet.max_column or 0
            if rows > limits.max_rows:
                raise refuse(name, f"declares {rows:,} rows, more than the limit of {limits.max_rows:,} rows"
                                   f"{limits._named('max_rows')}")
            if rows * columns > limits.max_cells:
                raise refuse(name, f"declares {rows:,} rows x {columns:,} columns = {rows * columns:,} cells, more "
                                   f"than the limit of {limits.max_cells:,} cells{limits._named('max_cells')}")
        # A sheet read in read-only mode stops at its declared dimension, checked above; only a sheet
        # without one is read through once here, against the row and time budget.
        for name in [name for name in present if not (book[name].max_row and book[name].max_column)]:
            sheet = book[name]
            for count, _ in enumerate(sheet.iter_rows(values_only=True), start=1):
                if count > limits.max_rows:
                    raise refuse(name, f"has more than the limit of {limits.max_rows:,} rows"
                                       f"{limits._named('max_rows')}")
                if count % 256 == 0 and time.monotonic() - started > limits.time_budget_s:
                    raise refuse(name, f"took longer than the limit of {limits.time_budget_s:g} s to read "
                                       f"(stopped at row {count:,}){limits._named('time_budget_s')}")
    finally:
        book.close()

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

import numpy as np
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


def _neutral_values(values: np.ndarray) -> np.ndarray | None:
    """``values`` (an object array) with every formula-like text quoted, or None when none is.

    Each distinct value is looked at once (a region's names, codes and units repeat), so a column
    of a hundred thousand cells costs a hash per cell and a prefix test per distinct text."""
    try:
        codes, uniques = pd.factorize(values)
    except TypeError:  # an unhashable cell: look at each one
        cells = np.empty(len(values), dtype=object)
        cells[:] = [neutralise_text(v) for v in values]
        return None if all(a is b for a, b in zip(cells, values)) else cells
    quoted = np.fromiter((isinstance(u, str) and u.startswith(FORMULA_PREFIXES) for u in uniques), bool, len(uniques))
    if not quoted.any():
        return None
    rows = np.flatnonzero(quoted[codes] & (codes >= 0))
    cells = values.copy()
    cells[rows] = "'" + uniques[codes[rows]]
    return cells


def _neutral_column(column: pd.Series) -> pd.Series | None:
    """The column with formula-like text quoted, or None when nothing in it needs that (numbers,
    and text columns without such a cell). Categorical text is neutralised in its categories."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = column.cat.categories
        cells = _neutral_values(categories.to_numpy(dtype=object))
        if cells is None:
            return None
        if pd.Index(cells).is_unique:
            return column.cat.rename_categories(cells)
        column = column.astype(object)  # a quoted category would equal another: plain text instead
    elif not (column.dtype == object or pd.api.types.is_string_dtype(column.dtype)):
        return None
    cells = _neutral_values(column.to_numpy(dtype=object))
    return None if cells is None else pd.Series(cells, index=column.index, name=column.name, dtype=column.dtype)


def _neutral_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples([tuple(neutralise_text(v) for v in t) for t in index], names=index.names)
    column = _neutral_column(index.to_series(index=pd.RangeIndex(len(index))))
    return index if column is None else pd.Index(column, name=index.name)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` safe to open in a spreadsheet program: every text cell, index label and column
    label starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading single
    quote (the OWASP rule against CSV injection). Numeric columns are left as they are.

    A new frame; ``frame`` is not changed. Columns that need no quote are shared with ``frame``
    rather than copied, so a large table is not duplicated to be written."""
    table = frame.copy(deep=False)
    for position in range(table.shape[1]):
        column = _neutral_column(table.iloc[:, position])
        if column is not None:
            table.isetitem(position, column)
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

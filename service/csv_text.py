"""The text pandas' ``DataFrame.to_csv`` writes, worked out a column at a time.

pandas formats a table's cells column by column but then hands every cell to the standard
library's CSV writer one field at a time, which at a million exchanges (twenty-five million cells)
is most of the time spent writing the results. :func:`csv_text` gives the same characters: each
column's cells are formatted as pandas formats them (numbers as their shortest ``repr``, with
the decimal mark replaced; missing cells empty; booleans ``True``/``False``), the cells that need
it are quoted as the standard writer quotes (``csv.QUOTE_MINIMAL``: a cell holding the separator,
a double quote or a character of the line terminator, its double quotes doubled), and rows are
joined in C.

Tables with a column of a kind it does not format (dates, periods, intervals, complex numbers,
extension types other than text and categories, float types narrower than 64 bits), labels
other than text, a column index of several levels, or a single column (the standard writer
quotes an empty lone field) get None, and are left to pandas.

>>> csv_text(pd.DataFrame({"a": [1.5, None], "b": ["x,y", "z"]}), sep=",", decimal=".")
'a,b\\n1.5,"x,y"\\n,z\\n'
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re

import numpy as np
import pandas as pd


def csv_text(frame: pd.DataFrame, *, sep: str = ",", decimal: str = ".", index: bool = False,
             header: bool = True, lineterminator: str = os.linesep) -> str | None:
    """What ``frame.to_csv(sep=sep, decimal=decimal, index=index, header=header)`` writes (with
    its defaults otherwise: ``na_rep=""``, minimal quoting with ``"``), or None when the table has a
    column this function leaves to pandas (see the module's notes)."""
    if isinstance(frame.columns, pd.MultiIndex) or isinstance(frame.index, pd.MultiIndex):
        return None
    if frame.shape[1] + int(index) < 2:
        return None
    labels = ([frame.index.name] if index else []) + list(frame.columns)
    if not all(isinstance(label, str) for label in frame.columns) or (index and frame.index.name is not None
                                                                      and not isinstance(frame.index.name, str)):
        return None  # labels other than text are formatted as pandas formats cells: left to it
    needs_quote = _needs_quote(sep, lineterminator)
    columns: list[np.ndarray] = []
    sources = ([frame.index.array] if index else []) + [frame.iloc[:, i].array for i in range(frame.shape[1])]
    for values in sources:
        cells = _cells(values, decimal, needs_quote)
        if cells is None:
            return None
        columns.append(cells)
    lines: list[str] = []
    if header:
        lines.append(sep.join(_quote_text(np.array(["" if label is None else label for label in labels], dtype=object),
                                          needs_quote)))
    if len(frame):
        rows = np.empty((len(frame), len(columns)), dtype=object)
        for position, cells in enumerate(columns):
            rows[:, position] = cells
        lines.extend(map(sep.join, rows.tolist()))
    return lineterminator.join(lines) + lineterminator if lines else ""


@functools.lru_cache(maxsize=16)
def _needs_quote(sep: str, lineterminator: str) -> re.Pattern:
    """A pattern of the characters for which the standard CSV writer of this Python quotes a field
    (the separator, the double quote and those of the line terminator; asked, not assumed, since
    its rule for a lone carriage return has changed between versions)."""
    quoting = []
    for character in dict.fromkeys(sep + '"\r\n' + lineterminator):
        out = io.StringIO()
        csv.writer(out, delimiter=sep, lineterminator=lineterminator).writerow(["a" + character, "b"])
        if out.getvalue().startswith('"'):
            quoting.append(character)
    return re.compile("[" + re.escape("".join(quoting)) + "]")


@functools.cache
def _float_text():
    """How the standard CSV writer of this Python writes a float object: ``str`` or ``repr`` (which
    differ for a numpy float, ``0.5`` against ``np.float64(0.5)``), asked, not assumed."""
    out = io.StringIO()
    csv.writer(out).writerow([np.float64(0.5), "x"])
    return str if out.getvalue().startswith("0.5,") else repr


#: The characters a number formatted by numpy or str() may hold, besides the decimal mark.
_NUMBER_CHARACTERS = frozenset("0123456789.+-einfaTrueFls")


def _cells(values, decimal: str, needs_quote: re.Pattern) -> np.ndarray | None:
    """One column's cells as the text pandas writes for them (quoted where needed), as an object
    array; None for a kind of column left to pandas."""
    if isinstance(values, pd.Categorical):
        # pandas writes a categorical's cells as objects, which get no decimal comma
        categories = _cells(values.categories.array, ".", needs_quote)
        if categories is None:
            return None
        codes = values.codes
        cells = np.empty(len(codes), dtype=object)
        cells[:] = ""
        present = codes >= 0
        cells[present] = categories[codes[present]]
        return cells
    dtype = values.dtype
    if isinstance(values, pd.arrays.NumpyExtensionArray):
        values = values.to_numpy()
        dtype = values.dtype
    elif isinstance(dtype, pd.StringDtype):
        values = values.to_numpy(dtype=object, na_value=None)
        dtype = values.dtype
    elif isinstance(values, pd.api.extensions.ExtensionArray):
        return None
    if dtype.kind == "f":
        if dtype.itemsize != 8:
            return None
        # Python's repr of a float is numpy's str of it (the shortest text that reads back as the
        # same number, in the same notation), made in half the time.
        text = map(repr, values.tolist())
        if decimal != ".":
            text = (cell.replace(".", decimal, 1) for cell in text)
        cells = np.empty(len(values), dtype=object)
        cells[:] = list(text)
        cells[np.isnan(values)] = ""
        return _quote_numbers(cells, decimal, needs_quote)
    if dtype.kind in "iub":
        return _quote_numbers(values.astype(str).astype(object), decimal, needs_quote)
    if dtype.kind != "O":
        return None
    cells = np.array(values, dtype=object, copy=True)
    cells[pd.isna(cells)] = ""
    for position in np.flatnonzero([type(cell) is not str for cell in cells]):
        cell = cells[position]
        if isinstance(cell, float):  # a Python or numpy float, as the standard writer writes it
            cells[position] = _float_text()(cell)
        elif isinstance(cell, (str, int, np.integer, np.bool_)):
            cells[position] = str(cell)
        else:
            return None  # what the standard writer makes of other objects is left to it
    return _quote_text(cells, needs_quote)


def _quote_numbers(cells: np.ndarray, decimal: str, needs_quote: re.Pattern) -> np.ndarray:
    """Formatted numbers need a quote only if the separator or a quote can be among their characters."""
    if any(needs_quote.search(c) for c in _NUMBER_CHARACTERS | {decimal}):
        return _quote_text(cells, needs_quote)
    return cells


def _quote_text(cells: np.ndarray, needs_quote: re.Pattern) -> np.ndarray:
    """Quote the cells that hold a character the writer quotes for (each distinct text
    looked at once)."""
    codes, uniques = pd.factorize(cells)
    search = needs_quote.search
    quote = np.fromiter((search(text) is not None for text in uniques), dtype=bool, count=len(uniques))
    if not quote.any():
        return cells
    quoted = uniques.astype(object)
    quoted[quote] = ['"' + text.replace('"', '""') + '"' for text in quoted[quote]]
    return quoted[codes]

"""Read the input tables from CSV files and workbooks as spreadsheets really write them.

CSV: the encoding is UTF-8 (with or without the byte-order mark Excel writes) or, failing that,
Windows-1252 (Excel's "CSV" on a Danish Windows); the separator is whichever of ``;`` (Danish
Excel's "CSV (semikolonsepareret)"), tab or ``,`` the header row uses most. Workbook: cells are
read with their types, so a numeric cell is a number (never a text a locale must interpret), a date
cell a date; a ``settings`` sheet may declare the file's ``locale``. Blank rows are kept here, so
a frame's position + 2 is still the spreadsheet's row number; validation skips them.
"""

from __future__ import annotations

import csv
import io
import warnings
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from symbiosis.errors import InputError, Problem
from symbiosis.numbers import check_locale
from symbiosis.schema import TABLES

#: Separators a CSV file may use, in the order ties are broken.
SEPARATORS: tuple[str, ...] = (";", "\t", ",")
SEPARATOR_NAMES = {";": "semicolon", "\t": "tab", ",": "comma"}
#: The sheet of a workbook that holds settings (``setting`` | ``value`` rows).
SETTINGS_SHEET = "settings"
#: Settings a workbook may declare.
SETTINGS: dict[str, str] = {
    "locale": "Number notation of the workbook's text cells: da (1.234,5) or en (1,234.5); blank: detect "
              "it, and refuse any number that reads differently in the two.",
}
#: Column types whose cells keep their number type when read from a workbook.
_NUMERIC_TYPES = ("float", "integer")
#: Text columns whose number cells are kept as numbers, so validation can tell a code the
#: spreadsheet turned into a number (a NACE code ``23.20`` stored as 23.2).
_KEEP_NUMBERS = ("nace",)


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Decode a CSV file's bytes: UTF-8 (BOM or not), else Windows-1252. Returns (text, encoding)."""
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ("utf-8-sig",)
    else:
        encodings = ("utf-8", "cp1252")
    for encoding in encodings:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InputError([Problem(name, None, None, "is neither UTF-8 nor Windows-1252 (cp1252) text: save it as CSV UTF-8")])


def detect_separator(text: str) -> str:
    """The separator the header row uses most (``;``, tab or ``,``); ``,`` for a one-column header."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {}
    for sep in SEPARATORS:
        try:
            counts[sep] = len(next(csv.reader([header], delimiter=sep))) - 1
        except (csv.Error, StopIteration):
            counts[sep] = 0
    best = max(SEPARATORS, key=lambda s: counts[s])
    return best if counts[best] > 0 else ","


def read_csv_text(path: str | Path) -> pd.DataFrame:
    """Read one CSV file as text cells; ``attrs`` record the encoding and separator found."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError([Problem(str(path), None, None, "file not found")]) from None
    except OSError as exc:
        raise InputError([Problem(path.name, None, None, f"cannot be read: {exc.strerror or exc}")]) from None
    text, encoding = decode_text(data, path.name)
    separator = detect_separator(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=separator, dtype=str, keep_default_na=False, skip_blank_lines=False,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise InputError([Problem(
            path.name, None, None, f"cannot be read as CSV ({SEPARATOR_NAMES[separator]}-separated, {encoding}): {exc}"
        )]) from None
    frame = frame.fillna("")
    frame.attrs.update({"encoding": encoding, "separator": separator, "origin": "file"})
    return frame


def _cell_as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _sheet_frame(rows: list[tuple], table: str) -> pd.DataFrame:
    """A sheet's rows as a frame: numeric and date cells keep their type in numeric and date columns."""
    if not rows:
        return pd.DataFrame()
    header: list[str] = []
    for i, h in enumerate(rows[0]):
        name = str(h).strip() if h is not None and str(h).strip() else f"Unnamed: {i}"
        base, n = name, 0
        while name in header:  # a repeated header is renamed as pandas does for CSV ("name.1")
            n += 1
            name = f"{base}.{n}"
        header.append(name)
    body = list(rows[1:])
    while body and all(v is None or (isinstance(v, str) and not v.strip()) for v in body[-1]):
        body.pop()
    types = {c.name: c.type for c in TABLES.get(table, ())}
    columns = {}
    for i, name in enumerate(header):
        kind = types.get(name)
        cells = [row[i] if i < len(row) else None for row in body]
        if kind in _NUMERIC_TYPES or name in _KEEP_NUMBERS:
            columns[name] = [v if isinstance(v, (int, float)) and not isinstance(v, bool) else _cell_as_text(v) for v in cells]
        elif kind == "date":
            columns[name] = [v if isinstance(v, (datetime, date)) else _cell_as_text(v) for v in cells]
        else:
            columns[name] = [_cell_as_text(v) for v in cells]
    return pd.DataFrame({name: pd.Series(columns[name], dtype=object) for name in header}, columns=header)


def read_settings(rows: list[tuple], label: str) -> dict[str, str]:
    """The ``settings`` sheet as a dict: one setting per row, name in the first column, value in the second."""
    settings: dict[str, str] = {}
    problems = []
    for number, row in enumerate(rows, start=1):
        name = _cell_as_text(row[0] if row else None).strip().lower()
        value = _cell_as_text(row[1] if len(row) > 1 else None).strip()
        if not name or name in ("setting", "name") or name.startswith("#"):
            continue
        if name not in SETTINGS:
            problems.append(Problem(label, number, "setting", f"{name!r} is not a setting (known: {', '.join(SETTINGS)})"))
            continue
        if name == "locale":
            try:
                check_locale(value)
            except ValueError as exc:
                problems.append(Problem(label, number, "value", str(exc)))
        settings[name] = value
    if problems:
        raise InputError(problems)
    return settings


def read_workbook(path: str | Path) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Read the ``companies`` and ``listings`` sheets (typed cells) and the ``settings`` sheet.

    The tables carry ``attrs['locale']`` from the settings, so validation finds it.

    Raises
    ------
    InputError
        When the file is missing, no workbook, lacks a sheet, or has a bad setting.
    """
    path = Path(path)
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about data validation extensions
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise InputError([Problem(str(path), None, None, "file not found")]) from None
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise InputError([Problem(path.name, None, None, f"cannot be read as an .xlsx workbook: {exc}")]) from None
    try:
        names = book.sheetnames
        missing = [
            Problem(path.name, None, None, f"has no sheet named {name!r} (sheets: {', '.join(names)})")
            for name in TABLES if name not in names
        ]
        if missing:
            raise InputError(missing)
        tables = {name: _sheet_frame(list(book[name].iter_rows(values_only=True)), name) for name in TABLES}
        settings = {}
        if SETTINGS_SHEET in names:
            settings = read_settings(list(book[SETTINGS_SHEET].iter_rows(values_only=True)), f"{path.name} [{SETTINGS_SHEET}]")
    finally:
        book.close()
    for frame in tables.values():
        frame.attrs["locale"] = check_locale(settings.get("locale"))
        frame.attrs["source"] = "xlsx"
        frame.attrs["origin"] = "file"
    return tables, settings

"""Read companies and listings from CSV files or a workbook, validate them once, and hold them.

Validation collects every problem (table, row, column, reason) before raising, so a facilitator
can fix a spreadsheet in one pass. After validation the rest of the engine trusts the tables.

Numbers are read in the file's locale (:mod:`symbiosis.numbers`), units by the curated unit reader
(:mod:`symbiosis.units`), dates and NACE codes in the forms people write them
(:mod:`symbiosis.dates`, :mod:`symbiosis.nace`); fully blank rows are skipped (row numbers stay the
spreadsheet's); with a :class:`~symbiosis.geocode.Geocoder`, companies without coordinates are
placed by their address and marked ``geocoded``.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from symbiosis.dates import parse_date
from symbiosis.errors import InputError, Problem
from symbiosis.geocode import Geocoder, GeocodingError, misplaced_sites
from symbiosis.input_files import ENCODING_NAMES, SEPARATOR_NAMES, read_csv_text, read_workbook
from symbiosis.material_search import suggest
from symbiosis.materials import MaterialCatalog, default_catalog, quantity_limits, unit_factor
from symbiosis.nace import normalise_nace, trailing_zero_hint
from symbiosis.numbers import LOCALE_NAMES, check_locale, detect_locale, parse_number, readings
from symbiosis.schema import CHOICE_WORDS, FALSE_WORDS, TABLES, TRUE_WORDS, Column
from symbiosis.units import CANONICAL_UNITS, periods_per_year

#: Row number a person sees for the first data row (the header is row 1).
FIRST_DATA_ROW = 2


@dataclass(frozen=True)
class Registry:
    """Validated companies and listings.

    Attributes
    ----------
    companies
        Indexed by ``company_id``: ``name``, ``nace`` (dotted), ``lat``, ``lon``, ``municipality``, ...,
        and ``geocoded`` (True where the coordinates were looked up from the address).
    listings
        Indexed by ``listing_id``: the input columns (``material`` normalised to its catalog key)
        plus ``quantity_canonical`` (per year, in ``canonical_unit``), ``unit_factor`` (canonical
        per given unit), ``dimension``, ``is_ewc``, and the company's ``lat`` and ``lon``.
    notices
        Things worth telling the user that are not errors (e.g. ignored columns).
    locale
        The notation numbers written as text were read in (``'da'`` or ``'en'``: declared, the
        workbook's setting, or detected), for the other files of the same run; None when none was
        known (then no cell was ambiguous).
    """

    companies: pd.DataFrame
    listings: pd.DataFrame
    notices: list[str] = field(default_factory=list)
    locale: str | None = None

    @property
    def offers(self) -> pd.DataFrame:
        return self.listings[self.listings["kind"] == "offer"]

    @property
    def needs(self) -> pd.DataFrame:
        return self.listings[self.listings["kind"] == "need"]


def read_csv_table(path: str | Path) -> pd.DataFrame:
    """Read one CSV file as text cells (nothing is interpreted yet).

    The encoding (UTF-16 or UTF-32 with their BOM, UTF-8 with or without BOM, else Windows-1252)
    and the separator (``;``, tab or ``,``) are detected; see :mod:`symbiosis.input_files`.
    """
    return read_csv_text(path)


def read_workbook_tables(path: str | Path) -> dict[str, pd.DataFrame]:
    """Read the ``companies`` and ``listings`` sheets of an .xlsx workbook.

    Numeric and date cells keep their type; each table's ``attrs['locale']`` holds the locale of
    the workbook's ``settings`` sheet (None when not declared).
    """
    tables, _ = read_workbook(path)
    return tables


def read_registry(
    *, companies: str | Path | None = None, listings: str | Path | None = None, workbook: str | Path | None = None,
    catalog: MaterialCatalog | None = None, locale: str | None = None, geocoder: Geocoder | None = None,
) -> Registry:
    """Read and validate the input, from two CSV files or one workbook.

    Parameters
    ----------
    companies, listings
        The two CSV files.
    workbook
        Or one .xlsx workbook with sheets ``companies`` and ``listings`` (and optionally ``settings``).
    catalog
        Materials (default: the shipped catalog).
    locale
        ``'da'`` or ``'en'``: the notation of numbers written as text; overrides the workbook's
        ``settings``; None detects it and refuses numbers that read differently in the two.
    geocoder
        Looks up companies without coordinates by their address; None: they are errors.

    Raises
    ------
    InputError
        Listing every problem found, with table, row and column.
    """
    if workbook is not None:
        if companies is not None or listings is not None:
            raise ValueError("give either a workbook or the two CSV files, not both")
        tables = read_workbook_tables(workbook)
        labels = {name: f"{Path(workbook).name} [{name}]" for name in TABLES}
    else:
        if companies is None or listings is None:
            raise ValueError("give both the companies and the listings CSV files (or a workbook)")
        tables = {"companies": read_csv_table(companies), "listings": read_csv_table(listings)}
        labels = {"companies": Path(companies).name, "listings": Path(listings).name}
    return validate_tables(
        tables["companies"], tables["listings"], labels=labels, catalog=catalog, locale=locale, geocoder=geocoder
    )


class _Checker:
    """Collects problems for one table; rows are given as positional masks or index arrays.

    ``rows`` maps a position in the cleaned table (blank rows dropped) to the spreadsheet's row.
    """

    def __init__(self, label: str, rows: np.ndarray):
        self.label = label
        self.rows = rows
        self.problems: list[Problem] = []

    def add(self, mask: np.ndarray | pd.Series, column: str | None, reason) -> None:
        """Report every row where ``mask`` is true; ``reason`` is a text or a function of the row position."""
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        for pos in positions:
            text = reason(pos) if callable(reason) else reason
            self.problems.append(Problem(self.label, int(self.rows[pos]), column, text))

    def table(self, reason: str, column: str | None = None) -> None:
        self.problems.append(Problem(self.label, None, column, reason))


def _is_blank(value) -> bool:
    """An empty cell: None, NaN, NA, NaT or text of only spaces."""
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array in a cell is not blank
        return False


#: Joins a column's cells into one text, read as an array of code points, so that array operations
#: answer for all cells at once; a cell holding it is rare and sends the column to the cell-by-cell path.
_JOIN = "\x00"
#: A number that reads the same in every locale and as Python's ``float`` reads it: digits with at
#: most one decimal point and an exponent; ``_AMBIGUOUS`` (a Danish thousands group) excepted.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_AMBIGUOUS = re.compile(r"[+-]?[1-9]\d{0,2}\.\d{3}")


@cache
def _whitespace() -> np.ndarray:
    """Every code point ``str.strip`` removes."""
    return np.array([c for c in range(sys.maxunicode + 1) if chr(c).isspace()], dtype=np.uint32)


def _code_points(cells: np.ndarray) -> np.ndarray | None:
    """The text cells joined by ``_JOIN`` as code points (None when a cell is not text, holds
    ``_JOIN`` or cannot be encoded); ``np.cumsum(points == 0)`` numbers each point's cell."""
    try:
        points = np.frombuffer(_JOIN.join(cells).encode("utf-32-le"), dtype=np.uint32)
    except (TypeError, UnicodeEncodeError):
        return None
    joins = points == 0
    if int(joins.sum()) != max(len(cells) - 1, 0):
        return None
    return points


def _any_edge_space(cells: np.ndarray) -> bool:
    """Whether some cell starts or ends with whitespace (True where it cannot be told at once)."""
    points = _code_points(cells)
    if points is None:
        return True
    if not len(points):
        return False
    # A cell's first code point follows a join (or opens the text); its last precedes one.
    first = np.r_[True, points[:-1] == 0] & (points != 0)
    last = np.r_[points[1:] == 0, True] & (points != 0)
    return bool(np.isin(points[first | last], _whitespace()).any())


def drop_blank_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The frame without fully blank rows, and the spreadsheet row number of each kept row."""
    rows = np.arange(len(frame)) + FIRST_DATA_ROW
    if frame.empty or frame.shape[1] == 0:
        return frame, rows
    blank = np.ones(len(frame), dtype=bool)
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        na = column.isna().to_numpy()
        # a number or date never prints as spaces, so text of the non-empty cells decides; where no
        # cell starts with whitespace, only the empty text is blank
        present = column.to_numpy(dtype=object)[~na]
        if _any_edge_space(present):
            blank &= na | column.astype(str).str.strip().eq("").to_numpy()
        else:
            empty = np.zeros(len(frame), dtype=bool)
            empty[~na] = present == ""
            blank &= na | empty
    return frame[~blank], rows[~blank]


def cell_text(value) -> str:
    """A cell as the input contract reads it: blank as '', yes/no for a boolean, a date as ISO, a
    whole float without its '.0', other text trimmed."""
    if _is_blank(value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (datetime, date)):
        return value.isoformat()[:10]
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _clean(
    frame: pd.DataFrame, columns: tuple[Column, ...], check: _Checker, notices: list[str], *, deferred: tuple[str, ...] = ()
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Trim cells, add missing optional columns, report missing required and unknown columns.

    Returns the table as text and, per column, the cells that were typed (numbers and dates from
    a workbook) at their positions (None elsewhere). Required columns in ``deferred`` are checked
    for empty cells by the caller.
    """
    frame = frame.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    known = {c.name for c in columns}
    # A header repeated in a file or sheet reaches here renamed as pandas renames it (quantity.1).
    repeats: dict[str, int] = {}
    for c in frame.columns:
        base, dot, number = c.rpartition(".")
        if dot and number.isdigit() and base in known and base in frame.columns and c not in known:
            repeats[base] = repeats.get(base, 1) + 1
    for name, count in sorted(repeats.items()):
        check.table(f"column {name!r} appears {count} times: keep one", name)
    unknown = [c for c in frame.columns if c not in known and not c.startswith("Unnamed:")
               and c.rpartition(".")[0] not in repeats]
    if unknown:
        notices.append(f"{check.label}: ignored unknown column(s) {', '.join(map(repr, unknown))}")
    headless = [position + 1 for position, c in enumerate(frame.columns) if c.startswith("Unnamed:")
                and not frame.iloc[:, position].map(_is_blank).all()]
    if headless:
        notices.append(f"{check.label}: ignored column(s) {', '.join(map(str, headless))} (counted from 1): they hold "
                       "values but have no header")
    for col in columns:
        if col.name not in frame.columns:
            if col.required:
                check.table("required column is missing", col.name)
            frame[col.name] = ""
    for name in sorted(set(frame.columns[frame.columns.duplicated()]) & known):
        check.table(f"column {name!r} appears {int((frame.columns == name).sum())} times: keep one", name)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    frame = frame[[c.name for c in columns]].reset_index(drop=True)
    typed: dict[str, pd.Series] = {}
    for name in frame.columns:
        if pd.api.types.infer_dtype(frame[name], skipna=False) in ("string", "empty"):
            # (a column of pandas' string dtype counts as text even where it holds missing values)
            text = frame[name].fillna("")
            frame[name] = (text.str.strip() if _any_edge_space(text.to_numpy(dtype=object)) else text) if len(frame) \
                else pd.Series(dtype=str)
            continue
        values = frame[name].to_numpy(dtype=object)
        is_typed = np.fromiter((not isinstance(v, str) and not _is_blank(v) for v in values), dtype=bool, count=len(values))
        if is_typed.any():
            typed[name] = pd.Series(np.where(is_typed, values, None), dtype=object)
            frame[name] = [cell_text(v) for v in values]
        else:
            frame[name] = pd.Series(values, dtype=object).map(cell_text) if len(values) else pd.Series(dtype=str)
    frame = frame.astype(str)
    if frame.empty:
        check.table("has no data rows")
    for name in frame.columns:
        if "\x00" in "".join(frame[name].to_numpy(dtype=object)):  # rare: one look at the column first
            check.add(frame[name].str.contains("\x00", regex=False), name,
                      "holds a NUL character (byte 0), which no text may hold: save the file as text (CSV in UTF-8) "
                      "or as a workbook")
    for col in columns:
        if col.required and col.name not in deferred:
            check.add(frame[col.name] == "", col.name, "is empty but required")
    return frame, typed


def _typed_cells(typed: dict[str, pd.Series] | None, column: str, length: int) -> np.ndarray:
    """The typed cells of one column by position (None where the cell is text)."""
    cells = (typed or {}).get(column)
    return np.full(length, None, dtype=object) if cells is None else cells.to_numpy(dtype=object)


def _parse_floats(
    frame: pd.DataFrame, column: str, check: _Checker, *, locale: str | None = None,
    typed: dict[str, pd.Series] | None = None, plausible=None, assumed: bool = False,
) -> pd.Series:
    """Numbers of one column: typed cells as they are, text read in ``locale`` (see :mod:`symbiosis.numbers`).

    ``assumed``: the locale is English only because a program built the table (none was declared).
    A text cell such as ``150.000`` is then refused: English notation, as a program writes a
    float, never ends its decimals with a zero, but Danish thousands do (a Danish file read as text
    with ``pd.read_csv(dtype=str)``)."""
    text = frame[column]
    cells = _typed_cells(typed, column, len(text))
    values = np.full(len(text), np.nan)
    reasons: dict[int, str] = {}
    parsed: dict[str, float | str] = {}
    slow = _plain_numbers(text.to_numpy(dtype=object), cells, values)
    for pos, cell, raw in zip(slow, text.to_numpy()[slow], cells[slow]):
        if raw is not None and isinstance(raw, (int, float, np.number)) and not isinstance(raw, bool):
            value = float(raw)
            if math.isfinite(value):
                values[pos] = value
            else:
                reasons[pos] = f"{cell!r} is not a finite number"
            continue
        if cell == "":
            continue
        if cell not in parsed:  # each distinct text read once
            if assumed and cell.endswith("0") and _AMBIGUOUS.fullmatch(cell):
                parsed[cell] = (f"{cell!r} reads as {cell.replace('.', '')} in Danish notation and as {float(cell):g} "
                                "in English notation, in which a program would not write the trailing zero: give the "
                                "table's locale (locale='da' or 'en')")
            else:
                try:
                    parsed[cell] = parse_number(cell, locale, plausible)
                except ValueError as exc:
                    parsed[cell] = str(exc)
        result = parsed[cell]
        if isinstance(result, str):
            reasons[pos] = result
        else:
            values[pos] = result
    check.add(np.isin(np.arange(len(text)), list(reasons)), column, lambda pos: reasons[pos])
    return pd.Series(values, index=frame.index, dtype=float)


def _plain_numbers(text: np.ndarray, cells: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Read the text cells that are plain numbers (:data:`_PLAIN_NUMBER`, finite) into ``values``
    at once; return the positions left for the cell-by-cell reader (typed or other cells; a blank
    text cell is left NaN).
    Each distinct text is looked at once (a column's blanks and repeated quantities are many)."""
    codes, uniques = pd.factorize(text)
    plain_text = np.fromiter((isinstance(cell, str) and _PLAIN_NUMBER.fullmatch(cell) is not None
                              and not _AMBIGUOUS.fullmatch(cell) for cell in uniques), dtype=bool, count=len(uniques))
    read = np.full(len(uniques), np.nan)
    read[plain_text] = uniques[plain_text].astype(float)
    plain_text &= np.isfinite(read)
    untyped = np.fromiter((raw is None for raw in cells), dtype=bool, count=len(cells))
    plain = np.append(plain_text, False)[codes] & untyped  # code -1: a missing cell
    values[plain] = read[codes[plain]]
    empty = np.fromiter((isinstance(cell, str) and cell == "" for cell in uniques), dtype=bool, count=len(uniques))
    blank = np.append(empty, False)[codes] & untyped  # stays NaN
    return np.flatnonzero(~(plain | blank))


def _check_unique(frame: pd.DataFrame, column: str, check: _Checker) -> None:
    ids = frame[column]
    duplicated = ids.duplicated(keep="first") & (ids != "")
    if duplicated.any():
        first_pos = {value: pos for pos, value in reversed(list(enumerate(ids)))}
        check.add(
            duplicated, column,
            lambda pos: f"{ids.iloc[pos]!r} is used again (first at row {int(check.rows[first_pos[ids.iloc[pos]]])})",
        )


def _check_choice(frame: pd.DataFrame, col: Column, check: _Checker) -> None:
    text = frame[col.name].str.lower()
    danish = {word: value for word, value in CHOICE_WORDS.items() if value in col.choices}  # "behov" is a need
    frame[col.name] = text.map(lambda t: danish.get(t, t))
    bad = (frame[col.name] != "") & ~frame[col.name].isin(col.choices)
    check.add(bad, col.name, lambda pos: f"{frame[col.name].iloc[pos]!r} is not one of {', '.join(col.choices)}")


def _parse_dates(frame: pd.DataFrame, column: str, check: _Checker, typed: dict[str, pd.Series] | None = None) -> pd.Series:
    """Dates of one column: date cells as they are, text in ISO, DD-MM-YYYY or DD.MM.YYYY."""
    text = frame[column]
    values: list = []
    reasons: dict[int, str] = {}
    parsed: dict[str, pd.Timestamp | str] = {}  # each distinct text is read once
    for pos, (cell, raw) in enumerate(zip(text.to_numpy(), _typed_cells(typed, column, len(text)))):
        if raw is None and cell == "":
            values.append(pd.NaT)
            continue
        if isinstance(raw, (datetime, date)):
            try:
                values.append(parse_date(raw))
            except ValueError as exc:
                reasons[pos] = str(exc)
                values.append(pd.NaT)
            continue
        if cell not in parsed:
            try:
                parsed[cell] = parse_date(cell)
            except ValueError as exc:
                parsed[cell] = str(exc)
        result = parsed[cell]
        if isinstance(result, str):
            reasons[pos] = result
            values.append(pd.NaT)
        else:
            values.append(result)
    check.add(np.isin(np.arange(len(text)), list(reasons)), column, lambda pos: reasons[pos])
    return pd.to_datetime(pd.Series(values, index=frame.index, dtype=object))


#: Numeric columns whose text cells show a file's locale.
_NUMERIC_COLUMNS = {
    name: tuple(c.name for c in columns if c.type in ("float", "integer")) for name, columns in TABLES.items()
}


#: The locale of text written by programs (Python's ``str`` and ``repr`` of a float, JSON).
MACHINE_LOCALE = "en"


def _resolve_locale(companies: pd.DataFrame, listings: pd.DataFrame, locale, notices: list[str]) -> str | None:
    """The declared locale (argument, else the workbook's setting), else the one the cells prove.

    Tables that were not read from a file by :mod:`symbiosis.input_files` (built in code, from
    JSON records) hold numbers as programs write them: English notation, unless ``locale`` says
    otherwise (``'detect'`` forces detection).
    """
    from_file = "file" in (companies.attrs.get("origin"), listings.attrs.get("origin"))
    if locale is None and not from_file:
        return MACHINE_LOCALE
    declared = locale if locale is not None else (companies.attrs.get("locale") or listings.attrs.get("locale"))
    try:
        declared = check_locale(declared)
    except ValueError as exc:
        raise InputError([Problem("settings", None, "locale", str(exc))]) from None
    if declared is not None:
        return declared
    cells = []
    for name, frame in (("companies", companies), ("listings", listings)):
        for column in _NUMERIC_COLUMNS[name]:
            if column in frame.columns:
                cells.extend(_marked_cells(frame[column].to_numpy(dtype=object), 2))
    detected = detect_locale(cells)
    by_range = _locale_by_coordinates(companies)
    if detected is not None and by_range is not None and detected != by_range:
        return None  # contradicting evidence: every ambiguous cell is reported
    if detected is not None:
        notices.append(
            f"numbers read in {LOCALE_NAMES[detected]} notation ({detected}), as the cells written with "
            "thousands separators show; declare the locale to be sure"
        )
        return detected
    if by_range is not None:
        notices.append(
            f"numbers read in {LOCALE_NAMES[by_range]} notation ({by_range}): the coordinates are valid only so; "
            "declare the locale to be sure"
        )
    return by_range


def _locale_by_coordinates(companies: pd.DataFrame) -> str | None:
    """Danish, when a latitude or longitude written with a decimal comma is a valid coordinate only
    in Danish notation (``55,4`` is 55.4 in Danish, 554 in English). Coordinates with a decimal point
    prove nothing: Danish users paste them from maps as they are."""
    found = set()
    for column, limit in (("lat", 90.0), ("lon", 180.0)):
        if column not in companies.columns:
            continue
        # a cell without a comma has no Danish reading inside these limits (grouping dots make it 1,000 or more)
        for cell in _marked_cells(companies[column].to_numpy(dtype=object), 1, ","):
            read = readings(cell)
            da_ok = read.da is not None and abs(read.da) <= limit
            en_ok = read.en is not None and abs(read.en) <= limit
            if da_ok and not en_ok:
                found.add("da")
    return found.pop() if found else None


def _marked_cells(values: np.ndarray, least: int, marks: str = ".,") -> list[str]:
    """The text cells with at least ``least`` of the ``marks`` (decimal and grouping marks), found by
    one scan of the joined column where it can be joined."""
    cells = values[np.fromiter((isinstance(v, str) for v in values), dtype=bool, count=len(values))]
    points = _code_points(cells)
    if points is None:
        return [c for c in cells if sum(c.count(m) for m in marks) >= least]
    cell = np.cumsum(points == 0)
    count = np.bincount(cell[np.isin(points, [ord(m) for m in marks])], minlength=len(cells))
    return list(cells[count >= least])


def _file_notices(frame: pd.DataFrame, label: str, notices: list[str]) -> None:
    encoding, separator = frame.attrs.get("encoding"), frame.attrs.get("separator")
    if encoding not in (None, "utf-8", "utf-8-sig") or separator not in (None, ","):
        notices.append(
            f"{label}: read as {SEPARATOR_NAMES.get(separator, 'comma')}-separated text in "
            f"{ENCODING_NAMES.get(encoding, 'UTF-8')}"
        )


def _in_range(low: float, high: float):
    return lambda value: low <= value <= high


def _check_yes_no(frame: pd.DataFrame, column: str, check: _Checker) -> None:
    text = frame[column].str.lower()
    check.add(~text.isin(TRUE_WORDS + FALSE_WORDS), column, lambda p: f"{frame[column].iloc[p]!r} is not yes or no")


def _parse_prices(lst: pd.DataFrame, check: _Checker, **parse) -> tuple[pd.Series, pd.Series]:
    """A need's purchase price and an offer's disposal cost (negative: revenue), per unit of the listing."""
    price = _parse_floats(lst, "price_eur_per_unit", check, **parse)
    disposal = _parse_floats(lst, "disposal_eur_per_unit", check, **parse)
    check.add(price.notna() & (price < 0), "price_eur_per_unit", lambda p: f"{price.iloc[p]} is negative")
    check.add(price.notna() & (lst["kind"] == "offer"), "price_eur_per_unit",
              lambda p: "an offer has no purchase price: use disposal_eur_per_unit (negative for a revenue)")
    check.add(disposal.notna() & (lst["kind"] == "need"), "disposal_eur_per_unit",
              lambda p: "a need has no disposal cost: use price_eur_per_unit")
    return price, disposal


def validate_tables(
    companies: pd.DataFrame,
    listings: pd.DataFrame,
    *,
    labels: dict[str, str] | None = None,
    catalog: MaterialCatalog | None = None,
    locale: str | None = None,
    geocoder: Geocoder | None = None,
) -> Registry:
    """Validate raw tables in the input contract and return a :class:`Registry`.

    Parameters
    ----------
    companies, listings
        Tables of text cells (CSV), or of typed cells (a workbook: numbers and dates kept).
    labels
        How problems name each table (file or sheet).
    catalog
        Materials (default: the shipped catalog).
    locale
        ``'da'`` or ``'en'``: the notation of numbers written as text. None: for tables read from
        files, the workbook's setting (``attrs['locale']``) or else detected, refusing numbers that
        read differently in the two notations; for tables built in code, English (as programs
        write numbers). ``'detect'`` detects for any table.
    geocoder
        Looks up companies with blank ``lat`` and ``lon`` by their ``address``; None: they are errors.

    Raises
    ------
    InputError
        Listing every problem found in both tables.
    """
    labels = labels or {"companies": "companies", "listings": "listings"}
    catalog = catalog or default_catalog()
    notices: list[str] = []
    assumed = locale is None and "file" not in (companies.attrs.get("origin"), listings.attrs.get("origin"))
    locale = _resolve_locale(companies, listings, locale, notices)
    _file_notices(companies, labels["companies"], notices)
    _file_notices(listings, labels["listings"], notices)
    companies, company_rows = drop_blank_rows(companies)
    listings, listing_rows = drop_blank_rows(listings)
    cc = _Checker(labels["companies"], company_rows)
    lc = _Checker(labels["listings"], listing_rows)
    comp, comp_typed = _clean(companies, TABLES["companies"], cc, notices, deferred=("lat", "lon"))
    lst, lst_typed = _clean(listings, TABLES["listings"], lc, notices)

    # --- companies ---
    _check_unique(comp, "company_id", cc)
    lat = _parse_floats(comp, "lat", cc, locale=locale, typed=comp_typed, plausible=_in_range(-90, 90))
    lon = _parse_floats(comp, "lon", cc, locale=locale, typed=comp_typed, plausible=_in_range(-180, 180))
    def outside(values: pd.Series, column: str, limit: int):
        """Why a coordinate is refused: its text, how it was read (in which notation), the range."""
        def reason(p: int) -> str:
            text, value = str(comp[column].iloc[p]).strip(), float(values.iloc[p])
            if locale is not None and any(mark in text for mark in ".,") and text != repr(value):
                return (f"{text!r} reads as {value:g} in {LOCALE_NAMES[locale]} notation (the file's), outside "
                        f"-{limit}..{limit}; write a coordinate with the file's decimal mark")
            return f"{value:g} is outside -{limit}..{limit}"
        return reason

    cc.add(lat.notna() & ((lat < -90) | (lat > 90)), "lat", outside(lat, "lat", 90))
    cc.add(lon.notna() & ((lon < -180) | (lon > 180)), "lon", outside(lon, "lon", 180))
    geocoded = _geocode(comp, lat, lon, cc, geocoder, notices)
    nace_codes: dict[str, str] = {}
    nace_reasons: dict[str, str] = {}
    for text in comp["nace"].unique():
        if text == "":
            continue
        try:
            nace_codes[text] = normalise_nace(text)
        except ValueError as exc:
            nace_reasons[text] = str(exc)
    nace = comp["nace"].map(lambda text: nace_codes.get(text, text))
    cc.add(comp["nace"].isin(list(nace_reasons)), "nace", lambda p: nace_reasons[comp["nace"].iloc[p]])
    if "nace" in comp_typed:
        for pos in np.flatnonzero(comp_typed["nace"].notna().to_numpy()):
            hint = trailing_zero_hint(nace.iloc[pos])
            if hint:
                notices.append(f"{cc.label}, row {int(company_rows[pos])}, column 'nace': {hint}")
    comp["nace"] = nace
    comp["lat"], comp["lon"] = lat, lon
    for column in ("port_access", "rail_siding"):
        _check_yes_no(comp, column, cc)
    comp["geocoded"] = geocoded
    if not any(p.column in ("lat", "lon", "address") for p in cc.problems):
        for pos, reason in misplaced_sites(lat.to_numpy(), lon.to_numpy()):
            notices.append(f"{cc.label}, row {int(company_rows[pos])} (company {comp['company_id'].iloc[pos]!r}): {reason}")

    # --- listings ---
    _check_unique(lst, "listing_id", lc)
    known_companies = set(comp["company_id"])
    lc.add(
        (lst["company_id"] != "") & ~lst["company_id"].isin(known_companies), "company_id",
        lambda p: f"{lst['company_id'].iloc[p]!r} is not a company_id in {labels['companies']}",
    )
    for col in TABLES["listings"]:
        if col.type == "choice":
            _check_choice(lst, col, lc)
    quantity = _parse_floats(lst, "quantity", lc, locale=locale, typed=lst_typed, assumed=assumed)
    lc.add(quantity.notna() & (quantity <= 0), "quantity", lambda p: f"{quantity.iloc[p]} is not positive")
    max_km = _parse_floats(lst, "max_distance_km", lc, locale=locale, typed=lst_typed, assumed=assumed)
    lc.add(max_km.notna() & (max_km <= 0), "max_distance_km", lambda p: f"{max_km.iloc[p]} is not positive")
    min_lot = _parse_floats(lst, "min_lot", lc, locale=locale, typed=lst_typed, assumed=assumed)
    lc.add(min_lot.notna() & (min_lot <= 0), "min_lot", lambda p: f"{min_lot.iloc[p]} is not positive")
    lc.add(
        min_lot.notna() & quantity.notna() & (min_lot > quantity), "min_lot",
        lambda p: f"{min_lot.iloc[p]} is larger than the quantity {quantity.iloc[p]}",
    )
    partners = _parse_floats(lst, "max_partners", lc, locale=locale, typed=lst_typed, assumed=assumed)
    lc.add(
        partners.notna() & ((partners < 1) | (partners != partners.round())), "max_partners",
        lambda p: f"{lst['max_partners'].iloc[p]!r} is not a whole number of at least 1",
    )
    _check_yes_no(lst, "all_or_nothing", lc)
    price, disposal = _parse_prices(lst, lc, locale=locale, typed=lst_typed, assumed=assumed)
    date_from = _parse_dates(lst, "available_from", lc, lst_typed)
    date_to = _parse_dates(lst, "available_to", lc, lst_typed)
    lc.add(
        date_from.notna() & date_to.notna() & (date_from > date_to), "available_to",
        lambda p: f"{lst['available_to'].iloc[p]} is before available_from {lst['available_from'].iloc[p]}",
    )

    # Materials and units: decided once per distinct value, then mapped onto the rows.
    keys: dict[str, str | None] = {}
    reasons: dict[str, str] = {}
    by_name: list[str] = []
    for text in lst["material"].unique():
        if text == "":
            continue
        try:
            keys[text] = catalog.normalise(text)
        except ValueError as exc:
            keys[text] = catalog.by_name(text)  # a class written by its name, as a sheet may ("Gips")
            if keys[text] is not None:
                by_name.append(text)
                continue
            hint = suggest(text) if not _looks_like_code(text) else _leading_zero_hint(text, catalog)
            reasons[text] = f"{exc}; {hint}" if hint else str(exc)
    material = lst["material"].map(keys)
    if by_name:  # read as the class it names, and said so
        rows = lst["material"].isin(by_name).to_numpy()
        first = int(np.flatnonzero(rows)[0])
        notices.append(
            f"{lc.label}: {int(rows.sum())} listing(s) name a material class by its name, not its id (row "
            f"{int(listing_rows[first])}: {lst['material'].iloc[first]!r} is the class "
            f"{keys[lst['material'].iloc[first]]!r}); they are read as that class")
    lc.add(
        (lst["material"] != "") & material.isna(), "material",
        lambda p: reasons[lst["material"].iloc[p]],
    )
    unstarred = [text for text, key in keys.items() if key is not None and "*" not in text
                 and key in catalog.ewc and catalog.ewc[key].hazardous]
    if unstarred:  # read as the hazardous entry it is, and said so: the star is how the list marks it
        rows = lst["material"].isin(unstarred).to_numpy()
        first = int(np.flatnonzero(rows)[0])
        notices.append(
            f"{lc.label}: {int(rows.sum())} listing(s) name a hazardous List of Waste entry without its star (row "
            f"{int(listing_rows[first])}: {lst['material'].iloc[first]!r} is {keys[lst['material'].iloc[first]]}*); "
            "they are read as the hazardous entry, and their exchanges need the permits hazardous waste requires")
    factors: dict[tuple[str, str], float | str] = {}
    periods: dict[str, float] = {}  # per unit, its periods in a year: a price is per unit of the amount
    pairs = pd.DataFrame({"material": material, "unit": lst["unit"]}).dropna()
    pairs = pairs[pairs["unit"] != ""].drop_duplicates()
    for key, unit in pairs.itertuples(index=False):
        try:
            factors[(key, unit)] = unit_factor(unit, catalog.get(key))
            periods[unit] = periods_per_year(unit)
        except ValueError as exc:
            factors[(key, unit)] = str(exc)
    if factors:
        lookup = pd.Series(list(factors.values()), index=pd.MultiIndex.from_tuples(list(factors)), dtype=object)
        factor = pd.Series(
            lookup.reindex(pd.MultiIndex.from_arrays([material, lst["unit"]])).to_numpy(), index=lst.index, dtype=object
        )
    else:
        factor = pd.Series(None, index=lst.index, dtype=object)
    bad_unit = factor.map(lambda f: isinstance(f, str))
    lc.add(bad_unit, "unit", lambda p: factor.iloc[p])
    distinct = [k for k in material.dropna().unique()]
    dimension = material.map({k: catalog.get(k).dimension for k in distinct})
    canonical = quantity * pd.to_numeric(factor.where(~bad_unit), errors="coerce")
    limits = quantity_limits()
    limit = dimension.map({d: limits[d][0] for d in limits})
    lc.add(
        canonical.notna() & limit.notna() & ~(canonical <= limit), "quantity",
        lambda p: (f"{lst['quantity'].iloc[p] or quantity.iloc[p]} {lst['unit'].iloc[p]} is {canonical.iloc[p]:.3g} "
                   f"{CANONICAL_UNITS[dimension.iloc[p]]} a year, more than {limits[dimension.iloc[p]][1]}: "
                   "check the number and its unit"),
    )
    lc.add(
        (dimension == "energy") & (lst["transport_mode"] != "") & (lst["transport_mode"] != "pipeline"),
        "transport_mode",
        lambda p: f"{lst['transport_mode'].iloc[p]!r} cannot carry {material.iloc[p]!r}, an energy flow: use pipeline",
    )

    by_row = lambda p: -1 if p.row is None else p.row  # noqa: E731 - table-wide problems first
    problems = sorted(cc.problems, key=by_row) + sorted(lc.problems, key=by_row)
    if problems:
        raise InputError(problems)

    comp = comp.set_index("company_id")
    for column in ("port_access", "rail_siding"):
        comp[column] = comp[column].str.lower().isin(TRUE_WORDS)
    lst["material"] = material
    lst["quantity"] = quantity
    lst["unit_factor"] = factor.astype(float)
    lst["quantity_canonical"] = quantity * lst["unit_factor"]
    lst["dimension"] = dimension
    lst["canonical_unit"] = material.map({k: catalog.get(k).canonical_unit for k in distinct})
    lst["is_ewc"] = material.map({k: catalog.get(k).is_ewc for k in distinct}).astype(bool)
    lst["max_distance_km"] = max_km
    lst["min_lot"] = min_lot
    lst["min_lot_canonical"] = min_lot * lst["unit_factor"]
    lst["max_partners"] = partners
    lst["all_or_nothing"] = lst["all_or_nothing"].str.lower().isin(TRUE_WORDS)
    lst["price_eur_per_unit"], lst["disposal_eur_per_unit"] = price, disposal
    # EUR per unit of the listing's amount (per t of 't/md', per MWh of 'MW'): per canonical unit,
    # divided by the amount's factor alone, without the period's.
    amount_factor = lst["unit_factor"] / lst["unit"].map(periods).astype(float)
    lst["price_eur_per_canonical"] = price / amount_factor
    lst["disposal_eur_per_canonical"] = disposal / amount_factor
    lst["available_from"] = date_from
    lst["available_to"] = date_to
    lst = lst.set_index("listing_id")
    lst = lst.join(comp[["lat", "lon"]], on="company_id")
    return Registry(companies=comp, listings=lst, notices=notices, locale=locale)


def _leading_zero_hint(text: str, catalog: MaterialCatalog) -> str:
    """For five digits such as ``20101``: a note that a spreadsheet may have dropped the leading zero
    of a waste code of chapters 01 to 09 (``02 01 01``), when that code exists; else ''."""
    digits = text.strip().rstrip("*").strip()
    if not (len(digits) == 5 and digits.isdigit()):
        return ""
    try:
        code = catalog.normalise("0" + text.strip())
    except ValueError:
        return ""
    return (f"if you meant the waste code {code}, a spreadsheet dropped its leading zero (a number cell): "
            f"write it as text, '{code}'")


def _looks_like_code(text: str) -> bool:
    return sum(ch.isdigit() for ch in text) >= 4


def _geocode(
    comp: pd.DataFrame, lat: pd.Series, lon: pd.Series, check: _Checker, geocoder: Geocoder | None, notices: list[str]
) -> pd.Series:
    """Fill blank coordinates from the address (in place in ``lat``/``lon``); True where geocoded."""
    geocoded = pd.Series(False, index=comp.index)
    blank = (comp["lat"] == "") & (comp["lon"] == "")
    has_address = comp["address"] != ""
    for column in ("lat", "lon"):
        empty = comp[column] == ""
        if geocoder is None:
            check.add(empty & has_address, column,
                      "is empty but required (an address is given: configure a geocoder to look it up)")
            check.add(empty & ~has_address, column, "is empty but required")
        else:
            check.add(empty & ~(blank & has_address), column,
                      "is empty but required" + ("" if column == "lon" else " (or leave lat and lon blank and give an address)"))
    if geocoder is None:
        return geocoded
    failures: dict[str, str] = {}
    for address in comp.loc[blank & has_address, "address"].unique():
        try:
            place = geocoder.locate(address)
        except GeocodingError as exc:
            failures[address] = f"could not be geocoded: {exc}"
            continue
        if place is None:
            failures[address] = f"{address!r} was not found by the geocoder at {geocoder.url}: give lat and lon"
            continue
        rows = blank & (comp["address"] == address)
        lat[rows], lon[rows] = place.lat, place.lon
        geocoded[rows] = True
        for pos in np.flatnonzero(rows.to_numpy()):
            notices.append(
                f"{check.label}, row {int(check.rows[pos])} (company {comp['company_id'].iloc[pos]!r}): "
                f"lat {place.lat:.6f}, lon {place.lon:.6f} geocoded from {address!r} (found: {place.found}); check them"
            )
    check.add(blank & comp["address"].isin(list(failures)), "address", lambda p: failures[comp["address"].iloc[p]])
    return geocoded

"""Read the input tables from CSV files and workbooks as spreadsheets really write them.

CSV: the encoding is UTF-16 or UTF-32 when the file starts with their byte-order mark (Excel's
"Unicode text"), else UTF-8 (with or without the byte-order mark Excel writes) or, failing that,
Windows-1252 (Excel's "CSV" on a Danish Windows); a file that is not text at all (a workbook, a
PDF, ...) is refused as such. The separator is whichever of ``;`` (Danish Excel's "CSV
(semikolonsepareret)"), tab or ``,`` the header row uses most. The file must be well-formed CSV: a
quote that is never closed, text after a closing quote, or a row with more fields than the header
is an error naming the line (see :func:`read_csv_text`). Workbook: cells are read with their types,
so a numeric cell is a number (never a text a locale must interpret), a date cell a date; a
``settings`` sheet may declare the file's ``locale``; every row is read, whatever size the sheet's
dimension record claims, and merged cells that hold a value are an error. Blank rows are kept here,
so a frame's position + 2 is still the spreadsheet's row number; validation skips them.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from datetime import date, datetime
from pathlib import Path

import numpy as np
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


#: Byte-order marks and the encoding each announces; UTF-32's before UTF-16's, which they start with.
_BYTE_ORDER_MARKS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
#: How notices and errors name each encoding a CSV file may be read in.
ENCODING_NAMES = {
    "utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp1252": "Windows-1252 (cp1252)", "utf-16": "UTF-16", "utf-32": "UTF-32",
}
#: Files that are not text, by their first bytes, and what they are.
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a zip file, such as an .xlsx workbook: read a workbook as a workbook, or save it as CSV UTF-8"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old-format Office file, such as an .xls workbook: save it as .xlsx or as "
                                         "CSV UTF-8"),
    (b"%PDF", "a PDF document: save the table as CSV UTF-8"),
)
#: A file is not text when more than this share of its first bytes (see ``_SAMPLE_BYTES``) are control
#: bytes other than tab, line feed and carriage return. Text has none; binary data about one in nine.
_BINARY_SHARE = 0.05
_SAMPLE_BYTES = 8192
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))


def _not_text(data: bytes) -> str | None:
    """Why ``data`` (a file without a UTF-16 or UTF-32 byte-order mark) is not text, or None."""
    for signature, what in _BINARY_SIGNATURES:
        if data.startswith(signature):
            return f"is not text but {what}"
    sample = data[:_SAMPLE_BYTES]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls <= _BINARY_SHARE * len(sample):
        return None
    half = len(sample) // 2
    if half and max(sample[0::2].count(0), sample[1::2].count(0)) > 0.9 * half:
        return ("is UTF-16 text without the byte-order mark that says so: save it as CSV UTF-8 (or as Unicode text, "
                "which has the mark)")
    return (f"is not text ({controls:,} of its first {len(sample):,} bytes are control bytes): save the table as "
            "CSV UTF-8")


def _decode_marked(data: bytes, encoding: str, name: str) -> tuple[str, str]:
    """Decode text that starts with the byte-order mark of ``encoding``; text that is not in it is an error."""
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        raise InputError([Problem(name, None, None, (
            f"starts with the byte-order mark of {ENCODING_NAMES[encoding]} text but is not {ENCODING_NAMES[encoding]} "
            f"(byte {exc.start:,}: {exc.reason}): save it as CSV UTF-8"
        ))]) from None


#: A letter beyond ASCII as UTF-8 writes it (two to four bytes): in a file that is otherwise no UTF-8,
#: the sign of lines in two encodings.
_UTF8_LETTER = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Decode a CSV file's bytes. Returns (text, encoding).

    UTF-32 or UTF-16 when the file starts with their byte-order mark, UTF-8 with or without
    one, else Windows-1252. A file that is not text (binary data, a workbook) is an error saying so,
    and so is UTF-8 text with a line in another encoding (its line named).
    """
    for mark, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            break
    else:
        mark, encoding = b"", None
    if encoding in ("utf-16", "utf-32"):
        return _decode_marked(data, encoding, name)
    reason = _not_text(data)
    if reason is not None:
        raise InputError([Problem(name, None, None, reason)])
    if mark:
        return _decode_marked(data, encoding, name)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if _UTF8_LETTER.search(data):  # UTF-8 letters beside a byte that is none: mixed encodings
            line = data.count(b"\n", 0, exc.start) + 1
            raise InputError([Problem(name, line, None, (
                f"is UTF-8 text with a byte that is not UTF-8 on line {line} (0x{data[exc.start]:02X}: a line "
                "pasted from a file in another encoding, such as Windows-1252?); read as one encoding, the other "
                "lines' letters would be garbled: save the file again as CSV UTF-8"))]) from None
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        pass
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


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _swallowed_row(row: list[str], start: int, separator: str, width: int) -> tuple[int, int] | None:
    """The first line inside a multi-line cell of ``row`` (a record starting on line ``start``) that
    has as many separator-delimited fields as a row of ``width`` columns (and at least 3), as
    (line number, fields); None when every such line reads as text."""
    least = max(width, 3)
    line = start
    for cell in row:
        lines = _LINE_BREAK.split(cell)
        for offset, text in enumerate(lines[1:], start=1):
            if text.count(separator) + 1 >= least:
                return line + offset, text.count(separator) + 1
        line += len(lines) - 1
    return None


def _quote_problem(name: str, row: int, start: int, end: int, error: csv.Error) -> Problem:
    """The problem a strict CSV reader's error shows, in the row starting on line ``start``; the reader
    stopped on line ``end``."""
    message = str(error)
    if "expected after" in message:
        if end > start:
            reason = (f"the quoted cell that starts on line {start} ends with a quote on line {end} that is followed by "
                      f"more text: is a closing quote missing on line {start}?")
        else:
            reason = (f"line {start}: text follows the closing quote of a quoted cell: write a quote inside a cell as "
                      f'two quotes ("") and quote the whole cell')
    elif "end of data" in message:
        reason = (f"a quote (\") opens a cell in the row starting on line {start} and is never closed: the file ends "
                  "inside it; add the closing quote")
    elif "field larger" in message:
        reason = (f"a cell in the row starting on line {start} is longer than {csv.field_size_limit():,} characters: "
                  "is a closing quote missing?")
    else:
        reason = f"line {end}: cannot be read as CSV: {message}"
    return Problem(name, row, None, reason)


def _column_names(cells) -> list[str]:
    """Header cells as column names: trimmed, a blank one ``Unnamed: i`` and a repeated one renamed as
    pandas does (``name.1``)."""
    header: list[str] = []
    for i, h in enumerate(cells):
        name = str(h).strip() if h is not None and str(h).strip() else f"Unnamed: {i}"
        base, n = name, 0
        while name in header:
            n += 1
            name = f"{base}.{n}"
        header.append(name)
    return header


def read_csv_text(path: str | Path) -> pd.DataFrame:
    """Read one CSV file as text cells; ``attrs`` record the encoding and separator found.

    The file is read by Python's ``csv`` module in strict mode, which refuses what spreadsheets never
    write; each is an :class:`InputError` naming the file, the row and the line:

    - a quote that is never closed (the file ends inside a quoted cell), or a closing quote followed
      by more text (``"a"b``, or a quote left open that a later quote closes);
    - a quoted cell that spans lines and holds a line that reads as a whole row: as many
      separator-delimited fields as the header has columns (at least 3). That is the shape of rows
      an unclosed quote swallowed; a real multi-line text (an address, a description) has fewer
      separators on each of its lines;
    - a row with more fields than the header (a separator inside an unquoted cell, such as a
      decimal comma, or a trailing separator), unless all its cells are blank. A row with fewer
      fields is read with the missing cells blank;
    - a first line that is blank, or an empty file.

    Raises
    ------
    InputError
        When the file is missing or unreadable, not text, or not well-formed CSV.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError([Problem(str(path), None, None, "file not found")]) from None
    except OSError as exc:
        raise InputError([Problem(path.name, None, None, f"cannot be read: {exc.strerror or exc}")]) from None
    text, encoding = decode_text(data, path.name)
    separator = detect_separator(text)
    if not text or text.isspace():
        raise InputError([Problem(path.name, None, None, "is empty: it has no header row (column names)")])
    if _plain_table(text, separator):  # the common case, read by pandas' C parser: 4 times faster
        frame = pd.read_csv(io.StringIO(text), sep=separator, dtype=str, keep_default_na=False,
                            skip_blank_lines=False, index_col=False).fillna("")
        frame.columns = _column_names(frame.columns)
        frame.attrs.update({"encoding": encoding, "separator": separator, "origin": "file"})
        return frame
    rows = _csv_rows(text, separator, path.name)
    width = len(rows[0])
    names = _column_names(rows[0])
    # a short row's missing cells are blank; a longer row is blank beyond the header (else an error above)
    body = [row if len(row) == width else (row + [""] * (width - len(row)))[:width] for row in rows[1:]]
    frame = pd.DataFrame(body, columns=names, dtype=str)
    frame.attrs.update({"encoding": encoding, "separator": separator, "origin": "file"})
    return frame


def _plain_table(text: str, separator: str) -> bool:
    """Whether ``text`` is CSV that any reader reads alike: no quote, lines ended by line feeds, a
    first line that is not blank, and no line with more separators than the first (so no row longer
    than the header). Else the strict reader decides (:func:`_csv_rows`)."""
    if '"' in text or ("\r" in text and "\r\n" not in text) or text[0] in "\r\n":
        return False
    # In UTF-8 a byte below 128 is always that character, so the bytes tell lines and separators.
    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    ends = np.flatnonzero(data == ord("\n"))
    separators = np.flatnonzero(data == ord(separator))
    # Separators before each line's end, so per line (the last line after the last line feed).
    per_line = np.diff(np.searchsorted(separators, ends), prepend=0, append=len(separators))
    return bool((per_line[1:] <= per_line[0]).all())


def _csv_rows(text: str, separator: str, name: str) -> list[list[str]]:
    """The records of a CSV text that is not blank (the header first, no row longer than it, but for
    blank ones); see :func:`read_csv_text`."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    rows: list[list[str]] = []
    problems: list[Problem] = []
    width, start = 0, 1
    sep_name = SEPARATOR_NAMES[separator]
    try:
        for row in reader:
            end = reader.line_num
            number = len(rows) + 1
            if not rows:
                if not row:
                    raise InputError([Problem(name, 1, None, "the first line is blank: it must hold the column names")])
                width = len(row)
            elif end > start and (swallowed := _swallowed_row(row, start, separator, width)) is not None:
                line, fields = swallowed
                raise InputError([Problem(name, number, None, (
                    f"the quoted cell that starts on line {start} runs on to line {end} and holds line {line}, which "
                    f"reads as a whole row ({fields} {sep_name}-separated fields, the header has {width}): is a closing "
                    f"quote missing on line {start}? (A cell of several lines must not hold a line of {max(width, 3) - 1} "
                    f"or more {sep_name}s.)"
                ))])
            elif len(row) > width and any(cell.strip() for cell in row):
                where = "" if start == number else f" (line {start})"
                problems.append(Problem(name, number, None, (
                    f"has {len(row)} fields, the header has {width}{where}: quote a cell that holds a {sep_name} "
                    "(or write decimals with the other mark), and give every column a header"
                )))
            rows.append(row)
            start = end + 1
    except csv.Error as exc:
        raise InputError([_quote_problem(name, len(rows) + 1, start, reader.line_num, exc)]) from None
    if problems:
        raise InputError(problems)
    return rows


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
    width = max(len(row) for row in rows)  # rows end at their last cell: a column may start below the header
    header = _column_names(tuple(rows[0]) + (None,) * (width - len(rows[0])))
    body = list(rows[1:])
    while body and all(_blank(v) for v in body[-1]):
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


def _merged_values(path: Path, book, names: list[str], rows: dict[str, list[tuple]]) -> list[Problem]:
    """A problem for each merged range of the sheets ``names`` that holds a value.

    Read-only mode, which reads large sheets fast, does not report merged cells: a sheet's XML is
    scanned for a merge record, and only when one is there is the workbook opened in normal mode
    for its merged ranges. ``rows`` are each sheet's rows as read (values only).
    """
    import zipfile

    import openpyxl

    with zipfile.ZipFile(path) as archive:
        merged = _sheets_holding(archive, book, names, b"mergeCell")
    if not merged:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = openpyxl.load_workbook(path, data_only=True)
    problems = []
    try:
        for name in merged:
            cells = rows[name]
            for area in sorted(full[name].merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
                values = [
                    row[c - 1] for row in cells[area.min_row - 1:area.max_row]
                    for c in range(area.min_col, area.max_col + 1) if c - 1 < len(row)
                ]
                if area.size["rows"] * area.size["columns"] < 2 or all(_blank(v) for v in values):
                    continue  # formatting only: nothing is spread over other cells
                first = area.coord.split(":")[0]
                each = "row" if area.min_col == area.max_col else "cell"
                problems.append(Problem(f"{path.name} [{name}]", area.min_row, None, (
                    f"cells {area.coord} are merged, so only {first} holds the value: unmerge them and give each "
                    f"{each} its own value"
                )))
    finally:
        full.close()
    return problems


def _dates_as_ids(path: Path, name: str, rows: list[tuple]) -> list[Problem]:
    """A problem for each date cell in an id column of a sheet: spreadsheets turn ids such as
    ``3-4`` into dates, and the date's text is no id anyone wrote."""
    if not rows:
        return []
    ids = {c.name for c in TABLES.get(name, ()) if c.type == "id"}
    at = {c: str(h).strip() for c, h in enumerate(rows[0]) if h is not None and str(h).strip() in ids}
    return [Problem(f"{path.name} [{name}]", r, column, (
                f"is a date cell ({row[c]:%Y-%m-%d}), not an id: spreadsheets turn ids such as 3-4 into dates; "
                "format the column as text and type the id again"))
            for r, row in enumerate(rows[1:], start=2) for c, column in at.items()
            if c < len(row) and isinstance(row[c], (datetime, date))]


_FULL_CALC_ON_LOAD = re.compile(rb"<calcPr\b[^>]*\bfullCalcOnLoad=\"(?:1|true)\"")


def _uncalculated_formulas(path: Path, book, names: list[str], rows: dict[str, list[tuple]]) -> list[Problem]:
    """A problem for each formula cell of the sheets ``names`` that holds no calculated value (a
    workbook written by a program that does not calculate, and not saved since by a spreadsheet):
    read for its values, such a cell is blank (or, from a writer that asks for a full calculation on
    opening, a placeholder 0), and a required cell would be called empty, an optional one silently
    left out or zero.

    Only a sheet whose XML holds a formula is opened a second time, for its formulas."""
    import zipfile

    import openpyxl

    with zipfile.ZipFile(path) as archive:
        # A writer that asks the spreadsheet to calculate everything on opening (XlsxWriter does)
        # stores placeholder values (0) for its formulas: none of them is a calculated value.
        recalculate = ("xl/workbook.xml" in archive.namelist()
                       and bool(_FULL_CALC_ON_LOAD.search(archive.read("xl/workbook.xml"))))
        with_formulas = _sheets_holding(archive, book, names, b"<f")
    if not with_formulas:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    problems = []
    try:
        for name in with_formulas:
            sheet = formulas[name]
            sheet.reset_dimensions()
            values = rows[name]
            header = values[0] if values else ()
            for r, row in enumerate(sheet.iter_rows(values_only=True)):
                for c, cell in enumerate(row):
                    if not (isinstance(cell, str) and cell.startswith("=")):
                        continue
                    if not recalculate and r < len(values) and c < len(values[r]) and values[r][c] is not None:
                        continue  # calculated: its value is read
                    column = str(header[c]).strip() if r and c < len(header) and header[c] is not None else None
                    problems.append(Problem(f"{path.name} [{name}]", r + 1, column, (
                        f"holds the formula {cell[:60]} but no calculated value (the file was written by a program "
                        "that does not calculate formulas): open and save it in Excel or LibreOffice, or type the value"
                    )))
    finally:
        formulas.close()
    return problems


def _sheets_holding(archive, book, names: list[str], token: bytes) -> list[str]:
    """The sheets of ``names`` whose XML in the workbook's zip ``archive`` holds ``token`` (a sheet
    whose part openpyxl does not name is looked for in every worksheet part)."""
    parts = set(archive.namelist())
    found = []
    for name in names:
        part = getattr(book[name], "_worksheet_path", None)
        members = [part] if part in parts else [n for n in parts if n.startswith("xl/worksheets/")]
        if any(_holds(archive, member, token) for member in members):
            found.append(name)
    return found


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _holds(archive, member: str, token: bytes) -> bool:
    """Whether the zip member holds ``token``, read in chunks (a sheet's XML may be large)."""
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(1 << 20):
            if token in tail + chunk[:len(token)] or token in chunk:
                return True
            tail = chunk[-len(token):]
    return False


def read_workbook(path: str | Path) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Read the ``companies`` and ``listings`` sheets (typed cells) and the ``settings`` sheet.

    The tables carry ``attrs['locale']`` from the settings, so validation finds it.

    Raises
    ------
    InputError
        When the file is missing, no workbook, lacks a sheet, has merged cells holding a value in a
        sheet it reads, or has a bad setting.
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
        read = [name for name in (*TABLES, SETTINGS_SHEET) if name in names]
        rows = {}
        for name in read:
            sheet = book[name]
            sheet.reset_dimensions()  # a stale dimension record must not cut rows or columns off
            rows[name] = list(sheet.iter_rows(values_only=True))
        merged = _merged_values(path, book, read, rows)
        uncalculated = _uncalculated_formulas(path, book, [name for name in read if name in TABLES], rows)
    finally:
        book.close()
    dated = [p for name in TABLES for p in _dates_as_ids(path, name, rows[name])]
    if merged or uncalculated or dated:
        raise InputError(merged + uncalculated + dated)
    tables = {name: _sheet_frame(rows[name], name) for name in TABLES}
    settings = {}
    if SETTINGS_SHEET in rows:
        settings = read_settings(rows[SETTINGS_SHEET], f"{path.name} [{SETTINGS_SHEET}]")
    for frame in tables.values():
        frame.attrs["locale"] = check_locale(settings.get("locale"))
        frame.attrs["source"] = "xlsx"
        frame.attrs["origin"] = "file"
    return tables, settings

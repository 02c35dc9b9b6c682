"""Results a facilitator can mail: an .xlsx workbook with names, units and reasons, and CSV for Excel.

``results.xlsx`` has four sheets: ``exchanges`` (supplier and receiver by name, quantities with
their units, the indicators, and a sentence explaining each exchange), ``unmatched`` (each listing
with nothing exchanged: company name, quantity, unit, reason, nearest partner), ``indicators``
(totals of the five indicators, transport emissions and value, with units) and ``about`` (the run's
status and objective). CSV files are written with a byte-order mark so Excel reads UTF-8 (æøå),
and optionally with ``;`` and a decimal comma as Danish Excel expects. Text cells that a
spreadsheet would run as a formula are neutralised (:func:`symbiosis.spreadsheet.neutralise_text`).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from service.csv_text import csv_text
from symbiosis.explain import explain_exchanges
from symbiosis.impacts import total_indicators
from symbiosis.schema import EXCHANGE_FIELDS, INDICATOR_LABELS, INDICATORS
from symbiosis.materials import default_catalog
from symbiosis.spreadsheet import FORMULA_PREFIXES, neutralise_formulas, neutralise_text

RESULTS_WORKBOOK = "results.xlsx"
#: Data rows of a sheet turned into XML at a time: bounds the writer's memory whatever the region's size.
ROWS_PER_BLOCK = 2_000
#: Rows of a CSV file formatted at a time (with what is derived for them, see :func:`write_csv_for_excel`).
CSV_ROWS_PER_CHUNK = 20_000
#: Turns a slice of a table into the rows written (columns worked out per slice, such as explanations).
Derive = Callable[[pd.DataFrame], pd.DataFrame]
#: Media type of an .xlsx workbook.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Exchange columns shown, with a header that carries the unit.
EXCHANGE_HEADERS: dict[str, str] = {
    "supplier_name": "supplier",
    "supplier_id": "supplier id",
    "receiver_name": "receiver",
    "receiver_id": "receiver id",
    "material": "material",
    "material_name": "material name",
    "quantity": "quantity (offer's unit)",
    "unit": "unit",
    "need_material": "received as",
    "need_quantity": "quantity received (need's unit)",
    "need_unit": "need unit",
    "distance_km": "distance (km)",
    "transport_mode": "transport",
    "transport_co2e_t": "transport emissions (t CO2e/yr)",
    **{name: f"{label[:-1]}/yr)" if label.endswith(")") else label for name, label in INDICATOR_LABELS.items()},
    "value_eur": "net benefit (EUR/yr)",
    "receiver_saving_eur": "receiver's saving (EUR/yr)",
    "supplier_saving_eur": "supplier's saving (EUR/yr)",
    "transport_cost_eur": "transport cost (EUR/yr)",
    "treatment_cost_eur": "treatment cost (EUR/yr)",
    "link_cost_eur": "link cost (EUR/yr)",
    "fair_price_min_eur": "fair price from (EUR per canonical unit of offer)",
    "fair_price_max_eur": "fair price to (EUR per canonical unit of offer)",
    "rule_id": "rule",
    "yield": "yield",
    "offer_id": "offer listing",
    "need_id": "need listing",
    "explanation": "explanation",
}
UNMATCHED_HEADERS: dict[str, str] = {
    "listing_id": "listing",
    "company_name": "company",
    "company_id": "company id",
    "kind": "kind",
    "material": "material",
    "material_name": "material name",
    "quantity": "quantity",
    "unit": "unit",
    "reason": "reason",
    "nearest_id": "nearest partner listing",
    "nearest_company": "nearest partner",
    "nearest_km": "nearest partner distance (km)",
}
#: Totals shown in the indicators sheet, with their units.
TOTAL_UNITS: dict[str, str] = {c.name: c.unit for c in EXCHANGE_FIELDS
                               if c.name in (*INDICATORS, "transport_co2e_t", "value_eur")}
TOTAL_LABELS: dict[str, str] = {
    **{k: v.split(" (")[0] for k, v in INDICATOR_LABELS.items()},
    "transport_co2e_t": "transport emissions (well-to-wheel)",
    "value_eur": "net benefit (both sides' savings less treatment, transport and link costs)",
}


def write_csv_for_excel(
    frame: pd.DataFrame, path: str | Path, *, danish: bool = False, derive: Derive | None = None
) -> Path:
    """Write ``frame`` as CSV that Excel opens right: UTF-8 with a byte-order mark.

    Parameters
    ----------
    frame
        The table; a named index (e.g. ``listing_id``) is written as the first column.
    path
        Where to write.
    danish
        ``;`` between fields and a decimal comma, as Danish Excel reads CSV; else ``,`` and ``.``.
    derive
        Turns a slice of ``frame`` into the rows written (e.g. rounded, with an explanation
        column): the file is written :data:`CSV_ROWS_PER_CHUNK` rows at a time, so what is
        derived is never held for the whole table.
    """
    path = Path(path)
    # Each cell's text depends on that cell alone, except dates (pandas picks one format per column,
    # with a time if any cell has one): a table with dates is written in one piece.
    dated = any(getattr(dtype, "kind", "O") in "mM" for dtype in [*frame.dtypes, frame.index.dtype])
    size = max(len(frame), 1) if dated else CSV_ROWS_PER_CHUNK
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        for first in range(0, max(len(frame), 1), size):
            part = frame.iloc[first:first + size]
            part = neutralise_formulas(derive(part) if derive else part)
            options = {"header": first == 0, "sep": ";" if danish else ",", "decimal": "," if danish else ".",
                       "index": frame.index.name is not None}
            text = csv_text(part, **options)  # pandas' characters, joined a column at a time
            if text is None:
                part.to_csv(handle, **options)
            else:
                handle.write(text)
    return path


def _names(companies: pd.DataFrame) -> pd.Series:
    table = companies.set_index("company_id") if "company_id" in companies.columns else companies
    return table["name"] if "name" in table.columns else pd.Series(dtype=object)


def _material_names(keys: pd.Series) -> pd.Series:
    catalog = default_catalog()
    names = {}
    for key in keys.dropna().unique():
        try:
            names[key] = catalog.get(key).name
        except KeyError:
            names[key] = ""
    return keys.map(names).fillna("")


#: Rows of an Excel sheet (header included).
EXCEL_ROWS = 1_048_576

# How XlsxWriter writes the text of an in-line string cell (constant-memory mode): an existing
# "_xHHHH_" is escaped, control characters become "_xHHHH_", leading or trailing white space is kept.
_ESCAPE_LIKE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_EDGE_SPACE = re.compile(r"^\s|\s$")
#: Longer text may exceed Excel's 32,767 characters (UTF-16 units), which XlsxWriter truncates.
_PLAIN_TEXT_MAX = 32_767 // 2
_SHEET = re.compile(r"xl/worksheets/sheet(\d+)\.xml")
_COLUMN_STYLE = re.compile(r'<col min="(\d+)" max="(\d+)" width="[^"]*"(?: style="(\d+)")?')
_DIMENSION = re.compile(r'<dimension ref="[^"]*"/>')


@dataclass(frozen=True)
class _Rows:
    """A sheet's data rows: slices of ``frame``, with the columns ``derive`` works out per slice,
    showing ``columns``."""

    frame: pd.DataFrame
    columns: list[str]
    derive: Derive | None = None

    def block(self, first: int, size: int) -> pd.DataFrame:
        part = self.frame.iloc[first:first + size]
        return (self.derive(part) if self.derive else part)[self.columns]


def _sheet(book, title: str, frame: pd.DataFrame, headers: dict[str, str], *, wrap: str | None = None,
           derive: Derive | None = None):
    """Add one sheet with a bold, frozen header, column widths from the first rows and wrapped long
    text; return it with its data rows (the columns of ``headers`` that ``frame`` has or ``derive`` adds)."""
    sheet = book.add_worksheet(title)
    first = derive(frame.head(50)) if derive else frame.head(50)
    columns = [c for c in headers if c in first.columns]
    wrapped = book.add_format({"text_wrap": True, "valign": "top"})
    for i, column in enumerate(columns):
        sample = [str(v) for v in first[column]]
        width = max([len(headers[column])] + [len(text) for text in sample])
        sheet.set_column(i, i, min(max(10, width + 2), 100 if column == wrap else 40),
                         wrapped if column == wrap else None)
    sheet.freeze_panes(1, 0)
    sheet.write_row(0, 0, [headers[c] for c in columns], book.add_format({"bold": True}))
    return sheet, _Rows(frame, columns, derive)


def _write_rows(sheet, rows: _Rows) -> None:
    """Write the data rows cell by cell through XlsxWriter (the reference the block writer matches)."""
    for first in range(0, len(rows.frame), ROWS_PER_BLOCK):
        for number, row in enumerate(rows.block(first, ROWS_PER_BLOCK).itertuples(index=False), start=first + 1):
            sheet.write_row(number, 0, [_cell(v) for v in row])


def _cell(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalars
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return str(value)
    return neutralise_text(value)


def _cell_xml(value, style: str) -> str | None:
    """The XML XlsxWriter writes for ``value`` in a cell, from the quote that closes the cell's
    reference on: "" for no cell, None for a value that is not a number, a truth value or text
    that XlsxWriter writes as it is (the sheet is then written cell by cell)."""
    value = _cell(value)
    if value is None or (isinstance(value, str) and not value):
        return ""
    if value.__class__ is bool:
        return f'"{style} t="b"><v>{int(value)}</v></c>'
    if value.__class__ in (int, float):
        return f'"{style}><v>{value:.16G}</v></c>'
    if not isinstance(value, str) or len(value) > _PLAIN_TEXT_MAX:
        return None
    text = _ESCAPE_LIKE.sub(r"_x005F\1", value)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text).replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    if text.startswith("<r>") and text.endswith("</r>"):
        return None  # XlsxWriter would take it for rich text
    space = ' xml:space="preserve"' if _EDGE_SPACE.search(text) else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _values_xml(values: list, style: str) -> list[str | None]:
    """:func:`_cell_xml` of each value, with a short way for finite floats and for text that needs
    no escaping, quoting or preserved space (most of a region's names, codes and sentences)."""
    text_head, text_tail, number_head = f'"{style} t="inlineStr"><is><t>', "</t></is></c>", f'"{style}><v>'
    cells = []
    for value in values:
        if value.__class__ is float and value - value == 0:
            cells.append(f"{number_head}{value:.16G}</v></c>")
        elif value.__class__ is float and value != value:
            cells.append("")  # NaN: no cell
        elif (value.__class__ is str and value and len(value) <= _PLAIN_TEXT_MAX and value.isprintable()
              and not value.startswith(FORMULA_PREFIXES) and not value[0].isspace() and not value[-1].isspace()
              and "&" not in value and "<" not in value and ">" not in value and "_x" not in value):
            cells.append(text_head + value + text_tail)
        else:
            cells.append(_cell_xml(value, style))
    return cells


def _column_xml(column: pd.Series, style: str) -> np.ndarray | None:
    """Per cell of ``column``, :func:`_cell_xml`; text and categories worked out once per distinct
    value (only when the column holds nothing but text, as equal numbers of other types would be
    taken for one); None if any cell is not written as it is."""
    dtype = column.dtype
    codes = None
    if isinstance(dtype, np.dtype) and dtype.kind == "f":  # the bulk of a sheet: one format per finite number
        values = column.to_numpy()
        finite = np.isfinite(values)
        cells = np.full(len(values), "", dtype=object)
        cells[finite] = np.array([f'"{style}><v>{v:.16G}</v></c>' for v in values[finite].tolist()], dtype=object)
        cells[~finite] = np.array(_values_xml(values[~finite].tolist(), style), dtype=object)
        return cells
    if isinstance(dtype, pd.CategoricalDtype):
        codes, values = column.cat.codes.to_numpy(), list(column.cat.categories)
    elif isinstance(dtype, np.dtype) and dtype.kind in "fiub":
        values = column.to_numpy().tolist()
    else:
        values = column.to_numpy(dtype=object)
        if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            codes, values = pd.factorize(values)
            values = values.tolist()
        else:
            values = list(column)
    cells = _values_xml(values, style)
    if None in cells:
        return None
    if codes is None:
        return np.array(cells, dtype=object)
    return np.array([*cells, ""], dtype=object)[codes]  # code -1 (missing) is the last: no cell


def _block_xml(rows: _Rows, first: int, styles: list[str]) -> tuple[str, int] | None:
    """The XML of the data rows ``first`` to ``first + ROWS_PER_BLOCK`` as XlsxWriter writes them in
    constant-memory mode (a row without cells is left out), and the number of data rows up to the
    last row with a cell (0 if none); None if a cell is not written as it is."""
    part = rows.block(first, ROWS_PER_BLOCK)
    numbers = np.arange(first + 2, first + 2 + len(part)).astype(str).astype(object)
    pieces = np.full((len(part), 3 * part.shape[1] + 4), "", dtype=object)
    used = np.zeros(len(part), dtype=bool)
    for j, style in enumerate(styles):
        cells = _column_xml(part.iloc[:, j], style)
        if cells is None:
            return None
        present = cells != ""
        pieces[present, 3 * j + 3] = f'<c r="{xl_col_to_name(j)}'
        pieces[present, 3 * j + 4] = numbers[present]
        pieces[:, 3 * j + 5] = cells
        used |= present
    pieces[used, 0], pieces[used, 1], pieces[used, 2], pieces[used, -1] = '<row r="', numbers[used], '">', "</row>"
    last = first + 1 + int(np.flatnonzero(used)[-1]) if used.any() else 0
    return "".join(pieces.ravel().tolist()), last


def _fill_sheets(template: io.BytesIO, path: Path, sheets: list[_Rows]) -> bool:
    """Write ``path``: the workbook ``template`` (sheets with their headers only) with each sheet's
    data rows added in blocks, so that every file in it is the one XlsxWriter would
    write cell by cell (same XML, same compression and zip entries). False (and ``path`` left
    incomplete) when a cell is not written as it is."""
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED,
                                                              allowZip64=False) as target:
        for info in source.infolist():
            data = source.read(info)
            sheet = _SHEET.fullmatch(info.filename)
            rows = sheets[int(sheet.group(1)) - 1] if sheet else None
            if rows is None or rows.frame.empty or not rows.columns:
                target.writestr(info, data)
                continue
            # Rows past Excel's last are left out, as XlsxWriter leaves them out.
            rows = replace(rows, frame=rows.frame.iloc[:EXCEL_ROWS - 1])
            head, tail = data.decode("utf-8").split("</sheetData>")
            styles = [""] * len(rows.columns)
            for low, high, style in _COLUMN_STYLE.findall(head):
                for j in range(int(low) - 1, min(int(high), len(styles))):
                    styles[j] = f' s="{style}"' if style else ""
            # The dimension (the last row with a cell) comes first: blocks from the end until one has a cell.
            starts, ending, last = list(range(0, len(rows.frame), ROWS_PER_BLOCK)), [], 0
            while starts and not last:
                block = _block_xml(rows, starts.pop(), styles)
                if block is None:
                    return False
                ending.insert(0, block[0].encode("utf-8"))
                last = block[1]
            corner = xl_rowcol_to_cell(last, len(rows.columns) - 1)
            head = _DIMENSION.sub(f'<dimension ref="{"A1" if corner == "A1" else "A1:" + corner}"/>', head, count=1)
            with target.open(info, "w") as member, ThreadPoolExecutor(max_workers=1) as compressor:
                # zlib compresses outside the GIL: a block is compressed while the next one is built.
                pending = compressor.submit(member.write, head.encode("utf-8"))
                for first in starts:
                    block = _block_xml(rows, first, styles)
                    pending.result()
                    if block is None:
                        return False
                    pending = compressor.submit(member.write, block[0].encode("utf-8"))
                pending.result()
                for encoded in ending:
                    member.write(encoded)
                member.write(("</sheetData>" + tail).encode("utf-8"))
    return True


def _write_book(target, sheets: list[tuple], *, rows: bool) -> list[_Rows]:
    """Write the workbook's sheets (title, frame, headers, wrapped column, derive) to ``target`` (a
    path or a buffer): headers, widths and formats, and with ``rows`` every data row cell by cell;
    return each sheet's data rows."""
    # Text is never read as a formula or a link (and is neutralised besides, see _cell).
    book = xlsxwriter.Workbook(target if isinstance(target, io.BytesIO) else str(target), {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "nan_inf_to_errors": False})
    written = []
    for title, frame, headers, wrap, derive in sheets:
        sheet, data = _sheet(book, title, frame, headers, wrap=wrap, derive=derive)
        if rows:
            _write_rows(sheet, data)
        written.append(data)
    book.close()
    return written


def write_results_workbook(
    path: str | Path,
    exchanges: pd.DataFrame,
    unmatched: pd.DataFrame,
    summary: dict,
    companies: pd.DataFrame,
    listings: pd.DataFrame | None = None,
    explanations: pd.Series | None = None,
) -> Path:
    """Write ``results.xlsx``: exchanges, unmatched listings, indicator totals and the run's facts.

    Parameters
    ----------
    path
        Where to write the workbook.
    exchanges
        The run's exchanges (columns of :data:`symbiosis.schema.EXCHANGE_FIELDS`).
    unmatched
        Listings with nothing exchanged, indexed by ``listing_id``: ``company_id``, ``kind``,
        ``material``, ``reason``, ``nearest_id``, ``nearest_km``.
    summary
        The run's summary (``summary.json``): ``status``, ``objective``, ``totals``, ``counts``.
    companies
        Indexed by ``company_id`` (or with that column), with ``name``.
    listings
        Indexed by ``listing_id`` with ``quantity`` and ``unit`` (the registry's listings), for
        the quantities of unmatched listings and the nearest partner's company; optional.
    explanations
        Each exchange's explanation, indexed like ``exchanges``, when the caller has worked them
        out already (for the CSV file); else they are worked out here, a block at a time.
    """
    path = Path(path)
    names = _names(companies)
    ex = exchanges.copy(deep=False)  # columns are added, none changed
    ex["supplier_name"] = ex["supplier_id"].map(names).fillna("") if "supplier_id" in ex else ""
    ex["receiver_name"] = ex["receiver_id"].map(names).fillna("") if "receiver_id" in ex else ""
    ex["material_name"] = _material_names(ex["material"]) if "material" in ex else ""
    for column in ("material", "need_material"):  # a hazardous code keeps its star
        if column in ex:
            ex[column] = default_catalog().shown(ex[column])
    objective_name = (summary.get("objective") or {}).get("name", "diverted")

    def explained(part: pd.DataFrame) -> pd.DataFrame:  # worked out per block, not held for every exchange
        if explanations is not None:  # already worked out by the caller
            return part.assign(explanation=explanations.loc[part.index].to_numpy())
        return part.assign(explanation=explain_exchanges(part, objective_name).to_numpy() if len(part)
                           else pd.Series(dtype=str))

    um = unmatched.copy(deep=False)
    um.index.name = um.index.name or "listing_id"
    um = um.reset_index()
    um["company_name"] = um["company_id"].map(names).fillna("") if "company_id" in um else ""
    um["material_name"] = _material_names(um["material"]) if "material" in um else ""
    if "material" in um:
        um["material"] = default_catalog().shown(um["material"])
    if listings is not None and len(um):
        for column in ("quantity", "unit"):
            if column not in um and column in listings:
                um[column] = um["listing_id"].map(listings[column])
        if "nearest_id" in um and "company_id" in listings:
            um["nearest_company"] = um["nearest_id"].map(listings["company_id"]).map(names).fillna("")

    unknown = summary.get("unknown") or {}
    totals = dict(summary.get("totals") or {})
    if not totals and len(ex):
        totals = total_indicators(ex)
    indicator_rows = [
        {"indicator": TOTAL_LABELS[key], "key": key, "value": totals.get(key), "unit": TOTAL_UNITS[key],
         "unknown": f"unknown in {unknown[key]} exchange(s), left out" if unknown.get(key) else ""}
        for key in (*INDICATORS, "transport_co2e_t", "value_eur")
    ]
    indicators = pd.DataFrame(indicator_rows)
    indicators["value"] = indicators["value"].map(lambda v: "unknown" if v is None else v)

    objective = summary.get("objective") or {}
    counts = summary.get("counts") or {}
    about = pd.DataFrame(
        [("status", summary.get("status", "")), ("objective", objective.get("name", "")),
         ("objective value", objective.get("value")), ("objective unit", objective.get("unit", "")),
         ("solver", summary.get("solver", "")),
         ("exchanges", counts.get("exchanges", len(ex))), ("unmatched listings", counts.get("unmatched_listings", len(um))),
         *((f"notice {i}", n) for i, n in enumerate(summary.get("notices") or [], start=1))],
        columns=["item", "value"],
    )

    path.parent.mkdir(parents=True, exist_ok=True)
    sheets = [("exchanges", ex, EXCHANGE_HEADERS, "explanation", explained),
              ("unmatched", um, UNMATCHED_HEADERS, "reason", None),
              ("indicators", indicators,
               {"indicator": "indicator", "value": "total", "unit": "unit", "unknown": "unknown", "key": "column"},
               None, None),
              ("about", about, {"item": "item", "value": "value"}, "value", None)]
    template = io.BytesIO()
    if not _fill_sheets(template, path, _write_book(template, sheets, rows=False)):
        _write_book(path, sheets, rows=True)
    return path

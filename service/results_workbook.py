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

import math
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import xlsxwriter

from symbiosis.explain import explain_exchanges
from symbiosis.impacts import total_indicators
from symbiosis.schema import EXCHANGE_FIELDS, INDICATOR_LABELS, INDICATORS
from symbiosis.materials import default_catalog
from symbiosis.spreadsheet import neutralise_formulas, neutralise_text

RESULTS_WORKBOOK = "results.xlsx"
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
    "fair_price_min_eur": "fair price from (EUR per offer unit)",
    "fair_price_max_eur": "fair price to (EUR per offer unit)",
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


def write_csv_for_excel(frame: pd.DataFrame, path: str | Path, *, danish: bool = False) -> Path:
    """Write ``frame`` as CSV that Excel opens right: UTF-8 with a byte-order mark.

    Parameters
    ----------
    frame
        The table; a named index (e.g. ``listing_id``) is written as the first column.
    path
        Where to write.
    danish
        ``;`` between fields and a decimal comma, as Danish Excel reads CSV; else ``,`` and ``.``.
    """
    path = Path(path)
    neutralise_formulas(frame).to_csv(
        path, sep=";" if danish else ",", decimal="," if danish else ".", encoding="utf-8-sig",
        index=frame.index.name is not None,
    )
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


def _sheet(book, title: str, frame: pd.DataFrame, headers: dict[str, str], *, wrap: str | None = None) -> None:
    """Write one sheet row by row (XlsxWriter in constant-memory mode: fast and lean for a national
    region's exchanges): a bold, frozen header, column widths from the first rows, wrapped long text."""
    sheet = book.add_worksheet(title)
    columns = [c for c in headers if c in frame.columns]
    wrapped = book.add_format({"text_wrap": True, "valign": "top"})
    for i, column in enumerate(columns):
        sample = [str(v) for v in frame[column].head(50)]
        width = max([len(headers[column])] + [len(text) for text in sample])
        sheet.set_column(i, i, min(max(10, width + 2), 100 if column == wrap else 40),
                         wrapped if column == wrap else None)
    sheet.freeze_panes(1, 0)
    sheet.write_row(0, 0, [headers[c] for c in columns], book.add_format({"bold": True}))
    for number, row in enumerate(frame[columns].itertuples(index=False), start=1):
        sheet.write_row(number, 0, [_cell(v) for v in row])


def _cell(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalars
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.isoformat()[:10] if isinstance(value, date) and not isinstance(value, datetime) else str(value)
    return neutralise_text(value)


def write_results_workbook(
    path: str | Path,
    exchanges: pd.DataFrame,
    unmatched: pd.DataFrame,
    summary: dict,
    companies: pd.DataFrame,
    listings: pd.DataFrame | None = None,
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
    """
    path = Path(path)
    names = _names(companies)
    ex = exchanges.copy()
    ex["supplier_name"] = ex["supplier_id"].map(names).fillna("") if "supplier_id" in ex else ""
    ex["receiver_name"] = ex["receiver_id"].map(names).fillna("") if "receiver_id" in ex else ""
    ex["material_name"] = _material_names(ex["material"]) if "material" in ex else ""
    objective = (summary.get("objective") or {}).get("name", "diverted")
    ex["explanation"] = explain_exchanges(ex, objective).to_numpy() if len(ex) else pd.Series(dtype=str)

    um = unmatched.copy()
    um.index.name = um.index.name or "listing_id"
    um = um.reset_index()
    um["company_name"] = um["company_id"].map(names).fillna("") if "company_id" in um else ""
    um["material_name"] = _material_names(um["material"]) if "material" in um else ""
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
    # Text is never read as a formula or a link (and is neutralised besides, see _cell).
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                          "strings_to_urls": False, "nan_inf_to_errors": False})
    _sheet(book, "exchanges", ex, EXCHANGE_HEADERS, wrap="explanation")
    _sheet(book, "unmatched", um, UNMATCHED_HEADERS, wrap="reason")
    _sheet(book, "indicators", indicators,
           {"indicator": "indicator", "value": "total", "unit": "unit", "unknown": "unknown", "key": "column"})
    _sheet(book, "about", about, {"item": "item", "value": "value"}, wrap="value")
    book.close()
    return path

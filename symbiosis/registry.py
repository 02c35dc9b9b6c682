"""Read companies and listings from CSV files or a workbook, validate them once, and hold them.

Validation collects every problem (table, row, column, reason) before raising, so a facilitator
can fix a spreadsheet in one pass. After validation the rest of the engine trusts the tables.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from symbiosis.data import read_dataset
from symbiosis.errors import InputError, Problem
from symbiosis.materials import MaterialCatalog, default_catalog, unit_factor
from symbiosis.schema import FALSE_WORDS, TABLES, TRUE_WORDS, Column

#: Row number a person sees for the first data row (the header is row 1).
FIRST_DATA_ROW = 2


@dataclass(frozen=True)
class Registry:
    """Validated companies and listings.

    Attributes
    ----------
    companies
        Indexed by ``company_id``: ``name``, ``nace``, ``lat``, ``lon``, ``municipality``, ...
    listings
        Indexed by ``listing_id``: the input columns (``material`` normalised to its catalog key)
        plus ``quantity_canonical`` (per year, in ``canonical_unit``), ``unit_factor`` (canonical
        per given unit), ``dimension``, ``is_ewc``, and the company's ``lat`` and ``lon``.
    notices
        Things worth telling the user that are not errors (e.g. ignored columns).
    """

    companies: pd.DataFrame
    listings: pd.DataFrame
    notices: list[str] = field(default_factory=list)

    @property
    def offers(self) -> pd.DataFrame:
        return self.listings[self.listings["kind"] == "offer"]

    @property
    def needs(self) -> pd.DataFrame:
        return self.listings[self.listings["kind"] == "need"]


def read_csv_table(path: str | Path) -> pd.DataFrame:
    """Read one CSV file as text cells (nothing is interpreted yet)."""
    path = Path(path)
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError([Problem(str(path), None, None, "file not found")]) from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError([Problem(path.name, None, None, f"cannot be read as CSV: {exc}")]) from None


def read_workbook_tables(path: str | Path) -> dict[str, pd.DataFrame]:
    """Read the ``companies`` and ``listings`` sheets of an .xlsx workbook as text cells."""
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about data validation extensions
            sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InputError([Problem(str(path), None, None, "file not found")]) from None
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise InputError([Problem(path.name, None, None, f"cannot be read as an .xlsx workbook: {exc}")]) from None
    problems = [
        Problem(path.name, None, None, f"has no sheet named {name!r} (sheets: {', '.join(sheets)})")
        for name in TABLES
        if name not in sheets
    ]
    if problems:
        raise InputError(problems)
    return {name: sheets[name] for name in TABLES}


def read_registry(
    *,
    companies: str | Path | None = None,
    listings: str | Path | None = None,
    workbook: str | Path | None = None,
    catalog: MaterialCatalog | None = None,
) -> Registry:
    """Read and validate the input, from two CSV files or one workbook.

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
    return validate_tables(tables["companies"], tables["listings"], labels=labels, catalog=catalog)


class _Checker:
    """Collects problems for one table; rows are given as positional masks or index arrays."""

    def __init__(self, label: str, frame: pd.DataFrame):
        self.label = label
        self.frame = frame
        self.problems: list[Problem] = []

    def add(self, mask: np.ndarray | pd.Series, column: str | None, reason) -> None:
        """Report every row where ``mask`` is true; ``reason`` is a text or a function of the row position."""
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        for pos in positions:
            text = reason(pos) if callable(reason) else reason
            self.problems.append(Problem(self.label, int(pos) + FIRST_DATA_ROW, column, text))

    def table(self, reason: str, column: str | None = None) -> None:
        self.problems.append(Problem(self.label, None, column, reason))


def _clean(frame: pd.DataFrame, columns: tuple[Column, ...], check: _Checker, notices: list[str]) -> pd.DataFrame:
    """Trim cells, add missing optional columns, report missing required and unknown columns."""
    frame = frame.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    known = {c.name for c in columns}
    unknown = [c for c in frame.columns if c not in known and not c.startswith("Unnamed:")]
    if unknown:
        notices.append(f"{check.label}: ignored unknown column(s) {', '.join(map(repr, unknown))}")
    for col in columns:
        if col.name not in frame.columns:
            if col.required:
                check.table("required column is missing", col.name)
            frame[col.name] = ""
    frame = frame[[c.name for c in columns]].astype(object).where(frame[[c.name for c in columns]].notna(), "").astype(str)
    for name in frame.columns:
        frame[name] = frame[name].str.strip()
    if frame.empty:
        check.table("has no data rows")
    for col in columns:
        if col.required:
            check.add(frame[col.name] == "", col.name, "is empty but required")
    return frame


def _parse_floats(frame: pd.DataFrame, column: str, check: _Checker) -> pd.Series:
    text = frame[column]
    values = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    bad = (text != "") & (values.isna() | ~np.isfinite(values.fillna(0)))
    check.add(bad, column, lambda pos: f"{text.iloc[pos]!r} is not a number")
    return values.astype(float)


def _check_unique(frame: pd.DataFrame, column: str, check: _Checker) -> None:
    ids = frame[column]
    duplicated = ids.duplicated(keep="first") & (ids != "")
    if duplicated.any():
        first_pos = {value: pos for pos, value in reversed(list(enumerate(ids)))}
        check.add(
            duplicated, column,
            lambda pos: f"{ids.iloc[pos]!r} is used again (first at row {first_pos[ids.iloc[pos]] + FIRST_DATA_ROW})",
        )


def _check_choice(frame: pd.DataFrame, col: Column, check: _Checker) -> None:
    frame[col.name] = frame[col.name].str.lower()
    bad = (frame[col.name] != "") & ~frame[col.name].isin(col.choices)
    check.add(bad, col.name, lambda pos: f"{frame[col.name].iloc[pos]!r} is not one of {', '.join(col.choices)}")


def _parse_dates(frame: pd.DataFrame, column: str, check: _Checker) -> pd.Series:
    text = frame[column]
    values = pd.to_datetime(text.where(text != ""), format="ISO8601", errors="coerce")
    check.add((text != "") & values.isna(), column, lambda pos: f"{text.iloc[pos]!r} is not a date (YYYY-MM-DD)")
    return values


def _check_yes_no(frame: pd.DataFrame, column: str, check: _Checker) -> None:
    text = frame[column].str.lower()
    check.add(~text.isin(TRUE_WORDS + FALSE_WORDS), column, lambda p: f"{frame[column].iloc[p]!r} is not yes or no")


def _parse_prices(lst: pd.DataFrame, check: _Checker) -> tuple[pd.Series, pd.Series]:
    """A need's purchase price and an offer's disposal cost (negative: revenue), per unit of the listing."""
    price = _parse_floats(lst, "price_eur_per_unit", check)
    disposal = _parse_floats(lst, "disposal_eur_per_unit", check)
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
) -> Registry:
    """Validate raw text tables in the input contract and return a :class:`Registry`.

    Raises
    ------
    InputError
        Listing every problem found in both tables.
    """
    labels = labels or {"companies": "companies", "listings": "listings"}
    catalog = catalog or default_catalog()
    notices: list[str] = []
    cc = _Checker(labels["companies"], companies)
    lc = _Checker(labels["listings"], listings)
    comp = _clean(companies, TABLES["companies"], cc, notices)
    lst = _clean(listings, TABLES["listings"], lc, notices)

    # --- companies ---
    _check_unique(comp, "company_id", cc)
    lat = _parse_floats(comp, "lat", cc)
    lon = _parse_floats(comp, "lon", cc)
    cc.add(lat.notna() & ((lat < -90) | (lat > 90)), "lat", lambda p: f"{lat.iloc[p]} is outside -90..90")
    cc.add(lon.notna() & ((lon < -180) | (lon > 180)), "lon", lambda p: f"{lon.iloc[p]} is outside -180..180")
    nace_codes = set(read_dataset("nace_rev2.csv").query("level in ('2', '3', '4')")["code"])
    cc.add(
        (comp["nace"] != "") & ~comp["nace"].isin(nace_codes), "nace",
        lambda p: f"{comp['nace'].iloc[p]!r} is not a NACE Rev. 2 division, group or class code (e.g. '23.51')",
    )
    comp["lat"], comp["lon"] = lat, lon
    for column in ("port_access", "rail_siding"):
        _check_yes_no(comp, column, cc)

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
    quantity = _parse_floats(lst, "quantity", lc)
    lc.add(quantity.notna() & (quantity <= 0), "quantity", lambda p: f"{quantity.iloc[p]} is not positive")
    max_km = _parse_floats(lst, "max_distance_km", lc)
    lc.add(max_km.notna() & (max_km <= 0), "max_distance_km", lambda p: f"{max_km.iloc[p]} is not positive")
    min_lot = _parse_floats(lst, "min_lot", lc)
    lc.add(min_lot.notna() & (min_lot <= 0), "min_lot", lambda p: f"{min_lot.iloc[p]} is not positive")
    lc.add(
        min_lot.notna() & quantity.notna() & (min_lot > quantity), "min_lot",
        lambda p: f"{min_lot.iloc[p]} is larger than the quantity {quantity.iloc[p]}",
    )
    partners = _parse_floats(lst, "max_partners", lc)
    lc.add(
        partners.notna() & ((partners < 1) | (partners != partners.round())), "max_partners",
        lambda p: f"{lst['max_partners'].iloc[p]!r} is not a whole number of at least 1",
    )
    aon_text = lst["all_or_nothing"].str.lower()
    lc.add(
        ~aon_text.isin(TRUE_WORDS + FALSE_WORDS), "all_or_nothing",
        lambda p: f"{lst['all_or_nothing'].iloc[p]!r} is not yes or no",
    )
    price, disposal = _parse_prices(lst, lc)
    date_from = _parse_dates(lst, "available_from", lc)
    date_to = _parse_dates(lst, "available_to", lc)
    lc.add(
        date_from.notna() & date_to.notna() & (date_from > date_to), "available_to",
        lambda p: f"{lst['available_to'].iloc[p]} is before available_from {lst['available_from'].iloc[p]}",
    )

    # Materials and units: decided once per distinct value, then mapped onto the rows.
    keys: dict[str, str | None] = {}
    reasons: dict[str, str] = {}
    for text in lst["material"].unique():
        if text == "":
            continue
        try:
            keys[text] = catalog.normalise(text)
        except ValueError as exc:
            keys[text] = None
            reasons[text] = str(exc)
    material = lst["material"].map(keys)
    lc.add(
        (lst["material"] != "") & material.isna(), "material",
        lambda p: reasons[lst["material"].iloc[p]],
    )
    factors: dict[tuple[str, str], float | str] = {}
    pairs = pd.DataFrame({"material": material, "unit": lst["unit"]}).dropna()
    pairs = pairs[pairs["unit"] != ""].drop_duplicates()
    for key, unit in pairs.itertuples(index=False):
        try:
            factors[(key, unit)] = unit_factor(unit, catalog.get(key))
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
    lst["all_or_nothing"] = aon_text.isin(TRUE_WORDS)
    lst["price_eur_per_canonical"] = price / lst["unit_factor"]
    lst["disposal_eur_per_canonical"] = disposal / lst["unit_factor"]
    lst["available_from"] = date_from
    lst["available_to"] = date_to
    lst = lst.set_index("listing_id")
    lst = lst.join(comp[["lat", "lon"]], on="company_id")
    return Registry(companies=comp, listings=lst, notices=notices)

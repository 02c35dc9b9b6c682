"""Between database rows and the engine's input contract: text tables validated by validate_tables."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from service.db.models import Company, Listing
from service.db.queries import open_quantity
from symbiosis.directives import Weights, read_weights
from symbiosis.errors import InputError
from symbiosis.registry import Registry, validate_tables
from symbiosis.schema import COMPANY_COLUMNS, LISTING_COLUMNS, Column

#: Listings whose open quantity falls below this share of their quantity are left out of a match.
EXHAUSTED_SHARE = 1e-9
COMPANY_FIELDS = tuple(c.name for c in COMPANY_COLUMNS)
LISTING_FIELDS = tuple(c.name for c in LISTING_COLUMNS)


def to_text(value: Any) -> str:
    """A cell as the input contract reads it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def company_record(company: Company | dict) -> dict[str, str]:
    get = company.get if isinstance(company, dict) else lambda name: getattr(company, name)
    return {name: to_text(get(name)) for name in COMPANY_FIELDS}


def listing_record(listing: Listing | dict) -> dict[str, str]:
    get = listing.get if isinstance(listing, dict) else lambda name: getattr(listing, name)
    return {name: to_text(get(name)) for name in LISTING_FIELDS}


def open_listing_record(record: dict[str, str], quantity: float, quantity_canonical: float,
                        min_lot: float | None, used_canonical: float, partners: int = 0) -> dict[str, str] | None:
    """A listing's record with the quantity active exchanges leave open (``used_canonical`` of its
    canonical quantity is taken), or None when nothing is open; a minimum lot larger than the open
    rest is dropped, so the engine decides without it. ``partners`` active exchanges count against
    its partner limit (the record keeps the partners left; none left: None), and an all-or-nothing
    listing with an exchange is closed (None)."""
    left = open_quantity(quantity, quantity_canonical, used_canonical)
    if left <= quantity * EXHAUSTED_SHARE:
        return None
    if partners > 0 and record.get("all_or_nothing") == "yes":
        return None
    if partners > 0 and record.get("max_partners"):
        remaining = int(float(record["max_partners"])) - partners
        if remaining <= 0:
            return None
        record = {**record, "max_partners": str(remaining)}
    record = {**record, "quantity": to_text(left)}
    if min_lot is not None and "min_lot" in record and min_lot > left:
        record["min_lot"] = ""
    return record


def frame(records: list[dict[str, str]], fields: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(records, columns=list(fields), dtype=str).fillna("")


def _none_if_nan(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and value != value) else value


def validate_company(data: dict[str, Any]) -> dict[str, Any]:
    """Check one company as the engine would; return its typed fields.

    Raises
    ------
    InputError
        Every problem with the company, by field.
    """
    listings = frame([], LISTING_FIELDS)
    try:
        validate_tables(frame([company_record(data)], COMPANY_FIELDS), listings,
                        labels={"companies": "company", "listings": "listings"})
    except InputError as exc:
        problems = [p for p in exc.problems if p.table == "company"]
        if problems:
            raise InputError(problems, location="body") from None
    return {name: data.get(name) for name in COMPANY_FIELDS}


def validate_listing(company: Company, data: dict[str, Any]) -> dict[str, Any]:
    """Check one listing of ``company`` as the engine would; return the fields to store.

    The stored fields add the material's catalog key and the quantity in its canonical unit.

    Raises
    ------
    InputError
        Every problem with the listing, by field.
    """
    try:
        registry = validate_tables(
            frame([company_record(company)], COMPANY_FIELDS), frame([listing_record(data)], LISTING_FIELDS),
            labels={"companies": "company", "listings": "listing"},
        )
    except InputError as exc:
        raise InputError(exc.problems, location="body") from None
    row = registry.listings.iloc[0]
    return stored_listing_fields(row, data)


def _stored(column: Column, value: Any) -> Any:
    """A validated registry cell as its database column holds it (typed by the column spec)."""
    if column.type == "float":
        return _none_if_nan(float(value))
    if column.type == "integer":
        return None if pd.isna(value) else int(value)
    if column.type == "boolean":
        return bool(value)
    if column.type == "date":
        return None if pd.isna(value) else value.date()
    if column.type == "choice":
        return value or None
    return None if value == "" else value


def stored_company_fields(row: pd.Series) -> dict[str, Any]:
    """The columns of a Company row from a validated registry row (indexed by ``company_id``)."""
    return {column.name: row.name if column.name == "company_id" else _stored(column, row[column.name])
            for column in COMPANY_COLUMNS}


def stored_listing_fields(row: pd.Series, data: dict[str, Any]) -> dict[str, Any]:
    """The columns of a Listing row from a validated registry row (typed by the column spec)."""
    fields: dict[str, Any] = {}
    for column in LISTING_COLUMNS:
        name = column.name
        if name == "listing_id":
            fields[name] = row.name
        elif name == "material":
            fields[name] = data.get(name)
        else:
            fields[name] = _stored(column, row[name])
    fields["material_key"] = row["material"]
    fields["quantity_canonical"] = float(row["quantity_canonical"])
    fields["canonical_unit"] = row["canonical_unit"]
    return fields


def registry_from_records(companies: list[dict[str, str]], listings: list[dict[str, str]]) -> Registry:
    """Validate text records (a round's snapshot) into a Registry."""
    return validate_tables(frame(companies, COMPANY_FIELDS), frame(listings, LISTING_FIELDS),
                           labels={"companies": "snapshot companies", "listings": "snapshot listings"})


def weights_of(rows: list[dict[str, Any]]) -> Weights:
    """The engine's weights of a round's weight rows (``kind``, ``name``, ``weight``).

    Raises
    ------
    ValueError
        Naming each bad row (an unknown indicator or material), for a 422 on the round's options.
    """
    table = pd.DataFrame(rows, columns=["kind", "name", "weight"]).astype(str)
    try:
        return read_weights(table)
    except InputError as exc:
        raise ValueError("; ".join(f"weights[{p.row - 2}] {p.column}: {p.reason}" if p.row else p.reason
                                   for p in exc.problems)) from None

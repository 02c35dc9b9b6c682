"""Imports: the same CSV files or workbook as the command line, applied all or nothing."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path, PurePath
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, File, Form, UploadFile
from fastapi.encoders import jsonable_encoder
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import bindparam, insert, select, update

from service.settings import Settings

from service.api.deps import FacilitatorDep, SessionDep, SettingsDep, record
from service.api.records import stored_company_fields, stored_listing_fields
from service.api.schemas.common import column_type
from service.api.schemas.imports import ImportResult
from service.db.models import Company, Listing
from service.db.queries import FIXED_BY_EXCHANGES, fixed_changes, used_quantities
from symbiosis.errors import InputError, Problem
from symbiosis.input_files import SETTINGS_SHEET
from symbiosis.numbers import check_locale
from symbiosis.registry import FIRST_DATA_ROW, read_csv_table, read_workbook_tables, validate_tables
from symbiosis.schema import COMPANY_COLUMNS, LISTING_COLUMNS, TABLES, Column
from symbiosis.spreadsheet import WorkbookLimits, check_workbook

router = APIRouter(prefix="/imports", tags=["imports"])

def _label(upload: UploadFile, fallback: str) -> str:
    """The upload's file name as errors and records name it: its last part, printable characters only
    (no NUL or lone surrogate, which no database stores), at most 100 of them."""
    name = "".join(ch for ch in PurePath(upload.filename or fallback).name if ch.isprintable())[:100]
    return name or fallback


def _save(upload: UploadFile, folder: Path, name: str) -> Path:
    path = folder / name
    with path.open("wb") as out:
        while chunk := upload.file.read(1 << 20):
            out.write(chunk)
    return path


def _relabel(problems: list[Problem], label: str) -> list[Problem]:
    """Name the upload as the client named it, not the temporary file."""
    return [replace(p, table=label) for p in problems]


def workbook_limits(settings: Settings) -> WorkbookLimits:
    """The size limits of an imported workbook, named by the settings that set them."""
    limits = ("max_rows", "max_cells", "max_unzipped_bytes", "time_budget_s")
    return WorkbookLimits(**{name: getattr(settings, f"import_{name}") for name in limits},
                          names={name: f"SYMBIOSIS_IMPORT_{name.upper()}" for name in limits})


def _check_rows(table, label: str, settings: Settings) -> None:
    """Refuse a CSV table with more rows than the limit (header included)."""
    if len(table) + 1 > settings.import_max_rows:
        raise InputError([Problem(label, None, None, f"has {len(table) + 1:,} rows, more than the limit of "
                                  f"{settings.import_max_rows:,} rows (SYMBIOSIS_IMPORT_MAX_ROWS)")], location="file")


#: Ids looked up per query when an import checks which rows exist.
ID_BATCH = 5000


def upsert(session, model, key: str, rows: list[dict]) -> tuple[int, int]:
    """Insert the new rows and update the existing ones in bulk (set-based statements, not an ORM
    object per row); an update raises the row's version, so an editor holding the old version gets a
    409 as after any other change. Return (created, updated)."""
    column = getattr(model, key)
    existing: set[str] = set()
    ids = [row[key] for row in rows]
    for start in range(0, len(ids), ID_BATCH):
        existing.update(session.scalars(select(column).where(column.in_(ids[start:start + ID_BATCH]))))
    new = [row for row in rows if row[key] not in existing]
    old = [row for row in rows if row[key] in existing]
    table = model.__table__
    if new:  # the model's defaults stamp version 1 and the times
        session.execute(insert(table), new)
    if old:  # the version is raised in the statement, so it counts from the row as it is now
        names = [name for name in old[0] if name != key]
        statement = (update(table).where(table.c[key] == bindparam("_key"))
                     .values({**{name: bindparam(name) for name in names}, "version": table.c.version + 1}))
        session.execute(statement, [{**row, "_key": row[key]} for row in old])
    return len(new), len(old)


def _changes_refused(session, listings: pd.DataFrame, label: str, row_of: dict[str, int]) -> list[Problem]:
    """What an import may not change of the listings already stored: the company a listing belongs
    to (as an update through the API cannot either), and, while active exchanges use a listing, its
    kind, material and unit's dimension, or its quantity below what they use."""
    ids = list(listings.index)
    names = ["listing_id", "company_id", *FIXED_BY_EXCHANGES]
    rows = []
    for start in range(0, len(ids), ID_BATCH):
        rows.extend(session.execute(select(*(getattr(Listing, name) for name in names))
                                    .where(Listing.listing_id.in_(ids[start:start + ID_BATCH]))).all())
    stored = pd.DataFrame(rows, columns=names).set_index("listing_id")
    problems = []
    # Whole columns compared at once: an import may update every listing of a region.
    moved = stored.index[stored["company_id"].to_numpy() != listings["company_id"].reindex(stored.index).to_numpy()]
    for lid in moved:
        problems.append(Problem(label, row_of[lid], "company_id",
                                f"listing {lid!r} belongs to company {stored.at[lid, 'company_id']!r}; an import "
                                "cannot move it to another company: give it a new listing_id"))
    used = used_quantities(session, list(stored.index))
    for lid, amount in used.items():  # only the listings active exchanges use: few
        row, before = listings.loc[lid], stored.loc[lid].to_dict()
        after = {"kind": row["kind"], "material_key": row["material"], "canonical_unit": row["canonical_unit"]}
        for word in fixed_changes(before, after):
            problems.append(Problem(label, row_of[lid], word,
                                    f"active exchanges use this listing as {before['kind']} of "
                                    f"{before['material_key']} in {before['canonical_unit']}; end them before "
                                    f"changing its {word}"))
        if row["quantity_canonical"] < amount * (1 - 1e-9):
            problems.append(Problem(label, row_of[lid], "quantity", f"active exchanges already use {amount:g} "
                                    f"{row['canonical_unit']}/yr of this listing"))
    return sorted(problems, key=lambda p: (p.row, p.column))


def geocoder_of(settings: Settings):
    """The geocoder the settings configure, or None (then a company needs its coordinates)."""
    if not settings.geocoder_url:
        return None
    from symbiosis.geocode import Geocoder

    return Geocoder(url=settings.geocoder_url, user_agent=settings.geocoder_user_agent,
                    cache_path=settings.geocoder_cache, min_delay_s=settings.geocoder_min_delay_s)


def unstorable(rows: list[dict], columns: tuple[Column, ...], key: str, label: str,
               row_of: dict[str, int]) -> list[Problem]:
    """The cells of ``rows`` (as they would be stored) that the API's own fields refuse: ids it
    could not put in a web address, text longer than the service stores or holding control
    characters, whole numbers out of range. Each column's distinct values are checked once, against
    the same types the API checks a created company or listing with (and reads a stored one back)."""
    problems = []
    for column in columns:
        check = TypeAdapter(column_type(column) | None)
        bad: dict = {}
        for value in dict.fromkeys(row.get(column.name) for row in rows):
            try:
                check.validate_python(value)
            except ValidationError as exc:
                bad[value] = _reason(column, value, exc.errors()[0])
            except TypeError:  # an unhashable or odd value the types do not know
                bad[value] = "is not a value this field can hold"
        if bad:
            problems.extend(Problem(label, row_of.get(row[key]), column.name, bad[row.get(column.name)])
                            for row in rows if row.get(column.name) in bad)
    return sorted(problems, key=lambda p: (p.row or 0, p.column or ""))


def _reason(column: Column, value, error: dict) -> str:
    """Why the API refuses ``value`` in ``column``, in the words an import's errors use."""
    kind, context = error.get("type"), error.get("ctx") or {}
    if kind == "string_too_long":
        return (f"is {len(str(value).strip()):,} characters long; the service stores at most "
                f"{context.get('max_length'):,} in {column.name}")
    if kind == "string_pattern_mismatch":
        if column.type == "id":
            return (f"{str(value)[:60]!r} cannot be an id here: ids appear in web addresses, so they may not "
                    "hold a slash, whitespace or control characters")
        return "holds a control character (only tabs and line breaks are kept in text)"
    return f"{str(value)[:60]!r}: {error.get('msg', 'not accepted')}"


@router.post("", response_model=ImportResult)
def import_tables(
    session: SessionDep,
    principal: FacilitatorDep,
    settings: SettingsDep,
    companies: Annotated[UploadFile | None, File(description="Companies CSV (with `listings`).")] = None,
    listings: Annotated[UploadFile | None, File(description="Listings CSV (with `companies`).")] = None,
    workbook: Annotated[UploadFile | None, File(description="An .xlsx workbook with sheets companies and listings.")] = None,
    locale: Annotated[str | None, Form(
        description="How numbers typed as text are read: 'da' (1.234,5) or 'en' (1,234.5); blank: from the "
                    "workbook's settings sheet, else detected (a number that reads differently in the two is "
                    "then an error naming both readings).", max_length=10)] = None,
) -> ImportResult:
    """Create or update the companies and listings in the upload: every row, or none if any is bad.

    Every bad row is reported (422) with file or sheet, row, column and reason, as the command line does.
    A workbook is checked before it is parsed: its uncompressed size, each sheet's declared rows and
    cells, then its rows are read against a row and time budget (the ``SYMBIOSIS_IMPORT_*`` settings);
    a workbook or CSV file over a limit is refused (422) naming the limit and its value.
    Companies and listings already stored under the same id are updated.
    """
    try:
        locale = check_locale(locale or None)
    except ValueError as exc:
        raise InputError([Problem("upload", None, "locale", str(exc))], location="body") from None
    if workbook is None and (companies is None or listings is None):
        raise InputError([Problem("upload", None, "companies" if companies is None else "listings",
                                  "upload both companies and listings CSV files, or one workbook")], location="body")
    if workbook is not None and (companies is not None or listings is not None):
        raise InputError([Problem("upload", None, "workbook",
                                  "upload either a workbook or the two CSV files, not both")], location="body")
    with tempfile.TemporaryDirectory(prefix="symbiosis-import-") as folder:
        if workbook is not None:
            label = _label(workbook, "workbook.xlsx")
            path = _save(workbook, Path(folder), "workbook.xlsx")
            try:
                check_workbook(path, workbook_limits(settings), (*TABLES, SETTINGS_SHEET), label=label)
            except InputError as exc:
                raise InputError(exc.problems, location="file") from None
            try:
                tables = read_workbook_tables(path)
            except InputError as exc:
                raise InputError(_relabel(exc.problems, label), location="file") from None
            labels = {name: f"{label} [{name}]" for name in tables}
            for name in TABLES:  # every row is read, whatever a sheet's dimension record claimed
                _check_rows(tables[name], labels[name], settings)
        else:
            labels = {"companies": _label(companies, "companies.csv"), "listings": _label(listings, "listings.csv")}
            tables = {}
            for name, upload in (("companies", companies), ("listings", listings)):
                path = _save(upload, Path(folder), f"{name}.csv")
                try:
                    tables[name] = read_csv_table(path)
                except InputError as exc:
                    raise InputError(_relabel(exc.problems, labels[name]), location="file") from None
                _check_rows(tables[name], labels[name], settings)
    try:
        registry = validate_tables(tables["companies"], tables["listings"], labels=labels, locale=locale,
                                   geocoder=geocoder_of(settings))
    except InputError as exc:
        raise InputError(exc.problems, location="file") from None
    raw = tables["listings"].rename(columns=lambda c: str(c).strip())
    raw_material = dict(zip(raw["listing_id"].astype(str).str.strip(), raw["material"].astype(str).str.strip()))
    row_of = {lid: pos + FIRST_DATA_ROW for pos, lid in enumerate(raw["listing_id"].astype(str).str.strip())}

    problems = _changes_refused(session, registry.listings, labels["listings"], row_of)
    if problems:
        raise InputError(problems, location="file")

    company_rows = [stored_company_fields(row) for _, row in registry.companies.iterrows()]
    listing_rows = [stored_listing_fields(row, {"material": raw_material[listing_id]})
                    for listing_id, row in registry.listings.iterrows()]
    raw_companies = tables["companies"].rename(columns=lambda c: str(c).strip())
    company_row_of = {cid: pos + FIRST_DATA_ROW for pos, cid in enumerate(raw_companies["company_id"].astype(str).str.strip())}
    problems = [*unstorable(company_rows, COMPANY_COLUMNS, "company_id", labels["companies"], company_row_of),
                *unstorable(listing_rows, LISTING_COLUMNS, "listing_id", labels["listings"], row_of)]
    if problems:
        raise InputError(problems, location="file")
    counts = {}
    counts["companies_created"], counts["companies_updated"] = upsert(session, Company, "company_id", company_rows)
    counts["listings_created"], counts["listings_updated"] = upsert(session, Listing, "listing_id", listing_rows)
    record(session, principal, "import", "import", ",".join(labels.values())[:100],
           jsonable_encoder({**counts, "companies": list(registry.companies.index)[:1000],
                             "listings": list(registry.listings.index)[:1000]}))
    session.commit()
    return ImportResult(**counts, notices=list(registry.notices))

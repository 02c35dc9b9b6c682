"""The input contract: every column of the companies and listings tables, kept as data.

Validation, the documentation in the README and the spreadsheet template are all derived from
:data:`COMPANY_COLUMNS` and :data:`LISTING_COLUMNS`, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["id", "text", "float", "integer", "boolean", "date", "choice"]


@dataclass(frozen=True)
class Column:
    """One input column: its name, type, whether it is required, and what it means."""

    name: str
    type: ColumnType
    required: bool
    description: str
    example: str
    choices: tuple[str, ...] = ()


TRANSPORT_MODES: tuple[str, ...] = ("truck", "rail", "ship", "pipeline")
KINDS: tuple[str, ...] = ("offer", "need")

COMPANY_COLUMNS: tuple[Column, ...] = (
    Column("company_id", "id", True, "Unique identifier of the company.", "asnaes"),
    Column("name", "text", True, "Company or site name.", "Asnæs Power Station"),
    Column(
        "nace", "text", True,
        "NACE Rev. 2 activity code: division 23, group 23.5 or class 23.51 (also 2351, or the Danish DB07 code 235100).",
        "35.11",
    ),
    Column("lat", "float", True, "Latitude of the site, WGS84 decimal degrees (-90 to 90); leave lat and lon blank to geocode the address.", "55.6626"),
    Column("lon", "float", True, "Longitude of the site, WGS84 decimal degrees (-180 to 180).", "11.0808"),
    Column("municipality", "text", False, "Municipality of the site.", "Kalundborg"),
    Column("address", "text", False, "Street address of the site; looked up when lat and lon are blank and a geocoder is configured.", "Asnæsvej 16, 4400 Kalundborg"),
    Column("source", "text", False, "Where the company's data comes from.", "symbiosis.dk"),
    Column("note", "text", False, "Free-text remark.", "coordinates approximate"),
)

LISTING_COLUMNS: tuple[Column, ...] = (
    Column("listing_id", "id", True, "Unique identifier of the listing.", "asnaes-gypsum"),
    Column("company_id", "id", True, "The company that offers or needs it (a company_id).", "asnaes"),
    Column(
        "kind", "choice", True,
        "'offer' for a byproduct, residue or surplus; 'need' for an input the company wants.",
        "offer", KINDS,
    ),
    Column(
        "material", "text", True,
        "A European List of Waste code ('10 01 05', '100105' or '10 01 05*') or a material class id "
        "from datasets/materials.csv (e.g. 'steam', 'gypsum').",
        "10 01 05",
    ),
    Column("quantity", "float", True, "Quantity per period, a positive number (text is read in the file's locale, da or en).", "150000"),
    Column(
        "unit", "text", True,
        "Unit of the quantity as a rate, e.g. t/yr, kg/month, m3/yr, MWh/yr, GJ/yr, L/day, t/md, kWh/år.", "t/yr",
    ),
    Column("description", "text", False, "What it is, its quality, its form.", "FGD gypsum, 90 % CaSO4"),
    Column("available_from", "date", False, "First day it is available or needed (YYYY-MM-DD, DD-MM-YYYY or DD.MM.YYYY).", "2026-01-01"),
    Column("available_to", "date", False, "Last day it is available or needed (YYYY-MM-DD, DD-MM-YYYY or DD.MM.YYYY).", "2030-12-31"),
    Column(
        "max_distance_km", "float", False,
        "Largest transport distance this company accepts; tightens the material's own limit.", "50",
    ),
    Column(
        "transport_mode", "choice", False,
        "How it travels: truck, rail, ship or pipeline (default: the compatibility rule's mode).",
        "truck", TRANSPORT_MODES,
    ),
    Column(
        "min_lot", "float", False,
        "Smallest exchange worth a contract, in the listing's unit: an exchange is zero or at least this.", "5000",
    ),
    Column("max_partners", "integer", False, "At most this many exchanges for this listing.", "2"),
    Column(
        "all_or_nothing", "boolean", False,
        "yes: the whole quantity goes to (or comes from) a single partner, or nothing does.", "no",
    ),
    Column("source", "text", False, "Where the listing's data comes from.", "Jacobsen 2006"),
)

#: Words accepted for yes/no cells.
TRUE_WORDS = ("yes", "y", "true", "1", "ja", "x")
FALSE_WORDS = ("no", "n", "false", "0", "nej", "")

TABLES: dict[str, tuple[Column, ...]] = {"companies": COMPANY_COLUMNS, "listings": LISTING_COLUMNS}


def column_names(table: str, *, required_only: bool = False) -> list[str]:
    """Return the column names of ``table`` ('companies' or 'listings')."""
    return [c.name for c in TABLES[table] if c.required or not required_only]

"""The data contract: every column of the input tables and of the result tables, kept as data.

Validation, the documentation in the README and the spreadsheet template are derived from
:data:`COMPANY_COLUMNS` and :data:`LISTING_COLUMNS`; the result files, the planner tables and the
README's output section from :data:`EXCHANGE_FIELDS`, :data:`UNMATCHED_FIELDS` and
:data:`INDICATORS`, so they cannot drift apart.
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
    unit: str = ""


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
    Column(
        "port_access", "boolean", False,
        "yes: the site can load and unload ships (own quay or jetty, or a port terminal without road haulage).",
        "no",
    ),
    Column("rail_siding", "boolean", False, "yes: the site has its own rail siding.", "no"),
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
    Column("quantity", "float", True, "Quantity per period, a positive number, not more than the world's yearly total for its dimension (`datasets/quantity_limits.csv`; text is read in the file's locale, da or en).", "150000"),
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
    Column(
        "price_eur_per_unit", "float", False,
        "For a need: what the company pays today for this input, EUR per unit of the listing's amount "
        "(per t of t/yr or t/md, per MWh of MW; default: datasets/prices.csv).", "",
    ),
    Column(
        "disposal_eur_per_unit", "float", False,
        "For an offer: what the company pays today to get rid of it, EUR per unit of the listing's amount "
        "(per t of t/yr or t/md, per MWh of MW); negative when it earns that much selling it (default: "
        "datasets/prices.csv).", "",
    ),
    Column("source", "text", False, "Where the listing's data comes from.", "Jacobsen 2006"),
)

#: Words accepted for yes/no cells.
#: Danish words for the choices of the input columns, as a facilitator's sheet writes them.
CHOICE_WORDS: dict[str, str] = {
    "udbud": "offer", "tilbud": "offer", "behov": "need", "efterspørgsel": "need",
    "lastbil": "truck", "jernbane": "rail", "tog": "rail", "skib": "ship", "rørledning": "pipeline",
}
TRUE_WORDS = ("yes", "y", "true", "1", "ja", "x")
FALSE_WORDS = ("no", "n", "false", "0", "nej", "")

TABLES: dict[str, tuple[Column, ...]] = {"companies": COMPANY_COLUMNS, "listings": LISTING_COLUMNS}


def column_names(table: str, *, required_only: bool = False) -> list[str]:
    """Return the column names of ``table`` ('companies' or 'listings')."""
    return [c.name for c in TABLES[table] if c.required or not required_only]


# --- results ---------------------------------------------------------------------------------------

#: The five effect indicators, per year, in the order reports show them.
INDICATORS: tuple[str, ...] = ("resource_t", "water_m3", "co2e_t", "energy_mwh", "waste_t")
INDICATOR_LABELS: dict[str, str] = {
    "resource_t": "virgin resource saved (t)",
    "water_m3": "fresh water saved (m3)",
    "co2e_t": "net CO2e avoided (t)",
    "energy_mwh": "energy saved (MWh)",
    "waste_t": "waste diverted (t)",
}
#: Columns summed over exchanges in every total: the indicators, value and transport emissions.
SUMMED: tuple[str, ...] = (*INDICATORS, "value_eur", "transport_co2e_t", "transport_ttw_t", "transport_wtt_t")


def _out(name: str, type_: ColumnType, unit: str, description: str, example: str = "") -> Column:
    return Column(name, type_, True, description, example, unit=unit)


#: One row per proposed exchange (``exchanges.csv``, round proposals, the results workbook).
EXCHANGE_FIELDS: tuple[Column, ...] = (
    _out("offer_id", "id", "", "The offer listing that supplies."),
    _out("need_id", "id", "", "The need listing that receives."),
    _out("supplier_id", "id", "", "The company of the offer."),
    _out("receiver_id", "id", "", "The company of the need."),
    _out("material", "text", "", "The offer's material (EWC code, with its star where the entry is hazardous, or class id)."),
    _out("quantity", "float", "offer unit", "Quantity exchanged per year, in the offer's own unit."),
    _out("unit", "text", "", "The offer's unit."),
    _out("need_material", "text", "", "The need's material class."),
    _out("need_quantity", "float", "need unit", "Quantity the need receives per year after the yield, in its own unit."),
    _out("need_unit", "text", "", "The need's unit."),
    _out("distance_km", "float", "km", "Road or pipe distance: geodesic distance times the mode's detour factor."),
    Column("transport_mode", "choice", True, "How it travels.", "truck", TRANSPORT_MODES),
    _out("transport_co2e_t", "float", "t CO2e/yr", "Transport emissions, well-to-wheel."),
    _out("resource_t", "float", "t/yr", "Virgin resource saved."),
    _out("water_m3", "float", "m3/yr", "Fresh water saved."),
    _out("co2e_t", "float", "t CO2e/yr", "CO2e avoided, net of transport."),
    _out("energy_mwh", "float", "MWh/yr", "Primary energy saved."),
    _out("waste_t", "float", "t/yr", "Waste diverted from landfill or incineration."),
    _out("value_eur", "float", "EUR/yr",
         "Net benefit: both sides' savings less treatment, transport and link costs (empty: unknown)."),
    _out("transport_ttw_t", "float", "t CO2e/yr", "Transport emissions, tank-to-wheel."),
    _out("transport_wtt_t", "float", "t CO2e/yr", "Transport emissions, well-to-tank."),
    _out("rule_id", "text", "", "The compatibility rule that allows the exchange."),
    _out("yield", "float", "need unit per offer unit", "Need units served per offer unit (canonical units)."),
    _out("max_distance_km", "float", "km", "The distance limit that applied."),
    _out("geodesic_km", "float", "km", "WGS84 geodesic distance between the two sites."),
    _out("link_cost_eur", "float", "EUR/yr", "Yearly cost of establishing the exchange (datasets/link_costs.csv)."),
    _out("receiver_saving_eur", "float", "EUR/yr", "What the receiver stops paying for its input (empty: unknown)."),
    _out("supplier_saving_eur", "float", "EUR/yr",
         "What the supplier stops paying for disposal; negative where it gives up a sale (empty: unknown)."),
    _out("treatment_cost_eur", "float", "EUR/yr", "Cost of the treatment step the rule names."),
    _out("transport_cost_eur", "float", "EUR/yr", "Transport cost by the chosen mode."),
    _out("fair_price_min_eur", "float", "EUR per canonical unit of offer (t, m3 or MWh)",
         "Lowest price the receiver can pay the supplier with the supplier still gaining (it bears the costs)."),
    _out("fair_price_max_eur", "float", "EUR per canonical unit of offer", "Highest price with the receiver still gaining."),
    _out("objective_contribution", "float", "objective unit", "What the exchange adds to the objective."),
)
#: One row per listing with nothing exchanged (``unmatched.csv``), indexed by ``listing_id``.
UNMATCHED_FIELDS: tuple[Column, ...] = (
    _out("kind", "choice", "", "offer or need."),
    _out("company_id", "id", "", "The listing's company."),
    _out("material", "text", "", "The listing's material (a hazardous EWC code with its star)."),
    _out("reason", "text", "", "Why nothing was exchanged."),
    _out("nearest_id", "id", "", "The nearest compatible partner listing, if any."),
    _out("nearest_km", "float", "km", "Its distance."),
)
EXCHANGE_COLUMNS: tuple[str, ...] = tuple(c.name for c in EXCHANGE_FIELDS)


def diverted_tonnes(frame) -> object:
    """The quantity the default objective maximises, per row of an exchanges-like table: tonnes of
    waste diverted plus tonnes of virgin resource substituted, fresh water counted at 1 m3 = 1 t
    (``waste_t + resource_t + water_m3``; an unknown indicator adds nothing)."""
    return frame["waste_t"].fillna(0.0) + frame["resource_t"].fillna(0.0) + frame["water_m3"].fillna(0.0)


def markdown_table(columns: tuple[Column, ...], *, result: bool = False) -> str:
    """The README's table of ``columns``: input columns with required, meaning and example; result
    columns (``result=True``) with unit and meaning."""
    if result:
        lines = ["| column | unit | meaning |", "|---|---|---|"]
        lines += [f"| `{c.name}` | {c.unit or '-'} | {c.description} |" for c in columns]
    else:
        lines = ["| column | required | meaning | example |", "|---|---|---|---|"]
        lines += [f"| `{c.name}` | {'yes' if c.required else 'no'} | {c.description} | `{c.example}` |" for c in columns]
    return "\n".join(lines)

"""Types shared by the schemas of every resource: bounded text, strict models, fields from the input
contract, and the flow of a proposal or exchange with its indicators."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from service.db.models import ID_LENGTH, NAME_LENGTH, SHORT_LENGTH
from symbiosis.numbers import parse_number, readings
from symbiosis.schema import Column

#: Longest free text accepted (descriptions, notes, sources).
TEXT_LENGTH = 4000
#: No control characters other than tab and newlines (PostgreSQL rejects NUL in text).
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"
#: Identifiers appear in URLs: no slash, no whitespace, no control characters, and no invisible
#: characters (zero-width spaces, direction overrides, soft hyphens) that would make one id look like another.
ID_PATTERN = r"^[^/\s\x00-\x1f\x7f-\x9f\xad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+$"

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=ID_LENGTH, pattern=ID_PATTERN)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=SHORT_LENGTH, pattern=TEXT_PATTERN)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=NAME_LENGTH, pattern=TEXT_PATTERN)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=TEXT_LENGTH, pattern=TEXT_PATTERN)]


def _number(value: Any) -> Any:
    """A JSON number as it is; text read as the input tables read a cell (``150.000``, which is
    150,000 in Danish and 150 in English notation, is an error naming both readings); true and
    false are no numbers."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    if isinstance(value, str):
        both = readings(value)
        if both.ambiguous:
            raise ValueError(f"{value!r} reads as {both.da:g} in Danish notation and as {both.en:g} in English "
                             "notation; send it as a JSON number, without quotes")
        return parse_number(value, None)
    return value


Number = Annotated[float, Field(allow_inf_nan=False), BeforeValidator(_number)]

TEXT_TYPES = {"name": Name, "material": ShortText, "unit": ShortText, "nace": Annotated[str, StringConstraints(
    strip_whitespace=True, max_length=10, pattern=TEXT_PATTERN)], "municipality": Name}


class Strict(BaseModel):
    """Unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true or false")
    return value


def column_type(column: Column) -> Any:
    """The pydantic type of an input column."""
    if column.type == "id":
        return Id
    if column.type == "float":
        return Number
    if column.type == "integer":  # a whole number (also written 2.0 or "2"); true is not one
        return Annotated[int, Field(ge=0, le=2**31 - 1), BeforeValidator(_not_bool)]
    if column.type == "boolean":
        return bool
    if column.type == "date":
        return date
    if column.type == "choice":
        return Literal[column.choices]  # type: ignore[valid-type]
    return TEXT_TYPES.get(column.name, Text)


def fields_of(columns: tuple[Column, ...], *, exclude: tuple[str, ...] = (), optional: bool = False) -> dict:
    """The pydantic fields of input columns, for ``create_model`` (all optional with ``optional``)."""
    fields = {}
    for column in columns:
        if column.name in exclude:
            continue
        info = Field(description=column.description, examples=[column.example])
        annotation = column_type(column)
        if column.required and not optional:
            fields[column.name] = (annotation, info)
        else:
            fields[column.name] = (annotation | None, Field(None, description=column.description,
                                                           examples=[column.example]))
    return fields


VERSION_FIELD = (int | None, Field(None, ge=1, strict=True, description="The version you edited (or send If-Match)."))
TIMESTAMPS = {"version": (int, ...), "created_at": (datetime, ...), "updated_at": (datetime, ...)}


class Indicators(BaseModel):
    """The effect indicators per year; ``null`` where a factor or price is unknown."""

    resource_t: float | None
    water_m3: float | None
    co2e_t: float | None
    energy_mwh: float | None
    waste_t: float
    value_eur: float | None = Field(description="Net benefit: both sides' savings less treatment, transport and "
                                                "link costs, EUR per year.")
    transport_co2e_t: float


class Economics(BaseModel):
    """What the exchange saves and costs each side per year; ``null`` where a price is unknown."""

    receiver_saving_eur: float | None
    supplier_saving_eur: float | None
    treatment_cost_eur: float | None
    transport_cost_eur: float | None
    link_cost_eur: float | None
    fair_price_min_eur: float | None = Field(description="Lowest price per canonical unit of offer (t, m3 or MWh) at which the supplier gains.")
    fair_price_max_eur: float | None = Field(description="Highest price per canonical unit of offer (t, m3 or MWh) at which the receiver gains.")
    fair_price_unit: str | None = Field(None, description="The canonical unit of the offer the fair prices are per (t, m3 or MWh).")


class FlowPublic(BaseModel):
    """What moves and its effects, without who is involved."""

    model_config = ConfigDict(from_attributes=True)

    material: str
    need_material: str
    quantity: float = Field(description="In the offer's unit.")
    unit: str
    need_quantity: float = Field(description="In the need's unit, after the yield.")
    need_unit: str
    distance_km: float
    transport_mode: str
    indicators: Indicators
    economics: Economics | None = None


def indicators_of(row: Any) -> Indicators:
    """The indicators of a proposal or exchange row."""
    return Indicators(**{name: getattr(row, name) for name in Indicators.model_fields})


def economics_of(row: Any) -> Economics:
    """The economics of a proposal or exchange row, with the unit its fair prices are per (the
    canonical unit of the offered material)."""
    from symbiosis.materials import default_catalog

    unit = None
    material = getattr(row, "material", None)
    if material:
        try:
            unit = default_catalog().get(material).canonical_unit
        except KeyError:
            unit = None
    values = {name: getattr(row, name, None) for name in Economics.model_fields if name != "fair_price_unit"}
    return Economics(**values, fair_price_unit=unit)

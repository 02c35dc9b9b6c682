"""The engine's curated units: rates of mass, volume or energy per period, in English and Danish.

pint does the arithmetic, but a unit string is first split into an amount and a period by this
module, so that what users mean is what the engine computes:

- ``t``, ``ton``, ``tons``, ``tonne`` and ``tonnes`` are the metric tonne (1,000 kg); pint's own
  ``ton`` is the US short ton (907 kg), which no Danish or EU user means.
- A period is one word from :data:`PERIOD_WORDS`, never a prefixed unit: ``t/md`` is tonnes per
  month (Danish "måned"), not tonnes per milli-day as pint alone reads it.
- Danish words are understood: ``ton/år``, ``kWh/år``, ``m3/år``, ``l/dag``, ``kg/uge``,
  ``t pr. måned`` ...
- Anything else (``t/``, ``(t/yr``, an empty cell) raises ``ValueError`` with a reason; no other
  exception escapes.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

import pint

#: Canonical rate units, one per dimension; every quantity inside the engine is one of these.
CANONICAL_UNITS: dict[str, str] = {"mass": "t", "volume": "m3", "energy": "MWh"}
#: The period every canonical quantity refers to.
CANONICAL_PERIOD = "yr"

#: Words for a period, each read as one pint time unit (a year is 365.25 days, a month a twelfth).
PERIOD_WORDS: dict[str, tuple[str, ...]] = {
    "year": ("yr", "yrs", "y", "a", "year", "years", "annum", "år", "aar"),
    "month": ("month", "months", "mo", "mth", "mon", "måned", "måneder", "maaned", "md", "mdr", "mnd"),
    "week": ("wk", "week", "weeks", "uge", "uger"),
    "day": ("d", "day", "days", "dag", "dage", "døgn", "dogn"),
    "hour": ("h", "hr", "hrs", "hour", "hours", "time", "timer"),
    "minute": ("min", "minute", "minutes", "minut", "minutter"),
    "second": ("s", "sec", "second", "seconds", "sekund", "sekunder"),
}
_PERIODS: dict[str, str] = {word: unit for unit, words in PERIOD_WORDS.items() for word in words}

#: Every amount the engine accepts (keys compared without case, except the prefixes of
#: :data:`_PREFIX_CASES`), as pint reads it. A closed list: pint alone would read any prefix on any
#: unit (``mt`` as a millitonne, ``Mg`` as a megagram, ``kL`` as a kilolitre).
AMOUNT_UNITS: dict[str, str] = {
    # mass: the tonne is metric (pint's "ton" is the US short ton)
    "g": "gram", "kg": "kilogram", "kilo": "kilogram", "kilos": "kilogram",
    "t": "tonne", "ton": "tonne", "tons": "tonne", "tonne": "tonne", "tonnes": "tonne", "tonn": "tonne",
    "kt": "kilotonne", "kton": "kilotonne", "kilotonne": "kilotonne", "kilotonnes": "kilotonne",
    # volume
    "l": "liter", "liter": "liter", "litre": "liter", "liters": "liter", "litres": "liter", "ml": "milliliter",
    "hl": "hectoliter", "m3": "meter**3", "m³": "meter**3", "m^3": "meter**3", "m**3": "meter**3",
    "kbm": "meter**3", "kubikmeter": "meter**3", "cbm": "meter**3", "dm3": "liter",
    # energy
    "wh": "watt_hour", "kwh": "kilowatt_hour", "mwh": "megawatt_hour", "gwh": "gigawatt_hour",
    "twh": "terawatt_hour", "j": "joule", "kj": "kilojoule", "mj": "megajoule", "gj": "gigajoule",
    "tj": "terajoule", "pj": "petajoule",
    # power (a rate by itself)
    "w": "watt", "kw": "kilowatt", "mw": "megawatt", "gw": "gigawatt",
}
#: Amounts whose case matters or that are refused as ambiguous.
_CASED_AMOUNTS: dict[str, str] = {"Mt": "megatonne"}
_AMBIGUOUS_AMOUNTS: dict[str, str] = {
    "mt": "'mt' is used both for metric tonnes and (in SI) for millitonnes: write t (or Mt for megatonnes)",
}
#: Normal cubic metres of gas (0 C, 101.325 kPa): a rate of its own dimension, which a material converts
#: to tonnes by its density at normal conditions (``materials.csv``), as gas suppliers quote it.
NORMAL_VOLUME = "normal volume"
_NORMAL_CUBIC_METRES = {"nm3", "nm³", "nm^3", "nm**3", "nm3n"}
#: Amounts whose first letter is a prefix that changes the magnitude with its case (M mega, m milli,
#: P peta, p pico), and why the reading the engine does not take is refused. A capital prefix is
#: mega or peta; a small prefix before a capital letter (``mWh``, ``mW``, ``mJ``, ``pJ``) is the SI
#: milli- or pico-unit. ``ml`` and ``mL`` are millilitres; ``ML`` and ``Ml`` megalitres, which the
#: engine refuses. Written all in small letters (``mwh``, ``mw``), an energy unit is the engine's
#: (mega, peta), as in :data:`AMOUNT_UNITS`.
_PREFIX_CASES: dict[str, tuple[str | None, str | None]] = {
    # key: (reading with a capital prefix, reading with a small prefix before a capital); None: refused
    "ml": (None, "milliliter"),
    "mwh": ("megawatt_hour", None),
    "mw": ("megawatt", None),
    "mj": ("megajoule", None),
    "pj": ("petajoule", None),
}
_PREFIX_REFUSALS: dict[str, str] = {
    "ml": "{word!r} is megalitres in SI, and read as millilitres by some: write the quantity in m3 "
          "(1 ML = 1,000 m3), e.g. m3/yr, or mL for millilitres",
    "mwh": "{word!r} is milliwatt hours in SI: write MWh for megawatt hours (or kWh, Wh)",
    "mw": "{word!r} is milliwatts in SI: write MW for megawatts (or kW, W)",
    "mj": "{word!r} is millijoules in SI: write MJ for megajoules (or kJ, J)",
    "pj": "{word!r} is picojoules in SI: write PJ for petajoules (or TJ, GJ)",
}

#: Common units offered in the template's drop-down (others are still accepted).
COMMON_UNITS: tuple[str, ...] = (
    "t/yr", "t/month", "t/week", "t/day", "kg/yr", "kg/month", "kg/day",
    "m3/yr", "m3/month", "m3/day", "L/day", "MWh/yr", "kWh/yr", "GJ/yr", "MW",
    "t/år", "t/md", "t/uge", "t/dag", "kg/år", "m3/år", "l/dag", "MWh/år", "kWh/år", "GJ/år",
)

_EXPONENT_RE = re.compile(r"(?<=[A-Za-z])([23])(?![0-9])")
_UNIT_WORD_RE = re.compile(r"^[A-Za-z]{1,20}(?:(?:\*\*|\^)?[23])?$")
_ALLOWED_RE = re.compile(r"^[A-Za-z0-9æøåÆØÅ³ .*^]+$")
_PER_RE = re.compile(r"\s+(?:per|pr\.?)\s+|\s*\bpr\.\s*", re.IGNORECASE)


@cache
def unit_registry() -> pint.UnitRegistry:
    """The pint registry underneath ('m3' and 'm2' are read as m**3 and m**2)."""
    return pint.UnitRegistry(preprocessors=[lambda s: _EXPONENT_RE.sub(r"**\1", s)])


def _amount(text: str, unit: str) -> pint.Quantity:
    word = text.strip()
    key = word.lower()
    if word in _CASED_AMOUNTS:
        name = _CASED_AMOUNTS[word]
    elif key in _AMBIGUOUS_AMOUNTS:
        raise ValueError(_AMBIGUOUS_AMOUNTS[key])
    elif key in _PREFIX_CASES and word != key:
        # some letter is a capital: the prefix itself, or a letter after a small prefix
        name = _PREFIX_CASES[key][0 if word[0].isupper() else 1]
        if name is None:
            raise ValueError(_PREFIX_REFUSALS[key].format(word=word))
    else:
        name = AMOUNT_UNITS.get(key)
    if name is None:
        registry = unit_registry()
        known = False
        # pint is asked only about one word (with at most a square or cube): it evaluates
        # expressions, and '9^9^9' would take it longer than anyone waits.
        if _UNIT_WORD_RE.match(word):
            try:
                other = registry.Quantity(1.0, word)
                known = isinstance(other, pint.Quantity) and not other.dimensionless
            except Exception:  # pint raises many types (and SyntaxError, TypeError) for odd text
                known = False
        if known and not any(
            other.is_compatible_with(registry.Quantity(1.0, c)) for c in (*CANONICAL_UNITS.values(), "W")
        ):
            raise ValueError(f"{unit!r} is not a rate of mass, volume or energy (e.g. t/yr, m3/yr, MWh/yr)")
        raise ValueError(
            f"{word!r} is not a unit the engine understands: an amount is one of t, kg, g, kt, m3, L, "
            "MWh, kWh, GJ, MJ ... (or a power: kW, MW), per a period such as yr, år, md, uge, dag"
        )
    return unit_registry().Quantity(1.0, name)


def _period(text: str, unit: str) -> str:
    word = text.strip().rstrip(".").strip()
    if not word:
        raise ValueError(f"{unit!r} has no period after '/': write e.g. t/yr or t/år")
    found = _PERIODS.get(word) or _PERIODS.get(word.lower())
    if found is None:
        raise ValueError(
            f"{word!r} in {unit!r} is not a period the engine knows "
            "(yr, år, month, måned, md, week, uge, day, dag, døgn, h, time)"
        )
    return found


@lru_cache(maxsize=4096)
def parse_rate(unit: str) -> tuple[str, float]:
    """Read a unit of a yearly rate: its dimension and the factor into the canonical unit per year.

    Parameters
    ----------
    unit
        A rate such as ``t/yr``, ``kg/md``, ``kWh/år``, ``l/dag`` or a power such as ``MW``.

    Returns
    -------
    tuple
        ``(dimension, factor)``: ``'mass'``, ``'volume'`` or ``'energy'``, and how many canonical
        units per year (t, m3 or MWh per year) one ``unit`` is; or :data:`NORMAL_VOLUME` and how many
        normal cubic metres per year (``Nm3/yr``, ``Nm3/h``), which only a gas with a density at
        normal conditions converts.

    Raises
    ------
    ValueError
        When the text is no unit, an amount without a period, or a rate of something else.
    """
    text = unit.strip() if isinstance(unit, str) else ""
    if not text:
        raise ValueError("is empty: write a rate such as t/yr or t/år")
    if not _ALLOWED_RE.match(_PER_RE.sub("/", text).replace("/", "")):
        raise ValueError(f"{unit!r} is not a unit the engine understands: write a rate such as t/yr, kg/md or MWh/år")
    parts = _PER_RE.sub("/", text).split("/")
    if len(parts) > 2:
        raise ValueError(f"{unit!r} has more than one '/': write one amount per period, e.g. t/yr")
    registry = unit_registry()
    normal = parts[0].strip().lower() in _NORMAL_CUBIC_METRES
    if normal and len(parts) == 1:
        raise ValueError(f"{unit!r} is an amount, not a rate: write it per period, e.g. 'Nm3/yr'")
    amount = (registry.Quantity(1.0, "meter**3") if normal
              else _amount(parts[0], unit) if parts[0].strip() else None)
    if amount is None:
        raise ValueError(f"{unit!r} has no amount before '/': write e.g. t/yr")
    if len(parts) == 2:
        rate = amount / registry.Quantity(1.0, _period(parts[1], unit))
    else:
        rate = amount
    if normal:  # Nm3 per year, converted to tonnes by the gas's own density (symbiosis.materials.unit_factor)
        return NORMAL_VOLUME, float(rate.to(registry.meter ** 3 / registry.Quantity(1.0, CANONICAL_PERIOD).units).magnitude)
    for dimension, canonical in CANONICAL_UNITS.items():
        target = registry.Quantity(1.0, canonical) / registry.Quantity(1.0, CANONICAL_PERIOD)
        if rate.is_compatible_with(target):
            return dimension, float(rate.to(target.units).magnitude)
    for dimension, canonical in CANONICAL_UNITS.items():
        if rate.is_compatible_with(registry.Quantity(1.0, canonical)):
            raise ValueError(f"{unit!r} is an amount, not a rate: write it per period, e.g. '{canonical}/yr'")
    raise ValueError(f"{unit!r} is not a rate of mass, volume or energy (e.g. t/yr, m3/yr, MWh/yr)")


@lru_cache(maxsize=4096)
def periods_per_year(unit: str) -> float:
    """How many of a rate's periods make a year (``t/md``: 12; ``t/yr``: 1); for a power (``MW``),
    the hours of a year, as its amount is then the energy of an hour (a price per unit of ``MW`` is
    a price per MWh). A price per unit of a rate is per unit of its amount: the rate's canonical
    factor divided by this.

    Raises
    ------
    ValueError
        As :func:`parse_rate`, for text that is no rate.
    """
    parse_rate(unit)  # the same refusals
    text = _PER_RE.sub("/", unit.strip())
    registry = unit_registry()
    year = registry.Quantity(1.0, CANONICAL_PERIOD)
    parts = text.split("/")
    period = registry.Quantity(1.0, _period(parts[1], unit)) if len(parts) == 2 else registry.Quantity(1.0, "hour")
    return float((year / period).to("dimensionless").magnitude)

"""Materials: European List of Waste codes, resource classes, and unit conversion (see :mod:`symbiosis.units`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from symbiosis.data import read_dataset
from symbiosis.errors import DataError
from symbiosis.units import CANONICAL_UNITS, NORMAL_VOLUME, parse_rate

_EWC_RE = re.compile(r"^(\d{2})\s*(\d{2})\s*(\d{2})\s*(\*?)$")


@dataclass(frozen=True)
class Material:
    """A material as the engine knows it: an EWC code or a resource class."""

    key: str  # "10 01 05" for an EWC code, the class id for a class
    is_ewc: bool
    name: str
    dimension: str  # mass, volume or energy
    canonical_unit: str  # t, m3 or MWh (per year)
    density_t_per_m3: float | None
    energy_mwh_per_t: float | None
    hazardous: bool = False
    grade_family: str | None = None  # "water" or "heat" for classes that differ in quality
    grade_rank: int | None = None  # within a family, higher serves lower; None outside a family
    use_rank: int | None = None  # waste-hierarchy rank of using a flow as this class (use_levels.csv)
    normal_density_t_per_nm3: float | None = None  # a gas's density at 0 C and 101.325 kPa, for Nm3


def format_ewc(code: str) -> str:
    """Return a six-digit EWC code written with spaces: '100105' -> '10 01 05'."""
    return f"{code[0:2]} {code[2:4]} {code[4:6]}"


def _name_form(text) -> str:
    """A name as compared: folded case, single spaces."""
    return " ".join(str(text or "").split()).casefold()


def _float_or_none(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


def _normal_density(row) -> float | None:
    """A gas's density at normal conditions in t per Nm3, from ``normal_density_kg_per_nm3`` (optional)."""
    kg = _float_or_none(str(getattr(row, "normal_density_kg_per_nm3", "") or ""))
    if kg is not None and not (math.isfinite(kg) and kg > 0):
        raise DataError(f"materials.csv: class {row.material_id!r} has normal_density_kg_per_nm3 {kg}; "
                        "expected a positive number or blank")
    return None if kg is None else kg / 1000.0


def _grade(row, position: int) -> dict:
    """Read the optional ``grade_family`` and ``grade_rank`` of one materials.csv row."""
    family = str(getattr(row, "grade_family", "") or "").strip()
    rank_text = str(getattr(row, "grade_rank", "") or "").strip()
    where = f"materials.csv row {position + 2} (class {row.material_id!r})"
    if not family and not rank_text:
        return {}
    if not family or not rank_text:
        raise DataError(f"{where}: grade_family and grade_rank must be given together")
    try:
        rank = int(rank_text)
    except ValueError:
        raise DataError(f"{where}: grade_rank {rank_text!r} is not a whole number") from None
    if rank < 1:
        raise DataError(f"{where}: grade_rank must be 1 or more, got {rank}")
    return {"grade_family": family, "grade_rank": rank}


def _use_ranks(levels: pd.DataFrame) -> dict[str, int]:
    """The rank of each use level in ``use_levels.csv`` (higher is preferred by the waste hierarchy)."""
    ranks = {}
    for position, row in enumerate(levels.itertuples(index=False)):
        try:
            ranks[row.use_level.strip()] = int(str(row.rank).strip())
        except ValueError:
            raise DataError(f"use_levels.csv row {position + 2}: rank {row.rank!r} is not a whole number") from None
    return ranks


def _use_rank(row, position: int, ranks: dict[str, int]) -> dict:
    """Read the optional ``use_level`` of one materials.csv row as its rank."""
    level = str(getattr(row, "use_level", "") or "").strip()
    if not level:
        return {}
    if level not in ranks:
        raise DataError(f"materials.csv row {position + 2} (class {row.material_id!r}): use_level {level!r} "
                        f"is not one of use_levels.csv ({', '.join(sorted(ranks))})")
    return {"use_rank": ranks[level]}


class MaterialCatalog:
    """Every material a listing may name, read from ``materials.csv``, ``use_levels.csv`` and ``ewc.csv``."""

    def __init__(self, classes: pd.DataFrame | None = None, ewc: pd.DataFrame | None = None,
                 use_levels: pd.DataFrame | None = None):
        classes = read_dataset("materials.csv") if classes is None else classes
        ewc = read_dataset("ewc.csv") if ewc is None else ewc
        ranks = _use_ranks(read_dataset("use_levels.csv") if use_levels is None else use_levels)
        self.classes: dict[str, Material] = {}
        for position, row in enumerate(classes.itertuples(index=False)):
            if row.dimension not in CANONICAL_UNITS or CANONICAL_UNITS[row.dimension] != row.canonical_unit:
                raise DataError(
                    f"materials.csv: class {row.material_id!r} has dimension {row.dimension!r} and "
                    f"unit {row.canonical_unit!r}; expected one of {CANONICAL_UNITS}"
                )
            self.classes[row.material_id] = Material(
                key=row.material_id,
                is_ewc=False,
                name=row.name,
                dimension=row.dimension,
                canonical_unit=row.canonical_unit,
                density_t_per_m3=_float_or_none(row.density_t_per_m3),
                energy_mwh_per_t=_float_or_none(row.energy_mwh_per_t),
                normal_density_t_per_nm3=_normal_density(row),
                **_grade(row, position),
                **_use_rank(row, position, ranks),
            )
        # A class by its English or Danish name ("Gips", "Process steam"; also the name before a bracket,
        # "Tilslagsmaterialer"), where exactly one class has that name: as a facilitator's sheet writes it.
        named: dict[str, set[str]] = {}
        for row in classes.itertuples(index=False):
            for name in (row.name, getattr(row, "name_da", "") or ""):
                # the whole name, the name before a bracket, and each of two names given as "A / B"
                forms = {_name_form(name), _name_form(str(name).split(" (")[0]),
                         *(_name_form(part) for part in str(name).split(" (")[0].split(" / "))}
                for form in forms:
                    if form:
                        named.setdefault(form, set()).add(row.material_id)
        self.class_names: dict[str, str] = {form: next(iter(ids)) for form, ids in named.items()
                                            if len(ids) == 1 and form not in self.classes}
        self.ewc: dict[str, Material] = {}
        for row in ewc.itertuples(index=False):
            key = format_ewc(row.code)
            self.ewc[key] = Material(
                key=key,
                is_ewc=True,
                name=row.description,
                dimension="mass",
                canonical_unit="t",
                density_t_per_m3=None,
                energy_mwh_per_t=None,
                hazardous=row.is_hazardous.strip().lower() == "true",
            )

    def use_ranks(self, keys: pd.Series) -> np.ndarray:
        """Per key (a class id or EWC code), the waste-hierarchy rank of using a flow as it (0 where none)."""
        codes, uniques = pd.factorize(keys)
        ranks = np.array([float(self.get(k).use_rank or 0) for k in uniques] + [0.0])
        return ranks[codes]

    def get(self, key: str) -> Material:
        """Return the material for a normalised key (see :meth:`normalise`)."""
        return self.classes[key] if key in self.classes else self.ewc[key]

    def shown(self, keys: pd.Series) -> pd.Series:
        """Keys as people read them: a hazardous List of Waste entry with its star (``13 02 05*``),
        so that no result file or explanation hides that a material is hazardous; anything else as
        it is. Works once per distinct key (a categorical column keeps its codes)."""
        def star(key):
            entry = self.ewc.get(key) if isinstance(key, str) else None
            return f"{key}*" if entry is not None and entry.hazardous else key
        if isinstance(keys.dtype, pd.CategoricalDtype):
            renamed = [star(k) for k in keys.cat.categories]
            if len(set(renamed)) == len(renamed):  # else a code is there with and without its star
                return keys.cat.rename_categories(renamed)
            keys = keys.astype(object)
        uniques = keys.dropna().unique()
        if not any(isinstance(k, str) and k in self.ewc and self.ewc[k].hazardous for k in uniques):
            return keys
        return keys.map({k: star(k) for k in uniques})

    def by_name(self, text: str) -> str | None:
        """The class whose English or Danish name ``text`` is (any case and spacing), or None."""
        return self.class_names.get(_name_form(text))

    def normalise(self, text: str) -> str:
        """Return the canonical key of a material as written in a listing.

        Accepts a class id (any case) or an EWC code as ``10 01 05``, ``100105`` or ``10 01 05*``.

        Raises
        ------
        ValueError
            With a reason a person can act on, when the text names no known material.
        """
        cleaned = text.strip()
        if not cleaned:
            raise ValueError("is empty")
        if cleaned.lower() in self.classes:
            return cleaned.lower()
        match = _EWC_RE.match(cleaned)
        if match is None:
            raise ValueError(
                f"{cleaned!r} is neither a European List of Waste code (like '10 01 05') nor a "
                "material class id from datasets/materials.csv"
            )
        key = " ".join(match.group(1, 2, 3))
        if key not in self.ewc:
            raise ValueError(f"{key} is not a code of the European List of Waste")
        if match.group(4) and not self.ewc[key].hazardous:
            raise ValueError(f"{key} is marked hazardous with '*' but the List of Waste entry is not hazardous")
        return key


@cache
def default_catalog() -> MaterialCatalog:
    """The catalog built from the shipped data files."""
    return MaterialCatalog()


@cache
def quantity_limits() -> dict[str, tuple[float, str]]:
    """The most one listing may state per year in each dimension's canonical unit, with the world
    total it stands for (``datasets/quantity_limits.csv``): more is a typing error (a wrong unit or
    digits too many), and would also drown every other listing in the solvers' integer scaling."""
    limits = {}
    for row in read_dataset("quantity_limits.csv").itertuples(index=False):
        if CANONICAL_UNITS.get(row.dimension) != row.canonical_unit:
            raise DataError(f"quantity_limits.csv: dimension {row.dimension!r} with unit {row.canonical_unit!r}; "
                             f"expected one of {CANONICAL_UNITS}")
        value = float(row.max_per_year)
        if not (math.isfinite(value) and value > 0):
            raise DataError(f"quantity_limits.csv: max_per_year {row.max_per_year!r} of {row.dimension!r} "
                             "is not a positive number")
        limits[row.dimension] = (value, row.world_total)
    missing = set(CANONICAL_UNITS) - set(limits)
    if missing:
        raise DataError(f"quantity_limits.csv: no limit for {sorted(missing)}")
    return limits


def unit_factor(unit: str, material: Material) -> float:
    """Return the factor that turns a quantity in ``unit`` into the material's canonical rate.

    Mass, volume and energy convert into each other only where the material has a density
    (t per m3) or an energy content (MWh per t).

    Raises
    ------
    ValueError
        When the unit is unknown, not a rate, or of a dimension the material cannot take.
        Units are read by :func:`symbiosis.units.parse_rate` (metric tonnes, Danish periods).
    """
    given, factor = parse_rate(unit)
    target = material.dimension
    if given == target:
        return factor
    if given == NORMAL_VOLUME:  # normal cubic metres of a gas: to tonnes by its density at normal conditions
        if material.normal_density_t_per_nm3 is None:
            raise ValueError(
                f"{unit!r} is normal cubic metres of gas, converted only for a gas whose density at normal "
                f"conditions materials.csv gives (normal_density_kg_per_nm3); give {material.key!r} "
                f"in {material.canonical_unit}/yr")
        given, factor = "mass", factor * material.normal_density_t_per_nm3
        if given == target:
            return factor
    # Convert through tonnes: volume -> mass by density, energy -> mass by energy content.
    to_tonnes = {"mass": 1.0, "volume": material.density_t_per_m3, "energy": None}
    if material.energy_mwh_per_t:
        to_tonnes["energy"] = 1.0 / material.energy_mwh_per_t
    from_tonnes = {
        "mass": 1.0,
        "volume": 1.0 / material.density_t_per_m3 if material.density_t_per_m3 else None,
        "energy": material.energy_mwh_per_t,
    }
    if to_tonnes[given] is None or from_tonnes[target] is None:
        missing = "density" if "volume" in (given, target) else "energy content"
        way_out = f": give it in {material.canonical_unit}/yr"
        if given == "volume" and target == "energy":  # m3 of a gas to MWh: its calorific value per m3 varies
            way_out = (f" (a volume reaches its energy content only through a known density, and a fuel gas's "
                       f"depends on its mix){way_out}")
        raise ValueError(
            f"{unit!r} is a {given} rate but {material.key!r} is measured in "
            f"{material.canonical_unit}/yr and no {missing} is known for it{way_out}"
        )
    result = factor * to_tonnes[given] * from_tonnes[target]
    if not math.isfinite(result) or result <= 0:
        raise DataError(f"conversion of {unit!r} for {material.key!r} gave {result}")
    return result

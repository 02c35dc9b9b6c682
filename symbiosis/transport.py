"""Transport modes: emission factors, costs and detour factors per mode, read from data."""

from __future__ import annotations

from functools import cache

import pandas as pd

from symbiosis.data import read_dataset
from symbiosis.errors import DataError
from symbiosis.schema import TRANSPORT_MODES

NUMERIC = ("kg_co2e_per_tkm_ttw", "kg_co2e_per_tkm_wtt", "cost_eur_per_tkm", "detour_factor")
#: What a blank cell means: no cited figure exists, so the factor is left out of the totals
#: (0 per tonne-km), or the geodesic distance is used as it is (detour factor 1).
BLANK_MEANS = {"kg_co2e_per_tkm_ttw": 0.0, "kg_co2e_per_tkm_wtt": 0.0, "cost_eur_per_tkm": 0.0, "detour_factor": 1.0}


@cache
def default_transport_modes() -> pd.DataFrame:
    """The transport table indexed by mode (see :func:`read_transport_modes`)."""
    return read_transport_modes(read_dataset("transport_modes.csv"))


def read_transport_modes(table: pd.DataFrame) -> pd.DataFrame:
    """Validate ``transport_modes.csv`` and return it indexed by mode with numeric factors.

    A blank factor means no cited figure exists: see :data:`BLANK_MEANS`.

    Raises
    ------
    DataError
        When a mode is missing or a factor is not a number.
    """
    modes = table.set_index("mode")
    missing = [m for m in TRANSPORT_MODES if m not in modes.index]
    if missing:
        raise DataError(f"transport_modes.csv has no row for mode(s) {missing}")
    modes = modes.copy()
    for column in NUMERIC:
        text = modes[column].astype(str).str.strip()
        values = pd.to_numeric(text.where(text != "", str(BLANK_MEANS[column])), errors="coerce")
        if values.isna().any():
            raise DataError(f"transport_modes.csv: {column} of mode {values.index[values.isna()][0]!r} is not a number")
        modes[column] = values.astype(float)
    if (modes["detour_factor"] < 1).any():
        raise DataError("transport_modes.csv: a detour factor below 1 would make roads shorter than the geodesic")
    return modes


@cache
def default_link_costs() -> pd.DataFrame:
    """Yearly cost of establishing one exchange, by mode (see :func:`read_link_costs`)."""
    return read_link_costs(read_dataset("link_costs.csv"))


def read_link_costs(table: pd.DataFrame) -> pd.DataFrame:
    """Validate ``link_costs.csv``: per mode ``fixed_eur_per_yr`` and ``eur_per_km_per_yr``.

    Raises
    ------
    DataError
        When a mode is missing or a cost is not a non-negative number.
    """
    costs = table.set_index("mode").copy()
    missing = [m for m in TRANSPORT_MODES if m not in costs.index]
    if missing:
        raise DataError(f"link_costs.csv has no row for mode(s) {missing}")
    for column in ("fixed_eur_per_yr", "eur_per_km_per_yr"):
        values = pd.to_numeric(costs[column].astype(str).str.strip().replace("", "0"), errors="coerce")
        if values.isna().any() or (values < 0).any():
            raise DataError(f"link_costs.csv: {column} must be a non-negative number for every mode")
        costs[column] = values.astype(float)
    return costs

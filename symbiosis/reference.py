"""The reference data a match runs on: rules, transport, link costs and prices, shipped or a region's own.

By default every match uses the data files shipped in ``datasets/``. A region (or a published case)
can bring its own versions of any of them in one folder, with the same file names and columns:
``compatibility.csv`` (with ``same_code_reuse.csv``), ``transport_modes.csv``, ``link_costs.csv``
and ``prices.csv``; a file the folder lacks is taken from the shipped data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from symbiosis.economics import PriceBook, default_price_book, read_price_book
from symbiosis.errors import DataError, InputError, Problem
from symbiosis.rules import RuleBook, default_rulebook, read_rulebook
from symbiosis.data import read_dataset
from symbiosis.transport import default_link_costs, default_transport_modes, read_link_costs, read_transport_modes

#: The files a reference folder may hold, each replacing the shipped file of the same name.
REFERENCE_FILES: tuple[str, ...] = (
    "compatibility.csv", "same_code_reuse.csv", "transport_modes.csv", "link_costs.csv", "prices.csv",
)


@dataclass(frozen=True)
class ReferenceData:
    """Rules, transport factors, link costs and prices for one match."""

    rulebook: RuleBook
    transport: pd.DataFrame
    link_costs: pd.DataFrame
    prices: PriceBook
    folder: Path | None = None

    @classmethod
    def shipped(cls) -> ReferenceData:
        """The data files shipped with the engine."""
        return cls(default_rulebook(), default_transport_modes(), default_link_costs(), default_price_book())


def read_reference(folder: str | Path) -> ReferenceData:
    """Reference data from ``folder``: each of :data:`REFERENCE_FILES` it holds replaces the shipped one.

    Raises
    ------
    InputError
        When the folder does not exist, holds none of the files, or a file is invalid (the problem
        names the file): a region's own data is input, checked like the companies and listings.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), None, None, "reference data folder does not exist")])
    present = [name for name in REFERENCE_FILES if (folder / name).is_file()]
    if not present:
        raise InputError([Problem(str(folder), None, None, f"holds none of {', '.join(REFERENCE_FILES)}")])

    def table(name: str) -> pd.DataFrame:
        if name not in present:
            return read_dataset(name)
        try:
            return pd.read_csv(folder / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            raise InputError([Problem(str(folder / name), None, None, f"cannot be read as CSV: {exc}")]) from None

    shipped = ReferenceData.shipped()

    def checked(name: str, read, *args):
        try:
            return read(*args)
        except (DataError, KeyError, ValueError) as exc:
            raise InputError([Problem(str(folder / name), None, None, str(exc))]) from None

    rules = shipped.rulebook
    if "compatibility.csv" in present or "same_code_reuse.csv" in present:
        rules = checked("compatibility.csv", read_rulebook, table("compatibility.csv"), table("same_code_reuse.csv"))
    transport = shipped.transport
    if "transport_modes.csv" in present:
        transport = checked("transport_modes.csv", read_transport_modes, table("transport_modes.csv"))
    links = shipped.link_costs
    if "link_costs.csv" in present:
        links = checked("link_costs.csv", read_link_costs, table("link_costs.csv"))
    prices = shipped.prices
    if "prices.csv" in present:
        prices = checked("prices.csv", read_price_book, table("prices.csv"))
    return ReferenceData(rules, transport, links, prices, folder)

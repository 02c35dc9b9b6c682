"""Disclosure control: what a regional planner may see of single companies and of groups of them.

Every planner-facing figure passes here. A company that consents to planner access is shown as it
is; every other company is shown under a pseudonym, without its name, with rounded coordinates and
rounded figures, and a group figure is shown only when enough non-consenting companies make it up.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analytics.network import NETWORK_SUMMED
from symbiosis.errors import InputError, Problem

#: Significant digits kept of a quantity or indicator a planner sees without the companies' consent.
PRIVACY_SIGNIFICANT_DIGITS = 1
#: Decimals of a degree kept of a non-consenting company's coordinates (0.01 degree is about 1 km).
PRIVACY_COORDINATE_DECIMALS = 2


def round_significant(values, digits: int = PRIVACY_SIGNIFICANT_DIGITS) -> np.ndarray:
    """Round to ``digits`` significant digits (153,000 -> 200,000 with one digit; 0 stays 0)."""
    values = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = np.floor(np.log10(np.abs(values)))
    magnitude = np.where(np.isfinite(magnitude), magnitude, 0.0)
    step = 10.0 ** (magnitude - digits + 1)
    # Divide by steps of 1, 10, 100 ... and multiply by those below 1: exact for whole numbers.
    rounded = np.where(step >= 1, np.round(values / step) * step, np.round(values * (1 / step)) / (1 / step))
    return np.where(values == 0, 0.0, rounded)


@dataclass(frozen=True)
class Privacy:
    """What a viewer may see of single companies.

    Companies in ``consenting`` are shown as they are. Every other company gets a pseudonym
    (``n1``, ``n2``, ... in the order of a hash of its id, so the numbering does not follow the
    alphabet), no name, and coordinates rounded to ``coordinate_decimals``; an exchange's
    quantities and indicators are rounded to ``significant_digits`` unless both sides consent.
    """

    consenting: frozenset[str] = frozenset()
    significant_digits: int = PRIVACY_SIGNIFICANT_DIGITS
    coordinate_decimals: int = PRIVACY_COORDINATE_DECIMALS

    def pseudonyms(self, company_ids) -> dict[str, str]:
        """The id each company is shown as."""
        hidden = sorted({str(c) for c in company_ids} - set(self.consenting),
                        key=lambda c: hashlib.sha256(c.encode("utf-8")).hexdigest())
        shown = {c: c for c in company_ids if c in self.consenting}
        shown.update({c: f"n{i}" for i, c in enumerate(hidden, start=1)})
        return shown

    def rounded(self, value: float) -> float:
        """One figure rounded to :attr:`significant_digits`."""
        return float(round_significant([value], self.significant_digits)[0])

    def rounded_figures(self, figures: dict[str, float]) -> dict[str, float]:
        """Named figures, each rounded to :attr:`significant_digits`."""
        return {k: self.rounded(v) for k, v in figures.items()}


def real_company_ids(ids: list[str], company_ids, privacy: Privacy | None, field: str) -> list[str]:
    """Company ids from what a viewer saw: under ``privacy`` companies are named as they are shown
    (``n3``, or the id of a consenting company).

    Raises
    ------
    InputError
        Naming ``field`` and the first name that is not in the network.
    """
    if privacy is None:
        return ids
    back = {shown: real for real, shown in privacy.pseudonyms(company_ids).items()}
    unknown = [i for i in ids if i not in back]
    if unknown:
        raise InputError([Problem("request", None, field, f"company {unknown[0]!r} is not in the network (name "
                                  "companies as the network shows them, e.g. n3)")])
    return [back[i] for i in ids]


def private_nodes(nodes: pd.DataFrame, privacy: Privacy) -> pd.DataFrame:
    """Company rows (indexed by ``company_id``) as a viewer under ``privacy`` may see them."""
    table = nodes.copy()
    names = privacy.pseudonyms(table.index)
    hidden = ~table.index.isin(list(privacy.consenting))
    if "name" in table:
        table["name"] = table["name"].astype(object).where(~hidden, None)
    for column in ("lat", "lon"):
        if column in table:
            table.loc[hidden, column] = table.loc[hidden, column].astype(float).round(privacy.coordinate_decimals)
    table.index = pd.Index([names[c] for c in table.index], name=table.index.name)
    return table


def private_exchanges(exchanges: pd.DataFrame, privacy: Privacy, company_ids) -> pd.DataFrame:
    """Exchange (or edge) rows with ``supplier_id``/``receiver_id`` as a viewer under ``privacy``
    may see them: pseudonyms, no listing ids, and rounded figures unless both sides consent."""
    table = exchanges.copy()
    names = privacy.pseudonyms(company_ids)
    both = table["supplier_id"].isin(privacy.consenting) & table["receiver_id"].isin(privacy.consenting)
    for column in ("offer_id", "need_id"):
        if column in table:
            table[column] = table[column].astype(object).where(both, None)
    numeric = [c for c in (*NETWORK_SUMMED, "quantity", "quantity_canonical", "need_quantity", "need_quantity_canonical",
                           "value_eur", "transport_ttw_t", "transport_wtt_t", "objective_contribution")
               if c in table]
    for column in numeric:
        rounded = round_significant(table[column].to_numpy(dtype=float), privacy.significant_digits)
        table[column] = np.where(both, table[column].to_numpy(dtype=float), rounded)
    table["supplier_id"] = table["supplier_id"].map(names)
    table["receiver_id"] = table["receiver_id"].map(names)
    return table


def disclosable(companies: set[str], consenting: set[str], minimum: int) -> bool:
    """Whether a planner may see a figure made of these companies' data.

    Companies that consent to planner access are always fine; the others must be at least
    ``minimum`` in number, so no single company's figure can be read or subtracted out.
    """
    others = companies - consenting
    return not others or len(others) >= minimum


def suppress_groups(table: pd.DataFrame, groups: dict[Any, set[str]], privacy: Privacy | None, minimum: int,
                    figures: list[str]) -> pd.DataFrame:
    """A copy of a table of group figures with a ``suppressed`` column: under ``privacy``, the
    ``figures`` of a group (a row of ``table``, keyed as in ``groups``) are blanked unless the group's
    companies are :func:`disclosable`; without ``privacy`` nothing is suppressed."""
    table = table.copy()
    table["suppressed"] = False
    if privacy is None:
        return table
    consenting = set(privacy.consenting)
    for key, members in groups.items():
        if not disclosable(members, consenting, minimum):
            table.loc[key, "suppressed"] = True
            table.loc[key, figures] = None
    return table


def private_ranking(table: pd.DataFrame, privacy: Privacy) -> pd.DataFrame:
    """Per-company rows (indexed by ``company_id``, such as the keystone ranking) as a viewer under
    ``privacy`` may see them: tonnes and summed figures of non-consenting companies rounded, pseudonyms."""
    table = table.copy()
    hidden = ~table.index.isin(list(privacy.consenting))
    for column in [c for c in table.columns if c.endswith("_t") or c in NETWORK_SUMMED]:
        table.loc[hidden, column] = round_significant(table.loc[hidden, column].to_numpy(dtype=float),
                                                      privacy.significant_digits)
    names = privacy.pseudonyms(table.index)
    table.index = pd.Index([names[c] for c in table.index], name="company_id")
    return table

"""Disclosure control: what a regional planner may see of single companies and of groups of them.

Every planner-facing figure passes here, in the service and in the exports. A company that consents
to planner access is shown as it is; every other company is shown under a pseudonym, without its
name, at the centre of a grid cell instead of its site, with rounded figures (rounded after summing:
a company's or an edge's figures are summed exactly, then rounded). A group figure is shown only
when at least ``min_companies`` non-consenting companies make it up and none of them more than
``max_share`` of it (primary suppression), and
further groups are withheld until the withheld groups together are that large (complementary
suppression), so that no total minus the shown groups gives a small group's figure. Totals before
and after a change (resilience, scenarios) are rounded and their change is computed from the rounded
figures, so that no subtraction gives an exact figure.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from analytics.network import NETWORK_SUMMED
from symbiosis.errors import InputError, Problem

#: Significant digits kept of a quantity or indicator a planner sees without the companies' consent.
PRIVACY_SIGNIFICANT_DIGITS = 1
#: Size of the grid cells (in decimals of a degree: 2 is 0.01 degree, about 1 km) whose centres stand
#: for a non-consenting company's site and for a processor site shown to a planner.
PRIVACY_COORDINATE_DECIMALS = 2
#: Fewest non-consenting companies a group figure is made of before a planner sees it (the service
#: sets it from ``SYMBIOSIS_PLANNER_MIN_COMPANIES``).
PRIVACY_MIN_COMPANIES = 3
#: Largest share of a group figure that one non-consenting company may make up before a planner is
#: refused the figure (a (1, k) dominance rule, k = 85 %; the service sets it from
#: ``SYMBIOSIS_PLANNER_MAX_SHARE``). An exchange counts for both its companies, so a supplier that
#: takes part in every exchange of a group makes up all of it, however many receivers there are.
PRIVACY_MAX_SHARE = 0.85
#: Per-company columns that are sums of exchange figures, rounded for non-consenting companies.
COMPANY_SUMMED: tuple[str, ...] = (*NETWORK_SUMMED, "weighted_degree", "quantity", "value_eur")
#: Exchange and edge columns rounded unless both sides consent (distances included).
EXCHANGE_FIGURES: tuple[str, ...] = (*NETWORK_SUMMED, "quantity", "quantity_canonical", "need_quantity",
                                     "need_quantity_canonical", "value_eur", "transport_ttw_t", "transport_wtt_t",
                                     "objective_contribution", "distance_km")


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


def snap_to_grid(values, decimals: int = PRIVACY_COORDINATE_DECIMALS) -> np.ndarray:
    """The centre of the grid cell (``10**-decimals`` degrees wide) each coordinate lies in.

    55.6626 -> 55.665 with two decimals: never a site's own coordinates unless the site lies
    exactly on a cell centre."""
    values = np.asarray(values, dtype=float)
    scale = 10.0 ** decimals
    return np.round((np.floor(values * scale) + 0.5) / scale, decimals + 1)


def _clean(value: float) -> float:
    """A difference of rounded figures without floating-point noise (0.03 - 0.01 is 0.02)."""
    return float(f"{value:.12g}")


@dataclass(frozen=True)
class Privacy:
    """What a viewer may see of single companies and groups of them.

    Companies in ``consenting`` are shown as they are. Every other company gets a pseudonym
    (``n1``, ``n2``, ... in the order of a hash of its id, so the numbering does not follow the
    alphabet), no name, and the centre of its grid cell (``coordinate_decimals``) as its site; its
    summed figures and an exchange's quantities, indicators and distance are rounded to
    ``significant_digits`` unless both sides consent. A group figure needs ``min_companies``
    non-consenting companies, none of which makes up more than ``max_share`` of it.
    """

    consenting: frozenset[str] = frozenset()
    significant_digits: int = PRIVACY_SIGNIFICANT_DIGITS
    coordinate_decimals: int = PRIVACY_COORDINATE_DECIMALS
    min_companies: int = PRIVACY_MIN_COMPANIES
    max_share: float = PRIVACY_MAX_SHARE

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

    def rounded_figures(self, figures: dict[str, float | None]) -> dict[str, float | None]:
        """Named figures, each rounded to :attr:`significant_digits` (None, unknown, stays None)."""
        return {k: None if v is None else self.rounded(v) for k, v in figures.items()}

    def point(self, lat: float, lon: float) -> tuple[float, float]:
        """A site as a viewer sees it: the centre of its grid cell."""
        return float(snap_to_grid(lat, self.coordinate_decimals)), float(snap_to_grid(lon, self.coordinate_decimals))

    def all_consent(self, company_ids) -> bool:
        """Whether every one of these companies consents (then their figures are shown exact)."""
        return {str(c) for c in company_ids} <= set(self.consenting)

    def disclosable(self, company_ids) -> bool:
        """Whether a figure made of these companies' data may be shown (see :func:`disclosable`)."""
        return disclosable({str(c) for c in company_ids}, set(self.consenting), self.min_companies)


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


def exact_companies(graph: nx.Graph | None, privacy: Privacy) -> frozenset[str]:
    """Companies whose summed figures (weighted degree, keystone tonnes) a viewer may see exact: those
    whose whole cluster of the company ``graph`` consents. A consenting company's sums over exchanges
    with a non-consenting partner (or, by knock-on, of a non-consenting company) are rounded too,
    otherwise its sum minus its exact exchanges would give that partner's. Without a graph: none."""
    if graph is None:
        return frozenset()
    consenting = set(privacy.consenting)
    return frozenset(c for component in nx.connected_components(graph) if set(component) <= consenting
                     for c in component)


def _round_company_figures(table: pd.DataFrame, hidden: np.ndarray, privacy: Privacy) -> None:
    """Round, in place, the summed figures (tonnes, indicators, weighted degree) of the ``hidden`` rows."""
    for column in [c for c in table.columns if isinstance(c, str) and (c.endswith("_t") or c in COMPANY_SUMMED)]:
        values = pd.to_numeric(table.loc[hidden, column], errors="coerce").to_numpy(dtype=float)
        table[column] = table[column].astype(float)
        table.loc[hidden, column] = round_significant(values, privacy.significant_digits)


def private_nodes(nodes: pd.DataFrame, privacy: Privacy, graph: nx.Graph | None = None) -> pd.DataFrame:
    """Company rows (indexed by ``company_id``) as a viewer under ``privacy`` may see them: for a
    non-consenting company a pseudonym, no name and its grid cell's centre; summed figures
    (``weighted_degree``, tonnes, indicators) rounded after summing except for
    :func:`exact_companies` of ``graph``."""
    table = nodes.copy()
    names = privacy.pseudonyms(table.index)
    hidden = ~table.index.isin(list(privacy.consenting))
    if "name" in table:
        table["name"] = table["name"].astype(object).where(~hidden, None)
    for column in ("lat", "lon"):
        if column in table:
            table[column] = table[column].astype(float)
            table.loc[hidden, column] = snap_to_grid(table.loc[hidden, column].to_numpy(dtype=float),
                                                     privacy.coordinate_decimals)
    _round_company_figures(table, ~table.index.isin(list(exact_companies(graph, privacy))), privacy)
    table.index = pd.Index([names[c] for c in table.index], name=table.index.name)
    return table


def private_exchanges(exchanges: pd.DataFrame, privacy: Privacy, company_ids) -> pd.DataFrame:
    """Exchange (or edge) rows with ``supplier_id``/``receiver_id`` as a viewer under ``privacy``
    may see them: pseudonyms, no listing ids, and rounded figures and distances unless both sides consent."""
    table = exchanges.copy()
    names = privacy.pseudonyms(company_ids)
    both = table["supplier_id"].isin(privacy.consenting) & table["receiver_id"].isin(privacy.consenting)
    for column in ("offer_id", "need_id"):
        if column in table:
            table[column] = table[column].astype(object).where(both, None)
    for column in [c for c in EXCHANGE_FIGURES if c in table]:
        rounded = round_significant(table[column].to_numpy(dtype=float), privacy.significant_digits)
        table[column] = np.where(both, table[column].to_numpy(dtype=float), rounded)
    table["supplier_id"] = table["supplier_id"].map(names)
    table["receiver_id"] = table["receiver_id"].map(names)
    return table


def private_ranking(table: pd.DataFrame, privacy: Privacy, graph: nx.Graph | None = None) -> pd.DataFrame:
    """Per-company rows (indexed by ``company_id``, such as the keystone ranking) as a viewer under
    ``privacy`` may see them: pseudonyms, and tonnes and summed figures rounded except for
    :func:`exact_companies` of ``graph``."""
    table = table.copy()
    _round_company_figures(table, ~table.index.isin(list(exact_companies(graph, privacy))), privacy)
    names = privacy.pseudonyms(table.index)
    table.index = pd.Index([names[c] for c in table.index], name="company_id")
    return table


def disclosable(companies: set[str], consenting: set[str], minimum: int) -> bool:
    """Whether a planner may see a figure made of these companies' data.

    Companies that consent to planner access are always fine; the others must be at least
    ``minimum`` in number, so no single company's figure can be read or subtracted out.
    """
    others = companies - consenting
    return not others or len(others) >= minimum


@dataclass(frozen=True)
class Suppression:
    """Which groups of a table a viewer may not see, and whether the table's total may be shown.

    Attributes
    ----------
    primary
        Groups made of too few non-consenting companies.
    complementary
        Further groups withheld so that the withheld groups together are made of enough companies:
        otherwise the total (or the same total from another grouping) minus the shown groups would
        give a small group's figure.
    total_shown
        Whether the total over all groups may be shown: false when even all groups together are
        too few companies.
    """

    primary: frozenset = frozenset()
    complementary: frozenset = frozenset()
    total_shown: bool = True

    @property
    def hidden(self) -> frozenset:
        return self.primary | self.complementary


def suppression(groups: dict[Any, set[str]], privacy: Privacy | None, size: dict[Any, float] | None = None,
                contributions: dict[Any, dict[str, float]] | None = None) -> Suppression:
    """Primary and complementary suppression of group figures.

    A group is withheld when its companies are not :meth:`Privacy.disclosable`, or when one
    non-consenting company makes up more than :attr:`Privacy.max_share` of its ``size``
    (``contributions``: per group, each company's part of that size; an exchange counts in full for
    both its companies). While the withheld groups together are not disclosable, the smallest shown
    group that brings in a further non-consenting company (fewest non-consenting companies, then
    smallest ``size``, then key) is withheld too; while one company makes up too much of them, the
    smallest shown group that lowers its share; so one withheld group always brings a second. When
    no such group is left, the total is not shown either. Groups of consenting companies alone are
    never withheld.
    """
    if privacy is None:
        return Suppression()
    consenting = set(privacy.consenting)
    sizes = size or {}

    def top_share(keys) -> tuple[str | None, float]:
        """The non-consenting company with the largest part of the groups ``keys`` together, and its share."""
        if contributions is None:
            return None, 0.0
        total = sum(abs(sizes.get(k, 0.0)) for k in keys)
        parts: dict[str, float] = {}
        for k in keys:
            for company, part in contributions.get(k, {}).items():
                if company not in consenting:
                    parts[company] = parts.get(company, 0.0) + abs(part)
        if total <= 0 or not parts:
            return None, 0.0
        company = max(parts, key=lambda c: (parts[c], c))
        return company, parts[company] / total

    primary = {key for key, members in groups.items()
               if not privacy.disclosable(members) or top_share([key])[1] > privacy.max_share}
    hidden = set(primary)
    while hidden:
        together = set().union(*(groups[key] for key in hidden))
        dominant, share = top_share(hidden)
        if privacy.disclosable(together) and share <= privacy.max_share:
            break
        if not privacy.disclosable(together):
            helpful = [key for key in groups if key not in hidden and groups[key] - consenting - together]
        else:  # enough companies, but one makes up too much: groups it has a smaller part of
            helpful = [key for key in groups if key not in hidden and top_share([*hidden, key])[1] < share]
        if not helpful:
            return Suppression(frozenset(primary), frozenset(hidden - primary), total_shown=False)
        hidden.add(min(helpful, key=lambda k: (len(groups[k] - consenting), sizes.get(k, 0.0), str(k))))
    return Suppression(frozenset(primary), frozenset(hidden - primary), total_shown=True)


def exchange_contributions(exchanges: pd.DataFrame, key: pd.Series, figure: pd.Series) -> dict[Any, dict[str, float]]:
    """Per group (``key`` of each exchange), each company's part of the group's ``figure``: the
    figure of every exchange it takes part in, as supplier or as receiver."""
    table = pd.DataFrame({"key": key.to_numpy(), "figure": pd.to_numeric(figure, errors="coerce").fillna(0.0).abs()
                          .to_numpy(), "supplier": exchanges["supplier_id"].astype(str).to_numpy(),
                          "receiver": exchanges["receiver_id"].astype(str).to_numpy()})
    parts = pd.concat([table.groupby(["key", side])["figure"].sum().rename_axis(["key", "company"])
                       for side in ("supplier", "receiver")]).groupby(level=[0, 1]).sum()
    found: dict[Any, dict[str, float]] = {}
    for (k, company), value in parts.items():
        found.setdefault(k, {})[company] = float(value)
    return found


def listing_contributions(listings: pd.DataFrame, keys: list[str], figure: str) -> dict[Any, dict[str, float]]:
    """Per group of listings (by the columns ``keys``), each company's part of the group's ``figure``."""
    parts = listings.groupby([*keys, "company_id"])[figure].sum()
    found: dict[Any, dict[str, float]] = {}
    for index, value in parts.items():
        k = index[:-1] if len(keys) > 1 else index[0]
        found.setdefault(k, {})[str(index[-1])] = abs(float(value))
    return found


def suppress_groups(table: pd.DataFrame, groups: dict[Any, set[str]], privacy: Privacy | None,
                    figures: list[str], size: str | None = None,
                    contributions: dict[Any, dict[str, float]] | None = None) -> pd.DataFrame:
    """A copy of a table of group figures (rows keyed as in ``groups``) with a ``suppressed`` column:
    under ``privacy`` the ``figures`` of the groups :func:`suppression` withholds (by the ``size``
    column for the complementary choice and, with ``contributions`` of it, for a company that makes
    up too much of a group) are blanked; without ``privacy`` nothing is suppressed."""
    table = table.astype(object)
    table["suppressed"] = False
    sizes = None
    if size is not None:
        sizes = {key: abs(float(table.loc[key, size])) for key in groups if key in table.index}
    counts = [c for c in COUNT_COLUMNS if c in table.columns and c not in figures]  # a withheld group shows none
    for key in suppression(groups, privacy, sizes, contributions).hidden:
        table.loc[key, "suppressed"] = True
        table.loc[key, [*figures, *counts]] = None
    return table


#: Counts of a group (how many listings, companies or offers make it up) that a withheld group does not
#: show either: "1 company" says who it is to anyone who knows the area.
COUNT_COLUMNS = ("listings", "companies", "offers", "needs", "offer_count", "exchanges")


def private_totals(before: dict[str, float], after: dict[str, float], privacy: Privacy
                   ) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Totals before and after a change as a viewer may see them, and the change between them.

    Both totals are rounded (after summing) and the change is the difference of the rounded totals,
    so no arithmetic on the shown figures gives an exact one."""
    before, after = privacy.rounded_figures(before), privacy.rounded_figures(after)
    return before, after, {k: None if after[k] is None or before[k] is None else _clean(after[k] - before[k])
                           for k in before}


def private_resilience(figures: dict[str, Any], privacy: Privacy) -> dict[str, Any]:
    """A resilience report's figures (``before``, ``after``, ``lost``, ...) as a viewer may see them:
    every total rounded, and the change, the regained tonnes and the recovery computed from the
    rounded totals (so before, after and recovery give no exact lost figure)."""
    before, after, change = private_totals(figures["before"], figures["after"], privacy)
    lost = privacy.rounded_figures(figures["lost"])
    lost_t = lost["diverted_t"]
    regained = _clean(after["diverted_t"] - (before["diverted_t"] - lost_t))
    recovery = _clean(regained / lost_t) if lost_t > 0 else None
    return {"before": before, "after": after, "change": change, "lost": lost, "lost_diverted_t": lost_t,
            "regained_diverted_t": regained, "recovery": recovery}

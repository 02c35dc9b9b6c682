"""Indicator sums: per municipality, branch or material, and the totals that scenarios and resilience compare."""

from __future__ import annotations

import pandas as pd

from analytics.branches import nace_branch
from analytics.network import NETWORK_SUMMED, prepare_exchanges
from symbiosis.errors import AnalyticsError
from symbiosis.impacts import total_indicators
from symbiosis.schema import INDICATORS, diverted_tonnes

#: Groupings :func:`aggregate_indicators` knows.
AGGREGATE_BY: tuple[str, ...] = ("municipality", "branch", "material")
#: The figures a scenario or resilience report compares, in report order.
METRICS: tuple[str, ...] = ("exchanges", "diverted_t", *INDICATORS, "transport_co2e_t", "value_eur")


def _check_grouping(by: str, side: str) -> None:
    if by not in AGGREGATE_BY:
        raise AnalyticsError(f"cannot aggregate by {by!r}: choose one of {', '.join(AGGREGATE_BY)}")
    if side not in ("supplier", "receiver"):
        raise AnalyticsError(f"side must be 'supplier' or 'receiver', not {side!r}")


def _group_keys(ex: pd.DataFrame, companies: pd.DataFrame, by: str, side: str) -> pd.Series:
    """The group of each exchange: its material, or the municipality or branch of the company on ``side``."""
    owner = ex[f"{side}_id"]
    if by == "material":
        key = ex["material"]
    elif by == "branch":
        key = owner.map(nace_branch(companies["nace"]))
    else:
        key = owner.map(companies["municipality"])
    return key.fillna("").astype(str)


def group_companies(
    exchanges: pd.DataFrame, companies: pd.DataFrame, by: str, side: str = "supplier"
) -> dict[str, set[str]]:
    """The companies (suppliers and receivers) whose exchanges make up each group of
    :func:`aggregate_indicators` with the same ``by`` and ``side``."""
    _check_grouping(by, side)
    key = _group_keys(exchanges, companies, by, side)
    return {k: set(g["supplier_id"]) | set(g["receiver_id"]) for k, g in exchanges.assign(_key=key).groupby("_key")}


def group_contributions(
    exchanges: pd.DataFrame, companies: pd.DataFrame, by: str, side: str = "supplier"
) -> dict[str, dict[str, float]]:
    """Per group of :func:`aggregate_indicators` with the same ``by`` and ``side``, each company's
    part of the group's diverted tonnes: those of every exchange it takes part in (so a supplier
    in every exchange of a group makes up all of it)."""
    from analytics.disclosure import exchange_contributions

    _check_grouping(by, side)
    ex = prepare_exchanges(exchanges)
    if ex.empty:
        return {}
    return exchange_contributions(ex, _group_keys(ex, companies, by, side), ex["diverted_t"])


def aggregate_indicators(
    exchanges: pd.DataFrame, companies: pd.DataFrame, by: str, side: str = "supplier"
) -> pd.DataFrame:
    """The five indicators, transport emissions and diverted tonnes summed per group.

    Parameters
    ----------
    by
        ``municipality`` or ``branch`` (of the company on ``side``), or ``material`` (offered).
    side
        ``supplier`` (where the byproduct arises, the default) or ``receiver``: whose municipality
        or branch an exchange counts for. Each exchange counts for exactly one group.

    Returns
    -------
    DataFrame
        Indexed by the group, with ``exchanges``, ``companies`` (distinct suppliers and receivers
        involved) and the summed columns; sorted by ``diverted_t``.
    """
    _check_grouping(by, side)
    ex = prepare_exchanges(exchanges)
    key = _group_keys(ex, companies, by, side)
    columns = ["exchanges", "companies", *NETWORK_SUMMED]
    if ex.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name=by))
    grouped = ex.assign(_key=key).groupby("_key")
    table = grouped[list(NETWORK_SUMMED)].sum(min_count=1)  # a figure unknown for every exchange stays unknown
    table.insert(0, "exchanges", grouped.size())
    table.insert(1, "companies", grouped.apply(
        lambda g: len(set(g["supplier_id"]) | set(g["receiver_id"])), include_groups=False))
    table.index.name = by
    return table[columns].sort_values("diverted_t", ascending=False, kind="stable")


def indicator_totals(exchanges: pd.DataFrame) -> dict[str, float | None]:
    """Number of exchanges, diverted tonnes (waste + resource + water), the five indicators,
    transport emissions and value, summed over an exchanges table (the figures of :data:`METRICS`).
    A figure unknown for every exchange (no cited factor or price) is None, not 0; one known for
    some exchanges is the sum of those (the run summary counts the others)."""
    totals = total_indicators(exchanges)
    result: dict[str, float | None] = {"exchanges": float(len(exchanges)),
                                       "diverted_t": float(diverted_tonnes(exchanges).sum())}
    result.update({name: totals[name] for name in METRICS if name in totals})
    for name in METRICS:
        if len(exchanges) and name in exchanges and name not in ("exchanges", "diverted_t") \
                and exchanges[name].isna().all():
            result[name] = None
    return {name: result[name] for name in METRICS}


def indicator_changes(before: dict[str, float | None], after: dict[str, float | None]) -> dict[str, float | None]:
    """The change of each figure of :data:`METRICS` (``after - before``; None where either is unknown)."""
    return {name: None if after[name] is None or before[name] is None else after[name] - before[name]
            for name in METRICS}

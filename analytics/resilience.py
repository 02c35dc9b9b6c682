"""Resilience: what the region loses when companies close, and how much re-matching the rest recovers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from analytics.aggregates import indicator_changes, indicator_totals
from analytics.cache import RegionBaseline, listings_in
from analytics.scenarios import Scenario, apply_scenario
from solvers.matching import Match, match
from solvers.network import find_material_components
from solvers.params import SolveParams
from solvers.result import MatchResult
from symbiosis.candidates import CandidateParams
from symbiosis.errors import InputError, Problem
from symbiosis.registry import Registry


@dataclass(frozen=True)
class ResilienceReport:
    """What the region loses when companies close, and how much the rest recovers by re-matching.

    Attributes
    ----------
    removed
        The closed companies.
    baseline, result
        The region matched with and without them: the whole region, or with a
        :class:`~analytics.cache.RegionBaseline` the material components the closure touches.
    before, after, change, lost
        Totals of :data:`~analytics.aggregates.METRICS` in the baseline, after re-solving, their
        difference, and over the lost exchanges. Over the touched components alone where the
        baseline is one of them: the rest of the region is the same before and after, so the
        change, the lost and regained tonnes and the recovery are the whole region's.
    lost_exchanges
        The baseline exchanges the closed companies supplied or received.
    lost_diverted_t
        Their diverted tonnes (waste + resource).
    regained_diverted_t
        Diverted tonnes the re-solved region gains over the baseline without the lost exchanges.
    recovery
        ``regained_diverted_t / lost_diverted_t`` (NaN when nothing was lost): 0 means the rest of the
        region finds no replacement, 1 means it makes up the whole loss.
    """

    removed: tuple[str, ...]
    baseline: MatchResult
    before: dict[str, float]
    result: MatchResult
    after: dict[str, float]
    change: dict[str, float]
    lost_exchanges: pd.DataFrame
    lost: dict[str, float]
    lost_diverted_t: float
    regained_diverted_t: float
    recovery: float

    def to_dict(self) -> dict[str, Any]:
        return {"removed": list(self.removed), "lost_diverted_t": self.lost_diverted_t,
                "regained_diverted_t": self.regained_diverted_t,
                "recovery": None if not np.isfinite(self.recovery) else self.recovery,
                "before": self.before, "after": self.after, "change": self.change, "lost": self.lost}


def resilience(
    registry: Registry,
    removed_company_ids,
    candidate_params: CandidateParams | None = None,
    solve_params: SolveParams | None = None,
    baseline: Match | RegionBaseline | None = None,
) -> ResilienceReport:
    """Close companies: report the exchanges lost, re-solve the rest, and how much it recovers.

    Only the material components the closed companies take part in are solved again: the others are
    independent of them (no listing of theirs can reach a partner of the closed companies' materials),
    so their baseline exchanges stand as they are. ``baseline`` is the region's match if the caller
    has it already (the same candidate and solve parameters), and the report covers the whole region;
    or a :class:`~analytics.cache.RegionBaseline` of the region (whose parameters apply), and only
    the touched components are matched, with and without the closed companies, and reported.

    Raises
    ------
    InputError
        When no company is given or a company id is not in the registry.
    """
    removed = tuple(dict.fromkeys(str(c).strip() for c in removed_company_ids if str(c).strip()))
    if not removed:
        raise InputError([Problem("resilience", None, "remove", "name at least one company_id to remove")])
    changed = apply_scenario(registry, Scenario(name="closure of " + ", ".join(removed), remove_companies=removed))
    options = {"candidate_params": candidate_params, "solve_params": solve_params}
    if isinstance(baseline, RegionBaseline):
        baseline.check_options(candidate_params, solve_params)
        touched = baseline.touched_by(changed)
        base_result = baseline.baseline(touched)
        result = baseline.rematch(changed, touched)
        result = replace(result, details={**result.details,
                                          "resolved_components": len(baseline.components_in(touched))})
    else:
        base = baseline or match(registry=registry, **options)
        base_result, result = base.result, _rematch_affected(base, changed, removed, options)
    ex = base_result.exchanges
    lost_rows = ex[ex["supplier_id"].isin(removed) | ex["receiver_id"].isin(removed)]
    before, after = indicator_totals(ex), indicator_totals(result.exchanges)
    lost = indicator_totals(lost_rows)
    remaining = before["diverted_t"] - lost["diverted_t"]
    regained = after["diverted_t"] - remaining
    recovery = regained / lost["diverted_t"] if lost["diverted_t"] > 0 else float("nan")
    return ResilienceReport(removed, base_result, before, result, after, indicator_changes(before, after),
                            lost_rows.reset_index(drop=True), lost, lost["diverted_t"], regained, recovery)


def _rematch_affected(base: Match, changed: Registry, removed: tuple[str, ...], options: dict) -> MatchResult:
    """The region without the closed companies: the baseline's exchanges of the material components
    they do not touch, and a new match of the components they do."""
    arcs = base.candidates.arcs
    if arcs.empty:
        return match(registry=changed, **options).result
    label = find_material_components(arcs).label
    touched = np.unique(label[(arcs["supplier_id"].isin(removed) | arcs["receiver_id"].isin(removed)).to_numpy()])
    in_touched = np.isin(label, touched)
    # Components join offer materials and need materials; the same name on the two sides (steam
    # offered, steam needed) may belong to different components.
    offered, needed = set(arcs["material"][in_touched]), set(arcs["need_material"][in_touched])
    nodes = {("offer", material) for material in offered} | {("need", material) for material in needed}
    listings = changed.listings[listings_in(changed.listings, nodes)]
    sub = match(registry=replace(changed, listings=listings), **options).result
    kept = base.result.exchanges[~base.result.exchanges["material"].isin(offered)]
    exchanges = pd.concat([kept, sub.exchanges], ignore_index=True) if len(kept) else sub.exchanges
    return replace(sub, exchanges=exchanges, objective_value=float(exchanges["objective_contribution"].sum()),
                   bound=float("nan"), gap=float("nan"),
                   details={**sub.details, "resolved_components": int(len(touched))})

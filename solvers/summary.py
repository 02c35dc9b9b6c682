"""The run summary (summary.json, a round's summary): status, objective, bound, totals and counts."""

from __future__ import annotations

import numpy as np

from solvers.result import MatchResult
from symbiosis.candidates import Candidates
from symbiosis.impacts import total_indicators
from symbiosis.registry import Registry
from symbiosis.schema import SUMMED


def _finite(value: float | None) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


def build_summary(
    result: MatchResult, registry: Registry, candidates: Candidates, timings: dict[str, float], parameters: dict
) -> dict:
    """The summary of one matching run: status, objective, bound, gap, solver, timings per stage,
    totals of the indicators, value and transport emissions (over the exchanges where they are
    known; ``unknown`` counts the others per column), counts, parameters and notices."""
    ex = result.exchanges
    matched_offers = ex.groupby("offer_id")["quantity_canonical"].sum()
    offers = registry.offers["quantity_canonical"]
    partly = int(((matched_offers < offers.reindex(matched_offers.index) * (1 - 1e-9))).sum())
    unknown = {k: int(ex[k].isna().sum()) for k in SUMMED if k in ex and ex[k].isna().any()}
    return {
        "status": result.status.value,
        "objective": {"name": result.objective.value, "value": float(result.objective_value),
                      "unit": result.objective.unit},
        "bound": _finite(result.bound),
        "gap": _finite(result.gap),
        "solver": result.solver,
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
        "totals": {k: round(v, 6) for k, v in total_indicators(ex).items()},
        "unknown": unknown,
        "counts": {
            "companies": int(len(registry.companies)),
            "listings": int(len(registry.listings)),
            "offers": int(len(registry.offers)),
            "needs": int(len(registry.needs)),
            # A run in parts keeps no arcs: the solves counted them.
            "candidate_arcs": int(result.details.get("arcs", len(candidates.arcs))),
            "exchanges": int(len(ex)),
            "unmatched_listings": int(len(result.unmatched)),
            "offers_partly_matched": partly,
        },
        "parameters": parameters,
        "solver_details": result.details,
        "notices": [*registry.notices, *_economic_notices(ex, unknown, parameters),
                    *([result.details["relaxed"]] if "relaxed" in result.details else []),
                    *_fallback_notices(result.details.get("engines", []))],
    }


def _fallback_notices(engines: list[dict]) -> list[str]:
    """A component whose MILP found no solution in its time keeps the greedy exchanges: say so."""
    fallen = sum(1 for e in engines if e.get("engine") == "milp+greedy")
    if not fallen:
        return []
    return [f"{fallen} component(s) with discrete rules found no MILP solution within the time limit and keep "
            "the greedy exchanges (every rule holds; the gap says how far from the bound): a longer time limit "
            "may find better ones"]


def _economic_notices(exchanges, unknown: dict[str, int], parameters: dict) -> list[str]:
    """What a reader of the totals must know: unknown figures left out (``unknown``: count per
    column), subsidised exchanges."""
    notices = []
    if unknown:
        notices.append("totals leave out figures that are unknown (no cited factor or price): "
                       + ", ".join(f"{k} of {n} exchange(s)" for k, n in unknown.items()))
    if parameters.get("allow_subsidised"):
        losing = int((exchanges["value_eur"] < 0).sum()) if "value_eur" in exchanges else 0
        notices.append(f"subsidised exchanges allowed: {losing} proposed exchange(s) have a negative net benefit")
    return notices

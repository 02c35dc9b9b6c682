"""Marginal values: what one more unit of supply or need is worth at each listing, from the LP's duals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from solvers.lp import build_linear_model, solve_linear_model
from solvers.params import SolveParams
from symbiosis.candidates import Candidates
from symbiosis.errors import InputError, Problem
from symbiosis.objective import ArcObjective


def marginal_values(candidates: Candidates, params: SolveParams | None = None,
                    companies: pd.DataFrame | None = None) -> pd.DataFrame:
    """The value of one more unit of supply or need at each listing, from the duals of the LP.

    The LP of :mod:`solvers.lp` is solved with GLOP over the whole candidate set, with the
    objective's weights per arc (no tie-break; discrete rules relaxed; arcs bounded only by the
    listings' quantities). The dual of a listing's
    quantity constraint is how much the objective would grow per extra canonical unit it lists.
    A positive value on an offer means needs in its reach go short: the material is scarce there.
    A positive value on a need means offers in its reach are left over: the material is in surplus.

    Returns
    -------
    DataFrame
        Indexed by ``listing_id``: ``kind``, ``company_id``, ``municipality`` (when ``companies``
        is given), ``material``, ``canonical_unit``, ``quantity`` (canonical per year), ``lat``,
        ``lon``, ``value`` (objective units per canonical unit) and ``objective_unit``.
    """
    params = params or SolveParams()
    arcs = candidates.arcs
    offers, needs = candidates.offers, candidates.needs
    offer_value = pd.Series(0.0, index=offers.index)
    need_value = pd.Series(0.0, index=needs.index)
    if len(arcs):
        weights = ArcObjective.of(arcs, params.objective, params.weights).primary
        # Arcs are bounded only by the listing rows, so a binding quantity shows in its listing's dual
        # and not in an arc's reduced cost.
        model = build_linear_model(arcs.assign(upper=np.inf), weights, offers["quantity_canonical"],
                                   needs["quantity_canonical"])
        solution = solve_linear_model(model, "glop", params.time_limit_s)
        if not solution.optimal:
            raise InputError([Problem("marginal values", None, None, f"the LP ended {solution.status}")])
        # A maximisation's duals on <= rows come out non-positive from GLOP: flip to "gain per unit".
        offer_value.loc[solution.offer_duals.index] = np.abs(solution.offer_duals.to_numpy(dtype=float))
        need_value.loc[solution.need_duals.index] = np.abs(solution.need_duals.to_numpy(dtype=float))
    frames = []
    for kind, listings, value in (("offer", offers, offer_value), ("need", needs, need_value)):
        table = pd.DataFrame({
            "kind": kind, "company_id": listings["company_id"], "material": listings["material"],
            "canonical_unit": listings["canonical_unit"], "quantity": listings["quantity_canonical"],
            "lat": listings["lat"], "lon": listings["lon"], "value": value.reindex(listings.index).to_numpy(),
        }, index=listings.index)
        frames.append(table)
    table = pd.concat(frames)
    table.index.name = "listing_id"
    if companies is not None and "municipality" in companies:
        table.insert(2, "municipality", table["company_id"].map(companies["municipality"]).fillna(""))
    table["value"] = table["value"].where(table["value"].abs() > 1e-12, 0.0)
    table["objective_unit"] = params.objective.unit + " per unit"
    return table


def summarise_marginal_values(values: pd.DataFrame, by: tuple[str, ...] = ("kind", "material", "municipality")
                              ) -> pd.DataFrame:
    """Marginal values per group: ``listings``, ``mean_value``, ``max_value`` and ``quantity``."""
    keys = [c for c in by if c in values.columns] + ["canonical_unit"]
    if values.empty:
        return pd.DataFrame(columns=[*keys, "listings", "mean_value", "max_value", "quantity"])
    grouped = values.groupby(keys, sort=True)
    table = grouped.agg(listings=("value", "size"), mean_value=("value", "mean"), max_value=("value", "max"),
                        quantity=("quantity", "sum")).reset_index()
    return table.sort_values(["max_value", "mean_value"], ascending=False, kind="stable").reset_index(drop=True)

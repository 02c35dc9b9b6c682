"""Explanations: why a listing ended with nothing exchanged, and what each exchange is made of."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from symbiosis.candidates import Candidates, codes_of, rank_in_group
from symbiosis.materials import default_catalog
from symbiosis.objective import Objective

#: How many competing exchanges an "outbid" explanation names.
NAMED_COMPETITORS = 3


def explain_unmatched(
    candidates: Candidates,
    exchanges: pd.DataFrame,
    useful: np.ndarray,
    objective: str,
    *,
    usable: np.ndarray | None = None,
    losing: np.ndarray | None = None,
    link_lot: np.ndarray | None = None,
    unknown_gain=None,
) -> pd.DataFrame:
    """Every listing with nothing exchanged, with the reason.

    Listings without candidate arcs keep the candidate search's reason. For the others, in this
    order: every candidate loses money on each unit (not worth its transport cost), or cannot
    carry enough to pay its link (not worth its link cost), each with what would make it viable;
    every candidate is below a minimum lot (its own or the partner's, or an all-or-nothing
    quantity); every candidate gains nothing under the objective; the partners it could reach
    reached their partner limit; or it was outbid: the partners used their capacity on exchanges
    worth as much or more (an equal gain is decided by the shorter haul), which the reason names.
    ``unknown_gain``, given arc positions, says per arc which of the factors the objective counts are
    unknown ((positions) -> (flags, names)): a listing whose candidates gain nothing is told when that
    is for want of a figure.
    """
    arcs = candidates.arcs
    usable = np.ones(len(arcs), bool) if usable is None else usable
    losing = np.zeros(len(arcs), bool) if losing is None else losing
    link_lot = np.zeros(len(arcs)) if link_lot is None else link_lot
    link_short = ~losing & (link_lot > arcs["upper"].to_numpy(dtype=float) * (1 + 1e-9))
    frames = [candidates.unmatched]
    partner_count = pd.concat([exchanges["offer_id"], exchanges["need_id"]]).value_counts()
    listings_all = pd.concat([candidates.offers, candidates.needs])
    limits = listings_all["max_partners"] if "max_partners" in listings_all else pd.Series(np.nan, index=listings_all.index)
    aon = listings_all["all_or_nothing"] if "all_or_nothing" in listings_all else pd.Series(False, index=listings_all.index)
    limits = limits.where(~aon.astype(bool), np.fmin(limits.fillna(np.inf), 1.0)).replace(np.inf, np.nan)
    full = limits.dropna()
    full = full.index[partner_count.reindex(full.index).fillna(0).to_numpy() >= full.to_numpy()]
    pair_names = (exchanges["offer_id"] + " -> " + exchanges["need_id"]).to_numpy(dtype=object)
    for side, listings, own, other in (
        ("offer", candidates.offers, "offer_id", "need_id"),
        ("need", candidates.needs, "need_id", "offer_id"),
    ):
        # By the arcs' integer codes of their listings: the listings are looked at once, not per arc.
        own_codes, own_labels = codes_of(arcs[own])
        idle_mask = np.bincount(own_codes, minlength=len(own_labels)) > 0
        exchanged = own_labels.get_indexer(pd.Index(exchanges[own].unique()))
        idle_mask[exchanged[exchanged >= 0]] = False
        idle_at = np.flatnonzero(idle_mask)
        if not len(idle_at):
            continue
        idle_labels = own_labels.to_numpy(dtype=object)[idle_at]
        by_label = np.argsort(idle_labels, kind="stable")  # idle listings in id order
        idle = pd.Index(idle_labels[by_label], dtype=object)
        position = np.full(len(own_labels), -1, dtype=np.int64)
        position[idle_at[by_label]] = np.arange(len(idle_at))
        arc_listing = position[own_codes]
        rows = np.flatnonzero(arc_listing >= 0)
        code = arc_listing[rows]  # the idle listing of each of its arcs
        count = np.bincount(code, minlength=len(idle))

        def any_of(flags: np.ndarray) -> np.ndarray:
            return np.bincount(code, weights=flags[rows].astype(float), minlength=len(idle)) > 0

        any_usable, any_useful = any_of(usable), any_of(useful)
        all_losing = ~any_of(~losing)
        all_costly = ~any_of(~(losing | link_short))
        other_codes, other_labels = codes_of(arcs[other])
        partner_code = other_codes[rows]
        partner = other_labels.to_numpy(dtype=object)[partner_code]  # only the idle listings' arcs' partners
        reasons = np.full(len(idle), "", dtype=object)

        transport = ~any_usable & all_losing
        if transport.any():
            reasons[transport] = _not_worth_transport(arcs, rows, code, transport, other)
        costly = ~any_usable & ~transport & all_costly
        if costly.any():
            reasons[costly] = _not_worth_link(arcs, rows, code, costly, other, losing, link_lot)
        lots = ~any_usable & ~transport & ~costly
        if lots.any():
            own_lot = listings["min_lot"] if "min_lot" in listings else pd.Series(np.nan, index=listings.index)
            upper = arcs["upper"].to_numpy(dtype=float)[rows]
            most = pd.Series(upper).groupby(code).max().reindex(range(len(idle))).to_numpy()[lots]
            lot = own_lot.reindex(idle[lots])
            unit = listings["unit"].reindex(idle[lots]).astype(str).to_numpy(dtype=object)
            own_whole = (listings["all_or_nothing"].reindex(idle[lots]).fillna(False).astype(bool).to_numpy()
                         if "all_or_nothing" in listings else np.zeros(int(lots.sum()), bool))
            own_whole = own_whole & lot.isna().to_numpy()  # its own minimum lot, where it has one, is named instead
            quantity = listings["quantity"].reindex(idle[lots]) if "quantity" in listings else lot
            tail = np.where(lot.notna().to_numpy(),
                            ", its own minimum lot is " + _fmt(lot, "g") + " " + unit,
                            np.where(own_whole, ", and it takes all its " + _fmt(quantity, ",.6g") + " " + unit
                                     + " or nothing", ", below their minimum lot or all-or-nothing quantity"))
            head = np.where(own_whole, "all or nothing: ", "below a minimum lot: ")
            reasons[lots] = (head + "exchanges with the " + _text(count[lots]) + " partner(s) in reach could carry "
                             "at most " + _fmt(most, ",.6g") + " "
                             + listings["canonical_unit"].reindex(idle[lots]).astype(str).to_numpy(dtype=object)
                             + "/yr" + tail)
        idle_useless = any_usable & ~any_useful
        reasons[idle_useless] = ("its " + _text(count[idle_useless])
                                 + f" candidate(s) in reach gain nothing under objective '{objective}'")
        if unknown_gain is not None and idle_useless.any():
            at = np.flatnonzero(idle_useless[code])
            flags, names = unknown_gain(rows[at])
            unknown = np.bincount(code[at], weights=np.asarray(flags, dtype=float), minlength=len(idle))
            some = idle_useless & (unknown > 0)
            if some.any():
                counted = ", ".join(names)
                reasons[some] = (reasons[some] + np.where(unknown[some] == count[some], ": for all of them",
                                                          ": for " + _text(unknown[some].astype(int)) + " of them")
                                 + f" the figure it counts ({counted}) is unknown (no cited factor), which counts "
                                   "as nothing")
        rest = any_usable & any_useful
        all_full = np.bincount(code, weights=~other_labels.isin(full)[partner_code], minlength=len(idle)) == 0
        limited = rest & all_full
        if limited.any():
            first = _first_names(code, partner, limited)
            reasons[limited] = ("partner limit reached: " + first[limited]
                                + " already have their maximum number of partners")
        outbid = rest & ~all_full
        if outbid.any():
            named = _rivals(code, partner_code, other_labels, outbid, exchanges[other].to_numpy(dtype=object),
                            pair_names)
            reasons[outbid] = ("outbid: its " + _text(count[outbid])
                               + " candidate partner(s) in reach went to exchanges worth as much or more"
                               + np.where(named[outbid] != "", " (" + named[outbid] + ")", ""))
        # The nearest partner: the first arc of each idle listing after sorting its arcs by distance.
        km = arcs["distance_km"].to_numpy(dtype=float)[rows]
        # Ties go to the first arc, so that the nearest partner does not depend on the other arcs.
        order = np.argsort(km, kind="stable")
        _, first_sorted = np.unique(code[order], return_index=True)
        nearest = order[first_sorted]  # positions among the idle listings' arcs
        frames.append(pd.DataFrame({
            "kind": side,
            "company_id": listings.loc[idle, "company_id"],
            "material": listings.loc[idle, "material"],
            "reason": pd.Series(reasons, index=idle, dtype=object),
            "nearest_id": pd.Series(partner[nearest], index=idle),
            "nearest_km": pd.Series(km[nearest], index=idle),
        }, index=idle))
    result = pd.concat([f for f in frames if not f.empty]) if any(not f.empty for f in frames) else candidates.unmatched
    result.index.name = "listing_id"
    return result


def _text(values) -> np.ndarray:
    return np.asarray(values).astype(str).astype(object)


def _fmt(values, spec: str) -> np.ndarray:
    """Each value formatted with ``spec``, as an object array (to join with other texts)."""
    return pd.Series(values).map(lambda v: format(v, spec)).to_numpy(dtype=object)


def _joined(code: np.ndarray, names: np.ndarray, size: int) -> np.ndarray:
    """Per code in ``0..size-1``, its first :data:`NAMED_COMPETITORS` names (in the given order) joined by ', '."""
    result = np.full(size, "", dtype=object)
    if not len(code):
        return result
    rank = rank_in_group(code)
    for k in range(NAMED_COMPETITORS):
        at = rank == k
        sep = "" if k == 0 else ", "
        result[code[at]] = result[code[at]] + sep + names[at]
    return result


def _first_names(code: np.ndarray, partner: np.ndarray, selected: np.ndarray) -> np.ndarray:
    """Per idle listing, its first partners in arc order, joined."""
    keep = selected[code]
    return _joined(code[keep], partner[keep], len(selected))


def _rivals(code: np.ndarray, partner_code: np.ndarray, partner_labels: pd.Index, selected: np.ndarray,
            taken_partner: np.ndarray, pair_names: np.ndarray) -> np.ndarray:
    """Per idle listing, the first exchanges its partners (in arc order) went to, joined.
    ``partner_code`` are the arcs' partners as positions in ``partner_labels``."""
    taken_code = partner_labels.get_indexer(pd.Index(taken_partner, dtype=object))
    rank = rank_in_group(taken_code)
    # Per partner, its first exchanges (-1: none), as many as are named.
    first = np.full((NAMED_COMPETITORS, len(partner_labels)), -1, dtype=np.int64)
    for k in range(NAMED_COMPETITORS):
        at = (rank == k) & (taken_code >= 0)
        first[k, taken_code[at]] = np.flatnonzero(at)
    keep = np.flatnonzero(selected[code])
    # Each kept arc with its partner's exchanges, in arc order and then the partner's order.
    exchange = first[:, partner_code[keep]].T.ravel()
    listing = np.repeat(code[keep], NAMED_COMPETITORS)
    named = exchange >= 0
    return _joined(listing[named], pair_names[exchange[named]], len(selected))


def _best_rows(values: np.ndarray, rows: np.ndarray, code: np.ndarray, selected: np.ndarray) -> np.ndarray:
    """Per selected idle listing (in code order), the row of its arc with the largest value (the first on ties)."""
    keep = selected[code]
    frame = pd.DataFrame({"code": code[keep], "value": values[rows[keep]], "row": rows[keep]})
    best = frame.loc[frame.groupby("code", sort=True)["value"].idxmax()]
    return best["row"].to_numpy()


def _not_worth_transport(arcs: pd.DataFrame, rows: np.ndarray, code: np.ndarray, selected: np.ndarray,
                         other: str) -> np.ndarray:
    """Why the selected listings' candidates all lose money, from each one's best candidate, and
    what would make it viable."""
    margin = (arcs["value_eur"] - arcs["transport_cost_eur_per_unit"]).to_numpy(dtype=float)
    best = arcs.iloc[_best_rows(margin, rows, code, selected)]
    loss = -(best["value_eur"] - best["transport_cost_eur_per_unit"])
    text = ("not worth its transport cost: each unit would lose " + _fmt(loss, ",.4g") + " EUR with the best partner "
            "in reach (" + best[other].to_numpy(dtype=object) + " at " + _fmt(best["distance_km"], ",.1f") + " km by "
            + best["transport_mode"].to_numpy(dtype=object) + ": transport "
            + _fmt(best["transport_cost_eur_per_unit"], ",.4g") + " EUR against savings of "
            + _fmt(best["value_eur"], ",.4g") + " EUR per unit)")
    distance = best["distance_km"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_km = np.where(distance > 0, best["transport_cost_eur_per_unit"].to_numpy(dtype=float) / distance, np.nan)
        within = pd.Series(best["value_eur"].to_numpy(dtype=float) / per_km)
    closer = (best["value_eur"].to_numpy(dtype=float) > 0) & np.isfinite(per_km) & (per_km > 0)
    return text + np.where(
        closer, "; viable within " + _fmt(within, ",.1f") + " km, or with savings " + _fmt(loss, ",.4g") + " EUR per unit higher",
        "; viable with savings " + _fmt(loss, ",.4g") + " EUR per unit higher (a higher price for the input, or disposal cost)")


def _not_worth_link(arcs: pd.DataFrame, rows: np.ndarray, code: np.ndarray, selected: np.ndarray, other: str,
                    losing: np.ndarray, link_lot: np.ndarray) -> np.ndarray:
    """Why the selected listings' candidates cannot carry enough to pay their link, and what would
    make them viable (from the candidate closest to paying, among those that do not lose money)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(losing, -np.inf, arcs["upper"].to_numpy(dtype=float) / link_lot)
    picked = _best_rows(share, rows, code, selected)
    best = arcs.iloc[picked]
    lot = pd.Series(link_lot[picked])
    margin = best["value_eur"] - best["transport_cost_eur_per_unit"]
    return ("not worth its link cost: the link with " + best[other].to_numpy(dtype=object) + " at "
            + _fmt(best["distance_km"], ",.1f") + " km by " + best["transport_mode"].to_numpy(dtype=object) + " costs "
            + _fmt(best["link_cost_eur"], ",.0f") + " EUR/yr, which needs at least " + _fmt(lot, ",.6g")
            + " units a year at its margin of " + _fmt(margin, ",.4g") + " EUR per unit; at most "
            + _fmt(best["upper"], ",.6g") + " can be exchanged; viable with a link cost below "
            + _fmt(margin.to_numpy() * best["upper"].to_numpy(), ",.0f") + " EUR/yr")


def _amount(value: float, unit: str, what: str) -> str:
    """``value`` as "1,234.5 t of waste" (``unit`` "t", ``what`` "waste"; a unit that names the
    quantity, as "t CO2e", is written alone), or "an unknown quantity of waste" where no factor is known."""
    if not math.isfinite(value):
        return f"an unknown quantity of {what}"
    return f"{value:,.1f} {unit}" if what in unit else f"{value:,.1f} {unit} of {what}"


def explain_exchanges(exchanges: pd.DataFrame, objective: Objective | str) -> pd.Series:
    """Why each exchange was proposed, in one sentence that names neither company: the rule, the
    distance against its limit, the yield, and what it adds to the objective and the indicators.

    The one explanation of an exchange: the result files, the results workbook, round proposals
    and the ``explain`` command all use it.
    """
    objective = Objective(objective)
    if exchanges.empty:
        return pd.Series(dtype=str, index=exchanges.index)
    # One formatted sentence per row; a row whose rule, materials or mode is missing text has none.
    shown = default_catalog().shown  # a hazardous code keeps its star
    texts = [(shown(exchanges[c]) if "material" in c else exchanges[c]).astype(str)
             for c in ("rule_id", "material", "need_material", "transport_mode")]
    missing = np.logical_or.reduce([text.isna().to_numpy() for text in texts])
    limits = pd.to_numeric(exchanges["max_distance_km"], errors="coerce").tolist()
    numbers = [exchanges[c].astype(float).tolist() for c in ("yield", "distance_km", "objective_contribution", "waste_t",
                                                             "resource_t", "water_m3", "energy_mwh", "co2e_t",
                                                             "transport_co2e_t")]
    unit, name = objective.unit, objective.value
    sentences = np.array([
        f"rule {rule}: {material} serves a need for {need} (yield {yield_:g}); {km:,.1f} km by {mode}"
        + ((f" within the {limit:,.0f} km limit" if km <= limit * (1 + 1e-9)
            else f" beyond the {limit:,.0f} km limit, as a facilitator's lock keeps it") if math.isfinite(limit) else "")
        + f"; it contributes {contribution:,.1f} {unit} to the objective '{name}', diverts {_amount(waste, 't', 'waste')}, "
        f"saves {_amount(resource, 't', 'virgin resource')}, {_amount(water, 'm3', 'fresh water')} and "
        f"{_amount(energy, 'MWh', 'energy')}, and avoids {_amount(co2e, 't CO2e', 'CO2e')} net of {transport:,.2f} t for transport."
        for rule, material, need, mode, limit, yield_, km, contribution, waste, resource, water, energy, co2e, transport
        in zip(*(text.tolist() for text in texts), limits, *numbers)
    ], dtype=object)
    if "conditions" in exchanges:  # the rule's quality note: what must hold for the exchange to be sound
        notes = exchanges["conditions"].fillna("").astype(str).str.strip().to_numpy(dtype=object)
        some = notes != ""
        sentences[some] = sentences[some] + " Conditions: " + notes[some]
    sentences[missing] = np.nan
    return pd.Series(sentences, index=exchanges.index, dtype=texts[0].dtype)


#: What kind of reason an unmatched listing has, by how its reason reads (the reasons of
#: :func:`explain_unmatched` and of :func:`symbiosis.candidates.build_candidates`; the first pattern that
#: matches the start decides), each with a sentence that names no other listing or company: what a
#: company may be told about its own listing.
REASON_KINDS: dict[str, tuple[re.Pattern, str]] = {
    # only a need for the very same code would take it, and nobody lists one: a missing counterpart
    "no_counterpart": (re.compile(r"nobody listed a need|nobody offers|no compatibility rule takes .* and nobody "
                                  r"lists a need for "),
                       "Nobody in the region lists the other side of this material."),
    "no_rule": (re.compile(r"no compatibility rule"), "No compatibility rule takes this material."),
    "grade": (re.compile(r"grade too low"), "The other side is listed only at a grade this listing cannot serve or use."),
    "out_of_reach": (re.compile(r"no compatible partner within reach"), "No compatible partner lies within reach."),
    "forbidden": (re.compile(r"the facilitator forbade"), "The facilitator ruled out the only partner in reach."),
    "availability": (re.compile(r"availability does not overlap"),
                     "The compatible partner in reach is not available in the same period."),
    "same_company": (re.compile(r"the only compatible partners in reach belong to the same company"),
                     "The only compatible partners in reach are your own listings."),
    "transport_cost": (re.compile(r"not worth its transport cost"),
                       "Every partner in reach is too far for the exchange to pay its transport."),
    "link_cost": (re.compile(r"not worth its link cost"), "No partner in reach could carry enough to pay for the link."),
    "minimum_lot": (re.compile(r"below a minimum lot"), "No partner in reach can take or give a minimum lot."),
    "all_or_nothing": (re.compile(r"all or nothing"), "No partner in reach can take or give the whole quantity at once."),
    "no_gain": (re.compile(r"its \d+ candidate\(s\) in reach gain nothing"),
                "The partners in reach would gain nothing under the round's objective."),
    "partner_limit": (re.compile(r"partner limit reached"), "The partners in reach already have their most partners."),
    "outbid": (re.compile(r"outbid"), "The partners in reach went to exchanges that gain as much or more."),
}


def reason_kinds(reasons) -> list[str]:
    """The kind (a key of :data:`REASON_KINDS`, or ``"other"``) of each reason text."""
    return [next((kind for kind, (pattern, _) in REASON_KINDS.items()
                  if isinstance(reason, str) and pattern.match(reason)), "other") for reason in reasons]

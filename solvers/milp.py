"""Mixed-integer model (SCIP or HiGHS through OR-Tools model_builder) for discrete exchange rules.

Per candidate arc ``a`` a continuous quantity ``x_a`` (canonical offer units) and, where a
discrete rule touches the arc, a binary ``y_a`` (the exchange is established):

maximise   sum_a w_a x_a + sum_a l_a y_a              (l_a: minus the yearly link cost, weighted)
subject to sum_{a out of o} x_a <= S_o,  sum_{a into n} yield_a x_a <= D_n
           x_a <= u_a y_a                                       (an exchange needs its link)
           x_a >= L_o y_a,  yield_a x_a >= L_n y_a              (minimum lots)
           x_a >= S_o y_a,  yield_a x_a >= D_n y_a              (all or nothing)
           sum_{a of listing} y_a <= P                          (partner limits; 1 for all or nothing)
           y_a = 1, x_a >= m_a                                  (locks)
Arcs that cannot meet a lot or an all-or-nothing quantity are left out before the model is built.
The model is kept as sparse arrays and handed to SCIP or HiGHS through OR-Tools model_builder in
one call. The continuous relaxation's solution, repaired to respect the discrete rules, is SCIP's
warm start. Through OR-Tools, HiGHS takes no start (hints crash it) and returns no incumbent when
it stops at its time limit; highspy cannot stand in, because its HiGHS library and the one inside
OR-Tools clash when loaded in one process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp
from ortools.linear_solver.python import model_builder as mb

from solvers.lp import variable_values
from solvers.params import SolveParams
from symbiosis.options import LOT_TOL, ListingRules

#: Rounds of flow cover inequalities added to the LP relaxation of a model with link costs
#: (:func:`tightened_relaxation`); on the 20,000-listing benchmark's pipeline component the sixth
#: round found two cuts, the bound having fallen 0.36 % in all.
COVER_ROUNDS = 6
#: An arc counts in a cover when it carries more than this (canonical units); a cut is added when
#: violated by more than this share of its listing's quantity.
COVER_SUPPORT_TOL = 1e-9
COVER_MIN_VIOLATION = 1e-6


@dataclass(frozen=True)
class MilpModel:
    """The model as sparse arrays (engine-neutral) and the meaning of its columns.

    Columns ``0..num_arcs-1`` are the quantities of the arcs given, then one binary per entry of
    ``binary_arcs``; rows are ``row_lower <= matrix @ v <= row_upper``; the objective is maximised.
    """

    num_arcs: int
    binary_arcs: np.ndarray
    var_lower: np.ndarray
    var_upper: np.ndarray
    objective: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    matrix: sp.csr_matrix

    @property
    def num_variables(self) -> int:
        return len(self.objective)

    def with_rows(self, matrix: sp.csr_matrix, upper: np.ndarray) -> MilpModel:
        """The same model with the rows ``matrix @ v <= upper`` added."""
        return replace(self, matrix=sp.vstack([self.matrix, matrix]).tocsr(),
                       row_lower=np.concatenate([self.row_lower, np.full(len(upper), -np.inf)]),
                       row_upper=np.concatenate([self.row_upper, upper]))

    def to_model_builder(self, *, integral: bool = True) -> mb.Model:
        """The same model as an OR-Tools model_builder model (``integral=False``: its LP relaxation)."""
        model = mb.Model()
        model.helper.fill_model_from_sparse_data(
            self.var_lower, self.var_upper, self.objective, self.row_lower, self.row_upper, self.matrix
        )
        if integral:
            for j in range(self.num_arcs, self.num_variables):
                model.helper.set_var_integrality(j, True)
        model.helper.set_maximize(True)
        return model


@dataclass(frozen=True)
class MilpSolution:
    status: str
    has_solution: bool
    optimal: bool
    flows: np.ndarray
    established: np.ndarray  # bool per arc
    objective: float
    bound: float
    gap: float
    seconds: float


def locked_arcs(arcs: pd.DataFrame) -> np.ndarray:
    """Per arc, whether a facilitator's lock holds it in the solution."""
    return arcs["locked"].to_numpy(dtype=bool) if "locked" in arcs else np.zeros(len(arcs), bool)


def build_milp(
    arcs: pd.DataFrame, weights: np.ndarray, link_weights: np.ndarray, rules: ListingRules,
    *, binaries: np.ndarray | None = None,
) -> MilpModel:
    """Build the MILP for ``arcs`` (all usable). ``binaries`` marks arcs that get a binary (by
    default: those with a discrete listing option, a lock, or a link cost)."""
    m = len(arcs)
    locked = locked_arcs(arcs)
    lock_min = arcs["lock_min"].to_numpy(dtype=float) if "lock_min" in arcs else np.zeros(m)
    if binaries is None:
        binaries = rules.discrete() | locked | (np.asarray(link_weights) != 0)
    b = np.flatnonzero(binaries)
    k = len(b)
    upper = arcs["upper"].to_numpy(dtype=float)
    yields = arcs["yield"].to_numpy(dtype=float)
    offer_codes, offer_ids = pd.factorize(arcs["offer_id"])
    need_codes, need_ids = pd.factorize(arcs["need_id"])
    n_o, n_n = len(offer_ids), len(need_ids)
    first_o = pd.Series(np.arange(m)).groupby(offer_codes).first().to_numpy() if m else np.zeros(0, int)
    first_n = pd.Series(np.arange(m)).groupby(need_codes).first().to_numpy() if m else np.zeros(0, int)

    rows, cols, vals, lo, hi = [], [], [], [], []
    row = 0

    def block(r, c, v, lower, upper_):
        nonlocal row
        rows.append(np.asarray(r) + row)
        cols.append(np.asarray(c))
        vals.append(np.asarray(v, dtype=float))
        count = len(lower)
        lo.append(np.asarray(lower, dtype=float))
        hi.append(np.asarray(upper_, dtype=float))
        row += count

    arange = np.arange(m)
    block(offer_codes, arange, np.ones(m), np.full(n_o, -np.inf), rules.offer_qty[first_o])
    block(need_codes, arange, yields, np.full(n_n, -np.inf), rules.need_qty[first_n])
    if k:
        yb = m + np.arange(k)
        kk = np.arange(k)
        # x_a - u_a y_a <= 0
        block(np.concatenate([kk, kk]), np.concatenate([b, yb]), np.concatenate([np.ones(k), -upper[b]]),
              np.full(k, -np.inf), np.zeros(k))
        # Lots and all-or-nothing as x_a * coef - need y_a >= 0, one row per arc carrying the strongest.
        offer_floor = np.maximum(rules.offer_lot[b], np.where(rules.offer_aon[b], rules.offer_qty[b], 0.0))
        need_floor = np.maximum(rules.need_lot[b], np.where(rules.need_aon[b], rules.need_qty[b], 0.0))
        for coef, floor in ((np.ones(k), offer_floor), (yields[b], need_floor)):
            sel = np.flatnonzero(floor > 0)
            if len(sel):
                s = np.arange(len(sel))
                block(np.concatenate([s, s]), np.concatenate([b[sel], yb[sel]]),
                      np.concatenate([coef[sel], -floor[sel]]), np.zeros(len(sel)), np.full(len(sel), np.inf))
        # Partner limits (all or nothing means one partner).
        for codes, limit, aon in ((offer_codes, rules.offer_partners, rules.offer_aon),
                                  (need_codes, rules.need_partners, rules.need_aon)):
            cap = np.where(aon[b], np.minimum(limit[b], 1.0), limit[b])
            sel = np.flatnonzero(np.isfinite(cap))
            if len(sel):
                groups, group_ids = pd.factorize(codes[b[sel]])
                caps = pd.Series(cap[sel]).groupby(groups).first().to_numpy()
                block(groups, yb[sel], np.ones(len(sel)), np.full(len(group_ids), -np.inf), caps)
    n_vars = m + k
    matrix = sp.csr_matrix(
        (np.concatenate(vals) if vals else np.zeros(0), (np.concatenate(rows), np.concatenate(cols))),
        shape=(row, n_vars),
    )
    return MilpModel(
        num_arcs=m, binary_arcs=b,
        var_lower=np.concatenate([np.where(locked, lock_min, 0.0), locked[b].astype(float)]),
        var_upper=np.concatenate([upper, np.ones(k)]),
        objective=np.concatenate([np.asarray(weights, dtype=float), np.asarray(link_weights, dtype=float)[b]]),
        row_lower=np.concatenate(lo), row_upper=np.concatenate(hi), matrix=matrix,
    )


def solve_relaxation(mm: MilpModel, engine: str = "glop", time_limit_s: float | None = None) -> tuple[np.ndarray, float]:
    """The LP relaxation (binaries in [0, 1]): flows per arc and its optimum, an upper bound of the
    MILP (``nan`` if the LP engine did not reach its optimum)."""
    values, optimum = _relaxation_values(mm, engine, time_limit_s)
    return np.clip(values[: mm.num_arcs], 0.0, None), optimum


def _relaxation_values(mm: MilpModel, engine: str, time_limit_s: float | None) -> tuple[np.ndarray, float]:
    """The LP relaxation's values of every variable and its optimum (zeros and ``nan`` if not reached)."""
    if mm.num_variables == 0:
        return np.zeros(0), 0.0
    model = mm.to_model_builder(integral=False)
    solver = mb.Solver(engine)
    if time_limit_s is not None:
        solver.set_time_limit_in_seconds(time_limit_s)
    status = solver.solve(model)
    if status != mb.SolveStatus.OPTIMAL:
        return np.zeros(mm.num_variables), float("nan")
    return variable_values(solver, model), float(solver.objective_value)


def flow_cover_cuts(mm: MilpModel, arcs: pd.DataFrame, rules: ListingRules,
                    values: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Flow cover inequalities that ``values`` (a relaxation's solution) violates, one per listing
    at most: rows ``matrix @ v <= upper``.

    At a listing with quantity ``b`` whose arcs carry ``z_a`` (offer units, or need units after the
    yield) with ``z_a <= U_a y_a``, every set ``C`` of its arcs with binaries whose capacities
    exceed ``b`` by ``lambda = sum_C U_a - b > 0`` gives the valid inequality (Padberg, Van Roy and
    Wolsey 1985, Operations Research 33:842-861)::

        sum_C z_a + sum_C max(U_a - lambda, 0) (1 - y_a) <= b

    (if every arc of ``C`` is established it is the listing's own row; if one with
    ``U_a >= lambda`` is not, the others hold at most ``b + lambda - U_a``). ``C`` is taken as the
    arcs with binaries that carry flow in ``values``: where a link is paid only in part because its
    arc is filled in part, the cut makes the relaxation pay more of it.
    """
    m = mm.num_arcs
    column = np.full(m, -1)
    column[mm.binary_arcs] = m + np.arange(len(mm.binary_arcs))
    flows = np.clip(values[:m], 0.0, None)
    upper = arcs["upper"].to_numpy(dtype=float)
    yields = arcs["yield"].to_numpy(dtype=float)
    rows, cols, vals, rhs = [], [], [], []
    for listing, coef, quantity in (("offer_id", np.ones(m), rules.offer_qty), ("need_id", yields, rules.need_qty)):
        cover = np.flatnonzero((column >= 0) & (flows > COVER_SUPPORT_TOL))
        if not len(cover):
            continue
        codes, _ = pd.factorize(arcs[listing].to_numpy()[cover])
        capacity = coef[cover] * upper[cover]
        first = np.unique(codes, return_index=True)[1]
        b = quantity[cover][first]
        excess = np.bincount(codes, weights=capacity) - b
        lifted = np.maximum(capacity - excess[codes], 0.0) * (excess[codes] > COVER_SUPPORT_TOL)
        y = values[column[cover]]
        left = np.bincount(codes, weights=coef[cover] * flows[cover] + lifted * (1 - y))
        violated = (excess > COVER_SUPPORT_TOL) & (left - b > COVER_MIN_VIOLATION * np.maximum(b, 1.0))
        keep = violated[codes]
        if not keep.any():
            continue
        row_of = np.cumsum(violated) - 1 + sum(len(r) for r in rhs)
        picked, r = cover[keep], row_of[codes[keep]]
        rows += [r, r]
        cols += [picked, column[picked]]
        vals += [coef[picked], -lifted[keep]]
        rhs.append(b[violated] - np.bincount(codes[keep], weights=lifted[keep], minlength=len(b))[violated])
    count = sum(len(r) for r in rhs)
    if not count:
        return sp.csr_matrix((0, mm.num_variables)), np.zeros(0)
    matrix = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(count, mm.num_variables))
    return matrix, np.concatenate(rhs)


def tightened_relaxation(mm: MilpModel, arcs: pd.DataFrame, rules: ListingRules, engine: str = "glop",
                         time_limit_s: float | None = None, cut_time_s: float | None = None) -> tuple[np.ndarray, float]:
    """The LP relaxation strengthened by up to :data:`COVER_ROUNDS` rounds of violated flow cover
    inequalities (:func:`flow_cover_cuts`), a round starting only within ``cut_time_s``: flows per
    arc and the optimum of the last relaxation solved, an upper bound of the MILP (``nan`` if the
    first was not solved to optimality; a later round that is not keeps the bound before it)."""
    started = time.perf_counter()
    values, optimum = _relaxation_values(mm, engine, time_limit_s)
    for _ in range(COVER_ROUNDS):
        elapsed = time.perf_counter() - started
        remaining = None if time_limit_s is None else time_limit_s - elapsed
        if (not np.isfinite(optimum) or (remaining is not None and remaining <= 0)
                or (cut_time_s is not None and elapsed >= cut_time_s)):
            break
        matrix, upper = flow_cover_cuts(mm, arcs, rules, values)
        if not len(upper):
            break
        mm = mm.with_rows(matrix, upper)
        tighter, tighter_optimum = _relaxation_values(mm, engine, remaining)
        if not np.isfinite(tighter_optimum):
            break
        values, optimum = tighter, min(optimum, tighter_optimum)
    return np.clip(values[: mm.num_arcs], 0.0, None), optimum


def warm_start(mm: MilpModel, flows: np.ndarray) -> np.ndarray:
    """A full start vector: the given flows and, for the binaries, whether their arc carries any."""
    flows = np.asarray(flows, dtype=float)
    return np.concatenate([flows, (flows[mm.binary_arcs] > 0).astype(float)])


#: Relative feasibility tolerance of :func:`satisfies` on rows (at least this much absolute): the
#: MILP engines' own tolerance is of this order, so a solution they return may pass a row's bound
#: by about 1e-9 of it (seen: 1.2e-5 over a need of 7,160 t).
FEASIBILITY_TOL = 1e-6
#: The same on variable bounds, which the engines keep far more closely.
BOUND_TOL = 1e-9


def satisfies(model: MilpModel, start: np.ndarray) -> bool:
    """Whether a full variable vector satisfies every row and bound of ``model``, within
    :data:`FEASIBILITY_TOL` (rows) and :data:`BOUND_TOL` (variables) of each bound's size."""
    activity = model.matrix @ start

    def slack(bound: np.ndarray, tolerance: float) -> np.ndarray:
        return tolerance * np.maximum(np.abs(bound), 1.0)

    return bool(
        np.all(activity >= model.row_lower - slack(model.row_lower, FEASIBILITY_TOL))
        and np.all(activity <= model.row_upper + slack(model.row_upper, FEASIBILITY_TOL))
        and np.all(start >= model.var_lower - slack(model.var_lower, BOUND_TOL))
        and np.all(start <= model.var_upper + slack(model.var_upper, BOUND_TOL))
    )


def feasible_start(model: MilpModel, flows: np.ndarray) -> tuple[np.ndarray, float]:
    """The :func:`warm_start` of ``flows`` and its objective, or minus infinity where it breaks a
    row or bound of ``model``."""
    start = warm_start(model, flows)
    return start, float(model.objective @ start) if satisfies(model, start) else -np.inf


def solve_milp(
    mm: MilpModel, params: SolveParams, start: np.ndarray | None = None, time_limit_s: float | None = None,
) -> MilpSolution:
    """Solve with ``params.milp_engine`` (its gap, seed and workers) within ``time_limit_s`` (none
    if ``None``), from ``start`` if given; flows are zero without a solution."""
    started = time.perf_counter()
    if mm.num_variables == 0:
        return MilpSolution("optimal", True, True, np.zeros(0), np.zeros(0, bool), 0.0, 0.0, 0.0, 0.0)
    if params.milp_engine == "scip":
        options, engine = params.scip_parameters(), "scip"
    else:  # OR-Tools' HiGHS interface crashes on hints, so HiGHS starts cold.
        options, engine, start = (f"mip_rel_gap={params.relative_gap}\nrandom_seed={params.seed}\n"
                                  f"threads={params.workers}\noutput_flag=false\nlog_to_console=false"), "highs", None
    status, values, objective, bound = _solve_model_builder(mm, start, engine, options, time_limit_s)
    has = values is not None
    flows = np.clip(values[: mm.num_arcs], 0.0, None) if has else np.zeros(mm.num_arcs)
    if has:  # an arc whose link is off carries nothing (not the solver's tolerance-sized residue)
        flows[mm.binary_arcs[values[mm.num_arcs:] < 0.5]] = 0.0
    gap = abs(bound - objective) / max(abs(bound), 1e-9) if has and np.isfinite(bound) else float("nan")
    return MilpSolution(
        status=status, has_solution=has, optimal=status == "optimal", flows=flows, established=flows > 0,
        objective=objective if has else float("nan"), bound=bound, gap=gap, seconds=time.perf_counter() - started,
    )


def _solve_model_builder(mm: MilpModel, start, engine: str, options: str, time_limit_s: float | None):
    model = mm.to_model_builder()
    if start is not None:
        variables = model.get_variables()
        for j, value in enumerate(start):
            model.add_hint(variables[j], float(value))
    solver = mb.Solver(engine)
    solver.enable_output(False)
    if time_limit_s is not None:
        solver.set_time_limit_in_seconds(time_limit_s)
    solver.set_solver_specific_parameters(options)
    status = solver.solve(model)
    if status not in (mb.SolveStatus.OPTIMAL, mb.SolveStatus.FEASIBLE):
        return status.name.lower(), None, float("nan"), float("nan")
    values = variable_values(solver, model)
    return status.name.lower(), values, float(solver.objective_value), float(solver.best_objective_bound)


def repair_for_rules(flows: np.ndarray, arcs: pd.DataFrame, rules: ListingRules) -> np.ndarray:
    """Make continuous flows respect lots, partner limits and all-or-nothing by dropping arcs:
    the result is feasible whenever the input respects the quantities (used as a warm start)."""
    flows = flows.copy()
    yields = arcs["yield"].to_numpy(dtype=float)
    too_small = (flows < rules.offer_lot * (1 - LOT_TOL)) | (flows * yields < rules.need_lot * (1 - LOT_TOL))
    not_whole = (rules.offer_aon & (flows < rules.offer_qty * (1 - LOT_TOL))) | (
        rules.need_aon & (flows * yields < rules.need_qty * (1 - LOT_TOL)))
    flows[too_small | not_whole] = 0.0
    for column, limit, aon in (("offer_id", rules.offer_partners, rules.offer_aon),
                               ("need_id", rules.need_partners, rules.need_aon)):
        cap = np.where(aon, np.minimum(limit, 1), limit)
        frame = pd.DataFrame({"listing": arcs[column].to_numpy(), "flow": flows, "cap": cap})
        frame = frame[(frame["flow"] > 0) & np.isfinite(frame["cap"])]
        if frame.empty:
            continue
        frame = frame.sort_values("flow", ascending=False)
        rank = frame.groupby("listing").cumcount()
        flows[frame.index[rank.to_numpy() >= frame["cap"].to_numpy()]] = 0.0
    return flows
